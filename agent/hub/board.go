package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Board tuning: a desk not heard from for offlineAfter shows offline; calls
// not updated for staleCall are left off the queues; alerts stay on the
// board for alertWindow, sync conflicts for conflictWindow.
const (
	offlineAfter = 60 * time.Second
	staleCall    = 2 * time.Hour
	alertWindow  = 24 * time.Hour

	conflictWindow = 7 * 24 * time.Hour
	maxBoardCalls  = 500
)

// Board computes the supervisors' board from the database at hub instant
// now, in one read-only snapshot so its parts agree.
func (db *DB) Board(ctx context.Context, now time.Time) (upstream.Board, error) {
	b := upstream.Board{At: now, Agents: []upstream.BoardAgent{}, Queues: []upstream.BoardQueue{}, Calls: []upstream.BoardCall{}, Alerts: []upstream.BoardAlert{},
		Overdue: []upstream.BoardOverdue{}, Today: []upstream.BoardStats{}, Unsynced: []upstream.BoardDesk{}, Conflicts: []upstream.BoardConflict{},
		CallTypes: []upstream.BoardCallTypes{}, CallTypesTotal: map[string]int{}, Warnings: []upstream.BoardWarning{}}
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return b, fmt.Errorf("board: %w", err)
	}
	defer tx.Rollback(ctx)
	center, err := db.center(ctx, tx)
	if err != nil {
		return b, fmt.Errorf("board: %w", err)
	}
	b.AfterCallWorkSeconds = int(center.AfterCallWork / time.Second)

	rows, err := tx.Query(ctx, `SELECT desk, agent, state, state_since, queue, pending, oldest_pending, last_seen FROM desks ORDER BY agent, desk`)
	if err != nil {
		return b, fmt.Errorf("board agents: %w", err)
	}
	for rows.Next() {
		var a upstream.BoardAgent
		var since, oldest *time.Time
		var pending int
		if err := rows.Scan(&a.Desk, &a.Agent, &a.State, &since, &a.Queue, &pending, &oldest, &a.LastSeen); err != nil {
			rows.Close()
			return b, fmt.Errorf("board agents: %w", err)
		}
		if since != nil {
			a.Since = *since
		}
		if now.Sub(a.LastSeen) > offlineAfter {
			a.State = "offline"
		}
		a.OverLimit = a.State == agent.StatusWrapUp.String() && !a.Since.IsZero() && now.Sub(a.Since) > center.AfterCallWork
		if a.Agent != "" || a.State != "" {
			b.Agents = append(b.Agents, a)
		}
		if pending > 0 {
			d := upstream.BoardDesk{Desk: a.Desk, Pending: pending, LastSeen: a.LastSeen}
			if oldest != nil {
				d.Oldest = *oldest
			}
			b.Unsynced = append(b.Unsynced, d)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board agents: %w", err)
	}

	rows, err = tx.Query(ctx, `SELECT queue, count(*) FILTER (WHERE state = 'ringing'), count(*) FILTER (WHERE state = 'talking')
		FROM calls WHERE state IN ('ringing', 'talking') AND updated_at > $1 GROUP BY queue ORDER BY queue`, now.Add(-staleCall))
	if err != nil {
		return b, fmt.Errorf("board queues: %w", err)
	}
	for rows.Next() {
		var q upstream.BoardQueue
		if err := rows.Scan(&q.Queue, &q.Ringing, &q.Talking); err != nil {
			rows.Close()
			return b, fmt.Errorf("board queues: %w", err)
		}
		b.Queues = append(b.Queues, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board queues: %w", err)
	}

	// The calls themselves, callers in full: the handler masks them for
	// the viewer (upstream.MaskBoard).
	rows, err = tx.Query(ctx, `SELECT c.desk, coalesce(d.agent, ''), c.call_id, c.queue, c.direction, c.caller, c.state, c.started_at
		FROM calls c LEFT JOIN desks d ON d.desk = c.desk
		WHERE c.state IN ('ringing', 'talking') AND c.updated_at > $1 ORDER BY c.started_at, c.desk, c.call_id LIMIT $2`, now.Add(-staleCall), maxBoardCalls)
	if err != nil {
		return b, fmt.Errorf("board calls: %w", err)
	}
	for rows.Next() {
		var c upstream.BoardCall
		if err := rows.Scan(&c.Desk, &c.Agent, &c.CallID, &c.Queue, &c.Direction, &c.Caller, &c.State, &c.Since); err != nil {
			rows.Close()
			return b, fmt.Errorf("board calls: %w", err)
		}
		b.Calls = append(b.Calls, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board calls: %w", err)
	}

	rows, err = tx.Query(ctx, `SELECT id, desk, received_at, body FROM records
		WHERE kind = 'alert' AND NOT deleted AND received_at > $1 ORDER BY received_at DESC, id LIMIT 100`, now.Add(-alertWindow))
	if err != nil {
		return b, fmt.Errorf("board alerts: %w", err)
	}
	for rows.Next() {
		var a upstream.BoardAlert
		var body []byte
		if err := rows.Scan(&a.ID, &a.Desk, &a.Received, &body); err != nil {
			rows.Close()
			return b, fmt.Errorf("board alerts: %w", err)
		}
		a.Body = body
		var al agent.Alert
		if json.Unmarshal(body, &al) == nil {
			a.Kind, a.ComplaintID, a.To, a.By, a.Note, a.At = al.Kind, al.ComplaintID, al.To, al.Owner, al.Summary, al.At
		}
		b.Alerts = append(b.Alerts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board alerts: %w", err)
	}

	// reply_due is the domain's own deadline (agent.Complaint.ReplyDue),
	// computed when the complaint was pushed: overdue is only "passed".
	rows, err = tx.Query(ctx, `SELECT id, desk, reply_due FROM records
		WHERE kind = 'complaint' AND NOT deleted AND reply_due < $1 ORDER BY reply_due, id`, now)
	if err != nil {
		return b, fmt.Errorf("board overdue: %w", err)
	}
	for rows.Next() {
		var o upstream.BoardOverdue
		if err := rows.Scan(&o.ID, &o.Desk, &o.Due); err != nil {
			rows.Close()
			return b, fmt.Errorf("board overdue: %w", err)
		}
		b.Overdue = append(b.Overdue, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board overdue: %w", err)
	}

	rows, err = tx.Query(ctx, `SELECT kind, id, version, desk, stored_desk, reason, received_at FROM conflicts
		WHERE received_at > $1 ORDER BY received_at DESC, n DESC LIMIT 100`, now.Add(-conflictWindow))
	if err != nil {
		return b, fmt.Errorf("board conflicts: %w", err)
	}
	for rows.Next() {
		var c upstream.BoardConflict
		if err := rows.Scan(&c.Kind, &c.ID, &c.Version, &c.Desk, &c.StoredDesk, &c.Reason, &c.Received); err != nil {
			rows.Close()
			return b, fmt.Errorf("board conflicts: %w", err)
		}
		b.Conflicts = append(b.Conflicts, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board conflicts: %w", err)
	}

	today := dayOf(center, now)
	dayStart, _ := today.Bounds(center.Zone)
	rows, err = tx.Query(ctx, `SELECT c.desk, coalesce(d.agent, ''),
			count(*) FILTER (WHERE c.direction = 'inbound'), count(*) FILTER (WHERE c.direction = 'outbound'),
			count(*) FILTER (WHERE c.answered), count(*) FILTER (WHERE c.state = 'missed')
		FROM calls c LEFT JOIN desks d ON d.desk = c.desk
		WHERE c.started_at >= $1 GROUP BY c.desk, d.agent ORDER BY 2, 1`, dayStart)
	if err != nil {
		return b, fmt.Errorf("board statistics: %w", err)
	}
	for rows.Next() {
		var s upstream.BoardStats
		if err := rows.Scan(&s.Desk, &s.Agent, &s.Inbound, &s.Outbound, &s.Answered, &s.Missed); err != nil {
			rows.Close()
			return b, fmt.Errorf("board statistics: %w", err)
		}
		b.Today = append(b.Today, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("board statistics: %w", err)
	}
	if err := callTypes(ctx, tx, &b, today); err != nil {
		return b, err
	}
	if err := db.warnings(ctx, tx, &b, center.Warning, now); err != nil {
		return b, err
	}
	return b, nil
}

// callTypes fills the board's calls of the center day by wrap-up type:
// the counts the call_types triggers keep from the call records' columns
// (each call counted on its day by the type its push gave it,
// callTypeOf), added up with agent.Totals.
func callTypes(ctx context.Context, tx pgx.Tx, b *upstream.Board, day agent.Day) error {
	rows, err := tx.Query(ctx, `SELECT agent, call_type, calls FROM call_types WHERE day = $1::date AND calls > 0 ORDER BY agent, call_type`, day.String())
	if err != nil {
		return fmt.Errorf("board call types: %w", err)
	}
	var days []agent.AgentDay
	for rows.Next() {
		var who, typ string
		var n int
		if err := rows.Scan(&who, &typ, &n); err != nil {
			rows.Close()
			return fmt.Errorf("board call types: %w", err)
		}
		if len(days) == 0 || days[len(days)-1].Agent != who {
			days = append(days, agent.AgentDay{Agent: who, Day: day.String(), ByType: map[string]int{}})
		}
		days[len(days)-1].ByType[typ] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("board call types: %w", err)
	}
	for _, d := range days {
		b.CallTypes = append(b.CallTypes, upstream.BoardCallTypes{Agent: d.Agent, ByType: d.ByType})
	}
	b.CallTypesTotal = agent.Totals(day, days).ByType
	return nil
}

// warnings fills the board's open warning complaints, each judged now by
// policy.Status, soonest stage due first.
func (db *DB) warnings(ctx context.Context, tx pgx.Tx, b *upstream.Board, policy agent.SLAPolicy, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT id, desk, body FROM records WHERE kind = 'complaint' AND NOT deleted AND warning_open ORDER BY id`)
	if err != nil {
		return fmt.Errorf("board warnings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var w upstream.BoardWarning
		var body []byte
		if err := rows.Scan(&w.ID, &w.Desk, &body); err != nil {
			return fmt.Errorf("board warnings: %w", err)
		}
		var c agent.Complaint
		if err := json.Unmarshal(body, &c); err != nil || c.Warning == nil {
			continue
		}
		w.Owner, w.RaisedAt, w.RaisedBy = c.Owner, c.Warning.RaisedAt, c.Warning.RaisedBy
		w.SLAStatus = policy.Status(*c.Warning, now)
		w.HandleLate = limitPassed(policy, *c.Warning, "hotline_handling", w.HandleDue, now)
		w.CloseLate = limitPassed(policy, *c.Warning, "close", w.CloseDue, now)
		b.Warnings = append(b.Warnings, w)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("board warnings: %w", err)
	}
	sort.SliceStable(b.Warnings, func(i, j int) bool { return b.Warnings[i].StageDue.Before(b.Warnings[j].StageDue) })
	return nil
}

// limitPassed says whether the stage named stage of policy (whose due
// time Status gave as due) was done after due, or is not done and due has
// passed at now; false when the policy has no such stage.
func limitPassed(policy agent.SLAPolicy, w agent.Warning, stage string, due, now time.Time) bool {
	if due.IsZero() {
		return false
	}
	for i, s := range policy.Stages {
		if s.Name != stage {
			continue
		}
		if i < len(w.Done) {
			return w.Done[i].After(due)
		}
		return now.After(due)
	}
	return false
}
