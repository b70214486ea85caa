package agent

import (
	"fmt"
	"strings"
	"time"
)

// Direction is which way a call went.
type Direction uint8

// Call directions.
const (
	Inbound Direction = iota
	Outbound
)

var directionNames = []string{"inbound", "outbound"}

// String returns inbound or outbound.
func (d Direction) String() string { return enumString(directionNames, int(d)) }

// MarshalText encodes the direction by name.
func (d Direction) MarshalText() ([]byte, error) {
	return enumMarshal(directionNames, int(d), "direction")
}

// UnmarshalText decodes a direction name.
func (d *Direction) UnmarshalText(b []byte) error {
	i, err := enumParse(directionNames, string(b), "direction")
	*d = Direction(i)
	return err
}

// CallType is what a call was about (《电话接听记录表》: 咨询 / 投诉 / 其他服务).
type CallType uint8

// Call types.
const (
	CallConsultation CallType = iota
	CallComplaint
	CallOther
)

var callTypeNames = []string{"consultation", "complaint", "other"}

// String returns consultation, complaint or other.
func (t CallType) String() string { return enumString(callTypeNames, int(t)) }

// MarshalText encodes the type by name.
func (t CallType) MarshalText() ([]byte, error) {
	return enumMarshal(callTypeNames, int(t), "call type")
}

// UnmarshalText decodes a type name.
func (t *CallType) UnmarshalText(b []byte) error {
	i, err := enumParse(callTypeNames, string(b), "call type")
	*t = CallType(i)
	return err
}

// Call is one line of the call log (《电话接听记录表》): time, caller, area,
// contact, type (consultation / complaint / other service), the department
// it was passed to, the feedback and the result. The desk logs every call
// when it ends; the agent wraps it up (Wrap) with the rest.
type Call struct {
	Meta
	CallID      string    `json:"call_id,omitempty"` // the SIP Call-ID
	At          time.Time `json:"at"`                // ringing began (inbound) or dialed (outbound)
	Number      string    `json:"number"`            // E.164 where it can be
	CustomerID  string    `json:"customer_id,omitempty"`
	Agent       string    `json:"agent"`
	Direction   Direction `json:"direction"`
	Type        CallType  `json:"type"`
	Area        string    `json:"area,omitempty"`       // the caller's area
	Contact     string    `json:"contact,omitempty"`    // a contact the caller gave, when not the number
	Department  string    `json:"department,omitempty"` // the department it was passed to
	Feedback    string    `json:"feedback,omitempty"`   // what the department fed back
	Result      string    `json:"result,omitempty"`
	ReadBack    bool      `json:"read_back,omitempty"` // what was noted was read back and confirmed
	CaseID      string    `json:"case_id,omitempty"`   // the complaint of a complaint call
	RingSeconds float64   `json:"ring_seconds"`
	Answered    bool      `json:"answered"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	// WrappedAt is when the agent wrapped the call up (zero: not yet).
	WrappedAt time.Time `json:"wrapped_at,omitzero"`
	// Later says the call was logged after the fact (an after-hours call
	// logged the next morning, or one the desk never saw).
	Later bool `json:"later,omitempty"`
}

// WrapUp is what the agent records when a call is over (《电话接听记录表》).
// Type and Result are required; a complaint call names its case.
type WrapUp struct {
	Type       string `json:"type"` // consultation, complaint or other
	Area       string `json:"area,omitempty"`
	Contact    string `json:"contact,omitempty"`
	Department string `json:"department,omitempty"`
	Feedback   string `json:"feedback,omitempty"`
	Result     string `json:"result"`
	ReadBack   bool   `json:"read_back,omitempty"`
	CaseID     string `json:"case_id,omitempty"`
}

// WrapIncompleteError lists what a wrap-up lacks; it matches ErrEmpty.
type WrapIncompleteError struct{ Problems []Problem }

// Error names every missing item.
func (e *WrapIncompleteError) Error() string { return "wrap-up incomplete: " + texts(e.Problems) }

// Is reports ErrEmpty.
func (e *WrapIncompleteError) Is(target error) bool { return target == ErrEmpty }

// Check says what w lacks, by code: the type, the result, and the case of a
// complaint call.
func (w WrapUp) Check() []Problem {
	var out []Problem
	var t CallType
	if strings.TrimSpace(w.Type) == "" || t.UnmarshalText([]byte(w.Type)) != nil {
		out = append(out, ProblemWrapType)
	} else if t == CallComplaint && strings.TrimSpace(w.CaseID) == "" {
		out = append(out, ProblemWrapCase)
	}
	if blank(w.Result) {
		out = append(out, ProblemWrapResult)
	}
	return out
}

// Wrap records the wrap-up on the call at instant at. A wrap-up that lacks
// something is refused with a *WrapIncompleteError and the call is left as
// it was. Wrapping again edits the wrap-up. An empty area keeps the one
// derived from the number.
func (c *Call) Wrap(w WrapUp, at time.Time) error {
	if p := w.Check(); len(p) > 0 {
		return &WrapIncompleteError{Problems: p}
	}
	var t CallType
	_ = t.UnmarshalText([]byte(w.Type))
	c.Type = t
	if a := strings.TrimSpace(w.Area); a != "" {
		c.Area = a
	}
	c.Contact, c.Department = strings.TrimSpace(w.Contact), strings.TrimSpace(w.Department)
	c.Feedback, c.Result = strings.TrimSpace(w.Feedback), strings.TrimSpace(w.Result)
	c.ReadBack, c.CaseID = w.ReadBack, strings.TrimSpace(w.CaseID)
	c.WrappedAt = at
	return nil
}

// Wrapped reports whether the agent has wrapped the call up.
func (c Call) Wrapped() bool { return !c.WrappedAt.IsZero() }

// AnsweredWithin reports whether an inbound call was answered within the
// ring limit ("answer before the third ring").
func (c Call) AnsweredWithin(limit time.Duration) bool {
	return c.Answered && time.Duration(c.RingSeconds*float64(time.Second)) <= limit
}

// Missed reports an inbound call nobody answered.
func (c Call) Missed() bool { return c.Direction == Inbound && !c.Answered }

// Validate checks a call before it is logged and normalises its number
// where it can (a number it cannot normalise, such as an anonymous caller,
// is kept as received).
func (c *Call) Validate() error {
	var missing []string
	if c.At.IsZero() {
		missing = append(missing, "time")
	}
	if strings.TrimSpace(c.Agent) == "" {
		missing = append(missing, "agent")
	}
	if c.RingSeconds < 0 {
		return fmt.Errorf("call: negative ring time %v", c.RingSeconds)
	}
	if len(missing) > 0 {
		return fmt.Errorf("call: %s: %w", strings.Join(missing, ", "), ErrEmpty)
	}
	if n, err := NormalizePhone(c.Number); err == nil {
		c.Number = n
	}
	return nil
}
