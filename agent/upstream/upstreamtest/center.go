package upstreamtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
)

// PutCallback stores a callback task as the hub's own (desk
// upstream.HubDesk), as the member plan does.
func (h *Hub) PutCallback(cb agent.Callback) {
	body, err := json.Marshal(cb)
	if err != nil {
		panic(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rev++
	k := recordKey{agent.KindCallback, cb.ID}
	h.records[k], h.revs[k] = upstream.Copy{Version: cb.Version, Desk: upstream.HubDesk, Body: body}, h.rev
}

// SetSettings stores the center's settings as the next version and
// returns them.
func (h *Hub) SetSettings(s agent.CenterSettings, by string) upstream.Settings {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := int64(1)
	if h.settings != nil {
		v = h.settings.Version + 1
	}
	h.settings = &upstream.Settings{Version: v, Settings: s, UpdatedAt: time.Now(), UpdatedBy: by}
	return *h.settings
}

// Settings returns the settings given to SetSettings, or ErrNotFound.
func (h *Hub) Settings(context.Context) (upstream.Settings, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.settings == nil {
		return upstream.Settings{}, fmt.Errorf("%w: no center settings", upstream.ErrNotFound)
	}
	return *h.settings, nil
}

// callbackOf decodes a stored task; ok is false for a tombstone or a body
// that is no callback.
func callbackOf(c upstream.Copy) (agent.Callback, bool) {
	var cb agent.Callback
	if c.Deleted || json.Unmarshal(c.Body, &cb) != nil {
		return cb, false
	}
	return cb, true
}

// Callbacks returns who's stored tasks changed after since: for a session
// of who, or for a desk's token while a session of who is open at its desk.
func (h *Hub) Callbacks(_ context.Context, p upstream.Principal, who string, since int64, limit int) (upstream.CallbackPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.mayPullLocked(p, who) {
		return upstream.CallbackPage{}, fmt.Errorf("%w: agent %s is not signed in at desk %s", upstream.ErrForbidden, who, p.Desk)
	}
	page := upstream.CallbackPage{Next: since}
	var keys []recordKey
	for k, rev := range h.revs {
		if cb, ok := callbackOf(h.records[k]); k.kind == agent.KindCallback && rev > since && ok && cb.Agent == who {
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
		page.Callbacks = append(page.Callbacks, upstream.Record{Seq: uint64(h.revs[k]), Kind: k.kind, ID: k.id, Version: c.Version, Body: c.Body})
		page.Next = h.revs[k]
	}
	return page, nil
}

// mayPullLocked says whether p may pull who's tasks. h.mu is held.
func (h *Hub) mayPullLocked(p upstream.Principal, who string) bool {
	if p.Kind == upstream.TokenSession {
		return p.Agent == who
	}
	now := time.Now()
	for _, q := range h.tokens {
		if q.Kind == upstream.TokenSession && q.Agent == who && q.Desk == p.Desk && p.Desk != "" && now.Before(q.Expires) {
			return true
		}
	}
	return false
}

// CallbackReport reports the stored tasks with agent.ReportCallbacks, the
// days read in UTC.
func (h *Hub) CallbackReport(_ context.Context, q upstream.CallbackReportQuery, at time.Time) (agent.CallbackReport, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var cbs []agent.Callback
	for k, c := range h.records {
		if cb, ok := callbackOf(c); k.kind == agent.KindCallback && ok {
			cbs = append(cbs, cb)
		}
	}
	from, _ := q.From.Bounds(time.UTC)
	_, to := q.To.Bounds(time.UTC)
	return agent.ReportCallbacks(cbs, from, to, at, q.Agent), nil
}
