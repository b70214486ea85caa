package desk

import (
	"time"

	"agentdesk/agent"
)

// View is the window's view-model: everything the desk's window shows,
// computed by the desk from its state, its lists and the board. The window
// paints a View and decides nothing; deskctl and the tests read the same
// values. A View is never changed once published; treat its slices as
// read-only. Views are published in Seq order, and a window that ever sees
// an older Seq after a newer one must keep the newer.
type View struct {
	// Seq is the State's Seq the view was made from; it grows with every
	// snapshot.
	Seq  uint64
	At   time.Time
	Lang string
	// Zone is the center's zone: times are shown in it.
	Zone *time.Location
	// Agent is who is signed in and their status.
	Agent agent.AgentState
	Line  Registration
	Sync  SyncStatus
	Pack  PackInfo
	// Call is the call the controls act on (State.Current), nil when none;
	// Calls are all calls on the desk (a second one rings with call waiting).
	Call  *Call
	Calls []Call
	// Muted says the agent's microphone is muted on Call.
	Muted bool
	// Opening is the line to say now: the call's opening as it popped.
	Opening string
	// SilentLine is the pack's line for a silent call (无声电话), rendered.
	SilentLine string
	// HangupReminder is set while the caller is on the line: the closing
	// words are due, and the caller hangs up first.
	HangupReminder bool
	// Phrases is the phrase book rendered for the caller on the line.
	Phrases []Phrase
	// Closing is the pack's end of a call while one is on the line.
	Closing *Closing
	// Callbacks are the agent's callback tasks not yet done, soonest due
	// first; QuietUntil, when not zero, is when the customers' resting time
	// ends (the desk will not dial before).
	Callbacks  []CallbackRow
	QuietUntil time.Time
	// Log is today's call log, newest first; Recordings are their
	// recordings, by SIP Call-ID.
	Log        []agent.Call
	Recordings map[string]agent.Recording
	// Audio is the sound card's state (a device missing or failing).
	Audio AudioState
	// Today are the agent's figures for the center's day so far.
	Today agent.AgentDay
	// Cases are the agent's own cases not yet closed: overdue first, then
	// by reply time.
	Cases []CaseRow
	// Board is the supervisors' live board: the hub's when it streams one,
	// else this desk's own.
	Board Board
	// WrapUp is the call waiting for its wrap-up, nil when none; ACW the
	// after-call work while the agent is in it.
	WrapUp *PendingWrap
	ACW    *ACW
	// Callback is the callback task being worked on and CallbackScript the
	// pack's callback script rendered for it.
	Callback       *ActiveCallback
	CallbackScript []CallbackLine
	// Role is what the desk's user may do.
	Role    agent.Role
	Notices []Notice
	// Dropped counts telephony events lost to a full queue.
	Dropped uint64
	// Supervision is this supervisor's monitoring session, nil when none.
	Supervision *Supervision
	// Coaching are the supervisors' notes for this agent not yet marked
	// seen, newest first; empty while a call is in progress (the agent
	// reads them after the call).
	Coaching []agent.CoachingNote
	// Monitored is the supervisor on this agent's call, shown only when
	// the center lets agents see it (show_monitoring) and the session is
	// up; nil otherwise.
	Monitored *Monitored
}

// PackInfo names the script pack in use for the view's language.
type PackInfo struct {
	Lang string
	// Name is the pack file's name ("" for the embedded default), Version
	// the hub's version of a published pack (0 when not from the hub).
	Name    string
	Version int64
}

// Phrase is one phrase-book entry rendered for the caller.
type Phrase struct {
	Situation string
	Say       string
	Never     []string
}

// CallbackRow is one callback task as the callback list shows it.
type CallbackRow struct {
	agent.Callback
	// Customer is the customer's name and Number the number to dial
	// (empty when the record is gone).
	Customer string
	Number   string
	Overdue  bool
	// Dialable is false while the task cannot be dialled now (quiet
	// hours, a call on the line, a task already done).
	Dialable bool
}

// CaseRow is one of the agent's cases as "my cases" lists it.
type CaseRow struct {
	ID       string
	Customer string
	State    agent.ComplaintState
	Severity agent.Severity
	// What is the case's subject (the facts' "what", else the statement).
	What     string
	OpenedAt time.Time
	// ReplyDue is the promised reply time of a case awaiting its reply.
	ReplyDue time.Time
	Overdue  bool
	// DueSoon says the reply falls due within the pre-deadline warning.
	DueSoon bool
	// WaitingForMe says the case was escalated to this agent (or their
	// role) and waits for them.
	WaitingForMe bool
	// Warning is the case's warning timeline, when one was raised.
	Warning *agent.SLAStatus
}

// Board is the supervisors' live view.
type Board struct {
	// FromHub says the board came from the hub's stream; otherwise it is
	// this desk's own agent and calls.
	FromHub bool
	At      time.Time
	Agents  []BoardAgent
	// Calls are this desk's calls (a local board only).
	Calls    []BoardCall
	Queues   []BoardQueue
	Alerts   []BoardAlert
	Overdue  []BoardOverdue
	Warnings []BoardWarning
	Today    []BoardStats
	Unsynced []BoardDesk
	// Monitors are the supervisors' monitoring sessions open now or ended
	// lately, newest first (the hub's audit of who listened to whom).
	Monitors []BoardMonitor
}

// BoardMonitor is one monitoring session on the board: who monitored
// whom, in which mode (the latest), where it stands ("pending", "active",
// "ended", "expired"), when it was asked for and ended, and why.
type BoardMonitor struct {
	Supervisor string
	Agent      string
	Mode       string
	State      string
	Created    time.Time
	Ended      time.Time
	Reason     string
}

// BoardAgent is one agent on the board. Status is an agent status code
// ("available", "on_call"…; "offline" for a desk not heard from).
// OverLimit says the agent has been in after-call work past its limit.
type BoardAgent struct {
	Agent     string
	Desk      string
	Status    string
	Since     time.Time
	OverLimit bool
	// Number is the agent's work number (what a supervisor monitors by);
	// CallID their call in progress, since CallSince ("" when none, or
	// when the desk cannot be monitored).
	Number    string
	CallID    string
	CallSince time.Time
}

// BoardCall is a call on this desk, for the local board.
type BoardCall struct {
	Who    string
	Number string
	Status CallStatus
}

// BoardQueue counts one queue's calls ringing and in progress.
type BoardQueue struct {
	Queue            string
	Ringing, Talking int
	// LongestRinging is since when the longest-ringing call of the queue
	// rings (zero when none does).
	LongestRinging time.Time
}

// BoardAlert is a major-complaint report (报告) or an escalation (Kind
// "escalation", To whom).
type BoardAlert struct {
	ID      string
	Kind    agent.AlertKind
	At      time.Time
	Owner   string
	To      string
	Summary string
}

// BoardOverdue is a case whose promised reply time has passed.
type BoardOverdue struct {
	ID    string
	Owner string
	Due   time.Time
}

// BoardWarning is a warning complaint's timeline on the board.
type BoardWarning struct {
	ID     string
	Owner  string
	Status agent.SLAStatus
}

// BoardStats is one agent's calls today as the hub counts them.
type BoardStats struct {
	Agent                               string
	Inbound, Outbound, Answered, Missed int
	// ByType counts calls by wrap-up type (consultation, complaint, other,
	// unwrapped).
	ByType map[string]int
}

// BoardDesk is a desk holding records not yet synced, and since when.
type BoardDesk struct {
	Desk, Agent string
	Pending     int
	Oldest      time.Time
}

// RepliesWarnBefore is the pre-deadline warning: a reply falling due
// within it is "due soon" in the agent's cases.
const RepliesWarnBefore = 30 * time.Minute
