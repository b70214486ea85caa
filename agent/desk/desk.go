package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// QueueSize is how many telephony events wait for the pipeline before Emit
// starts dropping them.
const QueueSize = 1024

// ErrNoPhone is returned by commands when the desk has no phone yet.
var ErrNoPhone = errors.New("desk has no phone")

// ErrNoCall is returned by commands given no call ID when no call is in
// progress.
var ErrNoCall = errors.New("no call in progress")

// ErrClosed is returned by commands after Close.
var ErrClosed = errors.New("desk is closed")

// Options are what New needs. Store, Packs and Config are required.
type Options struct {
	Store *store.Store
	// Packs are the script packs by language ("zh-Hans", "zh-Hant", "en");
	// Config.Lang picks one, falling back to scripts.DefaultLang. PackInfo
	// says what each is (LoadPacks gives both).
	Packs    map[string]*scripts.Pack
	PackInfo map[string]PackInfo
	// Phone may be set later with SetPhone (the phone needs the desk as
	// its Emitter, so it is usually made after the desk).
	Phone Phone
	// Practice says Phone is the practice phone (shown in the status bar).
	Practice bool
	Clock    agent.Clock // default agent.SystemClock{}
	Logger   *slog.Logger
	Config   Config
	// Center is the center's rules (zone, reply times, quiet hours, ring
	// limit, callbacks); default Config.Center().
	Center *agent.Center
	// LogCalls writes every finished call to the store's call log.
	LogCalls bool
	// PlanCallbacks makes the desk plan its agent's member callbacks at
	// start and on each new center day (a desk without a hub; with one, the
	// hub plans for the whole center).
	PlanCallbacks bool
	// Hub is the desk's link to the hub, nil without one.
	Hub Hub
	// Checks are extra items of the pre-shift self-check (the phone line,
	// the sound card…), run after the desk's own.
	Checks []Checker
	// Play plays a recording (a WAV file read into memory, opened if
	// sealed) on the headset (nil: no sound card).
	Play func(ctx context.Context, name string, wav []byte) error
	// OneShot is a desk for one command (deskctl): no lists are loaded and
	// no housekeeping runs, so it opens at once on a large data file.
	OneShot bool
}

// Desk is the desk's state and pop pipeline. It implements
// telephony.Emitter: phones report to it, one goroutine turns events into
// State snapshots, Views and WatchEvents, and subscribers render them.
type Desk struct {
	st       *store.Store
	packs    map[string]*scripts.Pack
	clock    agent.Clock
	log      *slog.Logger
	cfg      Config
	centerMu sync.RWMutex
	center   agent.Center // the center's rules; rules() reads them
	logCalls bool
	plan     bool
	hub      Hub
	checks   []Checker
	play     func(ctx context.Context, name string, wav []byte) error

	phone   atomic.Pointer[Phone]
	current atomic.Pointer[State]
	view    atomic.Pointer[View]

	events     chan telephony.Event
	ops        chan func()
	reloadCh   chan struct{}
	quit       chan struct{}
	done       chan struct{}
	loaderDone chan struct{}
	closed     atomic.Bool
	replan     atomic.Bool // a member was added: plan callbacks again
	dropped    atomic.Uint64
	once       sync.Once

	mu       sync.Mutex
	subSeq   int
	subs     map[int]*subscriber
	watchers map[int]func(WatchEvent)

	// The desk goroutine's own: the pipeline's working state, the lists
	// and board the view shows, per-call mute, and a cache.
	work        State
	lastDropped uint64
	lists       lists
	board       *Board
	muted       map[string]bool
	callCases   map[string]string // call ID → the case saved on that call
	packMu      sync.Mutex        // packs and packInfo change with SetPack
	packInfo    map[string]PackInfo
	planDay     agent.Day
	phraseCache struct {
		key   phraseKey
		lines []Phrase
	}
}

// New makes a desk and starts its pipeline goroutine; Close stops it.
func New(opts Options) (*Desk, error) {
	if opts.Store == nil {
		return nil, errors.New("new desk: no store")
	}
	if len(opts.Packs) == 0 {
		return nil, errors.New("new desk: no script pack")
	}
	if opts.Clock == nil {
		opts.Clock = agent.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Config.Lang == "" {
		opts.Config.Lang = scripts.DefaultLang
	}
	var center agent.Center
	if opts.Center != nil {
		center = *opts.Center
	} else {
		var err error
		if center, err = opts.Config.Center(); err != nil {
			return nil, fmt.Errorf("new desk: %w", err)
		}
	}
	d := &Desk{
		st: opts.Store, packs: opts.Packs, clock: opts.Clock, cfg: opts.Config, center: center,
		log: opts.Logger.With("component", "desk"), logCalls: opts.LogCalls, plan: opts.PlanCallbacks,
		hub: opts.Hub, checks: opts.Checks, play: opts.Play,
		events: make(chan telephony.Event, QueueSize), ops: make(chan func(), 16), reloadCh: make(chan struct{}, 1),
		quit: make(chan struct{}), done: make(chan struct{}), loaderDone: make(chan struct{}),
		subs: map[int]*subscriber{}, watchers: map[int]func(WatchEvent){},
		muted: map[string]bool{}, packInfo: map[string]PackInfo{}, callCases: map[string]string{},
	}
	d.packs = make(map[string]*scripts.Pack, len(opts.Packs))
	for l, p := range opts.Packs {
		d.packs[l] = p
	}
	for l, i := range opts.PackInfo {
		d.packInfo[l] = i
	}
	if opts.Phone != nil {
		d.SetPhone(opts.Phone)
	}
	now := d.clock.Now()
	d.work = State{
		At: now, Lang: opts.Config.Lang,
		Registration: Registration{Status: RegConnecting, Since: now, Practice: opts.Practice},
		Agent:        agent.AgentState{Agent: d.me(), Status: agent.StatusOffline, Since: now},
	}
	if pending, _, err := d.st.OutboxStats(); err == nil {
		d.work.Sync.Pending = pending
	}
	first := d.work.clone()
	d.current.Store(&first)
	v := d.render(first)
	d.view.Store(&v)
	go d.run()
	if opts.OneShot {
		close(d.loaderDone)
		return d, nil
	}
	go d.loader()
	go d.housekeep()
	go d.sealLeftovers()
	d.reload()
	return d, nil
}

// me is the agent the desk works for: their number, else their name, else
// (nobody configured) the desk's own ID. Calls, cases and callbacks are
// filed under it.
func (d *Desk) me() string {
	if id := d.cfg.AgentID(); id != "" {
		return id
	}
	return d.st.DeskID()
}

// Center returns the center's rules the desk applies.
func (d *Desk) Center() agent.Center { return d.rules() }

// rules are the center's rules now (SetCenter may change them).
func (d *Desk) rules() agent.Center {
	d.centerMu.RLock()
	defer d.centerMu.RUnlock()
	return d.center
}

// SetCenter applies new center rules (settings saved on this desk, or
// pushed from the hub): ring limits, reply times, quiet hours, the
// after-call-work limit and the warning stages, from the next view on.
func (d *Desk) SetCenter(c agent.Center) error {
	if c.Zone == nil {
		return errors.New("set center: no zone")
	}
	d.centerMu.Lock()
	d.center = c
	d.centerMu.Unlock()
	if !d.do(func() { d.publish() }) {
		return ErrClosed
	}
	d.reload()
	return nil
}

// SetPhone sets the phone the commands drive.
func (d *Desk) SetPhone(p Phone) { d.phone.Store(&p) }

// State returns the latest published snapshot.
func (d *Desk) State() State { return *d.current.Load() }

// Emit queues a telephony event for the pipeline. It never blocks: when
// QueueSize events are already waiting (the pipeline is stuck, e.g. on a
// disk that does not answer) the event is dropped, counted in
// State.Dropped and logged (the first drop and every 100th), because a SIP
// goroutine must never wait on the desk.
func (d *Desk) Emit(e telephony.Event) {
	if d.closed.Load() {
		return
	}
	select {
	case d.events <- e:
	default:
		n := d.dropped.Add(1)
		if n == 1 || n%100 == 0 {
			d.log.Warn("event queue full, dropping telephony event", "event", e.Kind.String(), "call_id", e.CallID, "dropped", n)
		}
	}
}

// Subscribe calls fn with the current State and then with every new one,
// on the desk goroutine, until cancel is called. fn must return quickly
// (hand the State to the UI thread, e.g. with fyne.Do): the pipeline waits
// for it. Subscribe does not wait for the first State, so it may be called
// from a subscriber.
func (d *Desk) Subscribe(fn func(State)) (cancel func()) {
	return d.subscribe(&subscriber{state: fn})
}

// SubscribeView calls fn with the current View and then with every new
// one, in Seq order, on the desk goroutine, until cancel is called. fn must
// return quickly (the window hands the View to its own goroutine with
// fyne.Do).
func (d *Desk) SubscribeView(fn func(View)) (cancel func()) {
	return d.subscribe(&subscriber{view: fn})
}

// subscriber is one of Subscribe's or SubscribeView's; it joins the
// publishing on the desk goroutine, so the first snapshot it gets is the
// current one and every later one is newer.
type subscriber struct {
	state func(State)
	view  func(View)
}

func (d *Desk) subscribe(sub *subscriber) (cancel func()) {
	d.mu.Lock()
	d.subSeq++
	id := d.subSeq
	d.mu.Unlock()
	cancelled := false
	select {
	case d.ops <- func() {
		d.mu.Lock()
		if cancelled {
			d.mu.Unlock()
			return
		}
		d.subs[id] = sub
		d.mu.Unlock()
		if sub.state != nil {
			sub.state(*d.current.Load())
		}
		if sub.view != nil {
			sub.view(*d.view.Load())
		}
	}:
	case <-d.done:
	}
	return func() {
		d.mu.Lock()
		cancelled = true
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

// View returns the latest published view.
func (d *Desk) View() View { return *d.view.Load() }

// Watch calls fn with a WatchEvent for every telephony event, on the desk
// goroutine, right after the State it produced was published.
func (d *Desk) Watch(fn func(WatchEvent)) (cancel func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.subSeq++
	id := d.subSeq
	d.watchers[id] = fn
	return func() {
		d.mu.Lock()
		delete(d.watchers, id)
		d.mu.Unlock()
	}
}

// Close stops the pipeline after the events already queued are handled.
// It does not close the phone: whoever made the phone closes it first, so
// its last events (unregistered) still reach subscribers.
func (d *Desk) Close() error {
	d.once.Do(func() {
		d.closed.Store(true)
		close(d.quit)
	})
	<-d.done
	<-d.loaderDone
	return nil
}

// do runs fn on the desk goroutine and waits for it; false after Close.
func (d *Desk) do(fn func()) bool {
	ran := make(chan struct{})
	select {
	case d.ops <- func() { fn(); close(ran) }:
	case <-d.done:
		return false
	}
	select {
	case <-ran:
		return true
	case <-d.done:
		return false
	}
}

func (d *Desk) run() {
	defer close(d.done)
	for {
		select {
		case e := <-d.events:
			d.handle(e)
		case op := <-d.ops:
			op()
		case <-d.quit:
			for {
				select {
				case e := <-d.events:
					d.handle(e)
				default:
					return
				}
			}
		}
	}
}

// publish snapshots the working state, renders its view and hands both to
// the subscribers.
func (d *Desk) publish() {
	d.work.Seq++
	d.work.At = d.clock.Now()
	if n := d.dropped.Load(); n != d.lastDropped {
		d.lastDropped = n
		d.work.Dropped = n
		d.notice(NoticeEventsDropped, map[string]string{"count": fmt.Sprint(n)})
	}
	snap := d.work.clone()
	d.current.Store(&snap)
	view := d.render(snap)
	d.view.Store(&view)
	d.mu.Lock()
	subs := make([]*subscriber, 0, len(d.subs))
	for _, f := range d.subs {
		subs = append(subs, f)
	}
	d.mu.Unlock()
	for _, f := range subs {
		if f.state != nil {
			f.state(snap)
		}
	}
	for _, f := range subs {
		if f.view != nil {
			f.view(view)
		}
	}
}

func (d *Desk) broadcast(w WatchEvent) {
	d.mu.Lock()
	ws := make([]func(WatchEvent), 0, len(d.watchers))
	for _, f := range d.watchers {
		ws = append(ws, f)
	}
	d.mu.Unlock()
	for _, f := range ws {
		f(w)
	}
}

// notice appends a notice to the working state (published with the next
// snapshot).
func (d *Desk) notice(id string, args map[string]string) {
	d.work.Notices = append(d.work.Notices, Notice{ID: id, Args: args, At: d.clock.Now()})
	if n := len(d.work.Notices); n > maxNotices {
		d.work.Notices = append([]Notice(nil), d.work.Notices[n-maxNotices:]...)
	}
}

// Notify tells the agent something (a message id for the i18n bundles and
// its arguments), shown with the next view.
func (d *Desk) Notify(id string, args map[string]string) {
	d.do(func() { d.notice(id, args); d.publish() })
}

// SetSync records the sync worker's latest figures.
func (d *Desk) SetSync(s SyncStatus) error {
	if !d.do(func() { d.work.Sync = s; d.publish() }) {
		return ErrClosed
	}
	return nil
}

// SetLang switches the language of the opening lines (and State.Lang);
// calls already ringing keep the line they popped with.
func (d *Desk) SetLang(lang string) error {
	d.packMu.Lock()
	_, ok := d.packs[lang]
	d.packMu.Unlock()
	if !ok {
		return fmt.Errorf("set language %q: no script pack", lang)
	}
	if !d.do(func() { d.work.Lang = lang; d.publish() }) {
		return ErrClosed
	}
	return nil
}

// SetAgentState moves the agent to status (a break needs a reason), as
// agent.AgentState.Move allows.
func (d *Desk) SetAgentState(status agent.AgentStatus, reason agent.BreakReason) error {
	var err error
	if !d.do(func() {
		var next agent.AgentState
		next, err = d.work.Agent.Move(status, reason, d.clock.Now())
		if err == nil {
			d.work.Agent = next
			d.publish()
		}
	}) {
		return ErrClosed
	}
	return err
}

// pack is the script pack for the desk's current language; desk goroutine
// only.
func (d *Desk) pack() *scripts.Pack { return d.packFor(d.work.Lang) }

// packFor is the pack for lang, falling back to the default language.
func (d *Desk) packFor(lang string) *scripts.Pack {
	d.packMu.Lock()
	defer d.packMu.Unlock()
	return d.packForLocked(lang)
}

func (d *Desk) packForLocked(lang string) *scripts.Pack {
	if p, ok := d.packs[lang]; ok {
		return p
	}
	if p, ok := d.packs[scripts.DefaultLang]; ok {
		return p
	}
	for _, p := range d.packs {
		return p
	}
	return nil
}
