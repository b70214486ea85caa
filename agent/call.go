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

// Call is one line of the call log (《电话接听记录表》).
type Call struct {
	Meta
	CallID      string    `json:"call_id,omitempty"` // the SIP Call-ID
	At          time.Time `json:"at"`                // ringing began (inbound) or dialed (outbound)
	Number      string    `json:"number"`            // E.164 where it can be
	CustomerID  string    `json:"customer_id,omitempty"`
	Agent       string    `json:"agent"`
	Direction   Direction `json:"direction"`
	Type        CallType  `json:"type"`
	Department  string    `json:"department,omitempty"` // the related department
	Result      string    `json:"result,omitempty"`     // the feedback and result
	RingSeconds float64   `json:"ring_seconds"`
	Answered    bool      `json:"answered"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
}

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
