package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
	"agentdesk/scripts"
	"agentdesk/telephony"
	"agentdesk/telephony/practice"
	"agentdesk/telephony/practice/practicetest"
)

// Both phones satisfy the desk's Phone interface.
var (
	_ Phone = (*practice.Phone)(nil)
	_ Phone = (*telephony.UA)(nil)
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// salutePack is the default zh-Hans pack with an opening that greets the
// caller by name, so tests can see the customer reach the line.
func salutePack(t testing.TB) *scripts.Pack {
	t.Helper()
	raw, err := scripts.DefaultPackFile("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(raw),
		`standard = "{{greeting}}{{company}}欢迎您的来电，请问有什么可以帮您？"`,
		`standard = "{{greeting}}{{salutation}}，{{company}}欢迎您的来电，请问有什么可以帮您？"`, 1)
	if src == string(raw) {
		t.Fatal("default pack's standard opening changed; update salutePack")
	}
	p, err := scripts.Parse("salute.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type harness struct {
	d      *Desk
	st     *store.Store
	clk    *practicetest.ManualClock
	states chan State
	events chan WatchEvent
}

func newHarness(t *testing.T, start time.Time, opts Options) *harness {
	t.Helper()
	h := &harness{st: storetest.Open(t), clk: practicetest.NewManualClock(start),
		states: make(chan State, 256), events: make(chan WatchEvent, 256)}
	opts.Store, opts.Clock = h.st, h.clk
	if opts.Packs == nil {
		opts.Packs = map[string]*scripts.Pack{"zh-Hans": salutePack(t)}
	}
	if opts.Config.TimeZone == "" {
		opts.Config.TimeZone = "Asia/Shanghai"
	}
	opts.Config.AgentName = "李娜"
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.d = d
	t.Cleanup(func() { d.Close() })
	d.Subscribe(func(s State) {
		select {
		case h.states <- s:
		default:
			t.Error("state channel full")
		}
	})
	d.Watch(func(w WatchEvent) {
		select {
		case h.events <- w:
		default:
			t.Error("watch channel full")
		}
	})
	return h
}

// waitState returns the first published State that satisfies ok.
func (h *harness) waitState(t *testing.T, what string, ok func(State) bool) State {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-h.states:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no state with %s; last: %+v", what, h.d.State())
		}
	}
}

// waitEvent returns the next WatchEvent of kind, skipping others.
func (h *harness) waitEvent(t *testing.T, kind string) WatchEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case w := <-h.events:
			if w.Event == kind {
				return w
			}
		case <-deadline:
			t.Fatalf("no %s watch event", kind)
		}
	}
}

func (h *harness) putCustomer(t *testing.T, name, surname string, title agent.Title, phones ...string) agent.Customer {
	t.Helper()
	c := agent.Customer{Name: name, Surname: surname, Title: title, Phones: phones, Member: true}
	if err := h.st.PutCustomer(&c, h.clk.Now()); err != nil {
		t.Fatal(err)
	}
	return c
}

func ringing(id string, caller telephony.Caller, at time.Time) telephony.Event {
	return telephony.Event{Kind: telephony.EventRinging, At: at, CallID: id, Direction: telephony.Inbound, Caller: caller}
}

func TestDesk_Pop_KnownCaller(t *testing.T) {
	tests := map[string]struct {
		at   time.Time
		want string
	}{
		"morning":      {time.Date(2026, 3, 2, 9, 30, 0, 0, shanghai), "早上好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"afternoon":    {time.Date(2026, 3, 2, 15, 0, 0, 0, shanghai), "您好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"midnight":     {time.Date(2026, 3, 2, 0, 5, 0, 0, shanghai), "早上好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"national day": {time.Date(2026, 10, 1, 15, 0, 0, 0, shanghai), "国庆节快乐！XX客服中心，请问有什么可以帮您！"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, tt.at, Options{})
			cust := h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
			h.d.Emit(telephony.Event{Kind: telephony.EventRegistered, At: tt.at})
			h.d.Emit(ringing("call-1", telephony.Caller{Number: "138 0013 8000", DisplayName: "王建国"}, tt.at))
			s := h.waitState(t, "a pop", func(s State) bool { return s.LastPop != nil })
			p := s.LastPop
			if p.CallID != "call-1" || p.Number != "+8613800138000" || p.DisplayName != "王建国" || !p.RingStarted.Equal(tt.at) {
				t.Errorf("pop = %+v", p)
			}
			if p.Customer == nil || p.Customer.ID != cust.ID || len(p.Customers) != 1 {
				t.Fatalf("customer = %+v", p.Customer)
			}
			if p.Salutation != "王先生" {
				t.Errorf("salutation = %q", p.Salutation)
			}
			if p.Opening != tt.want {
				t.Errorf("opening = %q, want %q", p.Opening, tt.want)
			}
			c, ok := s.Call("call-1")
			if !ok || c.Status != CallRinging || c.RingLimit != agent.DefaultRingLimit {
				t.Errorf("call = %+v", c)
			}
			if s.Agent.Status != agent.StatusRinging || s.Registration.Status != RegRegistered {
				t.Errorf("agent %s, registration %s", s.Agent.Status, s.Registration.Status)
			}
			w := h.waitEvent(t, "ringing")
			if w.CallID != "call-1" || w.Number != "+8613800138000" || w.Customer == nil || w.Customer.ID != cust.ID || w.Opening != tt.want {
				t.Errorf("watch event = %+v", w)
			}
		})
	}
}

func TestDesk_Pop_Callers(t *testing.T) {
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, shanghai)
	tests := map[string]struct {
		caller     telephony.Caller
		number     string
		customers  int
		salutation string
	}{
		"unknown number":     {telephony.Caller{Number: "02161234567"}, "+862161234567", 0, "您"},
		"anonymous":          {telephony.Caller{Number: "anonymous", Anonymous: true}, "anonymous", 0, "您"},
		"not a number":       {telephony.Caller{Number: "alice"}, "alice", 0, "您"},
		"shared family line": {telephony.Caller{Number: "+86 21 5555 0000"}, "+862155550000", 2, "张女士"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, at, Options{})
			h.putCustomer(t, "张敏", "张", agent.TitleMs, "021-5555-0000")
			h.putCustomer(t, "张丽", "张", agent.TitleMs, "021-5555-0000")
			h.d.Emit(ringing("c", tt.caller, at))
			p := h.waitState(t, "a pop", func(s State) bool { return s.LastPop != nil }).LastPop
			if p.Number != tt.number || len(p.Customers) != tt.customers || (tt.customers == 0) != (p.Customer == nil) {
				t.Errorf("pop number %q customers %d (%v)", p.Number, len(p.Customers), p.Customer)
			}
			if p.Salutation != tt.salutation {
				t.Errorf("salutation = %q, want %q", p.Salutation, tt.salutation)
			}
			if want := "您好！" + tt.salutation + "，XX欢迎您的来电，请问有什么可以帮您？"; p.Opening != want {
				t.Errorf("opening = %q, want %q", p.Opening, want)
			}
			w := h.waitEvent(t, "ringing")
			b, _ := json.Marshal(w)
			if tt.customers == 0 && !strings.Contains(string(b), `"customer":null`) {
				t.Errorf("unknown caller's JSON has no null customer: %s", b)
			}
			if tt.customers == 2 && len(w.OtherCustomers) != 1 {
				t.Errorf("other customers = %d", len(w.OtherCustomers))
			}
		})
	}
}

// practiceHarness runs the desk with the practice phone on a manual clock.
func practiceHarness(t *testing.T, start time.Time, scenario string, logCalls bool) (*harness, *practice.Phone) {
	t.Helper()
	sc, err := practice.Parse("test.toml", []byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, start, Options{Practice: true, LogCalls: logCalls})
	ph := practice.New(sc, h.d, practice.WithClock(h.clk))
	h.d.SetPhone(ph)
	t.Cleanup(func() { ph.Close() })
	ph.Start()
	h.waitEvent(t, "registered")
	return h, ph
}

const knownCaller = `
[[caller]]
number = "13800138000"
delay = "10s"
ring = "20s"
`

func TestDesk_Practice_AnswerAndHangUp(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h, _ := practiceHarness(t, start, knownCaller, true)
	cust := h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	if s := h.d.State(); s.Agent.Status != agent.StatusAvailable || !s.Registration.Practice {
		t.Fatalf("after registering: agent %s practice %v", s.Agent.Status, s.Registration.Practice)
	}
	h.clk.Advance(10 * time.Second)
	w := h.waitEvent(t, "ringing")
	if w.Customer == nil || w.Customer.ID != cust.ID {
		t.Fatalf("ringing without the customer: %+v", w)
	}
	if err := h.d.Answer(""); err != nil {
		t.Fatal(err)
	}
	s := h.waitState(t, "on call", func(s State) bool { c, ok := s.Current(); return ok && c.Status == CallOnCall })
	if s.Agent.Status != agent.StatusOnCall {
		t.Errorf("agent = %s", s.Agent.Status)
	}
	if err := h.d.Hold(""); err != nil {
		t.Fatal(err)
	}
	h.waitState(t, "held", func(s State) bool { c, _ := s.Current(); return c.Status == CallHeld })
	if err := h.d.Resume(""); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(4 * time.Second)
	if err := h.d.Hangup(""); err != nil {
		t.Fatal(err)
	}
	s = h.waitState(t, "no calls", func(s State) bool { return len(s.Calls) == 0 })
	if s.Agent.Status != agent.StatusWrapUp {
		t.Errorf("after the call agent = %s, want wrap_up", s.Agent.Status)
	}
	if s.LastPop == nil || s.LastPop.CallID != w.CallID {
		t.Errorf("last pop lost after the call: %+v", s.LastPop)
	}
	if err := h.d.Hangup(""); !errors.Is(err, ErrNoCall) {
		t.Errorf("hang up with no call: %v", err)
	}
	// The call log is written before the state that shows the call gone.
	calls, err := h.st.Calls(start, start.Add(time.Hour))
	if err != nil || len(calls) != 1 {
		t.Fatalf("call log = %v, %v", calls, err)
	}
	if c := calls[0]; !c.Answered || c.CustomerID != cust.ID || c.Agent != "李娜" || c.Number != "+8613800138000" || c.CallID != w.CallID {
		t.Errorf("logged call = %+v", c)
	}
}

func TestDesk_Practice_Unanswered(t *testing.T) {
	tests := map[string]struct {
		outcome, event string
	}{
		"missed":             {"give_up", "missed"},
		"answered elsewhere": {"answered_elsewhere", "answered_elsewhere"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			start := time.Date(2026, 3, 2, 15, 0, 0, 0, shanghai)
			h, _ := practiceHarness(t, start, knownCaller+"outcome = \""+tt.outcome+"\"\n", false)
			h.clk.Advance(10 * time.Second)
			h.waitState(t, "ringing", func(s State) bool { return s.Agent.Status == agent.StatusRinging })
			h.clk.Advance(20 * time.Second)
			w := h.waitEvent(t, tt.event)
			if w.Number != "+8613800138000" || w.Opening == "" {
				t.Errorf("%s event = %+v", tt.event, w)
			}
			s := h.waitState(t, "no calls", func(s State) bool { return len(s.Calls) == 0 })
			if s.Agent.Status != agent.StatusAvailable {
				t.Errorf("agent = %s, want available", s.Agent.Status)
			}
		})
	}
}

func TestDesk_Practice_WatchSequence(t *testing.T) {
	h, _ := practiceHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai), `
[[caller]]
anonymous = true
ring = "20s"
hangup_after = "5s"
`, false)
	h.clk.Advance(0)
	h.waitEvent(t, "ringing")
	if err := h.d.Answer(""); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(5 * time.Second)
	w := h.waitEvent(t, "answered")
	if !w.Anonymous || w.Number != "anonymous" {
		t.Errorf("answered event = %+v", w)
	}
	if e := h.waitEvent(t, "ended"); e.Reason != "caller hung up" {
		t.Errorf("ended = %+v", e)
	}
}

func TestDesk_Dial_QuietHours(t *testing.T) {
	tests := map[string]struct {
		at    time.Time
		quiet bool
	}{
		"morning":     {time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai), false},
		"lunch":       {time.Date(2026, 3, 2, 12, 30, 0, 0, shanghai), true},
		"late":        {time.Date(2026, 3, 2, 22, 0, 0, 0, shanghai), true},
		"evening, ok": {time.Date(2026, 3, 2, 19, 0, 0, 0, shanghai), false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h, _ := practiceHarness(t, tt.at, knownCaller, false)
			id, err := h.d.Dial(context.Background(), "13912345678")
			if tt.quiet {
				if !errors.Is(err, agent.ErrQuietHours) {
					t.Errorf("dial in quiet hours: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := h.waitEvent(t, "ringing")
			if w.CallID != id || w.Direction != "outbound" || w.Number != "+8613912345678" {
				t.Errorf("outbound ring = %+v", w)
			}
		})
	}
}

func TestDesk_SetAgentState(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai), Options{})
	if err := h.d.SetAgentState(agent.StatusBreak, agent.ReasonNone); err == nil {
		t.Error("break without a reason accepted")
	}
	if err := h.d.SetAgentState(agent.StatusBreak, agent.ReasonMeal); err != nil {
		t.Fatal(err)
	}
	if s := h.d.State(); s.Agent.Status != agent.StatusBreak || s.Agent.Reason != agent.ReasonMeal {
		t.Errorf("agent = %+v", s.Agent)
	}
	// A call ringing during a break pops but leaves the agent on break.
	h.d.Emit(ringing("c", telephony.Caller{Number: "13800138000"}, h.clk.Now()))
	s := h.waitState(t, "a pop", func(s State) bool { return s.LastPop != nil })
	if s.Agent.Status != agent.StatusBreak {
		t.Errorf("agent = %s, want break", s.Agent.Status)
	}
}

func TestDesk_RegisterFailed(t *testing.T) {
	h := newHarness(t, time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai), Options{})
	h.d.Emit(telephony.Event{Kind: telephony.EventRegisterFailed, Reason: "401 Unauthorized"})
	s := h.waitState(t, "failing", func(s State) bool { return s.Registration.Status == RegFailing })
	if s.Registration.Reason != "401 Unauthorized" || len(s.Notices) != 1 || s.Notices[0].ID != NoticeRegisterFailed {
		t.Errorf("state = %+v", s)
	}
	if w := h.waitEvent(t, "register_failed"); w.Reason != "401 Unauthorized" {
		t.Errorf("watch = %+v", w)
	}
}

func TestDesk_Emit_NeverBlocks(t *testing.T) {
	d, err := New(Options{Store: storetest.Open(t), Packs: map[string]*scripts.Pack{"zh-Hans": salutePack(t)},
		Clock: agent.FixedClock(time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	release := make(chan struct{})
	var once sync.Once
	stuck := make(chan struct{})
	cancel := d.Subscribe(func(State) {
		once.Do(func() { close(stuck) })
		<-release
	})
	<-stuck // the desk goroutine is now inside our subscriber
	for i := range QueueSize + 50 {
		d.Emit(telephony.Event{Kind: telephony.EventDTMF, CallID: "x", Digit: string(rune('0' + i%10))})
	}
	cancel()
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for d.State().Seq < QueueSize {
		if time.Now().After(deadline) {
			t.Fatalf("queue not drained: seq %d", d.State().Seq)
		}
		runtime.Gosched()
	}
	s := d.State()
	if s.Dropped != 50 {
		t.Errorf("dropped = %d, want 50", s.Dropped)
	}
	if n := len(s.Notices); n == 0 || s.Notices[n-1].ID != NoticeEventsDropped {
		t.Errorf("notices = %+v", s.Notices)
	}
}

func TestState_IsASnapshot(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	h.d.Emit(ringing("a", telephony.Caller{Number: "13800138000"}, at))
	first := h.waitState(t, "one call", func(s State) bool { return len(s.Calls) == 1 })
	h.d.Emit(telephony.Event{Kind: telephony.EventAnswered, CallID: "a"})
	h.d.Emit(ringing("b", telephony.Caller{Number: "13912345678"}, at))
	h.waitState(t, "two calls", func(s State) bool { return len(s.Calls) == 2 })
	if len(first.Calls) != 1 || first.Calls[0].Status != CallRinging {
		t.Errorf("an earlier snapshot changed: %+v", first.Calls)
	}
}

func TestSeedCustomers_Once(t *testing.T) {
	st := storetest.Open(t)
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	seed := []agent.Customer{{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phones: []string{"13800138000"}}}
	for i, want := range []int{1, 0} {
		n, err := SeedCustomers(st, seed, now)
		if err != nil || n != want {
			t.Errorf("run %d: added %d, %v; want %d", i, n, err, want)
		}
	}
}

func TestDesk_CallerCard(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	cust := h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	c, err := agent.NewComplaint(cust.ID, "李娜", agent.ChannelPhone, at.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.PutComplaint(c, at.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	cb := &agent.Callback{CustomerID: cust.ID, Agent: "李娜", Due: at.Add(24 * time.Hour), State: agent.CallbackPending}
	if err := h.st.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"13800138000", "13912345678", "+86 138 0013 8000"} {
		call := &agent.Call{CallID: fmt.Sprintf("old-%d", i), At: at.Add(time.Duration(i-5) * time.Hour), Number: n, Agent: "李娜"}
		if err := h.st.PutCall(call, at); err != nil {
			t.Fatal(err)
		}
	}
	h.d.Emit(ringing("now", telephony.Caller{Number: "13800138000"}, at))
	s := h.waitState(t, "a card", func(s State) bool { c, ok := s.Call("now"); return ok && c.Card != nil })
	card := s.Calls[0].Card
	if card.OpenComplaints != 1 || card.OverdueReplies != 0 || card.CallbacksPending != 1 {
		t.Errorf("card = %+v", card)
	}
	if len(card.LastCalls) != 2 || card.LastCalls[0].CallID != "old-2" || card.LastCalls[1].CallID != "old-0" {
		t.Errorf("last calls = %+v", card.LastCalls)
	}
}

func TestDesk_Opening_FollowsTheClock(t *testing.T) {
	at := time.Date(2026, 3, 2, 11, 59, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	h.d.Emit(ringing("c", telephony.Caller{Number: "13800138000"}, at))
	p := *h.waitState(t, "a pop", func(s State) bool { return s.LastPop != nil }).LastPop
	tests := map[string]struct {
		at     time.Time
		silent bool
		want   string
	}{
		"still morning": {at, false, "早上好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"noon passed":   {at.Add(2 * time.Minute), false, "您好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"silent call":   {at, true, "您好，XX客服中心，欢迎您的来电。"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := h.d.Opening(p, tt.at, tt.silent)
			if err != nil || got != tt.want {
				t.Errorf("Opening = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestDesk_Pop_StoreFailureStillPops(t *testing.T) {
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	h.d.Emit(ringing("c", telephony.Caller{Number: "13800138000"}, at))
	s := h.waitState(t, "a pop", func(s State) bool { return s.LastPop != nil })
	if s.LastPop.Customer != nil || s.LastPop.Opening == "" {
		t.Errorf("pop = %+v", s.LastPop)
	}
	if len(s.Notices) == 0 || s.Notices[0].ID != NoticeLookupFailed {
		t.Errorf("notices = %+v", s.Notices)
	}
}
