-- The center's rules on the hub, callbacks planned once for the whole
-- center, and what the board reads of calls and warning complaints.
--
-- Columns the hub computes from a record's body by the domain's own rules
-- when it is stored (derive.go), like reply_due; NULL for other kinds, for
-- tombstones and for bodies the domain cannot read. Rows stored before
-- this migration are filled by its Go part (backfillDerived).
--   agent          calls and callbacks: whose (agent.Call.Agent, agent.Callback.Agent)
--   call_at        calls: when it rang or was dialled (agent.Call.At)
--   call_day       calls: the center day of call_at (agent.DayOf in the
--                  center's zone); recomputed when the zone changes
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
    ADD COLUMN call_day     date,
    ADD COLUMN call_type    text,
    ADD COLUMN cb_pending   boolean,
    ADD COLUMN cb_created   timestamptz,
    ADD COLUMN warning_open boolean;

CREATE INDEX records_callback_agent ON records (agent, rev) WHERE kind = 'callback';
CREATE INDEX records_callback_created ON records (cb_created) WHERE kind = 'callback';
CREATE INDEX records_callback_pending ON records (id) WHERE kind = 'callback' AND cb_pending;
CREATE INDEX records_warning_open ON records (id) WHERE kind = 'complaint' AND warning_open;

-- Each agent's calls of each center day by type, kept by the triggers
-- below from the call records' columns in the statement that changes
-- them (one aggregate per statement), so the board reads a few rows
-- instead of every call of the day.
CREATE TABLE call_types (
    day       date NOT NULL,
    agent     text NOT NULL,
    call_type text NOT NULL,
    calls     integer NOT NULL,
    PRIMARY KEY (day, agent, call_type)
);

CREATE FUNCTION count_call_types() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO call_types (day, agent, call_type, calls)
            SELECT call_day, agent, call_type, count(*) FROM new_rows
            WHERE kind = 'call' AND call_day IS NOT NULL AND NOT deleted GROUP BY 1, 2, 3
            ON CONFLICT (day, agent, call_type) DO UPDATE SET calls = call_types.calls + EXCLUDED.calls;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO call_types (day, agent, call_type, calls)
            SELECT day, agent, call_type, sum(n) FROM (
                SELECT call_day AS day, agent, call_type, 1 AS n FROM new_rows
                    WHERE kind = 'call' AND call_day IS NOT NULL AND NOT deleted
                UNION ALL
                SELECT call_day, agent, call_type, -1 FROM old_rows
                    WHERE kind = 'call' AND call_day IS NOT NULL AND NOT deleted) d
            GROUP BY 1, 2, 3 HAVING sum(n) <> 0
            ON CONFLICT (day, agent, call_type) DO UPDATE SET calls = call_types.calls + EXCLUDED.calls;
    ELSE
        INSERT INTO call_types (day, agent, call_type, calls)
            SELECT call_day, agent, call_type, -count(*) FROM old_rows
            WHERE kind = 'call' AND call_day IS NOT NULL AND NOT deleted GROUP BY 1, 2, 3
            ON CONFLICT (day, agent, call_type) DO UPDATE SET calls = call_types.calls + EXCLUDED.calls;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER records_call_types_insert AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_call_types();
CREATE TRIGGER records_call_types_update AFTER UPDATE ON records REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_call_types();
CREATE TRIGGER records_call_types_delete AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_call_types();

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
