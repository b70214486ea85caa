package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/telephony"
)

// Supervision on the desk (监听, 适时作出指导). A supervisor's desk asks the
// hub to monitor an agent's live call (Monitor): the hub checks the role,
// audits, and tells the agent's desk, which expects the session (Expect,
// called by the hub link); the supervisor's desk then dials the agent's
// extension through the PBX with the hub's one-time token, and the agent's
// desk answers and mixes by mode. Modes switch by SIP (SwitchMonitor), the
// hub is told for its audit; the session ends with the call, the
// supervisor (EndMonitor) or the hub (Unexpect). What each desk's phone
// saw goes back to the hub's audit trail. After the session the supervisor
// may leave the agent a coaching note (AddCoaching), which the agent's
// desk shows once no call is in progress.

// MonitorHub is the part of a hub link that supervision needs; the desk's
// Hub offers it when it can (cmd/internal/hublink does). Refusals come
// back as a *HubError: ErrHubRole for a token that may not monitor,
// ErrHubNoLiveCall when the agent has no call in progress, ErrHubConflict
// when another supervisor is on that call.
type MonitorHub interface {
	// Monitor asks the hub for a session on agentNumber's live call.
	Monitor(ctx context.Context, agentNumber string, mode telephony.MonitorMode) (MonitorGrant, error)
	// SetMonitorMode tells the hub the supervisor switched modes.
	SetMonitorMode(ctx context.Context, session string, mode telephony.MonitorMode) error
	// EndMonitor ends a session on the hub (reason "" is the supervisor's).
	EndMonitor(ctx context.Context, session, reason string) error
	// ReportMonitor files what this desk's phone saw of session: kind is
	// MonitorReportStarted, MonitorReportMode or MonitorReportEnded.
	ReportMonitor(ctx context.Context, session, kind, reason string, mode telephony.MonitorMode) error
	// AddCoaching files a supervisor's coaching note on the hub.
	AddCoaching(ctx context.Context, n agent.CoachingNote) error
}

// The kinds of a desk's report on a monitoring session.
const (
	MonitorReportStarted = "started"
	MonitorReportMode    = "mode"
	MonitorReportEnded   = "ended"
)

// MonitorGrant is the hub's yes to a supervisor: the session, the one-time
// token to dial with until Expires (desk clock), the agent's desk's SIP
// extension, the agent's call joined, and whether the agent is shown that
// a supervisor is on (the center's show_monitoring).
type MonitorGrant struct {
	Session   string
	Token     string
	Extension string
	Agent     string
	CallID    string
	Mode      telephony.MonitorMode
	Expires   time.Time
	Show      bool
}

// MonitorPhone is the phone's side of supervision (telephony.UA has it; the
// practice phone does not).
type MonitorPhone interface {
	ExpectMonitor(token, callID string, mode telephony.MonitorMode, expires time.Time) error
	CancelMonitor(token string) error
	DialMonitor(ctx context.Context, extension, token string, mode telephony.MonitorMode) (string, error)
	SetMonitorMode(callID string, mode telephony.MonitorMode) error
	Hangup(callID string) error
}

// Errors of supervision a caller decides on.
var (
	// ErrNoMonitorPhone: this desk's phone cannot carry a monitoring
	// session (the practice phone, or none).
	ErrNoMonitorPhone = errors.New("this desk's phone cannot monitor")
	// ErrSupervising: the desk is on a monitoring session already.
	ErrSupervising = errors.New("already on a monitoring session")
	// ErrNotSupervising: no monitoring session to switch, end or coach.
	ErrNotSupervising = errors.New("no monitoring session")
	// ErrMonitorDial: the agent's desk did not take the session before
	// the hub's token expired (its phone refused or did not answer).
	ErrMonitorDial = errors.New("the agent's desk did not take the monitoring session")
	// ErrMonitorTaken: the agent's desk has a supervisor on that call
	// already.
	ErrMonitorTaken = errors.New("the agent's call has a supervisor on it already")
)

// Supervision is the supervisor's side of a session, in State and View:
// whose call, in which mode, the monitoring leg once up, and whether it is
// over (kept until the next session or Dismiss, so a note can follow).
type Supervision struct {
	Session string
	Agent   string // the agent's work number
	CallID  string // the agent's call (its SIP Call-ID)
	Mode    telephony.MonitorMode
	Leg     string // the monitoring leg's Call-ID, "" until up
	Since   time.Time
	Up      bool
	Ended   bool
	Reason  string // why it ended
	// Noted says a coaching note was filed for this session.
	Noted bool
}

// Monitored is the agent's side of a session: a supervisor is expected or
// on the call. Shown says the center lets the agent see it; the window
// shows nothing while it is false.
type Monitored struct {
	Session string
	CallID  string
	Mode    telephony.MonitorMode
	Since   time.Time
	Up      bool
	Shown   bool
	token   string
}

// MonitorMode is how a supervisor is on a call: MonitorListen,
// MonitorWhisper or MonitorBarge (the phone's modes).
type MonitorMode = telephony.MonitorMode

// The monitoring modes.
const (
	MonitorListen  = telephony.MonitorListen
	MonitorWhisper = telephony.MonitorWhisper
	MonitorBarge   = telephony.MonitorBarge
)

// monitorTimeout bounds each hub request of supervision.
const monitorTimeout = 15 * time.Second

// monitorRetry is the pause between dials while the agent's desk has not
// yet been told to expect the token.
const monitorRetry = 300 * time.Millisecond

func (d *Desk) monitorParts() (MonitorHub, MonitorPhone, error) {
	mh, ok := d.hub.(MonitorHub)
	if d.hub == nil || !ok {
		return nil, nil, ErrNeedsHub
	}
	p := d.phone.Load()
	if p == nil {
		return nil, nil, ErrNoMonitorPhone
	}
	mp, ok := (*p).(MonitorPhone)
	if !ok {
		return nil, nil, ErrNoMonitorPhone
	}
	return mh, mp, nil
}

// Monitor joins agentNumber's live call in mode: the hub's grant, then the
// monitoring leg dialled through the PBX (tried again while the agent's
// desk has not yet been told, until the grant expires). It returns the
// session once the leg is up; the view shows it from the grant on.
func (d *Desk) Monitor(ctx context.Context, agentNumber string, mode telephony.MonitorMode) (Supervision, error) {
	mh, mp, err := d.monitorParts()
	if err != nil {
		return Supervision{}, fmt.Errorf("monitor %s: %w", agentNumber, err)
	}
	if s := d.State().Supervision; s != nil && !s.Ended {
		return Supervision{}, fmt.Errorf("monitor %s: %w", agentNumber, ErrSupervising)
	}
	hctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	g, err := mh.Monitor(hctx, strings.TrimSpace(agentNumber), mode)
	cancel()
	if err != nil {
		return Supervision{}, fmt.Errorf("monitor %s: %w", agentNumber, err)
	}
	sv := Supervision{Session: g.Session, Agent: g.Agent, CallID: g.CallID, Mode: g.Mode, Since: d.clock.Now()}
	if sv.Agent == "" {
		sv.Agent = agentNumber
	}
	if !sv.Mode.Valid() {
		sv.Mode = mode
	}
	if !d.do(func() { d.work.Supervision = &sv; d.publish() }) {
		return Supervision{}, ErrClosed
	}
	leg, err := d.dialMonitor(ctx, mp, g)
	if err != nil {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), monitorTimeout)
		if herr := mh.EndMonitor(ectx, g.Session, "dial_failed"); herr != nil {
			d.log.Warn("end a monitoring session the desk could not dial", "session", g.Session, "error", herr)
		}
		cancel()
		d.do(func() {
			if s := d.work.Supervision; s != nil && s.Session == g.Session {
				s.Ended, s.Reason = true, "dial_failed"
				d.publish()
			}
		})
		return Supervision{}, fmt.Errorf("monitor %s: %w", agentNumber, err)
	}
	var out Supervision
	d.do(func() {
		if s := d.work.Supervision; s != nil && s.Session == g.Session {
			s.Leg = leg
			if !s.Ended {
				s.Up = true
			}
			out = *s
			d.publish()
		}
	})
	d.log.Info("monitoring", "agent_number", agentNumber, "mode", mode.String(), "session", g.Session)
	return out, nil
}

// dialMonitor dials the grant's extension until the agent's desk takes it
// or the grant expires.
func (d *Desk) dialMonitor(ctx context.Context, mp MonitorPhone, g MonitorGrant) (string, error) {
	deadline := g.Expires
	if deadline.IsZero() {
		deadline = d.clock.Now().Add(time.Minute)
	}
	for {
		leg, err := mp.DialMonitor(ctx, g.Extension, g.Token, g.Mode)
		if err == nil {
			return leg, nil
		}
		if errors.Is(err, telephony.ErrMonitorBusy) {
			return "", fmt.Errorf("%w: %w", ErrMonitorTaken, err)
		}
		if !errors.Is(err, telephony.ErrMonitorRefused) || !d.clock.Now().Add(monitorRetry).Before(deadline) {
			return "", fmt.Errorf("%w: %w", ErrMonitorDial, err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(monitorRetry):
		}
	}
}

// SwitchMonitor changes the session's mode: by SIP to the agent's desk
// first (what the three hear changes at once), then the hub's audit.
func (d *Desk) SwitchMonitor(ctx context.Context, mode telephony.MonitorMode) error {
	mh, mp, err := d.monitorParts()
	if err != nil {
		return fmt.Errorf("switch monitor mode: %w", err)
	}
	s := d.State().Supervision
	if s == nil || !s.Up || s.Ended {
		return fmt.Errorf("switch monitor mode: %w", ErrNotSupervising)
	}
	if err := mp.SetMonitorMode(s.Leg, mode); err != nil {
		return fmt.Errorf("switch monitor mode to %s: %w", mode, err)
	}
	hctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	defer cancel()
	if err := mh.SetMonitorMode(hctx, s.Session, mode); err != nil {
		d.log.Warn("monitor mode switched; the hub's audit missed it", "session", s.Session, "error", err)
	}
	return nil
}

// EndMonitor hangs the monitoring leg up and ends the session on the hub.
func (d *Desk) EndMonitor(ctx context.Context) error {
	mh, mp, err := d.monitorParts()
	if err != nil {
		return fmt.Errorf("end monitor: %w", err)
	}
	s := d.State().Supervision
	if s == nil || s.Ended {
		return fmt.Errorf("end monitor: %w", ErrNotSupervising)
	}
	if s.Leg != "" {
		if err := mp.Hangup(s.Leg); err != nil && !errors.Is(err, telephony.ErrNoCall) {
			d.log.Warn("hang the monitoring leg up", "session", s.Session, "error", err)
		}
	}
	hctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	defer cancel()
	err = mh.EndMonitor(hctx, s.Session, "")
	d.do(func() {
		if w := d.work.Supervision; w != nil && w.Session == s.Session && !w.Ended {
			w.Up, w.Ended, w.Reason = false, true, "supervisor"
			d.publish()
		}
	})
	if err != nil {
		return fmt.Errorf("end monitor: %w", err)
	}
	return nil
}

// DismissMonitor forgets a session that is over (the supervisor closed
// its bar).
func (d *Desk) DismissMonitor() {
	d.do(func() {
		if s := d.work.Supervision; s != nil && s.Ended {
			d.work.Supervision = nil
			d.publish()
		}
	})
}

// AddCoaching files a coaching note on the last session's call for its
// agent. The text is what the supervisor wrote, trimmed; empty is refused
// (agent.ErrEmpty).
func (d *Desk) AddCoaching(ctx context.Context, text string) (agent.CoachingNote, error) {
	mh, ok := d.hub.(MonitorHub)
	if d.hub == nil || !ok {
		return agent.CoachingNote{}, fmt.Errorf("coaching note: %w", ErrNeedsHub)
	}
	s := d.State().Supervision
	if s == nil {
		return agent.CoachingNote{}, fmt.Errorf("coaching note: %w", ErrNotSupervising)
	}
	now := d.clock.Now()
	n := agent.CoachingNote{Meta: agent.Meta{ID: agent.NewID(), Version: 1, CreatedAt: now, UpdatedAt: now},
		Agent: s.Agent, CallID: s.CallID, By: firstNonEmpty(d.cfg.AgentName, d.cfg.AgentNumber, "supervisor"),
		ByNumber: d.cfg.AgentNumber, Text: strings.TrimSpace(text), At: now}
	if err := n.Validate(); err != nil {
		return n, err
	}
	hctx, cancel := context.WithTimeout(ctx, monitorTimeout)
	defer cancel()
	if err := mh.AddCoaching(hctx, n); err != nil {
		return n, fmt.Errorf("coaching note: %w", err)
	}
	d.do(func() {
		if w := d.work.Supervision; w != nil && w.Session == s.Session {
			w.Noted = true
			d.publish()
		}
	})
	return n, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// MonitorNotice is what the hub tells the agent's desk of a session to
// expect: the token the supervisor will dial with, the call, the mode,
// until when, and whether the agent may see it.
type MonitorNotice struct {
	Session string
	Token   string
	CallID  string
	Mode    telephony.MonitorMode
	Expires time.Time
	Show    bool
}

// Expect makes the agent's phone take the session n announces. A call
// that is no longer in progress is refused by the phone; the hub then
// ends the session when the token expires.
func (d *Desk) Expect(n MonitorNotice) error {
	_, mp, err := d.monitorParts()
	if err != nil {
		return fmt.Errorf("expect monitor session %s: %w", n.Session, err)
	}
	if err := mp.ExpectMonitor(n.Token, n.CallID, n.Mode, n.Expires); err != nil {
		return fmt.Errorf("expect monitor session %s: %w", n.Session, err)
	}
	m := Monitored{Session: n.Session, CallID: n.CallID, Mode: n.Mode, Shown: n.Show, token: n.Token}
	d.do(func() { d.work.Monitored = &m; d.publish() })
	return nil
}

// Unexpect ends session on the agent's side: the hub ended it (the
// supervisor, or its expiry). The phone forgets the token and hangs the
// leg up if it is up.
func (d *Desk) Unexpect(session string) {
	s := d.State().Monitored
	if s == nil || s.Session != session {
		return
	}
	if _, mp, err := d.monitorParts(); err == nil {
		if err := mp.CancelMonitor(s.token); err != nil && !errors.Is(err, telephony.ErrNoMonitor) {
			d.log.Warn("cancel a monitoring session", "session", session, "error", err)
		}
	}
	d.do(func() {
		if w := d.work.Monitored; w != nil && w.Session == session {
			d.work.Monitored = nil
			d.publish()
		}
	})
}

// monitorEvent follows the phone's monitoring events on the desk
// goroutine and reports them to the hub in the background.
func (d *Desk) monitorEvent(e telephony.Event, at time.Time) {
	if e.Monitor == nil {
		return
	}
	var session string
	mode := e.Monitor.Mode
	if e.Monitor.Supervising {
		s := d.work.Supervision
		if s == nil || s.Ended {
			return
		}
		session = s.Session
		switch e.Kind {
		case telephony.EventMonitorStarted:
			s.Leg, s.Up, s.Mode, s.Since = e.CallID, true, mode, at
		case telephony.EventMonitorMode:
			s.Mode = mode
		case telephony.EventMonitorEnded:
			s.Up, s.Ended, s.Reason = false, true, e.Reason
		default:
			return
		}
	} else {
		m := d.work.Monitored
		if m == nil || (m.CallID != "" && e.Monitor.CallID != "" && m.CallID != e.Monitor.CallID) {
			return
		}
		session = m.Session
		switch e.Kind {
		case telephony.EventMonitorStarted:
			m.Up, m.Mode, m.Since = true, mode, at
		case telephony.EventMonitorMode:
			m.Mode = mode
		case telephony.EventMonitorEnded:
			d.work.Monitored = nil
		default:
			return
		}
	}
	kind := map[telephony.EventKind]string{telephony.EventMonitorStarted: MonitorReportStarted,
		telephony.EventMonitorMode: MonitorReportMode, telephony.EventMonitorEnded: MonitorReportEnded}[e.Kind]
	mh, ok := d.hub.(MonitorHub)
	if d.hub == nil || !ok || session == "" {
		return
	}
	reason := e.Reason
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), monitorTimeout)
		defer cancel()
		if err := mh.ReportMonitor(ctx, session, kind, reason, mode); err != nil {
			d.log.Warn("monitor report to the hub", "session", session, "kind", kind, "error", err)
		}
	}()
}

// SeenCoaching marks the coaching note id seen: it leaves the agent's list.
func (d *Desk) SeenCoaching(id string) error {
	if err := d.st.MarkCoachingSeen(id, d.clock.Now()); err != nil {
		return err
	}
	d.reload()
	return nil
}
