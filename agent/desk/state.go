package desk

import (
	"time"

	"agentdesk/agent"
	"agentdesk/telephony"
)

// RegStatus is the phone line's registration with the PBX.
type RegStatus int

// Registration statuses.
const (
	// RegConnecting: the phone has not reported yet.
	RegConnecting RegStatus = iota
	RegRegistered
	RegFailing
	RegUnregistered
)

var regNames = []string{"connecting", "registered", "failing", "unregistered"}

// String is the status's snake_case name.
func (s RegStatus) String() string {
	if int(s) < len(regNames) {
		return regNames[s]
	}
	return "unknown"
}

// Registration is the line's status since an instant; Reason says why it
// is failing ("401 Unauthorized", "timeout"…), as the phone reported it.
type Registration struct {
	Status RegStatus
	Reason string
	Since  time.Time
	// Practice is set when the phone is the practice phone.
	Practice bool
}

// CallStatus is where a current call stands.
type CallStatus int

// Call statuses.
const (
	CallRinging CallStatus = iota + 1
	CallOnCall
	CallHeld
)

var callStatusNames = []string{"", "ringing", "on_call", "held"}

// String is the status's snake_case name.
func (s CallStatus) String() string {
	if int(s) < len(callStatusNames) && s > 0 {
		return callStatusNames[s]
	}
	return "unknown"
}

// Pop is what the desk shows when a call rings: who it is and what to say.
// A Pop is never changed once published; treat its slices as read-only.
type Pop struct {
	CallID    string
	Direction telephony.Direction
	// Number is E.164 (or a national service number) when the caller's
	// number could be normalised, else as received ("anonymous", "").
	Number      string
	Anonymous   bool
	DisplayName string
	// Customer is the first customer with this number, nil when unknown;
	// Customers holds all of them when several share the number.
	Customer  *agent.Customer
	Customers []agent.Customer
	// Salutation is how to address the caller ("王先生", "您"), from the
	// customer's surname and title.
	Salutation string
	// Opening is the opening line rendered for this caller at RingStarted.
	Opening     string
	RingStarted time.Time
}

// Call is a call in progress on the desk.
type Call struct {
	Pop
	Status CallStatus
	// RingLimit is "the third ring" (Config.RingLimitSeconds); the ring
	// timer runs from Pop.RingStarted against it.
	RingLimit  time.Duration
	AnsweredAt time.Time
	// Card is the rest of the caller card, nil until loaded: the desk
	// publishes the pop first and the card in the next snapshot, so the
	// pop is never slowed by the history.
	Card *Card
	// RecordPaused says the call's recording is paused (a card number is
	// being read out).
	RecordPaused bool
}

// Card is the caller's history as the caller card shows it. Never changed
// once published.
type Card struct {
	// OpenComplaints counts the customer's cases not yet closed;
	// OverdueReplies those among them whose promised reply time passed.
	OpenComplaints int
	OverdueReplies int
	// CallbacksPending counts the customer's callbacks not yet done.
	CallbacksPending int
	// LastCalls are this number's calls of the last CardHistory, newest
	// first, at most CardCalls of them.
	LastCalls []agent.Call
	// Cases are the customer's cases not yet closed, to open and work on.
	Cases []CaseRow
}

// How far back and how many calls a Card lists.
const (
	CardHistory = 30 * 24 * time.Hour
	CardCalls   = 5
)

// SyncStatus is the upstream sync as far as the desk knows; the sync worker
// fills it through Desk.SetSync.
type SyncStatus struct {
	// Enabled is false when no hub is configured.
	Enabled  bool
	Pending  int       // records waiting in the outbox
	LastSync time.Time // last successful round, zero if none
	Failing  bool      // the last round failed
}

// Notice is something the desk tells the agent, as a message ID for the
// i18n bundles (never a raw error string) and its template arguments.
type Notice struct {
	ID   string
	Args map[string]string
	At   time.Time
}

// Message IDs of the notices the desk raises.
const (
	NoticeRegisterFailed  = "desk.register_failed" // Args: reason
	NoticeLookupFailed    = "error.store"
	NoticeOpeningFailed   = "desk.opening_failed"
	NoticeCallLogFailed   = "error.save_failed"
	NoticeEventsDropped   = "desk.events_dropped"   // Args: count
	NoticePackRefused     = "desk.pack_refused"     // Args: version
	NoticeCaseDue         = "desk.case_due"         // Args: customer, what, due
	NoticeCaseOverdue     = "desk.case_overdue"     // Args: customer, what, due
	NoticeRecordingFailed = "desk.recording_failed" // Args: reason
	NoticeAudio           = "desk.audio"            // Args: role, problem
)

// AudioState is the sound card as the status bar shows it: Problem is ""
// when the devices in use work, else a code (no_device, not_found,
// ambiguous, failed) for Role (input, output, ring).
type AudioState struct {
	Problem, Role string
}

// maxNotices is how many recent notices a State keeps.
const maxNotices = 8

// State is one immutable snapshot of the desk. Subscribers receive a new
// State after every change and must not modify it.
type State struct {
	// Seq grows by one with every snapshot.
	Seq          uint64
	At           time.Time
	Lang         string
	Registration Registration
	Agent        agent.AgentState
	// Calls are the calls in progress, in the order they began.
	Calls []Call
	// LastPop is the most recent pop, kept after its call ends.
	LastPop *Pop
	Sync    SyncStatus
	// Notices are the most recent notices, oldest first.
	Notices []Notice
	// Dropped counts telephony events lost because the desk's queue was
	// full (see Desk.Emit).
	Dropped uint64
	// WrapUp is the call waiting for its wrap-up, nil when none.
	WrapUp *PendingWrap
	// Callback is the callback task being worked on (dialled), nil when none.
	Callback *ActiveCallback
	// Audio is the sound card's state.
	Audio AudioState
	// Supervision is this supervisor's monitoring session (nil: none);
	// Monitored a supervisor expected or on this agent's call.
	Supervision *Supervision
	Monitored   *Monitored
}

// Call returns the call with callID.
func (s State) Call(callID string) (Call, bool) {
	for _, c := range s.Calls {
		if c.CallID == callID {
			return c, true
		}
	}
	return Call{}, false
}

// Current is the call the agent's controls act on: the first call on the
// line (answered or held), else the first ringing one.
func (s State) Current() (Call, bool) {
	for _, c := range s.Calls {
		if c.Status != CallRinging {
			return c, true
		}
	}
	if len(s.Calls) > 0 {
		return s.Calls[0], true
	}
	return Call{}, false
}

// clone copies the slices a snapshot owns, so later changes to the
// pipeline's working state never show through.
func (s State) clone() State {
	s.Calls = append([]Call(nil), s.Calls...)
	s.Notices = append([]Notice(nil), s.Notices...)
	if s.Supervision != nil {
		v := *s.Supervision
		s.Supervision = &v
	}
	if s.Monitored != nil {
		v := *s.Monitored
		s.Monitored = &v
	}
	return s
}

// Outbound says the desk placed the call (a callback or a dial).
func (p Pop) Outbound() bool { return p.Direction == telephony.Outbound }
