package main

import (
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
)

func init() {
	register(&command{
		name:    "callbacks plan",
		usage:   "[--at RFC3339] [--agents A,B] [--mode round_robin|by_load] [--since RFC3339] [--dry-run] [--data DIR]",
		summary: "make callback tasks so every member customer is covered (JSON)",
		run:     callbacksPlan,
	})
}

// callbackPlanView is what callbacks plan prints.
type callbackPlanView struct {
	At          time.Time             `json:"at"`
	Members     int                   `json:"members"`
	Covered     int                   `json:"covered"`
	CoveragePct float64               `json:"coverage_pct"`
	Stored      bool                  `json:"stored"`
	Created     []agent.Callback      `json:"created"`
	Summary     agent.CallbackSummary `json:"summary"`
}

func callbacksPlan(e *env, args []string) error {
	fs := newCaseFlagSet("callbacks plan", e)
	f := addCaseFlags(fs)
	agents := fs.String("agents", "", "comma-separated `AGENTS` to assign to (default: this desk's agent from the config)")
	mode := fs.String("mode", "round_robin", "assignment `MODE`: round_robin or by_load")
	since := fs.String("since", "", "tasks made since this `RFC3339` instant (or still pending) cover a customer (default: 30 days before --at)")
	dry := fs.Bool("dry-run", false, "print the plan without storing it")
	_, center, at, err := f.parse(fs, args, 0)
	if err != nil {
		return err
	}
	m, err := agent.ParseAssignMode(*mode)
	if err != nil {
		return err
	}
	var from time.Time // zero: the shared look-back before --at
	if *since != "" {
		if from, err = time.Parse(time.RFC3339, *since); err != nil {
			return fmt.Errorf("--since %q: want RFC3339", *since)
		}
	}
	names := splitAgents(*agents)
	if len(names) == 0 {
		cfg, err := desk.LoadConfig(desk.DefaultConfigPath())
		if err != nil {
			return err
		}
		for _, n := range []string{cfg.AgentNumber, cfg.AgentName} {
			if n != "" {
				names = []string{n}
				break
			}
		}
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()
	members, err := s.MemberCustomers()
	if err != nil {
		return err
	}
	existing, err := s.Callbacks(store.CallbackFilter{})
	if err != nil {
		return err
	}
	plan, err := agent.PlanMemberCallbacks(center, members, existing, agent.MemberCallbackRequest{Agents: names, Mode: m, Since: from}, at)
	if err != nil {
		return fmt.Errorf("%w (give --agents)", err)
	}
	tasks := plan.Tasks
	if !*dry && len(tasks) > 0 {
		ptrs := make([]*agent.Callback, len(tasks))
		for i := range tasks {
			ptrs[i] = &tasks[i]
		}
		if err := s.PutCallbacks(ptrs, at); err != nil {
			return err
		}
	}
	all := append(existing, tasks...)
	v := callbackPlanView{At: at.In(center.Zone), Members: plan.Members, Covered: plan.Covered, CoveragePct: plan.CoveragePct,
		Stored: !*dry && len(tasks) > 0, Created: tasks}
	if v.Created == nil {
		v.Created = []agent.Callback{}
	}
	v.Summary = agent.SummarizeCallbacks(all, plan.Since, at.Add(time.Nanosecond), at)
	return writeCaseJSON(e.stdout, v)
}

func splitAgents(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
