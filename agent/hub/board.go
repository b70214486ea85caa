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
// now, in one read-only snapshot so its parts agree. Every part is one
// query of a single batch: a board costs four round trips to the
// database however many parts it has, which is what lets a busy floor
// have a fresh board within a few tens of milliseconds of each change.
func (db *DB) Board(ctx context.Context, now time.Time) (upstream.Board, error) {
	b := upstream.Board{At: now, Agents: []upstream.BoardAgent{}, Queues: []upstream.BoardQueue{}, Calls: []upstream.BoardCall{}, Alerts: []upstream.BoardAlert{},
		Overdue: []upstream.BoardOverdue{}, Today: []upstream.BoardStats{}, Unsynced: []upstream.BoardDesk{}, Conflicts: []upstream.BoardConflict{},
		CallTypes: []upstream.BoardCallTypes{}, CallTypesTotal: map[string]int{}, Warnings: []upstream.BoardWarning{},
		Floor: upstream.BoardFloor{States: map[string]int{}}, Monitors: []upstream.MonitorSession{}}
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
	today := dayOf(center, now)
	dayStart, _ := today.Bounds(center.Zone)
	var days []agent.AgentDay
	var monitorIDs []string
	monitors := map[string]int{}

	parts := []struct {
		name string
		sql  string
		args []any
		row  func(pgx.Rows) error
	}{
		{"agents", `SELECT desk, agent, state, state_since, queue, pending, oldest_pending, last_seen, number, call_id, call_since
			FROM desks ORDER BY agent, desk`, nil, func(rows pgx.Rows) error {
			var a upstream.BoardAgent
			var since, oldest, callSince *time.Time
			var pending int
			if err := rows.Scan(&a.Desk, &a.Agent, &a.State, &since, &a.Queue, &pending, &oldest, &a.LastSeen, &a.Number, &a.CallID, &callSince); err != nil {
				return err
			}
			if since != nil {
				a.Since = *since
			}
			if now.Sub(a.LastSeen) > offlineAfter {
				a.State = "offline"
				a.CallID = ""
			}
			if callSince != nil && a.CallID != "" {
				a.CallSince = *callSince
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
			return nil
		}},
		{"queues", `SELECT queue, count(*) FILTER (WHERE state = 'ringing'), count(*) FILTER (WHERE state = 'talking'),
				min(coalesce(rang_at, started_at)) FILTER (WHERE state = 'ringing')
			FROM calls WHERE state IN ('ringing', 'talking') AND updated_at > $1 GROUP BY queue ORDER BY queue`, []any{now.Add(-staleCall)},
			func(rows pgx.Rows) error {
				var q upstream.BoardQueue
				var longest *time.Time
				if err := rows.Scan(&q.Queue, &q.Ringing, &q.Talking, &longest); err != nil {
					return err
				}
				if longest != nil {
					q.LongestRinging = *longest
				}
				b.Queues = append(b.Queues, q)
				return nil
			}},
		// The calls themselves, callers in full: the handler masks them for
		// the viewer (upstream.MaskBoard).
		{"calls", `SELECT c.desk, coalesce(d.agent, ''), c.call_id, c.queue, c.direction, c.caller, c.state, c.started_at
			FROM calls c LEFT JOIN desks d ON d.desk = c.desk
			WHERE c.state IN ('ringing', 'talking') AND c.updated_at > $1 ORDER BY c.started_at, c.desk, c.call_id LIMIT $2`,
			[]any{now.Add(-staleCall), maxBoardCalls}, func(rows pgx.Rows) error {
				var c upstream.BoardCall
				if err := rows.Scan(&c.Desk, &c.Agent, &c.CallID, &c.Queue, &c.Direction, &c.Caller, &c.State, &c.Since); err != nil {
					return err
				}
				b.Calls = append(b.Calls, c)
				return nil
			}},
		{"alerts", `SELECT id, desk, received_at, body FROM records
			WHERE kind = 'alert' AND NOT deleted AND received_at > $1 ORDER BY received_at DESC, id LIMIT 100`, []any{now.Add(-alertWindow)},
			func(rows pgx.Rows) error {
				var a upstream.BoardAlert
				var body []byte
				if err := rows.Scan(&a.ID, &a.Desk, &a.Received, &body); err != nil {
					return err
				}
				a.Body = body
				var al agent.Alert
				if json.Unmarshal(body, &al) == nil {
					a.Kind, a.ComplaintID, a.To, a.By, a.Note, a.At = al.Kind, al.ComplaintID, al.To, al.Owner, al.Summary, al.At
				}
				b.Alerts = append(b.Alerts, a)
				return nil
			}},
		// reply_due is the domain's own deadline (agent.Complaint.ReplyDue),
		// computed when the complaint was pushed: overdue is only "passed".
		{"overdue", `SELECT id, desk, reply_due FROM records
			WHERE kind = 'complaint' AND NOT deleted AND reply_due < $1 ORDER BY reply_due, id`, []any{now}, func(rows pgx.Rows) error {
			var o upstream.BoardOverdue
			if err := rows.Scan(&o.ID, &o.Desk, &o.Due); err != nil {
				return err
			}
			b.Overdue = append(b.Overdue, o)
			return nil
		}},
		{"conflicts", `SELECT kind, id, version, desk, stored_desk, reason, received_at FROM conflicts
			WHERE received_at > $1 ORDER BY received_at DESC, n DESC LIMIT 100`, []any{now.Add(-conflictWindow)}, func(rows pgx.Rows) error {
			var c upstream.BoardConflict
			if err := rows.Scan(&c.Kind, &c.ID, &c.Version, &c.Desk, &c.StoredDesk, &c.Reason, &c.Received); err != nil {
				return err
			}
			b.Conflicts = append(b.Conflicts, c)
			return nil
		}},
		{"statistics", `SELECT c.desk, coalesce(d.agent, ''),
				count(*) FILTER (WHERE c.direction = 'inbound'), count(*) FILTER (WHERE c.direction = 'outbound'),
				count(*) FILTER (WHERE c.answered), count(*) FILTER (WHERE c.state = 'missed')
			FROM calls c LEFT JOIN desks d ON d.desk = c.desk
			WHERE c.started_at >= $1 GROUP BY c.desk, d.agent ORDER BY 2, 1`, []any{dayStart}, func(rows pgx.Rows) error {
			var s upstream.BoardStats
			if err := rows.Scan(&s.Desk, &s.Agent, &s.Inbound, &s.Outbound, &s.Answered, &s.Missed); err != nil {
				return err
			}
			b.Today = append(b.Today, s)
			return nil
		}},
		// The counts the call_types triggers keep from the call records'
		// columns (each call counted on its day by the type its push gave
		// it, callTypeOf), added up below with agent.Totals.
		{"call types", `SELECT agent, call_type, calls FROM call_types WHERE day = $1::date AND calls > 0 ORDER BY agent, call_type`,
			[]any{today.String()}, func(rows pgx.Rows) error {
				var who, typ string
				var n int
				if err := rows.Scan(&who, &typ, &n); err != nil {
					return err
				}
				if len(days) == 0 || days[len(days)-1].Agent != who {
					days = append(days, agent.AgentDay{Agent: who, Day: today.String(), ByType: map[string]int{}})
				}
				days[len(days)-1].ByType[typ] = n
				return nil
			}},
		{"warnings", `SELECT id, desk, body FROM records WHERE kind = 'complaint' AND NOT deleted AND warning_open ORDER BY id`, nil,
			func(rows pgx.Rows) error {
				var w upstream.BoardWarning
				var body []byte
				if err := rows.Scan(&w.ID, &w.Desk, &body); err != nil {
					return err
				}
				var c agent.Complaint
				if err := json.Unmarshal(body, &c); err != nil || c.Warning == nil {
					return nil
				}
				policy := center.Warning
				w.Owner, w.RaisedAt, w.RaisedBy = c.Owner, c.Warning.RaisedAt, c.Warning.RaisedBy
				w.SLAStatus = policy.Status(*c.Warning, now)
				w.HandleLate = limitPassed(policy, *c.Warning, "hotline_handling", w.HandleDue, now)
				w.CloseLate = limitPassed(policy, *c.Warning, "close", w.CloseDue, now)
				b.Warnings = append(b.Warnings, w)
				return nil
			}},
		{"monitoring", `SELECT ` + sessionColumns + ` FROM monitor_sessions
			WHERE created_at > $1 OR state = 'active' ORDER BY created_at DESC, id LIMIT $2`, []any{now.Add(-monitorWindow), maxBoardMonitors},
			func(rows pgx.Rows) error {
				s, err := scanSession(rows)
				if err != nil {
					return err
				}
				s.State = upstream.MonitorStateAt(s.state, s.Expires, now)
				monitors[s.ID] = len(b.Monitors)
				b.Monitors = append(b.Monitors, s.MonitorSession)
				monitorIDs = append(monitorIDs, s.ID)
				return nil
			}},
		{"monitoring trail", `SELECT subject, at, action, actor, desk, detail FROM audit WHERE subject_kind = 'monitor' AND subject IN (
				SELECT id FROM monitor_sessions WHERE created_at > $1 OR state = 'active' ORDER BY created_at DESC, id LIMIT $2)
			ORDER BY id`, []any{now.Add(-monitorWindow), maxBoardMonitors}, func(rows pgx.Rows) error {
			id, st, err := scanStep(rows)
			if err != nil {
				return err
			}
			if i, ok := monitors[id]; ok {
				b.Monitors[i].Trail = append(b.Monitors[i].Trail, st)
			}
			return nil
		}},
	}
	batch := &pgx.Batch{}
	for _, p := range parts {
		batch.Queue(p.sql, p.args...)
	}
	br := tx.SendBatch(ctx, batch)
	defer br.Close()
	for _, p := range parts {
		rows, err := br.Query()
		if err != nil {
			return b, fmt.Errorf("board %s: %w", p.name, err)
		}
		for rows.Next() {
			if err := p.row(rows); err != nil {
				rows.Close()
				return b, fmt.Errorf("board %s: %w", p.name, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return b, fmt.Errorf("board %s: %w", p.name, err)
		}
	}
	if err := br.Close(); err != nil {
		return b, fmt.Errorf("board: %w", err)
	}
	for _, d := range days {
		b.CallTypes = append(b.CallTypes, upstream.BoardCallTypes{Agent: d.Agent, ByType: d.ByType})
	}
	b.CallTypesTotal = agent.Totals(today, days).ByType
	sort.SliceStable(b.Warnings, func(i, j int) bool { return b.Warnings[i].StageDue.Before(b.Warnings[j].StageDue) })
	b.Floor = floorOf(b)
	return b, nil
}

// floorOf sums up the board's floor.
func floorOf(b upstream.Board) upstream.BoardFloor {
	f := upstream.BoardFloor{States: map[string]int{}, Alerts: len(b.Alerts), Overdue: len(b.Overdue)}
	for _, q := range b.Queues {
		f.Ringing += q.Ringing
		f.Talking += q.Talking
		if !q.LongestRinging.IsZero() && (f.LongestRinging.IsZero() || q.LongestRinging.Before(f.LongestRinging)) {
			f.LongestRinging = q.LongestRinging
		}
	}
	for _, a := range b.Agents {
		f.States[a.State]++
		if a.OverLimit {
			f.OverLimit++
		}
	}
	for _, m := range b.Monitors {
		if m.Open() {
			f.Monitoring++
		}
	}
	return f
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

// DeskCount is how many desks the hub has heard from.
func (db *DB) DeskCount(ctx context.Context) (int, error) {
	var n int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM desks`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count desks: %w", err)
	}
	return n, nil
}
