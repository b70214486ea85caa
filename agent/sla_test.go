package agent

import (
	"testing"
	"time"
)

func TestSLAPolicy_Status(t *testing.T) {
	p := DefaultSLAPolicy()
	raised := time.Date(2026, 5, 6, 23, 0, 0, 0, shanghai(t))
	min := func(m int) time.Time { return raised.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name      string
		done      []time.Time
		at        time.Time
		stage     string
		stageLate bool
		late      bool
		lateNames []string
	}{
		{"just raised", nil, min(0), "pick_up", false, false, nil},
		{"pick-up at its edge", nil, min(30), "pick_up", false, false, nil},
		{"pick-up late", nil, min(31), "pick_up", true, true, []string{"pick_up"}},
		{"branch on time across midnight", []time.Time{min(20)}, min(80), "branch_handling", false, false, nil},
		{"branch late", []time.Time{min(20)}, min(81), "branch_handling", true, true, []string{"branch_handling"}},
		{"pick-up was late, branch running", []time.Time{min(45)}, min(50), "branch_handling", false, true, []string{"pick_up"}},
		{"hotline handling", []time.Time{min(30), min(90), min(120), min(180)}, min(300), "hotline_handling", false, false, nil},
		{"handling past 1 day", []time.Time{min(30), min(90), min(120), min(180)}, min(24*60 + 1), "hotline_handling", true, true, []string{"hotline_handling"}},
		{"all done on time", []time.Time{min(30), min(90), min(120), min(180), min(360), min(390)}, min(5000), "", false, false, nil},
		{"closing past 48 h", []time.Time{min(30), min(90), min(120), min(180), min(360)}, min(48*60 + 1), "close", true, true, []string{"close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := p.Status(Warning{RaisedAt: raised, Done: tt.done}, tt.at)
			if st.StageName != tt.stage || st.StageLate != tt.stageLate || st.Late != tt.late {
				t.Errorf("status = %+v; want stage %q stageLate %v late %v", st, tt.stage, tt.stageLate, tt.late)
			}
			if len(st.LateStages) != len(tt.lateNames) {
				t.Fatalf("late stages = %v, want %v", st.LateStages, tt.lateNames)
			}
			for i := range tt.lateNames {
				if st.LateStages[i] != tt.lateNames[i] {
					t.Errorf("late stages = %v, want %v", st.LateStages, tt.lateNames)
				}
			}
			if !st.CloseDue.Equal(raised.Add(48 * time.Hour)) {
				t.Errorf("close due = %v", st.CloseDue)
			}
		})
	}
}

func TestSLAPolicy_Configurable(t *testing.T) {
	p := SLAPolicy{Stages: []SLAStage{{"a", time.Hour}, {"b", 2 * time.Hour}}, HandleWithin: 3 * time.Hour, CloseWithin: 4 * time.Hour}
	r := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := p.Status(Warning{RaisedAt: r, Done: []time.Time{r.Add(50 * time.Minute)}}, r.Add(2*time.Hour))
	if st.StageName != "b" || !st.StageDue.Equal(r.Add(170*time.Minute)) || st.Late {
		t.Errorf("status = %+v", st)
	}
}

func TestComplaint_WarningStages(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, _ := intake(t, SeverityComplex, at)
	p := DefaultSLAPolicy()
	if err := c.CompleteStage(p, at); err == nil {
		t.Error("stage completed with no warning")
	}
	must(t, c.RaiseWarning(at))
	if err := c.RaiseWarning(at); err == nil {
		t.Error("warning raised twice")
	}
	if err := c.CompleteStage(p, at.Add(-time.Minute)); err == nil {
		t.Error("stage completed before the warning")
	}
	for i := range p.Stages {
		must(t, c.CompleteStage(p, at.Add(time.Duration(i+1)*10*time.Minute)))
	}
	if err := c.CompleteStage(p, at.Add(time.Hour)); err == nil {
		t.Error("completed more stages than there are")
	}
	if st := p.Status(*c.Warning, at.Add(time.Hour)); !st.Done || st.Late {
		t.Errorf("status = %+v", st)
	}
}
