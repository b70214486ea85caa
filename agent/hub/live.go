package hub

import (
	"context"
	"fmt"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Live records a desk's agent state, call events and outbox figures, and
// notifies the board only when they change what it shows: a heartbeat
// that changes nothing (the same state, since the same instant within a
// second, the same call, pending count and extension, from a desk seen
// lately) costs no board. A report of a call's end also ends the
// monitoring sessions on that call.
func (db *DB) Live(ctx context.Context, p upstream.Principal, r upstream.LiveReport) error {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := bindDesk(ctx, tx, p, r.Desk); err != nil {
		return err
	}
	number := r.Status.Agent
	if p.Kind == upstream.TokenSession && p.Agent != "" {
		number = p.Agent
	}
	callSince := nullTime(toHubClock(r.Status.CallSince, r.SentAt, now))
	if r.Status.CallID == "" {
		callSince = nil
	}
	b := &pgx.Batch{}
	// Live state is replaced every few seconds: not waiting for the WAL
	// flush keeps the report fast, and a crash loses at most an instant of
	// it. Pushed records (which the desk then drops) keep full durability.
	b.Queue("SET LOCAL synchronous_commit TO off")
	// The subqueries see the row as it was before the statement.
	b.Queue(`WITH old AS (SELECT agent, number, state, state_since, queue, pending, extension, call_id, last_seen FROM desks WHERE desk = $1),
		up AS (INSERT INTO desks (desk, agent, state, state_since, queue, pending, oldest_pending, last_seen, number, extension, call_id, call_since)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (desk) DO UPDATE SET agent = EXCLUDED.agent, state = EXCLUDED.state, state_since = EXCLUDED.state_since, queue = EXCLUDED.queue,
				pending = EXCLUDED.pending, oldest_pending = EXCLUDED.oldest_pending, last_seen = EXCLUDED.last_seen,
				number = EXCLUDED.number, extension = EXCLUDED.extension, call_id = EXCLUDED.call_id, call_since = EXCLUDED.call_since
			RETURNING agent, number, state, state_since, queue, pending, extension, call_id)
		SELECT pg_notify($13, 'live') FROM up WHERE $14 OR NOT EXISTS (SELECT 1 FROM old WHERE old.agent = up.agent AND old.number = up.number
			AND old.state = up.state AND old.queue = up.queue AND old.pending = up.pending AND old.extension = up.extension AND old.call_id = up.call_id
			AND (old.state_since IS NULL) = (up.state_since IS NULL)
			AND coalesce(abs(extract(epoch FROM old.state_since - up.state_since)), 0) < 1
			AND old.last_seen > $8 - interval '30 seconds')`,
		r.Desk, r.Status.Agent, r.Status.State, nullTime(toHubClock(r.Status.Since, r.SentAt, now)), r.Status.Queue, r.Pending,
		nullTime(toHubClock(r.OldestPending, r.SentAt, now)), now, number, r.Status.Extension, r.Status.CallID, callSince,
		notifyChannel, len(r.Events) > 0)
	var over []string
	for _, ev := range r.Events {
		state, answered := callState(ev.Kind)
		at := ev.At
		if at.IsZero() {
			at = now
		}
		if state == "ended" || state == "missed" {
			over = append(over, ev.CallID)
		}
		b.Queue(`INSERT INTO calls (desk, call_id, queue, direction, caller, state, answered, started_at, updated_at, rang_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (desk, call_id) DO UPDATE SET
				queue = CASE WHEN EXCLUDED.queue <> '' THEN EXCLUDED.queue ELSE calls.queue END,
				direction = CASE WHEN EXCLUDED.direction <> '' THEN EXCLUDED.direction ELSE calls.direction END,
				caller = CASE WHEN EXCLUDED.caller <> '' THEN EXCLUDED.caller ELSE calls.caller END,
				state = CASE WHEN calls.state IN ('ended', 'missed') THEN calls.state ELSE EXCLUDED.state END,
				answered = calls.answered OR EXCLUDED.answered,
				started_at = least(calls.started_at, EXCLUDED.started_at),
				rang_at = least(calls.rang_at, EXCLUDED.rang_at),
				updated_at = EXCLUDED.updated_at`,
			r.Desk, ev.CallID, ev.Queue, ev.Direction, ev.Caller, state, answered, at, now, toHubClock(at, r.SentAt, now))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	if len(over) > 0 {
		if _, err := db.endCallSessions(ctx, tx, r.Desk, over, now); err != nil {
			return fmt.Errorf("live: %w", err)
		}
	}
	// A desk that reports its calls for monitoring (it gives its
	// extension) and is no longer on a session's call: the call is over
	// even if its "ended" event was lost (a crash, a restart, the network).
	if r.Status.Extension != "" {
		if _, err := db.endSessionsOffCall(ctx, tx, r.Desk, r.Status.CallID, now); err != nil {
			return fmt.Errorf("live: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("live: commit: %w", err)
	}
	return nil
}

// callState maps a telephony event kind to the board's call state.
func callState(kind string) (state string, answered bool) {
	switch kind {
	case "answered", "resumed", "held", "transferred", "dtmf":
		return "talking", true
	case "ended":
		return "ended", false
	case "missed", "answered_elsewhere":
		return "missed", false
	default:
		return "ringing", false
	}
}

// Customers returns customer records changed after since, in change
// order. A supervisor's page is audited (customer.list, with the IDs it
// held) in the same transaction; a desk's own sync is not.
func (db *DB) Customers(ctx context.Context, p upstream.Principal, since int64, limit int) (upstream.CustomerPage, error) {
	page := upstream.CustomerPage{Next: since}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return page, fmt.Errorf("customers: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT rev, id, version, deleted, body, coalesce(at, received_at) FROM records
		WHERE kind = 'customer' AND rev > $1 ORDER BY rev LIMIT $2`, since, limit+1)
	if err != nil {
		return page, fmt.Errorf("customers: %w", err)
	}
	for rows.Next() {
		var r upstream.Record
		var rev int64
		var body []byte
		if err := rows.Scan(&rev, &r.ID, &r.Version, &r.Deleted, &body, &r.At); err != nil {
			rows.Close()
			return page, fmt.Errorf("customers: %w", err)
		}
		if len(page.Customers) == limit {
			page.More = true
			break
		}
		r.Kind, r.Seq = agent.KindCustomer, uint64(rev)
		if len(body) > 0 {
			r.Body = body
		}
		page.Customers = append(page.Customers, r)
		page.Next = rev
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("customers: %w", err)
	}
	if p.Role != upstream.RoleSupervisor || len(page.Customers) == 0 {
		return page, nil
	}
	ids := make([]string, len(page.Customers))
	for i, r := range page.Customers {
		ids[i] = r.ID
	}
	if err := db.audit(ctx, tx, db.clock.Now(), p, upstream.AuditCustomerList, "customer", "", map[string]any{"since": since, "ids": ids}); err != nil {
		return page, err
	}
	if err := tx.Commit(ctx); err != nil {
		return page, fmt.Errorf("customers: commit: %w", err)
	}
	return page, nil
}
