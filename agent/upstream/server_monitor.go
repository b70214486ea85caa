package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"agentdesk/agent"
)

// The handlers of supervision: monitoring sessions, the desk's own event
// stream that carries them to the agent's desk, coaching notes, and
// recordings' audio.

// Limits of supervision requests.
const (
	maxMonitorBody  = 16 << 10
	maxCoachingBody = 64 << 10
	// deskMaxReplay bounds how far back a desk stream resumed with a
	// Last-Event-ID replays.
	deskMaxReplay = time.Hour
)

// refuse audits that p was refused action on subject and answers 403
// (ErrWrongRole). An audit that cannot be written is logged: the refusal
// stands either way.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, p Principal, action AuditAction, kind, subject string, detail map[string]any) {
	if err := s.b.AuditRefused(r.Context(), p, action, kind, subject, detail); err != nil && r.Context().Err() == nil {
		s.log.Error("audit a refusal", "action", action, "subject", subject, "error", err)
	}
	s.fail(w, r, fmt.Errorf("%w: role %s", ErrWrongRole, p.Role))
}

// decodeLenient reads a JSON body into v for a request that is audited
// even when refused: a body that does not decode leaves v as it is.
func decodeLenient(r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	return dec.Decode(v)
}

func (s *Server) startMonitor(w http.ResponseWriter, r *http.Request, p Principal) {
	var req MonitorRequest
	derr := decodeLenient(r, maxMonitorBody, &req)
	if !p.mayMonitor() {
		s.refuse(w, r, p, AuditMonitorRefused, "agent", clip(req.Agent), map[string]any{"reason": "role", "mode": clip(string(req.Mode))})
		return
	}
	err := derr
	if err != nil {
		err = fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, err)
	}
	if err == nil {
		err = checkText("agent", req.Agent, true)
	}
	if err == nil && !req.Mode.Valid() {
		err = fmt.Errorf("%w: mode %q (want listen, whisper or barge)", ErrInvalid, req.Mode)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g, err := s.b.StartMonitor(r.Context(), p, req, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("monitoring set up", "session", g.Session, "supervisor", p.Name, "agent_number", g.Agent, "desk", g.Desk, "call_id", g.CallID, "mode", g.Mode)
	writeJSON(w, http.StatusCreated, g)
}

func (s *Server) monitorSession(w http.ResponseWriter, r *http.Request, _ Principal) {
	id := r.PathValue("session")
	if err := checkText("session", id, true); err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.b.MonitorSession(r.Context(), id, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) monitorMode(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("session")
	var req MonitorModeRequest
	derr := decodeLenient(r, maxMonitorBody, &req)
	if !p.mayMonitor() {
		s.refuse(w, r, p, AuditMonitorRefused, "monitor", clip(id), map[string]any{"reason": "role", "mode": clip(string(req.Mode))})
		return
	}
	err := checkText("session", id, true)
	if err == nil && derr != nil {
		err = fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, derr)
	}
	if err == nil && !req.Mode.Valid() {
		err = fmt.Errorf("%w: mode %q (want listen, whisper or barge)", ErrInvalid, req.Mode)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.b.SetMonitorMode(r.Context(), p, id, req.Mode, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) endMonitor(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("session")
	var req MonitorEndRequest
	derr := decodeLenient(r, maxMonitorBody, &req)
	if !p.mayMonitor() {
		s.refuse(w, r, p, AuditMonitorRefused, "monitor", clip(id), map[string]any{"reason": "role"})
		return
	}
	err := checkText("session", id, true)
	if err == nil && derr != nil && !errors.Is(derr, io.EOF) {
		err = fmt.Errorf("%w: malformed JSON: %v", ErrInvalid, derr)
	}
	if err == nil {
		err = checkMonitorReason(req.Reason)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Reason == "" {
		req.Reason = EndBySupervisor
	}
	m, err := s.b.EndMonitor(r.Context(), p, id, req.Reason, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) reportMonitor(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("session")
	var rep MonitorReport
	if !decodeBody(w, r, maxMonitorBody, &rep) {
		return
	}
	err := checkText("session", id, true)
	if err == nil {
		err = checkMonitorReport(rep)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.b.ReportMonitor(r.Context(), p, id, rep, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// clip bounds text from a refused request before it is audited.
func clip(v string) string {
	if len(v) > maxTextLen {
		v = v[:maxTextLen]
	}
	if checkText("", v, false) != nil {
		return ""
	}
	return v
}

// deskStream sends the events of p's desk as server-sent events (each with
// its ID, so a stream opened again with Last-Event-ID resumes after it):
// at once those after the Last-Event-ID (at most deskMaxReplay old), or
// without one those of the last DeskReplay, then each as soon as it is
// made on any hub. A comment every refresh period keeps the connection
// known alive (RefreshHeader); "end" closes it when its token ends.
func (s *Server) deskStream(w http.ResponseWriter, r *http.Request, p Principal) {
	if p.Desk == "" {
		s.fail(w, r, fmt.Errorf("%w: %w", ErrForbidden, errNoDesk))
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	ctx := r.Context()
	var after int64
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.fail(w, r, fmt.Errorf("%w: Last-Event-ID must be an event ID", ErrInvalid))
			return
		}
		after = n
	}
	since := s.clock.Now().Add(-DeskReplay)
	if after > 0 {
		since = s.clock.Now().Add(-deskMaxReplay)
	}
	changes := s.b.Watch(ctx)
	ended := s.b.TokenEnded(ctx, p)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set(RefreshHeader, s.refresh.String())
	w.WriteHeader(http.StatusOK)
	send := func() bool {
		evs, err := s.b.DeskEvents(ctx, p.Desk, after, since)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("desk events", "desk", p.Desk, "error", err)
			}
			return ctx.Err() == nil
		}
		for _, ev := range evs {
			if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Kind, ev.Data); err != nil {
				return false
			}
			after = ev.ID
		}
		fl.Flush()
		return true
	}
	if !send() {
		return
	}
	tick := time.NewTicker(s.refresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case why := <-ended:
			_ = writeEvent(w, "end", StreamEnd{Reason: why})
			fl.Flush()
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			if (c.Desk == p.Desk || c.Alert) && !send() {
				return
			}
		case <-tick.C:
			// Look again (a notice missed while the hub reconnected to the
			// database) and say the connection lives.
			if !send() {
				return
			}
			if _, err := io.WriteString(w, ": alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func (s *Server) addCoaching(w http.ResponseWriter, r *http.Request, p Principal) {
	var n agent.CoachingNote
	if !decodeBody(w, r, maxCoachingBody, &n) {
		return
	}
	var err error
	for _, f := range []struct{ name, v string }{{"agent", n.Agent}, {"call_id", n.CallID}, {"call_record", n.CallRecord}, {"recording", n.Recording}, {"id", n.ID}} {
		if err == nil {
			err = checkText(f.name, f.v, false)
		}
	}
	if err == nil && n.CallID == "" && n.CallRecord == "" {
		err = fmt.Errorf("%w: a coaching note names its call (call_id or call_record)", ErrInvalid)
	}
	if err == nil && (len(n.Text) > agent.MaxCoachingText || n.Text == "") {
		err = fmt.Errorf("%w: text of 1 to %d bytes is required", ErrInvalid, agent.MaxCoachingText)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.b.AddCoaching(r.Context(), p, n, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rec)
}

// coaching serves GET /v1/coaching?agent=N&since=REV&limit=M as callbacks
// serves tasks.
func (s *Server) coaching(w http.ResponseWriter, r *http.Request, p Principal) {
	who, since, limit, ok := s.pullParams(w, r, p)
	if !ok {
		return
	}
	page, err := s.b.Coaching(r.Context(), p, who, since, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Notes == nil {
		page.Notes = []Record{}
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) putRecording(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	if err := checkText("id", id, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.ContentLength > s.maxAudio {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("%d bytes of audio (at most %d)", r.ContentLength, s.maxAudio))
		return
	}
	body := NewWAVReader(http.MaxBytesReader(w, r.Body, s.maxAudio))
	a, err := s.b.PutRecording(r.Context(), p, id, body, s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("recording audio stored", "recording_id", id, "desk", p.Desk, "bytes", a.Size)
	writeJSON(w, http.StatusOK, a)
}

// RecordingSHA256Header carries a fetched recording's SHA-256 (hex).
const RecordingSHA256Header = "Agentdesk-Recording-Sha256"

func (s *Server) recording(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	if !p.mayFetchRecordings() {
		s.refuse(w, r, p, AuditRecordingRefused, "recording", clip(id), nil)
		return
	}
	if err := checkText("id", id, true); err != nil {
		s.fail(w, r, err)
		return
	}
	sent := false
	err := s.b.Recording(r.Context(), p, id, func(a RecordingAudio, audio io.Reader) error {
		sent = true
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set(RecordingSHA256Header, a.SHA256)
		w.Header().Set("Content-Disposition", `attachment; filename="`+a.ID+`.wav"`)
		w.WriteHeader(http.StatusOK)
		_, err := io.Copy(w, audio)
		return err
	})
	switch {
	case err == nil:
	case !sent:
		s.fail(w, r, err)
	case r.Context().Err() == nil:
		s.log.Warn("recording cut short", "recording_id", id, "error", err)
	}
}
