package desk

import (
	"context"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

// Housekeeping is how often the desk re-reads its lists (a reply falls
// overdue, quiet hours begin, the center's day changes) and, when it plans
// callbacks itself, checks for a new day to plan.
const Housekeeping = time.Minute

// housekeep reloads the lists every Housekeeping until Close.
func (d *Desk) housekeep() {
	t := time.NewTicker(Housekeeping)
	defer t.Stop()
	for {
		select {
		case <-d.quit:
			return
		case <-t.C:
			d.reload()
		}
	}
}

// planCallbacks plans the agent's member callbacks ("must call back 100%
// of member customers") through the same rule as deskctl callbacks plan,
// once per center day and again when a member was added at the desk; the
// loader goroutine calls it before reading the lists. It reports how many
// tasks it stored.
func (d *Desk) planCallbacks(at time.Time) (int, error) {
	day := agent.DayOf(at, d.rules().Zone)
	if !d.plan || (day == d.planDay && !d.replan.Swap(false)) {
		return 0, nil
	}
	members, err := d.st.MemberCustomers()
	if err != nil {
		return 0, fmt.Errorf("plan callbacks: %w", err)
	}
	existing, err := d.st.Callbacks(store.CallbackFilter{})
	if err != nil {
		return 0, fmt.Errorf("plan callbacks: %w", err)
	}
	plan, err := agent.PlanMemberCallbacks(d.rules(), members, existing, agent.MemberCallbackRequest{Agents: []string{d.me()}}, at)
	if err != nil {
		return 0, err
	}
	if len(plan.Tasks) > 0 {
		ptrs := make([]*agent.Callback, len(plan.Tasks))
		for i := range plan.Tasks {
			ptrs[i] = &plan.Tasks[i]
		}
		if err := d.st.PutCallbacks(ptrs, at); err != nil {
			return 0, fmt.Errorf("plan callbacks: %w", err)
		}
		d.log.Info("callbacks planned", "agent", d.me(), "created", len(ptrs), "members", plan.Members,
			"coverage_pct", plan.CoveragePct)
	}
	d.planDay = day
	return len(plan.Tasks), nil
}

// DialCallback dials a callback task's customer (StartCallback).
func (d *Desk) DialCallback(ctx context.Context, id string) (string, error) {
	return d.StartCallback(ctx, id)
}
