package agent

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestSLAPolicy_Status(t *testing.T) {
	p := DefaultSLAPolicy()
	raised := time.Date(2026, 5, 6, 23, 0, 0, 0, shanghai(t))
	min := func(m int) time.Time { return raised.Add(time.Duration(m) * time.Minute) }
	// The seed's table: pick-up 1 h, send back 30 min, branch 1 h, store
	// manager 3 h, VP/GM 30 min, hotline within 1 day and closed within 48 h
	// of the warning.
	onTime := []time.Time{min(60), min(90), min(150), min(330), min(360)}
	tests := []struct {
		name      string
		opened    time.Time
		done      []time.Time
		at        time.Time
		stage     string
		stageLate bool
		late      bool
		lateNames []string
	}{
		{"just raised", min(-10), nil, min(0), "pick_up", false, false, nil},
		{"raised late", min(-31), nil, min(0), "pick_up", false, true, nil},
		{"pick-up at its edge", min(-10), nil, min(60), "pick_up", false, false, nil},
		{"pick-up late", min(-10), nil, min(61), "pick_up", true, true, []string{"pick_up"}},
		{"send back on time across midnight", min(-10), []time.Time{min(50)}, min(80), "send_back", false, false, nil},
		{"send back late", min(-10), []time.Time{min(50)}, min(81), "send_back", true, true, []string{"send_back"}},
		{"pick-up was late, send back running", min(-10), []time.Time{min(70)}, min(75), "send_back", false, true, []string{"pick_up"}},
		{"manager's 3 h", min(-10), onTime[:3], min(150 + 180), "manager_guidance", false, false, nil},
		{"hotline handling", min(-10), onTime, min(600), "hotline_handling", false, false, nil},
		{"handling past 1 day", min(-10), onTime, min(24*60 + 1), "hotline_handling", true, true, []string{"hotline_handling"}},
		{"all done on time", min(-10), append(append([]time.Time{}, onTime...), min(900), min(1000)), min(5000), "", false, false, nil},
		{"closing past 48 h", min(-10), append(append([]time.Time{}, onTime...), min(900)), min(48*60 + 1), "close", true, true, []string{"close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := p.Status(Warning{Opened: tt.opened, RaisedAt: raised, Done: tt.done}, tt.at)
			if st.StageName != tt.stage || st.StageLate != tt.stageLate || st.Late != tt.late {
				t.Errorf("status = %+v; want stage %q stageLate %v late %v", st, tt.stage, tt.stageLate, tt.late)
			}
			if fmt.Sprint(st.LateStages) != fmt.Sprint(append([]string{}, tt.lateNames...)) {
				t.Errorf("late stages = %v, want %v", st.LateStages, tt.lateNames)
			}
			if !st.CloseDue.Equal(raised.Add(48*time.Hour)) || !st.HandleDue.Equal(raised.Add(24*time.Hour)) {
				t.Errorf("handle due %v, close due %v", st.HandleDue, st.CloseDue)
			}
		})
	}
}

func TestSLAPolicy_Configurable(t *testing.T) {
	p := SLAPolicy{RaiseWithin: time.Hour, Stages: []SLAStage{{Name: "a", Role: RoleSupervisor, Limit: time.Hour},
		{Name: "b", Role: RoleAgent, Limit: 2 * time.Hour}}}
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	r := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st := p.Status(Warning{RaisedAt: r, Done: []time.Time{r.Add(50 * time.Minute)}}, r.Add(2*time.Hour))
	if st.StageName != "b" || st.StageRole != RoleAgent || !st.StageDue.Equal(r.Add(170*time.Minute)) || st.Late {
		t.Errorf("status = %+v", st)
	}
	for _, bad := range []SLAPolicy{{}, {RaiseWithin: time.Hour, Stages: []SLAStage{{Name: "x", Role: "boss", Limit: time.Hour}}},
		{RaiseWithin: time.Hour, Stages: []SLAStage{{Name: "x", Role: RoleAgent}}}} {
		if bad.Check() == nil {
			t.Errorf("%+v passes the check", bad)
		}
	}
}

func TestComplaint_WarningStages(t *testing.T) {
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	c, _ := intake(t, SeverityComplex, at)
	p := DefaultSLAPolicy()
	if err := c.CompleteStage(p, "s1", RoleSupervisor, "", at); err == nil {
		t.Error("stage completed with no warning")
	}
	if err := c.RaiseWarning("a1", RoleAgent, at); !errors.Is(err, ErrRole) {
		t.Errorf("an agent raised a warning: %v", err)
	}
	must(t, c.RaiseWarning("s1", RoleSupervisor, at))
	if err := c.RaiseWarning("s1", RoleSupervisor, at); err == nil {
		t.Error("warning raised twice")
	}
	if err := c.CompleteStage(p, "s1", RoleSupervisor, "", at.Add(-time.Minute)); err == nil {
		t.Error("stage completed before the warning")
	}
	if err := c.CompleteStage(p, "a1", RoleAgent, "", at.Add(time.Minute)); !errors.Is(err, ErrRole) {
		t.Errorf("an agent completed the supervisor's pick-up: %v", err)
	}
	for i, s := range p.Stages {
		by, role := "s1", RoleSupervisor // records the branch's, the manager's and the executives' stages
		if s.Role == RoleAgent {
			by, role = "a1", RoleAgent
		}
		must(t, c.CompleteStage(p, by, role, "done "+s.Name, at.Add(time.Duration(i+1)*10*time.Minute)))
	}
	if err := c.CompleteStage(p, "s1", RoleSupervisor, "", at.Add(2*time.Hour)); err == nil {
		t.Error("completed more stages than there are")
	}
	if st := p.Status(*c.Warning, at.Add(2*time.Hour)); !st.Done || st.Late {
		t.Errorf("status = %+v", st)
	}
	if w := c.Warning; len(w.By) != len(p.Stages) || w.By[0] != "s1" || w.Notes[6] != "done close" || !w.Opened.Equal(c.OpenedAt) {
		t.Errorf("warning = %+v", w)
	}
}
