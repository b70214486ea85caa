-- Review before publishing: every published pack is a version, pending
-- until a supervisor or a trainer other than its author approves or
-- rejects it. A language's live pack is its newest approved version. A
-- rollback is a new approved version copying an older one's text
-- (rollback_of), so rows are only ever added and reviewed once.
-- published_by / published_at stay the author and the time of writing.
--
-- Packs published before this migration were live without review: they
-- become approved versions, reviewed by nobody when they were published.

ALTER TABLE packs
    ADD COLUMN state       text NOT NULL DEFAULT 'approved' CHECK (state IN ('pending', 'approved', 'rejected')),
    ADD COLUMN reviewed_by text,
    ADD COLUMN reviewed_at timestamptz,
    ADD COLUMN reason      text NOT NULL DEFAULT '',
    ADD COLUMN rollback_of bigint REFERENCES packs (id);

UPDATE packs SET reviewed_at = published_at, reason = 'published before review existed';

-- From now on every row says its state; a pending row has no review, a
-- reviewed one says when.
ALTER TABLE packs ALTER COLUMN state DROP DEFAULT;
ALTER TABLE packs ADD CONSTRAINT packs_reviewed CHECK ((state = 'pending') = (reviewed_at IS NULL));

CREATE INDEX packs_live ON packs (lang, id DESC) WHERE state = 'approved';
