package agent

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// TimeOfDay is a wall-clock time as minutes after midnight (0–1439).
type TimeOfDay int

// ParseTimeOfDay reads "HH:MM".
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("time of day %q: want HH:MM", s)
	}
	return TimeOfDay(t.Hour()*60 + t.Minute()), nil
}

// String renders "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", int(t)/60, int(t)%60) }

// MarshalText renders "HH:MM".
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads "HH:MM".
func (t *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	*t = v
	return err
}

// QuietWindow is a daily stretch of local time [Start, End) when customers
// rest; End before Start wraps past midnight (21:00–09:00).
type QuietWindow struct {
	Start TimeOfDay `json:"start"`
	End   TimeOfDay `json:"end"`
}

// String renders "12:00–14:00".
func (w QuietWindow) String() string { return w.Start.String() + "–" + w.End.String() }

func (w QuietWindow) contains(m TimeOfDay) bool {
	if w.Start <= w.End {
		return m >= w.Start && m < w.End
	}
	return m >= w.Start || m < w.End
}

// QuietHours is "one avoid" (一个避免): the times the desk will not dial a
// customer, in the customer's local zone.
type QuietHours struct {
	Zone    *time.Location `json:"-"`
	Windows []QuietWindow  `json:"windows"`
}

// DefaultQuietHours is 12:00–14:00 and 21:00–09:00 in zone.
func DefaultQuietHours(zone *time.Location) QuietHours {
	return QuietHours{Zone: zone, Windows: []QuietWindow{{12 * 60, 14 * 60}, {21 * 60, 9 * 60}}}
}

// ErrQuietHours is matched (errors.Is) by the error CanDial returns inside
// quiet hours.
var ErrQuietHours = errors.New("customer is resting (quiet hours)")

// QuietError says which quiet window refused a dial and when dialing is
// allowed again.
type QuietError struct {
	Window QuietWindow
	Local  time.Time // the refused instant in the zone
	Next   time.Time // the first instant dialing is allowed again
}

// Error explains the refusal.
func (e *QuietError) Error() string {
	return fmt.Sprintf("not dialing at %s: customer is resting (quiet hours %s %s); next allowed %s",
		e.Local.Format("15:04"), e.Window, e.Local.Location(), e.Next.Format("2006-01-02 15:04"))
}

// Is reports ErrQuietHours.
func (e *QuietError) Is(target error) bool { return target == ErrQuietHours }

func (q QuietHours) zone() *time.Location {
	if q.Zone == nil {
		return time.UTC
	}
	return q.Zone
}

func (q QuietHours) window(at time.Time) (QuietWindow, bool) {
	l := at.In(q.zone())
	m := TimeOfDay(l.Hour()*60 + l.Minute())
	for _, w := range q.Windows {
		if w.Start != w.End && w.contains(m) {
			return w, true
		}
	}
	return QuietWindow{}, false
}

// CanDial returns nil when a customer may be called at instant at, and a
// *QuietError saying why not otherwise.
func (q QuietHours) CanDial(at time.Time) error {
	w, quiet := q.window(at)
	if !quiet {
		return nil
	}
	return &QuietError{Window: w, Local: at.In(q.zone()), Next: q.NextDialable(at)}
}

// NextDialable returns the first instant at or after at outside quiet
// hours, on a minute boundary when it had to wait.
func (q QuietHours) NextDialable(at time.Time) time.Time {
	t := at.In(q.zone())
	for range 2 * 24 * 60 {
		if _, quiet := q.window(t); !quiet {
			return t
		}
		// Step to the next whole minute: windows are in whole minutes.
		t = t.Truncate(time.Minute).Add(time.Minute)
	}
	return t // every minute is quiet: give up after two days
}

// CallbackState is where a callback task stands.
type CallbackState uint8

// Callback states.
const (
	CallbackPending CallbackState = iota
	CallbackDone
)

var callbackStateNames = []string{"pending", "done"}

// String returns pending or done.
func (s CallbackState) String() string { return enumString(callbackStateNames, int(s)) }

// MarshalText encodes the state by name.
func (s CallbackState) MarshalText() ([]byte, error) {
	return enumMarshal(callbackStateNames, int(s), "callback state")
}

// UnmarshalText decodes a state name.
func (s *CallbackState) UnmarshalText(b []byte) error {
	i, err := enumParse(callbackStateNames, string(b), "callback state")
	*s = CallbackState(i)
	return err
}

// Callback is one callback task (回访) for a customer, assigned to an agent.
type Callback struct {
	Meta
	CustomerID string            `json:"customer_id"`
	Agent      string            `json:"agent"`
	Purpose    string            `json:"purpose,omitempty"`
	Due        time.Time         `json:"due"`
	NextTry    time.Time         `json:"next_try,omitzero"`
	State      CallbackState     `json:"state"`
	Attempts   []CallbackAttempt `json:"attempts,omitempty"`
	Outcome    *CallbackOutcome  `json:"outcome,omitempty"`
	// Service and ServiceAt are what the callback asks about ("感谢您在XX
	// 时间接受了我们的XX服务项目"), when the task has one.
	Service   string    `json:"service,omitempty"`
	ServiceAt time.Time `json:"service_at,omitzero"`
	// ComplaintID is the case an unsatisfied outcome opened.
	ComplaintID string `json:"complaint_id,omitempty"`
}

// CallbackAttempt is one try: reached or not, and a note.
type CallbackAttempt struct {
	At      time.Time `json:"at"`
	Reached bool      `json:"reached"`
	Note    string    `json:"note,omitempty"`
}

// CallbackOutcome is the callback record (《回访记录表》). Reached and Satisfied
// are pointers so "not asked" differs from "no".
type CallbackOutcome struct {
	At          time.Time `json:"at"`
	Reached     *bool     `json:"reached"`
	Satisfied   *bool     `json:"satisfied,omitempty"`
	Suggestions string    `json:"suggestions,omitempty"` // "无" when the customer has none
	// NextContact is the next time agreed with the customer; NoNextContact
	// says none was agreed. One of the two is required.
	NextContact   time.Time `json:"next_contact,omitzero"`
	NoNextContact bool      `json:"no_next_contact,omitempty"`
	Note          string    `json:"note,omitempty"`
	// NextTry, for a customer not reached, is when to try again (zero: the
	// center's retry time, outside quiet hours); it must fall outside the
	// quiet hours.
	NextTry time.Time `json:"next_try,omitzero"`
}

// Problems lists what a reached outcome lacks ("must record every callback
// completely"). An unreached outcome only needs Reached.
func (o CallbackOutcome) Problems() []Problem {
	if o.Reached == nil {
		return []Problem{ProblemCallbackReached}
	}
	if !*o.Reached {
		return nil
	}
	var out []Problem
	if o.Satisfied == nil {
		out = append(out, ProblemCallbackSatisfy)
	}
	if blank(o.Suggestions) {
		out = append(out, ProblemCallbackSuggest)
	}
	if o.NextContact.IsZero() && !o.NoNextContact {
		out = append(out, ProblemCallbackNext)
	}
	return out
}

// ErrCallbackIncomplete is matched by the error Record returns for an
// incomplete outcome.
var ErrCallbackIncomplete = errors.New("callback record incomplete")

// CallbackIncompleteError lists what a callback record lacks; it matches
// ErrCallbackIncomplete with errors.Is.
type CallbackIncompleteError struct {
	ID       string
	Problems []Problem
}

// Error names the task and every missing item.
func (e *CallbackIncompleteError) Error() string {
	return fmt.Sprintf("record callback %s: %s: %s", e.ID, strings.ReplaceAll(texts(e.Problems), ", ", "; "), ErrCallbackIncomplete)
}

// Is reports ErrCallbackIncomplete.
func (e *CallbackIncompleteError) Is(target error) bool { return target == ErrCallbackIncomplete }

// CanDial refuses a done task and quiet hours, with the reason.
func (cb *Callback) CanDial(at time.Time, q QuietHours) error {
	if cb.State == CallbackDone {
		return fmt.Errorf("callback %s is done: %w", cb.ID, ErrState)
	}
	return q.CanDial(at)
}

// Record records a try. An incomplete outcome is refused with every missing
// item. An unreached customer is retried: NextTry becomes the first instant
// outside quiet hours at least retry after the try. A reached customer with
// a complete record finishes the task.
func (cb *Callback) Record(o CallbackOutcome, q QuietHours, retry time.Duration) error {
	if cb.State == CallbackDone {
		return fmt.Errorf("record callback %s: already done: %w", cb.ID, ErrState)
	}
	if o.At.IsZero() {
		return fmt.Errorf("record callback %s: time: %w", cb.ID, ErrCallbackIncomplete)
	}
	if p := o.Problems(); len(p) > 0 {
		return &CallbackIncompleteError{ID: cb.ID, Problems: p}
	}
	if !*o.Reached && !o.NextTry.IsZero() && q.CanDial(o.NextTry) != nil {
		return &CallbackIncompleteError{ID: cb.ID, Problems: []Problem{ProblemCallbackNextRest}}
	}
	cb.Attempts = append(cb.Attempts, CallbackAttempt{At: o.At, Reached: *o.Reached, Note: o.Note})
	if !*o.Reached {
		cb.NextTry = q.NextDialable(o.At.Add(retry))
		if !o.NextTry.IsZero() {
			cb.NextTry = o.NextTry
		}
		return nil
	}
	cb.Outcome = &o
	cb.State = CallbackDone
	cb.NextTry = time.Time{}
	return nil
}

// Unsatisfied reports whether the recorded outcome is a reached customer
// who is not satisfied: the case to open (ComplaintFromCallback).
func (cb *Callback) Unsatisfied() bool {
	o := cb.Outcome
	return o != nil && o.Reached != nil && *o.Reached && o.Satisfied != nil && !*o.Satisfied
}

// ComplaintFromCallback opens the case an unsatisfied callback calls for:
// the customer's words (the suggestions, and the note) as the statement
// (听清楚), owned by the agent who made the callback and linked to it both
// ways. The other steps are taken as for any complaint.
func ComplaintFromCallback(cb *Callback, owner string, at time.Time) (*Complaint, error) {
	if !cb.Unsatisfied() {
		return nil, fmt.Errorf("callback %s: the customer is not unsatisfied: %w", cb.ID, ErrState)
	}
	c, err := NewComplaint(cb.CustomerID, owner, ChannelPhone, at)
	if err != nil {
		return nil, err
	}
	statement := strings.TrimSpace(cb.Outcome.Suggestions)
	if n := strings.TrimSpace(cb.Outcome.Note); n != "" {
		statement = strings.TrimSpace(statement + "\n" + n)
	}
	if err := c.Listen(statement, at); err != nil {
		return nil, err
	}
	c.ID, c.CallbackID = NewID(), cb.ID
	cb.ComplaintID = c.ID
	return c, nil
}

// Overdue reports whether the task is, or was finished, past its due time.
func (cb *Callback) Overdue(at time.Time) bool {
	if cb.State == CallbackDone && cb.Outcome != nil {
		return cb.Outcome.At.After(cb.Due)
	}
	return at.After(cb.Due)
}

// AssignMode is how new callback tasks are shared among agents.
type AssignMode uint8

// Assignment modes.
const (
	AssignRoundRobin AssignMode = iota
	AssignByLoad                // fewest pending tasks first
)

var assignNames = []string{"round_robin", "by_load"}

// ParseAssignMode reads round_robin or by_load.
func ParseAssignMode(s string) (AssignMode, error) {
	i, err := enumParse(assignNames, s, "assignment mode")
	return AssignMode(i), err
}

// CallbackPlan configures PlanCallbacks.
type CallbackPlan struct {
	Agents  []string
	Mode    AssignMode
	Since   time.Time // tasks made since then (or still pending) cover a customer
	Days    int       // due within this many calendar days in Quiet's zone (default 3)
	Quiet   QuietHours
	Purpose string
}

// ErrNoAgents is returned by PlanCallbacks when tasks are needed but no
// agent can take them.
var ErrNoAgents = errors.New("no agents to assign callbacks to")

func coveredCustomers(existing []Callback, since time.Time) map[string]bool {
	covered := make(map[string]bool, len(existing))
	for _, cb := range existing {
		if cb.State == CallbackPending || !cb.CreatedAt.Before(since) {
			covered[cb.CustomerID] = true
		}
	}
	return covered
}

// UncoveredMembers returns the IDs of member customers with no callback
// task that covers them ("must call back 100% of member customers").
func UncoveredMembers(customers []Customer, existing []Callback, since time.Time) []string {
	covered := coveredCustomers(existing, since)
	var out []string
	for _, c := range customers {
		if c.Member && !covered[c.ID] {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

// PlanCallbacks makes the tasks that bring member coverage to 100%: one per
// uncovered member, in customer-ID order, due p.Days calendar days after at
// in the quiet-hours zone (same wall-clock time, so a DST change makes the
// span 71 or 73 hours), first try at the first dialable instant. Tasks are
// assigned round-robin or to the agent with the fewest pending tasks.
// The tasks are new (no ID yet) and are not stored.
func PlanCallbacks(customers []Customer, existing []Callback, p CallbackPlan, at time.Time) ([]Callback, error) {
	ids := UncoveredMembers(customers, existing, p.Since)
	if len(ids) == 0 {
		return nil, nil
	}
	if len(p.Agents) == 0 {
		return nil, fmt.Errorf("plan %d callbacks: %w", len(ids), ErrNoAgents)
	}
	days := p.Days
	if days <= 0 {
		days = 3
	}
	load := make(map[string]int, len(p.Agents))
	for _, cb := range existing {
		if cb.State == CallbackPending {
			load[cb.Agent]++
		}
	}
	local := at.In(p.Quiet.zone())
	due := local.AddDate(0, 0, days)
	first := p.Quiet.NextDialable(at)
	out := make([]Callback, 0, len(ids))
	for i, id := range ids {
		agent := p.Agents[i%len(p.Agents)]
		if p.Mode == AssignByLoad {
			agent = p.Agents[0]
			for _, a := range p.Agents[1:] {
				if load[a] < load[agent] {
					agent = a
				}
			}
		}
		load[agent]++
		out = append(out, Callback{CustomerID: id, Agent: agent, Purpose: p.Purpose, Due: due, NextTry: first, State: CallbackPending})
	}
	return out, nil
}

// CallbackSummary is the figures of the 《回访总结报告》 for a period.
type CallbackSummary struct {
	From         time.Time `json:"from"`
	To           time.Time `json:"to"`
	Total        int       `json:"total"`
	Done         int       `json:"done"`
	Reached      int       `json:"reached"`
	Satisfied    int       `json:"satisfied"`
	SatisfiedPct float64   `json:"satisfied_pct"` // of reached
	Complete     int       `json:"complete"`
	CompletePct  float64   `json:"complete_pct"` // of total
	Overdue      int       `json:"overdue"`
	Attempts     int       `json:"attempts"`
	// InTime counts the tasks finished by their due day ("must finish a
	// callback within three days"); InTimePct is of total.
	InTime    int     `json:"in_time"`
	InTimePct float64 `json:"in_time_pct"`
	// Unsatisfied counts reached customers who were not satisfied (each
	// opened a case).
	Unsatisfied int `json:"unsatisfied"`
}

// CallbackReport is the 《回访总结报告》: the period's summary and one per
// agent, by agent.
type CallbackReport struct {
	CallbackSummary
	Agents []AgentCallbacks `json:"agents"`
}

// AgentCallbacks is one agent's part of a callback report.
type AgentCallbacks struct {
	Agent string `json:"agent"`
	CallbackSummary
}

// ReportCallbacks summarises the tasks made in [from, to) for the whole
// center and per agent (agent "" = all agents), judged at instant at.
func ReportCallbacks(cbs []Callback, from, to, at time.Time, agent string) CallbackReport {
	by := map[string][]Callback{}
	var all []Callback
	for _, cb := range cbs {
		if agent != "" && cb.Agent != agent {
			continue
		}
		all = append(all, cb)
		by[cb.Agent] = append(by[cb.Agent], cb)
	}
	r := CallbackReport{CallbackSummary: SummarizeCallbacks(all, from, to, at), Agents: []AgentCallbacks{}}
	names := make([]string, 0, len(by))
	for a := range by {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if s := SummarizeCallbacks(by[a], from, to, at); s.Total > 0 {
			r.Agents = append(r.Agents, AgentCallbacks{Agent: a, CallbackSummary: s})
		}
	}
	return r
}

// SummarizeCallbacks counts the tasks made in [from, to), judged at instant at.
func SummarizeCallbacks(cbs []Callback, from, to, at time.Time) CallbackSummary {
	s := CallbackSummary{From: from, To: to}
	for _, cb := range cbs {
		if cb.CreatedAt.Before(from) || !cb.CreatedAt.Before(to) {
			continue
		}
		s.Total++
		s.Attempts += len(cb.Attempts)
		if cb.Overdue(at) {
			s.Overdue++
		}
		if cb.State != CallbackDone || cb.Outcome == nil {
			continue
		}
		s.Done++
		if !cb.Outcome.At.After(cb.Due) {
			s.InTime++
		}
		if cb.Outcome.Reached != nil && *cb.Outcome.Reached {
			s.Reached++
			if cb.Outcome.Satisfied != nil && *cb.Outcome.Satisfied {
				s.Satisfied++
			}
			if cb.Unsatisfied() {
				s.Unsatisfied++
			}
		}
		if len(cb.Outcome.Problems()) == 0 {
			s.Complete++
		}
	}
	if s.Reached > 0 {
		s.SatisfiedPct = 100 * float64(s.Satisfied) / float64(s.Reached)
	}
	if s.Total > 0 {
		s.CompletePct = 100 * float64(s.Complete) / float64(s.Total)
		s.InTimePct = 100 * float64(s.InTime) / float64(s.Total)
	}
	return s
}
