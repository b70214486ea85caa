package upstream

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Listing recordings: GET /v1/recordings?agent=N&from=T&to=T&limit=M
// answers the recordings whose records the hub holds, newest first (by
// the recording's start), with whether the hub holds their audio. A
// supervisor lists any agent's (every agent's when agent= is left out);
// a session its own agent's only (naming another agent is ErrForbidden);
// a desk's own token the recordings its desk made (agent= narrows them);
// every other role is refused (ErrWrongRole). Listing is not audited:
// fetching the audio is.

// Limits of a recordings listing.
const (
	// DefaultRecordingPage is how many recordings a listing answers when
	// it names no limit.
	DefaultRecordingPage = 100
	// MaxRecordingPage is the most recordings one listing answers.
	MaxRecordingPage = 500
)

// RecordingInfo is one recording in a listing: its record's ID, whose
// (agent's work number, the desk that made it), which call (SIP
// Call-ID), when it began (desk clock) and how long it ran and was
// paused, how many channels; Audio says the hub holds its audio, whose
// Size and SHA-256 (hex) are then given.
type RecordingInfo struct {
	ID       string    `json:"id"`
	Agent    string    `json:"agent"`
	Desk     string    `json:"desk"`
	CallID   string    `json:"call_id"`
	Started  time.Time `json:"started"`
	Duration Seconds   `json:"duration"`
	Paused   Seconds   `json:"paused"`
	Channels int       `json:"channels"`
	Audio    bool      `json:"audio"`
	Size     int64     `json:"size,omitempty"`
	SHA256   string    `json:"sha256,omitempty"`
}

// RecordingList is a page of a listing, newest first; More says older
// recordings matched beyond its limit (ask again with To set to the last
// one's Started).
type RecordingList struct {
	Recordings []RecordingInfo `json:"recordings"`
	More       bool            `json:"more"`
}

// RecordingQuery asks for recordings: of Agent (a work number; "" for
// all the caller may see), that began at or after From and before To
// (zero: no bound), at most Limit of them (0: DefaultRecordingPage; at
// most MaxRecordingPage).
type RecordingQuery struct {
	Agent    string
	From, To time.Time
	Limit    int
}

// values is q as a listing's query string.
func (q RecordingQuery) values() url.Values {
	v := url.Values{}
	if q.Agent != "" {
		v.Set("agent", q.Agent)
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// Recordings lists the recordings q asks for (GET /v1/recordings), as
// far as the client's token may see them: a supervisor's any agent's, a
// session's its own agent's (ErrForbidden for another agent), a desk's
// token its desk's. ErrWrongRole for a trainer's or a wallboard's token;
// ErrInvalid for a bad query (a limit out of range, To before From).
func (c *Client) Recordings(ctx context.Context, q RecordingQuery) (RecordingList, error) {
	var l RecordingList
	path := "/v1/recordings"
	if v := q.values(); len(v) > 0 {
		path += "?" + v.Encode()
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &l); err != nil {
		return RecordingList{}, fmt.Errorf("list recordings: %w", err)
	}
	return l, nil
}

// mayListRecordings reports whether p may list recordings at all: a
// supervisor, a session at a desk (whatever the agent's role: its own
// agent's), or a desk's own token.
func (p Principal) mayListRecordings() bool {
	if p.Kind == TokenSession {
		return p.Role == RoleSupervisor || p.Agent != ""
	}
	return p.Role == RoleSupervisor || p.Role == RoleAgent
}

// recordings serves GET /v1/recordings (see the top of this file).
func (s *Server) recordings(w http.ResponseWriter, r *http.Request, p Principal) {
	q, desk, err := parseRecordingQuery(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.b.Recordings(r.Context(), q, desk)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.Recordings == nil {
		l.Recordings = []RecordingInfo{}
	}
	writeJSON(w, http.StatusOK, l)
}

// parseRecordingQuery reads a listing's query string and narrows it to
// what p may see: the query and the desk whose recordings only are
// listed ("" any).
func parseRecordingQuery(r *http.Request, p Principal) (RecordingQuery, string, error) {
	v := r.URL.Query()
	q := RecordingQuery{Agent: v.Get("agent"), Limit: DefaultRecordingPage}
	if err := checkText("agent", q.Agent, false); err != nil {
		return q, "", err
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		s := v.Get(f.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, "", fmt.Errorf("%w: %s must be an RFC 3339 instant, not %q", ErrInvalid, f.name, clip(s))
		}
		*f.t = t
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return q, "", fmt.Errorf("%w: to %s is before from %s", ErrInvalid, q.To.Format(time.RFC3339), q.From.Format(time.RFC3339))
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxRecordingPage {
			return q, "", fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, MaxRecordingPage)
		}
		q.Limit = n
	}
	switch {
	case p.Role == RoleSupervisor:
		return q, "", nil
	case p.Kind == TokenSession && q.Agent == "":
		q.Agent = p.Agent
	case p.Kind == TokenSession && q.Agent != p.Agent:
		return q, "", fmt.Errorf("%w: a session lists its own agent's recordings only", ErrForbidden)
	case p.Kind == TokenSession:
	case p.Desk == "":
		return q, "", fmt.Errorf("%w: the token belongs to no desk yet (push or sign in first)", ErrForbidden)
	default:
		return q, p.Desk, nil
	}
	return q, "", nil
}
