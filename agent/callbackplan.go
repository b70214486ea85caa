package agent

import (
	"fmt"
	"time"
)

// CallbackLookbackDays is how far back a finished task still covers a member
// when a plan gives no Since: a member called back within the last 30 days
// is not called again.
const CallbackLookbackDays = 30

// MemberCallbackRequest is who takes new member callback tasks, and from
// when a finished task still counts as cover.
type MemberCallbackRequest struct {
	Agents []string
	Mode   AssignMode
	Since  time.Time // zero: CallbackLookbackDays before the plan's instant
}

// MemberCallbackPlan is the outcome of planning member callbacks: the new
// tasks (not stored yet) and the member coverage once they are.
type MemberCallbackPlan struct {
	Since       time.Time
	Members     int
	Covered     int
	CoveragePct float64
	Tasks       []Callback
}

// PlanMemberCallbacks applies "must call back 100% of member customers" with
// the center's rules (due within c.CallbackDays, first try outside c.Quiet):
// one task per member that no pending task, nor one made since r.Since,
// covers. A member already covered by existing gets no second task, so
// planning again on the same data makes nothing. Both deskctl and the desk
// plan through here.
func PlanMemberCallbacks(c Center, members []Customer, existing []Callback, r MemberCallbackRequest, at time.Time) (MemberCallbackPlan, error) {
	since := r.Since
	if since.IsZero() {
		since = at.AddDate(0, 0, -CallbackLookbackDays)
	}
	p := CallbackPlan{Agents: r.Agents, Mode: r.Mode, Since: since, Days: c.CallbackDays, Quiet: c.Quiet, Purpose: "member"}
	tasks, err := PlanCallbacks(members, existing, p, at)
	if err != nil {
		return MemberCallbackPlan{Since: since}, fmt.Errorf("plan member callbacks: %w", err)
	}
	all := append(append(make([]Callback, 0, len(existing)+len(tasks)), existing...), tasks...)
	out := MemberCallbackPlan{Since: since, Members: countMembers(members), Tasks: tasks}
	out.Covered = out.Members - len(UncoveredMembers(members, all, since))
	if out.Members > 0 {
		out.CoveragePct = 100 * float64(out.Covered) / float64(out.Members)
	}
	return out, nil
}

func countMembers(cs []Customer) int {
	n := 0
	for _, c := range cs {
		if c.Member {
			n++
		}
	}
	return n
}
