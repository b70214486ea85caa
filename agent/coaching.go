package agent

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// KindCoaching is the record of a supervisor's coaching note on a call.
const KindCoaching Kind = "coaching"

// MaxCoachingText bounds a coaching note's text, in bytes.
const MaxCoachingText = 8000

// CoachingNote is what a supervisor writes about one of an agent's calls
// (监听, 适时作出指导): the call it is about (its SIP Call-ID, and the call
// record and the recording when known), the agent it is for, who wrote it
// and when. The supervisor's desk (or the hub) makes it; the agent's desk
// pulls it and shows it once the call is over.
type CoachingNote struct {
	Meta
	// Agent is the coached agent's work number: whose desk pulls it.
	Agent string `json:"agent"`
	// CallID is the SIP Call-ID of the call; CallRecord the call record's
	// ID and Recording the recording's, when known.
	CallID     string `json:"call_id,omitempty"`
	CallRecord string `json:"call_record,omitempty"`
	Recording  string `json:"recording,omitempty"`
	// By is the supervisor's name, ByNumber their work number when they
	// wrote it signed in at a desk.
	By       string `json:"by"`
	ByNumber string `json:"by_number,omitempty"`
	Text     string `json:"text"`
	// At is when the supervisor wrote it.
	At time.Time `json:"at"`
}

// Validate checks a note before it is filed: an agent, a call (by Call-ID
// or record), the author, a text of at most MaxCoachingText bytes, and the
// instant it was written.
func (n *CoachingNote) Validate() error {
	var missing []string
	if strings.TrimSpace(n.Agent) == "" {
		missing = append(missing, "agent")
	}
	if strings.TrimSpace(n.CallID) == "" && strings.TrimSpace(n.CallRecord) == "" {
		missing = append(missing, "call")
	}
	if strings.TrimSpace(n.By) == "" {
		missing = append(missing, "author")
	}
	if strings.TrimSpace(n.Text) == "" {
		missing = append(missing, "text")
	}
	if n.At.IsZero() {
		missing = append(missing, "time")
	}
	if len(missing) > 0 {
		return fmt.Errorf("coaching note: %s: %w", strings.Join(missing, ", "), ErrEmpty)
	}
	if len(n.Text) > MaxCoachingText || !utf8.ValidString(n.Text) {
		return fmt.Errorf("coaching note: text must be UTF-8 of at most %d bytes (has %d)", MaxCoachingText, len(n.Text))
	}
	return nil
}
