package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"agentdesk/agent"
)

// The client's side of supervision: monitoring sessions (the supervisor's
// desk asks, switches and ends; both desks report), the desk's own event
// stream (the agent's desk hears of sessions and notes there), coaching
// notes, and recordings' audio.

// Monitor asks the hub to set up monitoring of the call in progress of
// the agent with work number agentNumber, in mode (POST /v1/monitor; a
// supervisor's token or session). The grant holds the session, the
// one-time token to dial with (telephony's DialMonitor(ctx,
// grant.Extension, string(grant.Token), mode)) and until when it may
// start the session. The agent's desk is told at the same time on its
// stream; its telephony may take a moment to expect the token, so a
// dial refused as unknown is worth trying again until the grant expires.
//
// Refusals, with nothing set up: ErrWrongRole (any role but supervisor;
// the hub audits the refusal), ErrNoLiveCall (the agent has no call in
// progress on a desk the hub hears from), ErrInvalid (a mode other than
// listen, whisper or barge).
func (c *Client) Monitor(ctx context.Context, agentNumber string, mode MonitorMode) (MonitorGrant, error) {
	var g MonitorGrant
	if err := c.do(ctx, http.MethodPost, "/v1/monitor", MonitorRequest{Agent: agentNumber, Mode: mode}, &g); err != nil {
		return MonitorGrant{}, fmt.Errorf("monitor agent %s: %w", agentNumber, err)
	}
	return g, nil
}

// MonitorSession reads a session with its audit trail (GET
// /v1/monitor/{session}; supervisors). An unknown session gets
// ErrNotFound.
func (c *Client) MonitorSession(ctx context.Context, session string) (MonitorSession, error) {
	var m MonitorSession
	if err := c.do(ctx, http.MethodGet, monitorPath(session, ""), nil, &m); err != nil {
		return MonitorSession{}, fmt.Errorf("monitor session %s: %w", session, err)
	}
	return m, nil
}

// SetMonitorMode tells the hub the supervisor switched session to mode
// (POST /v1/monitor/{session}/mode): audited and passed on to the agent's
// desk. The switch itself goes between the desks by SIP
// (telephony's SetMonitorMode). ErrConflict for a session that is over.
func (c *Client) SetMonitorMode(ctx context.Context, session string, mode MonitorMode) (MonitorSession, error) {
	var m MonitorSession
	if err := c.do(ctx, http.MethodPost, monitorPath(session, "/mode"), MonitorModeRequest{Mode: mode}, &m); err != nil {
		return MonitorSession{}, fmt.Errorf("monitor session %s: mode %s: %w", session, mode, err)
	}
	return m, nil
}

// EndMonitor ends session (POST /v1/monitor/{session}/end; reason ""
// means the supervisor's own): audited, and the agent's desk told to hang
// the leg up. A session already over is returned as it is.
func (c *Client) EndMonitor(ctx context.Context, session, reason string) (MonitorSession, error) {
	var m MonitorSession
	if err := c.do(ctx, http.MethodPost, monitorPath(session, "/end"), MonitorEndRequest{Reason: reason}, &m); err != nil {
		return MonitorSession{}, fmt.Errorf("end monitor session %s: %w", session, err)
	}
	return m, nil
}

// ReportMonitor reports what this desk's telephony saw of session (POST
// /v1/monitor/{session}/event): r.Kind MonitorStarted (the monitoring
// leg is up), MonitorModed (its mode changed) or MonitorEndedBy (it
// ended, r.Reason why), at r.At. Either desk may report: the agent's
// (its desk's token or a session there) or the supervisor's. Reports go
// in the audit trail; started makes the session active, ended ends it.
func (c *Client) ReportMonitor(ctx context.Context, session string, r MonitorReport) (MonitorSession, error) {
	if r.At.IsZero() {
		r.At = c.clock.Now()
	}
	var m MonitorSession
	if err := c.do(ctx, http.MethodPost, monitorPath(session, "/event"), r, &m); err != nil {
		return MonitorSession{}, fmt.Errorf("report monitor session %s %s: %w", session, r.Kind, err)
	}
	return m, nil
}

func monitorPath(session, tail string) string { return "/v1/monitor/" + url.PathEscape(session) + tail }

// DeskStream reads this desk's event stream (GET /v1/desk/stream; the
// desk's own token or a session signed in at it) and calls fn with every
// event (DeskEventMonitor, DeskEventMonitorMode, DeskEventMonitorEnd,
// DeskEventCoaching; decode with DeskEvent.Decode) on the reading
// goroutine, until the stream ends. after is the ID of the last event
// already handled (0: none; the hub then replays the last DeskReplay).
// It returns the ID of the last event it passed to fn (after if none) and
// why the stream ended, as Stream does (never a nil error).
func (c *Client) DeskStream(ctx context.Context, after int64, fn func(DeskEvent)) (int64, error) {
	h := http.Header{}
	if after > 0 {
		h.Set("Last-Event-ID", strconv.FormatInt(after, 10))
	}
	last := after
	err := c.follow(ctx, "desk stream", "/v1/desk/stream", h, func(id, name string, data []byte) {
		if name == "end" {
			return
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n <= last {
			return // seen already, or not one of ours
		}
		last = n
		fn(DeskEvent{ID: n, Kind: name, Data: json.RawMessage(data)})
	})
	return last, err
}

// FollowDesk keeps this desk's event stream open until ctx ends, calling
// fn with every event exactly once however often the stream drops: it
// reconnects after a pause that doubles from the first to the longest
// (WithStreamBackoff), resuming after the last event it delivered. It
// returns ctx.Err() when ctx ends, and at once an error matching
// ErrUnauthorized or ErrForbidden when the hub refuses the token (a token
// bound to no desk, or one that is no desk's).
func (c *Client) FollowDesk(ctx context.Context, fn func(DeskEvent)) error {
	var last int64
	failures := 0
	for {
		began := time.Now()
		var err error
		prev := last
		last, err = c.DeskStream(ctx, last, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) {
			return fmt.Errorf("desk stream: %w", err)
		}
		if (last > prev || time.Since(began) > c.streamLongest) || errors.Is(err, ErrTokenEnded) {
			failures = 0
		}
		failures++
		wait := backoff(failures, c.streamFirst, c.streamLongest, c.jitter)
		c.log.Debug("desk stream lost", "error", err, "retry_in", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// AddCoaching files a coaching note on the hub (POST /v1/coaching; a
// supervisor): n names the call by CallID or CallRecord; the hub fills
// in the agent, the call and its recording from its records, the author
// (the token's name, and number for a session) and, when left zero, the
// ID, version 1 and the time. It returns the stored record (body an
// agent.CoachingNote); the agent's desk is told at once. ErrNotFound for a
// call the hub does not know when no agent is given, ErrWrongRole for a
// role other than supervisor.
func (c *Client) AddCoaching(ctx context.Context, n agent.CoachingNote) (Record, error) {
	var r Record
	if err := c.do(ctx, http.MethodPost, "/v1/coaching", n, &r); err != nil {
		return Record{}, fmt.Errorf("coaching note: %w", err)
	}
	return r, nil
}

// WithCoachingPull makes every round pull the coaching notes of the agents
// WithAgents names into the Inbox (ApplyRemote of kind coaching), as their
// callback tasks are pulled. Off by default: the Inbox must take records
// of kind coaching.
func WithCoachingPull() ClientOption { return func(c *Client) { c.coaching = true } }

// PullCoaching applies the coaching notes of each agent changed on the hub
// since that agent's saved cursor (CoachingCursor), page by page, saving
// the cursor after each page.
func (c *Client) PullCoaching(ctx context.Context, agents ...string) error {
	if c.in == nil {
		return fmt.Errorf("pull coaching notes: this hub client has no inbox")
	}
	for _, who := range agents {
		if who == "" {
			continue
		}
		if err := c.pullAgent(ctx, who, agent.KindCoaching, "/v1/coaching", CoachingCursor(who), func(raw []byte) (agentPage, error) {
			var p CoachingPage
			err := json.Unmarshal(raw, &p)
			return agentPage{p.Notes, p.Next, p.More}, err
		}, func(n int) { c.setStatus(func(s *Status) { s.PulledCoaching += n }) }); err != nil {
			return err
		}
	}
	return nil
}

// agentPage is a page of one agent's records, whatever their kind.
type agentPage struct {
	recs []Record
	next int64
	more bool
}

// pullAgent pulls one agent's records of kind from path into the Inbox,
// page by page from the cursor named cursor.
func (c *Client) pullAgent(ctx context.Context, who string, kind agent.Kind, path, cursor string, decode func([]byte) (agentPage, error), applied func(int)) error {
	since, err := c.in.Cursor(cursor)
	if err != nil {
		return fmt.Errorf("read %s cursor of %s: %w", kind, who, err)
	}
	for {
		var raw json.RawMessage
		q := path + "?agent=" + url.QueryEscape(who) + "&since=" + strconv.FormatInt(since, 10)
		if err := c.do(ctx, http.MethodGet, q, nil, &raw); err != nil {
			return fmt.Errorf("pull %s of %s: %w", kind, who, err)
		}
		page, err := decode(raw)
		if err != nil {
			return fmt.Errorf("pull %s of %s: %w", kind, who, err)
		}
		n := 0
		for _, r := range page.recs {
			var ok bool
			if r.Deleted {
				ok, err = c.in.RemoveRemote(kind, r.ID, r.Version)
			} else {
				ok, err = c.in.ApplyRemote(kind, r.ID, r.Version, r.Body)
			}
			if err != nil {
				return fmt.Errorf("apply %s %s: %w", kind, r.ID, err)
			}
			if ok {
				n++
			}
		}
		if page.next > since {
			if err := c.in.SetCursor(cursor, page.next); err != nil {
				return fmt.Errorf("save %s cursor of %s: %w", kind, who, err)
			}
			since = page.next
		}
		applied(n)
		if !page.more {
			return nil
		}
	}
}

// UploadRecording sends recording id's audio, a WAV file read from r, to
// the hub (PUT /v1/recordings/{id}/audio; the token of the desk that made
// the recording, whose record must be on the hub already: push first). It
// returns what the hub stored. The hub checks the file as it arrives:
// ErrInvalid for a body that is no WAV file or is cut short, and for one
// over MaxRecordingBytes; ErrNotFound when the hub has no record of the
// recording yet; ErrForbidden for another desk's recording; ErrConflict
// when the hub holds different audio for it. Sending the same audio again
// is no error. The upload is bounded by ctx only, not by the client's
// request timeout: a long call's file takes time on a slow line.
func (c *Client) UploadRecording(ctx context.Context, id string, r io.Reader) (RecordingAudio, error) {
	var a RecordingAudio
	req, err := c.newRequest(ctx, http.MethodPut, recordingPath(id), r, true)
	if err != nil {
		return a, fmt.Errorf("upload recording %s: %w", id, err)
	}
	req.Header.Set("Content-Type", "audio/wav")
	resp, err := c.stream.Do(req)
	if err != nil {
		return a, fmt.Errorf("upload recording %s: %w", id, tlsProblem(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return a, fmt.Errorf("upload recording %s: %w", id, refusal(resp))
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return a, fmt.Errorf("upload recording %s: decode answer: %w", id, err)
	}
	return a, nil
}

// FetchRecording writes recording id's audio (a WAV file) to w (GET
// /v1/recordings/{id}/audio; supervisors only: the hub audits every fetch
// before it sends a byte, and refuses and audits every other role,
// ErrWrongRole). It returns the audio's description (size, SHA-256 as
// the hub holds them; the bytes written are checked against both).
// ErrNotFound when the hub has no audio for the recording.
func (c *Client) FetchRecording(ctx context.Context, id string, w io.Writer) (RecordingAudio, error) {
	a := RecordingAudio{ID: id}
	req, err := c.newRequest(ctx, http.MethodGet, recordingPath(id), nil, true)
	if err != nil {
		return a, fmt.Errorf("fetch recording %s: %w", id, err)
	}
	resp, err := c.stream.Do(req)
	if err != nil {
		return a, fmt.Errorf("fetch recording %s: %w", id, tlsProblem(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return a, fmt.Errorf("fetch recording %s: %w", id, refusal(resp))
	}
	a.SHA256 = resp.Header.Get(RecordingSHA256Header)
	h := newSHA256()
	n, err := io.Copy(io.MultiWriter(w, h), resp.Body)
	if err != nil {
		return a, fmt.Errorf("fetch recording %s: %w", id, err)
	}
	a.Size = n
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return a, fmt.Errorf("fetch recording %s: %d of %d bytes", id, n, resp.ContentLength)
	}
	if got := h.hex(); a.SHA256 != "" && got != a.SHA256 {
		return a, fmt.Errorf("fetch recording %s: SHA-256 %s, the hub says %s", id, got, a.SHA256)
	}
	return a, nil
}

func recordingPath(id string) string { return "/v1/recordings/" + url.PathEscape(id) + "/audio" }

// digest is a running SHA-256 that says itself in hex.
type digest struct{ h hash.Hash }

func newSHA256() *digest { return &digest{h: sha256.New()} }

func (d *digest) Write(p []byte) (int, error) { return d.h.Write(p) }

func (d *digest) hex() string { return hex.EncodeToString(d.h.Sum(nil)) }
