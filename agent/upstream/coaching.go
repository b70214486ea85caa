package upstream

import "time"

// Coaching notes. A supervisor attaches a note to one of an agent's calls
// (agent.CoachingNote, a record of kind coaching): pushed by the
// supervisor's desk through its outbox (only a supervisor's desk may push
// that kind), or filed directly with POST /v1/coaching naming the call by
// its SIP Call-ID or its call record, from which the hub completes the
// agent, the call and its recording. The agent's desk pulls its agents'
// notes (GET /v1/coaching, as callbacks are pulled: a session its own
// agent's, a desk's own token those of an agent signed in there now) and
// is told at once on its stream (DeskEventCoaching), so the agent sees the
// note after the call.

// CoachingPage is a page of one agent's coaching notes (records of kind
// coaching, body an agent.CoachingNote) changed after a cursor; Next and
// More work as in CustomerPage.
type CoachingPage struct {
	Notes []Record `json:"notes"`
	Next  int64    `json:"next"`
	More  bool     `json:"more"`
}

// CoachingNotice is the data of a desk stream's DeskEventCoaching: a note
// for Agent on call CallID is on the hub; pull it (Client.PullCoaching).
type CoachingNotice struct {
	ID     string    `json:"id"`
	Agent  string    `json:"agent"`
	CallID string    `json:"call_id,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// CoachingCursor is the Inbox cursor of agent's coaching pull.
func CoachingCursor(agent string) string { return "coaching:" + agent }
