-- The hub's first schema: tokens, records with their newest version,
-- conflicts kept aside, desks' live state, calls, published packs.

CREATE TABLE tokens (
    id          bigserial PRIMARY KEY,
    hash        bytea NOT NULL UNIQUE,          -- sha256 of the token; the token itself is never stored
    role        text NOT NULL CHECK (role IN ('agent', 'supervisor', 'trainer')),
    name        text NOT NULL,
    desk        text,                           -- agent tokens: bound desk (given, or the first desk that pushes)
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE SEQUENCE record_rev;

-- One row per record: the newest version the hub has.
CREATE TABLE records (
    kind        text NOT NULL,
    id          text NOT NULL,
    version     bigint NOT NULL,
    desk        text NOT NULL,
    deleted     boolean NOT NULL DEFAULT false,
    body        bytea NOT NULL,                 -- the desk's JSON, byte for byte
    doc         jsonb,                          -- the same, queryable (NUL escapes replaced)
    at          timestamptz,                    -- desk clock
    received_at timestamptz NOT NULL,           -- hub clock
    rev         bigint NOT NULL,                -- change number, for pulls
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_kind_rev ON records (kind, rev);

-- Same record and version with a different body or desk: kept for a person.
CREATE TABLE conflicts (
    n           bigserial PRIMARY KEY,
    kind        text NOT NULL,
    id          text NOT NULL,
    version     bigint NOT NULL,
    desk        text NOT NULL,
    body        bytea NOT NULL,
    body_hash   bytea NOT NULL,
    stored_desk text NOT NULL,
    stored_body bytea NOT NULL,
    reason      text NOT NULL,
    received_at timestamptz NOT NULL,
    UNIQUE (kind, id, version, desk, body_hash)
);

CREATE TABLE desks (
    desk           text PRIMARY KEY,
    agent          text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT '',
    state_since    timestamptz,
    queue          text NOT NULL DEFAULT '',
    pending        integer NOT NULL DEFAULT 0,
    oldest_pending timestamptz,
    last_seen      timestamptz NOT NULL
);

CREATE TABLE calls (
    desk        text NOT NULL,
    call_id     text NOT NULL,
    queue       text NOT NULL DEFAULT '',
    direction   text NOT NULL DEFAULT '',
    caller      text NOT NULL DEFAULT '',
    state       text NOT NULL,
    answered    boolean NOT NULL DEFAULT false,
    started_at  timestamptz NOT NULL,            -- desk clock
    updated_at  timestamptz NOT NULL,            -- hub clock
    PRIMARY KEY (desk, call_id)
);
CREATE INDEX calls_started ON calls (started_at);

CREATE TABLE packs (
    id           bigserial PRIMARY KEY,
    lang         text NOT NULL,
    name         text NOT NULL,
    data         bytea NOT NULL,
    published_at timestamptz NOT NULL,
    published_by text NOT NULL
);
CREATE INDEX packs_lang ON packs (lang, id DESC);
