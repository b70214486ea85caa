package desk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
)

// CaseFollowUp is what a later call adds to a followed case: a note, and
// or a new reply time agreed with the caller (its reason required).
type CaseFollowUp struct {
	Note     string    `json:"note,omitempty"`
	ReplyDue time.Time `json:"reply_due,omitzero"`
	Reason   string    `json:"reason,omitempty"`
}

// ErrNothingToFollow is returned by Follow when the follow-up carries
// neither a note nor a new reply time.
var ErrNothingToFollow = errors.New("follow-up has neither a note nor a new reply time")

// Follow adds a follow-up to case id in one durable step: the note, the
// new reply time, or both; when either is refused nothing is stored.
func (d *Desk) Follow(id string, f CaseFollowUp) (agent.Complaint, error) {
	return d.caseStep(id, "follow up", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		note := strings.TrimSpace(f.Note)
		if note == "" && f.ReplyDue.IsZero() {
			return nil, fmt.Errorf("follow up %s: %w", id, ErrNothingToFollow)
		}
		if note != "" {
			if err := c.AddFollowUp(note, now); err != nil {
				return nil, err
			}
		}
		if !f.ReplyDue.IsZero() {
			if err := c.SetReplyDue(f.ReplyDue, strings.TrimSpace(f.Reason), now); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// ReplyCase records the reply to the caller (复清楚), usually on a later
// call: how the answer was given, what was said, whether it was accepted.
// The case is then replied.
func (d *Desk) ReplyCase(id string, r agent.ReplyInput) (agent.Complaint, error) {
	return d.caseStep(id, "reply", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		r.How, r.Said = strings.TrimSpace(r.How), strings.TrimSpace(r.Said)
		if !r.RepliedAt.IsZero() && r.RepliedAt.After(now) {
			return nil, fmt.Errorf("reply %s: replied at %s is in the future: %w", id, r.RepliedAt.Format(time.RFC3339), agent.ErrState)
		}
		return nil, c.Reply(r, now)
	})
}

// CaseRecord is 记清楚: the matter, how it was handled and the result.
type CaseRecord struct {
	Matter  string `json:"matter"`
	Process string `json:"process"`
	Result  string `json:"result"`
}

// RecordCase records 记清楚 on a replied case.
func (d *Desk) RecordCase(id string, r CaseRecord) (agent.Complaint, error) {
	return d.caseStep(id, "record", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.Record(strings.TrimSpace(r.Matter), strings.TrimSpace(r.Process), strings.TrimSpace(r.Result), now)
	})
}
