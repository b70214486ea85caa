package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"agentdesk/agent"

	"github.com/jackc/pgx/v5"
)

// derived are the columns the hub computes from a record's body when it
// stores it, each by the domain's own rule (migration 0005 says which
// column is what). A nil field is NULL.
type derived struct {
	replyDue    *time.Time
	agent       *string
	callAt      *time.Time
	callDay     *string // YYYY-MM-DD
	callType    *string
	cbPending   *bool
	cbCreated   *time.Time
	warningOpen *bool
}

// derive computes a record's columns under the center's rules c (its
// zone, its warning-complaint stages). A body of a kind the columns are
// for that the domain cannot decode gets no columns and the error (the
// record is still stored as sent).
func derive(kind agent.Kind, deleted bool, body []byte, c agent.Center) (derived, error) {
	var d derived
	if deleted || len(body) == 0 {
		return d, nil
	}
	switch kind {
	case agent.KindComplaint:
		var cs agent.Complaint
		if err := json.Unmarshal(body, &cs); err != nil {
			return d, fmt.Errorf("decode complaint: %w", err)
		}
		if due := cs.ReplyDue(); !due.IsZero() {
			d.replyDue = &due
		}
		d.warningOpen = warningOpen(&cs, c.Warning)
	case agent.KindCall:
		var call agent.Call
		if err := json.Unmarshal(body, &call); err != nil {
			return d, fmt.Errorf("decode call: %w", err)
		}
		d.agent = &call.Agent
		if !call.At.IsZero() {
			at, day, typ := call.At, agent.DayOf(call.At, c.Zone).String(), callTypeOf(call)
			d.callAt, d.callDay, d.callType = &at, &day, &typ
		}
	case agent.KindCoaching:
		var n agent.CoachingNote
		if err := json.Unmarshal(body, &n); err != nil {
			return d, fmt.Errorf("decode coaching note: %w", err)
		}
		d.agent = &n.Agent
	case agent.KindRecording:
		var rec agent.Recording
		if err := json.Unmarshal(body, &rec); err != nil {
			return d, fmt.Errorf("decode recording: %w", err)
		}
		d.agent = &rec.Agent
		if !rec.Started.IsZero() {
			d.callAt = &rec.Started
		}
	case agent.KindCallback:
		var cb agent.Callback
		if err := json.Unmarshal(body, &cb); err != nil {
			return d, fmt.Errorf("decode callback: %w", err)
		}
		pending := cb.State == agent.CallbackPending
		d.agent, d.cbPending = &cb.Agent, &pending
		if !cb.CreatedAt.IsZero() {
			d.cbCreated = &cb.CreatedAt
		}
	}
	return d, nil
}

// callTypeOf is the key under which agent.DailyStats counts call c in
// its day's ByType: the statistics' own rule, asked about the one call.
func callTypeOf(c agent.Call) string {
	day := agent.DayOf(c.At, time.UTC)
	for _, a := range agent.DailyStats(day, time.UTC, 0, []agent.Call{c}, nil, nil) {
		for k := range a.ByType {
			return k
		}
	}
	return agent.Unwrapped
}

// warningOpen is whether c has a warning whose stages are not all done
// under policy (agent.SLAPolicy.Status); nil when c has no warning.
func warningOpen(c *agent.Complaint, policy agent.SLAPolicy) *bool {
	if c.Warning == nil {
		return nil
	}
	open := !policy.Status(*c.Warning, c.Warning.RaisedAt).Done
	return &open
}

// backfillDerived fills the derived columns of the stored records of the
// kinds of (migration 0005's kinds for the records stored before it,
// recordings for those stored before 0007) with the rule Push uses, in
// the hub's zone with the default warning stages (no center settings
// exist before migration 0005); the call counts follow through their
// triggers. Undecodable bodies keep NULL, as at push time.
func (db *DB) backfillDerived(ctx context.Context, tx pgx.Tx, of ...agent.Kind) error {
	c, err := db.centerOf(agent.CenterSettings{})
	if err != nil {
		return fmt.Errorf("backfill derived columns: %w", err)
	}
	names := make([]string, len(of))
	for i, k := range of {
		names[i] = string(k)
	}
	rows, err := tx.Query(ctx, `SELECT kind, id, body FROM records WHERE kind = ANY($1) AND NOT deleted`, names)
	if err != nil {
		return fmt.Errorf("backfill derived columns: %w", err)
	}
	type row struct {
		kind, id string
		d        derived
	}
	var out []row
	unreadable := 0
	for rows.Next() {
		var r row
		var body []byte
		if err := rows.Scan(&r.kind, &r.id, &body); err != nil {
			rows.Close()
			return fmt.Errorf("backfill derived columns: %w", err)
		}
		d, err := derive(agent.Kind(r.kind), false, body, c)
		if err != nil {
			unreadable++
			continue
		}
		r.d = d
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfill derived columns: %w", err)
	}
	n := len(out)
	kinds, ids, agents, types, days := make([]string, n), make([]string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	callAt, created := make([]*time.Time, n), make([]*time.Time, n)
	pending, open := make([]*bool, n), make([]*bool, n)
	for i, r := range out {
		kinds[i], ids[i], agents[i], types[i], days[i] = r.kind, r.id, r.d.agent, r.d.callType, r.d.callDay
		callAt[i], created[i], pending[i], open[i] = r.d.callAt, r.d.cbCreated, r.d.cbPending, r.d.warningOpen
	}
	if _, err := tx.Exec(ctx, `UPDATE records r SET agent = u.agent, call_at = u.call_at, call_day = u.call_day::date, call_type = u.call_type,
			cb_pending = u.pending, cb_created = u.created, warning_open = u.open
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bool[], $7::timestamptz[], $8::bool[], $9::text[])
			AS u(kind, id, agent, call_at, call_type, pending, created, open, call_day)
		WHERE r.kind = u.kind AND r.id = u.id`, kinds, ids, agents, callAt, types, pending, created, open, days); err != nil {
		return fmt.Errorf("backfill derived columns: %w", err)
	}
	db.log.Info("derived columns computed for stored records", "records", n, "unreadable", unreadable)
	return nil
}
