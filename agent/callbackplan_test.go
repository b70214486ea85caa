package agent

import (
	"errors"
	"testing"
	"time"
)

func TestPlanMemberCallbacks(t *testing.T) {
	c, err := CenterIn("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 6, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
	members := []Customer{
		{Meta: Meta{ID: "a"}, Member: true},
		{Meta: Meta{ID: "b"}, Member: true},
		{Meta: Meta{ID: "c"}, Member: true},
		{Meta: Meta{ID: "d"}},
	}
	old := func(id string, daysAgo int, st CallbackState) Callback {
		return Callback{Meta: Meta{ID: "cb-" + id, CreatedAt: at.AddDate(0, 0, -daysAgo)}, CustomerID: id, State: st}
	}
	tests := []struct {
		name     string
		existing []Callback
		since    time.Time
		want     []string // customers given a task
		covered  int
	}{
		{"nothing yet", nil, time.Time{}, []string{"a", "b", "c"}, 3},
		{"pending task covers", []Callback{old("a", 40, CallbackPending)}, time.Time{}, []string{"b", "c"}, 3},
		{"done within 30 days covers", []Callback{old("b", 29, CallbackDone)}, time.Time{}, []string{"a", "c"}, 3},
		{"done 31 days ago does not", []Callback{old("b", 31, CallbackDone)}, time.Time{}, []string{"a", "b", "c"}, 3},
		{"explicit since", []Callback{old("b", 31, CallbackDone)}, at.AddDate(0, 0, -40), []string{"a", "c"}, 3},
		{"all covered", []Callback{old("a", 1, CallbackPending), old("b", 1, CallbackPending), old("c", 1, CallbackDone)}, time.Time{}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PlanMemberCallbacks(c, members, tt.existing, MemberCallbackRequest{Agents: []string{"8001"}, Since: tt.since}, at)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, cb := range p.Tasks {
				got = append(got, cb.CustomerID)
				if cb.Agent != "8001" || cb.Purpose != "member" || !cb.Due.Equal(at.AddDate(0, 0, 3)) {
					t.Errorf("task = %+v", cb)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("tasks for %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("tasks for %v, want %v", got, tt.want)
				}
			}
			if p.Members != 3 || p.Covered != tt.covered || p.CoveragePct != 100 {
				t.Errorf("coverage %d/%d %.0f%%", p.Covered, p.Members, p.CoveragePct)
			}
			wantSince := tt.since
			if wantSince.IsZero() {
				wantSince = at.AddDate(0, 0, -CallbackLookbackDays)
			}
			if !p.Since.Equal(wantSince) {
				t.Errorf("since = %v, want %v", p.Since, wantSince)
			}
		})
	}
}

func TestPlanMemberCallbacks_NoAgents(t *testing.T) {
	c, err := CenterIn("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanMemberCallbacks(c, []Customer{{Meta: Meta{ID: "a"}, Member: true}}, nil, MemberCallbackRequest{}, time.Date(2026, 5, 6, 2, 0, 0, 0, time.UTC))
	if !errors.Is(err, ErrNoAgents) {
		t.Fatalf("err = %v, want ErrNoAgents", err)
	}
}
