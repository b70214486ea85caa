package upstream

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Live monitoring through the hub. A supervisor asks to listen to, whisper
// to or barge into an agent's call in progress (POST /v1/monitor, naming
// the agent's work number). The hub checks the role (supervisor; any
// other is refused 403, nothing set up, and the refusal audited), finds
// the agent's call from the desks' live reports (AgentStatus.CallID; none:
// 409, ErrNoLiveCall, audited too), mints a one-time token (32 random
// bytes, base64url: MonitorTokenBytes) good for MonitorTokenTTL to start
// the session, records the session and audits it, tells the agent's desk
// on its stream (DeskEventMonitor, a MonitorNotice with the token) and
// answers the supervisor a MonitorGrant with the same token and the
// agent's SIP extension. The supervisor's desk then dials the extension
// through the PBX with the token (telephony's monitoring INVITE); the
// agent's desk, told to expect it, answers and mixes.
//
// Mode switches go from desk to desk by SIP; the supervisor also tells the
// hub (POST /v1/monitor/{session}/mode), which audits them and forwards
// them to the agent's desk (DeskEventMonitorMode). POST
// /v1/monitor/{session}/end ends a session (DeskEventMonitorEnd to the
// agent's desk, which hangs the leg up). Either desk reports what its
// telephony saw (POST /v1/monitor/{session}/event: started, mode, ended)
// for the audit trail; a session also ends with its call. Sessions and
// their trail are on the board (Board.Monitors).

// MonitorMode is how a supervisor is on an agent's call (the names
// telephony's monitoring protocol uses).
type MonitorMode string

// The monitoring modes.
const (
	// MonitorListen: the supervisor hears the caller and the agent;
	// nobody hears the supervisor.
	MonitorListen MonitorMode = "listen"
	// MonitorWhisper: the agent hears the supervisor too; the caller does
	// not.
	MonitorWhisper MonitorMode = "whisper"
	// MonitorBarge: all three hear each other.
	MonitorBarge MonitorMode = "barge"
)

// Valid reports whether m is listen, whisper or barge.
func (m MonitorMode) Valid() bool {
	return m == MonitorListen || m == MonitorWhisper || m == MonitorBarge
}

// MonitorState is where a monitoring session stands.
type MonitorState string

// The states of a monitoring session.
const (
	// MonitorPending: the token is out; neither desk has reported the
	// session started yet.
	MonitorPending MonitorState = "pending"
	// MonitorActive: a desk reported the session started.
	MonitorActive MonitorState = "active"
	// MonitorEnded: ended by the supervisor, by a desk's report, or with
	// the call (EndReason says which).
	MonitorEnded MonitorState = "ended"
	// MonitorExpired: the token expired before the session started.
	MonitorExpired MonitorState = "expired"
)

// Monitoring parameters.
const (
	// MonitorTokenBytes is how many random bytes a monitor token holds
	// (43 characters of base64url).
	MonitorTokenBytes = 32
	// MonitorTokenTTL is how long a monitor token may start its session.
	MonitorTokenTTL = time.Minute
	// MaxMonitorReason bounds an end's or a report's reason, in bytes.
	MaxMonitorReason = 256
)

// The kinds of MonitorReport.
const (
	MonitorStarted = "started"
	MonitorModed   = "mode"
	MonitorEndedBy = "ended"
)

// Reasons a session ends that the hub gives itself.
const (
	// EndCallEnded: the agent's desk reported the call ended.
	EndCallEnded = "call_ended"
	// EndBySupervisor is the reason of an end the supervisor asked for
	// without one.
	EndBySupervisor = "supervisor"
)

// ErrNoLiveCall is returned by a monitoring request for an agent who has
// no call in progress on a desk the hub hears from (or whose desk reports
// no SIP extension). It matches ErrConflict too (409, code
// "no_live_call").
var ErrNoLiveCall = fmt.Errorf("%w: the agent has no live call to monitor", ErrConflict)

// ErrWrongRole is returned when the token may not do what it asks by its
// role or its kind (403, code "role"): a trainer pulling customers, an
// agent asking to monitor, a desk's own token signing out. It matches
// ErrForbidden too; a refusal of the token for what it asks about (a
// desk bound elsewhere, another desk's record) stays plain ErrForbidden. A desk's sync skips what its
// token's role may not do instead of failing (Status.Skipped).
var ErrWrongRole = fmt.Errorf("%w: the token's role may not do this", ErrForbidden)

// NewMonitorToken returns a fresh one-time monitor token:
// MonitorTokenBytes random bytes in base64url without padding, within the
// characters telephony's monitoring header allows.
func NewMonitorToken() (Secret, error) {
	b := make([]byte, MonitorTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("monitor token: %w", err)
	}
	return Secret(base64.RawURLEncoding.EncodeToString(b)), nil
}

// MonitorRequest is the body of POST /v1/monitor: whose call (the agent's
// work number) and how.
type MonitorRequest struct {
	Agent string      `json:"agent"`
	Mode  MonitorMode `json:"mode"`
}

// MonitorGrant is the answer to a supervisor's monitoring request: the
// session, the one-time token to put in the monitoring INVITE (good until
// Expires, hub clock; ExpiresIn says the same as a span, for a desk whose
// clock is off), the agent's desk, its SIP extension to dial and the call
// being joined, the mode, and whether the agent is shown that a
// supervisor is on the call (the center's show_monitoring).
type MonitorGrant struct {
	Session        string      `json:"session"`
	Token          Secret      `json:"token"`
	Agent          string      `json:"agent"`
	Desk           string      `json:"desk"`
	Extension      string      `json:"extension"`
	CallID         string      `json:"call_id"`
	Mode           MonitorMode `json:"mode"`
	Expires        time.Time   `json:"expires"`
	ExpiresIn      Seconds     `json:"expires_in"`
	ShowMonitoring bool        `json:"show_monitoring"`
}

// Seconds is a span sent as a number of seconds.
type Seconds float64

// Duration is s as a time.Duration.
func (s Seconds) Duration() time.Duration { return time.Duration(float64(s) * float64(time.Second)) }

// MonitorNotice is what the agent's desk is told on its stream:
//
//   - DeskEventMonitor: a supervisor will join call CallID with Token in
//     Mode, until Expires (hub clock; ExpiresIn from the moment the hub
//     sent it): expect it (telephony's ExpectMonitor). ShowMonitoring
//     says whether to show the agent that someone is listening;
//     Supervisor names who.
//   - DeskEventMonitorMode: the supervisor switched to Mode (the switch
//     itself comes by SIP).
//   - DeskEventMonitorEnd: the session is over (Reason); forget Token and
//     hang the leg up if it is still there (telephony's CancelMonitor).
type MonitorNotice struct {
	Session          string      `json:"session"`
	Token            Secret      `json:"token,omitempty"`
	CallID           string      `json:"call_id"`
	Mode             MonitorMode `json:"mode"`
	Expires          time.Time   `json:"expires,omitzero"`
	ExpiresIn        Seconds     `json:"expires_in,omitempty"`
	Supervisor       string      `json:"supervisor"`
	SupervisorNumber string      `json:"supervisor_number,omitempty"`
	ShowMonitoring   bool        `json:"show_monitoring"`
	Reason           string      `json:"reason,omitempty"`
	At               time.Time   `json:"at"`
}

// MonitorModeRequest is the body of POST /v1/monitor/{session}/mode.
type MonitorModeRequest struct {
	Mode MonitorMode `json:"mode"`
}

// MonitorEndRequest is the body of POST /v1/monitor/{session}/end; the
// body may be left out (reason EndBySupervisor).
type MonitorEndRequest struct {
	Reason string `json:"reason,omitempty"`
}

// MonitorReport is the body of POST /v1/monitor/{session}/event: what a
// desk's telephony saw of the session (Kind MonitorStarted, MonitorModed
// or MonitorEndedBy), its mode then, why it ended, and when (desk clock).
type MonitorReport struct {
	Kind   string      `json:"kind"`
	Mode   MonitorMode `json:"mode,omitempty"`
	Reason string      `json:"reason,omitempty"`
	At     time.Time   `json:"at"`
}

// MonitorSession is one monitoring session as the hub keeps it: who
// (Supervisor, their work number when signed in, the desk they asked
// from) monitored whom (Agent, at Desk, through Extension) on which call,
// in which mode now, where it stands, when it was asked for (Created),
// until when its token could start it, when a desk reported it started,
// when and why it ended (hub clock), and its audit trail, oldest first.
type MonitorSession struct {
	ID               string        `json:"id"`
	Supervisor       string        `json:"supervisor"`
	SupervisorNumber string        `json:"supervisor_number,omitempty"`
	SupervisorDesk   string        `json:"supervisor_desk,omitempty"`
	Agent            string        `json:"agent"`
	Desk             string        `json:"desk"`
	Extension        string        `json:"extension,omitempty"`
	CallID           string        `json:"call_id"`
	Mode             MonitorMode   `json:"mode"`
	State            MonitorState  `json:"state"`
	Created          time.Time     `json:"created"`
	Expires          time.Time     `json:"expires"`
	Started          time.Time     `json:"started,omitzero"`
	Ended            time.Time     `json:"ended,omitzero"`
	EndReason        string        `json:"end_reason,omitempty"`
	Trail            []MonitorStep `json:"trail,omitempty"`
}

// Open reports whether the session is pending or active.
func (m MonitorSession) Open() bool { return m.State == MonitorPending || m.State == MonitorActive }

// MonitorStep is one audit entry of a session: when, what (the audit
// action), who and from which desk, the mode and the reason it gave.
type MonitorStep struct {
	At     time.Time   `json:"at"`
	Action AuditAction `json:"action"`
	Actor  string      `json:"actor"`
	Desk   string      `json:"desk,omitempty"`
	Kind   string      `json:"kind,omitempty"` // a desk's report: started, mode, ended
	Mode   MonitorMode `json:"mode,omitempty"`
	Reason string      `json:"reason,omitempty"`
}

// MonitorStateAt is the state of a session stored as state (pending,
// active or ended) at hub instant now: a pending one whose token expired
// is MonitorExpired.
func MonitorStateAt(state MonitorState, expires, now time.Time) MonitorState {
	if state == MonitorPending && !now.Before(expires) {
		return MonitorExpired
	}
	return state
}

// mayMonitor reports whether p may monitor agents' calls: supervisors
// (device tokens and sessions alike).
func (p Principal) mayMonitor() bool { return p.Role == RoleSupervisor }

// mayFetchRecordings reports whether p may fetch recordings' audio: the
// supervisor role only (DESIGN's data rule).
func (p Principal) mayFetchRecordings() bool { return p.Role == RoleSupervisor }

// checkMonitorReport validates a desk's report.
func checkMonitorReport(r MonitorReport) error {
	switch r.Kind {
	case MonitorStarted, MonitorModed, MonitorEndedBy:
	default:
		return fmt.Errorf("%w: kind %q (want started, mode or ended)", ErrInvalid, r.Kind)
	}
	if r.Mode != "" && !r.Mode.Valid() {
		return fmt.Errorf("%w: mode %q (want listen, whisper or barge)", ErrInvalid, r.Mode)
	}
	if r.Kind == MonitorModed && r.Mode == "" {
		return fmt.Errorf("%w: a mode report needs its mode", ErrInvalid)
	}
	return checkMonitorReason(r.Reason)
}

func checkMonitorReason(reason string) error {
	if len(reason) > MaxMonitorReason {
		return fmt.Errorf("%w: reason longer than %d bytes", ErrInvalid, MaxMonitorReason)
	}
	return checkText("reason", reason, false)
}

// The events of a desk's stream (GET /v1/desk/stream), each with its data.
const (
	DeskEventMonitor     = "monitor"      // MonitorNotice: expect a supervisor
	DeskEventMonitorMode = "monitor_mode" // MonitorNotice: the mode changed
	DeskEventMonitorEnd  = "monitor_end"  // MonitorNotice: the session is over
	DeskEventCoaching    = "coaching"     // CoachingNotice: a note to pull
)

// DeskEvent is one event for a desk: its ID (growing; the stream's
// Last-Event-ID), its kind (DeskEventMonitor…) and its JSON data.
type DeskEvent struct {
	ID   int64           `json:"id"`
	Kind string          `json:"kind"`
	Data json.RawMessage `json:"data"`
}

// Decode decodes the event's data into v (a *MonitorNotice, a
// *CoachingNotice).
func (e DeskEvent) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("desk event %d (%s): %w", e.ID, e.Kind, err)
	}
	return nil
}

// DeskReplay is how far back a desk stream opened without a Last-Event-ID
// replays its desk's events: a monitor token is good for MonitorTokenTTL,
// so a desk that was reconnecting when it was sent still gets it.
const DeskReplay = 2 * MonitorTokenTTL

// errNoDesk is the refusal of a desk stream for a token bound to no desk.
var errNoDesk = errors.New("the token belongs to no desk yet (push or sign in first)")
