// Package hublink connects a running desk to its hub: it runs the sync
// client (the window holds the bbolt file, so deskctl sync cannot run beside
// it), feeds the sync status and the supervisors' board into the desk,
// reports the agent's state and call events live, and implements desk.Hub
// (publishing, the hub's self-check items). All HTTP goes through
// agent/upstream's client. It lives under cmd because only commands may
// import both agent/store and agent/upstream.
package hublink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
	"agentdesk/cmd/internal/storesync"
	"agentdesk/scripts"
)

// Link is a desk's connection to its hub.
type Link struct {
	base string
	d    *desk.Desk
	out  storesync.Store
	c    *upstream.Client
	log  *slog.Logger

	mu     sync.Mutex
	events []upstream.CallEvent
	// refused is the newest version of each language's pack the desk
	// refused (it did not parse): not pulled again.
	refused map[string]int64
	kick    chan struct{} // a live report is due at once

	stopWatch func()
	cancel    context.CancelFunc
	done      sync.WaitGroup

	dataDir    string // where the hub's center settings are kept for offline starts
	st         *store.Store
	recDir     string        // the desk's recordings folder
	uploadKick chan struct{} // a pass of the recordings uploader is due
	lastSync   time.Time     // the last round seen complete
	me         string        // the agent's work number
	pulled     int           // callback tasks and coaching notes pulled so far
	ext        string        // the desk's SIP extension, for supervisors to dial
}

// maxLiveEvents bounds the call events kept while the hub is away (live
// events are for the board only; the calls' records are in the outbox).
const maxLiveEvents = 500

// maxClockOffset is how far the desk's clock may be from the hub's before
// the self-check fails: deadlines, ring timers and greetings depend on it.
const maxClockOffset = 2 * time.Minute

// New makes the link for cfg's hub; nil, nil when none is set. opts are
// added to the sync client's (tests make it fast). Nothing reaches the
// network before Start.
func New(cfg desk.Config, st *store.Store, log *slog.Logger, opts ...upstream.ClientOption) (*Link, error) {
	if cfg.Hub.URL == "" {
		return nil, nil
	}
	l := &Link{base: strings.TrimRight(cfg.Hub.URL, "/"), out: storesync.New(st),
		log: log.With("component", "hub_link"), kick: make(chan struct{}, 1), dataDir: cfg.Data}
	me := cfg.AgentID()
	l.me, l.ext = me, cfg.PBX.User
	l.st, l.recDir, l.uploadKick = st, cfg.RecordingsDir(), make(chan struct{}, 1)
	all := append([]upstream.ClientOption{upstream.WithLogger(l.log), upstream.WithLangs(scripts.Langs()...),
		upstream.WithInterval(5 * time.Second), upstream.OnStatus(l.status), upstream.WithLiveSource(l.live),
		upstream.WithCAFile(cfg.Hub.CA), upstream.OnSettings(l.settings),
		// The hub plans the center's callbacks; the desk pulls its agent's.
		upstream.WithAgents(func() []string {
			if me == "" {
				return nil
			}
			return []string{me}
		}), upstream.WithCoachingPull()}, opts...)
	c, err := upstream.NewClient(l.base, string(cfg.Hub.Token), l.out, packInbox{Store: l.out, l: l}, all...)
	if err != nil {
		return nil, fmt.Errorf("hub %s: %w", cfg.Hub.URL, err)
	}
	l.c = c
	return l, nil
}

// Client is the link's sync client.
func (l *Link) Client() *upstream.Client { return l.c }

// Attach makes d the desk the link feeds; call it before Start.
func (l *Link) Attach(d *desk.Desk) {
	l.d = d
	// Until the first round: what is waiting, and the last sync kept on
	// the desk by an earlier run.
	first := desk.SyncStatus{Enabled: true}
	first.Pending, _, _ = l.out.Stats()
	if v, err := l.out.Cursor("last_sync"); err == nil && v > 0 {
		first.LastSync = time.Unix(0, v)
	}
	_ = d.SetSync(first)
}

// Start runs the sync client, the live reports and the board stream until
// Stop.
func (l *Link) Start(ctx context.Context) {
	if l == nil {
		return
	}
	ctx, l.cancel = context.WithCancel(ctx)
	lastAgent := agent.AgentStatus(255) // none yet: the first snapshot reports
	l.stopWatch = l.d.Watch(l.callEvent)
	stopSub := l.d.Subscribe(func(s desk.State) {
		if s.Agent.Status != lastAgent {
			lastAgent = s.Agent.Status
			l.poke()
		}
	})
	l.done.Add(5)
	go func() {
		defer l.done.Done()
		defer stopSub()
		if err := l.c.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			l.log.Error("sync stopped", "error", err)
		}
	}()
	go func() { defer l.done.Done(); l.reportLive(ctx) }()
	go func() { defer l.done.Done(); l.followBoard(ctx) }()
	go func() { defer l.done.Done(); l.followDesk(ctx) }()
	go func() { defer l.done.Done(); l.uploader(ctx) }()
}

// Stop ends the goroutines and waits for them (the store closes after).
func (l *Link) Stop() {
	if l == nil || l.cancel == nil {
		return
	}
	l.cancel()
	if l.stopWatch != nil {
		l.stopWatch()
	}
	l.done.Wait()
}

// settingsFile keeps the center settings the hub last sent, so a desk that
// starts while the hub is away applies them still.
const settingsFile = "hub-settings.json"

// settings applies the center settings the hub sent and keeps them; it
// runs on the sync goroutine, so the desk takes them in the background. A
// version the desk cannot read is refused whole: the desk keeps its rules.
func (l *Link) settings(s upstream.Settings) {
	c, err := s.Settings.Center()
	if err != nil {
		l.log.Warn("center settings from the hub refused; keeping the desk's", "version", s.Version, "error", err)
		return
	}
	if raw, err := json.Marshal(s); err == nil && l.dataDir != "" {
		if err := writeFileAtomic(filepath.Join(l.dataDir, settingsFile), raw); err != nil {
			l.log.Warn("keep center settings", "error", err)
		}
	}
	l.log.Info("center settings from the hub", "version", s.Version, "by", s.UpdatedBy)
	go func() {
		if err := l.d.SetCenter(c); err != nil && !errors.Is(err, desk.ErrClosed) {
			l.log.Warn("apply center settings", "error", err)
		}
	}()
}

// SavedCenter is the center's rules as the hub last sent them to this
// data folder; false when it never did (or what was kept is unreadable).
func SavedCenter(dataDir string) (agent.Center, bool) {
	raw, err := os.ReadFile(filepath.Join(dataDir, settingsFile))
	if err != nil {
		return agent.Center{}, false
	}
	var s upstream.Settings
	if json.Unmarshal(raw, &s) != nil {
		return agent.Center{}, false
	}
	c, err := s.Settings.Center()
	return c, err == nil
}

// writeFileAtomic replaces path with data (0600) in one step.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// status feeds the client's status into the desk's status bar.
func (l *Link) status(st upstream.Status) {
	l.mu.Lock()
	pulled := st.PulledCallbacks + st.PulledCoaching
	fresh := pulled != l.pulled
	l.pulled = pulled
	synced := st.LastSync.After(l.lastSync) && st.Pending == 0
	if synced {
		l.lastSync = st.LastSync
	}
	l.mu.Unlock()
	if synced {
		l.kickUpload() // every record is on the hub: the recordings' audio can follow
	}
	if fresh {
		l.d.Reload() // tasks or notes arrived: the lists show them
	}
	_ = l.d.SetSync(desk.SyncStatus{Enabled: true, Pending: st.Pending, LastSync: st.LastSync, Failing: st.Failures > 0})
}

// callEvent queues a call event for the board and asks for a live report.
func (l *Link) callEvent(e desk.WatchEvent) {
	if e.CallID == "" {
		return // registration events are not the board's
	}
	l.mu.Lock()
	if len(l.events) >= maxLiveEvents {
		l.events = l.events[1:]
	}
	l.events = append(l.events, upstream.CallEvent{Kind: e.Event, CallID: e.CallID, Direction: e.Direction, Caller: e.Number, At: e.At})
	l.mu.Unlock()
	l.poke()
}

func (l *Link) poke() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// live is the client's live source: the agent's state now and the call
// events not yet reported.
func (l *Link) live() (upstream.AgentStatus, []upstream.CallEvent) {
	s := l.d.State()
	st := upstream.AgentStatus{Agent: s.Agent.Agent, State: s.Agent.Status.String(), Since: s.Agent.Since, Extension: l.ext}
	// The call a supervisor may join: answered (or held) on this desk.
	if c, ok := s.Current(); ok && c.Status != desk.CallRinging && !s.Registration.Practice {
		st.CallID, st.CallSince = c.CallID, c.AnsweredAt
	}
	l.mu.Lock()
	ev := l.events
	l.events = nil
	l.mu.Unlock()
	return st, ev
}

// reportLive sends a live report at once on every change of the agent's
// state and every call event (the sync rounds carry the heartbeat).
func (l *Link) reportLive(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.kick:
		}
		st, ev := l.live()
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := l.c.Live(cctx, st, ev); err != nil && ctx.Err() == nil {
			l.log.Debug("live report", "error", err)
			l.mu.Lock() // keep the events for the next report
			l.events = append(ev, l.events...)
			if n := len(l.events); n > maxLiveEvents {
				l.events = l.events[n-maxLiveEvents:]
			}
			l.mu.Unlock()
		}
		cancel()
	}
}

// followBoard keeps the desk's board the hub's while the stream lasts. A
// token that may not read the board (an agent's) stops it: the supervisor
// view then shows the local desk.
func (l *Link) followBoard(ctx context.Context) {
	err := l.c.FollowBoard(ctx, func(b *upstream.Board) {
		if b == nil {
			_ = l.d.SetBoard(nil)
			return
		}
		db := BoardOf(*b)
		_ = l.d.SetBoard(&db)
	})
	if err != nil && ctx.Err() == nil {
		l.log.Info("board not available to this token; supervisor view shows this desk", "error", err)
		_ = l.d.SetBoard(nil)
	}
}

// packInbox is the store's inbox with one check before a pulled pack is
// kept: it must parse (the hub validates too, but a desk never trusts a pack
// it cannot read), and once kept it is applied to the desk at once, without
// a restart. A pack that does not parse is not kept; the desk keeps its last
// good one and says so, once: the refused version counts as had, so the
// next rounds do not pull it again (a newer version, or a rollback, which
// is a newer version too, is pulled as usual).
type packInbox struct {
	storesync.Store
	l *Link
}

// PackID is the newest version kept for lang, or refused, if higher.
func (in packInbox) PackID(lang string) (int64, error) {
	id, err := in.Store.PackID(lang)
	if err != nil {
		return id, err
	}
	in.l.mu.Lock()
	defer in.l.mu.Unlock()
	return max(id, in.l.refused[lang]), nil
}

// SavePack keeps and applies a pack pulled from the hub, if it parses.
func (in packInbox) SavePack(pk upstream.Pack) error {
	p, err := scripts.Parse(pk.Name, pk.Data)
	if err == nil && p.Lang() != pk.Lang {
		err = fmt.Errorf("pack says %s, hub says %s", p.Lang(), pk.Lang)
	}
	if err != nil {
		in.l.log.Warn("published pack refused; keeping the last good one", "lang", pk.Lang, "pack_id", pk.ID, "error", err)
		in.l.mu.Lock()
		if in.l.refused == nil {
			in.l.refused = map[string]int64{}
		}
		in.l.refused[pk.Lang] = max(in.l.refused[pk.Lang], pk.ID)
		in.l.mu.Unlock()
		if in.l.d != nil {
			in.l.d.Notify(desk.NoticePackRefused, map[string]string{"version": fmt.Sprint(pk.ID)})
		}
		return nil // not retried: the next published version may be good
	}
	if err := in.Store.SavePack(pk); err != nil {
		return err
	}
	if in.l.d != nil {
		_ = in.l.d.SetPack(p, desk.PackInfo{Name: pk.Name, Version: pk.ID})
	}
	return nil
}

// BoardOf is the hub's board as the desk shows it.
func BoardOf(b upstream.Board) desk.Board {
	out := desk.Board{FromHub: true, At: b.At}
	names := map[string]string{} // desk → agent
	for _, a := range b.Agents {
		names[a.Desk] = a.Agent
		out.Agents = append(out.Agents, desk.BoardAgent{Agent: a.Agent, Desk: a.Desk, Status: a.State, Since: a.Since, OverLimit: a.OverLimit,
			Number: firstOf(a.Number, a.Agent), CallID: a.CallID, CallSince: a.CallSince})
	}
	for _, q := range b.Queues {
		out.Queues = append(out.Queues, desk.BoardQueue{Queue: q.Queue, Ringing: q.Ringing, Talking: q.Talking, LongestRinging: q.LongestRinging})
	}
	for _, m := range b.Monitors {
		out.Monitors = append(out.Monitors, desk.BoardMonitor{Supervisor: m.Supervisor, Agent: m.Agent, Mode: string(m.Mode),
			State: string(m.State), Created: m.Created, Ended: m.Ended, Reason: m.EndReason})
	}
	for _, a := range b.Alerts {
		al := desk.BoardAlert{ID: a.ID, Kind: a.Kind, At: firstTime(a.At, a.Received), Owner: a.By, To: a.To, Summary: a.Note}
		if al.Owner == "" || al.Summary == "" {
			var body agent.Alert // a hub from before these fields: the record itself
			if json.Unmarshal(a.Body, &body) == nil {
				al.Owner, al.Summary = firstOf(al.Owner, body.Owner), firstOf(al.Summary, body.Summary)
			}
		}
		out.Alerts = append(out.Alerts, al)
	}
	for _, o := range b.Overdue {
		out.Overdue = append(out.Overdue, desk.BoardOverdue{ID: o.ID, Owner: names[o.Desk], Due: o.Due})
	}
	for _, w := range b.Warnings {
		out.Warnings = append(out.Warnings, desk.BoardWarning{ID: w.ID, Owner: firstOf(w.Owner, names[w.Desk]), Status: w.SLAStatus})
	}
	byType := map[string]map[string]int{}
	for _, ct := range b.CallTypes {
		byType[ct.Agent] = ct.ByType
	}
	for _, s := range b.Today {
		who := firstOf(s.Agent, names[s.Desk], s.Desk)
		out.Today = append(out.Today, desk.BoardStats{Agent: who,
			Inbound: s.Inbound, Outbound: s.Outbound, Answered: s.Answered, Missed: s.Missed, ByType: byType[who]})
		delete(byType, who)
	}
	// Agents whose calls the records count but who reported none live today.
	for _, ct := range b.CallTypes {
		if t, ok := byType[ct.Agent]; ok {
			out.Today = append(out.Today, desk.BoardStats{Agent: ct.Agent, ByType: t})
		}
	}
	for _, d := range b.Unsynced {
		out.Unsynced = append(out.Unsynced, desk.BoardDesk{Desk: d.Desk, Agent: names[d.Desk], Pending: d.Pending, Oldest: d.Oldest})
	}
	return out
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Publish implements desk.Hub: the pack goes to the hub; a refusal comes
// back as a *desk.HubError with the hub's reason.
func (l *Link) Publish(ctx context.Context, name string, data []byte) (desk.PackVersion, error) {
	pk, err := l.c.Publish(ctx, name, data)
	if err != nil {
		return desk.PackVersion{}, hubErr(err)
	}
	return versionOf(pk), nil
}

// PackHistory implements desk.Hub.
func (l *Link) PackHistory(ctx context.Context, lang string) ([]desk.PackVersion, error) {
	vs, err := l.c.History(ctx, lang)
	if err != nil {
		return nil, hubErr(err)
	}
	out := make([]desk.PackVersion, len(vs))
	for i, v := range vs {
		out[i] = versionOf(v)
	}
	return out, nil
}

// PackDiff implements desk.Hub.
func (l *Link) PackDiff(ctx context.Context, version int64) (desk.PackDiff, error) {
	d, err := l.c.Diff(ctx, version)
	if err != nil {
		return desk.PackDiff{}, hubErr(err)
	}
	return desk.PackDiff{Version: d.Version, Lang: d.Lang, Live: d.Live, Text: d.Diff}, nil
}

// ReviewPack implements desk.Hub.
func (l *Link) ReviewPack(ctx context.Context, version int64, approve bool, reason string) (desk.PackVersion, error) {
	v, err := l.c.Review(ctx, version, approve, reason)
	if err != nil {
		return desk.PackVersion{}, hubErr(err)
	}
	return versionOf(v), nil
}

// RollbackPack implements desk.Hub.
func (l *Link) RollbackPack(ctx context.Context, version int64, reason string) (desk.PackVersion, error) {
	v, err := l.c.Rollback(ctx, version, reason)
	if err != nil {
		return desk.PackVersion{}, hubErr(err)
	}
	return versionOf(v), nil
}

// versionOf is the hub's pack version as the desk shows it.
func versionOf(v upstream.PackVersion) desk.PackVersion {
	return desk.PackVersion{Version: v.Version, Lang: v.Lang, Name: v.Name, State: string(v.State), Live: v.Live,
		At: v.CreatedAt, By: v.Author, ReviewedBy: v.ReviewedBy, ReviewedAt: v.ReviewedAt, Reason: v.Reason,
		RollbackOf: v.RollbackOf, Size: v.Size}
}

// hubErr maps the client's errors to the desk's.
func hubErr(err error) error {
	var he *upstream.HTTPError
	if !errors.As(err, &he) {
		return &desk.HubError{Err: desk.ErrHubUnreachable, Detail: err.Error()}
	}
	switch {
	case errors.Is(err, upstream.ErrUnauthorized):
		return &desk.HubError{Err: desk.ErrHubToken, Detail: he.Msg}
	case errors.Is(err, upstream.ErrOwnVersion): // before ErrForbidden, which it matches too
		return &desk.HubError{Err: desk.ErrHubOwnVersion, Detail: he.Msg}
	case errors.Is(err, upstream.ErrForbidden):
		return &desk.HubError{Err: desk.ErrHubRole, Detail: he.Msg}
	case errors.Is(err, upstream.ErrConflict):
		return &desk.HubError{Err: desk.ErrHubConflict, Detail: he.Msg}
	}
	return &desk.HubError{Err: desk.ErrHubRefused, Detail: he.Msg}
}

// Checks implements desk.Hub: the hub answers and accepts the token, the
// records waiting to sync (failing while the sync fails), and the desk's
// clock against the hub's.
func (l *Link) Checks(ctx context.Context) []desk.Check {
	out := []desk.Check{l.pingCheck(ctx), l.outboxCheck()}
	off, err := l.c.ClockOffset(ctx)
	switch {
	case err != nil:
		out = append(out, desk.Check{Name: desk.CheckClock, Detail: err.Error()})
	case off > maxClockOffset || off < -maxClockOffset:
		out = append(out, desk.Check{Name: desk.CheckClock, Detail: fmt.Sprintf("%+ds > %v", int64(off/time.Second), maxClockOffset)})
	default:
		out = append(out, desk.Check{Name: desk.CheckClock, OK: true, Detail: fmt.Sprintf("%+ds", int64(off/time.Second))})
	}
	return out
}

func (l *Link) pingCheck(ctx context.Context) desk.Check {
	if err := l.c.Ping(ctx); err != nil {
		return desk.Check{Name: desk.CheckHub, Detail: err.Error()}
	}
	return desk.Check{Name: desk.CheckHub, OK: true, Detail: l.base}
}

func (l *Link) outboxCheck() desk.Check {
	n, oldest, err := l.out.Stats()
	if err != nil {
		return desk.Check{Name: desk.CheckOutbox, Detail: err.Error()}
	}
	st := l.c.Status()
	detail := fmt.Sprint(n)
	if n > 0 && !oldest.IsZero() {
		detail += " · " + oldest.Local().Format("2006-01-02 15:04")
	}
	if !st.LastSync.IsZero() {
		detail += " · ✓ " + st.LastSync.Local().Format("15:04:05")
	}
	if st.Failures > 0 && n > 0 {
		return desk.Check{Name: desk.CheckOutbox, Detail: detail + " · " + st.LastError}
	}
	return desk.Check{Name: desk.CheckOutbox, OK: true, Detail: detail}
}

// CallbackReport asks the hub for the center's callback report (a
// supervisor's token); the desk uses it in place of its own tasks.
func (l *Link) CallbackReport(ctx context.Context, from, to agent.Day, agentID string) (agent.CallbackReport, error) {
	r, err := l.c.CallbackReport(ctx, from, to, agentID)
	if err != nil {
		return r, hubErr(err)
	}
	return r, nil
}
