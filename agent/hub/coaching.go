package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Coaching notes (upstream's coaching.go says the protocol): records of
// kind coaching, filed by a supervisor's desk through its outbox or by
// AddCoaching, pulled by the agent's desk like callback tasks (their agent
// column says whose), and announced on the desk stream of every desk the
// agent reports from.

// AddCoaching files supervisor p's note: the call it names (by call
// record, else by SIP Call-ID: the newest call record with it) gives the
// agent when the note names none, and the call's recording is attached
// when the hub has it. The note is the hub's (desk upstream.HubDesk),
// version 1, by p; audited as coaching.add; the agent's desks are told.
func (db *DB) AddCoaching(ctx context.Context, p upstream.Principal, n agent.CoachingNote, at time.Time) (upstream.Record, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.Record{}, fmt.Errorf("coaching note: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := completeNote(ctx, tx, &n); err != nil {
		return upstream.Record{}, err
	}
	if n.ID == "" {
		n.ID = agent.NewID()
	}
	n.Meta = agent.Meta{ID: n.ID, Version: 1, Desk: upstream.HubDesk, CreatedAt: at, UpdatedAt: at}
	n.By, n.ByNumber = p.Name, p.Agent
	if n.At.IsZero() {
		n.At = at
	}
	if err := n.Validate(); err != nil {
		return upstream.Record{}, fmt.Errorf("%w: %v", upstream.ErrInvalid, err)
	}
	body, err := json.Marshal(n)
	if err != nil {
		return upstream.Record{}, fmt.Errorf("coaching note: %w", err)
	}
	rec := upstream.Record{Kind: agent.KindCoaching, ID: n.ID, Version: 1, At: at, Body: body}
	written, err := db.insertRecords(ctx, tx, upstream.HubDesk, []upstream.Record{rec}, db.clock.Now(), agent.Center{}, false)
	if err != nil {
		return upstream.Record{}, fmt.Errorf("coaching note: %w", err)
	}
	if !written[key{agent.KindCoaching, n.ID}] {
		return upstream.Record{}, fmt.Errorf("%w: a record with ID %s is on the hub already", upstream.ErrConflict, n.ID)
	}
	if err := db.audit(ctx, tx, at, p, upstream.AuditCoachingAdd, "coaching", n.ID,
		map[string]any{"agent": n.Agent, "call_id": n.CallID, "call_record": n.CallRecord, "recording": n.Recording}); err != nil {
		return upstream.Record{}, err
	}
	if err := db.announceNotes(ctx, tx, []agent.CoachingNote{n}, at); err != nil {
		return upstream.Record{}, err
	}
	if err := tx.QueryRow(ctx, `SELECT rev FROM records WHERE kind = 'coaching' AND id = $1`, n.ID).Scan(&rec.Seq); err != nil {
		return upstream.Record{}, fmt.Errorf("coaching note: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.Record{}, fmt.Errorf("coaching note: commit: %w", err)
	}
	return rec, nil
}

// completeNote fills in what the hub's records say of the note's call:
// its record, Call-ID and agent, and its recording.
func completeNote(ctx context.Context, tx pgx.Tx, n *agent.CoachingNote) error {
	var body []byte
	var id string
	var err error
	switch {
	case n.CallRecord != "":
		id = n.CallRecord
		err = tx.QueryRow(ctx, `SELECT body FROM records WHERE kind = 'call' AND id = $1 AND NOT deleted`, id).Scan(&body)
	default:
		err = tx.QueryRow(ctx, `SELECT id, body FROM records WHERE kind = 'call' AND doc->>'call_id' = $1 AND NOT deleted
			ORDER BY received_at DESC LIMIT 1`, n.CallID).Scan(&id, &body)
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if n.Agent == "" {
			return fmt.Errorf("%w: no call %s%s on the hub, and the note names no agent", upstream.ErrNotFound, n.CallRecord, n.CallID)
		}
	case err != nil:
		return fmt.Errorf("coaching note: find the call: %w", err)
	default:
		var c agent.Call
		if err := json.Unmarshal(body, &c); err == nil {
			if n.Agent == "" {
				n.Agent = c.Agent
			}
			if n.CallID == "" {
				n.CallID = c.CallID
			}
		}
		n.CallRecord = id
	}
	if n.Recording == "" && n.CallID != "" {
		err := tx.QueryRow(ctx, `SELECT id FROM records WHERE kind = 'recording' AND doc->>'call_id' = $1 AND NOT deleted
			ORDER BY received_at DESC LIMIT 1`, n.CallID).Scan(&n.Recording)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("coaching note: find the recording: %w", err)
		}
	}
	return nil
}

// announceNotes tells every desk each note's agent reports from (seen
// within a day) that the note is there to pull.
func (db *DB) announceNotes(ctx context.Context, tx pgx.Tx, notes []agent.CoachingNote, at time.Time) error {
	for _, n := range notes {
		rows, err := tx.Query(ctx, `SELECT desk FROM desks WHERE number = $1 AND last_seen > $2`, n.Agent, at.Add(-24*time.Hour))
		if err != nil {
			return fmt.Errorf("announce coaching note: %w", err)
		}
		desks, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("announce coaching note: %w", err)
		}
		for _, d := range desks {
			if err := db.deskEvent(ctx, tx, d, upstream.DeskEventCoaching, at,
				upstream.CoachingNotice{ID: n.ID, Agent: n.Agent, CallID: n.CallID, By: n.By, At: n.At}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Coaching returns who's coaching notes changed after since, in change
// order, for p as Callbacks says.
func (db *DB) Coaching(ctx context.Context, p upstream.Principal, who string, since int64, limit int) (upstream.CoachingPage, error) {
	recs, next, more, err := db.agentRecords(ctx, p, agent.KindCoaching, who, since, limit)
	return upstream.CoachingPage{Notes: recs, Next: next, More: more}, err
}
