package agent

import (
	"reflect"
	"testing"
	"time"
)

func TestCall_AnsweredWithin(t *testing.T) {
	limit := 12 * time.Second
	tests := []struct {
		ring     float64
		answered bool
		want     bool
	}{
		{3, true, true}, {12, true, true}, {12.01, true, false}, {2, false, false},
	}
	for _, tt := range tests {
		c := Call{RingSeconds: tt.ring, Answered: tt.answered}
		if got := c.AnsweredWithin(limit); got != tt.want {
			t.Errorf("ring %v answered %v: %v, want %v", tt.ring, tt.answered, got, tt.want)
		}
	}
}

func TestCall_Validate(t *testing.T) {
	c := Call{At: time.Unix(1, 0), Agent: "a", Number: "138 0013 8000"}
	must(t, c.Validate())
	if c.Number != "+8613800138000" {
		t.Errorf("number = %q, want E.164", c.Number)
	}
	anon := Call{At: time.Unix(1, 0), Agent: "a", Number: "anonymous"}
	must(t, anon.Validate())
	if anon.Number != "anonymous" {
		t.Errorf("anonymous number changed to %q", anon.Number)
	}
	if (&Call{Agent: "a"}).Validate() == nil {
		t.Error("call without a time accepted")
	}
}

func TestDay_Bounds(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	d, err := ParseDay("2026-03-29")
	must(t, err)
	s, e := d.Bounds(berlin)
	if e.Sub(s) != 23*time.Hour {
		t.Errorf("DST day is %v long, want 23h", e.Sub(s))
	}
	if _, err := ParseDay("2026-13-01"); err == nil {
		t.Error("bad day parsed")
	}
}

func TestDailyStats(t *testing.T) {
	loc := shanghai(t)
	day := Day{2026, 5, 6}
	at := func(h, m int) time.Time { return time.Date(2026, 5, 6, h, m, 0, 0, loc) }
	calls := []Call{
		{At: at(0, 0), Agent: "a", Direction: Inbound, Answered: true, RingSeconds: 4},
		{At: at(9, 0), Agent: "a", Direction: Inbound, Answered: true, RingSeconds: 15},
		{At: at(9, 5), Agent: "a", Direction: Inbound, Answered: false, RingSeconds: 30},
		{At: at(10, 0), Agent: "a", Direction: Outbound, Answered: true},
		{At: at(23, 59), Agent: "b", Direction: Inbound, Answered: true, RingSeconds: 12},
		// 2026-05-06 23:30 UTC is 07:30 on the 7th in Shanghai: another day.
		{At: time.Date(2026, 5, 6, 23, 30, 0, 0, time.UTC), Agent: "a", Direction: Inbound},
		// 2026-05-05 16:30 UTC is 00:30 on the 6th in Shanghai: this day.
		{At: time.Date(2026, 5, 5, 16, 30, 0, 0, time.UTC), Agent: "b", Direction: Outbound},
	}
	onTime, _ := intake(t, SeveritySimple, at(8, 0))
	must(t, onTime.Reply(ReplyInput{How: "电话", Said: "好", Accepted: true, RepliedAt: at(9, 0)}, at(9, 0)))
	late, _ := intake(t, SeveritySimple, at(8, 0))
	must(t, late.Reply(ReplyInput{How: "电话", Said: "好", Accepted: true, RepliedAt: at(11, 0)}, at(11, 0)))
	yesterday, _ := intake(t, SeverityComplex, time.Date(2026, 5, 5, 9, 0, 0, 0, loc))
	must(t, yesterday.Reply(ReplyInput{How: "电话", Said: "好", Accepted: true}, at(10, 0)))
	onTime.Owner, late.Owner, yesterday.Owner = "a", "a", "a"
	yes := true
	cbs := []Callback{
		{Agent: "b", State: CallbackDone, Attempts: []CallbackAttempt{{At: at(10, 0)}, {At: at(15, 0), Reached: true}},
			Outcome: &CallbackOutcome{At: at(15, 0), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}},
		{Agent: "b", Attempts: []CallbackAttempt{{At: at(16, 0)}}},
	}
	got := DailyStats(day, loc, 12*time.Second, calls, []Complaint{*onTime, *late, *yesterday}, cbs)
	want := []AgentDay{
		{Agent: "a", Day: "2026-05-06", Inbound: 3, Outbound: 1, AnsweredWithinLimit: 1, Missed: 1, ComplaintsOpened: 2, RepliedOnTime: 1, RepliedLate: 2,
			ByType: map[string]int{Unwrapped: 4}},
		{Agent: "b", Day: "2026-05-06", Inbound: 1, Outbound: 1, AnsweredWithinLimit: 1, CallbacksDone: 3, CallbacksComplete: 1,
			ByType: map[string]int{Unwrapped: 2}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("agent %s:\n got %+v\nwant %+v", want[i].Agent, got[i], want[i])
		}
	}
	if tot := Totals(day, got); tot.Inbound != 4 || tot.Outbound != 2 || tot.CallbacksDone != 3 || tot.ByType[Unwrapped] != 6 || tot.Agent != "" {
		t.Errorf("totals = %+v", tot)
	}
}

func TestDailyStats_ByWrapUpType(t *testing.T) {
	loc := time.UTC
	day := Day{2026, 5, 6}
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, loc)
	calls := []Call{
		{Agent: "a", At: at, Answered: true, Type: CallComplaint, WrappedAt: at},
		{Agent: "a", At: at, Answered: true, Type: CallConsultation, WrappedAt: at},
		{Agent: "a", At: at, Answered: true, Type: CallConsultation, WrappedAt: at},
		{Agent: "a", At: at, Direction: Outbound, Type: CallOther, WrappedAt: at},
		{Agent: "a", At: at},
	}
	got := DailyStats(day, loc, 10*time.Second, calls, nil, nil)
	want := map[string]int{"complaint": 1, "consultation": 2, "other": 1, Unwrapped: 1}
	if len(got) != 1 || !reflect.DeepEqual(got[0].ByType, want) {
		t.Errorf("by type = %+v, want %v", got, want)
	}
}
