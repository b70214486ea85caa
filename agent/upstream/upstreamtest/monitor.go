package upstreamtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
)

// The in-memory hub's supervision: monitoring sessions set up on the
// desks' last live reports, desk events, coaching notes and recordings'
// audio, with the audit entries the hub writes.

type memMonitor struct {
	s     upstream.MonitorSession
	token upstream.Secret
}

type memAudio struct {
	info upstream.RecordingAudio
	data []byte
}

// supervision is the in-memory hub's state of supervision; h.mu guards it.
type supervision struct {
	monitors  map[string]*memMonitor
	events    []deskEvent
	audio     map[string]*memAudio
	liveAgent map[string]string // desk → the signed-in agent's number
}

type deskEvent struct {
	desk string
	at   time.Time
	ev   upstream.DeskEvent
}

func (h *Hub) sup() *supervision {
	if h.supv == nil {
		h.supv = &supervision{monitors: map[string]*memMonitor{}, audio: map[string]*memAudio{}, liveAgent: map[string]string{}}
	}
	return h.supv
}

func (h *Hub) auditDetailLocked(p upstream.Principal, action upstream.AuditAction, kind, subject string, detail any) {
	h.auditLocked(p, action, kind, subject)
	if detail != nil {
		b, _ := json.Marshal(detail)
		h.audit[len(h.audit)-1].Detail = b
	}
}

// AuditRefused records a refusal in the audit.
func (h *Hub) AuditRefused(_ context.Context, p upstream.Principal, action upstream.AuditAction, kind, subject string, detail map[string]any) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var d any
	if detail != nil {
		d = detail
	}
	h.auditDetailLocked(p, action, kind, subject, d)
	return nil
}

// deskEventLocked queues an event for desk. h.mu is held.
func (h *Hub) deskEventLocked(desk, kind string, at time.Time, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	sv := h.sup()
	sv.events = append(sv.events, deskEvent{desk: desk, at: at, ev: upstream.DeskEvent{ID: int64(len(sv.events) + 1), Kind: kind, Data: data}})
}

// liveDeskLocked finds the desk agent number reports from with a call in
// progress. h.mu is held.
func (h *Hub) liveDeskLocked(number string) (string, upstream.LiveReport, bool) {
	sv := h.sup()
	var best string
	var rep upstream.LiveReport
	for desk, r := range h.live {
		who := sv.liveAgent[desk]
		if who == "" {
			who = r.Status.Agent
		}
		if who != number || r.Status.CallID == "" || r.Status.Extension == "" {
			continue
		}
		if best == "" || r.SentAt.After(rep.SentAt) {
			best, rep = desk, r
		}
	}
	return best, rep, best != ""
}

// StartMonitor sets up a session on the agent's desk's last live report.
func (h *Hub) StartMonitor(_ context.Context, p upstream.Principal, req upstream.MonitorRequest, at time.Time) (upstream.MonitorGrant, error) {
	h.mu.Lock()
	desk, rep, ok := h.liveDeskLocked(req.Agent)
	if !ok {
		h.auditDetailLocked(p, upstream.AuditMonitorRefused, "agent", req.Agent, map[string]any{"reason": "no_live_call", "mode": req.Mode})
		h.mu.Unlock()
		return upstream.MonitorGrant{}, fmt.Errorf("%w: agent %s", upstream.ErrNoLiveCall, req.Agent)
	}
	tok, err := upstream.NewMonitorToken()
	if err != nil {
		h.mu.Unlock()
		return upstream.MonitorGrant{}, err
	}
	show := h.settings != nil && h.settings.Settings.ShowMonitoring
	id := agent.NewID()
	exp := at.Add(upstream.MonitorTokenTTL)
	m := &memMonitor{token: tok, s: upstream.MonitorSession{ID: id, Supervisor: p.Name, SupervisorNumber: p.Agent, SupervisorDesk: p.Desk,
		Agent: req.Agent, Desk: desk, Extension: rep.Status.Extension, CallID: rep.Status.CallID, Mode: req.Mode, State: upstream.MonitorPending,
		Created: at, Expires: exp}}
	h.sup().monitors[id] = m
	h.auditDetailLocked(p, upstream.AuditMonitorStart, "monitor", id, map[string]any{"agent": req.Agent, "desk": desk, "call_id": m.s.CallID, "mode": req.Mode})
	h.deskEventLocked(desk, upstream.DeskEventMonitor, at, upstream.MonitorNotice{Session: id, Token: tok, CallID: m.s.CallID, Mode: req.Mode,
		Expires: exp, ExpiresIn: upstream.Seconds(upstream.MonitorTokenTTL.Seconds()), Supervisor: p.Name, SupervisorNumber: p.Agent, ShowMonitoring: show, At: at})
	h.mu.Unlock()
	h.Notify(upstream.Change{Desk: desk})
	return upstream.MonitorGrant{Session: id, Token: tok, Agent: req.Agent, Desk: desk, Extension: m.s.Extension, CallID: m.s.CallID,
		Mode: req.Mode, Expires: exp, ExpiresIn: upstream.Seconds(upstream.MonitorTokenTTL.Seconds()), ShowMonitoring: show}, nil
}

func (h *Hub) monitorLocked(id string, at time.Time) (*memMonitor, upstream.MonitorSession, error) {
	m := h.sup().monitors[id]
	if m == nil {
		return nil, upstream.MonitorSession{}, fmt.Errorf("%w: no monitoring session %s", upstream.ErrNotFound, id)
	}
	s := m.s
	s.State = upstream.MonitorStateAt(s.State, s.Expires, at)
	for _, e := range h.audit {
		if e.SubjectKind == "monitor" && e.Subject == id {
			st := upstream.MonitorStep{At: e.At, Action: e.Action, Actor: e.Actor, Desk: e.Desk}
			var d struct {
				Kind   string               `json:"kind"`
				Mode   upstream.MonitorMode `json:"mode"`
				Reason string               `json:"reason"`
			}
			_ = json.Unmarshal(e.Detail, &d)
			st.Kind, st.Mode, st.Reason = d.Kind, d.Mode, d.Reason
			s.Trail = append(s.Trail, st)
		}
	}
	return m, s, nil
}

// MonitorSession returns a session with its trail.
func (h *Hub) MonitorSession(_ context.Context, id string, at time.Time) (upstream.MonitorSession, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, s, err := h.monitorLocked(id, at)
	return s, err
}

// SetMonitorMode switches an open session's mode.
func (h *Hub) SetMonitorMode(_ context.Context, p upstream.Principal, id string, mode upstream.MonitorMode, at time.Time) (upstream.MonitorSession, error) {
	h.mu.Lock()
	m, s, err := h.monitorLocked(id, at)
	if err == nil && !s.Open() {
		err = fmt.Errorf("%w: session %s is %s", upstream.ErrConflict, id, s.State)
	}
	if err != nil {
		h.mu.Unlock()
		return upstream.MonitorSession{}, err
	}
	m.s.Mode = mode
	h.auditDetailLocked(p, upstream.AuditMonitorMode, "monitor", id, map[string]any{"mode": mode})
	h.deskEventLocked(m.s.Desk, upstream.DeskEventMonitorMode, at, upstream.MonitorNotice{Session: id, CallID: m.s.CallID, Mode: mode, Supervisor: m.s.Supervisor, At: at})
	_, s, _ = h.monitorLocked(id, at)
	desk := m.s.Desk
	h.mu.Unlock()
	h.Notify(upstream.Change{Desk: desk})
	return s, nil
}

// endMonitorLocked ends an open session. h.mu is held.
func (h *Hub) endMonitorLocked(p upstream.Principal, m *memMonitor, reason string, at time.Time) {
	m.s.State, m.s.Ended, m.s.EndReason = upstream.MonitorEnded, at, reason
	h.auditDetailLocked(p, upstream.AuditMonitorEnd, "monitor", m.s.ID, map[string]any{"reason": reason})
	h.deskEventLocked(m.s.Desk, upstream.DeskEventMonitorEnd, at, upstream.MonitorNotice{Session: m.s.ID, Token: m.token, CallID: m.s.CallID,
		Mode: m.s.Mode, Supervisor: m.s.Supervisor, Reason: reason, At: at})
}

// EndMonitor ends a session; one over already is returned as it is.
func (h *Hub) EndMonitor(_ context.Context, p upstream.Principal, id, reason string, at time.Time) (upstream.MonitorSession, error) {
	h.mu.Lock()
	m, s, err := h.monitorLocked(id, at)
	if err != nil {
		h.mu.Unlock()
		return s, err
	}
	if s.Open() {
		h.endMonitorLocked(p, m, reason, at)
	}
	_, s, _ = h.monitorLocked(id, at)
	desk := m.s.Desk
	h.mu.Unlock()
	h.Notify(upstream.Change{Desk: desk})
	return s, nil
}

// ReportMonitor records a desk's report.
func (h *Hub) ReportMonitor(_ context.Context, p upstream.Principal, id string, r upstream.MonitorReport, at time.Time) (upstream.MonitorSession, error) {
	h.mu.Lock()
	m, s, err := h.monitorLocked(id, at)
	if err == nil && p.Role != upstream.RoleSupervisor && p.Desk != m.s.Desk {
		err = fmt.Errorf("%w: desk %s is not the agent's desk of session %s", upstream.ErrForbidden, p.Desk, id)
	}
	if err != nil {
		h.mu.Unlock()
		return s, err
	}
	h.auditDetailLocked(p, upstream.AuditMonitorReport, "monitor", id, map[string]any{"kind": r.Kind, "mode": r.Mode, "reason": r.Reason, "at": r.At})
	switch {
	case r.Kind == upstream.MonitorStarted && m.s.State == upstream.MonitorPending:
		m.s.State, m.s.Started = upstream.MonitorActive, at
	case r.Kind == upstream.MonitorModed && s.Open():
		m.s.Mode = r.Mode
	case r.Kind == upstream.MonitorEndedBy && s.Open():
		reason := r.Reason
		if reason == "" {
			reason = "desk"
		}
		h.endMonitorLocked(p, m, reason, at)
	}
	_, s, _ = h.monitorLocked(id, at)
	h.mu.Unlock()
	return s, nil
}

// DeskEvents returns desk's events after after, or from since.
func (h *Hub) DeskEvents(_ context.Context, desk string, after int64, since time.Time) ([]upstream.DeskEvent, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []upstream.DeskEvent
	for _, e := range h.sup().events {
		if e.desk == desk && e.ev.ID > after && !e.at.Before(since) {
			out = append(out, e.ev)
		}
	}
	return out, nil
}

// AddCoaching files a note, its agent taken from the call record it names
// when left out.
func (h *Hub) AddCoaching(_ context.Context, p upstream.Principal, n agent.CoachingNote, at time.Time) (upstream.Record, error) {
	h.mu.Lock()
	if n.Agent == "" {
		for k, c := range h.records {
			var call agent.Call
			if k.kind == agent.KindCall && !c.Deleted && json.Unmarshal(c.Body, &call) == nil &&
				(k.id == n.CallRecord || (n.CallID != "" && call.CallID == n.CallID)) {
				n.Agent, n.CallRecord, n.CallID = call.Agent, k.id, call.CallID
			}
		}
	}
	if n.Agent == "" {
		h.mu.Unlock()
		return upstream.Record{}, fmt.Errorf("%w: no call %s%s on the hub", upstream.ErrNotFound, n.CallID, n.CallRecord)
	}
	if n.ID == "" {
		n.ID = agent.NewID()
	}
	n.Version, n.By, n.ByNumber, n.Desk = max(n.Version, 1), p.Name, p.Agent, upstream.HubDesk
	if n.At.IsZero() {
		n.At = at
	}
	n.CreatedAt, n.UpdatedAt = at, at
	if err := n.Validate(); err != nil {
		h.mu.Unlock()
		return upstream.Record{}, fmt.Errorf("%w: %v", upstream.ErrInvalid, err)
	}
	body, _ := json.Marshal(n)
	h.rev++
	k := recordKey{agent.KindCoaching, n.ID}
	h.records[k], h.revs[k] = upstream.Copy{Version: n.Version, Desk: upstream.HubDesk, Body: body}, h.rev
	h.auditDetailLocked(p, upstream.AuditCoachingAdd, "coaching", n.ID, map[string]any{"agent": n.Agent, "call_id": n.CallID})
	var desks []string
	for desk, r := range h.live {
		if h.sup().liveAgent[desk] == n.Agent || r.Status.Agent == n.Agent {
			desks = append(desks, desk)
			h.deskEventLocked(desk, upstream.DeskEventCoaching, at, upstream.CoachingNotice{ID: n.ID, Agent: n.Agent, CallID: n.CallID, By: n.By, At: n.At})
		}
	}
	rec := upstream.Record{Seq: uint64(h.rev), Kind: agent.KindCoaching, ID: n.ID, Version: n.Version, At: at, Body: body}
	h.mu.Unlock()
	for _, d := range desks {
		h.Notify(upstream.Change{Desk: d})
	}
	return rec, nil
}

// Coaching returns who's notes changed after since, as Callbacks does.
func (h *Hub) Coaching(_ context.Context, p upstream.Principal, who string, since int64, limit int) (upstream.CoachingPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.mayPullLocked(p, who) {
		return upstream.CoachingPage{}, fmt.Errorf("%w: agent %s is not signed in at desk %s", upstream.ErrForbidden, who, p.Desk)
	}
	page := upstream.CoachingPage{Next: since}
	var keys []recordKey
	for k, rev := range h.revs {
		var n agent.CoachingNote
		if c := h.records[k]; k.kind == agent.KindCoaching && rev > since && json.Unmarshal(c.Body, &n) == nil && n.Agent == who {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b recordKey) int { return int(h.revs[a] - h.revs[b]) })
	for i, k := range keys {
		if i == limit {
			page.More = true
			break
		}
		c := h.records[k]
		page.Notes = append(page.Notes, upstream.Record{Seq: uint64(h.revs[k]), Kind: k.kind, ID: k.id, Version: c.Version, Body: c.Body})
		page.Next = h.revs[k]
	}
	return page, nil
}

// PutRecording keeps a recording's audio for the desk of its record.
func (h *Hub) PutRecording(_ context.Context, p upstream.Principal, id string, audio io.Reader, at time.Time) (upstream.RecordingAudio, error) {
	h.mu.Lock()
	c, ok := h.records[recordKey{agent.KindRecording, id}]
	h.mu.Unlock()
	if !ok || c.Deleted {
		return upstream.RecordingAudio{}, fmt.Errorf("%w: no recording %s on the hub", upstream.ErrNotFound, id)
	}
	if c.Desk != p.Desk {
		return upstream.RecordingAudio{}, fmt.Errorf("%w: recording %s is desk %s's", upstream.ErrForbidden, id, c.Desk)
	}
	data, err := io.ReadAll(audio)
	if err != nil {
		return upstream.RecordingAudio{}, fmt.Errorf("recording %s: %w", id, err)
	}
	sum := sha256.Sum256(data)
	info := upstream.RecordingAudio{ID: id, Desk: c.Desk, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Uploaded: at, UploadedBy: p.Name}
	if wr, ok := audio.(*upstream.WAVReader); ok {
		info.Format, _ = wr.Format()
		info.Seconds = info.Format.Seconds()
	}
	var rec agent.Recording
	if json.Unmarshal(c.Body, &rec) == nil {
		info.CallID = rec.CallID
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.sup().audio[id]; old != nil {
		if !bytes.Equal(old.data, data) {
			return upstream.RecordingAudio{}, fmt.Errorf("%w: recording %s has other audio", upstream.ErrConflict, id)
		}
		return old.info, nil
	}
	h.sup().audio[id] = &memAudio{info: info, data: data}
	h.auditDetailLocked(p, upstream.AuditRecordingUpload, "recording", id, map[string]any{"size": info.Size, "sha256": info.SHA256})
	return info, nil
}

// Recording audits the fetch and sends the audio.
func (h *Hub) Recording(_ context.Context, p upstream.Principal, id string, send func(upstream.RecordingAudio, io.Reader) error) error {
	h.mu.Lock()
	a := h.sup().audio[id]
	if a == nil {
		h.mu.Unlock()
		return fmt.Errorf("%w: no audio for recording %s", upstream.ErrNotFound, id)
	}
	h.auditDetailLocked(p, upstream.AuditRecordingRead, "recording", id, map[string]any{"call_id": a.info.CallID})
	info, data := a.info, a.data
	h.mu.Unlock()
	return send(info, bytes.NewReader(data))
}

// Recordings lists the recordings q asks for, newest first, as the hub
// does.
func (h *Hub) Recordings(_ context.Context, q upstream.RecordingQuery, desk string) (upstream.RecordingList, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var all []upstream.RecordingInfo
	for k, c := range h.records {
		var rec agent.Recording
		if k.kind != agent.KindRecording || c.Deleted || (desk != "" && c.Desk != desk) || json.Unmarshal(c.Body, &rec) != nil {
			continue
		}
		if (q.Agent != "" && rec.Agent != q.Agent) || (!q.From.IsZero() && rec.Started.Before(q.From)) || (!q.To.IsZero() && !rec.Started.Before(q.To)) {
			continue
		}
		info := upstream.RecordingInfo{ID: k.id, Agent: rec.Agent, Desk: c.Desk, CallID: rec.CallID, Started: rec.Started,
			Duration: upstream.Seconds(rec.Duration.Seconds()), Paused: upstream.Seconds(rec.Paused.Seconds()), Channels: rec.Channels}
		if a := h.sup().audio[k.id]; a != nil {
			info.Audio, info.Size, info.SHA256 = true, a.info.Size, a.info.SHA256
		}
		all = append(all, info)
	}
	slices.SortFunc(all, func(a, b upstream.RecordingInfo) int {
		if c := b.Started.Compare(a.Started); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	l := upstream.RecordingList{Recordings: all}
	if q.Limit > 0 && len(all) > q.Limit {
		l.Recordings, l.More = all[:q.Limit], true
	}
	return l, nil
}
