package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
)

// putComplaintCustomer stores a customer and returns its ID.
func putComplaintCustomer(t testing.TB, s *store.Store, member bool) string {
	t.Helper()
	c := &agent.Customer{Name: "客户", Phones: []string{"13800138000"}, Member: member}
	if err := s.PutCustomer(c, time.Unix(1, 0)); err != nil {
		t.Fatalf("put customer: %v", err)
	}
	return c.ID
}

func complaintFacts() agent.Facts {
	return agent.Facts{What: "破损", When: "昨天", Where: "家", Subject: "订单1", Wants: "换货"}
}

// followed returns a case through 跟清楚 for customer id.
func followedCase(t testing.TB, id string, sev agent.Severity, at time.Time) (*agent.Complaint, *agent.Alert) {
	t.Helper()
	c, err := agent.NewComplaint(id, "agent-1", agent.ChannelPhone, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen("说法", at); err != nil {
		t.Fatal(err)
	}
	if err := c.Ask(complaintFacts(), true, at); err != nil {
		t.Fatal(err)
	}
	a, err := c.Follow(agent.FollowInput{Severity: sev}, at, agent.DefaultReplyPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return c, a
}

func complaintOutboxLen(t testing.TB, s *store.Store) int {
	t.Helper()
	n, _, err := s.OutboxStats()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPutComplaint_UnknownCustomerRefused(t *testing.T) {
	s := storetest.Open(t)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, a := followedCase(t, agent.NewID(), agent.SeverityMajor, at)
	before := complaintOutboxLen(t, s)
	err := s.PutComplaint(c, at, a)
	if !errors.Is(err, store.ErrUnknownCustomer) {
		t.Fatalf("err = %v, want ErrUnknownCustomer", err)
	}
	if c.Version != 0 {
		t.Error("refused save stamped the case")
	}
	if _, err := s.Complaint(c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused case stored: %v", err)
	}
	if al, _ := s.Alerts(time.Time{}); len(al) != 0 || complaintOutboxLen(t, s) != before {
		t.Error("refused save left an alert or an outbox entry")
	}
}

func TestPutComplaint_RoundTripWithAlertAndOutbox(t *testing.T) {
	s := storetest.Open(t)
	c1 := putComplaintCustomer(t, s, true)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, a := followedCase(t, c1, agent.SeverityMajor, at)
	before := complaintOutboxLen(t, s)
	if err := s.PutComplaint(c, at, a); err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || c.Desk != s.DeskID() || a.Version != 1 {
		t.Errorf("meta after save: case %+v alert %+v", c.Meta, a.Meta)
	}
	if got := complaintOutboxLen(t, s) - before; got != 2 {
		t.Errorf("outbox grew by %d, want 2 (case and alert)", got)
	}
	got, err := s.Complaint(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reported == nil || got.Reported.AlertID != a.ID || got.Followed.Severity != agent.SeverityMajor || !got.ReplyDue().Equal(c.ReplyDue()) {
		t.Errorf("stored case = %+v", got)
	}
	alerts, err := s.Alerts(at)
	if err != nil || len(alerts) != 1 || alerts[0].ComplaintID != c.ID {
		t.Errorf("alerts = %+v, %v", alerts, err)
	}
	if err := c.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(c, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Complaint(c.ID); got.Version != 2 || got.State != agent.StateReplied {
		t.Errorf("after second save: version %d state %s", got.Version, got.State)
	}
}

func TestPutComplaint_StaleCopyGetsHigherVersion(t *testing.T) {
	s := storetest.Open(t)
	cust := putComplaintCustomer(t, s, true)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, _ := followedCase(t, cust, agent.SeveritySimple, at)
	if err := s.PutComplaint(c, at); err != nil {
		t.Fatal(err)
	}
	var stale agent.Complaint // a deep copy read before the next save
	if b, err := json.Marshal(c); err != nil || json.Unmarshal(b, &stale) != nil {
		t.Fatal(err)
	}
	if err := c.AddFollowUp("first", at); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(c, at); err != nil { // version 2
		t.Fatal(err)
	}
	if err := stale.AddFollowUp("from a stale copy", at); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(&stale, at); err != nil {
		t.Fatal(err)
	}
	got, err := s.Complaint(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 3 || stale.Version != 3 || got.Followed.Entries[0].Note != "from a stale copy" {
		t.Errorf("after saving a stale copy: version %d (copy %d), entries %+v", got.Version, stale.Version, got.Followed.Entries)
	}
}

func TestComplaints_OverdueThroughIndex(t *testing.T) {
	s := storetest.Open(t)
	c1 := putComplaintCustomer(t, s, true)
	c2 := putComplaintCustomer(t, s, false)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 5, 6, 23, 0, 0, 0, loc)
	simple, _ := followedCase(t, c1, agent.SeveritySimple, at)    // due 01:00
	complex_, _ := followedCase(t, c2, agent.SeverityComplex, at) // due 23:00 next day
	replied, _ := followedCase(t, c1, agent.SeveritySimple, at.Add(-3*time.Hour))
	if err := replied.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*agent.Complaint{simple, complex_, replied} {
		if err := s.PutComplaint(c, at); err != nil {
			t.Fatal(err)
		}
	}
	overdue := func(at time.Time) []string {
		t.Helper()
		cs, err := s.Complaints(store.ComplaintFilter{OverdueAt: at})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	if got := overdue(time.Date(2026, 5, 7, 1, 0, 0, 0, loc)); len(got) != 0 {
		t.Errorf("overdue at the deadline: %v", got)
	}
	if got := overdue(time.Date(2026, 5, 7, 1, 0, 1, 0, loc)); len(got) != 1 || got[0] != simple.ID {
		t.Errorf("overdue after 01:00 = %v, want [%s]", got, simple.ID)
	}
	if got := overdue(time.Date(2026, 5, 8, 0, 0, 0, 0, loc)); len(got) != 2 || got[0] != simple.ID || got[1] != complex_.ID {
		t.Errorf("overdue next day = %v, want simple then complex", got)
	}
	// Replying takes a case out of the index.
	if err := simple.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(simple, at.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := overdue(time.Date(2026, 5, 8, 0, 0, 0, 0, loc)); len(got) != 1 || got[0] != complex_.ID {
		t.Errorf("overdue after the reply = %v", got)
	}
	due, err := s.DueCases(time.Date(2026, 5, 8, 0, 0, 0, 0, loc))
	if err != nil || len(due) != 1 || due[0].ID != complex_.ID || due[0].Severity != agent.SeverityComplex ||
		!due[0].ReplyDue.Equal(complex_.ReplyDue()) || len(due[0].Missing) != 2 {
		t.Errorf("DueCases = %+v, %v", due, err)
	}
	all, err := s.Complaints(store.ComplaintFilter{CustomerID: c1, States: []agent.ComplaintState{agent.StateReplied}})
	if err != nil || len(all) != 2 {
		t.Errorf("replied cases of c1 = %d, %v", len(all), err)
	}
	if of2, err := s.Complaints(store.ComplaintFilter{CustomerID: c2}); err != nil || len(of2) != 1 || of2[0].ID != complex_.ID {
		t.Errorf("cases of c2 = %+v, %v", of2, err)
	}
	soon, err := s.Complaints(store.ComplaintFilter{DueBefore: time.Date(2026, 5, 8, 0, 0, 0, 0, loc)})
	if err != nil || len(soon) != 1 {
		t.Errorf("due before = %d, %v", len(soon), err)
	}
}

func TestCalls_DayRange(t *testing.T) {
	s := storetest.Open(t)
	c1 := putComplaintCustomer(t, s, true)
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := agent.Day{Year: 2026, Month: 5, Day: 6}
	start, end := day.Bounds(loc)
	times := []time.Time{start.Add(-time.Second), start, end.Add(-time.Second), end}
	for i, at := range times {
		c := &agent.Call{At: at, Number: "010 1234 5678", Agent: "a", CustomerID: c1, RingSeconds: float64(i)}
		if err := s.PutCall(c, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Calls(start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].At.Equal(start) || got[0].Number != "+861012345678" {
		t.Errorf("calls of the day = %+v", got)
	}
	bad := &agent.Call{At: start, Agent: "a", CustomerID: agent.NewID()}
	if err := s.PutCall(bad, start); !errors.Is(err, store.ErrUnknownCustomer) {
		t.Errorf("call for an unknown customer: %v", err)
	}
	// Moving a call's time moves it in the index.
	got[0].At = end.Add(time.Hour)
	if err := s.PutCall(&got[0], end); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Calls(start, end); len(again) != 1 {
		t.Errorf("after moving a call out: %d calls", len(again))
	}
	recent, err := s.RecentCalls(c1, 3)
	if err != nil {
		t.Fatal(err)
	}
	// The moved call (end+1h) is now the newest; then end, then end-1s.
	if len(recent) != 3 || !recent[0].At.Equal(end.Add(time.Hour)) || !recent[1].At.Equal(end) || !recent[2].At.Equal(end.Add(-time.Second)) {
		t.Errorf("recent calls = %+v", recent)
	}
	if all, _ := s.RecentCalls(c1, 10); len(all) != 4 {
		t.Errorf("all calls of the customer: %d, want 4", len(all))
	}
	if none, _ := s.RecentCalls(agent.NewID(), 10); len(none) != 0 {
		t.Errorf("calls of a customer with none: %+v", none)
	}
}

func TestCallbacks_PutAndFilter(t *testing.T) {
	s := storetest.Open(t)
	c1 := putComplaintCustomer(t, s, true)
	putComplaintCustomer(t, s, true)
	putComplaintCustomer(t, s, false)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	p := agent.CallbackPlan{Agents: []string{"a", "b"}, Quiet: agent.QuietHours{Zone: time.UTC}}
	customers, err := s.MemberCustomers()
	if err != nil || len(customers) != 2 {
		t.Fatalf("members = %d, %v", len(customers), err)
	}
	tasks, err := agent.PlanCallbacks(customers, nil, p, at)
	if err != nil || len(tasks) != 2 {
		t.Fatalf("plan: %d, %v", len(tasks), err)
	}
	ptrs := []*agent.Callback{&tasks[0], &tasks[1]}
	if err := s.PutCallbacks(ptrs, at); err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := tasks[0].Record(agent.CallbackOutcome{At: at, Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}, p.Quiet, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCallback(&tasks[0], at); err != nil {
		t.Fatal(err)
	}
	pending, err := s.Callbacks(store.CallbackFilter{PendingOnly: true})
	if err != nil || len(pending) != 1 || pending[0].ID != tasks[1].ID {
		t.Errorf("pending = %+v, %v", pending, err)
	}
	got, err := s.Callback(tasks[0].ID)
	if err != nil || got.State != agent.CallbackDone || got.Version != 2 {
		t.Errorf("stored task = %+v, %v", got, err)
	}
	ghost := &agent.Callback{CustomerID: agent.NewID(), Agent: "a", Due: at}
	if err := s.PutCallbacks([]*agent.Callback{ghost, {CustomerID: c1, Agent: "a", Due: at}}, at); !errors.Is(err, store.ErrUnknownCustomer) {
		t.Errorf("plan with an unknown customer: %v", err)
	}
	if all, _ := s.Callbacks(store.CallbackFilter{}); len(all) != 2 {
		t.Errorf("a refused plan stored %d tasks", len(all)-2)
	}
}

func TestPutAlert(t *testing.T) {
	s := storetest.Open(t)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	a := &agent.Alert{Kind: agent.AlertMajorComplaint, Summary: "x", At: at}
	if err := s.PutAlert(a, at); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Alerts(at.Add(time.Second)); len(got) != 0 {
		t.Error("Alerts(since) returned an older alert")
	}
	if got, _ := s.Alerts(at); len(got) != 1 || got[0].ID != a.ID {
		t.Errorf("alerts = %+v", got)
	}
}
