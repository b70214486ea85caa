package agent

import (
	"errors"
	"fmt"
	"sort"
	"strings"
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
	AfterCallWork time.Duration // the wrap-up after a call, before it is over its limit
	// ShowMonitoring lets an agent see that a supervisor is listening in.
	ShowMonitoring bool
	// OfflineSignIn bounds signing in without the hub after the last
	// online sign-in.
	OfflineSignIn time.Duration
	// RecordingRetention is how long the hub keeps recordings' audio.
	RecordingRetention time.Duration
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
		AfterCallWork: DefaultAfterCallWork,
		OfflineSignIn: DefaultOfflineSignIn,

		RecordingRetention: DefaultRecordingRetention,
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

func sortByDue(cs []Complaint) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].ReplyDue().Before(cs[j].ReplyDue()) })
}

// Role is what a person does at the center. Desk users sign in as agent,
// team_lead, supervisor or trainer; branch, store_manager and executive own
// warning-complaint stages done outside the hotline, which a supervisor
// records on their behalf.
type Role string

// Roles.
const (
	RoleAgent        Role = "agent"
	RoleTeamLead     Role = "team_lead"
	RoleSupervisor   Role = "supervisor"
	RoleTrainer      Role = "trainer"
	RoleBranch       Role = "branch"
	RoleStoreManager Role = "store_manager"
	RoleExecutive    Role = "executive"
)

// Roles lists every role, in order of the stages that use them.
var Roles = []Role{RoleAgent, RoleTeamLead, RoleSupervisor, RoleTrainer, RoleBranch, RoleStoreManager, RoleExecutive}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// MayComplete reports whether a desk user of role r may mark a stage owned
// by owner done: the owner itself; a supervisor for any stage (the hotline
// supervisor records the branch's, the store manager's and the executives'
// stages and may stand in for a team lead or agent); a team lead for an
// agent's stage.
func (r Role) MayComplete(owner Role) bool {
	switch {
	case r == owner:
		return true
	case r == RoleSupervisor:
		return true
	case r == RoleTeamLead && owner == RoleAgent:
		return true
	}
	return false
}

// SLAStage is one stage of the warning-complaint timeline: its name, the
// role that does it, and its time limit — counted from the end of the stage
// before, or, with FromRaise, from the warning itself.
type SLAStage struct {
	Name      string        `json:"name"`
	Role      Role          `json:"role"`
	Limit     time.Duration `json:"limit"`
	FromRaise bool          `json:"from_raise,omitempty"`
}

// SLAPolicy is the warning-complaint timeline (预警投诉处理时间分配表): the
// warning is raised within RaiseWithin of the complaint, then the stages
// follow in order.
type SLAPolicy struct {
	RaiseWithin time.Duration `json:"raise_within"`
	Stages      []SLAStage    `json:"stages"`
}

// DefaultSLAPolicy is seed 003's table, read one step to one time: the
// warning is generated within 30 min; the hotline supervisor picks it up
// within 1 h and sends it back (回退) within 30 min; the store's service
// center handles it within 1 h; the store manager gives guidance within
// 3 h; the vice president or general manager gives an opinion within
// 30 min; the hotline handles it within 1 day and it is closed within
// 48 hours, both counted from the warning.
func DefaultSLAPolicy() SLAPolicy {
	return SLAPolicy{
		RaiseWithin: 30 * time.Minute,
		Stages: []SLAStage{
			{Name: "pick_up", Role: RoleSupervisor, Limit: time.Hour},
			{Name: "send_back", Role: RoleSupervisor, Limit: 30 * time.Minute},
			{Name: "branch_handling", Role: RoleBranch, Limit: time.Hour},
			{Name: "manager_guidance", Role: RoleStoreManager, Limit: 3 * time.Hour},
			{Name: "executive_opinion", Role: RoleExecutive, Limit: 30 * time.Minute},
			{Name: "hotline_handling", Role: RoleAgent, Limit: 24 * time.Hour, FromRaise: true},
			{Name: "close", Role: RoleAgent, Limit: 48 * time.Hour, FromRaise: true},
		},
	}
}

// Check reports a policy that cannot be followed: no stage, a stage without
// name or a known role, a limit that is not positive.
func (p SLAPolicy) Check() error {
	if len(p.Stages) == 0 {
		return fmt.Errorf("warning stages: none: %w", ErrEmpty)
	}
	if p.RaiseWithin <= 0 {
		return fmt.Errorf("warning stages: raise_within must be positive")
	}
	seen := map[string]bool{}
	for i, s := range p.Stages {
		switch {
		case strings.TrimSpace(s.Name) == "":
			return fmt.Errorf("warning stage %d: no name: %w", i+1, ErrEmpty)
		case seen[s.Name]:
			return fmt.Errorf("warning stage %d: %q named twice", i+1, s.Name)
		case !s.Role.Valid():
			return fmt.Errorf("warning stage %q: unknown role %q", s.Name, s.Role)
		case s.Limit <= 0:
			return fmt.Errorf("warning stage %q: limit must be positive", s.Name)
		}
		seen[s.Name] = true
	}
	return nil
}

// Warning is a complaint's warning timeline: when the case opened, when the
// warning was raised and by whom, and when each stage was done and by whom,
// in order.
type Warning struct {
	Opened   time.Time   `json:"opened"`
	RaisedAt time.Time   `json:"raised_at"`
	RaisedBy string      `json:"raised_by,omitempty"`
	Done     []time.Time `json:"done,omitempty"`
	By       []string    `json:"by,omitempty"`    // who recorded each stage
	Notes    []string    `json:"notes,omitempty"` // what each stage did
}

// ErrRole is returned when a user's role may not do what it asks.
var ErrRole = errors.New("role may not do this")

// RaiseWarning starts the warning timeline on a case (a supervisor's
// decision).
func (c *Complaint) RaiseWarning(by string, role Role, at time.Time) error {
	if err := c.mutable(StepFollow); err != nil {
		return err
	}
	if role != RoleSupervisor {
		return fmt.Errorf("raise warning: %s: %w", role, ErrRole)
	}
	if c.Warning != nil {
		return fmt.Errorf("raise warning: already raised at %s: %w", c.Warning.RaisedAt.Format(time.RFC3339), ErrState)
	}
	c.Warning = &Warning{Opened: c.OpenedAt, RaisedAt: at, RaisedBy: by}
	return nil
}

// CompleteStage marks the current warning stage done at instant at, by a
// desk user of role who may do it (Role.MayComplete), with what was done.
func (c *Complaint) CompleteStage(p SLAPolicy, by string, role Role, note string, at time.Time) error {
	if c.Warning == nil {
		return fmt.Errorf("complete stage: no warning raised: %w", ErrState)
	}
	w := c.Warning
	n := len(w.Done)
	if n >= len(p.Stages) {
		return fmt.Errorf("complete stage: every stage is done: %w", ErrState)
	}
	st := p.Stages[n]
	if !role.MayComplete(st.Role) {
		return fmt.Errorf("complete stage %s (%s): %s: %w", st.Name, st.Role, role, ErrRole)
	}
	if at.Before(w.RaisedAt) || (n > 0 && at.Before(w.Done[n-1])) {
		return fmt.Errorf("complete stage: %s is before the stage began", at.Format(time.RFC3339))
	}
	// Older records have no By/Notes: pad them so each stays in step.
	for len(w.By) < n {
		w.By = append(w.By, "")
	}
	for len(w.Notes) < n {
		w.Notes = append(w.Notes, "")
	}
	w.Done, w.By, w.Notes = append(w.Done, at), append(w.By, by), append(w.Notes, strings.TrimSpace(note))
	return nil
}

// SLAStatus is where a warning stands at an instant.
type SLAStatus struct {
	RaiseLate  bool      `json:"raise_late"` // raised later than RaiseWithin after the case opened
	Stage      int       `json:"stage"`      // index of the current stage; len(Stages) when all are done
	StageName  string    `json:"stage_name"` // "" when all are done
	StageRole  Role      `json:"stage_role"` // who does the current stage
	StageStart time.Time `json:"stage_start,omitzero"`
	StageDue   time.Time `json:"stage_due,omitzero"`
	StageLate  bool      `json:"stage_late"`  // the current stage is past its limit
	LateStages []string  `json:"late_stages"` // every stage done (or running) past its limit
	HandleDue  time.Time `json:"handle_due,omitzero"`
	CloseDue   time.Time `json:"close_due,omitzero"`
	Done       bool      `json:"done"`
	Late       bool      `json:"late"` // raised late, or any stage late
}

// due is when stage i is due, given when it started.
func (p SLAPolicy) due(i int, w Warning, start time.Time) time.Time {
	s := p.Stages[i]
	if s.FromRaise {
		return w.RaisedAt.Add(s.Limit)
	}
	return start.Add(s.Limit)
}

// Status reports which stage the warning is in at instant at and whether
// it, or any stage, is late.
func (p SLAPolicy) Status(w Warning, at time.Time) SLAStatus {
	st := SLAStatus{LateStages: []string{}}
	if !w.Opened.IsZero() && w.RaisedAt.Sub(w.Opened) > p.RaiseWithin {
		st.RaiseLate = true
	}
	for i, s := range p.Stages {
		switch s.Name {
		case "hotline_handling":
			st.HandleDue = p.due(i, w, w.RaisedAt)
		case "close":
			st.CloseDue = p.due(i, w, w.RaisedAt)
		}
	}
	start := w.RaisedAt
	for i, s := range p.Stages {
		due := p.due(i, w, start)
		if i < len(w.Done) {
			if w.Done[i].After(due) {
				st.LateStages = append(st.LateStages, s.Name)
			}
			start = w.Done[i]
			continue
		}
		st.Stage, st.StageName, st.StageRole, st.StageStart, st.StageDue = i, s.Name, s.Role, start, due
		st.StageLate = at.After(due)
		if st.StageLate {
			st.LateStages = append(st.LateStages, s.Name)
		}
		break
	}
	if len(w.Done) >= len(p.Stages) {
		st.Stage, st.Done = len(p.Stages), true
	}
	st.Late = st.RaiseLate || len(st.LateStages) > 0
	return st
}
