package hublink

import (
	"context"
	"errors"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/upstream"
	"agentdesk/telephony"
)

// The link's side of supervision: the hub's monitoring API for the
// supervisor's desk (desk.MonitorHub), and the desk's own event stream,
// which tells the agent's desk of sessions to expect and of coaching notes
// to pull.

var _ desk.MonitorHub = (*Link)(nil)

// modeOf and phoneMode convert between the hub's and the phone's names.
func modeOf(m telephony.MonitorMode) upstream.MonitorMode { return upstream.MonitorMode(m.String()) }

func phoneMode(m upstream.MonitorMode) telephony.MonitorMode {
	pm, err := telephony.ParseMonitorMode(string(m))
	if err != nil {
		return telephony.MonitorListen
	}
	return pm
}

// expiresOf is a hub instant on the desk's clock: the span the hub gave,
// from now, when it gave one (the desk's clock may be off).
func expiresOf(at time.Time, in upstream.Seconds) time.Time {
	if in > 0 {
		return time.Now().Add(in.Duration())
	}
	return at
}

// Monitor implements desk.MonitorHub.
func (l *Link) Monitor(ctx context.Context, agentNumber string, mode telephony.MonitorMode) (desk.MonitorGrant, error) {
	g, err := l.c.Monitor(ctx, agentNumber, modeOf(mode))
	if err != nil {
		return desk.MonitorGrant{}, monitorErr(err)
	}
	return desk.MonitorGrant{Session: g.Session, Token: string(g.Token), Extension: g.Extension, Agent: g.Agent,
		CallID: g.CallID, Mode: phoneMode(g.Mode), Expires: expiresOf(g.Expires, g.ExpiresIn), Show: g.ShowMonitoring}, nil
}

// SetMonitorMode implements desk.MonitorHub.
func (l *Link) SetMonitorMode(ctx context.Context, session string, mode telephony.MonitorMode) error {
	_, err := l.c.SetMonitorMode(ctx, session, modeOf(mode))
	return monitorErr(err)
}

// EndMonitor implements desk.MonitorHub.
func (l *Link) EndMonitor(ctx context.Context, session, reason string) error {
	_, err := l.c.EndMonitor(ctx, session, reason)
	return monitorErr(err)
}

// ReportMonitor implements desk.MonitorHub.
func (l *Link) ReportMonitor(ctx context.Context, session, kind, reason string, mode telephony.MonitorMode) error {
	r := upstream.MonitorReport{Kind: kind, Reason: reason}
	if mode.Valid() {
		r.Mode = modeOf(mode)
	}
	_, err := l.c.ReportMonitor(ctx, session, r)
	return monitorErr(err)
}

// AddCoaching implements desk.MonitorHub.
func (l *Link) AddCoaching(ctx context.Context, n agent.CoachingNote) error {
	_, err := l.c.AddCoaching(ctx, n)
	return monitorErr(err)
}

// monitorErr maps the client's refusals of supervision to the desk's.
func monitorErr(err error) error {
	var he *upstream.HTTPError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &he):
		return &desk.HubError{Err: desk.ErrHubUnreachable, Detail: err.Error()}
	case errors.Is(err, upstream.ErrNoLiveCall):
		return &desk.HubError{Err: desk.ErrHubNoLiveCall, Detail: he.Msg}
	case errors.Is(err, upstream.ErrConflict) && he.Status == 409:
		return &desk.HubError{Err: desk.ErrHubMonitored, Detail: he.Msg}
	}
	return hubErr(err)
}

// deskStreamRetry is how long the link waits before asking again for a
// desk stream the hub refused because the token is bound to no desk yet
// (it is at the first push, moments after the start).
const deskStreamRetry = 2 * time.Second

// followDesk keeps the desk's own event stream open: sessions the agent's
// desk is to expect and end, coaching notes to pull. A token whose role has
// no desk stream (a supervisor's, a trainer's) stops it quietly; a desk
// token not bound to this desk yet is tried again until it is.
func (l *Link) followDesk(ctx context.Context) {
	for {
		err := l.c.FollowDesk(ctx, func(e upstream.DeskEvent) { l.deskEvent(ctx, e) })
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, upstream.ErrWrongRole):
			l.log.Debug("no desk stream for this token's role", "error", err)
			return
		case errors.Is(err, upstream.ErrUnauthorized):
			l.log.Warn("desk stream refused: supervisors cannot join this desk's calls", "error", err)
			return
		}
		l.log.Debug("desk stream not open yet", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(deskStreamRetry):
		}
	}
}

// deskEvent handles one event of the desk's stream.
func (l *Link) deskEvent(ctx context.Context, e upstream.DeskEvent) {
	switch e.Kind {
	case upstream.DeskEventMonitor, upstream.DeskEventMonitorEnd:
		var n upstream.MonitorNotice
		if err := e.Decode(&n); err != nil {
			l.log.Warn("desk event", "error", err)
			return
		}
		// Off the stream's goroutine: the phone and the desk take their time.
		go l.monitorNotice(e.Kind, n)
	case upstream.DeskEventCoaching:
		// Pulled now rather than at the next round.
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := l.c.PullCoaching(ctx, l.me); err != nil {
				l.log.Debug("pull coaching notes", "error", err)
			}
		}()
	}
}

func (l *Link) monitorNotice(kind string, n upstream.MonitorNotice) {
	if kind == upstream.DeskEventMonitorEnd {
		l.d.Unexpect(n.Session)
		return
	}
	err := l.d.Expect(desk.MonitorNotice{Session: n.Session, Token: string(n.Token), CallID: n.CallID,
		Mode: phoneMode(n.Mode), Expires: expiresOf(n.Expires, n.ExpiresIn), Show: n.ShowMonitoring})
	if err != nil {
		l.log.Warn("a supervisor's session not taken", "session", n.Session, "error", err)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, rerr := l.c.ReportMonitor(ctx, n.Session, upstream.MonitorReport{Kind: upstream.MonitorEndedBy, Reason: "agent_desk_refused"}); rerr != nil {
			l.log.Debug("report a session not taken", "error", rerr)
		}
	}
}
