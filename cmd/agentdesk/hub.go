package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/agent/upstream"
	"agentdesk/cmd/internal/storesync"
	"agentdesk/scripts"
)

// hubLink is the window's connection to the hub. The window holds the
// bbolt file, so `deskctl sync` cannot run beside it: the sync client runs
// here, in-process, and feeds its status into the desk (status bar). It
// also reports the agent's state and call events live, reads the
// supervisors' board (when the token may), and publishes the trainer's
// packs.
type hubLink struct {
	base  string
	token string
	d     *desk.Desk
	out   storesync.Store
	c     *upstream.Client
	http  *http.Client
	log   *slog.Logger

	mu      sync.Mutex
	events  []upstream.CallEvent
	board   *upstream.Board // the latest board from the hub, nil if none
	onBoard func()          // told when board changes
	kick    chan struct{}   // a live report is due at once

	stopWatch func()
	cancel    context.CancelFunc
	done      sync.WaitGroup
}

// lastSyncCursor is the Inbox cursor where upstream.Client keeps the time
// of its last complete round (Unix nanoseconds).
const lastSyncCursor = "last_sync"

// maxLiveEvents bounds the call events kept while the hub is away (live
// events are for the board only; the calls' records are in the outbox).
const maxLiveEvents = 500

// newHubLink connects the desk to cfg's hub; nil, nil when none is set.
// opts are added to the sync client's (tests make it fast).
func newHubLink(cfg desk.Config, st *store.Store, d *desk.Desk, log *slog.Logger, opts ...upstream.ClientOption) (*hubLink, error) {
	if cfg.Hub.URL == "" {
		return nil, nil
	}
	h := &hubLink{base: strings.TrimRight(cfg.Hub.URL, "/"), token: string(cfg.Hub.Token), d: d, out: storesync.New(st),
		http: &http.Client{Timeout: 15 * time.Second}, log: log.With("component", "hub_link"), kick: make(chan struct{}, 1)}
	langs := scripts.Langs()
	all := append([]upstream.ClientOption{upstream.WithLogger(h.log), upstream.WithLangs(langs...),
		upstream.WithInterval(5 * time.Second), upstream.OnStatus(h.status), upstream.WithLiveSource(h.live)}, opts...)
	c, err := upstream.NewClient(h.base, h.token, h.out, h.out, all...)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", cfg.Hub.URL, err)
	}
	h.c = c
	// Until the first round: what is waiting, and the last sync kept on
	// the desk by an earlier run (the client's "last_sync" cursor).
	first := desk.SyncStatus{Enabled: true}
	first.Pending, _, _ = h.out.Stats()
	if v, err := h.out.Cursor(lastSyncCursor); err == nil && v > 0 {
		first.LastSync = time.Unix(0, v)
	}
	_ = d.SetSync(first)
	return h, nil
}

// start runs the sync client, the live reports and the board stream until
// stop.
func (h *hubLink) start(ctx context.Context) {
	if h == nil {
		return
	}
	ctx, h.cancel = context.WithCancel(ctx)
	lastAgent := agent.AgentStatus(255) // none yet: the first snapshot reports
	h.stopWatch = h.d.Watch(h.callEvent)
	stopSub := h.d.Subscribe(func(s desk.State) {
		if s.Agent.Status != lastAgent {
			lastAgent = s.Agent.Status
			h.poke()
		}
	})
	h.done.Add(3)
	go func() {
		defer h.done.Done()
		defer stopSub()
		if err := h.c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Error("sync stopped", "error", err)
		}
	}()
	go func() { defer h.done.Done(); h.reportLive(ctx) }()
	go func() { defer h.done.Done(); h.followBoard(ctx) }()
}

// stop ends the goroutines and waits for them (the store closes after).
func (h *hubLink) stop() {
	if h == nil || h.cancel == nil {
		return
	}
	h.cancel()
	if h.stopWatch != nil {
		h.stopWatch()
	}
	h.done.Wait()
}

// syncOnce runs one sync round now (and feeds the desk its status).
func (h *hubLink) syncOnce(ctx context.Context) error { return h.c.SyncOnce(ctx) }

// status feeds the client's status into the desk's status bar.
func (h *hubLink) status(st upstream.Status) {
	_ = h.d.SetSync(desk.SyncStatus{Enabled: true, Pending: st.Pending, LastSync: st.LastSync, Failing: st.Failures > 0})
}

// callEvent queues a call event for the board and asks for a live report.
func (h *hubLink) callEvent(e desk.WatchEvent) {
	if e.CallID == "" {
		return // registration events are not the board's
	}
	h.mu.Lock()
	if len(h.events) >= maxLiveEvents {
		h.events = h.events[1:]
	}
	h.events = append(h.events, upstream.CallEvent{Kind: e.Event, CallID: e.CallID, Direction: e.Direction, Caller: e.Number, At: e.At})
	h.mu.Unlock()
	h.poke()
}

func (h *hubLink) poke() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// live is the client's live source: the agent's state now and the call
// events not yet reported.
func (h *hubLink) live() (upstream.AgentStatus, []upstream.CallEvent) {
	s := h.d.State()
	st := upstream.AgentStatus{Agent: s.Agent.Agent, State: s.Agent.Status.String(), Since: s.Agent.Since}
	h.mu.Lock()
	ev := h.events
	h.events = nil
	h.mu.Unlock()
	return st, ev
}

// reportLive sends a live report at once on every change of the agent's
// state and every call event (the sync rounds carry the heartbeat).
func (h *hubLink) reportLive(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.kick:
		}
		st, ev := h.live()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := h.c.Live(cctx, st, ev); err != nil && ctx.Err() == nil {
			h.log.Debug("live report", "error", err)
			h.mu.Lock() // keep the events for the next report
			h.events = append(ev, h.events...)
			if n := len(h.events); n > maxLiveEvents {
				h.events = h.events[n-maxLiveEvents:]
			}
			h.mu.Unlock()
		}
		cancel()
	}
}

// request sends an authorised request to the hub and decodes a 2xx answer
// into out; a refusal is an *upstream.HTTPError with the hub's reason.
func (h *hubLink) request(ctx context.Context, method, path string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, err := h.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return refusal(resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode hub answer to %s: %w", path, err)
	}
	return nil
}

func refusal(resp *http.Response) error {
	var eb upstream.ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
		eb.Error = strings.TrimSpace(string(b))
	}
	return &upstream.HTTPError{Status: resp.StatusCode, Msg: eb.Error}
}

// followBoard keeps the latest board from the hub's stream, reconnecting
// with a growing pause. A token that may not read the board (an agent's)
// stops it: the supervisor view then shows the local desk.
func (h *hubLink) followBoard(ctx context.Context) {
	wait := time.Second
	for ctx.Err() == nil {
		began := time.Now()
		err := h.stream(ctx)
		if time.Since(began) > 30*time.Second {
			wait = time.Second // it was up a while: a fresh failure
		}
		var he *upstream.HTTPError
		if errors.As(err, &he) && (he.Status == http.StatusForbidden || he.Status == http.StatusUnauthorized) {
			h.log.Info("board not available to this token; supervisor view shows this desk", "status", he.Status)
			h.setBoard(nil)
			return
		}
		if ctx.Err() != nil {
			return
		}
		// A stale board must not pass for the hub's: show this desk's
		// until the stream is back.
		h.setBoard(nil)
		h.log.Debug("board stream", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// stream reads /v1/stream until it ends, keeping every board it sends.
func (h *hubLink) stream(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.base+"/v1/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{Transport: h.http.Transport}).Do(req) // no timeout: a stream is long
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return refusal(resp)
	}
	return readEvents(resp.Body, func(name string, data []byte) {
		if name != "board" {
			return // alerts come with the next board too
		}
		var b upstream.Board
		if err := json.Unmarshal(data, &b); err != nil {
			h.log.Warn("board event", "error", err)
			return
		}
		h.setBoard(&b)
	})
}

// readEvents parses server-sent events, calling fn per event.
func readEvents(r io.Reader, fn func(name string, data []byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), upstream.MaxPushBytes)
	var name string
	var data bytes.Buffer
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data.Len() > 0 {
				fn(name, bytes.TrimSuffix(data.Bytes(), []byte("\n")))
			}
			name = ""
			data.Reset()
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			data.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

func (h *hubLink) setBoard(b *upstream.Board) {
	h.mu.Lock()
	h.board = b
	f := h.onBoard
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

// applyBoard replaces the local board in m with the hub's, when there is
// one. Safe on a nil link.
func (h *hubLink) applyBoard(m *ui.Model) {
	if h == nil {
		return
	}
	h.mu.Lock()
	b := h.board
	h.mu.Unlock()
	if b == nil {
		return
	}
	m.Supervisor = boardModel(*b, m.Supervisor.Major)
}

// boardModel turns the hub's board into the supervisor view's. Major
// reports this desk made but has not synced yet (local) are kept.
func boardModel(b upstream.Board, local []string) ui.Board {
	out := ui.Board{FromHub: true}
	for _, a := range b.Agents {
		out.Agents = append(out.Agents, ui.BoardRow{Who: orDefault(a.Agent, a.Desk), State: a.State})
	}
	for _, q := range b.Queues {
		out.Queues = append(out.Queues, fmt.Sprintf("%s: %d ☎ / %d ✆", orDefault(q.Queue, "—"), q.Ringing, q.Talking))
	}
	seen := map[string]bool{}
	for _, a := range b.Alerts {
		var al agent.Alert
		summary := a.ID
		if json.Unmarshal(a.Body, &al) == nil && al.Summary != "" {
			summary = al.Summary
		}
		seen[summary] = true
		out.Major = append(out.Major, a.Received.Local().Format("15:04")+" "+summary)
	}
	for _, s := range local {
		if !seen[s] {
			out.Major = append(out.Major, s)
		}
	}
	for _, o := range b.Overdue {
		out.Overdue = append(out.Overdue, o.Due.Local().Format("01-02 15:04")+" "+o.ID)
	}
	names := map[string]string{} // desk → agent, for the unsynced list
	for _, a := range b.Agents {
		names[a.Desk] = a.Agent
	}
	for _, s := range b.Today {
		out.Today = append(out.Today, ui.AgentStats{Who: orDefault(s.Agent, names[s.Desk]), Inbound: s.Inbound,
			Outbound: s.Outbound, Answered: s.Answered, Missed: s.Missed})
	}
	for _, d := range b.Unsynced {
		line := fmt.Sprintf("%s: %d", orDefault(names[d.Desk], d.Desk), d.Pending)
		if !d.Oldest.IsZero() {
			line += " · " + d.Oldest.Local().Format("01-02 15:04")
		}
		out.Unsynced = append(out.Unsynced, line)
	}
	return out
}

// publish sends the trainer's pack to the hub. A refusal comes back as a
// ui.PublishError the trainer view translates, with the hub's reason.
func (h *hubLink) publish(ctx context.Context, text string) (upstream.Pack, error) {
	var pk upstream.Pack
	if h == nil {
		return pk, ui.ErrNeedsHub
	}
	name := "pack.toml"
	lang := ""
	if p, err := scripts.Parse(name, []byte(text)); err == nil {
		lang = p.Lang()
	} else {
		// The hub validates too; refuse here so nothing is sent.
		return pk, &ui.PublishError{ID: "tr.refused.invalid", Detail: err.Error()}
	}
	q := url.Values{"name": {name}, "lang": {lang}}
	err := h.request(ctx, http.MethodPost, "/v1/packs?"+q.Encode(), strings.NewReader(text), &pk)
	var he *upstream.HTTPError
	switch {
	case err == nil:
		return pk, nil
	case errors.As(err, &he):
		id := "tr.refused.other"
		switch he.Status {
		case http.StatusUnauthorized:
			id = "tr.refused.auth"
		case http.StatusForbidden:
			id = "tr.refused.role"
		case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
			id = "tr.refused.invalid"
		}
		return pk, &ui.PublishError{ID: id, Detail: he.Msg}
	default:
		return pk, &ui.PublishError{ID: "tr.hubdown", Detail: err.Error()}
	}
}

// hubPack is the trainer's pack tools with Publish through the hub.
type hubPack struct {
	packTools
	link *hubLink
}

// Publish implements ui.PackTools.
func (p hubPack) Publish(text string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.link.publish(ctx, text)
	return err
}

// withHubChecks replaces the self-check's hub items with the link's own:
// "hub reachable" asks the hub's /healthz and then whether it knows the
// token (one sync-free request), "records waiting to sync" says how many
// and since when, and fails while the sync is failing.
func withHubChecks(in []ui.CheckResult, h *hubLink) []ui.CheckResult {
	if h == nil {
		return in
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make([]ui.CheckResult, 0, len(in))
	for _, r := range in {
		switch r.Name {
		case "check.hub":
			out = append(out, result("check.hub", h.ping(ctx), h.base))
		case "check.outbox":
			out = append(out, h.outboxCheck())
		default:
			out = append(out, r)
		}
	}
	return out
}

// ping checks the hub answers and accepts the token.
func (h *hubLink) ping(ctx context.Context) error {
	if err := h.request(ctx, http.MethodGet, "/healthz", nil, nil); err != nil {
		return fmt.Errorf("hub health: %w", err)
	}
	// Any role may read the latest pack; 404 (none published) still
	// proves the token.
	err := h.request(ctx, http.MethodGet, "/v1/packs/latest?lang="+scripts.DefaultLang, nil, nil)
	var he *upstream.HTTPError
	if errors.As(err, &he) && he.Status == http.StatusNotFound {
		return nil
	}
	return err
}

func (h *hubLink) outboxCheck() ui.CheckResult {
	n, oldest, err := h.out.Stats()
	if err != nil {
		return result("check.outbox", err, "")
	}
	st := h.c.Status()
	detail := fmt.Sprint(n)
	if n > 0 && !oldest.IsZero() {
		detail += " · " + oldest.Local().Format("2006-01-02 15:04")
	}
	if !st.LastSync.IsZero() {
		detail += " · ✓ " + st.LastSync.Local().Format("15:04:05")
	}
	if st.Failures > 0 && n > 0 {
		return ui.CheckResult{Name: "check.outbox", Detail: detail + " · " + st.LastError}
	}
	return ui.CheckResult{Name: "check.outbox", OK: true, Detail: detail}
}

// setHub makes the backend show the hub's board when there is one, and
// redraw when it changes.
func (b *deskBackend) setHub(h *hubLink) {
	b.mu.Lock()
	b.hub = h
	b.mu.Unlock()
	if h != nil {
		h.mu.Lock()
		h.onBoard = b.refresh
		h.mu.Unlock()
	}
}
