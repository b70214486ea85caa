package ui

import (
	"strings"
	"testing"
)

func TestSupervisorView_HubBoard(t *testing.T) {
	s, _, _ := newTestWindow(t, Options{Lang: "en"})
	s.ShowTab(1)
	s.Apply(Model{At: t0, Stats: Stats{Inbound: 99},
		Supervisor: Board{FromHub: true, Agents: []BoardRow{{Who: "1001", State: "break"}}, Queues: []string{"sales: 1 ☎ / 2 ✆"},
			Today:    []AgentStats{{Who: "1001", Inbound: 4, Outbound: 1, Answered: 3, Missed: 1}},
			Unsynced: []string{"1002: 7 · 11-23 10:40"}}})
	v := s.supervisor
	if !strings.HasPrefix(v.agents.Text, "1001 — ") || strings.Contains(v.agents.Text, "\n") {
		t.Errorf("agents = %q", v.agents.Text)
	}
	want := "1001  In 4  Out 1  Answered 3  Missed 1\n\nDesks with records not yet synced\n1002: 7 · 11-23 10:40"
	if v.stats.Text != want {
		t.Errorf("stats = %q\nwant    %q", v.stats.Text, want)
	}
	if strings.Contains(v.stats.Text, "99") {
		t.Error("the hub's board showed this desk's own figures")
	}
	s.Apply(Model{At: t0, Supervisor: Board{FromHub: true}})
	if v.stats.Text != "none" {
		t.Errorf("empty hub board stats = %q", v.stats.Text)
	}
}
