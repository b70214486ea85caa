package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Channel is how a complaint reached the hotline.
type Channel uint8

// Channels a complaint can arrive through.
const (
	ChannelPhone Channel = iota
	ChannelLetter
	ChannelVisit
	ChannelEmail
)

var channelNames = []string{"phone", "letter", "visit", "email"}

// String returns the channel's name: phone, letter, visit or email.
func (c Channel) String() string { return enumString(channelNames, int(c)) }

// MarshalText encodes the channel by name.
func (c Channel) MarshalText() ([]byte, error) { return enumMarshal(channelNames, int(c), "channel") }

// UnmarshalText decodes a channel name.
func (c *Channel) UnmarshalText(b []byte) error {
	i, err := enumParse(channelNames, string(b), "channel")
	*c = Channel(i)
	return err
}

// Severity is how serious a complaint is; it decides the reply deadline and
// whether the complaint is reported at once.
type Severity uint8

// Severities. SeverityUnset is a case whose 跟清楚 step is not done yet.
const (
	SeverityUnset Severity = iota
	SeveritySimple
	SeverityComplex
	SeverityMajor
)

var severityNames = []string{"", "simple", "complex", "major"}

// String returns simple, complex, major, or "" when unset.
func (s Severity) String() string { return enumString(severityNames, int(s)) }

// MarshalText encodes the severity by name ("" when unset).
func (s Severity) MarshalText() ([]byte, error) {
	return enumMarshal(severityNames, int(s), "severity")
}

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	i, err := enumParse(severityNames, string(b), "severity")
	*s = Severity(i)
	return err
}

// ComplaintState is where a case is in its life.
type ComplaintState uint8

// States: open (intake under way) → awaiting_reply (next reply time fixed) →
// replied (the caller was told) → closed; replied or closed cases reopen to
// awaiting_reply when the caller calls back unhappy.
const (
	StateOpen ComplaintState = iota
	StateAwaitingReply
	StateReplied
	StateClosed
)

var stateNames = []string{"open", "awaiting_reply", "replied", "closed"}

// String returns the state's name.
func (s ComplaintState) String() string { return enumString(stateNames, int(s)) }

// MarshalText encodes the state by name.
func (s ComplaintState) MarshalText() ([]byte, error) {
	return enumMarshal(stateNames, int(s), "state")
}

// UnmarshalText decodes a state name.
func (s *ComplaintState) UnmarshalText(b []byte) error {
	i, err := enumParse(stateNames, string(b), "state")
	*s = ComplaintState(i)
	return err
}

// Step is one of "five clears, one report" (五清楚，一报告), in order.
type Step uint8

// The steps, in the order the desk guides them.
const (
	StepListen Step = iota // 听清楚
	StepAsk                // 问清楚
	StepFollow             // 跟清楚
	StepReply              // 复清楚
	StepRecord             // 记清楚
	StepReport             // 报告
)

var (
	stepNames  = []string{"listen", "ask", "follow", "reply", "record", "report"}
	stepLabels = []string{"听清楚", "问清楚", "跟清楚", "复清楚", "记清楚", "报告"}
)

// String returns the step's English key: listen, ask, follow, reply, record, report.
func (s Step) String() string { return enumString(stepNames, int(s)) }

// Label returns the step's name as the procedure writes it (听清楚 …).
func (s Step) Label() string { return enumString(stepLabels, int(s)) }

// MarshalText encodes the step by key.
func (s Step) MarshalText() ([]byte, error) { return enumMarshal(stepNames, int(s), "step") }

// UnmarshalText decodes a step key.
func (s *Step) UnmarshalText(b []byte) error {
	i, err := enumParse(stepNames, string(b), "step")
	*s = Step(i)
	return err
}

func enumString(names []string, i int) string {
	if i < 0 || i >= len(names) {
		return fmt.Sprintf("unknown(%d)", i)
	}
	return names[i]
}

func enumMarshal(names []string, i int, what string) ([]byte, error) {
	if i < 0 || i >= len(names) {
		return nil, fmt.Errorf("encode %s: unknown value %d", what, i)
	}
	return []byte(names[i]), nil
}

func enumParse(names []string, s, what string) (int, error) {
	for i, n := range names {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want one of %s)", what, s, strings.Join(nonEmpty(names), ", "))
}

func nonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Facts are what 问清楚 establishes. Every field is required; the agent
// writes "无" where a fact does not apply.
type Facts struct {
	What    string `json:"what"`    // what happened
	When    string `json:"when"`    // when it happened, in the caller's terms
	Where   string `json:"where"`   // where it happened
	Subject string `json:"subject"` // the product, order or address concerned
	Wants   string `json:"wants"`   // what the caller wants
}

// ListenStep is 听清楚: the caller's statement in their own words.
type ListenStep struct {
	Statement string    `json:"statement"`
	At        time.Time `json:"at"`
}

// AskStep is 问清楚: the facts, and whether the agent read them back and
// the caller confirmed them ("是这样的吗？").
type AskStep struct {
	Facts    Facts     `json:"facts"`
	ReadBack bool      `json:"read_back_confirmed"`
	At       time.Time `json:"at"`
}

// FollowStep is 跟清楚: the severity, and either solved on the call or the
// next reply time agreed with the caller, with every change of that time and
// the follow-up notes of later calls.
type FollowStep struct {
	Severity     Severity    `json:"severity"`
	SolvedOnCall bool        `json:"solved_on_call"`
	ReplyDue     time.Time   `json:"reply_due,omitzero"`
	DueChanges   []DueChange `json:"due_changes,omitempty"`
	Entries      []FollowUp  `json:"entries,omitempty"`
	At           time.Time   `json:"at"`
}

// DueChange records a reply deadline the agent set away from the default,
// or moved later, and why.
type DueChange struct {
	From   time.Time `json:"from,omitzero"`
	To     time.Time `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// FollowUp is one note of following a case across calls.
type FollowUp struct {
	Note string    `json:"note"`
	At   time.Time `json:"at"`
}

// ReplyStep is 复清楚: when and how the caller was told the handling and the
// result, what was said, and whether the caller accepted it.
type ReplyStep struct {
	RepliedAt time.Time `json:"replied_at"`
	How       string    `json:"how"` // phone, sms, visit, letter…
	Said      string    `json:"said"`
	Accepted  bool      `json:"accepted"`
	At        time.Time `json:"at"` // when it was recorded
}

// RecordStep is 记清楚: the matter, the handling process and the result.
type RecordStep struct {
	Matter  string    `json:"matter"`
	Process string    `json:"process"`
	Result  string    `json:"result"`
	At      time.Time `json:"at"`
}

// ReportStep is 报告: the alert raised when the case became major.
type ReportStep struct {
	AlertID string    `json:"alert_id"`
	At      time.Time `json:"at"`
}

// Reopening records a caller calling back unhappy.
type Reopening struct {
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Revision keeps the content a later edit replaced, so nothing the agent
// recorded is ever lost.
type Revision struct {
	Step     Step            `json:"step"`
	At       time.Time       `json:"at"`
	Previous json.RawMessage `json:"previous"`
}

// Complaint is one complaint case: "five clears, one report" (五清楚，一报告).
//
// Steps are taken in order through the methods; each needs the one before it.
// Editing an earlier step (calling its method again) is allowed until the
// case is closed: the new content replaces the old, the old content is kept
// in Revisions, and later steps stay as they are — except that facts can only
// be edited with the read-back confirmed again once the case is being
// followed, since the deadline rests on them. Reopen moves the reply and the
// record into Revisions, because both must be done again.
type Complaint struct {
	Meta
	CustomerID string         `json:"customer_id"`
	Owner      string         `json:"owner"` // first-contact responsibility (首问负责制)
	Channel    Channel        `json:"channel"`
	OpenedAt   time.Time      `json:"opened_at"`
	State      ComplaintState `json:"state"`
	Heard      *ListenStep    `json:"listen,omitempty"`
	Asked      *AskStep       `json:"ask,omitempty"`
	Followed   *FollowStep    `json:"follow,omitempty"`
	Replied    *ReplyStep     `json:"reply,omitempty"`
	Recorded   *RecordStep    `json:"record,omitempty"`
	Reported   *ReportStep    `json:"report,omitempty"`
	Warning    *Warning       `json:"warning,omitempty"`
	Reopens    []Reopening    `json:"reopens,omitempty"`
	Revisions  []Revision     `json:"revisions,omitempty"`
	ClosedAt   time.Time      `json:"closed_at,omitzero"`
	// Escalations hand the case up (to a team lead, a supervisor or an
	// agent), newest last.
	Escalations []Escalation `json:"escalations,omitempty"`
	// CallbackID is the callback whose unsatisfied outcome opened the case.
	CallbackID string `json:"callback_id,omitempty"`
}

// Escalation hands a case to someone above or beside the owner, with a
// note; the alert it raises reaches them on the board.
type Escalation struct {
	To      string    `json:"to"` // a role (team_lead, supervisor) or an agent's number
	Note    string    `json:"note"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	AlertID string    `json:"alert_id,omitempty"`
}

// Escalate hands the case to to (a team lead, a supervisor, or another
// agent) with a note, and returns the alert to store with it so they are
// told at once.
func (c *Complaint) Escalate(to, note, by string, at time.Time) (*Alert, error) {
	if err := c.mutable(StepFollow); err != nil {
		return nil, err
	}
	var probs []StepProblem
	if blank(to) {
		probs = append(probs, StepProblem{Step: StepFollow, Code: ProblemEscalateTo})
	}
	if blank(note) {
		probs = append(probs, StepProblem{Step: StepFollow, Code: ProblemEscalateNote})
	}
	if len(probs) > 0 {
		return nil, &IncompleteError{Problems: probs}
	}
	if c.ID == "" {
		c.ID = NewID()
	}
	a := &Alert{Meta: Meta{ID: NewID()}, Kind: AlertEscalation, ComplaintID: c.ID, CustomerID: c.CustomerID,
		Owner: by, To: strings.TrimSpace(to), Summary: strings.TrimSpace(note), At: at}
	c.Escalations = append(c.Escalations, Escalation{To: a.To, Note: a.Summary, By: by, At: at, AlertID: a.ID})
	return a, nil
}

// EscalatedTo reports whether the case's latest escalation went to who (an
// agent's number) or to one of roles.
func (c *Complaint) EscalatedTo(who string, roles ...Role) bool {
	if len(c.Escalations) == 0 || c.State == StateClosed {
		return false
	}
	to := c.Escalations[len(c.Escalations)-1].To
	if to == who && who != "" {
		return true
	}
	for _, r := range roles {
		if to == string(r) {
			return true
		}
	}
	return false
}

// Errors returned by the complaint operations.
var (
	// ErrStepOrder is returned when a step is taken before the one it needs.
	ErrStepOrder = errors.New("earlier step not done")
	// ErrClosed is returned by any change to a closed case except Reopen.
	ErrClosed = errors.New("complaint is closed")
	// ErrState is returned when the case's state does not allow the operation.
	ErrState = errors.New("not allowed in this state")
	// ErrEmpty is returned when an operation lacks required content.
	ErrEmpty = errors.New("required content missing")
)

// Problem is what a complaint step lacks, as a stable code: callers decide
// and translate on it, never on the English text.
type Problem string

// What a step can lack.
const (
	ProblemNotDone          Problem = "not_done"
	ProblemCustomer         Problem = "customer"
	ProblemOwner            Problem = "owner"
	ProblemStatement        Problem = "statement"
	ProblemWhat             Problem = "what"
	ProblemWhen             Problem = "when"
	ProblemWhere            Problem = "where"
	ProblemSubject          Problem = "subject"
	ProblemWants            Problem = "wants"
	ProblemReadBack         Problem = "read_back"
	ProblemSeverity         Problem = "severity"
	ProblemReplyDue         Problem = "reply_due"
	ProblemHow              Problem = "how"
	ProblemSaid             Problem = "said"
	ProblemAccepted         Problem = "accepted"
	ProblemMatter           Problem = "matter"
	ProblemProcess          Problem = "process"
	ProblemResult           Problem = "result"
	ProblemReported         Problem = "reported"
	ProblemDueReason        Problem = "due_reason"
	ProblemReplyBeforeNow   Problem = "reply_before_now"
	ProblemCallbackReached  Problem = "callback_reached"
	ProblemCallbackSatisfy  Problem = "callback_satisfied"
	ProblemCallbackSuggest  Problem = "callback_suggestions"
	ProblemCallbackNext     Problem = "callback_next_contact"
	ProblemCallbackNextRest Problem = "callback_next_in_quiet_hours"
	ProblemWrapType         Problem = "wrap_type"
	ProblemWrapResult       Problem = "wrap_result"
	ProblemWrapCase         Problem = "wrap_case"
	ProblemEscalateTo       Problem = "escalate_to"
	ProblemEscalateNote     Problem = "escalate_note"
	ProblemReopenReason     Problem = "reopen_reason"
	ProblemFollowNote       Problem = "follow_note"
)

// Problems lists every code, for the tests that check each has a message.
var Problems = []Problem{ProblemNotDone, ProblemCustomer, ProblemOwner, ProblemStatement, ProblemWhat,
	ProblemWhen, ProblemWhere, ProblemSubject, ProblemWants, ProblemReadBack, ProblemSeverity,
	ProblemReplyDue, ProblemHow, ProblemSaid, ProblemAccepted, ProblemMatter, ProblemProcess,
	ProblemResult, ProblemReported, ProblemDueReason, ProblemReplyBeforeNow, ProblemCallbackReached,
	ProblemCallbackSatisfy, ProblemCallbackSuggest, ProblemCallbackNext, ProblemCallbackNextRest,
	ProblemWrapType, ProblemWrapResult, ProblemWrapCase, ProblemEscalateTo, ProblemEscalateNote,
	ProblemReopenReason, ProblemFollowNote}

var problemText = map[Problem]string{
	ProblemNotDone:          "not done",
	ProblemCustomer:         "customer missing",
	ProblemOwner:            "owner agent missing",
	ProblemStatement:        "statement missing",
	ProblemWhat:             "what happened missing",
	ProblemWhen:             "when missing",
	ProblemWhere:            "where missing",
	ProblemSubject:          "product/order/address missing",
	ProblemWants:            "what the caller wants missing",
	ProblemReadBack:         "read-back not confirmed",
	ProblemSeverity:         "severity missing",
	ProblemReplyDue:         "next reply time missing",
	ProblemHow:              "how the caller was told missing",
	ProblemSaid:             "what was said missing",
	ProblemAccepted:         "caller has not accepted the reply",
	ProblemMatter:           "matter missing",
	ProblemProcess:          "handling process missing",
	ProblemResult:           "result missing",
	ProblemReported:         "major complaint not reported",
	ProblemDueReason:        "a reply time other than the default needs a reason",
	ProblemReplyBeforeNow:   "reply time is not in the future",
	ProblemCallbackReached:  "reached? not recorded",
	ProblemCallbackSatisfy:  "satisfied? not recorded",
	ProblemCallbackSuggest:  "suggestions not recorded (write 无 if none)",
	ProblemCallbackNext:     "next contact time not agreed (or marked none)",
	ProblemCallbackNextRest: "next try falls in the customer's quiet hours",
	ProblemWrapType:         "call type missing or unknown (want consultation, complaint or other)",
	ProblemWrapResult:       "result missing",
	ProblemWrapCase:         "a complaint call needs its case",
	ProblemEscalateTo:       "whom to escalate to missing",
	ProblemEscalateNote:     "escalation note missing",
	ProblemReopenReason:     "reason for reopening missing",
	ProblemFollowNote:       "follow-up note missing",
}

// Text is the problem's English wording (for deskctl and logs).
func (p Problem) Text() string {
	if t, ok := problemText[p]; ok {
		return t
	}
	return string(p)
}

// StepProblem names a step and what it lacks. Needs, when set, is the step
// that needs this one (a record needs the reply, closing needs both).
type StepProblem struct {
	Step  Step
	Code  Problem
	Needs string
}

// Msg is the problem in English, with what needs it: "not done (closing
// needs it)".
func (p StepProblem) Msg() string {
	if p.Needs != "" {
		return p.Code.Text() + " (" + p.Needs + " needs it)"
	}
	return p.Code.Text()
}

// String renders "问清楚 (ask): read-back not confirmed".
func (p StepProblem) String() string {
	return fmt.Sprintf("%s (%s): %s", p.Step.Label(), p.Step, p.Msg())
}

// IncompleteError lists every problem that stops a case being stored or
// closed. It matches ErrEmpty with errors.Is.
type IncompleteError struct {
	Problems []StepProblem
}

// Error joins the problems, one per line.
func (e *IncompleteError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "complaint incomplete:\n" + strings.Join(lines, "\n")
}

// Is reports ErrEmpty.
func (e *IncompleteError) Is(target error) bool { return target == ErrEmpty }

// ReplyPolicy is the default time to the next reply by severity, counted in
// elapsed time from the 跟清楚 step: "2小时之内（简单投诉）/24小时之内（复杂投诉）".
type ReplyPolicy struct {
	Simple  time.Duration `json:"simple"`
	Complex time.Duration `json:"complex"`
	Major   time.Duration `json:"major"`
}

// DefaultReplyPolicy is 2 h simple, 24 h complex, 24 h major.
func DefaultReplyPolicy() ReplyPolicy {
	return ReplyPolicy{Simple: 2 * time.Hour, Complex: 24 * time.Hour, Major: 24 * time.Hour}
}

// For returns the default reply time for a severity (0 when unset).
func (p ReplyPolicy) For(s Severity) time.Duration {
	switch s {
	case SeveritySimple:
		return p.Simple
	case SeverityComplex:
		return p.Complex
	case SeverityMajor:
		return p.Major
	}
	return 0
}

// NewComplaint opens a case for a customer, owned by the agent who took it.
func NewComplaint(customerID, owner string, ch Channel, at time.Time) (*Complaint, error) {
	var missing []string
	if strings.TrimSpace(customerID) == "" {
		missing = append(missing, "customer")
	}
	if strings.TrimSpace(owner) == "" {
		missing = append(missing, "owner agent")
	}
	if at.IsZero() {
		missing = append(missing, "time")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("new complaint: %s: %w", strings.Join(missing, ", "), ErrEmpty)
	}
	if int(ch) >= len(channelNames) {
		return nil, fmt.Errorf("new complaint: unknown channel %d", ch)
	}
	return &Complaint{CustomerID: customerID, Owner: owner, Channel: ch, OpenedAt: at, State: StateOpen}, nil
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func (c *Complaint) mutable(step Step) error {
	if c.State == StateClosed {
		return fmt.Errorf("%s: %w", step.Label(), ErrClosed)
	}
	return nil
}

func (c *Complaint) revise(step Step, prev any, at time.Time) {
	b, err := json.Marshal(prev)
	if err != nil {
		// The steps are plain structs; this cannot fail.
		panic(fmt.Sprintf("complaint revision: %v", err))
	}
	c.Revisions = append(c.Revisions, Revision{Step: step, At: at, Previous: b})
}

// Listen records 听清楚: the caller's statement in their own words.
func (c *Complaint) Listen(statement string, at time.Time) error {
	if err := c.mutable(StepListen); err != nil {
		return err
	}
	if blank(statement) {
		return fmt.Errorf("%s: statement: %w", StepListen.Label(), ErrEmpty)
	}
	if c.Heard != nil {
		c.revise(StepListen, c.Heard, at)
	}
	c.Heard = &ListenStep{Statement: statement, At: at}
	return nil
}

func factProblems(f Facts) []Problem {
	var out []Problem
	for _, x := range []struct {
		v    string
		code Problem
	}{
		{f.What, ProblemWhat}, {f.When, ProblemWhen}, {f.Where, ProblemWhere},
		{f.Subject, ProblemSubject}, {f.Wants, ProblemWants},
	} {
		if blank(x.v) {
			out = append(out, x.code)
		}
	}
	return out
}

// texts joins the English wording of codes, for error messages.
func texts(ps []Problem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Text()
	}
	return strings.Join(s, ", ")
}

// Ask records 问清楚: the facts and whether the caller confirmed the
// read-back. Facts may be saved unconfirmed while the case is still open;
// once it is being followed, edits must be confirmed again.
func (c *Complaint) Ask(f Facts, readBack bool, at time.Time) error {
	if err := c.mutable(StepAsk); err != nil {
		return err
	}
	if c.Heard == nil {
		return fmt.Errorf("%s needs %s: %w", StepAsk.Label(), StepListen.Label(), ErrStepOrder)
	}
	if p := factProblems(f); len(p) > 0 {
		return fmt.Errorf("%s: %s: %w", StepAsk.Label(), texts(p), ErrEmpty)
	}
	if !readBack && c.Followed != nil {
		return fmt.Errorf("%s: changed facts must be read back and confirmed: %w", StepAsk.Label(), ErrEmpty)
	}
	if c.Asked != nil {
		c.revise(StepAsk, c.Asked, at)
	}
	c.Asked = &AskStep{Facts: f, ReadBack: readBack, At: at}
	return nil
}

// FollowInput is what the agent decides at 跟清楚.
type FollowInput struct {
	Severity     Severity  `json:"severity"`
	SolvedOnCall bool      `json:"solved_on_call"`
	ReplyDue     time.Time `json:"reply_due,omitzero"`   // zero: the policy's default
	DueReason    string    `json:"due_reason,omitempty"` // required when ReplyDue is not the default
}

// Follow records 跟清楚. Unless the case was solved on the call, it fixes the
// next reply time: the policy's default for the severity counted from at, or
// the agent's own time with a reason (recorded in DueChanges). The case then
// awaits the reply. If the case is (or becomes) major and was not reported
// yet, Follow returns the alert to store with it (报告) — at once.
// Calling Follow again edits the step; follow-up entries are kept.
func (c *Complaint) Follow(in FollowInput, at time.Time, p ReplyPolicy) (*Alert, error) {
	if err := c.mutable(StepFollow); err != nil {
		return nil, err
	}
	if c.Asked == nil {
		return nil, fmt.Errorf("%s needs %s: %w", StepFollow.Label(), StepAsk.Label(), ErrStepOrder)
	}
	if !c.Asked.ReadBack {
		return nil, fmt.Errorf("%s needs the facts read back and confirmed: %w", StepFollow.Label(), ErrStepOrder)
	}
	if in.Severity == SeverityUnset || int(in.Severity) >= len(severityNames) {
		return nil, fmt.Errorf("%s: severity: %w", StepFollow.Label(), ErrEmpty)
	}
	next := &FollowStep{Severity: in.Severity, SolvedOnCall: in.SolvedOnCall, At: at}
	if c.Followed != nil {
		next.Entries = c.Followed.Entries
		next.DueChanges = c.Followed.DueChanges
	}
	if !in.SolvedOnCall {
		def := at.Add(p.For(in.Severity))
		due := def
		if !in.ReplyDue.IsZero() && !in.ReplyDue.Equal(def) {
			if blank(in.DueReason) {
				return nil, fmt.Errorf("%s: a reply time other than the default (%s) needs a reason: %w",
					StepFollow.Label(), def.Format(time.RFC3339), ErrEmpty)
			}
			if !in.ReplyDue.After(at) {
				return nil, fmt.Errorf("%s: reply time %s is not after %s", StepFollow.Label(),
					in.ReplyDue.Format(time.RFC3339), at.Format(time.RFC3339))
			}
			due = in.ReplyDue
			next.DueChanges = append(next.DueChanges, DueChange{From: def, To: due, Reason: in.DueReason, At: at})
		}
		next.ReplyDue = due
	}
	if c.Followed != nil {
		c.revise(StepFollow, c.Followed, at)
	}
	c.Followed = next
	if c.State == StateOpen {
		c.State = StateAwaitingReply
	}
	return c.reportIfMajor(at), nil
}

func (c *Complaint) reportIfMajor(at time.Time) *Alert {
	if c.Followed == nil || c.Followed.Severity != SeverityMajor || c.Reported != nil {
		return nil
	}
	a := NewMajorComplaintAlert(c, at)
	c.Reported = &ReportStep{AlertID: a.ID, At: at}
	return a
}

// SetReplyDue moves the next reply time, with a reason (recorded).
func (c *Complaint) SetReplyDue(due time.Time, reason string, at time.Time) error {
	if err := c.mutable(StepFollow); err != nil {
		return err
	}
	if c.Followed == nil {
		return fmt.Errorf("reply time needs %s: %w", StepFollow.Label(), ErrStepOrder)
	}
	if c.State != StateAwaitingReply {
		return fmt.Errorf("reply time: case is %s: %w", c.State, ErrState)
	}
	if blank(reason) {
		return &IncompleteError{Problems: []StepProblem{{Step: StepFollow, Code: ProblemDueReason}}}
	}
	if !due.After(at) {
		return fmt.Errorf("reply time %s is not after %s", due.Format(time.RFC3339), at.Format(time.RFC3339))
	}
	c.Followed.DueChanges = append(c.Followed.DueChanges, DueChange{From: c.Followed.ReplyDue, To: due, Reason: reason, At: at})
	c.Followed.ReplyDue = due
	c.Followed.SolvedOnCall = false
	return nil
}

// AddFollowUp adds a note from a later call while the case is followed.
func (c *Complaint) AddFollowUp(note string, at time.Time) error {
	if err := c.mutable(StepFollow); err != nil {
		return err
	}
	if c.Followed == nil {
		return fmt.Errorf("follow-up needs %s: %w", StepFollow.Label(), ErrStepOrder)
	}
	if blank(note) {
		return &IncompleteError{Problems: []StepProblem{{Step: StepFollow, Code: ProblemFollowNote}}}
	}
	c.Followed.Entries = append(c.Followed.Entries, FollowUp{Note: note, At: at})
	return nil
}

// ReplyInput is what 复清楚 records.
type ReplyInput struct {
	RepliedAt time.Time `json:"replied_at,omitzero"` // zero: at
	How       string    `json:"how"`
	Said      string    `json:"said"`
	Accepted  bool      `json:"accepted"`
}

func replyProblems(r ReplyInput) []Problem {
	var out []Problem
	if blank(r.How) {
		out = append(out, ProblemHow)
	}
	if blank(r.Said) {
		out = append(out, ProblemSaid)
	}
	return out
}

// Reply records 复清楚. The case is then replied.
func (c *Complaint) Reply(r ReplyInput, at time.Time) error {
	if err := c.mutable(StepReply); err != nil {
		return err
	}
	if c.Followed == nil {
		return fmt.Errorf("%s needs %s: %w", StepReply.Label(), StepFollow.Label(), ErrStepOrder)
	}
	if p := replyProblems(r); len(p) > 0 {
		return fmt.Errorf("%s: %s: %w", StepReply.Label(), texts(p), ErrEmpty)
	}
	if r.RepliedAt.IsZero() {
		r.RepliedAt = at
	}
	if c.Replied != nil {
		c.revise(StepReply, c.Replied, at)
	}
	c.Replied = &ReplyStep{RepliedAt: r.RepliedAt, How: r.How, Said: r.Said, Accepted: r.Accepted, At: at}
	c.State = StateReplied
	return nil
}

func recordProblems(matter, process, result string) []Problem {
	var out []Problem
	if blank(matter) {
		out = append(out, ProblemMatter)
	}
	if blank(process) {
		out = append(out, ProblemProcess)
	}
	if blank(result) {
		out = append(out, ProblemResult)
	}
	return out
}

// Record records 记清楚: the matter, the handling process and the result.
func (c *Complaint) Record(matter, process, result string, at time.Time) error {
	if err := c.mutable(StepRecord); err != nil {
		return err
	}
	if c.Replied == nil {
		return fmt.Errorf("%s needs %s: %w", StepRecord.Label(), StepReply.Label(), ErrStepOrder)
	}
	if p := recordProblems(matter, process, result); len(p) > 0 {
		return fmt.Errorf("%s: %s: %w", StepRecord.Label(), texts(p), ErrEmpty)
	}
	if c.Recorded != nil {
		c.revise(StepRecord, c.Recorded, at)
	}
	c.Recorded = &RecordStep{Matter: matter, Process: process, Result: result, At: at}
	return nil
}

// Missing names every step that lacks content, in order. A case with
// nothing missing can be closed.
func (c *Complaint) Missing() []StepProblem {
	var out []StepProblem
	add := func(s Step, codes ...Problem) {
		for _, p := range codes {
			out = append(out, StepProblem{Step: s, Code: p})
		}
	}
	switch {
	case c.Heard == nil:
		add(StepListen, ProblemNotDone)
	case blank(c.Heard.Statement):
		add(StepListen, ProblemStatement)
	}
	if c.Asked == nil {
		add(StepAsk, ProblemNotDone)
	} else {
		add(StepAsk, factProblems(c.Asked.Facts)...)
		if !c.Asked.ReadBack {
			add(StepAsk, ProblemReadBack)
		}
	}
	if c.Followed == nil {
		add(StepFollow, ProblemNotDone)
	} else {
		if c.Followed.Severity == SeverityUnset {
			add(StepFollow, ProblemSeverity)
		}
		if !c.Followed.SolvedOnCall && c.Followed.ReplyDue.IsZero() {
			add(StepFollow, ProblemReplyDue)
		}
	}
	if c.Replied == nil {
		add(StepReply, ProblemNotDone)
	} else {
		add(StepReply, replyProblems(ReplyInput{How: c.Replied.How, Said: c.Replied.Said})...)
		if !c.Replied.Accepted {
			add(StepReply, ProblemAccepted)
		}
	}
	if c.Recorded == nil {
		add(StepRecord, ProblemNotDone)
	} else {
		add(StepRecord, recordProblems(c.Recorded.Matter, c.Recorded.Process, c.Recorded.Result)...)
	}
	if c.Followed != nil && c.Followed.Severity == SeverityMajor && (c.Reported == nil || c.Reported.AlertID == "") {
		add(StepReport, ProblemReported)
	}
	return out
}

// Close closes a replied case with nothing missing.
func (c *Complaint) Close(at time.Time) error {
	if c.State == StateClosed {
		return fmt.Errorf("close: %w", ErrClosed)
	}
	if m := c.Missing(); len(m) > 0 {
		return &IncompleteError{Problems: m}
	}
	if c.State != StateReplied {
		return fmt.Errorf("close: case is %s: %w", c.State, ErrState)
	}
	c.State = StateClosed
	c.ClosedAt = at
	return nil
}

// Reopen takes back a replied or closed case when the caller calls back
// unhappy: the reason is recorded, the reply and the record move to
// Revisions (both must be done again), and a new reply time is fixed by the
// policy's default for the case's severity.
func (c *Complaint) Reopen(reason string, at time.Time, p ReplyPolicy) error {
	if c.State != StateReplied && c.State != StateClosed {
		return fmt.Errorf("reopen: case is %s: %w", c.State, ErrState)
	}
	if blank(reason) {
		return &IncompleteError{Problems: []StepProblem{{Step: StepFollow, Code: ProblemReopenReason}}}
	}
	if c.Followed == nil {
		return fmt.Errorf("reopen needs %s: %w", StepFollow.Label(), ErrStepOrder)
	}
	c.Reopens = append(c.Reopens, Reopening{Reason: reason, At: at})
	if c.Replied != nil {
		c.revise(StepReply, c.Replied, at)
		c.Replied = nil
	}
	if c.Recorded != nil {
		c.revise(StepRecord, c.Recorded, at)
		c.Recorded = nil
	}
	due := at.Add(p.For(c.Followed.Severity))
	c.Followed.DueChanges = append(c.Followed.DueChanges, DueChange{From: c.Followed.ReplyDue, To: due, Reason: "reopened: " + reason, At: at})
	c.Followed.ReplyDue = due
	c.Followed.SolvedOnCall = false
	c.State = StateAwaitingReply
	c.ClosedAt = time.Time{}
	return nil
}

// ReplyDue is the next reply time of a case awaiting its reply (zero otherwise).
func (c *Complaint) ReplyDue() time.Time {
	if c.State != StateAwaitingReply || c.Followed == nil || c.Followed.SolvedOnCall {
		return time.Time{}
	}
	return c.Followed.ReplyDue
}

// ReplyOverdue reports whether the case awaits a reply past its time.
func (c *Complaint) ReplyOverdue(at time.Time) bool {
	d := c.ReplyDue()
	return !d.IsZero() && at.After(d)
}

// ReplyDueWithin reports whether the case awaits a reply that is not yet
// overdue at at and falls due by at+d: the pre-deadline warning's rule.
func (c *Complaint) ReplyDueWithin(at time.Time, d time.Duration) bool {
	due := c.ReplyDue()
	return !due.IsZero() && !c.ReplyOverdue(at) && !due.After(at.Add(d))
}

// RepliedOnTime reports whether the case was replied to by its reply time
// (solved-on-call cases are on time). ok is false when there is no reply.
func (c *Complaint) RepliedOnTime() (onTime, ok bool) {
	if c.Replied == nil || c.Followed == nil {
		return false, false
	}
	if c.Followed.SolvedOnCall || c.Followed.ReplyDue.IsZero() {
		return true, true
	}
	return !c.Replied.RepliedAt.After(c.Followed.ReplyDue), true
}

// AlertKind says what an alert is about.
type AlertKind string

// Alert kinds.
const (
	// AlertMajorComplaint is 报告: a major complaint, reported at once.
	AlertMajorComplaint AlertKind = "major_complaint"
	// AlertEscalation is a case handed up with a note.
	AlertEscalation AlertKind = "escalation"
)

// Alert is a report for supervisors (stored now, delivered by the hub).
type Alert struct {
	Meta
	Kind        AlertKind `json:"kind"`
	ComplaintID string    `json:"complaint_id,omitempty"`
	CustomerID  string    `json:"customer_id,omitempty"`
	Owner       string    `json:"owner,omitempty"`
	To          string    `json:"to,omitempty"` // whom an escalation is for
	Summary     string    `json:"summary"`
	At          time.Time `json:"at"`
}

// NewMajorComplaintAlert builds the 报告 alert for a case. The case must
// have an ID already so the alert can point at it; one is assigned if not.
func NewMajorComplaintAlert(c *Complaint, at time.Time) *Alert {
	if c.ID == "" {
		c.ID = NewID()
	}
	summary := ""
	if c.Heard != nil {
		summary = c.Heard.Statement
	}
	if c.Asked != nil {
		summary = c.Asked.Facts.What
	}
	return &Alert{
		Meta:        Meta{ID: NewID()},
		Kind:        AlertMajorComplaint,
		ComplaintID: c.ID,
		CustomerID:  c.CustomerID,
		Owner:       c.Owner,
		Summary:     summary,
		At:          at,
	}
}

// ComplaintInput is a whole case entered at once (a letter, a visit, an
// e-mail, or deskctl complaints add): the steps as far as they were taken.
// Intake (听清楚, 问清楚 with read-back, 跟清楚) is required; reply, record and
// closing are optional but need every step before them.
type ComplaintInput struct {
	ID         string           `json:"id,omitempty"`
	CustomerID string           `json:"customer_id"`
	Owner      string           `json:"owner"`
	Channel    Channel          `json:"channel"`
	OpenedAt   time.Time        `json:"opened_at"`
	Listen     *ListenStep      `json:"listen"`
	Ask        *AskStep         `json:"ask"`
	Follow     *FollowStepInput `json:"follow"`
	Reply      *ReplyStepInput  `json:"reply,omitempty"`
	Record     *RecordStep      `json:"record,omitempty"`
	ClosedAt   time.Time        `json:"closed_at,omitzero"`
}

// FollowStepInput is 跟清楚 entered at once: the decision, when it was made,
// and the follow-up notes since.
type FollowStepInput struct {
	FollowInput
	At        time.Time  `json:"at,omitzero"`
	FollowUps []FollowUp `json:"entries,omitempty"`
}

// ReplyStepInput is 复清楚 entered at once, with when it was recorded.
type ReplyStepInput struct {
	ReplyInput
	At time.Time `json:"at,omitzero"`
}

// BuildComplaint enters a whole case through the same rules as the desk,
// step by step. It returns an *IncompleteError listing every problem (not
// just the first) when the case cannot be taken; step times default to
// OpenedAt, and OpenedAt to now.
func BuildComplaint(in ComplaintInput, p ReplyPolicy, now time.Time) (*Complaint, []*Alert, error) {
	var probs []StepProblem
	add := func(s Step, codes ...Problem) {
		for _, p := range codes {
			probs = append(probs, StepProblem{Step: s, Code: p})
		}
	}
	needs := func(s Step, p Problem, by string) {
		probs = append(probs, StepProblem{Step: s, Code: p, Needs: by})
	}
	if blank(in.CustomerID) {
		add(StepListen, ProblemCustomer)
	}
	if blank(in.Owner) {
		add(StepListen, ProblemOwner)
	}
	switch {
	case in.Listen == nil:
		add(StepListen, ProblemNotDone)
	case blank(in.Listen.Statement):
		add(StepListen, ProblemStatement)
	}
	switch {
	case in.Ask == nil:
		add(StepAsk, ProblemNotDone)
	default:
		add(StepAsk, factProblems(in.Ask.Facts)...)
		if !in.Ask.ReadBack {
			add(StepAsk, ProblemReadBack)
		}
	}
	switch {
	case in.Follow == nil:
		add(StepFollow, ProblemNotDone)
	case in.Follow.Severity == SeverityUnset:
		add(StepFollow, ProblemSeverity)
	}
	if in.Reply != nil {
		add(StepReply, replyProblems(in.Reply.ReplyInput)...)
	}
	if in.Record != nil {
		if in.Reply == nil {
			needs(StepReply, ProblemNotDone, "the record")
		}
		add(StepRecord, recordProblems(in.Record.Matter, in.Record.Process, in.Record.Result)...)
	}
	if !in.ClosedAt.IsZero() {
		if in.Reply == nil && in.Record == nil {
			needs(StepReply, ProblemNotDone, "closing")
		}
		if in.Record == nil {
			needs(StepRecord, ProblemNotDone, "closing")
		}
		if in.Reply != nil && !in.Reply.Accepted {
			needs(StepReply, ProblemAccepted, "closing")
		}
	}
	if len(probs) > 0 {
		return nil, nil, &IncompleteError{Problems: probs}
	}

	opened := in.OpenedAt
	if opened.IsZero() {
		opened = now
	}
	when := func(t time.Time) time.Time {
		if t.IsZero() {
			return opened
		}
		return t
	}
	c, err := NewComplaint(in.CustomerID, in.Owner, in.Channel, opened)
	if err != nil {
		return nil, nil, err
	}
	c.ID = in.ID
	var alerts []*Alert
	steps := []func() error{
		func() error { return c.Listen(in.Listen.Statement, when(in.Listen.At)) },
		func() error { return c.Ask(in.Ask.Facts, in.Ask.ReadBack, when(in.Ask.At)) },
		func() error {
			a, err := c.Follow(in.Follow.FollowInput, when(in.Follow.At), p)
			if a != nil {
				alerts = append(alerts, a)
			}
			return err
		},
		func() error {
			for _, f := range in.Follow.FollowUps {
				if err := c.AddFollowUp(f.Note, when(f.At)); err != nil {
					return err
				}
			}
			return nil
		},
		func() error {
			if in.Reply == nil {
				return nil
			}
			return c.Reply(in.Reply.ReplyInput, when(in.Reply.At))
		},
		func() error {
			if in.Record == nil {
				return nil
			}
			return c.Record(in.Record.Matter, in.Record.Process, in.Record.Result, when(in.Record.At))
		},
		func() error {
			if in.ClosedAt.IsZero() {
				return nil
			}
			return c.Close(in.ClosedAt)
		},
	}
	var errs []error
	for _, f := range steps {
		if err := f(); err != nil {
			errs = append(errs, err)
			break
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return c, alerts, nil
}
