package store_test

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"

	bolt "go.etcd.io/bbolt"
)

func summaryIDs(t *testing.T, s *store.Store, f store.ComplaintFilter) []string {
	t.Helper()
	sums, err := s.ComplaintSummaries(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range sums {
		out = append(out, x.ID)
	}
	return out
}

func caseIDs(t *testing.T, s *store.Store, f store.ComplaintFilter) []string {
	t.Helper()
	cs, err := s.Complaints(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// TestComplaintSummaries_FiltersAndMoves: summaries follow a case through
// owner and state changes, and list what Complaints lists, in its order.
func TestComplaintSummaries_FiltersAndMoves(t *testing.T) {
	s := storetest.Open(t)
	c1 := putComplaintCustomer(t, s, true)
	c2 := putComplaintCustomer(t, s, false)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	a, _ := followedCase(t, c1, agent.SeveritySimple, at)
	b, _ := followedCase(t, c2, agent.SeverityComplex, at)
	open, err := agent.NewComplaint(c1, "agent-2", agent.ChannelLetter, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*agent.Complaint{a, b, open} {
		if err := s.PutComplaint(c, at); err != nil {
			t.Fatal(err)
		}
	}
	filters := []store.ComplaintFilter{
		{}, {Owner: "agent-1"}, {Owner: "agent-2"}, {States: []agent.ComplaintState{agent.StateAwaitingReply}},
		{States: []agent.ComplaintState{agent.StateOpen, agent.StateAwaitingReply}}, {CustomerID: c1},
		{CustomerID: c1, Owner: "agent-1"}, {Owner: "agent-1", States: []agent.ComplaintState{agent.StateReplied}},
		{OverdueAt: at.Add(3 * time.Hour)}, {DueBefore: at.Add(48 * time.Hour), Owner: "agent-1"},
	}
	check := func(stage string) {
		t.Helper()
		for _, f := range filters {
			if got, want := summaryIDs(t, s, f), caseIDs(t, s, f); !slices.Equal(got, want) {
				t.Errorf("%s: summaries of %+v = %v, cases %v", stage, f, got, want)
			}
		}
	}
	check("saved")
	if got := summaryIDs(t, s, store.ComplaintFilter{Owner: "agent-2"}); len(got) != 1 || got[0] != open.ID {
		t.Errorf("cases of agent-2 = %v", got)
	}
	// Replied: out of awaiting, into replied; handed to another owner.
	if err := a.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	a.Owner = "agent-2"
	if err := s.PutComplaint(a, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("replied and handed over")
	sums, err := s.ComplaintSummaries(store.ComplaintFilter{Owner: "agent-2", States: []agent.ComplaintState{agent.StateReplied}})
	if err != nil || len(sums) != 1 || sums[0].ID != a.ID || sums[0].Severity != agent.SeveritySimple || !sums[0].ReplyDue.IsZero() {
		t.Errorf("replied case of agent-2 = %+v, %v", sums, err)
	}
	if got := summaryIDs(t, s, store.ComplaintFilter{Owner: "agent-1"}); len(got) != 1 || got[0] != b.ID {
		t.Errorf("agent-1 keeps %v", got)
	}
}

// TestBetween_DayIndexes: ComplaintsBetween and CallbacksBetween name the
// records with an event in the range, and follow the events as they move.
func TestBetween_DayIndexes(t *testing.T) {
	s := storetest.Open(t)
	cust := putComplaintCustomer(t, s, true)
	day := func(d int) (time.Time, time.Time) {
		return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, d+1, 0, 0, 0, 0, time.UTC)
	}
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, _ := followedCase(t, cust, agent.SeveritySimple, at)
	if err := s.PutComplaint(c, at); err != nil {
		t.Fatal(err)
	}
	n := func(from, to time.Time) int {
		t.Helper()
		cs, err := s.ComplaintsBetween(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n(day(6)) != 1 || n(day(7)) != 0 {
		t.Errorf("opened on the 6th: %d that day, %d the next", n(day(6)), n(day(7)))
	}
	if err := c.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(c, at.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n(day(7)) != 1 {
		t.Error("replied on the 7th: not in the 7th")
	}
	if err := c.Reopen("不满意", at.Add(48*time.Hour), agent.DefaultReplyPolicy()); err != nil {
		t.Fatal(err)
	}
	if err := s.PutComplaint(c, at.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n(day(7)) != 0 {
		t.Error("a reopened case's old reply still counts on the 7th")
	}
	if from, _ := day(1); n(from, from.Add(30*24*time.Hour)) != 1 {
		t.Error("a case with two events is listed twice")
	}

	cb := &agent.Callback{CustomerID: cust, Agent: "a", Due: at}
	if err := s.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	m := func(from, to time.Time) []agent.Callback {
		t.Helper()
		cbs, err := s.CallbacksBetween(from, to)
		if err != nil {
			t.Fatal(err)
		}
		return cbs
	}
	if len(m(day(6))) != 0 {
		t.Error("a task without a try is in the day index")
	}
	no, yes := false, true
	q := agent.QuietHours{Zone: time.UTC}
	if err := cb.Record(agent.CallbackOutcome{At: at, Reached: &no}, q, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCallback(cb, at); err != nil {
		t.Fatal(err)
	}
	if err := cb.Record(agent.CallbackOutcome{At: at.Add(24 * time.Hour), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}, q, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCallback(cb, at.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := m(day(6)); len(got) != 1 || got[0].ID != cb.ID {
		t.Errorf("the try's day: %+v", got)
	}
	if got := m(day(7)); len(got) != 1 || got[0].State != agent.CallbackDone {
		t.Errorf("the outcome's day: %+v", got)
	}
	if got, err := s.Callbacks(store.CallbackFilter{CustomerID: cust}); err != nil || len(got) != 1 {
		t.Errorf("callbacks of the customer: %+v, %v", got, err)
	}
	if got, _ := s.Callbacks(store.CallbackFilter{CustomerID: cust, PendingOnly: true}); len(got) != 0 {
		t.Errorf("pending callbacks of the customer: %+v", got)
	}
}

// TestSchema1_PartialRebuildRedone: a file left at schema 1 by a process
// killed while building the schema-2 indexes (stray and missing entries) is
// rebuilt whole by the next Open.
func TestSchema1_PartialRebuildRedone(t *testing.T) {
	if storetest.Sealed() {
		t.Skip("writes plain index entries into the fixture")
	}
	path := fixtureCopy(t)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("idx_complaint_day"))
		if err != nil {
			return err
		}
		k := binary.BigEndian.AppendUint64(nil, 1)
		if err := b.Put(append(k, "no-such-case"...), nil); err != nil {
			return err
		}
		s, err := tx.CreateBucketIfNotExists([]byte("idx_complaint_summary"))
		if err != nil {
			return err
		}
		return s.Put([]byte("no-such-case"), []byte(`{"id":"no-such-case"}`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.OpenPath(t, path)
	if err := s.CheckIndexes(); err != nil {
		t.Fatalf("after the rebuild: %v", err)
	}
	if got := summaryIDs(t, s, store.ComplaintFilter{}); len(got) != 4 || slices.Contains(got, "no-such-case") {
		t.Errorf("summaries = %v", got)
	}
}
