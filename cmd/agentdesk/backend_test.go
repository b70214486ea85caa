package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
	"agentdesk/agent/ui"
	"agentdesk/telephony"
)

// recPhone records what the desk asks of the phone.
type recPhone struct{ calls []string }

func (p *recPhone) rec(s string) error                           { p.calls = append(p.calls, s); return nil }
func (p *recPhone) Answer(id string) error                       { return p.rec("answer " + id) }
func (p *recPhone) Reject(id string, _ int) error                { return p.rec("reject " + id) }
func (p *recPhone) Hangup(id string) error                       { return p.rec("hangup " + id) }
func (p *recPhone) Hold(id string) error                         { return p.rec("hold " + id) }
func (p *recPhone) Resume(id string) error                       { return p.rec("resume " + id) }
func (p *recPhone) Transfer(id, to string) error                 { return p.rec("transfer " + id + " " + to) }
func (p *recPhone) SendDTMF(id, d string) error                  { return p.rec("dtmf " + id + " " + d) }
func (p *recPhone) Dial(context.Context, string) (string, error) { return "", errors.New("no") }
func (p *recPhone) Close() error                                 { return nil }

var _ desk.Phone = (*recPhone)(nil)

// at is 09:30 in Shanghai: a morning greeting.
var at = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

func newTestDesk(t *testing.T) (*deskBackend, *store.Store, *recPhone) {
	t.Helper()
	st := storetest.Open(t)
	cfg := desk.Defaults()
	cfg.AgentNumber = "1001"
	packs, err := loadPacks(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ph := &recPhone{}
	d, err := desk.New(desk.Options{Store: st, Packs: packs, Phone: ph, Practice: true, Config: cfg,
		Clock: agent.FixedClock(at.Add(time.Minute)), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	b := newDeskBackend(d, st, packs, cfg, log)
	b.now = func() time.Time { return at.Add(time.Minute) }
	return b, st, ph
}

// emit hands ev to the desk and waits until the model satisfies ok.
func emit(t *testing.T, b *deskBackend, ev telephony.Event, ok func(ui.Model) bool) ui.Model {
	t.Helper()
	got := make(chan ui.Model, 100)
	stop := b.Subscribe(func(m ui.Model) { got <- m })
	defer stop()
	b.d.Emit(ev)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-got:
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("no model after %v", ev.Kind)
		}
	}
}

func (b *deskBackend) snapshot() ui.Model { return b.model(b.d.State()) }

func ring(number string) telephony.Event {
	return telephony.Event{Kind: telephony.EventRinging, At: at, CallID: "call-1", Direction: telephony.Inbound,
		Caller: telephony.Caller{Number: number}}
}

func TestDeskBackend_PopKnownMember(t *testing.T) {
	d, st, ph := newTestDesk(t)
	c := &agent.Customer{Name: "王建国", Surname: "王", Title: "先生", Member: true, Phones: []string{"13800138000"}}
	if err := st.PutCustomer(c, at); err != nil {
		t.Fatal(err)
	}
	m := emit(t, d, ring("13800138000"), func(m ui.Model) bool { return m.Call != nil })
	if m.Call == nil || !m.Call.Known || !m.Call.Member || m.Call.Salutation != "王先生" || m.Call.Number != "+8613800138000" {
		t.Fatalf("pop = %+v", m.Call)
	}
	if m.Call.RingLimit != 12*time.Second || m.Call.State != "ringing" {
		t.Errorf("state %q, ring limit %v", m.Call.State, m.Call.RingLimit)
	}
	if !strings.HasPrefix(m.Opening, "早上好") {
		t.Errorf("opening at 09:30 Shanghai = %q", m.Opening)
	}
	if err := d.Answer(); err != nil || ph.calls[0] != "answer call-1" {
		t.Fatalf("answer: %v %v", err, ph.calls)
	}
	m = emit(t, d, telephony.Event{Kind: telephony.EventAnswered, At: at.Add(5 * time.Second), CallID: "call-1"},
		func(m ui.Model) bool { return m.Call != nil && m.Call.State == "answered" })
	if !m.HangupReminder {
		t.Error("no hang-up reminder during the call")
	}
	m = emit(t, d, telephony.Event{Kind: telephony.EventEnded, At: at.Add(time.Minute), CallID: "call-1", Reason: "bye from remote"},
		func(m ui.Model) bool { return m.Call == nil })
	if m.HangupReminder || m.Opening != "" {
		t.Errorf("after end: reminder %v opening %q", m.HangupReminder, m.Opening)
	}
}

func TestDeskBackend_ComplaintThroughDomainRules(t *testing.T) {
	d, st, _ := newTestDesk(t)
	if m := emit(t, d, ring("021-6123-4567"), func(m ui.Model) bool { return m.Call != nil }); m.Call.Known {
		t.Fatalf("unknown number popped as known: %+v", m.Call)
	}
	draft := ui.ComplaintDraft{Statement: "送货师傅把地板划坏了", What: "地板划伤", When: "今天上午", Where: "客户家",
		Subject: "送货单 123", Wants: "赔偿", Severity: "complex"}

	chk := d.CheckComplaint(draft)
	if len(chk.Missing) == 0 || chk.Missing[0].Step != "wiz.readback" {
		t.Fatalf("without read-back, missing = %+v", chk.Missing)
	}
	if _, err := d.SaveComplaint(draft); err == nil {
		t.Fatal("saved a complaint whose read-back was not confirmed")
	}
	if cs, _ := st.Complaints(store.ComplaintFilter{}); len(cs) != 0 {
		t.Fatalf("a refused complaint was stored: %d", len(cs))
	}

	draft.ReadBack = true
	chk, err := d.SaveComplaint(draft)
	if err != nil {
		t.Fatal(err)
	}
	want := at.Add(time.Minute).Add(24 * time.Hour)
	if !chk.Due.Equal(want) {
		t.Errorf("complex reply due %v, want %v", chk.Due, want)
	}
	steps := map[string]bool{}
	for _, m := range chk.Missing {
		steps[m.Step] = true
	}
	if !steps["wiz.reply"] || !steps["wiz.record"] || steps["wiz.ask"] {
		t.Errorf("open case missing = %+v", chk.Missing)
	}
	cs, err := st.Complaints(store.ComplaintFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("stored %d (%v)", len(cs), err)
	}
	found, err := st.LookupPhone("021-6123-4567")
	if err != nil || len(found) != 1 || cs[0].CustomerID != found[0].ID {
		t.Errorf("the unknown caller's record: %v %v", found, err)
	}
	if d.snapshot().Stats.Complaints != 1 {
		t.Errorf("stats complaints = %d", d.snapshot().Stats.Complaints)
	}
}

func TestDeskBackend_LanguageSwitchChangesPhraseBook(t *testing.T) {
	d, st, _ := newTestDesk(t)
	c := &agent.Customer{Name: "王建国", Surname: "王", Title: "先生", Phones: []string{"13800138000"}}
	if err := st.PutCustomer(c, at); err != nil {
		t.Fatal(err)
	}
	emit(t, d, ring("13800138000"), func(m ui.Model) bool { return m.Call != nil })
	d.SetLang("en")
	m := emit(t, d, ring("13800138001"), func(m ui.Model) bool {
		return len(m.Phrases) > 0 && m.Phrases[0].Say != "" && !strings.ContainsAny(m.Phrases[0].Say, "请您")
	})
	if !strings.HasPrefix(m.Phrases[0].Say, "May I") {
		t.Errorf("en phrase book after the switch: %q", m.Phrases[0].Say)
	}
}

func TestDeskBackend_AgentStateAndBreakReason(t *testing.T) {
	d, _, _ := newTestDesk(t)
	if err := d.SetAgentState("available", ""); err != nil {
		t.Fatal(err)
	}
	if err := d.SetAgentState("break", "meal"); err != nil {
		t.Fatal(err)
	}
	if m := d.snapshot(); m.Agent != "break" || m.BreakReason != "meal" {
		t.Errorf("agent %q reason %q", m.Agent, m.BreakReason)
	}
	if err := d.SetAgentState("break", "nap"); err == nil {
		t.Error("an unknown break reason was accepted")
	}
}

func TestDeskBackend_CommandsNeedACall(t *testing.T) {
	d, _, ph := newTestDesk(t)
	for name, fn := range map[string]func() error{"answer": d.Answer, "hangup": d.Hangup, "hold": d.Hold,
		"mute": func() error { return d.Mute(true) }, "dtmf": func() error { return d.SendDTMF("1") }} {
		if err := fn(); err == nil {
			t.Errorf("%s with no call succeeded", name)
		}
	}
	if len(ph.calls) != 0 {
		t.Errorf("phone was asked %v", ph.calls)
	}
}

func TestDeskBackend_CustomerSearchAndEdit(t *testing.T) {
	d, st, _ := newTestDesk(t)
	if err := d.SaveCustomer(ui.CustomerRow{Name: "李娜", Surname: "李", Title: "女士", Phone: "139 0000 1111"}); err != nil {
		t.Fatal(err)
	}
	rows, err := d.SearchCustomers("李")
	if err != nil || len(rows) != 1 || rows[0].Phone != "+8613900001111" || rows[0].Title != "女士" {
		t.Fatalf("search = %+v, %v", rows, err)
	}
	r := rows[0]
	r.Member = true
	if err := d.SaveCustomer(r); err != nil {
		t.Fatal(err)
	}
	c, err := st.Customer(r.ID)
	if err != nil || !c.Member || c.Name != "李娜" {
		t.Errorf("after edit: %+v %v", c, err)
	}
	if err := d.SaveCustomer(ui.CustomerRow{Name: "无号码"}); err == nil {
		t.Error("a customer without a phone was saved")
	}
}

func TestSelfCheck(t *testing.T) {
	st := storetest.Open(t)
	cfg := desk.Defaults()
	cfg.Data = t.TempDir()
	tests := map[string]struct {
		phone *line
		hub   string
		want  string
	}{
		"practice, no hub": {&line{practice: true}, "", "check.pbx:skip check.data:ok check.hub:skip check.outbox:ok"},
		"sip not registered, hub down": {&line{registered: func() bool { return false }}, "http://127.0.0.1:1",
			"check.pbx:fail check.data:ok check.hub:fail check.outbox:ok"},
		"sip registered": {&line{registered: func() bool { return true }}, "", "check.pbx:ok check.data:ok check.hub:skip check.outbox:ok"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c := cfg
			c.Hub.URL = tc.hub
			var got []string
			for _, r := range selfCheck(c, st, tc.phone) {
				v := "fail"
				switch {
				case r.Skipped:
					v = "skip"
				case r.OK:
					v = "ok"
				}
				got = append(got, r.Name+":"+v)
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("got  %s\nwant %s", strings.Join(got, " "), tc.want)
			}
		})
	}
}

func TestDeskBackend_CallbacksAndQuietHours(t *testing.T) {
	d, st, _ := newTestDesk(t)
	c := &agent.Customer{Name: "王建国", Phones: []string{"13800138000"}, Member: true}
	if err := st.PutCustomer(c, at); err != nil {
		t.Fatal(err)
	}
	cb := &agent.Callback{CustomerID: c.ID, Agent: "1001", Due: at.Add(-time.Hour)}
	if err := st.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	rows, quiet := d.callbacks(at) // 09:30 Shanghai: dialable
	if quiet != "" || len(rows) != 1 || rows[0].Customer != "王建国" || rows[0].Number != "+8613800138000" || !rows[0].Overdue {
		t.Fatalf("09:30: rows %+v quiet %q", rows, quiet)
	}
	noon := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC) // 13:00 Shanghai
	if _, quiet := d.callbacks(noon); quiet != "→ 14:00" {
		t.Errorf("13:00: quiet = %q, want until 14:00", quiet)
	}
}
