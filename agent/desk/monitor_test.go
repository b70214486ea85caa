package desk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/telephony"
)

// monitorHub is a fakeHub that grants monitoring and records the rest.
type monitorHub struct {
	fakeHub
	mu      sync.Mutex
	log     []string
	refuse  error
	expires time.Time
}

func (m *monitorHub) note(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = append(m.log, s)
}

func (m *monitorHub) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

func (m *monitorHub) Monitor(_ context.Context, who string, mode telephony.MonitorMode) (MonitorGrant, error) {
	m.note("monitor " + who + " " + mode.String())
	if m.refuse != nil {
		return MonitorGrant{}, m.refuse
	}
	return MonitorGrant{Session: "s1", Token: "tok-0123456789abcdef", Extension: "1001", Agent: who, CallID: "agent-call",
		Mode: mode, Expires: m.expires, Show: true}, nil
}
func (m *monitorHub) SetMonitorMode(_ context.Context, s string, mode telephony.MonitorMode) error {
	m.note("mode " + s + " " + mode.String())
	return nil
}
func (m *monitorHub) EndMonitor(_ context.Context, s, reason string) error {
	m.note("end " + s + " " + reason)
	return nil
}
func (m *monitorHub) ReportMonitor(_ context.Context, s, kind, reason string, mode telephony.MonitorMode) error {
	m.note("report " + s + " " + kind)
	return nil
}
func (m *monitorHub) AddCoaching(_ context.Context, n agent.CoachingNote) error {
	m.note(fmt.Sprintf("coaching %s %s %s", n.Agent, n.CallID, n.Text))
	return nil
}

// monitorPhone is a fakePhone with monitoring: its dials are refused
// `refusals` times (the agent's desk not told yet), then answered.
type monitorPhone struct {
	fakePhone
	refusals int
	expected map[string]string // token → call
}

func (p *monitorPhone) ExpectMonitor(token, callID string, mode telephony.MonitorMode, _ time.Time) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.expected == nil {
		p.expected = map[string]string{}
	}
	p.expected[token] = callID
	return nil
}
func (p *monitorPhone) CancelMonitor(token string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.expected[token]; !ok {
		return telephony.ErrNoMonitor
	}
	delete(p.expected, token)
	return nil
}
func (p *monitorPhone) DialMonitor(_ context.Context, ext, token string, mode telephony.MonitorMode) (string, error) {
	p.mu.Lock()
	if p.refusals > 0 {
		p.refusals--
		p.mu.Unlock()
		return "", &telephony.MonitorError{Extension: ext, Status: 403}
	}
	p.mu.Unlock()
	p.d.Emit(telephony.Event{Kind: telephony.EventMonitorStarted, CallID: "leg-1",
		Monitor: &telephony.Monitoring{Supervising: true, Mode: mode, Peer: ext}})
	return "leg-1", p.rec("dial monitor " + ext + " " + mode.String())
}
func (p *monitorPhone) SetMonitorMode(leg string, mode telephony.MonitorMode) error {
	p.d.Emit(telephony.Event{Kind: telephony.EventMonitorMode, CallID: leg,
		Monitor: &telephony.Monitoring{Supervising: true, Mode: mode}})
	return p.rec("set mode " + leg + " " + mode.String())
}
func (p *monitorPhone) Hangup(id string) error {
	p.d.Emit(telephony.Event{Kind: telephony.EventMonitorEnded, CallID: id, Reason: "hung up",
		Monitor: &telephony.Monitoring{Supervising: true}})
	return p.rec("hangup " + id)
}

// The supervisor's side: the grant, the dial tried again while the
// agent's desk is not told yet, the mode switched by SIP and told to the
// hub, the end, then a coaching note for the session's agent and call.
func TestDesk_Supervise(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
	hub := &monitorHub{expires: time.Now().Add(time.Minute)}
	h := newHarness(t, at, Options{Hub: hub, Config: Config{AgentNumber: "9001"}})
	ph := &monitorPhone{fakePhone: fakePhone{d: h.d}, refusals: 2}
	h.d.SetPhone(ph)

	sv, err := h.d.Monitor(ctx, "1001", telephony.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if !sv.Up || sv.Leg != "leg-1" || sv.Agent != "1001" || sv.CallID != "agent-call" {
		t.Fatalf("session = %+v", sv)
	}
	if _, err := h.d.Monitor(ctx, "1002", telephony.MonitorListen); !errors.Is(err, ErrSupervising) {
		t.Errorf("a second session: %v, want ErrSupervising", err)
	}
	if err := h.d.SwitchMonitor(ctx, telephony.MonitorWhisper); err != nil {
		t.Fatal(err)
	}
	h.waitView(t, "whisper", func(v View) bool { return v.Supervision != nil && v.Supervision.Mode == telephony.MonitorWhisper })
	if err := h.d.EndMonitor(ctx); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(t, "ended", func(v View) bool { return v.Supervision != nil && v.Supervision.Ended })
	if v.Supervision.Up {
		t.Errorf("ended session still up: %+v", v.Supervision)
	}
	if _, err := h.d.AddCoaching(ctx, "  "); !errors.Is(err, agent.ErrEmpty) {
		t.Errorf("an empty note: %v, want agent.ErrEmpty", err)
	}
	if _, err := h.d.AddCoaching(ctx, "开场白很标准，复述可以更简洁。"); err != nil {
		t.Fatal(err)
	}
	h.waitView(t, "noted", func(v View) bool { return v.Supervision != nil && v.Supervision.Noted })
	h.d.DismissMonitor()
	h.waitView(t, "dismissed", func(v View) bool { return v.Supervision == nil })

	want := map[string]bool{"monitor 1001 listen": true, "mode s1 whisper": true, "end s1 ": true,
		"coaching 1001 agent-call 开场白很标准，复述可以更简洁。": true, "report s1 started": true}
	deadline := time.Now().Add(5 * time.Second)
	for len(want) > 0 && time.Now().Before(deadline) {
		for _, s := range hub.seen() {
			delete(want, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(want) > 0 {
		t.Errorf("the hub was not told %v; it saw %q", want, hub.seen())
	}
	if ph.refusals != 0 {
		t.Errorf("dial was not tried again after the refusals")
	}
}

// Refusals leave nothing behind: the hub's (a role that may not, no live
// call) and a phone that cannot monitor (practice).
func TestDesk_MonitorRefused(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		name  string
		hub   Hub
		phone Phone
		want  error
	}{
		{"no hub", nil, &monitorPhone{}, ErrNeedsHub},
		{"hub without monitoring", &fakeHub{}, &monitorPhone{}, ErrNeedsHub},
		{"practice phone", &monitorHub{}, &fakePhone{}, ErrNoMonitorPhone},
		{"role", &monitorHub{refuse: &HubError{Err: ErrHubRole}}, &monitorPhone{}, ErrHubRole},
		{"no live call", &monitorHub{refuse: &HubError{Err: ErrHubNoLiveCall}}, &monitorPhone{}, ErrHubNoLiveCall},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, at, Options{Hub: tc.hub})
			h.d.SetPhone(tc.phone)
			if _, err := h.d.Monitor(ctx, "1001", telephony.MonitorBarge); !errors.Is(err, tc.want) {
				t.Fatalf("Monitor = %v, want %v", err, tc.want)
			}
			if s := h.d.State().Supervision; s != nil {
				t.Errorf("a refused session left %+v", s)
			}
		})
	}
}

// The agent's side: a session expected, shown once up only when the
// center says so, gone when it ends; the hub hears what the phone saw.
func TestDesk_Monitored(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, shanghai)
	for _, show := range []bool{true, false} {
		t.Run(fmt.Sprint("show=", show), func(t *testing.T) {
			hub := &monitorHub{}
			h := newHarness(t, at, Options{Hub: hub})
			ph := &monitorPhone{fakePhone: fakePhone{d: h.d}}
			h.d.SetPhone(ph)
			h.d.Emit(telephony.Event{Kind: telephony.EventRinging, CallID: "c1", Direction: telephony.Inbound, Caller: telephony.Caller{Number: "13800138000"}})
			if err := h.d.Answer("c1"); err != nil {
				t.Fatal(err)
			}
			if err := h.d.Expect(MonitorNotice{Session: "s9", Token: "tok-0123456789abcdef", CallID: "c1", Mode: telephony.MonitorListen, Show: show}); err != nil {
				t.Fatal(err)
			}
			if ph.expected["tok-0123456789abcdef"] != "c1" {
				t.Fatalf("the phone was not told: %v", ph.expected)
			}
			h.d.Emit(telephony.Event{Kind: telephony.EventMonitorStarted, CallID: "leg-9", Monitor: &telephony.Monitoring{CallID: "c1", Mode: telephony.MonitorListen, Peer: "9001"}})
			h.waitState(t, "up", func(s State) bool { return s.Monitored != nil && s.Monitored.Up })
			if v := h.d.View(); (v.Monitored != nil) != show {
				t.Errorf("shown = %v, want %v", v.Monitored != nil, show)
			}
			h.d.Unexpect("s9")
			h.waitState(t, "gone", func(s State) bool { return s.Monitored == nil })
			if len(ph.expected) != 0 {
				t.Errorf("the phone still expects %v", ph.expected)
			}
		})
	}
}
