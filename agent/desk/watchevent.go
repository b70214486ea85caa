package desk

import (
	"time"

	"agentdesk/agent"
)

// WatchEvent is one telephony event as deskctl watch prints it (one JSON
// object per line). The pipeline that updates State makes it, from the same
// pop, so the window and deskctl cannot drift.
type WatchEvent struct {
	// Event is the telephony event's name: registered, register_failed,
	// unregistered, ringing, answered, answered_elsewhere, ended, missed,
	// held, resumed, transferred, dtmf.
	Event string    `json:"event"`
	At    time.Time `json:"at"`
	// CallID is the SIP Call-ID as received; empty for registration events.
	CallID    string `json:"call_id,omitempty"`
	Direction string `json:"direction,omitempty"`
	// Number is E.164 where it can be, else as received.
	Number      string `json:"number,omitempty"`
	Anonymous   bool   `json:"anonymous,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	// Customer is the caller's record, null when the number is unknown.
	// (always null for registration events).
	Customer *agent.Customer `json:"customer"`
	// OtherCustomers are further records sharing the number.
	OtherCustomers []agent.Customer `json:"other_customers,omitempty"`
	Salutation     string           `json:"salutation,omitempty"`
	Opening        string           `json:"opening,omitempty"`
	Reason         string           `json:"reason,omitempty"`
	Digit          string           `json:"digit,omitempty"`
}

func watchEventOf(kind string, at time.Time, p *Pop, reason, digit string) WatchEvent {
	w := WatchEvent{Event: kind, At: at, Reason: reason, Digit: digit}
	if p == nil {
		return w
	}
	w.CallID, w.Direction = p.CallID, p.Direction.String()
	w.Number, w.Anonymous, w.DisplayName = p.Number, p.Anonymous, p.DisplayName
	w.Customer, w.Salutation, w.Opening = p.Customer, p.Salutation, p.Opening
	if len(p.Customers) > 1 {
		w.OtherCustomers = p.Customers[1:]
	}
	return w
}
