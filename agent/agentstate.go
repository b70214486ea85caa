package agent

import (
	"errors"
	"fmt"
	"time"
)

// AgentStatus is what an agent is doing.
type AgentStatus uint8

// Agent statuses.
const (
	StatusOffline AgentStatus = iota
	StatusAvailable
	StatusRinging
	StatusOnCall
	StatusWrapUp
	StatusBreak
)

var agentStatusNames = []string{"offline", "available", "ringing", "on_call", "wrap_up", "break"}

// String returns the status's name.
func (s AgentStatus) String() string { return enumString(agentStatusNames, int(s)) }

// MarshalText encodes the status by name.
func (s AgentStatus) MarshalText() ([]byte, error) {
	return enumMarshal(agentStatusNames, int(s), "agent status")
}

// UnmarshalText decodes a status name.
func (s *AgentStatus) UnmarshalText(b []byte) error {
	i, err := enumParse(agentStatusNames, string(b), "agent status")
	*s = AgentStatus(i)
	return err
}

// BreakReason is the reason code of a break.
type BreakReason uint8

// Break reason codes. ReasonNone is for every status but break.
const (
	ReasonNone BreakReason = iota
	ReasonRest
	ReasonMeal
	ReasonTraining
	ReasonMeeting
	ReasonCoaching // with a supervisor (listening to recordings, coaching)
	ReasonPaperwork
)

var breakReasonNames = []string{"", "rest", "meal", "training", "meeting", "coaching", "paperwork"}

// String returns the reason code ("" for none).
func (r BreakReason) String() string { return enumString(breakReasonNames, int(r)) }

// MarshalText encodes the reason code.
func (r BreakReason) MarshalText() ([]byte, error) {
	return enumMarshal(breakReasonNames, int(r), "break reason")
}

// UnmarshalText decodes a reason code.
func (r *BreakReason) UnmarshalText(b []byte) error {
	i, err := enumParse(breakReasonNames, string(b), "break reason")
	*r = BreakReason(i)
	return err
}

// AgentState is an agent's status since an instant; the desk and the
// supervisors' board show it.
type AgentState struct {
	Meta
	Agent  string      `json:"agent"`
	Status AgentStatus `json:"status"`
	Reason BreakReason `json:"reason,omitempty"`
	Since  time.Time   `json:"since"`
}

// ErrTransition is matched by the error of a move the states do not allow.
var ErrTransition = errors.New("agent state change not allowed")

// agentMoves lists the allowed changes. Ringing returns to available when
// the caller hangs up or the call is answered elsewhere; an outbound dial
// goes straight on call.
var agentMoves = map[AgentStatus][]AgentStatus{
	StatusOffline:   {StatusAvailable, StatusBreak},
	StatusAvailable: {StatusRinging, StatusOnCall, StatusBreak, StatusOffline},
	StatusRinging:   {StatusOnCall, StatusAvailable},
	StatusOnCall:    {StatusWrapUp},
	StatusWrapUp:    {StatusAvailable, StatusBreak, StatusOffline},
	StatusBreak:     {StatusAvailable, StatusOffline},
}

// Move returns the state after changing to status at instant at. A break
// needs a reason code; other statuses take none.
func (s AgentState) Move(to AgentStatus, reason BreakReason, at time.Time) (AgentState, error) {
	if to == StatusBreak && reason == ReasonNone {
		return s, fmt.Errorf("agent %s: break needs a reason code: %w", s.Agent, ErrEmpty)
	}
	if to != StatusBreak && reason != ReasonNone {
		return s, fmt.Errorf("agent %s: reason %s only applies to a break: %w", s.Agent, reason, ErrTransition)
	}
	if int(reason) >= len(breakReasonNames) {
		return s, fmt.Errorf("agent %s: unknown reason code %d", s.Agent, reason)
	}
	ok := false
	for _, t := range agentMoves[s.Status] {
		if t == to {
			ok = true
		}
	}
	if !ok {
		return s, fmt.Errorf("agent %s: %s → %s: %w", s.Agent, s.Status, to, ErrTransition)
	}
	n := s
	n.Status, n.Reason, n.Since = to, reason, at
	return n, nil
}

// CanTakeCall reports whether calls may be offered to the agent.
func (s AgentState) CanTakeCall() bool { return s.Status == StatusAvailable }
