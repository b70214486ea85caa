package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
)

// callbackPlanner plans this agent's member callbacks on the desk ("must
// call back 100% of member customers") through the same rules as deskctl
// callbacks plan: once at start-up and again when the center's day changes,
// read from the desk's clock.
type callbackPlanner struct {
	st     *store.Store
	clock  agent.Clock
	center agent.Center
	agent  string
	log    *slog.Logger
	onPlan func() // told after new tasks are stored, to redraw the list

	mu  sync.Mutex
	day string // the center's date ("2006-01-02") of the last plan
}

func newCallbackPlanner(cfg desk.Config, st *store.Store, clock agent.Clock, log *slog.Logger) (*callbackPlanner, error) {
	zone := cfg.TimeZone
	if zone == "" {
		zone = agent.DefaultZone
	}
	center, err := agent.CenterIn(zone)
	if err != nil {
		return nil, fmt.Errorf("callback planner: %w", err)
	}
	return &callbackPlanner{st: st, clock: clock, center: center,
		agent: orDefault(cfg.AgentNumber, cfg.AgentName, "agent"), log: log.With("component", "callback_planner")}, nil
}

// check plans when the center's day differs from that of the last plan,
// and returns how many tasks it stored. A failed plan is retried at the
// next check.
func (p *callbackPlanner) check() (int, error) {
	now := p.clock.Now()
	day := now.In(p.center.Zone).Format(time.DateOnly)
	p.mu.Lock()
	defer p.mu.Unlock()
	if day == p.day {
		return 0, nil
	}
	n, err := p.plan(now)
	if err != nil {
		return 0, err
	}
	p.day = day
	return n, nil
}

// plan stores the tasks the rules call for at instant at, in one commit.
func (p *callbackPlanner) plan(at time.Time) (int, error) {
	members, err := p.st.MemberCustomers()
	if err != nil {
		return 0, err
	}
	existing, err := p.st.Callbacks(store.CallbackFilter{})
	if err != nil {
		return 0, err
	}
	plan, err := agent.PlanMemberCallbacks(p.center, members, existing, agent.MemberCallbackRequest{Agents: []string{p.agent}}, at)
	if err != nil {
		return 0, err
	}
	if len(plan.Tasks) == 0 {
		return 0, nil
	}
	ptrs := make([]*agent.Callback, len(plan.Tasks))
	for i := range plan.Tasks {
		ptrs[i] = &plan.Tasks[i]
	}
	if err := p.st.PutCallbacks(ptrs, at); err != nil {
		return 0, err
	}
	p.log.Info("callbacks planned", "agent", p.agent, "created", len(ptrs), "members", plan.Members,
		"coverage_pct", plan.CoveragePct)
	return len(ptrs), nil
}

// run checks at once and then every interval until ctx ends.
func (p *callbackPlanner) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := p.check()
		if err != nil {
			p.log.Warn("plan callbacks", "error", err)
		}
		if n > 0 && p.onPlan != nil {
			p.onPlan()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// start runs the planner in the background; the returned stop waits for
// a plan in progress to finish.
func (p *callbackPlanner) start(ctx context.Context, every time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx, every)
	}()
	return func() {
		cancel()
		<-done
	}
}

// callbacksDue counts the caller's callback tasks not yet done, for the
// caller card.
func (b *deskBackend) callbacksDue(customerID string) int {
	cbs, err := b.st.Callbacks(store.CallbackFilter{CustomerID: customerID, PendingOnly: true})
	if err != nil {
		b.log.Warn("callbacks for pop", "error", err)
		return 0
	}
	return len(cbs)
}
