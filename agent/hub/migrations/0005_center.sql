-- The center's rules on the hub, callbacks planned once for the whole
-- center, and what the board reads of calls and warning complaints.
--
-- Columns the hub computes from a record's body by the domain's own rules
-- when it is stored (derive.go), like reply_due; NULL for other kinds, for
-- tombstones and for bodies the domain cannot read. Rows stored before
-- this migration are filled by its Go part (backfillDerived).
--   agent          calls and callbacks: whose (agent.Call.Agent, agent.Callback.Agent)
--   call_at        calls: when it rang or was dialled (agent.Call.At)
--   call_type      calls: its key in agent.AgentDay.ByType (consultation,
--                  complaint, other, unwrapped), as agent.DailyStats counts it
--   cb_pending     callbacks: still pending
--   cb_created     callbacks: when the task was made (agent.Callback.CreatedAt)
--   warning_open   complaints: a warning was raised and its stages are not
--                  all done under the center's stages (agent.SLAPolicy.Status);
--                  recomputed when the stages change
ALTER TABLE records
    ADD COLUMN agent        text,
    ADD COLUMN call_at      timestamptz,
    ADD COLUMN call_type    text,
    ADD COLUMN cb_pending   boolean,
    ADD COLUMN cb_created   timestamptz,
    ADD COLUMN warning_open boolean;

CREATE INDEX records_call_at ON records (call_at) WHERE kind = 'call';
CREATE INDEX records_callback_agent ON records (agent, rev) WHERE kind = 'callback';
CREATE INDEX records_callback_created ON records (cb_created) WHERE kind = 'callback';
CREATE INDEX records_callback_pending ON records (id) WHERE kind = 'callback' AND cb_pending;
CREATE INDEX records_warning_open ON records (id) WHERE kind = 'complaint' AND warning_open;

-- The center's settings (agent.CenterSettings as JSON), one row, its
-- version growing by one with every change. No row: the defaults, and
-- desks keep their own.
CREATE TABLE center_settings (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    version    bigint NOT NULL CHECK (version > 0),
    body       jsonb NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL
);

-- Every run of the member callback plan: the center day it ran for, its
-- instant, who ran it (the hub by itself, or an administrator) and its
-- figures.
CREATE TABLE callback_plans (
    id       bigserial PRIMARY KEY,
    day      date NOT NULL,
    at       timestamptz NOT NULL,
    ran_at   timestamptz NOT NULL,
    ran_by   text NOT NULL,
    members  integer NOT NULL,
    covered  integer NOT NULL,
    created  integer NOT NULL
);
CREATE INDEX callback_plans_day ON callback_plans (day);
