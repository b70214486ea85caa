package agent

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestQuietHours_CanDial_Edges(t *testing.T) {
	loc := shanghai(t)
	q := DefaultQuietHours(loc)
	at := func(h, m, s int) time.Time { return time.Date(2026, 5, 6, h, m, s, 0, loc) }
	tests := []struct {
		at    time.Time
		quiet bool
	}{
		{at(8, 59, 59), true},
		{at(9, 0, 0), false},
		{at(11, 59, 59), false},
		{at(12, 0, 0), true},
		{at(13, 59, 59), true},
		{at(14, 0, 0), false},
		{at(20, 59, 59), false},
		{at(21, 0, 0), true},
		{at(0, 0, 0), true},
		{at(23, 59, 59), true},
	}
	for _, tt := range tests {
		t.Run(tt.at.Format("15:04:05"), func(t *testing.T) {
			err := q.CanDial(tt.at)
			if got := err != nil; got != tt.quiet {
				t.Fatalf("CanDial(%v) = %v, want quiet=%v", tt.at, err, tt.quiet)
			}
			if err != nil {
				if !errors.Is(err, ErrQuietHours) || !strings.Contains(err.Error(), "resting") {
					t.Errorf("error does not say why: %v", err)
				}
			}
		})
	}
	// The same instant seen from another zone is judged in the customer's zone.
	utc := time.Date(2026, 5, 6, 4, 30, 0, 0, time.UTC) // 12:30 in Shanghai
	var qe *QuietError
	if err := q.CanDial(utc); !errors.As(err, &qe) || qe.Window.String() != "12:00–14:00" {
		t.Fatalf("CanDial(04:30 UTC) = %v", err)
	}
	if !qe.Next.Equal(at(14, 0, 0)) {
		t.Errorf("next dialable = %v, want 14:00", qe.Next)
	}
	if got := q.NextDialable(at(21, 30, 0)); !got.Equal(time.Date(2026, 5, 7, 9, 0, 0, 0, loc)) {
		t.Errorf("NextDialable(21:30) = %v, want 09:00 next day", got)
	}
	if got := q.NextDialable(at(10, 15, 7)); !got.Equal(at(10, 15, 7)) {
		t.Errorf("NextDialable of a dialable instant moved it: %v", got)
	}
}

func TestQuietHours_Configurable(t *testing.T) {
	s, err := ParseTimeOfDay("22:30")
	must(t, err)
	e, err := ParseTimeOfDay("07:00")
	must(t, err)
	q := QuietHours{Zone: time.UTC, Windows: []QuietWindow{{s, e}}}
	if q.CanDial(time.Date(2026, 1, 1, 22, 29, 0, 0, time.UTC)) != nil {
		t.Error("22:29 refused")
	}
	if q.CanDial(time.Date(2026, 1, 1, 12, 30, 0, 0, time.UTC)) != nil {
		t.Error("12:30 refused with lunch not configured")
	}
	if q.CanDial(time.Date(2026, 1, 1, 6, 59, 0, 0, time.UTC)) == nil {
		t.Error("06:59 allowed")
	}
	if _, err := ParseTimeOfDay("25:00"); err == nil {
		t.Error("25:00 parsed")
	}
}

func members(n int) []Customer {
	var out []Customer
	for i := range n {
		out = append(out, Customer{Meta: Meta{ID: fmt.Sprintf("c%02d", i)}, Name: "n", Member: i%4 != 3})
	}
	return out
}

func TestPlanCallbacks_CoversEveryMember(t *testing.T) {
	loc := shanghai(t)
	at := time.Date(2026, 5, 6, 12, 30, 0, 0, loc) // inside the lunch quiet hours
	cs := members(12)                              // 9 members
	existing := []Callback{
		{Meta: Meta{ID: "x1", CreatedAt: at.Add(-time.Hour)}, CustomerID: "c00", Agent: "b", State: CallbackPending},
		{Meta: Meta{ID: "x2", CreatedAt: at.Add(-48 * time.Hour)}, CustomerID: "c01", Agent: "b", State: CallbackDone},
	}
	since := at.Add(-24 * time.Hour)
	p := CallbackPlan{Agents: []string{"a", "b", "c"}, Mode: AssignRoundRobin, Since: since, Quiet: DefaultQuietHours(loc)}
	tasks, err := PlanCallbacks(cs, existing, p, at)
	must(t, err)
	if len(tasks) != 8 { // 9 members, c00 covered; c01's task is older than since
		t.Fatalf("planned %d tasks, want 8", len(tasks))
	}
	if u := UncoveredMembers(cs, append(existing, tasks...), since); len(u) != 0 {
		t.Errorf("members left uncovered: %v", u)
	}
	for i, cb := range tasks {
		if want := p.Agents[i%3]; cb.Agent != want {
			t.Errorf("task %d to %s, want %s (round robin)", i, cb.Agent, want)
		}
		if want := time.Date(2026, 5, 9, 12, 30, 0, 0, loc); !cb.Due.Equal(want) {
			t.Errorf("due = %v, want %v (3 days)", cb.Due, want)
		}
		if want := time.Date(2026, 5, 6, 14, 0, 0, 0, loc); !cb.NextTry.Equal(want) {
			t.Errorf("first try = %v, want 14:00 after the quiet hours", cb.NextTry)
		}
	}
	if again, err := PlanCallbacks(cs, append(existing, tasks...), p, at); err != nil || len(again) != 0 {
		t.Errorf("planning again made %d tasks (%v)", len(again), err)
	}
	if _, err := PlanCallbacks(cs, nil, CallbackPlan{}, at); !errors.Is(err, ErrNoAgents) {
		t.Errorf("no agents: %v", err)
	}
}

func TestPlanCallbacks_ByLoad(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	var existing []Callback
	for range 3 {
		existing = append(existing, Callback{CustomerID: "other", Agent: "a", State: CallbackPending})
	}
	p := CallbackPlan{Agents: []string{"a", "b"}, Mode: AssignByLoad, Quiet: QuietHours{Zone: time.UTC}}
	tasks, err := PlanCallbacks(members(8), existing, p, at) // 6 members
	must(t, err)
	count := map[string]int{}
	for _, cb := range tasks {
		count[cb.Agent]++
	}
	if count["a"] != 2 || count["b"] != 4 { // b takes 3 to catch up, then they alternate from a (tie → first)
		t.Errorf("by load: %v, want a:2 b:4", count)
	}
}

func TestPlanCallbacks_ThreeDaysAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	must(t, err)
	at := time.Date(2026, 3, 27, 10, 0, 0, 0, berlin)
	p := CallbackPlan{Agents: []string{"a"}, Quiet: DefaultQuietHours(berlin)}
	tasks, err := PlanCallbacks(members(1), nil, p, at)
	must(t, err)
	due := tasks[0].Due
	if want := time.Date(2026, 3, 30, 10, 0, 0, 0, berlin); !due.Equal(want) {
		t.Errorf("due = %v, want %v", due, want)
	}
	if d := due.Sub(at); d != 71*time.Hour {
		t.Errorf("span = %v, want 71h (the DST night is an hour short)", d)
	}
}

func TestCallback_Record(t *testing.T) {
	loc := shanghai(t)
	q := DefaultQuietHours(loc)
	created := time.Date(2026, 5, 6, 10, 0, 0, 0, loc)
	cb := Callback{Meta: Meta{ID: "cb", CreatedAt: created}, CustomerID: "c", Agent: "a", Due: created.AddDate(0, 0, 3)}
	yes, no := true, false

	// Unreachable at 20:00: retry two hours later would be 22:00, quiet → 09:00.
	try := time.Date(2026, 5, 6, 20, 0, 0, 0, loc)
	must(t, cb.Record(CallbackOutcome{At: try, Reached: &no, Note: "无人接听"}, q, 2*time.Hour))
	if want := time.Date(2026, 5, 7, 9, 0, 0, 0, loc); !cb.NextTry.Equal(want) || cb.State != CallbackPending {
		t.Errorf("retry = %v state %s, want %v pending", cb.NextTry, cb.State, want)
	}
	if err := cb.Record(CallbackOutcome{At: try, Reached: &yes}, q, 0); !errors.Is(err, ErrCallbackIncomplete) {
		t.Fatalf("incomplete record: %v", err)
	} else {
		for _, s := range []string{"satisfied", "suggestions", "next contact"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("refusal does not name %s: %v", s, err)
			}
		}
	}
	if err := cb.Record(CallbackOutcome{At: try}, q, 0); !errors.Is(err, ErrCallbackIncomplete) {
		t.Errorf("reached? unset: %v", err)
	}
	if len(cb.Attempts) != 1 || cb.Outcome != nil {
		t.Fatal("a refused record changed the task")
	}
	if err := cb.CanDial(time.Date(2026, 5, 7, 8, 59, 0, 0, loc), q); !errors.Is(err, ErrQuietHours) {
		t.Errorf("CanDial at 08:59: %v", err)
	}
	ok := CallbackOutcome{At: time.Date(2026, 5, 7, 9, 5, 0, 0, loc), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}
	must(t, cb.Record(ok, q, 0))
	if cb.State != CallbackDone || len(cb.Attempts) != 2 {
		t.Errorf("after complete record: %+v", cb)
	}
	if cb.CanDial(ok.At.Add(time.Hour), q) == nil {
		t.Error("a done task may be dialed")
	}
	if cb.Overdue(created.AddDate(0, 1, 0)) {
		t.Error("done in time counted overdue")
	}
}

func TestCallback_ThreeDayLimit(t *testing.T) {
	loc := shanghai(t)
	created := time.Date(2026, 5, 6, 10, 0, 0, 0, loc)
	cb := Callback{Meta: Meta{CreatedAt: created}, Due: created.AddDate(0, 0, 3)}
	if cb.Overdue(time.Date(2026, 5, 9, 10, 0, 0, 0, loc)) {
		t.Error("overdue at exactly three days")
	}
	if !cb.Overdue(time.Date(2026, 5, 9, 10, 0, 1, 0, loc)) {
		t.Error("not overdue just after three days")
	}
}

func TestSummarizeCallbacks(t *testing.T) {
	from := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	yes, no := true, false
	done := func(sat bool, at time.Time) *CallbackOutcome {
		return &CallbackOutcome{At: at, Reached: &yes, Satisfied: &sat, Suggestions: "无", NoNextContact: true}
	}
	mk := func(created time.Time, o *CallbackOutcome) Callback {
		cb := Callback{Meta: Meta{CreatedAt: created}, Due: created.AddDate(0, 0, 3)}
		if o != nil {
			cb.State, cb.Outcome = CallbackDone, o
			cb.Attempts = []CallbackAttempt{{At: o.At, Reached: true}}
		}
		return cb
	}
	d := from.AddDate(0, 0, 1)
	cbs := []Callback{
		mk(d, done(true, d.Add(time.Hour))),
		mk(d, done(false, d.Add(time.Hour))),
		mk(d, done(true, d.AddDate(0, 0, 4))),                                 // finished late
		mk(d, nil),                                                            // pending, overdue at the end
		mk(from.AddDate(0, -1, 0), done(true, from)),                          // outside the period
		{Meta: Meta{CreatedAt: to.Add(-time.Hour)}, Due: to.AddDate(0, 0, 2)}, // pending, not due yet
	}
	cbs[3].Attempts = []CallbackAttempt{{At: d, Reached: no}}
	s := SummarizeCallbacks(cbs, from, to, to)
	if s.Total != 5 || s.Done != 3 || s.Reached != 3 || s.Satisfied != 2 || s.Complete != 3 || s.Overdue != 2 || s.Attempts != 4 {
		t.Errorf("summary = %+v", s)
	}
	if s.CompletePct != 60 || s.SatisfiedPct < 66.6 || s.SatisfiedPct > 66.7 {
		t.Errorf("percentages = %v %v", s.CompletePct, s.SatisfiedPct)
	}
}

func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"00:00", "12:00", "23:59", "24:00", "9:5", " 21:00 ", "ab:cd", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTimeOfDay(s)
		if err != nil {
			return
		}
		if v < 0 || v >= 24*60 {
			t.Fatalf("ParseTimeOfDay(%q) = %d, out of range", s, v)
		}
		back, err := ParseTimeOfDay(v.String())
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %v → %q → %v (%v)", s, v, v.String(), back, err)
		}
	})
}
