-- Supervision: what monitoring needs of the desks' live reports,
-- monitoring sessions, events for one desk, coaching notes' agent, and
-- recordings' audio.

-- A desk's agent by work number (the session's when it reports under one,
-- else the report's agent), the SIP extension a supervisor's desk dials,
-- and the call in progress now with the instant it began (hub clock).
ALTER TABLE desks
    ADD COLUMN number     text NOT NULL DEFAULT '',
    ADD COLUMN extension  text NOT NULL DEFAULT '',
    ADD COLUMN call_id    text NOT NULL DEFAULT '',
    ADD COLUMN call_since timestamptz;
UPDATE desks SET number = agent;
CREATE INDEX desks_number ON desks (number, last_seen);

-- When a call began ringing on the hub's clock (started_at is the desk's):
-- the floor's longest ringing.
ALTER TABLE calls ADD COLUMN rang_at timestamptz;
-- The calls ringing and in progress, which every board reads, without
-- the day's others.
CREATE INDEX calls_live ON calls (started_at) WHERE state IN ('ringing', 'talking');

-- One row per monitoring session: who (the token's name; the work number
-- and desk of a supervisor signed in at one) monitors whom (the agent's
-- number and desk, the extension dialled) on which call, in which mode
-- now. state is pending until a desk reports the session started, active
-- then, ended at the end; a pending session past expires_at never
-- started (shown as expired). The token starts the session once; it is
-- kept sealed (seal.go) for the agent's desk, which is told it again when
-- it ends, and by hash to find it.
CREATE TABLE monitor_sessions (
    id                text PRIMARY KEY,
    token_hash        bytea NOT NULL UNIQUE,
    token             bytea NOT NULL,
    supervisor        text NOT NULL,
    supervisor_number text NOT NULL DEFAULT '',
    supervisor_desk   text NOT NULL DEFAULT '',
    supervisor_token  bigint,
    agent             text NOT NULL,
    desk              text NOT NULL,
    extension         text NOT NULL,
    call_id           text NOT NULL,
    mode              text NOT NULL CHECK (mode IN ('listen', 'whisper', 'barge')),
    state             text NOT NULL CHECK (state IN ('pending', 'active', 'ended')),
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    started_at        timestamptz,
    ended_at          timestamptz,
    end_reason        text NOT NULL DEFAULT '',
    CHECK ((state = 'ended') = (ended_at IS NOT NULL))
);
CREATE INDEX monitor_sessions_open ON monitor_sessions (desk, call_id) WHERE state <> 'ended';
CREATE INDEX monitor_sessions_created ON monitor_sessions (created_at);

-- Events for one desk (a supervisor will join a call, a session's mode
-- changed or it ended, a coaching note to pull), delivered on that desk's
-- stream in id order; bodies sealed, as they may hold a monitor token.
-- Kept a day.
CREATE TABLE desk_events (
    id   bigserial PRIMARY KEY,
    desk text NOT NULL,
    kind text NOT NULL,
    body bytea NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX desk_events_desk ON desk_events (desk, id);
CREATE INDEX desk_events_at ON desk_events (at);

-- Coaching notes are pulled by their agent, as callback tasks are.
UPDATE records SET agent = doc->>'agent' WHERE kind = 'coaching' AND NOT deleted;
CREATE INDEX records_coaching_agent ON records (agent, rev) WHERE kind = 'coaching';
-- A call (and its recording) found by its SIP Call-ID.
CREATE INDEX records_call_id ON records ((doc->>'call_id')) WHERE kind IN ('call', 'recording');

-- A recording's audio: its WAV file in a large object, uploaded by the
-- desk of the recording's record. Kept in the database, not on a hub's
-- disk, so every hub serving the database serves every recording, one
-- backup holds records, audio and audit together, and a fetch is audited
-- in the database that holds what it fetches. started_at is the
-- recording's start (from its record) for the retention period.
CREATE TABLE recording_audio (
    id          text PRIMARY KEY,
    desk        text NOT NULL,
    call_id     text NOT NULL DEFAULT '',
    oid         oid NOT NULL,
    size        bigint NOT NULL,
    sha256      bytea NOT NULL,
    format      jsonb NOT NULL,
    started_at  timestamptz,
    uploaded_at timestamptz NOT NULL,
    uploaded_by text NOT NULL
);
CREATE INDEX recording_audio_age ON recording_audio ((coalesce(started_at, uploaded_at)));
