package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// member is a member customer of desk.
func member(desk, name string, at time.Time) *agent.Customer {
	id := agent.NewID()
	return &agent.Customer{Meta: agent.Meta{ID: id, Version: 1, Desk: desk, CreatedAt: at, UpdatedAt: at},
		Name: name, Phones: []string{"+8613800138000"}, Member: true}
}

// putMembers queues n member customers on d and returns their IDs.
func putMembers(d *upstreamtest.Desk, n int, at time.Time) []string {
	ids := make([]string, n)
	for i := range ids {
		c := member(d.ID, fmt.Sprintf("会员%d", i), at)
		ids[i] = c.ID
		d.Put(agent.KindCustomer, c.ID, 1, at, c)
	}
	return ids
}

func addAgents(t *testing.T, h *testHub, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		addAgent(t, h, AgentSpec{Number: n, Name: "坐席" + n, Role: upstream.RoleAgent, PIN: "pin-" + n})
	}
}

// hubTasks reads the callback tasks stored on the hub by their ID.
func hubTasks(t *testing.T, h *testHub) map[string]agent.Callback {
	t.Helper()
	rows, err := h.db.pool.Query(context.Background(), `SELECT body FROM records WHERE kind = 'callback' AND NOT deleted`)
	must(t, err)
	defer rows.Close()
	out := map[string]agent.Callback{}
	for rows.Next() {
		var body []byte
		must(t, rows.Scan(&body))
		var cb agent.Callback
		must(t, json.Unmarshal(body, &cb))
		out[cb.ID] = cb
	}
	must(t, rows.Err())
	return out
}

// Every member on the hub gets exactly one task, none for non-members,
// deleted customers, or members a pending task covers; the tasks go to
// the hub's agents (not supervisors, not disabled ones) so that every
// agent ends with the same load; planning again makes nothing.
func TestPlanCallbacks_EveryMemberOnceBalancedByLoad(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	addAgents(t, h, "1001", "1002", "1003", "1009")
	addAgent(t, h, AgentSpec{Number: "2001", Name: "班长", Role: upstream.RoleSupervisor, PIN: "pin-2001"})
	if _, err := h.db.DisableAgent(ctx, "1009"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	members := putMembers(d, 300, at)
	for i := range 20 {
		id := agent.NewID()
		d.Put(agent.KindCustomer, id, 1, at, customer(d.ID, id, 1, fmt.Sprintf("散客%d", i)))
	}
	gone := member(d.ID, "已删", at)
	d.Put(agent.KindCustomer, gone.ID, 1, at, gone)
	d.Delete(agent.KindCustomer, gone.ID, 2, at)
	// 30 members have a pending task of 1001 that a desk made.
	for _, id := range members[:30] {
		cb := agent.Callback{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: d.ID, CreatedAt: at.Add(-time.Hour), UpdatedAt: at.Add(-time.Hour)},
			CustomerID: id, Agent: "1001", Purpose: "member", Due: at.AddDate(0, 0, 2)}
		d.Put(agent.KindCallback, cb.ID, 1, at, cb)
	}
	must(t, c.Drain(ctx))

	res, err := h.db.PlanCallbacks(ctx, at)
	must(t, err)
	t.Logf("plan: %+v", res)
	if res.Members != 300 || res.Created != 270 || res.Covered != 300 || res.CoveragePct != 100 || res.Day != "2026-11-23" {
		t.Fatalf("plan = %+v, want 300 members, 270 new tasks, all covered, day 2026-11-23", res)
	}
	want := []PlanAgent{{"1001", 70, 100}, {"1002", 100, 100}, {"1003", 100, 100}}
	if fmt.Sprint(res.Agents) != fmt.Sprint(want) {
		t.Errorf("per agent = %+v, want %+v", res.Agents, want)
	}
	tasks := hubTasks(t, h)
	isMember := map[string]bool{}
	for _, id := range members {
		isMember[id] = true
	}
	byCustomer, load := map[string]int{}, map[string]int{}
	for _, cb := range tasks {
		byCustomer[cb.CustomerID]++
		load[cb.Agent]++
		if !isMember[cb.CustomerID] {
			t.Errorf("task %s for %s, who is no member on the hub", cb.ID, cb.CustomerID)
		}
	}
	if len(tasks) != 300 || len(byCustomer) != 300 {
		t.Errorf("%d tasks for %d customers, want 300 for 300", len(tasks), len(byCustomer))
	}
	for cust, n := range byCustomer {
		if n != 1 {
			t.Errorf("customer %s has %d tasks", cust, n)
		}
	}
	if fmt.Sprint(load) != "map[1001:100 1002:100 1003:100]" {
		t.Errorf("load = %v, want 100 each for the three agents", load)
	}
	center, err := agent.DefaultCenter()
	must(t, err)
	for _, cb := range tasks {
		if cb.Desk != d.ID && (cb.Desk != upstream.HubDesk || cb.Version != 1 || !cb.CreatedAt.Equal(at) || cb.Purpose != "member" ||
			!cb.Due.Equal(at.In(center.Zone).AddDate(0, 0, center.CallbackDays)) || center.Quiet.CanDial(cb.NextTry) != nil) {
			t.Errorf("planned task = %+v", cb)
			break
		}
	}
	if n := h.count(t, `SELECT count(*) FROM records WHERE kind = 'callback' AND desk = $1 AND version = 1 AND cb_pending AND agent IS NOT NULL`, upstream.HubDesk); n != 270 {
		t.Errorf("%d hub tasks with their columns, want 270", n)
	}

	again, err := h.db.PlanCallbacks(ctx, at.Add(time.Hour))
	must(t, err)
	if again.Created != 0 || again.Covered != 300 || len(hubTasks(t, h)) != 300 {
		t.Errorf("second plan = %+v, want nothing new", again)
	}
	if n := h.count(t, `SELECT count(*) FROM callback_plans`); n != 2 {
		t.Errorf("%d plans recorded, want 2", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit WHERE action = 'callbacks.plan' AND subject = '2026-11-23'`); n != 2 {
		t.Errorf("%d plans audited, want 2", n)
	}
}

// A plan that needs agents the hub does not have is refused, and nothing
// changes.
func TestPlanCallbacks_NoAgentsNothingChanged(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	addAgent(t, h, AgentSpec{Number: "2001", Name: "班长", Role: upstream.RoleSupervisor, PIN: "pin-2001"})
	d := upstreamtest.NewDesk(agent.NewID())
	putMembers(d, 5, t0)
	must(t, newClient(t, h, d).Drain(ctx))
	before := h.dump(t)
	if _, err := h.db.PlanCallbacks(ctx, t0); !errors.Is(err, agent.ErrNoAgents) {
		t.Fatalf("plan without agents = %v, want ErrNoAgents", err)
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("a refused plan changed %v", changed)
	}
}

// Plans racing on two hubs of one database still give each member one
// task.
func TestPlanCallbacks_RacingHubsPlanEachMemberOnce(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	db2, err := Open(ctx, h.db.pool.Config().ConnString(), WithLogger(quiet))
	must(t, err)
	t.Cleanup(db2.Close)
	addAgents(t, h, "1001", "1002")
	d := upstreamtest.NewDesk(agent.NewID())
	putMembers(d, 200, t0)
	must(t, newClient(t, h, d).Drain(ctx))
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for i := range 6 {
		db := h.db
		if i%2 == 1 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := db.PlanCallbacks(ctx, t0)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			created += res.Created
			mu.Unlock()
		}()
	}
	wg.Wait()
	tasks := hubTasks(t, h)
	customers := map[string]bool{}
	for _, cb := range tasks {
		customers[cb.CustomerID] = true
	}
	if created != 200 || len(tasks) != 200 || len(customers) != 200 {
		t.Errorf("six racing plans made %d tasks (%d stored, %d customers), want 200", created, len(tasks), len(customers))
	}
}

// The hub plans by itself when it starts and once when the center day
// changes, however many hubs run on the database.
func TestRunCallbackPlan_AtStartAndOnceWhenTheDayChanges(t *testing.T) {
	clock := &stepClock{t: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)} // 20:00 in Shanghai
	opts := []Option{WithClock(clock), WithPINCost(cheapPIN), WithPlanCheck(5 * time.Millisecond)}
	h := startHub(t, "", opts)
	db2, err := Open(context.Background(), h.db.pool.Config().ConnString(), append([]Option{WithLogger(quiet)}, opts...)...)
	must(t, err)
	t.Cleanup(db2.Close)
	addAgents(t, h, "1001")
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	putMembers(d, 10, clock.Now())
	must(t, c.Drain(context.Background()))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, db := range []*DB{h.db, db2} {
		wg.Add(1)
		go func() { defer wg.Done(); db.RunCallbackPlan(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited in vain for %s", what)
			}
		}
	}
	waitFor("both hubs' plans at start", func() bool { return h.count(t, `SELECT count(*) FROM callback_plans WHERE day = '2026-11-23'`) == 2 })
	if n := len(hubTasks(t, h)); n != 10 {
		t.Fatalf("%d tasks after the plans at start, want 10", n)
	}
	putMembers(d, 5, clock.Now())
	must(t, c.Drain(context.Background()))
	clock.Add(3*time.Hour + 59*time.Minute) // 23:59, the same day
	time.Sleep(100 * time.Millisecond)      // twenty checks
	if n := len(hubTasks(t, h)); n != 10 {
		t.Errorf("%d tasks before the day changed, want still 10", n)
	}
	clock.Add(2 * time.Minute) // 00:01 on the 24th
	waitFor("the plan of the new day", func() bool { return h.count(t, `SELECT count(*) FROM callback_plans WHERE day = '2026-11-24'`) > 0 })
	time.Sleep(100 * time.Millisecond)
	if n := h.count(t, `SELECT count(*) FROM callback_plans WHERE day = '2026-11-24'`); n != 1 {
		t.Errorf("%d plans of the new day on two hubs, want 1", n)
	}
	if n := len(hubTasks(t, h)); n != 15 {
		t.Errorf("%d tasks after the new day's plan, want 15", n)
	}
}

// A desk's token pulls the tasks of the agents signed in at that desk
// now, a session its own agent's; an outcome pushed back is the newest
// version on the hub and covers its member at the next plan.
func TestCallbacks_PulledByTheAgentsDeskOutcomeBack(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	addAgents(t, h, "1001", "1002")
	feeder := upstreamtest.NewDesk(agent.NewID())
	putMembers(feeder, 6, t0)
	must(t, newClient(t, h, feeder).Drain(ctx))
	_, err := h.db.PlanCallbacks(ctx, t0)
	must(t, err)

	deskA, deskB := upstreamtest.NewDesk(agent.NewID()), upstreamtest.NewDesk(agent.NewID())
	a := newClient(t, h, deskA)
	b := newClient(t, h, deskB)
	if err := a.PullCallbacks(ctx, "1001"); !errors.Is(err, upstream.ErrForbidden) {
		t.Fatalf("desk A pulls 1001's tasks before 1001 signed in there: %v", err)
	}
	resA, err := a.SignIn(ctx, "1001", "pin-1001")
	must(t, err)
	_, err = b.SignIn(ctx, "1002", "pin-1002")
	must(t, err)
	must(t, a.PullCallbacks(ctx, "1001"))
	if err := a.PullCallbacks(ctx, "1002"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("desk A pulls the tasks of 1002, signed in at desk B: %v", err)
	}
	must(t, b.PullCallbacks(ctx, "1002"))
	var mine []agent.Callback
	for id, cb := range hubTasks(t, h) {
		onA, onB := deskA.Record(agent.KindCallback, id) != nil, deskB.Record(agent.KindCallback, id) != nil
		if onA == onB || onA != (cb.Agent == "1001") {
			t.Errorf("task of %s: on desk A %v, on desk B %v", cb.Agent, onA, onB)
		}
		if onA {
			mine = append(mine, cb)
		}
	}
	if len(mine) != 3 {
		t.Fatalf("desk A has %d tasks of 1001, want 3", len(mine))
	}

	// Desk A records an outcome (a newer version from desk A) and pushes it.
	cb := mine[0]
	yes := true
	must(t, cb.Record(agent.CallbackOutcome{At: t0.Add(2 * time.Hour), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true},
		agent.DefaultQuietHours(time.UTC), time.Hour))
	cb.Desk = deskA.ID
	cb.Touch(t0.Add(2 * time.Hour))
	deskA.Put(agent.KindCallback, cb.ID, cb.Version, cb.UpdatedAt, cb)
	must(t, a.Drain(ctx))
	v, desk, _ := h.stored(t, agent.KindCallback, cb.ID)
	if v != 2 || desk != deskA.ID || h.count(t, `SELECT count(*) FROM records WHERE id = $1 AND NOT cb_pending`, cb.ID) != 1 {
		t.Errorf("hub holds the task at v%d from %s, want v2 done from desk A", v, desk)
	}
	// Pulling again brings the desk nothing it does not have.
	before := a.Status().PulledCallbacks
	must(t, a.PullCallbacks(ctx, "1001"))
	if got := a.Status().PulledCallbacks; got != before {
		t.Errorf("a second pull applied %d tasks", got-before)
	}
	if res, err := h.db.PlanCallbacks(ctx, t0.Add(3*time.Hour)); err != nil || res.Created != 0 {
		t.Errorf("plan after the outcome = %+v, %v; want nothing new", res, err)
	}

	// The session pulls its own agent's tasks; signed out, desk A's token
	// may not pull them any more.
	sess := asClient(t, h, string(resA.Session))
	code, body := h.call(t, "GET", "/v1/callbacks", string(resA.Session), nil)
	var page upstream.CallbackPage
	if code != 200 || json.Unmarshal(body, &page) != nil || len(page.Callbacks) != 3 {
		t.Errorf("session pull = %d %s", code, body)
	}
	if code, _ := h.call(t, "GET", "/v1/callbacks?agent=1002", string(resA.Session), nil); code != 403 {
		t.Errorf("session pull of another agent = %d, want 403", code)
	}
	must(t, sess.SignOut(ctx, string(resA.Session)))
	if err := a.PullCallbacks(ctx, "1001"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("desk A pulls 1001's tasks after the sign-out: %v", err)
	}

	// The 《回访总结报告》 of the whole center.
	sup := h.token(t, upstream.RoleSupervisor, "班长", "")
	code, body = h.call(t, "GET", "/v1/callbacks/report?from=2026-11-23&to=2026-11-23", sup, nil)
	var rep agent.CallbackReport
	if code != 200 || json.Unmarshal(body, &rep) != nil || rep.Total != 6 || rep.Done != 1 || rep.Reached != 1 || len(rep.Agents) != 2 {
		t.Errorf("report = %d %s", code, body)
	}
}

// Settings: a refused one changes nothing; a good one is the next version,
// served to every role, and the board and the plan follow it.
func TestSettings_SetServedAndApplied(t *testing.T) {
	now := time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC) // 00:30 on the 24th in Shanghai, 16:30 on the 23rd in London
	h := startHub(t, "", []Option{WithClock(agent.FixedClock(now)), WithPINCost(cheapPIN)})
	ctx := context.Background()
	wall := h.token(t, upstream.RoleWallboard, "大屏", "")
	if code, _ := h.call(t, "GET", "/v1/settings", wall, nil); code != 404 {
		t.Errorf("settings before any = %d, want 404", code)
	}
	st, err := h.db.EffectiveSettings(ctx)
	if err != nil || st.Version != 0 || st.Settings.TimeZone != agent.DefaultZone || st.Settings.AfterCallWorkSeconds != 120 {
		t.Errorf("effective settings without any = %+v, %v", st, err)
	}
	before := h.dump(t)
	for field, bad := range map[string]agent.CenterSettings{
		"time_zone":      {TimeZone: "Mars/Base"},
		"quiet_hours[1]": {QuietHours: []string{"12:00-14:00", "25:00-26:00"}},
		"warning":        {Warning: &agent.WarningSettings{RaiseWithinMinutes: 30, Stages: []agent.StageSetting{{Name: "x", Role: "janitor", Minutes: 5}}}},
	} {
		_, err := h.db.SetSettings(ctx, bad)
		var se *agent.SettingsError
		if !errors.As(err, &se) || se.Field != field {
			t.Errorf("set %s = %v, want a SettingsError naming it", field, err)
		}
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("refused settings changed %v", changed)
	}

	st, err = h.db.SetSettings(ctx, agent.CenterSettings{TimeZone: "Europe/London", AfterCallWorkSeconds: 30})
	must(t, err)
	if st.Version != 1 {
		t.Errorf("first settings version %d", st.Version)
	}
	st, err = h.db.SetSettings(ctx, agent.CenterSettings{TimeZone: "Europe/London", AfterCallWorkSeconds: 45, CallbackDays: 2})
	must(t, err)
	code, body := h.call(t, "GET", "/v1/settings", wall, nil)
	var got upstream.Settings
	if code != 200 || json.Unmarshal(body, &got) != nil || got.Version != 2 || got.Settings.AfterCallWorkSeconds != 45 || got.UpdatedBy == "" {
		t.Errorf("settings = %d %s", code, body)
	}
	b, err := h.db.Board(ctx, now)
	must(t, err)
	if b.AfterCallWorkSeconds != 45 {
		t.Errorf("board limit = %d s, want 45", b.AfterCallWorkSeconds)
	}
	// The plan's day and deadline are London's now.
	addAgents(t, h, "1001")
	d := upstreamtest.NewDesk(agent.NewID())
	putMembers(d, 1, now)
	must(t, newClient(t, h, d).Drain(ctx))
	res, err := h.db.PlanCallbacks(ctx, now)
	must(t, err)
	london, _ := time.LoadLocation("Europe/London")
	for _, cb := range hubTasks(t, h) {
		if res.Day != "2026-11-23" || !cb.Due.Equal(now.In(london).AddDate(0, 0, 2)) {
			t.Errorf("plan day %s, task due %s; want London's day and 2 days", res.Day, cb.Due)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM audit WHERE action = 'settings.set'`); n != 2 {
		t.Errorf("%d settings changes audited, want 2", n)
	}
	// Offline verifiers last as the settings say once they say it.
	dc := deskClient(t, h, agent.NewID(), "127.0.0.1")
	r, err := dc.SignIn(ctx, "1001", "pin-1001")
	must(t, err)
	if d := r.Offline.Expires.Sub(r.Offline.Issued); d != upstream.DefaultOfflineTTL {
		t.Errorf("verifier lasts %s before the settings name it, want the hub's %s", d, upstream.DefaultOfflineTTL)
	}
	_, err = h.db.SetSettings(ctx, agent.CenterSettings{TimeZone: "Europe/London", OfflineSignInDays: 2})
	must(t, err)
	r, err = dc.SignIn(ctx, "1001", "pin-1001")
	must(t, err)
	if d := r.Offline.Expires.Sub(r.Offline.Issued); d != 48*time.Hour {
		t.Errorf("verifier lasts %s under offline_signin_days = 2", d)
	}
}

// The board counts each agent's calls of today by wrap-up type exactly
// as agent.DailyStats does over the same calls.
func TestBoard_CallTypesAreDailyStats(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // 16:00 in Shanghai
	h := newTestHub(t, nil, WithClock(agent.FixedClock(now)))
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	var calls []agent.Call
	put := func(who string, at time.Time, typ string) {
		call := agent.Call{Meta: agent.Meta{ID: agent.NewID(), Desk: d.ID}, At: at, Number: "+8613800138000", Agent: who,
			Direction: agent.Inbound, Answered: true, RingSeconds: 3}
		if typ != "" {
			must(t, call.Wrap(agent.WrapUp{Type: typ, Result: "已答复", CaseID: "case-1"}, at.Add(5*time.Minute)))
		}
		call.Touch(at)
		calls = append(calls, call)
		d.Put(agent.KindCall, call.ID, call.Version, at, call)
	}
	for i, typ := range []string{"consultation", "consultation", "complaint", "other", ""} {
		put("1001", now.Add(-time.Duration(i)*time.Hour), typ)
	}
	put("1002", now.Add(-15*time.Hour), "complaint")                // 01:00 today in Shanghai
	put("1002", now.Add(-16*time.Hour-time.Minute), "consultation") // 23:59 yesterday
	put("1002", now.Add(-2*time.Hour), "")
	must(t, c.Drain(bg()))
	b, err := h.db.Board(bg(), now)
	must(t, err)
	zone, _ := time.LoadLocation(agent.DefaultZone)
	want := agent.DailyStats(agent.DayOf(now, zone), zone, agent.DefaultRingLimit, calls, nil, nil)
	if len(b.CallTypes) != len(want) {
		t.Fatalf("call types = %+v, want %+v", b.CallTypes, want)
	}
	for i, w := range want {
		if got := b.CallTypes[i]; got.Agent != w.Agent || fmt.Sprint(got.ByType) != fmt.Sprint(w.ByType) {
			t.Errorf("agent %s by type = %v, want DailyStats' %v", w.Agent, got.ByType, w.ByType)
		}
	}
	if total := agent.Totals(agent.DayOf(now, zone), want).ByType; fmt.Sprint(b.CallTypesTotal) != fmt.Sprint(total) {
		t.Errorf("total = %v, want %v", b.CallTypesTotal, total)
	}
	t.Logf("by type: %v, total %v", b.CallTypes, b.CallTypesTotal)
	// Resending the same calls counts nothing twice; a call deleted on the
	// desk is counted no more.
	for _, call := range calls {
		d.Put(agent.KindCall, call.ID, call.Version, call.At, call)
	}
	d.Delete(agent.KindCall, calls[0].ID, calls[0].Version+1, now)
	must(t, c.Drain(bg()))
	b, err = h.db.Board(bg(), now)
	must(t, err)
	if got := fmt.Sprint(b.CallTypes[0].ByType); got != "map[complaint:1 consultation:1 other:1 unwrapped:1]" {
		t.Errorf("1001 after resends and a deletion = %s", got)
	}
	calls = calls[1:]
	// Wrapping the unwrapped call later moves it to its type.
	last := calls[len(calls)-1]
	must(t, last.Wrap(agent.WrapUp{Type: "other", Result: "转售后"}, now))
	last.Touch(now)
	d.Put(agent.KindCall, last.ID, last.Version, now, last)
	must(t, c.Drain(bg()))
	b, err = h.db.Board(bg(), now)
	must(t, err)
	if got := fmt.Sprint(b.CallTypes[1].ByType); got != "map[complaint:1 other:1]" {
		t.Errorf("1002 after the wrap-up = %s", got)
	}
	// In another zone the day holds other calls: London's 23rd.
	calls[len(calls)-1] = last
	_, err = h.db.SetSettings(bg(), agent.CenterSettings{TimeZone: "Europe/London"})
	must(t, err)
	b, err = h.db.Board(bg(), now)
	must(t, err)
	london, _ := time.LoadLocation("Europe/London")
	want = agent.DailyStats(agent.DayOf(now, london), london, agent.DefaultRingLimit, calls, nil, nil)
	got := map[string]string{}
	for _, ct := range b.CallTypes {
		got[ct.Agent] = fmt.Sprint(ct.ByType)
	}
	for _, w := range want {
		if got[w.Agent] != fmt.Sprint(w.ByType) {
			t.Errorf("agent %s in London = %s, want %v", w.Agent, got[w.Agent], w.ByType)
		}
	}
	if len(got) != len(want) {
		t.Errorf("London's call types = %v, want %+v", got, want)
	}
}

// bg is the background context.
func bg() context.Context { return context.Background() }

// Agents in after-call work past the center's limit are flagged; the
// limit is the settings'.
func TestBoard_AfterCallWorkOverLimit(t *testing.T) {
	now := time.Now()
	h := startHub(t, "", []Option{WithClock(agent.FixedClock(now))})
	for who, since := range map[string]time.Duration{"long": 3 * time.Minute, "short": time.Minute} {
		d := upstreamtest.NewDesk(agent.NewID())
		c := newClient(t, h, d)
		must(t, c.Live(bg(), upstream.AgentStatus{Agent: who, State: agent.StatusWrapUp.String(), Since: now.Add(-since)}, nil))
	}
	d := upstreamtest.NewDesk(agent.NewID())
	must(t, newClient(t, h, d).Live(bg(), upstream.AgentStatus{Agent: "talking", State: agent.StatusOnCall.String(), Since: now.Add(-time.Hour)}, nil))
	over := func() map[string]bool {
		b, err := h.db.Board(bg(), now)
		must(t, err)
		out := map[string]bool{}
		for _, a := range b.Agents {
			out[a.Agent] = a.OverLimit
		}
		return out
	}
	if got := fmt.Sprint(over()); got != "map[long:true short:false talking:false]" {
		t.Errorf("over the default 120 s: %s", got)
	}
	_, err := h.db.SetSettings(bg(), agent.CenterSettings{AfterCallWorkSeconds: 30})
	must(t, err)
	if got := fmt.Sprint(over()); got != "map[long:true short:true talking:false]" {
		t.Errorf("over a 30 s limit: %s", got)
	}
}

// An escalation reaches the stream at once as an alert event, with whom
// it is for, who raised it and the note (numbers masked).
func TestStream_EscalationAlertAtOnce(t *testing.T) {
	h := newTestHub(t, nil)
	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	c2, cancel := context.WithTimeout(bg(), 20*time.Second)
	defer cancel()
	next := openStream(t, c2, h.url, sup)
	next("board")
	d := upstreamtest.NewDesk(agent.NewID())
	cl := newClient(t, h, d)
	now := time.Now()
	cs := caseAt(t, d.ID, now.Add(-time.Hour), agent.SeveritySimple, false)
	al, err := cs.Escalate("supervisor", "客户要求主管回电 13800138000", "1001", now)
	must(t, err)
	cs.Touch(now)
	al.Desk = d.ID
	al.Touch(now)
	d.Put(agent.KindComplaint, cs.ID, cs.Version, now, cs)
	d.Put(agent.KindAlert, al.ID, al.Version, now, al)
	must(t, cl.Drain(c2))
	var got upstream.BoardAlert
	must(t, json.Unmarshal([]byte(next("alert")), &got))
	if got.ID != al.ID || got.Kind != agent.AlertEscalation || got.To != "supervisor" || got.By != "1001" || got.ComplaintID != cs.ID ||
		got.Note != "客户要求主管回电 138****8000" || !got.At.Equal(now) {
		t.Errorf("escalation on the stream = %+v", got)
	}
}

// Warning complaints on the board: the current stage, its role and due
// time, lateness per stage and the 24 h / 48 h limits, judged by the
// domain at the board's instant; off the board once every stage is done,
// and judged again when the stages change.
func TestBoard_WarningStagesAndLimits(t *testing.T) {
	raised := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	h := newTestHub(t, nil)
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	policy := agent.DefaultSLAPolicy()
	cs := caseAt(t, d.ID, raised.Add(-10*time.Minute), agent.SeverityComplex, false)
	must(t, cs.RaiseWarning("2001", agent.RoleSupervisor, raised))
	cs.Touch(raised)
	push := func() {
		t.Helper()
		d.Put(agent.KindComplaint, cs.ID, cs.Version, raised, cs)
		must(t, c.Drain(bg()))
	}
	push()
	at := func(d time.Duration) upstream.BoardWarning {
		t.Helper()
		b, err := h.db.Board(bg(), raised.Add(d))
		must(t, err)
		if len(b.Warnings) != 1 {
			t.Fatalf("warnings at +%s = %+v, want the case", d, b.Warnings)
		}
		return b.Warnings[0]
	}
	w := at(30 * time.Minute)
	want := policy.Status(*cs.Warning, raised.Add(30*time.Minute))
	if w.ID != cs.ID || w.StageName != "pick_up" || w.StageRole != agent.RoleSupervisor || !w.StageDue.Equal(raised.Add(time.Hour)) || w.StageLate ||
		!w.HandleDue.Equal(raised.Add(24*time.Hour)) || !w.CloseDue.Equal(raised.Add(48*time.Hour)) || w.HandleLate || w.CloseLate ||
		w.RaisedBy != "2001" || fmt.Sprint(w.SLAStatus) != fmt.Sprint(want) {
		t.Errorf("at +30m: %+v, want %+v", w, want)
	}
	if w := at(2 * time.Hour); !w.StageLate || fmt.Sprint(w.LateStages) != "[pick_up]" || !w.Late {
		t.Errorf("at +2h: %+v, want pick_up late", w)
	}
	must(t, cs.CompleteStage(policy, "2001", agent.RoleSupervisor, "已接手", raised.Add(2*time.Hour)))
	cs.Touch(raised.Add(2 * time.Hour))
	push()
	if w := at(2*time.Hour + 10*time.Minute); w.StageName != "send_back" || w.StageLate || fmt.Sprint(w.LateStages) != "[pick_up]" {
		t.Errorf("after the late pick-up: %+v", w)
	}
	if w := at(25 * time.Hour); !w.HandleLate || w.CloseLate {
		t.Errorf("at +25h: handle late %v, close late %v; want only the 24 h limit passed", w.HandleLate, w.CloseLate)
	}
	if w := at(49 * time.Hour); !w.HandleLate || !w.CloseLate {
		t.Errorf("at +49h: handle late %v, close late %v; want both limits passed", w.HandleLate, w.CloseLate)
	}

	// Under a timeline of one stage the case, one stage done, is done and
	// leaves the board; under the default again it is back.
	one := &agent.WarningSettings{RaiseWithinMinutes: 30, Stages: []agent.StageSetting{{Name: "pick_up", Role: agent.RoleSupervisor, Minutes: 60}}}
	_, err := h.db.SetSettings(bg(), agent.CenterSettings{Warning: one})
	must(t, err)
	b, err := h.db.Board(bg(), raised.Add(3*time.Hour))
	must(t, err)
	if len(b.Warnings) != 0 {
		t.Errorf("warnings under a one-stage timeline = %+v, want none", b.Warnings)
	}
	_, err = h.db.SetSettings(bg(), agent.CenterSettings{})
	must(t, err)
	at(3 * time.Hour) // back under the default timeline

	for i := 1; i < len(policy.Stages); i++ {
		role := policy.Stages[i].Role
		if role != agent.RoleAgent {
			role = agent.RoleSupervisor
		}
		must(t, cs.CompleteStage(policy, "2001", role, "完成", raised.Add(time.Duration(2+i)*time.Hour)))
	}
	cs.Touch(raised.Add(10 * time.Hour))
	push()
	b, err = h.db.Board(bg(), raised.Add(11*time.Hour))
	must(t, err)
	if len(b.Warnings) != 0 {
		t.Errorf("warnings after every stage is done = %+v", b.Warnings)
	}
}

// A database made before migration 0005 holds calls, callbacks and
// complaints without the derived columns: the migration computes them
// with the rules Push uses.
func TestMigrate_BackfillsDerivedColumns(t *testing.T) {
	c0 := context.Background()
	dsn := pgtest.New(t)
	conn, err := pgx.Connect(c0, dsn)
	must(t, err)
	defer conn.Close(c0)
	_, err = conn.Exec(c0, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	must(t, err)
	for i, name := range []string{"0001_init.sql", "0002_reply_due.sql", "0003_pack_review.sql", "0004_trust.sql"} {
		sql, err := migrationFS.ReadFile("migrations/" + name)
		must(t, err)
		_, err = conn.Exec(c0, string(sql))
		must(t, err)
		_, err = conn.Exec(c0, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, i+1, name)
		must(t, err)
	}
	desk := agent.NewID()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	call := agent.Call{Meta: agent.Meta{ID: agent.NewID(), Version: 1}, At: now, Agent: "1001", Number: "+8613800138000"}
	must(t, call.Wrap(agent.WrapUp{Type: "consultation", Result: "已答复"}, now))
	cb := agent.Callback{Meta: agent.Meta{ID: agent.NewID(), Version: 1, CreatedAt: now}, CustomerID: agent.NewID(), Agent: "1002"}
	cs := caseAt(t, desk, now, agent.SeveritySimple, false)
	must(t, cs.RaiseWarning("2001", agent.RoleSupervisor, now))
	for _, r := range []struct {
		kind agent.Kind
		id   string
		v    any
	}{{agent.KindCall, call.ID, call}, {agent.KindCallback, cb.ID, cb}, {agent.KindComplaint, cs.ID, cs}} {
		body, err := json.Marshal(r.v)
		must(t, err)
		_, err = conn.Exec(c0, `INSERT INTO records (kind, id, version, desk, body, doc, received_at, rev) VALUES ($1, $2, 1, $3, $4::bytea, convert_from($4::bytea, 'UTF8')::jsonb, $5, nextval('record_rev'))`,
			string(r.kind), r.id, desk, body, now)
		must(t, err)
	}
	db, err := Open(c0, dsn, WithLogger(quiet))
	must(t, err)
	defer db.Close()
	var callAgent, callType string
	var callAt time.Time
	must(t, conn.QueryRow(c0, `SELECT agent, call_type, call_at FROM records WHERE id = $1`, call.ID).Scan(&callAgent, &callType, &callAt))
	if callAgent != "1001" || callType != "consultation" || !callAt.Equal(now) {
		t.Errorf("call columns = %s %s %s", callAgent, callType, callAt)
	}
	var cbAgent string
	var pending bool
	var created time.Time
	must(t, conn.QueryRow(c0, `SELECT agent, cb_pending, cb_created FROM records WHERE id = $1`, cb.ID).Scan(&cbAgent, &pending, &created))
	if cbAgent != "1002" || !pending || !created.Equal(now) {
		t.Errorf("callback columns = %s %v %s", cbAgent, pending, created)
	}
	b, err := db.Board(c0, now.Add(time.Hour))
	must(t, err)
	if len(b.Warnings) != 1 || b.Warnings[0].ID != cs.ID {
		t.Errorf("warnings after the migration = %+v", b.Warnings)
	}
	if fmt.Sprint(b.CallTypes) != "[{1001 map[consultation:1]}]" {
		t.Errorf("call types after the migration = %+v", b.CallTypes)
	}
}
