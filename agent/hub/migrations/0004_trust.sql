-- The hub as a trust boundary: agent accounts that sign in per shift,
-- tokens that expire, rotate and end, per-desk keys, the hub's signing
-- key, and an append-only audit.
--
-- Secrets (SIP passwords, desk keys, the signing key's private half) are
-- stored sealed (see seal.go): AES-256-GCM under the hub key given with
-- --key-file / AGENTDESK_HUB_KEY, or, without one, plain with a one-byte
-- marker and a warning at every start.

CREATE TABLE agents (
    id           bigserial PRIMARY KEY,
    number       text NOT NULL UNIQUE,          -- the agent's work number (工号)
    name         text NOT NULL,
    role         text NOT NULL CHECK (role IN ('agent', 'supervisor', 'trainer')),
    pin_salt     bytea NOT NULL,                -- argon2id: never the PIN
    pin_hash     bytea NOT NULL,
    pin_time     integer NOT NULL,
    pin_memory   integer NOT NULL,              -- KiB
    pin_threads  integer NOT NULL,
    pin_set_at   timestamptz NOT NULL,
    sip_user     text,
    sip_password bytea,                         -- sealed
    disabled_at  timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CHECK ((sip_user IS NULL) = (sip_password IS NULL))
);

-- Every token expires. Tokens made before this migration get 90 days from
-- now. A session token is an agent's, made by a sign-in; "ended" says why
-- a token stopped before its expiry; a rotated token points at its
-- successor and keeps working until its (shortened) expiry.
ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_role_check CHECK (role IN ('agent', 'supervisor', 'trainer', 'wallboard'));
ALTER TABLE tokens
    ADD COLUMN kind        text NOT NULL DEFAULT 'device' CHECK (kind IN ('device', 'session')),
    ADD COLUMN agent_id    bigint REFERENCES agents (id),
    ADD COLUMN ttl_seconds bigint,
    ADD COLUMN expires_at  timestamptz,
    ADD COLUMN replaced_by bigint REFERENCES tokens (id),
    ADD COLUMN ended       text CHECK (ended IN ('revoked', 'signed_out', 'rotated', 'disabled'));
UPDATE tokens SET ttl_seconds = 90 * 86400, expires_at = now() + interval '90 days';
UPDATE tokens SET ended = 'revoked' WHERE revoked_at IS NOT NULL;
ALTER TABLE tokens ALTER COLUMN kind DROP DEFAULT;
ALTER TABLE tokens ALTER COLUMN ttl_seconds SET NOT NULL;
ALTER TABLE tokens ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE tokens ADD CONSTRAINT tokens_session_agent CHECK ((kind = 'session') = (agent_id IS NOT NULL));
ALTER TABLE tokens ADD CONSTRAINT tokens_ended CHECK ((revoked_at IS NULL) = (ended IS NULL));
CREATE INDEX tokens_agent ON tokens (agent_id) WHERE agent_id IS NOT NULL;

-- One key per desk, the same at every sign-in there (sealed).
CREATE TABLE desk_keys (
    desk       text PRIMARY KEY,
    key        bytea NOT NULL,
    created_at timestamptz NOT NULL
);

-- The hub's Ed25519 key that signs offline verifiers, shared by every hub
-- on the database (the private half sealed).
CREATE TABLE hub_keys (
    name       text PRIMARY KEY,
    public     bytea NOT NULL,
    private    bytea NOT NULL,
    created_at timestamptz NOT NULL
);

-- Who did what to what, when, from where. Append-only: rows are never
-- updated or deleted (the trigger refuses).
CREATE TABLE audit (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL,
    action       text NOT NULL,
    actor        text NOT NULL,
    role         text NOT NULL DEFAULT '',
    agent        text NOT NULL DEFAULT '',      -- the signed-in agent's work number
    token_id     bigint,
    desk         text NOT NULL DEFAULT '',
    addr         text NOT NULL DEFAULT '',
    subject_kind text NOT NULL DEFAULT '',      -- customer, recording, agent, token, pack
    subject      text NOT NULL DEFAULT '',
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_subject ON audit (subject, action, at);   -- who read customer X; an agent number's sign-ins
CREATE INDEX audit_addr ON audit (addr, action, at);         -- an address's sign-ins

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit is append-only';
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
