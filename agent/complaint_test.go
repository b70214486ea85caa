package agent

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func fullFacts() Facts {
	return Facts{What: "快递破损", When: "昨天下午", Where: "家门口", Subject: "订单 A123", Wants: "换货"}
}

// intake returns a case through 跟清楚 at the given instants.
func intake(t *testing.T, sev Severity, at time.Time) (*Complaint, *Alert) {
	t.Helper()
	c, err := NewComplaint("cust-1", "agent-7", ChannelPhone, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen("我的快递到了就是破的", at); err != nil {
		t.Fatal(err)
	}
	if err := c.Ask(fullFacts(), true, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	a, err := c.Follow(FollowInput{Severity: sev}, at.Add(2*time.Minute), DefaultReplyPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return c, a
}

func TestComplaint_Follow_DefaultDeadlines(t *testing.T) {
	loc := shanghai(t)
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, loc)
	tests := []struct {
		sev  Severity
		want time.Duration
	}{
		{SeveritySimple, 2 * time.Hour},
		{SeverityComplex, 24 * time.Hour},
		{SeverityMajor, 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.sev.String(), func(t *testing.T) {
			c, _ := intake(t, tt.sev, at)
			followAt := at.Add(2 * time.Minute)
			if got := c.ReplyDue(); !got.Equal(followAt.Add(tt.want)) {
				t.Errorf("ReplyDue = %v, want %v", got, followAt.Add(tt.want))
			}
			if c.State != StateAwaitingReply {
				t.Errorf("state = %s, want awaiting_reply", c.State)
			}
			due := c.ReplyDue()
			if c.ReplyOverdue(due) {
				t.Error("overdue exactly at the deadline")
			}
			if !c.ReplyOverdue(due.Add(time.Second)) {
				t.Error("not overdue a second after the deadline")
			}
		})
	}
}

func TestComplaint_Follow_DeadlineAcrossMidnight(t *testing.T) {
	loc := shanghai(t)
	at := time.Date(2026, 12, 31, 22, 58, 0, 0, loc) // follow at 23:00
	c, _ := intake(t, SeveritySimple, at)
	due := c.ReplyDue().In(loc)
	if want := time.Date(2027, 1, 1, 1, 0, 0, 0, loc); !due.Equal(want) {
		t.Fatalf("due = %v, want %v", due, want)
	}
	if DayOf(due, loc) != (Day{2027, 1, 1}) {
		t.Errorf("due falls on %v, want 2027-01-01", DayOf(due, loc))
	}
	cs := []Complaint{*c}
	if n := len(OverdueReplies(cs, time.Date(2027, 1, 1, 0, 59, 0, 0, loc))); n != 0 {
		t.Errorf("overdue at 00:59: %d cases", n)
	}
	if n := len(OverdueReplies(cs, time.Date(2027, 1, 1, 1, 1, 0, 0, loc))); n != 1 {
		t.Errorf("overdue at 01:01: %d cases, want 1", n)
	}
	if !c.ReplyDueWithin(time.Date(2026, 12, 31, 23, 45, 0, 0, loc), 90*time.Minute) {
		t.Error("not due within 90 min of 23:45")
	}
	if c.ReplyDueWithin(time.Date(2026, 12, 31, 23, 45, 0, 0, loc), 60*time.Minute) {
		t.Error("due within 60 min of 23:45")
	}
}

func TestComplaint_Follow_DeadlineAcrossZones(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	loc := shanghai(t)
	// An agent in Berlin takes a complex complaint the day before the spring
	// DST change: 24 hours later the Berlin wall clock reads one hour more.
	at := time.Date(2026, 3, 28, 11, 58, 0, 0, berlin)
	c, _ := intake(t, SeverityComplex, at)
	due := c.ReplyDue()
	if got, want := due.In(berlin), time.Date(2026, 3, 29, 13, 0, 0, 0, berlin); !got.Equal(want) || got.Hour() != 13 {
		t.Errorf("Berlin due = %v, want %v (13:00 CEST)", got, want)
	}
	// The same deadline in the center's zone, which has no DST.
	if got := due.In(loc); got.Hour() != 19 || got.Day() != 29 {
		t.Errorf("Shanghai due = %v, want 2026-03-29 19:00", got)
	}
	// Checking from a clock in another zone sees the same instant.
	if c.ReplyOverdue(time.Date(2026, 3, 29, 18, 59, 0, 0, loc)) {
		t.Error("overdue before the deadline seen from Shanghai")
	}
	if !c.ReplyOverdue(time.Date(2026, 3, 29, 13, 0, 1, 0, berlin)) {
		t.Error("not overdue after the deadline seen from Berlin")
	}
}

func TestComplaint_Follow_AgentChangesDeadline(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, err := NewComplaint("c", "a", ChannelLetter, at)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Listen("x", at))
	must(t, c.Ask(fullFacts(), true, at))
	own := at.Add(5 * time.Hour)
	if _, err := c.Follow(FollowInput{Severity: SeveritySimple, ReplyDue: own}, at, DefaultReplyPolicy()); !errors.Is(err, ErrEmpty) {
		t.Fatalf("own deadline without a reason: err = %v, want ErrEmpty", err)
	}
	if c.Followed != nil {
		t.Fatal("refused Follow changed the case")
	}
	if _, err := c.Follow(FollowInput{Severity: SeveritySimple, ReplyDue: own, DueReason: "客户下午开会"}, at, DefaultReplyPolicy()); err != nil {
		t.Fatal(err)
	}
	if !c.ReplyDue().Equal(own) {
		t.Errorf("due = %v, want %v", c.ReplyDue(), own)
	}
	ch := c.Followed.DueChanges
	if len(ch) != 1 || ch[0].Reason != "客户下午开会" || !ch[0].From.Equal(at.Add(2*time.Hour)) || !ch[0].To.Equal(own) {
		t.Errorf("due changes = %+v", ch)
	}
	later := own.Add(time.Hour)
	if err := c.SetReplyDue(later, "", at); !errors.Is(err, ErrEmpty) {
		t.Errorf("SetReplyDue without reason: %v", err)
	}
	must(t, c.SetReplyDue(later, "等分公司回复", at.Add(time.Hour)))
	if !c.ReplyDue().Equal(later) || len(c.Followed.DueChanges) != 2 {
		t.Errorf("after SetReplyDue: due %v, changes %d", c.ReplyDue(), len(c.Followed.DueChanges))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestComplaint_StepsInOrder(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	p := DefaultReplyPolicy()
	c, err := NewComplaint("c", "a", ChannelPhone, at)
	must(t, err)
	if err := c.Ask(fullFacts(), true, at); !errors.Is(err, ErrStepOrder) {
		t.Errorf("Ask before Listen: %v", err)
	}
	if _, err := c.Follow(FollowInput{Severity: SeveritySimple}, at, p); !errors.Is(err, ErrStepOrder) {
		t.Errorf("Follow before Ask: %v", err)
	}
	if err := c.Reply(ReplyInput{How: "电话", Said: "已处理"}, at); !errors.Is(err, ErrStepOrder) {
		t.Errorf("Reply before Follow: %v", err)
	}
	if err := c.Record("m", "p", "r", at); !errors.Is(err, ErrStepOrder) {
		t.Errorf("Record before Reply: %v", err)
	}
	if err := c.Listen("  ", at); !errors.Is(err, ErrEmpty) {
		t.Errorf("blank statement: %v", err)
	}
	must(t, c.Listen("说法", at))
	bad := fullFacts()
	bad.Wants = ""
	if err := c.Ask(bad, true, at); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), "wants") {
		t.Errorf("Ask without what the caller wants: %v", err)
	}
	must(t, c.Ask(fullFacts(), false, at))
	if _, err := c.Follow(FollowInput{Severity: SeveritySimple}, at, p); !errors.Is(err, ErrStepOrder) {
		t.Errorf("Follow before read-back: %v", err)
	}
	must(t, c.Ask(fullFacts(), true, at))
	if _, err := c.Follow(FollowInput{}, at, p); !errors.Is(err, ErrEmpty) {
		t.Errorf("Follow without severity: %v", err)
	}
	if _, err := c.Follow(FollowInput{Severity: SeverityComplex}, at, p); err != nil {
		t.Fatal(err)
	}
	if err := c.Ask(fullFacts(), false, at); !errors.Is(err, ErrEmpty) {
		t.Errorf("unconfirmed Ask edit while followed: %v", err)
	}
	if err := c.Close(at); !errors.Is(err, ErrEmpty) {
		t.Errorf("Close with reply and record missing: %v", err)
	}
}

func TestComplaint_Missing_NamesEveryStep(t *testing.T) {
	c := &Complaint{}
	got := c.Missing()
	want := []Step{StepListen, StepAsk, StepFollow, StepReply, StepRecord}
	if len(got) != len(want) {
		t.Fatalf("Missing() = %v", got)
	}
	for i, s := range want {
		if got[i].Step != s {
			t.Errorf("problem %d is %s, want %s", i, got[i].Step, s)
		}
	}
	c.Followed = &FollowStep{Severity: SeverityMajor, ReplyDue: time.Unix(1, 0)}
	var report bool
	for _, p := range c.Missing() {
		report = report || p.Step == StepReport
	}
	if !report {
		t.Error("a major case without a report does not name 报告")
	}
	err := (&IncompleteError{Problems: c.Missing()}).Error()
	for _, l := range []string{"听清楚", "问清楚", "复清楚", "记清楚", "报告"} {
		if !strings.Contains(err, l) {
			t.Errorf("error does not name %s:\n%s", l, err)
		}
	}
}

func TestComplaint_Lifecycle_CloseReopen(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	p := DefaultReplyPolicy()
	c, alert := intake(t, SeveritySimple, at)
	if alert != nil {
		t.Fatal("a simple case raised an alert")
	}
	must(t, c.AddFollowUp("联系了仓库", at.Add(30*time.Minute)))
	must(t, c.Reply(ReplyInput{How: "电话", Said: "已补发", Accepted: false}, at.Add(time.Hour)))
	if c.State != StateReplied {
		t.Fatalf("state = %s after Reply", c.State)
	}
	must(t, c.Record("快递破损", "联系仓库补发", "已补发", at.Add(time.Hour)))
	err := c.Close(at.Add(time.Hour))
	var inc *IncompleteError
	if !errors.As(err, &inc) || len(inc.Problems) != 1 || inc.Problems[0].Step != StepReply {
		t.Fatalf("Close with the reply not accepted: %v", err)
	}
	must(t, c.Reply(ReplyInput{How: "电话", Said: "已补发，明天到", Accepted: true}, at.Add(90*time.Minute)))
	must(t, c.Close(at.Add(2*time.Hour)))
	if c.State != StateClosed || c.ClosedAt.IsZero() {
		t.Fatalf("state %s closed_at %v", c.State, c.ClosedAt)
	}
	if err := c.Listen("again", at); !errors.Is(err, ErrClosed) {
		t.Errorf("Listen on closed case: %v", err)
	}
	if err := c.Reopen("", at.Add(3*time.Hour), p); !errors.Is(err, ErrEmpty) {
		t.Errorf("Reopen without reason: %v", err)
	}
	reopenAt := at.Add(26 * time.Hour)
	must(t, c.Reopen("货还没到", reopenAt, p))
	if c.State != StateAwaitingReply || c.Replied != nil || c.Recorded != nil {
		t.Fatalf("after reopen: state %s reply %v record %v", c.State, c.Replied, c.Recorded)
	}
	if !c.ReplyDue().Equal(reopenAt.Add(2 * time.Hour)) {
		t.Errorf("due after reopen = %v", c.ReplyDue())
	}
	b, _ := json.Marshal(c)
	for _, s := range []string{"已补发，明天到", "联系仓库补发", "货还没到", "联系了仓库"} {
		if !strings.Contains(string(b), s) {
			t.Errorf("content %q lost after reopen", s)
		}
	}
	if err := c.Close(reopenAt); err == nil {
		t.Error("reopened case closed without a new reply")
	}
}

func TestComplaint_Major_ReportsAtOnce(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, alert := intake(t, SeverityMajor, at)
	if alert == nil {
		t.Fatal("major case raised no alert")
	}
	if c.Reported == nil || c.Reported.AlertID != alert.ID || alert.ComplaintID != c.ID || c.ID == "" {
		t.Fatalf("report %+v alert %+v id %q", c.Reported, alert, c.ID)
	}
	if !alert.At.Equal(at.Add(2*time.Minute)) || alert.Kind != AlertMajorComplaint {
		t.Errorf("alert = %+v", alert)
	}
	// Editing the step again does not report twice.
	a2, err := c.Follow(FollowInput{Severity: SeverityMajor}, at.Add(time.Hour), DefaultReplyPolicy())
	must(t, err)
	if a2 != nil {
		t.Error("second Follow raised a second alert")
	}
	// A simple case escalated to major is reported when it becomes major.
	s, _ := intake(t, SeveritySimple, at)
	a3, err := s.Follow(FollowInput{Severity: SeverityMajor}, at.Add(time.Hour), DefaultReplyPolicy())
	must(t, err)
	if a3 == nil || s.Reported == nil {
		t.Error("escalation to major raised no alert")
	}
}

func TestComplaint_SolvedOnCall(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, err := NewComplaint("c", "a", ChannelPhone, at)
	must(t, err)
	must(t, c.Listen("s", at))
	must(t, c.Ask(fullFacts(), true, at))
	_, err = c.Follow(FollowInput{Severity: SeveritySimple, SolvedOnCall: true}, at, DefaultReplyPolicy())
	must(t, err)
	if !c.ReplyDue().IsZero() || c.ReplyOverdue(at.Add(100*time.Hour)) {
		t.Error("a case solved on the call has a reply deadline")
	}
	must(t, c.Reply(ReplyInput{How: "当场", Said: "已解决", Accepted: true}, at))
	if ok, has := c.RepliedOnTime(); !ok || !has {
		t.Error("solved on call not counted on time")
	}
}

func TestComplaint_EditKeepsRevisions(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, _ := intake(t, SeveritySimple, at)
	must(t, c.Listen("更正后的说法", at.Add(time.Hour)))
	if c.Heard.Statement != "更正后的说法" || len(c.Revisions) != 1 || c.Revisions[0].Step != StepListen {
		t.Fatalf("after edit: %+v revisions %+v", c.Heard, c.Revisions)
	}
	if !strings.Contains(string(c.Revisions[0].Previous), "我的快递到了就是破的") {
		t.Errorf("revision lost the old statement: %s", c.Revisions[0].Previous)
	}
	if c.Followed == nil || c.State != StateAwaitingReply {
		t.Error("editing an earlier step undid a later one")
	}
}

func TestBuildComplaint_ListsEveryProblem(t *testing.T) {
	var in ComplaintInput
	raw := `{"customer_id":"","owner":"a","channel":"letter",
	  "ask":{"facts":{"what":"x","when":"","where":"w","subject":"s","wants":""},"read_back_confirmed":false},
	  "record":{"matter":"m","process":"","result":"r"}}`
	must(t, json.Unmarshal([]byte(raw), &in))
	_, _, err := BuildComplaint(in, DefaultReplyPolicy(), time.Unix(0, 0))
	var inc *IncompleteError
	if !errors.As(err, &inc) {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"customer missing", "听清楚 (listen): not done", "when missing", "what the caller wants missing",
		"read-back not confirmed", "跟清楚 (follow): not done", "复清楚 (reply): not done", "handling process missing"} {
		if !strings.Contains(msg, s) {
			t.Errorf("problems do not mention %q:\n%s", s, msg)
		}
	}
}

func TestBuildComplaint_WholeCase(t *testing.T) {
	raw := `{"customer_id":"c1","owner":"a","channel":"email","opened_at":"2026-05-06T10:00:00+08:00",
	  "listen":{"statement":"说法"},
	  "ask":{"facts":{"what":"x","when":"t","where":"w","subject":"s","wants":"退款"},"read_back_confirmed":true},
	  "follow":{"severity":"major","entries":[{"note":"n1","at":"2026-05-06T11:00:00+08:00"}]},
	  "reply":{"how":"电话","said":"已退款","accepted":true,"at":"2026-05-06T12:00:00+08:00"},
	  "record":{"matter":"m","process":"p","result":"r","at":"2026-05-06T12:00:00+08:00"},
	  "closed_at":"2026-05-06T12:30:00+08:00"}`
	var in ComplaintInput
	must(t, json.Unmarshal([]byte(raw), &in))
	c, alerts, err := BuildComplaint(in, DefaultReplyPolicy(), time.Unix(0, 0))
	must(t, err)
	if c.State != StateClosed || c.Channel != ChannelEmail || len(alerts) != 1 || len(c.Followed.Entries) != 1 {
		t.Errorf("case %+v alerts %d", c, len(alerts))
	}
	if want := time.Date(2026, 5, 7, 2, 0, 0, 0, time.UTC); !c.Followed.ReplyDue.Equal(want) {
		t.Errorf("due = %v, want %v (24 h from opening)", c.Followed.ReplyDue, want)
	}
}

func TestEnums_RoundTrip(t *testing.T) {
	for _, v := range []interface {
		MarshalText() ([]byte, error)
	}{ChannelVisit, SeverityComplex, StateReplied, StepRecord, CallbackDone, Outbound, CallOther, StatusWrapUp, ReasonMeal} {
		b, err := v.MarshalText()
		if err != nil || len(b) == 0 {
			t.Errorf("%v: %q %v", v, b, err)
		}
	}
	var ch Channel
	if err := ch.UnmarshalText([]byte("fax")); err == nil {
		t.Error("unknown channel accepted")
	}
	if StepAsk.Label() != "问清楚" || StepReport.Label() != "报告" {
		t.Error("step labels")
	}
}
