package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

// The hub's side of supervision, through the HTTP API against the real
// PostgreSQL: monitoring sessions, the desk stream that carries them,
// coaching notes and recordings' audio.

// deskEvents follows c's desk stream until the test ends and hands every
// event to the channel it returns.
func deskEvents(t *testing.T, c *upstream.Client) <-chan upstream.DeskEvent {
	t.Helper()
	ch := make(chan upstream.DeskEvent, 64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.FollowDesk(ctx, func(e upstream.DeskEvent) { ch <- e }); err != nil && ctx.Err() == nil {
			t.Errorf("follow desk: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}

// nextDeskEvent waits (at most 10 s) for the next event, which must be of
// kind, and decodes its notice.
func nextDeskEvent(t *testing.T, ch <-chan upstream.DeskEvent, kind string) upstream.MonitorNotice {
	t.Helper()
	select {
	case e := <-ch:
		if e.Kind != kind {
			t.Fatalf("desk event %d is %s (%s), want %s", e.ID, e.Kind, e.Data, kind)
		}
		var n upstream.MonitorNotice
		if kind != upstream.DeskEventCoaching {
			if err := e.Decode(&n); err != nil {
				t.Fatal(err)
			}
		}
		return n
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s event on the desk stream within 10 s", kind)
	}
	return upstream.MonitorNotice{}
}

// noDeskEvent checks that nothing arrives on the desk stream for a while.
func noDeskEvent(t *testing.T, ch <-chan upstream.DeskEvent, what string) {
	t.Helper()
	select {
	case e := <-ch:
		t.Errorf("%s: desk event %s %s arrived", what, e.Kind, e.Data)
	case <-time.After(500 * time.Millisecond):
	}
}

// liveDesk is a desk's client with its own token bound to desk and an
// in-memory store as outbox and inbox, as the desk's sync runs.
func liveDesk(t *testing.T, h *testHub, desk string) (*upstream.Client, *upstreamtest.Desk) {
	t.Helper()
	d := upstreamtest.NewDesk(desk)
	tok := h.token(t, upstream.RoleAgent, "PC "+desk, desk)
	c, err := upstream.NewClient(h.url, tok, d, d, upstream.WithLogger(quiet), upstream.WithDesk(desk),
		upstream.WithStreamBackoff(50*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return c, d
}

// onCall makes desk c report agent number on call callID from extension.
func onCall(t *testing.T, c *upstream.Client, number, extension, callID string) {
	t.Helper()
	now := time.Now()
	st := upstream.AgentStatus{Agent: number, State: "on_call", Since: now, Queue: "4008001234", Extension: extension, CallID: callID, CallSince: now}
	evs := []upstream.CallEvent{
		{Kind: "ringing", CallID: callID, Queue: "4008001234", Direction: "inbound", Caller: "+8613800138000", At: now.Add(-5 * time.Second)},
		{Kind: "answered", CallID: callID, At: now},
	}
	if err := c.Live(context.Background(), st, evs); err != nil {
		t.Fatalf("live report of call %s: %v", callID, err)
	}
}

// board reads the supervisors' board over HTTP.
func (h *testHub) board(t *testing.T, token string) upstream.Board {
	t.Helper()
	code, body := h.call(t, "GET", "/v1/board", token, nil)
	if code != http.StatusOK {
		t.Fatalf("board: %d %s", code, body)
	}
	var b upstream.Board
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// auditOf pages through the whole audit as supervisor c.
func auditOf(t *testing.T, c *upstream.Client) []upstream.AuditEntry {
	t.Helper()
	var out []upstream.AuditEntry
	var after int64
	for {
		p, err := c.Audit(context.Background(), upstream.AuditQuery{AfterID: after, Limit: upstream.MaxAuditPage})
		if err != nil {
			t.Fatalf("audit: %v", err)
		}
		out = append(out, p.Entries...)
		if !p.More {
			return out
		}
		after = p.Next
	}
}

// entries are the audit entries of action on subject.
func entries(all []upstream.AuditEntry, action upstream.AuditAction, subject string) []upstream.AuditEntry {
	var out []upstream.AuditEntry
	for _, e := range all {
		if e.Action == action && (subject == "" || e.Subject == subject) {
			out = append(out, e)
		}
	}
	return out
}

func detailOf(t *testing.T, e upstream.AuditEntry) map[string]any {
	t.Helper()
	var d map[string]any
	if len(e.Detail) > 0 {
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("audit %d detail %s: %v", e.ID, e.Detail, err)
		}
	}
	return d
}

func trailActions(m upstream.MonitorSession) []string {
	var out []string
	for _, s := range m.Trail {
		a := string(s.Action)
		if s.Kind != "" {
			a += ":" + s.Kind
		}
		out = append(out, a)
	}
	return out
}

func boardSession(b upstream.Board, id string) (upstream.MonitorSession, bool) {
	for _, m := range b.Monitors {
		if m.ID == id {
			return m, true
		}
	}
	return upstream.MonitorSession{}, false
}

func TestMonitor_RefusalsSetUpNothingAndAreAudited(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	deskA, deskB := agent.NewID(), agent.NewID()
	a, _ := liveDesk(t, h, deskA)
	b, _ := liveDesk(t, h, deskB)
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	sup := asClient(t, h, supTok)
	trainer := asClient(t, h, h.token(t, upstream.RoleTrainer, "培训师王", ""))
	wall := asClient(t, h, h.token(t, upstream.RoleWallboard, "大厅电视", ""))
	events := deskEvents(t, a)
	onCall(t, a, "8001", "8001", "call-a1@pbx")
	onCall(t, b, "8002", "8002", "call-b1@pbx")

	for _, tt := range []struct {
		name string
		c    *upstream.Client
		role upstream.Role
	}{
		{"agent token", b, upstream.RoleAgent},
		{"trainer token", trainer, upstream.RoleTrainer},
		{"wallboard token", wall, upstream.RoleWallboard},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(entries(auditOf(t, sup), upstream.AuditMonitorRefused, "8001"))
			g, err := tt.c.Monitor(ctx, "8001", upstream.MonitorListen)
			if !errors.Is(err, upstream.ErrWrongRole) || !errors.Is(err, upstream.ErrForbidden) {
				t.Fatalf("monitor as %s = %+v, %v; want ErrWrongRole", tt.role, g, err)
			}
			if g.Token != "" || g.Session != "" {
				t.Errorf("refused grant holds %+v", g)
			}
			if n := h.count(t, "SELECT count(*) FROM monitor_sessions"); n != 0 {
				t.Errorf("%d monitoring sessions after a refusal", n)
			}
			if n := h.count(t, "SELECT count(*) FROM desk_events"); n != 0 {
				t.Errorf("%d desk events after a refusal", n)
			}
			refused := entries(auditOf(t, sup), upstream.AuditMonitorRefused, "8001")
			if len(refused) != before+1 {
				t.Fatalf("monitor.refused entries on 8001 = %d, want %d", len(refused), before+1)
			}
			last := refused[len(refused)-1]
			if last.Role != tt.role || last.SubjectKind != "agent" || detailOf(t, last)["reason"] != "role" {
				t.Errorf("refusal audited as %+v %s, want role %s, reason role", last, last.Detail, tt.role)
			}
		})
	}
	noDeskEvent(t, events, "after refused requests")

	// The other refusals of a supervisor: they too set up nothing.
	for _, tt := range []struct {
		name   string
		agent  string
		mode   upstream.MonitorMode
		want   error
		reason string // the audit's, "" when the request is not audited
	}{
		{"no such agent", "8009", upstream.MonitorListen, upstream.ErrNoLiveCall, "no_live_call"},
		{"invalid mode", "8001", "spy", upstream.ErrInvalid, ""},
		{"empty mode", "8001", "", upstream.ErrInvalid, ""},
		{"no agent", "", upstream.MonitorListen, upstream.ErrInvalid, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(entries(auditOf(t, sup), upstream.AuditMonitorRefused, tt.agent))
			if _, err := sup.Monitor(ctx, tt.agent, tt.mode); !errors.Is(err, tt.want) {
				t.Fatalf("monitor %q %q = %v, want %v", tt.agent, tt.mode, err, tt.want)
			}
			if n := h.count(t, "SELECT count(*) FROM monitor_sessions") + h.count(t, "SELECT count(*) FROM desk_events"); n != 0 {
				t.Errorf("%d sessions and desk events after a refusal", n)
			}
			refused := entries(auditOf(t, sup), upstream.AuditMonitorRefused, tt.agent)
			switch {
			case tt.reason == "" && len(refused) != before:
				t.Errorf("an invalid request was audited as refused: %+v", refused[len(refused)-1])
			case tt.reason != "" && (len(refused) != before+1 || detailOf(t, refused[len(refused)-1])["reason"] != tt.reason):
				t.Errorf("refusals of %q = %+v, want one more with reason %s", tt.agent, refused, tt.reason)
			}
		})
	}

	// An agent whose desk reports no call, and one whose call ended.
	if err := a.Live(ctx, upstream.AgentStatus{Agent: "8001", State: "available", Since: time.Now(), Extension: "8001"},
		[]upstream.CallEvent{{Kind: "ended", CallID: "call-a1@pbx", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	// A desk that still names the ended call in its status (a report that
	// crossed the end) has no live call either.
	if err := b.Live(ctx, upstream.AgentStatus{Agent: "8002", State: "on_call", Since: time.Now(), Extension: "8002", CallID: "call-b1@pbx"},
		[]upstream.CallEvent{{Kind: "ended", CallID: "call-b1@pbx", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"8001", "8002"} {
		if _, err := sup.Monitor(ctx, who, upstream.MonitorBarge); !errors.Is(err, upstream.ErrNoLiveCall) || !errors.Is(err, upstream.ErrConflict) {
			t.Errorf("monitor %s after the call = %v, want ErrNoLiveCall", who, err)
		}
	}
	// A desk that reports a call but no extension cannot be dialled.
	if err := b.Live(ctx, upstream.AgentStatus{Agent: "8002", State: "on_call", Since: time.Now(), CallID: "call-b2@pbx"},
		[]upstream.CallEvent{{Kind: "answered", CallID: "call-b2@pbx", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Monitor(ctx, "8002", upstream.MonitorListen); !errors.Is(err, upstream.ErrNoLiveCall) {
		t.Errorf("monitor 8002 without an extension = %v, want ErrNoLiveCall", err)
	}
	if n := h.count(t, "SELECT count(*) FROM monitor_sessions") + h.count(t, "SELECT count(*) FROM desk_events"); n != 0 {
		t.Errorf("%d sessions and desk events after refusals", n)
	}
	noDeskEvent(t, events, "after refusals")
}

func TestMonitor_SessionThroughTheAPI(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	if _, err := h.db.SetSettings(ctx, agent.CenterSettings{ShowMonitoring: true}); err != nil {
		t.Fatal(err)
	}
	deskA, deskB, deskS := agent.NewID(), agent.NewID(), agent.NewID()
	a, _ := liveDesk(t, h, deskA)
	b, _ := liveDesk(t, h, deskB)
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	sup := asClient(t, h, supTok)
	sup2 := asClient(t, h, h.token(t, upstream.RoleSupervisor, "李主管", ""))
	addAgent(t, h, AgentSpec{Number: "9001", Name: "赵主管", Role: upstream.RoleSupervisor, PIN: "9001-pin-长"})
	sDesk, _ := liveDesk(t, h, deskS)
	signed, err := sDesk.SignIn(ctx, "9001", "9001-pin-长")
	if err != nil {
		t.Fatal(err)
	}
	supSession := asClient(t, h, string(signed.Session))
	events := deskEvents(t, a)
	otherEvents := deskEvents(t, b)
	onCall(t, a, "8001", "8001", "call-1@pbx")

	// The grant.
	began := time.Now()
	g, err := sup.Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if g.Session == "" || len(g.Token) != 43 || g.Agent != "8001" || g.Desk != deskA || g.Extension != "8001" || g.CallID != "call-1@pbx" ||
		g.Mode != upstream.MonitorListen || !g.ShowMonitoring {
		t.Errorf("grant = %+v", g)
	}
	if d := g.Expires.Sub(began); d < upstream.MonitorTokenTTL-5*time.Second || d > upstream.MonitorTokenTTL+time.Second || g.ExpiresIn.Duration() != upstream.MonitorTokenTTL {
		t.Errorf("grant expires in %s (%s), want %s", d, g.ExpiresIn.Duration(), upstream.MonitorTokenTTL)
	}
	n := nextDeskEvent(t, events, upstream.DeskEventMonitor)
	if n.Session != g.Session || n.Token != g.Token || n.CallID != g.CallID || n.Mode != upstream.MonitorListen || n.Supervisor != "张主管" ||
		!n.ShowMonitoring || !n.Expires.Equal(g.Expires) || n.ExpiresIn.Duration() != upstream.MonitorTokenTTL {
		t.Errorf("desk notice = %+v, want the grant's %+v", n, g)
	}
	noDeskEvent(t, otherEvents, "another desk's stream")
	m, err := sup.MonitorSession(ctx, g.Session)
	if err != nil || m.State != upstream.MonitorPending || m.Supervisor != "张主管" || m.Agent != "8001" || m.Desk != deskA {
		t.Errorf("session = %+v, %v; want pending", m, err)
	}

	// One supervisor per call; the same one asking again supersedes.
	if _, err := sup2.Monitor(ctx, "8001", upstream.MonitorBarge); !errors.Is(err, upstream.ErrConflict) || errors.Is(err, upstream.ErrNoLiveCall) {
		t.Errorf("a second supervisor on the call = %v, want ErrConflict", err)
	}
	if _, err := supSession.Monitor(ctx, "8001", upstream.MonitorListen); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("a signed-in supervisor on a monitored call = %v, want ErrConflict", err)
	}
	noDeskEvent(t, events, "after the second supervisor was refused")
	g2, err := sup.Monitor(ctx, "8001", upstream.MonitorWhisper)
	if err != nil {
		t.Fatal(err)
	}
	if end := nextDeskEvent(t, events, upstream.DeskEventMonitorEnd); end.Session != g.Session || end.Token != g.Token || end.Reason != "superseded" {
		t.Errorf("superseded notice = %+v", end)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitor); n.Session != g2.Session || n.Token != g2.Token || n.Token == g.Token || n.Mode != upstream.MonitorWhisper {
		t.Errorf("second notice = %+v, grant %+v", n, g2)
	}
	if old, err := sup.MonitorSession(ctx, g.Session); err != nil || old.State != upstream.MonitorEnded || old.EndReason != "superseded" {
		t.Errorf("superseded session = %+v, %v", old, err)
	}

	// The desks report; only the agent's desk or a supervisor may.
	if _, err := b.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: upstream.MonitorStarted}); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("another desk's report = %v, want ErrForbidden", err)
	}
	if _, err := a.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: "joined"}); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("a report of kind joined = %v, want ErrInvalid", err)
	}
	if _, err := a.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: upstream.MonitorModed}); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("a mode report without its mode = %v, want ErrInvalid", err)
	}
	if _, err := a.ReportMonitor(ctx, "no-such-session", upstream.MonitorReport{Kind: upstream.MonitorStarted}); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("a report on no session = %v, want ErrNotFound", err)
	}
	m, err = a.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: upstream.MonitorStarted, Mode: upstream.MonitorWhisper})
	if err != nil || m.State != upstream.MonitorActive || m.Started.IsZero() {
		t.Fatalf("after the agent's desk reported started: %+v, %v", m, err)
	}
	if m, err = sup.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: upstream.MonitorStarted}); err != nil || m.State != upstream.MonitorActive {
		t.Errorf("the supervisor's report = %+v, %v", m, err)
	}

	// Mode switches: audited and forwarded; refused for other roles.
	if _, err := a.SetMonitorMode(ctx, g2.Session, upstream.MonitorBarge); !errors.Is(err, upstream.ErrWrongRole) {
		t.Errorf("the agent switching the mode = %v, want ErrWrongRole", err)
	}
	if _, err := sup.SetMonitorMode(ctx, g2.Session, "shout"); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("mode shout = %v, want ErrInvalid", err)
	}
	noDeskEvent(t, events, "after refused mode switches")
	m, err = sup.SetMonitorMode(ctx, g2.Session, upstream.MonitorBarge)
	if err != nil || m.Mode != upstream.MonitorBarge || m.State != upstream.MonitorActive {
		t.Fatalf("set mode barge = %+v, %v", m, err)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitorMode); n.Session != g2.Session || n.Mode != upstream.MonitorBarge || n.Token != "" || n.CallID != "call-1@pbx" {
		t.Errorf("mode notice = %+v", n)
	}
	if m, err = a.ReportMonitor(ctx, g2.Session, upstream.MonitorReport{Kind: upstream.MonitorModed, Mode: upstream.MonitorBarge}); err != nil || m.Mode != upstream.MonitorBarge {
		t.Errorf("the desk's mode report = %+v, %v", m, err)
	}

	// The end: refused for the agent, forwarded with the token to forget.
	if _, err := a.EndMonitor(ctx, g2.Session, ""); !errors.Is(err, upstream.ErrWrongRole) {
		t.Errorf("the agent ending the session = %v, want ErrWrongRole", err)
	}
	m, err = sup.EndMonitor(ctx, g2.Session, "")
	if err != nil || m.State != upstream.MonitorEnded || m.EndReason != upstream.EndBySupervisor || m.Ended.IsZero() {
		t.Fatalf("end = %+v, %v", m, err)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitorEnd); n.Session != g2.Session || n.Token != g2.Token || n.Reason != upstream.EndBySupervisor {
		t.Errorf("end notice = %+v", n)
	}
	again, err := sup.EndMonitor(ctx, g2.Session, "twice")
	if err != nil || again.State != upstream.MonitorEnded || again.EndReason != upstream.EndBySupervisor || !again.Ended.Equal(m.Ended) {
		t.Errorf("ending twice = %+v, %v; want the session as it was", again, err)
	}
	noDeskEvent(t, events, "after ending twice")
	if _, err := sup.SetMonitorMode(ctx, g2.Session, upstream.MonitorListen); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("mode of an ended session = %v, want ErrConflict", err)
	}
	// The trail holds the refusals on the session too.
	if want := []string{"monitor.start", "monitor.report:started", "monitor.report:started", "monitor.refused", "monitor.mode", "monitor.report:mode",
		"monitor.refused", "monitor.end"}; !slices.Equal(trailActions(m), want) {
		t.Errorf("trail = %v, want %v", trailActions(m), want)
	}
	ended2 := m

	// A session the supervisor signed in at a desk asked for, ended by the
	// supervisor's desk's report.
	g3, err := supSession.Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitor); n.Session != g3.Session || n.Supervisor != "赵主管" || n.SupervisorNumber != "9001" {
		t.Errorf("notice of the signed-in supervisor = %+v", n)
	}
	if m, err = supSession.ReportMonitor(ctx, g3.Session, upstream.MonitorReport{Kind: upstream.MonitorEndedBy, Reason: "hung up"}); err != nil ||
		m.State != upstream.MonitorEnded || m.EndReason != "hung up" || m.SupervisorNumber != "9001" || m.SupervisorDesk != deskS {
		t.Errorf("after the supervisor's desk reported ended: %+v, %v", m, err)
	}
	// Ended by a report is ended like any other: audited, and the agent's
	// desk forgets the token it was told to expect.
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitorEnd); n.Session != g3.Session || n.Token != g3.Token || n.Reason != "hung up" {
		t.Errorf("end notice after the report = %+v", n)
	}
	if want := []string{"monitor.start", "monitor.report:ended", "monitor.end"}; !slices.Equal(trailActions(m), want) {
		t.Errorf("trail after the report = %v, want %v", trailActions(m), want)
	}

	// A session ends by itself with the call.
	g4, err := sup.Monitor(ctx, "8001", upstream.MonitorBarge)
	if err != nil {
		t.Fatal(err)
	}
	nextDeskEvent(t, events, upstream.DeskEventMonitor)
	if _, err := a.ReportMonitor(ctx, g4.Session, upstream.MonitorReport{Kind: upstream.MonitorStarted}); err != nil {
		t.Fatal(err)
	}
	if err := a.Live(ctx, upstream.AgentStatus{Agent: "8001", State: "wrap_up", Since: time.Now(), Extension: "8001"},
		[]upstream.CallEvent{{Kind: "ended", CallID: "call-1@pbx", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitorEnd); n.Session != g4.Session || n.Reason != upstream.EndCallEnded || n.Token != g4.Token {
		t.Errorf("end-with-the-call notice = %+v", n)
	}
	m4, err := sup.MonitorSession(ctx, g4.Session)
	if err != nil || m4.State != upstream.MonitorEnded || m4.EndReason != upstream.EndCallEnded {
		t.Errorf("session after the call ended = %+v, %v", m4, err)
	}
	if last := m4.Trail[len(m4.Trail)-1]; last.Action != upstream.AuditMonitorEnd || last.Actor != "hub" || last.Reason != upstream.EndCallEnded {
		t.Errorf("last step = %+v, want the hub's end with the call", last)
	}
	if _, err := sup.Monitor(ctx, "8001", upstream.MonitorListen); !errors.Is(err, upstream.ErrNoLiveCall) {
		t.Errorf("monitor after the call = %v, want ErrNoLiveCall", err)
	}
	noDeskEvent(t, otherEvents, "another desk's stream at the end")

	// Every session and every refusal is in the audit…
	all := auditOf(t, sup)
	for _, s := range []string{g.Session, g2.Session, g3.Session, g4.Session} {
		if st := entries(all, upstream.AuditMonitorStart, s); len(st) != 1 || detailOf(t, st[0])["agent"] != "8001" || detailOf(t, st[0])["call_id"] != "call-1@pbx" {
			t.Errorf("monitor.start of %s = %+v", s, st)
		}
		if len(entries(all, upstream.AuditMonitorEnd, s))+len(entries(all, upstream.AuditMonitorReport, s)) == 0 {
			t.Errorf("session %s has no end in the audit", s)
		}
	}
	refused := entries(all, upstream.AuditMonitorRefused, "")
	var reasons []string
	for _, e := range refused {
		reasons = append(reasons, e.Actor+" "+e.SubjectKind+" "+detailOf(t, e)["reason"].(string))
	}
	want := []string{"李主管 agent monitored", "赵主管 agent monitored", "PC " + deskA + " monitor role", "PC " + deskA + " monitor role",
		"张主管 agent no_live_call"}
	if !slices.Equal(reasons, want) {
		t.Errorf("refusals in the audit = %q, want %q", reasons, want)
	}
	// …and on the board, with its trail.
	bd := h.board(t, supTok)
	if bd.Floor.Monitoring != 0 {
		t.Errorf("board counts %d open sessions, want 0", bd.Floor.Monitoring)
	}
	for _, s := range []string{g.Session, g2.Session, g3.Session, g4.Session} {
		bm, ok := boardSession(bd, s)
		if !ok {
			t.Errorf("session %s is not on the board (%d there)", s, len(bd.Monitors))
			continue
		}
		if bm.State != upstream.MonitorEnded || len(bm.Trail) < 2 || bm.Trail[0].Action != upstream.AuditMonitorStart {
			t.Errorf("board's session %s = %+v", s, bm)
		}
	}
	if bm, _ := boardSession(bd, g2.Session); !slices.Equal(trailActions(bm), trailActions(ended2)) {
		t.Errorf("board's trail %v, the session's %v", trailActions(bm), trailActions(ended2))
	}
}

// A session open on the board counts as monitoring, and the wallboard's
// view of the same board holds nothing of it.
func TestMonitor_OpenSessionOnTheBoard(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	a, _ := liveDesk(t, h, agent.NewID())
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	wallTok := h.token(t, upstream.RoleWallboard, "大厅电视", "")
	onCall(t, a, "8001", "8001", "call-9@pbx")
	g, err := asClient(t, h, supTok).Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	bd := h.board(t, supTok)
	if m, ok := boardSession(bd, g.Session); !ok || m.State != upstream.MonitorPending || bd.Floor.Monitoring != 1 {
		t.Errorf("board: session %+v (on it: %v), monitoring %d", m, ok, bd.Floor.Monitoring)
	}
	code, body := h.call(t, "GET", "/v1/board", wallTok, nil)
	if code != http.StatusOK || strings.Contains(string(body), g.Session) || strings.Contains(string(body), string(g.Token)) {
		t.Errorf("wallboard's board %d holds the session: %s", code, body)
	}
	if strings.Contains(string(body), string(g.Token)) || strings.Contains(boardBody(t, h, supTok), string(g.Token)) {
		t.Error("a board holds the monitor token")
	}
}

func boardBody(t *testing.T, h *testHub, token string) string {
	t.Helper()
	_, b := h.call(t, "GET", "/v1/board", token, nil)
	return string(b)
}

// pushCall pushes desk d's call record (agent number, SIP Call-ID) and,
// when recording is set, the call's recording record.
func pushCall(t *testing.T, c *upstream.Client, d *upstreamtest.Desk, number, callID, recording string) (callRecord string) {
	t.Helper()
	callRecord = agent.NewID()
	at := time.Now().Add(-3 * time.Minute)
	d.Put(agent.KindCall, callRecord, 1, at, &agent.Call{Meta: agent.Meta{ID: callRecord, Version: 1, Desk: d.ID, CreatedAt: at, UpdatedAt: at},
		CallID: callID, At: at, Number: "+8613800138000", Agent: number, Direction: agent.Inbound, Answered: true, EndedAt: at.Add(2 * time.Minute)})
	if recording != "" {
		d.Put(agent.KindRecording, recording, 1, at, &agent.Recording{Meta: agent.Meta{ID: recording, Version: 1, Desk: d.ID, CreatedAt: at, UpdatedAt: at},
			CallID: callID, Agent: number, File: recording + ".wav", Started: at, Duration: 2 * time.Minute, Channels: 1})
	}
	if err := c.Drain(context.Background()); err != nil {
		t.Fatalf("push call %s: %v", callID, err)
	}
	return callRecord
}

func TestCoaching_NoteOnACallReachesTheAgent(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "8001-pin-娜"})
	deskA, deskB := agent.NewID(), agent.NewID()
	a, da := liveDesk(t, h, deskA)
	b, db := liveDesk(t, h, deskB)
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	sup := asClient(t, h, supTok)
	events := deskEvents(t, a)
	otherEvents := deskEvents(t, b)
	onCall(t, a, "8001", "8001", "call-c1@pbx")
	onCall(t, b, "8002", "8002", "call-c2@pbx")
	recID := agent.NewID()
	callRec := pushCall(t, a, da, "8001", "call-c1@pbx", recID)

	// Refused for every role but supervisor; nothing filed.
	for _, c := range []*upstream.Client{a, asClient(t, h, h.token(t, upstream.RoleTrainer, "培训师王", "")), asClient(t, h, h.token(t, upstream.RoleWallboard, "电视", ""))} {
		if _, err := c.AddCoaching(ctx, agent.CoachingNote{CallID: "call-c1@pbx", Text: "自己给自己写"}); !errors.Is(err, upstream.ErrWrongRole) {
			t.Errorf("a non-supervisor's note = %v, want ErrWrongRole", err)
		}
	}
	// Bad notes; nothing filed.
	long := strings.Repeat("话", agent.MaxCoachingText/3+1)
	for _, tt := range []struct {
		name string
		n    agent.CoachingNote
		want error
	}{
		{"no call", agent.CoachingNote{Agent: "8001", Text: "开场白要先报工号"}, upstream.ErrInvalid},
		{"no text", agent.CoachingNote{CallID: "call-c1@pbx"}, upstream.ErrInvalid},
		{"blank text", agent.CoachingNote{CallID: "call-c1@pbx", Text: "  \n "}, upstream.ErrInvalid},
		{"text too long", agent.CoachingNote{CallID: "call-c1@pbx", Text: long}, upstream.ErrInvalid},
		{"unknown call, no agent", agent.CoachingNote{CallID: "call-nowhere@pbx", Text: "开场白要先报工号"}, upstream.ErrNotFound},
		{"unknown call record", agent.CoachingNote{CallRecord: agent.NewID(), Text: "开场白要先报工号"}, upstream.ErrNotFound},
		{"control character in the agent", agent.CoachingNote{Agent: "80\x0101", CallID: "call-c1@pbx", Text: "x"}, upstream.ErrInvalid},
	} {
		if _, err := sup.AddCoaching(ctx, tt.n); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := h.count(t, "SELECT count(*) FROM records WHERE kind = 'coaching'") + h.count(t, "SELECT count(*) FROM desk_events"); n != 0 {
		t.Fatalf("%d notes and desk events after refusals", n)
	}
	noDeskEvent(t, events, "after refused notes")

	// By Call-ID: the hub fills in the agent, the call record and the
	// recording, and the author from the token.
	r, err := sup.AddCoaching(ctx, agent.CoachingNote{CallID: "call-c1@pbx", Text: "开场白要先报工号，结束前复述客户的诉求。"})
	if err != nil {
		t.Fatal(err)
	}
	var n agent.CoachingNote
	if err := json.Unmarshal(r.Body, &n); err != nil {
		t.Fatal(err)
	}
	if r.Kind != agent.KindCoaching || r.ID == "" || r.Version != 1 || r.Seq == 0 || n.ID != r.ID || n.Agent != "8001" || n.CallID != "call-c1@pbx" ||
		n.CallRecord != callRec || n.Recording != recID || n.By != "张主管" || n.At.IsZero() || n.Desk != upstream.HubDesk {
		t.Errorf("filed note = %+v / %+v", r, n)
	}
	select {
	case e := <-events:
		var cn upstream.CoachingNotice
		if e.Kind != upstream.DeskEventCoaching || e.Decode(&cn) != nil || cn.ID != r.ID || cn.Agent != "8001" || cn.CallID != "call-c1@pbx" || cn.By != "张主管" {
			t.Errorf("desk event %s %s, want the note's notice", e.Kind, e.Data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent's desk was not told of the note")
	}
	noDeskEvent(t, otherEvents, "another agent's desk")
	if au := entries(auditOf(t, sup), upstream.AuditCoachingAdd, r.ID); len(au) != 1 || detailOf(t, au[0])["call_id"] != "call-c1@pbx" {
		t.Errorf("coaching.add audit = %+v", au)
	}
	// The same ID again is a conflict.
	if _, err := sup.AddCoaching(ctx, agent.CoachingNote{Meta: agent.Meta{ID: r.ID}, CallID: "call-c1@pbx", Text: "再来一次"}); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("a note with a taken ID = %v, want ErrConflict", err)
	}
	// By call record, and for an agent the hub has no call of.
	if _, err := sup.AddCoaching(ctx, agent.CoachingNote{CallRecord: callRec, Text: "语速可以再慢一点。"}); err != nil {
		t.Errorf("note by call record: %v", err)
	}
	nextDeskEvent(t, events, upstream.DeskEventCoaching)
	r3, err := sup.AddCoaching(ctx, agent.CoachingNote{Agent: "8002", CallID: "call-c2@pbx", Text: "记得填写来电类型。"})
	if err != nil {
		t.Fatal(err)
	}
	nextDeskEvent(t, otherEvents, upstream.DeskEventCoaching)

	// Pulling: the desk's own token only while the agent is signed in
	// there; the agent's session its own notes.
	if err := a.PullCoaching(ctx, "8001"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("the desk's pull with nobody signed in = %v, want ErrForbidden", err)
	}
	res, err := a.SignIn(ctx, "8001", "8001-pin-娜")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.PullCoaching(ctx, "8001"); err != nil {
		t.Fatalf("the desk's pull with 8001 signed in: %v", err)
	}
	if da.Record(agent.KindCoaching, r.ID) == nil {
		t.Error("the desk's pull did not bring the note")
	}
	if da.Record(agent.KindCoaching, r3.ID) != nil {
		t.Error("the desk's pull brought another agent's note")
	}
	if err := a.PullCoaching(ctx, "8002"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("the desk pulling an agent not signed in there = %v, want ErrForbidden", err)
	}
	sd := upstreamtest.NewDesk(deskA)
	sess, err := upstream.NewClient(h.url, string(res.Session), sd, sd, upstream.WithLogger(quiet), upstream.WithDesk(deskA), upstream.WithCoachingPull(), upstream.WithAgents(func() []string { return []string{"8001"} }))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.PullCoaching(ctx, "8001"); err != nil {
		t.Fatal(err)
	}
	var got agent.CoachingNote
	if body := sd.Record(agent.KindCoaching, r.ID); body == nil || json.Unmarshal(body, &got) != nil || got.Text != n.Text {
		t.Errorf("the session's pull: %s", body)
	}
	if err := sess.PullCoaching(ctx, "8002"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("a session pulling another agent's notes = %v, want ErrForbidden", err)
	}
	// A sync round with WithCoachingPull brings them too.
	sd2 := upstreamtest.NewDesk(deskA)
	round, err := upstream.NewClient(h.url, string(res.Session), sd2, sd2, upstream.WithLogger(quiet), upstream.WithDesk(deskA), upstream.WithCoachingPull(), upstream.WithAgents(func() []string { return []string{"8001"} }))
	if err != nil {
		t.Fatal(err)
	}
	if err := round.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if st := round.Status(); st.PulledCoaching != 2 || sd2.Record(agent.KindCoaching, r.ID) == nil {
		t.Errorf("a sync round pulled %d notes, want 2", st.PulledCoaching)
	}
	_ = db
}

// wav is a PCM WAV file of n 16-bit mono 8 kHz samples.
func wav(n int, seed byte) []byte {
	data := make([]byte, 2*n)
	for i := range data {
		data[i] = byte(i) ^ seed
	}
	h := make([]byte, 44)
	copy(h, "RIFF")
	le32(h[4:], uint32(36+len(data)))
	copy(h[8:], "WAVEfmt ")
	le32(h[16:], 16)
	h[20], h[22] = 1, 1 // PCM, mono
	le32(h[24:], 8000)
	le32(h[28:], 16000)
	h[32], h[34] = 2, 16
	copy(h[36:], "data")
	le32(h[40:], uint32(len(data)))
	return append(h, data...)
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }

// firstWrite calls check before the first byte it takes.
type firstWrite struct {
	bytes.Buffer
	check func()
}

func (w *firstWrite) Write(p []byte) (int, error) {
	if w.check != nil {
		w.check()
		w.check = nil
	}
	return w.Buffer.Write(p)
}

func TestRecordingAudio_UploadAndFetch(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	deskA, deskB := agent.NewID(), agent.NewID()
	a, da := liveDesk(t, h, deskA)
	b, _ := liveDesk(t, h, deskB)
	sup := asClient(t, h, h.token(t, upstream.RoleSupervisor, "张主管", ""))
	recID := agent.NewID()
	pushCall(t, a, da, "8001", "call-r1@pbx", recID)
	audio := wav(8000, 0) // one second

	for _, tt := range []struct {
		name string
		c    *upstream.Client
		id   string
		body []byte
		want error
	}{
		{"cut short", a, recID, audio[:len(audio)-100], upstream.ErrInvalid},
		{"cut inside the header", a, recID, audio[:30], upstream.ErrInvalid},
		{"not a WAV file", a, recID, []byte(strings.Repeat("这不是录音文件", 200)), upstream.ErrInvalid},
		{"empty", a, recID, nil, upstream.ErrInvalid},
		{"bytes after the end", a, recID, append(slices.Clone(audio), 1, 2, 3, 4), upstream.ErrInvalid},
		{"another desk's recording", b, recID, audio, upstream.ErrForbidden},
		{"no record yet", a, agent.NewID(), audio, upstream.ErrNotFound},
		{"a supervisor uploading", sup, recID, audio, upstream.ErrForbidden},
	} {
		if _, err := tt.c.UploadRecording(ctx, tt.id, bytes.NewReader(tt.body)); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
		if n := h.count(t, "SELECT count(*) FROM recording_audio") + h.count(t, "SELECT count(*) FROM pg_largeobject_metadata"); n != 0 {
			t.Fatalf("%s: %d rows and large objects kept", tt.name, n)
		}
	}
	if _, err := sup.FetchRecording(ctx, recID, io.Discard); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("fetch before the upload = %v, want ErrNotFound", err)
	}

	up, err := a.UploadRecording(ctx, recID, bytes.NewReader(audio))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(audio)
	if up.ID != recID || up.Desk != deskA || up.CallID != "call-r1@pbx" || up.Size != int64(len(audio)) || up.SHA256 != hex.EncodeToString(sum[:]) ||
		up.Format.SampleRate != 8000 || up.Format.Channels != 1 || up.Seconds != 1 || up.UploadedBy != "PC "+deskA {
		t.Errorf("uploaded = %+v", up)
	}
	again, err := a.UploadRecording(ctx, recID, bytes.NewReader(audio))
	if err != nil || again.SHA256 != up.SHA256 || !again.Uploaded.Equal(up.Uploaded) {
		t.Errorf("the same audio again = %+v, %v; want the first upload", again, err)
	}
	if _, err := a.UploadRecording(ctx, recID, bytes.NewReader(wav(8000, 7))); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("other audio = %v, want ErrConflict", err)
	}
	if n := h.count(t, "SELECT count(*) FROM pg_largeobject_metadata"); n != 1 {
		t.Errorf("%d large objects, want 1", n)
	}

	// A supervisor fetches it, audited before the first byte.
	w := &firstWrite{check: func() {
		if n := h.count(t, "SELECT count(*) FROM audit WHERE action = 'recording.read' AND subject = $1", recID); n != 1 {
			t.Errorf("%d recording.read entries when the first byte arrived, want 1", n)
		}
	}}
	got, err := sup.FetchRecording(ctx, recID, w)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), audio) || got.Size != int64(len(audio)) || got.SHA256 != up.SHA256 {
		t.Errorf("fetched %d bytes (%+v), want the upload's %d", w.Len(), got, len(audio))
	}
	// Every other role is refused, and the refusal audited.
	for _, c := range []*upstream.Client{a, asClient(t, h, h.token(t, upstream.RoleTrainer, "培训师王", "")), asClient(t, h, h.token(t, upstream.RoleWallboard, "电视", ""))} {
		var out bytes.Buffer
		if _, err := c.FetchRecording(ctx, recID, &out); !errors.Is(err, upstream.ErrWrongRole) || out.Len() != 0 {
			t.Errorf("a non-supervisor's fetch = %v with %d bytes, want ErrWrongRole", err, out.Len())
		}
	}
	all := auditOf(t, sup)
	if n := len(entries(all, upstream.AuditRecordingRead, recID)); n != 1 {
		t.Errorf("%d recording.read entries, want 1", n)
	}
	var refusedRoles []upstream.Role
	for _, e := range entries(all, upstream.AuditRecordingRefused, recID) {
		refusedRoles = append(refusedRoles, e.Role)
	}
	if !slices.Equal(refusedRoles, []upstream.Role{upstream.RoleAgent, upstream.RoleTrainer, upstream.RoleWallboard}) {
		t.Errorf("refused fetches audited for %v", refusedRoles)
	}
	if n := len(entries(all, upstream.AuditRecordingUpload, recID)); n != 1 {
		t.Errorf("%d recording.upload entries, want 1", n)
	}
}

// A desk that opens its stream after a notice was made still gets it (the
// replay), a stream resumed after an event gets only what followed, and a
// token that is no desk's is refused at once.
func TestDeskStream_ReplayResumeAndRefusal(t *testing.T) {
	h := startHub(t, "", []Option{WithHubKey(bytes.Repeat([]byte{9}, HubKeySize))})
	ctx := context.Background()
	deskA := agent.NewID()
	a, _ := liveDesk(t, h, deskA)
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	sup := asClient(t, h, supTok)
	onCall(t, a, "8001", "8001", "call-s1@pbx")
	g, err := sup.Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sup.SetMonitorMode(ctx, g.Session, upstream.MonitorWhisper); err != nil {
		t.Fatal(err)
	}

	// Opened afterwards: both events, in order. The read ends with ctx.
	read := func(after int64) ([]upstream.DeskEvent, int64) {
		t.Helper()
		var got []upstream.DeskEvent
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		last, err := a.DeskStream(rctx, after, func(e upstream.DeskEvent) { got = append(got, e) })
		if err == nil {
			t.Error("DeskStream returned a nil error")
		}
		return got, last
	}
	got, last := read(0)
	if len(got) != 2 || got[0].Kind != upstream.DeskEventMonitor || got[1].Kind != upstream.DeskEventMonitorMode || last != got[1].ID || got[0].ID >= got[1].ID {
		t.Fatalf("replayed %+v (last %d), want the notice and the mode", got, last)
	}
	var n upstream.MonitorNotice
	if err := got[0].Decode(&n); err != nil || n.Token != g.Token {
		t.Errorf("replayed notice %+v, %v", n, err)
	}
	if _, err := sup.EndMonitor(ctx, g.Session, "够了"); err != nil {
		t.Fatal(err)
	}
	got, last2 := read(last)
	if len(got) != 1 || got[0].Kind != upstream.DeskEventMonitorEnd || last2 <= last {
		t.Errorf("resumed after %d: %+v", last, got)
	}
	if got, _ := read(last2); len(got) != 0 {
		t.Errorf("resumed after the last: %+v", got)
	}
	// Sealed at rest under the hub key: the token is in no table.
	for _, q := range []string{`SELECT string_agg(body, '') FROM desk_events`, `SELECT string_agg(token, '') FROM monitor_sessions`} {
		var raw []byte
		if err := h.db.pool.QueryRow(ctx, q).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || strings.Contains(string(raw), string(g.Token)) {
			t.Errorf("%s: %d bytes, the monitor token in the clear: %v", q, len(raw), strings.Contains(string(raw), string(g.Token)))
		}
	}

	// Refused: a supervisor's token (no desk's), an agent token bound to no
	// desk yet; FollowDesk gives up at once.
	for _, tok := range []string{supTok, h.token(t, upstream.RoleAgent, "新电脑", "")} {
		c := asClient(t, h, tok)
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.FollowDesk(fctx, func(upstream.DeskEvent) {})
		cancel()
		if !errors.Is(err, upstream.ErrForbidden) {
			t.Errorf("follow desk with a token that is no desk's = %v, want ErrForbidden", err)
		}
	}
}

// A token not used within its time leaves the session expired: another
// supervisor may then monitor the call.
func TestMonitor_TokenExpires(t *testing.T) {
	clk := newStepClock()
	h := startHub(t, "", []Option{WithClock(clk)})
	ctx := context.Background()
	a, _ := liveDesk(t, h, agent.NewID())
	sup := asClient(t, h, h.token(t, upstream.RoleSupervisor, "张主管", ""))
	sup2 := asClient(t, h, h.token(t, upstream.RoleSupervisor, "李主管", ""))
	onCall(t, a, "8001", "8001", "call-e1@pbx")
	g, err := sup.Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sup2.Monitor(ctx, "8001", upstream.MonitorListen); !errors.Is(err, upstream.ErrConflict) {
		t.Fatalf("a second supervisor within the token's time = %v, want ErrConflict", err)
	}
	clk.Add(upstream.MonitorTokenTTL + time.Second)
	onCall(t, a, "8001", "8001", "call-e1@pbx") // the desk still reports the call
	m, err := sup.MonitorSession(ctx, g.Session)
	if err != nil || m.State != upstream.MonitorExpired {
		t.Errorf("session after its token's time = %+v, %v; want expired", m, err)
	}
	g2, err := sup2.Monitor(ctx, "8001", upstream.MonitorBarge)
	if err != nil {
		t.Fatalf("another supervisor after the token expired: %v", err)
	}
	if g2.Session == g.Session || g2.Token == g.Token {
		t.Errorf("the new grant reuses the old session: %+v", g2)
	}
	if end, err := sup.EndMonitor(ctx, g.Session, ""); err != nil || end.State != upstream.MonitorExpired {
		t.Errorf("ending an expired session = %+v, %v; want it as it is", end, err)
	}
}

// Audio over the hub's limit is refused whether its length is known ahead
// or not, and nothing is kept.
func TestRecordingAudio_OverTheLimit(t *testing.T) {
	h := startHub(t, "", nil, upstream.WithRecordingLimit(4000))
	ctx := context.Background()
	a, da := liveDesk(t, h, agent.NewID())
	recID := agent.NewID()
	pushCall(t, a, da, "8001", "call-big@pbx", recID)
	big := wav(4000, 0)
	for _, tt := range []struct {
		name string
		r    io.Reader
	}{
		{"length given", bytes.NewReader(big)},
		{"chunked", io.MultiReader(bytes.NewReader(big))},
	} {
		if _, err := a.UploadRecording(ctx, recID, tt.r); !errors.Is(err, upstream.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid (413)", tt.name, err)
		}
	}
	if n := h.count(t, "SELECT count(*) FROM recording_audio") + h.count(t, "SELECT count(*) FROM pg_largeobject_metadata"); n != 0 {
		t.Errorf("%d rows and large objects kept", n)
	}
	if _, err := a.UploadRecording(ctx, recID, bytes.NewReader(wav(1000, 0))); err != nil {
		t.Errorf("audio within the limit: %v", err)
	}
}

// Supervisors asking for the same call at the same instant: one gets it,
// the others are refused, and the agent's desk hears of one session.
func TestMonitor_RaceForOneCall(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	a, _ := liveDesk(t, h, agent.NewID())
	onCall(t, a, "8001", "8001", "call-race@pbx")
	const n = 6
	sups := make([]*upstream.Client, n)
	for i := range sups {
		sups[i] = asClient(t, h, h.token(t, upstream.RoleSupervisor, "主管"+string(rune('甲'+i)), ""))
	}
	errs := make(chan error, n)
	start := make(chan struct{})
	for _, s := range sups {
		go func() {
			<-start
			_, err := s.Monitor(ctx, "8001", upstream.MonitorListen)
			errs <- err
		}()
	}
	close(start)
	granted, refused := 0, 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			granted++
		case errors.Is(err, upstream.ErrConflict) && !errors.Is(err, upstream.ErrNoLiveCall):
			refused++
		default:
			t.Errorf("monitor: %v", err)
		}
	}
	if granted != 1 || refused != n-1 {
		t.Errorf("%d granted, %d refused; want 1 and %d", granted, refused, n-1)
	}
	if s, e := h.count(t, "SELECT count(*) FROM monitor_sessions"), h.count(t, "SELECT count(*) FROM desk_events"); s != 1 || e != 1 {
		t.Errorf("%d sessions and %d desk events, want 1 each", s, e)
	}
}

// A session whose call's "ended" event never came (the agent's desk
// crashed or restarted) ends when the desk next reports no call, or
// another one: it does not stay on the board for ever.
func TestMonitor_EndsWhenTheDeskReportsAnotherCall(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	a, _ := liveDesk(t, h, agent.NewID())
	events := deskEvents(t, a)
	sup := asClient(t, h, h.token(t, upstream.RoleSupervisor, "张主管", ""))
	onCall(t, a, "8001", "8001", "call-lost@pbx")
	g, err := sup.Monitor(ctx, "8001", upstream.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	nextDeskEvent(t, events, upstream.DeskEventMonitor)
	if _, err := a.ReportMonitor(ctx, g.Session, upstream.MonitorReport{Kind: upstream.MonitorStarted}); err != nil {
		t.Fatal(err)
	}
	// Still on the call: the session stays.
	if err := a.Live(ctx, upstream.AgentStatus{Agent: "8001", State: "on_call", Since: time.Now(), Extension: "8001", CallID: "call-lost@pbx", CallSince: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := sup.MonitorSession(ctx, g.Session); err != nil || m.State != upstream.MonitorActive {
		t.Fatalf("on the same call: %+v, %v", m, err)
	}
	// The desk restarted and reports being ready, with no event of the call's end.
	if err := a.Live(ctx, upstream.AgentStatus{Agent: "8001", State: "available", Since: time.Now(), Extension: "8001"}, nil); err != nil {
		t.Fatal(err)
	}
	if n := nextDeskEvent(t, events, upstream.DeskEventMonitorEnd); n.Session != g.Session || n.Reason != upstream.EndCallEnded {
		t.Errorf("end notice = %+v", n)
	}
	m, err := sup.MonitorSession(ctx, g.Session)
	if err != nil || m.State != upstream.MonitorEnded || m.EndReason != upstream.EndCallEnded {
		t.Errorf("session after the desk reported no call = %+v, %v", m, err)
	}
	if bd := h.board(t, h.token(t, upstream.RoleSupervisor, "李主管", "")); bd.Floor.Monitoring != 0 {
		t.Errorf("the board still counts %d sessions open", bd.Floor.Monitoring)
	}
}
