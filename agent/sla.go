package agent

import (
	"fmt"
	"sort"
	"time"

	"agentdesk/scripts"
)

// DefaultZone is the zone a center works in unless configured otherwise:
// the default pack's zone, so greetings and deadlines agree out of the box.
const DefaultZone = scripts.DefaultTimeZone

// DefaultRingLimit is "answer before the third ring": with China's ring
// cadence (1 s on, 4 s off) the third ring starts about 10 s after the first.
const DefaultRingLimit = 10 * time.Second

// Center holds a center's configurable rules: its zone, the reply times,
// the warning-complaint stages, the callback quiet hours and limits, and the
// three-ring limit.
type Center struct {
	Zone          *time.Location
	Reply         ReplyPolicy
	Warning       SLAPolicy
	Quiet         QuietHours
	RingLimit     time.Duration // "answer before the third ring"
	CallbackDays  int           // a callback is finished within this many days
	CallbackRetry time.Duration // how long after an unreachable try to try again
}

// DefaultCenter returns the procedure's numbers in Asia/Shanghai. It fails
// only when the system has no time-zone data for the zone.
func DefaultCenter() (Center, error) {
	return CenterIn(DefaultZone)
}

// CenterIn returns the default rules in the named IANA zone.
func CenterIn(zone string) (Center, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Center{}, fmt.Errorf("center zone %q: %w", zone, err)
	}
	return Center{
		Zone:          loc,
		Reply:         DefaultReplyPolicy(),
		Warning:       DefaultSLAPolicy(),
		Quiet:         DefaultQuietHours(loc),
		RingLimit:     DefaultRingLimit,
		CallbackDays:  3,
		CallbackRetry: 2 * time.Hour,
	}, nil
}

// OverdueReplies returns the cases awaiting a reply whose time has passed
// at instant at, most overdue first.
func OverdueReplies(cs []Complaint, at time.Time) []Complaint {
	var out []Complaint
	for _, c := range cs {
		if c.ReplyOverdue(at) {
			out = append(out, c)
		}
	}
	sortByDue(out)
	return out
}

// RepliesDueWithin returns the cases awaiting a reply whose time falls in
// (at, at+d], soonest first: the ones to warn the agent about.
func RepliesDueWithin(cs []Complaint, at time.Time, d time.Duration) []Complaint {
	var out []Complaint
	for _, c := range cs {
		due := c.ReplyDue()
		if !due.IsZero() && due.After(at) && !due.After(at.Add(d)) {
			out = append(out, c)
		}
	}
	sortByDue(out)
	return out
}

func sortByDue(cs []Complaint) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].ReplyDue().Before(cs[j].ReplyDue()) })
}

// SLAStage is one stage of the warning-complaint timeline and its time limit.
type SLAStage struct {
	Name  string        `json:"name"`
	Limit time.Duration `json:"limit"`
}

// SLAPolicy is the warning-complaint timeline (预警投诉处理时间分配表): stages in
// order, each timed from the end of the one before; the stages before the
// last must be done within HandleWithin, and the whole within CloseWithin,
// both counted from the warning.
type SLAPolicy struct {
	Stages       []SLAStage    `json:"stages"`
	HandleWithin time.Duration `json:"handle_within"`
	CloseWithin  time.Duration `json:"close_within"`
}

// DefaultSLAPolicy is the procedure's table: supervisor picks up 30 min,
// branch handles 1 h, manager's guidance 30 min, VP/GM opinion 1 h, hotline
// handles 3 h, closes 30 min; handled within 1 day, closed within 48 h.
func DefaultSLAPolicy() SLAPolicy {
	return SLAPolicy{
		Stages: []SLAStage{
			{"pick_up", 30 * time.Minute},
			{"branch_handling", time.Hour},
			{"manager_guidance", 30 * time.Minute},
			{"vp_gm_opinion", time.Hour},
			{"hotline_handling", 3 * time.Hour},
			{"close", 30 * time.Minute},
		},
		HandleWithin: 24 * time.Hour,
		CloseWithin:  48 * time.Hour,
	}
}

// Warning is a complaint's warning timeline: when it was raised and when
// each stage was done, in order.
type Warning struct {
	RaisedAt time.Time   `json:"raised_at"`
	Done     []time.Time `json:"done,omitempty"`
}

// RaiseWarning starts the warning timeline on a case.
func (c *Complaint) RaiseWarning(at time.Time) error {
	if err := c.mutable(StepFollow); err != nil {
		return err
	}
	if c.Warning != nil {
		return fmt.Errorf("raise warning: already raised at %s: %w", c.Warning.RaisedAt.Format(time.RFC3339), ErrState)
	}
	c.Warning = &Warning{RaisedAt: at}
	return nil
}

// CompleteStage marks the current warning stage done at instant at.
func (c *Complaint) CompleteStage(p SLAPolicy, at time.Time) error {
	if c.Warning == nil {
		return fmt.Errorf("complete stage: no warning raised: %w", ErrState)
	}
	if len(c.Warning.Done) >= len(p.Stages) {
		return fmt.Errorf("complete stage: every stage is done: %w", ErrState)
	}
	if n := len(c.Warning.Done); at.Before(c.Warning.RaisedAt) || (n > 0 && at.Before(c.Warning.Done[n-1])) {
		return fmt.Errorf("complete stage: %s is before the stage began", at.Format(time.RFC3339))
	}
	c.Warning.Done = append(c.Warning.Done, at)
	return nil
}

// SLAStatus is where a warning stands at an instant.
type SLAStatus struct {
	Stage      int       `json:"stage"`      // index of the current stage; len(Stages) when all are done
	StageName  string    `json:"stage_name"` // "" when all are done
	StageStart time.Time `json:"stage_start,omitzero"`
	StageDue   time.Time `json:"stage_due,omitzero"`
	StageLate  bool      `json:"stage_late"`  // the current stage is past its limit
	LateStages []string  `json:"late_stages"` // every stage done (or running) past its limit
	HandleDue  time.Time `json:"handle_due"`
	CloseDue   time.Time `json:"close_due"`
	Done       bool      `json:"done"`
	Late       bool      `json:"late"` // any stage late, or handling or closing past its limit
}

// Status reports which stage the warning is in at instant at and whether
// it, or the warning as a whole, is late.
func (p SLAPolicy) Status(w Warning, at time.Time) SLAStatus {
	st := SLAStatus{
		HandleDue:  w.RaisedAt.Add(p.HandleWithin),
		CloseDue:   w.RaisedAt.Add(p.CloseWithin),
		LateStages: []string{},
	}
	start := w.RaisedAt
	for i, s := range p.Stages {
		due := start.Add(s.Limit)
		if i < len(w.Done) {
			if w.Done[i].After(due) {
				st.LateStages = append(st.LateStages, s.Name)
			}
			start = w.Done[i]
			continue
		}
		st.Stage, st.StageName, st.StageStart, st.StageDue = i, s.Name, start, due
		st.StageLate = at.After(due)
		if st.StageLate {
			st.LateStages = append(st.LateStages, s.Name)
		}
		break
	}
	n := len(p.Stages)
	if len(w.Done) >= n {
		st.Stage, st.Done = n, true
	}
	st.Late = len(st.LateStages) > 0
	if n > 1 {
		handled := len(w.Done) >= n-1
		if (handled && w.Done[n-2].After(st.HandleDue)) || (!handled && at.After(st.HandleDue)) {
			st.Late = true
		}
	}
	if (st.Done && n > 0 && w.Done[n-1].After(st.CloseDue)) || (!st.Done && at.After(st.CloseDue)) {
		st.Late = true
	}
	return st
}
