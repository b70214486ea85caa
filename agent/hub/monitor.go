package hub

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Monitoring sessions (upstream's package doc says the protocol): the
// session rows, the events that tell the agent's desk, and the audit
// trail, each change written in one transaction with its audit entry and
// its desk event, then notified to every hub (the desk's stream and the
// board).

// Monitoring tuning: sessions stay on the board for monitorWindow after
// they were asked for, at most maxBoardMonitors of them; desk events are
// kept for deskEventsKept.
const (
	monitorWindow    = 12 * time.Hour
	maxBoardMonitors = 50
	deskEventsKept   = 24 * time.Hour
)

// deskEvent stores an event for desk in tx, its body sealed, and notifies
// that desk's streams on every hub when tx commits.
func (db *DB) deskEvent(ctx context.Context, tx pgx.Tx, desk, kind string, at time.Time, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("desk event %s: %w", kind, err)
	}
	sealed, err := db.seal.seal("desk_event:"+desk, body)
	if err != nil {
		return fmt.Errorf("desk event %s: %w", kind, err)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO desk_events (desk, kind, body, at) VALUES ($1, $2, $3, $4)`, desk, kind, sealed, at)
	b.Queue(`SELECT pg_notify($1, $2)`, notifyChannel, deskNotice+desk)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("desk event %s: %w", kind, err)
	}
	return nil
}

// DeskEvents returns desk's events after ID after, made at or after since,
// oldest first.
func (db *DB) DeskEvents(ctx context.Context, desk string, after int64, since time.Time) ([]upstream.DeskEvent, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, kind, body FROM desk_events WHERE desk = $1 AND id > $2 AND at >= $3 ORDER BY id LIMIT 1000`,
		desk, after, since)
	if err != nil {
		return nil, fmt.Errorf("desk events: %w", err)
	}
	defer rows.Close()
	var out []upstream.DeskEvent
	for rows.Next() {
		var e upstream.DeskEvent
		var body []byte
		if err := rows.Scan(&e.ID, &e.Kind, &body); err != nil {
			return nil, fmt.Errorf("desk events: %w", err)
		}
		data, err := db.seal.open("desk_event:"+desk, body)
		if err != nil {
			return nil, fmt.Errorf("desk event %d: %w", e.ID, err)
		}
		e.Data = data
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditRefused records a refusal of p in the audit.
func (db *DB) AuditRefused(ctx context.Context, p upstream.Principal, action upstream.AuditAction, kind, subject string, detail map[string]any) error {
	var d any
	if detail != nil {
		d = detail
	}
	return db.audit(ctx, db.pool, db.clock.Now(), p, action, kind, subject, d)
}

// liveCall is the call in progress of an agent's desk.
type liveCall struct {
	desk, extension, callID string
}

// StartMonitor sets up supervisor p's monitoring of req.Agent's call in
// progress: the agent's desk is the one the hub heard from last (within
// offlineAfter) that reports that agent, a SIP extension and a call
// neither it nor its events say is over. The session, its audit entry
// and the agent's desk event are written together. A call another
// supervisor monitors already is ErrConflict; one the same supervisor
// asked for before ends that session first (an answer lost, asked again).
func (db *DB) StartMonitor(ctx context.Context, p upstream.Principal, req upstream.MonitorRequest, at time.Time) (upstream.MonitorGrant, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	defer tx.Rollback(ctx)
	refuse := func(reason string, why error) (upstream.MonitorGrant, error) {
		if err := db.audit(ctx, tx, at, p, upstream.AuditMonitorRefused, "agent", req.Agent, map[string]any{"reason": reason, "mode": req.Mode}); err != nil {
			return upstream.MonitorGrant{}, err
		}
		if err := tx.Commit(ctx); err != nil {
			return upstream.MonitorGrant{}, fmt.Errorf("monitor: commit: %w", err)
		}
		return upstream.MonitorGrant{}, why
	}
	var lc liveCall
	err = tx.QueryRow(ctx, `SELECT d.desk, d.extension, d.call_id FROM desks d
		WHERE d.number = $1 AND d.last_seen > $2 AND d.call_id <> '' AND d.extension <> ''
			AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.desk = d.desk AND c.call_id = d.call_id AND c.state IN ('ended', 'missed'))
		ORDER BY d.last_seen DESC LIMIT 1
		FOR UPDATE OF d`, req.Agent, at.Add(-offlineAfter)).Scan(&lc.desk, &lc.extension, &lc.callID)
	if errors.Is(err, pgx.ErrNoRows) {
		return refuse("no_live_call", fmt.Errorf("%w: agent %s", upstream.ErrNoLiveCall, req.Agent))
	}
	if err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: find the agent's call: %w", err)
	}
	// One supervisor per call, as the agent's desk takes one.
	rows, err := tx.Query(ctx, `SELECT id, supervisor, token FROM monitor_sessions
		WHERE desk = $1 AND call_id = $2 AND state <> 'ended' AND (state = 'active' OR expires_at > $3)`, lc.desk, lc.callID, at)
	if err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	type open struct {
		id, by string
		token  []byte
	}
	var olds []open
	for rows.Next() {
		var o open
		if err := rows.Scan(&o.id, &o.by, &o.token); err != nil {
			rows.Close()
			return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
		}
		olds = append(olds, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	for _, o := range olds {
		if o.by != p.Name {
			return refuse("monitored", fmt.Errorf("%w: %s is on agent %s's call already", upstream.ErrConflict, o.by, req.Agent))
		}
	}
	for _, o := range olds {
		if err := db.endSession(ctx, tx, p, o.id, "superseded", at); err != nil {
			return upstream.MonitorGrant{}, err
		}
	}
	c, err := db.center(ctx, tx)
	if err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	tok, err := upstream.NewMonitorToken()
	if err != nil {
		return upstream.MonitorGrant{}, err
	}
	id := agent.NewID()
	sealed, err := db.seal.seal("monitor_token:"+id, []byte(tok))
	if err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	hash := sha256.Sum256([]byte(tok))
	exp := at.Add(upstream.MonitorTokenTTL)
	var supTok *int64
	if p.TokenID != 0 {
		supTok = &p.TokenID
	}
	if _, err := tx.Exec(ctx, `INSERT INTO monitor_sessions (id, token_hash, token, supervisor, supervisor_number, supervisor_desk, supervisor_token,
			agent, desk, extension, call_id, mode, state, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14)`,
		id, hash[:], sealed, p.Name, p.Agent, p.Desk, supTok, req.Agent, lc.desk, lc.extension, lc.callID, string(req.Mode), at, exp); err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: store the session: %w", err)
	}
	if err := db.audit(ctx, tx, at, p, upstream.AuditMonitorStart, "monitor", id,
		map[string]any{"agent": req.Agent, "desk": lc.desk, "call_id": lc.callID, "mode": req.Mode, "expires": exp}); err != nil {
		return upstream.MonitorGrant{}, err
	}
	ttl := upstream.Seconds(upstream.MonitorTokenTTL.Seconds())
	if err := db.deskEvent(ctx, tx, lc.desk, upstream.DeskEventMonitor, at, upstream.MonitorNotice{Session: id, Token: tok, CallID: lc.callID,
		Mode: req.Mode, Expires: exp, ExpiresIn: ttl, Supervisor: p.Name, SupervisorNumber: p.Agent, ShowMonitoring: c.ShowMonitoring, At: at}); err != nil {
		return upstream.MonitorGrant{}, err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'monitor')", notifyChannel); err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.MonitorGrant{}, fmt.Errorf("monitor: commit: %w", err)
	}
	return upstream.MonitorGrant{Session: id, Token: tok, Agent: req.Agent, Desk: lc.desk, Extension: lc.extension, CallID: lc.callID,
		Mode: req.Mode, Expires: exp, ExpiresIn: ttl, ShowMonitoring: c.ShowMonitoring}, nil
}

// sessionRow is a session as stored, with its sealed token.
type sessionRow struct {
	upstream.MonitorSession
	state upstream.MonitorState // as stored: pending, active, ended
	token []byte
}

const sessionColumns = `id, supervisor, supervisor_number, supervisor_desk, agent, desk, extension, call_id, mode, state,
	created_at, expires_at, started_at, ended_at, end_reason, token`

func scanSession(row pgx.Row) (sessionRow, error) {
	var s sessionRow
	var mode, state string
	var started, ended *time.Time
	if err := row.Scan(&s.ID, &s.Supervisor, &s.SupervisorNumber, &s.SupervisorDesk, &s.Agent, &s.Desk, &s.Extension, &s.CallID, &mode, &state,
		&s.Created, &s.Expires, &started, &ended, &s.EndReason, &s.token); err != nil {
		return s, err
	}
	s.Mode, s.state, s.State = upstream.MonitorMode(mode), upstream.MonitorState(state), upstream.MonitorState(state)
	if started != nil {
		s.Started = *started
	}
	if ended != nil {
		s.Ended = *ended
	}
	return s, nil
}

// lockSession reads session id for update in tx.
func lockSession(ctx context.Context, tx pgx.Tx, id string) (sessionRow, error) {
	s, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+` FROM monitor_sessions WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return s, fmt.Errorf("%w: no monitoring session %s", upstream.ErrNotFound, id)
	}
	if err != nil {
		return s, fmt.Errorf("monitoring session %s: %w", id, err)
	}
	return s, nil
}

// MonitorSession returns session id with its trail, as it stands at at.
func (db *DB) MonitorSession(ctx context.Context, id string, at time.Time) (upstream.MonitorSession, error) {
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM monitor_sessions WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return upstream.MonitorSession{}, fmt.Errorf("%w: no monitoring session %s", upstream.ErrNotFound, id)
	}
	if err != nil {
		return upstream.MonitorSession{}, fmt.Errorf("monitoring session %s: %w", id, err)
	}
	s.State = upstream.MonitorStateAt(s.state, s.Expires, at)
	trails, err := sessionTrails(ctx, db.pool, []string{id})
	if err != nil {
		return upstream.MonitorSession{}, err
	}
	s.Trail = trails[id]
	return s.MonitorSession, nil
}

// rowsQuerier is a transaction or the pool.
type rowsQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// sessionTrails reads the audit entries of sessions ids, oldest first.
func sessionTrails(ctx context.Context, q rowsQuerier, ids []string) (map[string][]upstream.MonitorStep, error) {
	out := map[string][]upstream.MonitorStep{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `SELECT subject, at, action, actor, desk, detail FROM audit
		WHERE subject = ANY($1) AND subject_kind = 'monitor' ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("monitoring trail: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		id, st, err := scanStep(rows)
		if err != nil {
			return nil, fmt.Errorf("monitoring trail: %w", err)
		}
		out[id] = append(out[id], st)
	}
	return out, rows.Err()
}

// scanStep reads one audit entry of a session: subject, at, action,
// actor, desk, detail.
func scanStep(rows pgx.Rows) (string, upstream.MonitorStep, error) {
	var id, action string
	var st upstream.MonitorStep
	var detail []byte
	if err := rows.Scan(&id, &st.At, &action, &st.Actor, &st.Desk, &detail); err != nil {
		return "", st, err
	}
	st.Action = upstream.AuditAction(action)
	var d struct {
		Kind   string               `json:"kind"`
		Mode   upstream.MonitorMode `json:"mode"`
		Reason string               `json:"reason"`
	}
	if json.Unmarshal(detail, &d) == nil {
		st.Kind, st.Mode, st.Reason = d.Kind, d.Mode, d.Reason
	}
	return id, st, nil
}

// SetMonitorMode records supervisor p's switch of an open session to mode
// and tells the agent's desk.
func (db *DB) SetMonitorMode(ctx context.Context, p upstream.Principal, id string, mode upstream.MonitorMode, at time.Time) (upstream.MonitorSession, error) {
	err := db.inTx(ctx, "monitor mode", func(tx pgx.Tx) error {
		s, err := lockSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if st := upstream.MonitorStateAt(s.state, s.Expires, at); st != upstream.MonitorPending && st != upstream.MonitorActive {
			return fmt.Errorf("%w: monitoring session %s is %s", upstream.ErrConflict, id, st)
		}
		if _, err := tx.Exec(ctx, `UPDATE monitor_sessions SET mode = $2 WHERE id = $1`, id, string(mode)); err != nil {
			return err
		}
		if err := db.audit(ctx, tx, at, p, upstream.AuditMonitorMode, "monitor", id, map[string]any{"mode": mode, "was": s.Mode}); err != nil {
			return err
		}
		if err := db.deskEvent(ctx, tx, s.Desk, upstream.DeskEventMonitorMode, at, upstream.MonitorNotice{Session: id, CallID: s.CallID, Mode: mode,
			Supervisor: s.Supervisor, SupervisorNumber: s.SupervisorNumber, At: at}); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, 'monitor')", notifyChannel)
		return err
	})
	if err != nil {
		return upstream.MonitorSession{}, err
	}
	return db.MonitorSession(ctx, id, at)
}

// EndMonitor ends an open session for p and tells the agent's desk; one
// over already (ended, or expired unstarted) is returned as it is.
func (db *DB) EndMonitor(ctx context.Context, p upstream.Principal, id, reason string, at time.Time) (upstream.MonitorSession, error) {
	err := db.inTx(ctx, "end monitoring", func(tx pgx.Tx) error {
		s, err := lockSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if st := upstream.MonitorStateAt(s.state, s.Expires, at); st != upstream.MonitorPending && st != upstream.MonitorActive {
			return nil
		}
		return db.endSession(ctx, tx, p, id, reason, at)
	})
	if err != nil {
		return upstream.MonitorSession{}, err
	}
	return db.MonitorSession(ctx, id, at)
}

// endSession ends session id (locked or known open) in tx as p with
// reason: the row, the audit, the agent's desk told with the token to
// forget, the board notified.
func (db *DB) endSession(ctx context.Context, tx pgx.Tx, p upstream.Principal, id, reason string, at time.Time) error {
	s, err := lockSession(ctx, tx, id)
	if err != nil {
		return err
	}
	if s.state == upstream.MonitorEnded {
		return nil
	}
	tok, err := db.seal.open("monitor_token:"+id, s.token)
	if err != nil {
		return fmt.Errorf("end monitoring session %s: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE monitor_sessions SET state = 'ended', ended_at = $2, end_reason = $3 WHERE id = $1`, id, at, reason); err != nil {
		return fmt.Errorf("end monitoring session %s: %w", id, err)
	}
	if err := db.audit(ctx, tx, at, p, upstream.AuditMonitorEnd, "monitor", id, map[string]any{"reason": reason}); err != nil {
		return err
	}
	if err := db.deskEvent(ctx, tx, s.Desk, upstream.DeskEventMonitorEnd, at, upstream.MonitorNotice{Session: id, Token: upstream.Secret(tok),
		CallID: s.CallID, Mode: s.Mode, Supervisor: s.Supervisor, SupervisorNumber: s.SupervisorNumber, Reason: reason, At: at}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'monitor')", notifyChannel); err != nil {
		return fmt.Errorf("end monitoring session %s: %w", id, err)
	}
	return nil
}

// ReportMonitor records a desk's report on a session: from the agent's
// desk (its token or a session there) or from a supervisor.
func (db *DB) ReportMonitor(ctx context.Context, p upstream.Principal, id string, r upstream.MonitorReport, at time.Time) (upstream.MonitorSession, error) {
	err := db.inTx(ctx, "monitor report", func(tx pgx.Tx) error {
		s, err := lockSession(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.Role != upstream.RoleSupervisor && (p.Desk == "" || p.Desk != s.Desk) {
			return fmt.Errorf("%w: only the agent's desk or a supervisor reports on monitoring session %s", upstream.ErrForbidden, id)
		}
		if err := db.audit(ctx, tx, at, p, upstream.AuditMonitorReport, "monitor", id,
			map[string]any{"kind": r.Kind, "mode": r.Mode, "reason": r.Reason, "at": r.At}); err != nil {
			return err
		}
		open := s.state != upstream.MonitorEnded
		switch {
		case r.Kind == upstream.MonitorStarted && s.state == upstream.MonitorPending:
			_, err = tx.Exec(ctx, `UPDATE monitor_sessions SET state = 'active', started_at = $2 WHERE id = $1`, id, at)
		case r.Kind == upstream.MonitorModed && open:
			_, err = tx.Exec(ctx, `UPDATE monitor_sessions SET mode = $2 WHERE id = $1`, id, string(r.Mode))
		case r.Kind == upstream.MonitorEndedBy && open:
			// The session's end is audited whoever ends it first: the
			// supervisor's end that follows finds it over already.
			reason := r.Reason
			if reason == "" {
				reason = "desk"
			}
			err = db.endSession(ctx, tx, p, id, reason, at)
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, 'monitor')", notifyChannel)
		return err
	})
	if err != nil {
		return upstream.MonitorSession{}, err
	}
	return db.MonitorSession(ctx, id, at)
}

// endCallSessions ends the open sessions on desk's calls callIDs, which
// the desk reported over: the hub's own doing, audited as such.
func (db *DB) endCallSessions(ctx context.Context, tx pgx.Tx, desk string, callIDs []string, at time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM monitor_sessions WHERE desk = $1 AND call_id = ANY($2) AND state <> 'ended' ORDER BY id FOR UPDATE`,
		desk, callIDs)
	if err != nil {
		return 0, fmt.Errorf("end monitoring with the call: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("end monitoring with the call: %w", err)
	}
	for _, id := range ids {
		if err := db.endSession(ctx, tx, upstream.Principal{Name: "hub"}, id, upstream.EndCallEnded, at); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// endSessionsOffCall ends the open sessions on desk's calls other than
// current (the call the desk reports in progress; "" none), as
// endCallSessions does.
func (db *DB) endSessionsOffCall(ctx context.Context, tx pgx.Tx, desk, current string, at time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT call_id FROM monitor_sessions WHERE desk = $1 AND call_id <> $2 AND state <> 'ended'`, desk, current)
	if err != nil {
		return 0, fmt.Errorf("end monitoring off the call: %w", err)
	}
	calls, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(calls) == 0 {
		return 0, err
	}
	return db.endCallSessions(ctx, tx, desk, calls, at)
}

// inTx runs f in one transaction; what names it in errors.
func (db *DB) inTx(ctx context.Context, what string, f func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}
