package ui

import "time"

// Model is what the window shows: a snapshot of the desk, already decided.
// The desk (agent/desk) computes it; the views only lay it out. It holds no
// Fyne types so it can be built and compared in plain tests.
type Model struct {
	At time.Time
	// PBX is the phone line: "registered", "failed", "practice", "connecting".
	PBX string
	// Sync is "none" (no hub), "ok", "pending" or "offline"; Pending counts
	// records waiting in the outbox.
	Sync    string
	Pending int
	// LastSync is the last complete sync with the hub, zero if none.
	LastSync time.Time
	// Agent is "available", "ringing", "on_call", "wrap_up" or "break";
	// BreakReason is one of BreakReasons when Agent is "break".
	Agent       string
	BreakReason string
	// Call is the current call, nil when none.
	Call *Call
	// Opening is the line to say now, rendered for this caller and instant.
	Opening string
	// HangupReminder is set once the closing words are due: let the caller
	// hang up first.
	HangupReminder bool
	Phrases        []Phrase
	Callbacks      []Callback
	// QuietHours, when non-empty, names the resting period the desk is in:
	// callbacks are not dialled.
	QuietHours string
	Log        []LogEntry
	Stats      Stats
	// Supervisor is the live board; Hub says whether it came from the hub.
	Supervisor Board
}

// Call is the call on the desk.
type Call struct {
	ID     string
	Number string // E.164 when known
	// Name and Salutation ("王先生") of the customer; empty when unknown.
	Name       string
	Salutation string
	Anonymous  bool
	Known      bool
	Member     bool
	// State is "ringing", "answered", "held" or "ended".
	State        string
	Outbound     bool
	Muted        bool
	Since        time.Time     // ringing or answered since
	RingLimit    time.Duration // "the third ring"
	Open         int           // open complaints
	Overdue      int           // overdue complaint replies
	LastCalls    []string      // one line each, newest first
	CallbacksDue int
}

// Phrase is one entry of the phrase book.
type Phrase struct {
	Situation string
	Say       string
	Never     string
}

// Callback is a callback due.
type Callback struct {
	ID, Customer, Number, Due string
	Overdue                   bool
}

// LogEntry is one line of today's call log.
type LogEntry struct {
	At        time.Time
	Direction string // "in" or "out"
	Caller    string
	Result    string
}

// Stats are today's figures for this agent.
type Stats struct {
	Inbound, Outbound, Missed, Complaints int
	// WithinRingLimitPct is the share of answered calls picked up before
	// the third ring, 0–100.
	WithinRingLimitPct int
}

// Board is the supervisor's live view.
type Board struct {
	FromHub bool
	Agents  []BoardRow // Who: agent name, State: agent state code
	Calls   []BoardRow // Who: caller, State: "ringing", "on_call" or "held"
	Queues  []string   // "queue: n waiting"
	Major   []string
	Overdue []string
	// From the hub only: each agent's calls today, and the desks holding
	// records not yet synced ("who: n · since").
	Today    []AgentStats
	Unsynced []string
}

// BoardRow is one line of the supervisor's board: who, and a state code
// the view translates.
type BoardRow struct{ Who, State string }

// ComplaintDraft is what the wizard has gathered; the desk validates it.
// The fields follow the five clears: an empty later step is simply not
// taken yet (a complaint spans several calls).
type ComplaintDraft struct {
	CallID string
	// 听清楚: the caller's words.
	Statement string
	// 问清楚: the facts, and the caller's confirmation of the read-back.
	What, When, Where, Subject, Wants string
	ReadBack                          bool
	// 跟清楚: "simple" (2 h), "complex" (24 h) or "major" (reported at once).
	Severity string
	Solved   bool
	// 复清楚: how the caller was told, what was said, whether they accepted.
	ReplyHow, ReplySaid string
	Accepted            bool
	// 记清楚.
	Matter, Process, Result string
}

// Missing is one thing a draft lacks: Step is a message id ("wiz.listen",
// "wiz.ask", "wiz.readback", "wiz.follow", "wiz.reply", "wiz.record",
// "wiz.report"), What the message id of what the step lacks (one of the
// Miss constants; empty when the step as a whole is not done or the desk's
// words have no message), Detail the desk's own (English) words for it.
type Missing struct {
	Step, What, Detail string
}

// What a complaint step can lack, as message ids for Missing.What.
const (
	MissCustomer  = "wiz.miss.customer"
	MissOwner     = "wiz.miss.owner"
	MissStatement = "wiz.miss.statement"
	MissWhat      = "wiz.miss.what"
	MissWhen      = "wiz.miss.when"
	MissWhere     = "wiz.miss.where"
	MissSubject   = "wiz.miss.subject"
	MissWants     = "wiz.miss.wants"
	MissSeverity  = "wiz.miss.severity"
	MissReplyDue  = "wiz.miss.reply_due"
	MissHow       = "wiz.miss.how"
	MissSaid      = "wiz.miss.said"
	MissAccepted  = "wiz.miss.accepted"
	MissMatter    = "wiz.miss.matter"
	MissProcess   = "wiz.miss.process"
	MissResult    = "wiz.miss.result"
	MissReported  = "wiz.miss.reported"
)

// missIDs are the Miss constants, for the test that every one is in every
// message bundle.
var missIDs = []string{MissCustomer, MissOwner, MissStatement, MissWhat, MissWhen, MissWhere,
	MissSubject, MissWants, MissSeverity, MissReplyDue, MissHow, MissSaid, MissAccepted,
	MissMatter, MissProcess, MissResult, MissReported}

// ComplaintCheck is the desk's verdict on a draft.
type ComplaintCheck struct {
	// Missing lists what the draft lacks, in wizard order.
	Missing []Missing
	// Due is the reply deadline the desk fixed (zero when solved).
	Due time.Time
}

// Backend is what the window asks of the desk. cmd/agentdesk adapts
// *desk.Desk to it; tests use a fake.
type Backend interface {
	// Subscribe calls fn with every new Model (from any goroutine) until
	// cancel is called.
	Subscribe(fn func(Model)) (cancel func())
	Answer() error
	Hangup() error
	Hold() error
	Resume() error
	Mute(on bool) error
	Transfer(target string) error
	SendDTMF(digit string) error
	DialCallback(id string) error
	SetAgentState(state, reason string) error
	// CheckComplaint says what a draft lacks; SaveComplaint stores it
	// durably and returns the same verdict.
	CheckComplaint(d ComplaintDraft) ComplaintCheck
	SaveComplaint(d ComplaintDraft) (ComplaintCheck, error)
	// SearchCustomers finds customers by name or number prefix;
	// SaveCustomer validates and stores one (a new one when ID is empty).
	SearchCustomers(query string) ([]CustomerRow, error)
	SaveCustomer(c CustomerRow) error
}

// CustomerRow is a customer as the search list and the edit form show it.
type CustomerRow struct {
	ID, Name, Surname, Title, Phone string
	Member                          bool
}

// BreakReasons are the reason codes offered for a break.
var BreakReasons = []string{"rest", "meal", "training", "meeting", "coaching", "paperwork"}
