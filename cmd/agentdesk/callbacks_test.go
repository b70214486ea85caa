package main

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
	"agentdesk/agent/ui"
)

// stepClock is a clock the test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// planAt is 10:00 in Shanghai on 2026-03-02.
var planAt = time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)

func newTestPlanner(t *testing.T, st *store.Store, clock agent.Clock) *callbackPlanner {
	t.Helper()
	cfg := desk.Defaults()
	cfg.TimeZone, cfg.AgentNumber = "Asia/Shanghai", "1001"
	p, err := newCallbackPlanner(cfg, st, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func putPlanCustomer(t *testing.T, st *store.Store, name, phone string, member bool) string {
	t.Helper()
	c := &agent.Customer{Name: name, Member: member, Phones: []string{phone}}
	if err := st.PutCustomer(c, planAt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// taskCustomers lists the customer IDs of every stored task, sorted.
func taskCustomers(t *testing.T, st *store.Store) []string {
	t.Helper()
	cbs, err := st.Callbacks(store.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cb := range cbs {
		ids = append(ids, cb.CustomerID)
	}
	sort.Strings(ids)
	return ids
}

func sameIDs(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(a)
	sort.Strings(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCallbackPlanner_StartUpPlansMembersOnly(t *testing.T) {
	st := storetest.Open(t)
	m1 := putPlanCustomer(t, st, "王建国", "13800138001", true)
	m2 := putPlanCustomer(t, st, "李小红", "13800138002", true)
	putPlanCustomer(t, st, "张三", "13800138003", false)
	p := newTestPlanner(t, st, agent.FixedClock(planAt))
	n, err := p.check()
	if err != nil || n != 2 {
		t.Fatalf("start-up plan: %d tasks, %v; want 2", n, err)
	}
	if got := taskCustomers(t, st); !sameIDs(got, []string{m1, m2}) {
		t.Fatalf("tasks for %v, want the two members %v", got, []string{m1, m2})
	}
	cbs, _ := st.Callbacks(store.CallbackFilter{})
	for _, cb := range cbs {
		if cb.Agent != "1001" || cb.State != agent.CallbackPending || cb.ID == "" {
			t.Errorf("task = %+v", cb)
		}
		if want := planAt.AddDate(0, 0, 3); !cb.Due.Equal(want) {
			t.Errorf("due %v, want three days later %v", cb.Due, want)
		}
	}
}

func TestCallbackPlanner_NoDuplicates(t *testing.T) {
	st := storetest.Open(t)
	putPlanCustomer(t, st, "王建国", "13800138001", true)
	putPlanCustomer(t, st, "李小红", "13800138002", true)
	p := newTestPlanner(t, st, agent.FixedClock(planAt))
	if n, err := p.check(); err != nil || n != 2 {
		t.Fatalf("first plan: %d, %v", n, err)
	}
	// Planning again bypassing the once-a-day gate: the rules see the
	// stored tasks and make nothing.
	if n, err := p.plan(planAt.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("second plan: %d tasks, %v; want 0", n, err)
	}
	// A restarted desk (a new planner on the same store) plans at start-up
	// and still makes nothing.
	again := newTestPlanner(t, st, agent.FixedClock(planAt.Add(2*time.Hour)))
	if n, err := again.check(); err != nil || n != 0 {
		t.Fatalf("after restart: %d tasks, %v; want 0", n, err)
	}
	if got := taskCustomers(t, st); len(got) != 2 {
		t.Fatalf("stored %d tasks, want 2", len(got))
	}
}

func TestCallbackPlanner_DayChangeTriggersNewPlan(t *testing.T) {
	st := storetest.Open(t)
	first := putPlanCustomer(t, st, "王建国", "13800138001", true)
	clock := &stepClock{t: planAt}
	p := newTestPlanner(t, st, clock)
	if n, err := p.check(); err != nil || n != 1 {
		t.Fatalf("start-up: %d, %v", n, err)
	}
	late := putPlanCustomer(t, st, "李小红", "13800138002", true)
	// 23:59 the same day in Shanghai: no new plan yet.
	clock.set(time.Date(2026, 3, 2, 23, 59, 0, 0, mustZone(t, "Asia/Shanghai")))
	if n, err := p.check(); err != nil || n != 0 {
		t.Fatalf("same day: %d, %v; want no plan", n, err)
	}
	// 00:00 the next day in Shanghai (16:00 UTC, still the 2nd in UTC): the
	// center's day changed, so the new member gets a task, the first none.
	clock.set(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC))
	if n, err := p.check(); err != nil || n != 1 {
		t.Fatalf("next day: %d, %v; want 1", n, err)
	}
	if got := taskCustomers(t, st); !sameIDs(got, []string{first, late}) {
		t.Fatalf("tasks for %v, want one each for %s and %s", got, first, late)
	}
}

func TestCallbackPlanner_RunsInTheBackground(t *testing.T) {
	st := storetest.Open(t)
	putPlanCustomer(t, st, "王建国", "13800138001", true)
	clock := &stepClock{t: planAt}
	p := newTestPlanner(t, st, clock)
	planned := make(chan struct{}, 10)
	p.onPlan = func() { planned <- struct{}{} }
	stop := p.start(context.Background(), 5*time.Millisecond)
	defer stop()
	wait := func(what string) {
		t.Helper()
		select {
		case <-planned:
		case <-time.After(5 * time.Second):
			t.Fatalf("no plan %s", what)
		}
	}
	wait("at start-up")
	putPlanCustomer(t, st, "李小红", "13800138002", true)
	clock.set(planAt.Add(24 * time.Hour))
	wait("after the day changed")
	if got := taskCustomers(t, st); len(got) != 2 {
		t.Fatalf("stored %d tasks, want 2", len(got))
	}
}

func TestDeskBackend_CardCountsCallbacksDue(t *testing.T) {
	b, st, _ := newTestDesk(t)
	c := &agent.Customer{Name: "王建国", Surname: "王", Title: "先生", Member: true, Phones: []string{"13800138000"}}
	other := &agent.Customer{Name: "李小红", Member: true, Phones: []string{"13800138009"}}
	for _, cu := range []*agent.Customer{c, other} {
		if err := st.PutCustomer(cu, at); err != nil {
			t.Fatal(err)
		}
	}
	yes := true
	done := &agent.CallbackOutcome{At: at, Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}
	for _, cb := range []*agent.Callback{
		{CustomerID: c.ID, Agent: "1001", Due: at.Add(72 * time.Hour)},
		{CustomerID: c.ID, Agent: "1002", Due: at.Add(48 * time.Hour)},
		{CustomerID: c.ID, Agent: "1001", Due: at, State: agent.CallbackDone, Outcome: done},
		{CustomerID: other.ID, Agent: "1001", Due: at.Add(72 * time.Hour)},
	} {
		if err := st.PutCallback(cb, at); err != nil {
			t.Fatal(err)
		}
	}
	m := emit(t, b, ring("13800138000"), func(m ui.Model) bool { return m.Call != nil && m.Call.Known })
	if m.Call.CallbacksDue != 2 {
		t.Fatalf("callbacks due on the card = %d, want the caller's 2 pending", m.Call.CallbacksDue)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	z, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return z
}
