// Package telephony is the desk's SIP user agent, built on sipgo: it
// registers to the PBX, receives and places calls, works out who is calling,
// watches a desk phone's dialogs, carries the voice between the call and
// the agent's headset (telephony/audio), records calls, lets a
// supervisor's desk listen, whisper or barge in through the PBX, and
// reports all of it as Events through a small non-blocking Emitter. It
// knows nothing of customers or scripts.
//
// The layers are files, not packages: register.go, inbound.go,
// identity.go, guard.go (requests only from the PBX), sdp.go, media.go
// (RTP, RTCP and RFC 4733 on pion/rtp), srtp.go (SDES on pion/srtp),
// jitter.go, voice.go (the 20 ms clock and its mixes), record.go,
// monitor.go (monitoring sessions)…
package telephony

import (
	"time"

	"agentdesk/telephony/audio"
)

// EventKind says what happened.
type EventKind int

// The events a phone reports, in the order a call usually sees them.
const (
	EventRegistered EventKind = iota + 1
	EventRegisterFailed
	EventUnregistered
	EventRinging
	EventAnswered
	EventAnsweredElsewhere
	EventEnded
	EventMissed
	EventHeld
	EventResumed
	EventTransferred
	EventDTMF
	// EventMuted and EventUnmuted follow Mute: the agent's microphone is
	// (no longer) replaced by silence on the call.
	EventMuted
	EventUnmuted
	// EventRecordingPaused and EventRecordingResumed follow PauseRecording
	// and ResumeRecording.
	EventRecordingPaused
	EventRecordingResumed
	// EventRecording reports a finished recording (Event.Recording), after
	// the call's end.
	EventRecording
	// EventRecordingFailed says a call's recording stopped (disk full, a
	// failing write, no recordings folder); Reason and Err say why. The call
	// goes on.
	EventRecordingFailed
	// EventAudio reports a change of the sound card (Event.Audio): a
	// device missing, lost, or back. Err is nil when every device in use runs.
	EventAudio
	// EventMonitorStarted says a monitoring session is up (Event.Monitor):
	// on the agent's desk a supervisor joined one of its calls, on the
	// supervisor's desk DialMonitor's session was answered. CallID is the
	// session's own SIP Call-ID, never a customer call's: the monitoring
	// leg is not a call, and no ringing, answered or ended event names it.
	EventMonitorStarted
	// EventMonitorMode says the session's mode changed (Event.Monitor.Mode).
	EventMonitorMode
	// EventMonitorEnded says the session ended (Reason: "call ended",
	// "hangup", "bye from remote", "cancelled"…).
	EventMonitorEnded
	// EventMonitorRefused says a monitoring session was not set up: on the
	// agent's desk, a monitoring INVITE it refused (Reason: "unknown
	// token", "expired token"…; nothing rang); on the supervisor's, the
	// refusal DialMonitor got (Err: a *MonitorError).
	EventMonitorRefused
)

var eventNames = map[EventKind]string{
	EventRegistered:        "registered",
	EventRegisterFailed:    "register_failed",
	EventUnregistered:      "unregistered",
	EventRinging:           "ringing",
	EventAnswered:          "answered",
	EventAnsweredElsewhere: "answered_elsewhere",
	EventEnded:             "ended",
	EventMissed:            "missed",
	EventHeld:              "held",
	EventResumed:           "resumed",
	EventTransferred:       "transferred",
	EventDTMF:              "dtmf",
	EventMuted:             "muted",
	EventUnmuted:           "unmuted",
	EventRecordingPaused:   "recording_paused",
	EventRecordingResumed:  "recording_resumed",
	EventRecording:         "recording",
	EventRecordingFailed:   "recording_failed",
	EventAudio:             "audio",
	EventMonitorStarted:    "monitor_started",
	EventMonitorMode:       "monitor_mode",
	EventMonitorEnded:      "monitor_ended",
	EventMonitorRefused:    "monitor_refused",
}

// String is the event's snake_case name, as deskctl watch prints it.
func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return "unknown"
}

// Direction of a call.
type Direction int

// Call directions.
const (
	Inbound Direction = iota + 1
	Outbound
)

// String is "inbound" or "outbound".
func (d Direction) String() string {
	if d == Outbound {
		return "outbound"
	}
	return "inbound"
}

// Caller is who a call is from (or to), as the signalling says.
type Caller struct {
	// Number is the user part as received (digits, maybe with +), not yet
	// normalised: the desk normalises it through agent.
	Number string
	// DisplayName is the UTF-8 display name, if any.
	DisplayName string
	// URI is the full identity URI (sip:, sips: or tel:).
	URI string
	// Source names the header the identity came from:
	// "P-Asserted-Identity", "Remote-Party-ID" or "From".
	Source string
	// Anonymous is true when the caller withheld their identity.
	Anonymous bool
}

// Event is one thing that happened on the phone.
type Event struct {
	Kind      EventKind
	At        time.Time
	CallID    string // the SIP Call-ID as received
	Direction Direction
	Caller    Caller
	// Reason explains a failure, an end or a missed call
	// (e.g. "401 Unauthorized", "caller cancelled", "bye from remote").
	Reason string
	// Digit is the key for EventDTMF.
	Digit string
	// Err is the typed cause of EventRegisterFailed, EventRecordingFailed,
	// EventAudio and EventMonitorRefused (errors.Is: ErrCertificate,
	// audio.ErrNoDevice, ErrMonitorRefused…); nil for the others.
	Err error
	// Recording is the finished recording of EventRecording.
	Recording *Recording
	// Audio is the sound card's status for EventAudio.
	Audio *audio.Status
	// Monitor describes the session of the EventMonitor* events.
	Monitor *Monitoring
}

// Emitter receives events. Emit must not block: the user agent calls it from
// its SIP goroutines.
type Emitter interface {
	Emit(Event)
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(Event)

// Emit calls f(e).
func (f EmitterFunc) Emit(e Event) { f(e) }
