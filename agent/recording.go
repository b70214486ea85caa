package agent

import (
	"fmt"
	"strings"
	"time"
)

// KindRecording is the record of a call's recording (the file stays in the
// desk's recordings folder; the hub keeps a copy for supervisors).
const KindRecording Kind = "recording"

// Recording is a call's recording as the desk lists it: which call, whose,
// the file's name in the recordings folder, and how long it is.
type Recording struct {
	Meta
	CallID   string        `json:"call_id"` // the SIP Call-ID of the recorded call
	Agent    string        `json:"agent"`
	File     string        `json:"file"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	Paused   time.Duration `json:"paused,omitempty"`
	Channels int           `json:"channels"`
	// Uploaded is when the hub took the file (zero: not yet).
	Uploaded time.Time `json:"uploaded,omitzero"`
}

// Validate checks a recording before it is filed.
func (r *Recording) Validate() error {
	var missing []string
	if strings.TrimSpace(r.CallID) == "" {
		missing = append(missing, "call")
	}
	if strings.TrimSpace(r.Agent) == "" {
		missing = append(missing, "agent")
	}
	if r.File == "" || strings.ContainsAny(r.File, `/\`) || r.File == "." || r.File == ".." {
		return fmt.Errorf("recording: file %q is not a plain file name", r.File)
	}
	if r.Started.IsZero() {
		missing = append(missing, "start")
	}
	if len(missing) > 0 {
		return fmt.Errorf("recording: %s: %w", strings.Join(missing, ", "), ErrEmpty)
	}
	if r.Duration < 0 || r.Paused < 0 || r.Paused > r.Duration {
		return fmt.Errorf("recording: bad duration %v (paused %v)", r.Duration, r.Paused)
	}
	return nil
}
