package desk

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

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
	// Config.Lang picks one, falling back to scripts.DefaultLang.
	Packs map[string]*scripts.Pack
	// Phone may be set later with SetPhone (the phone needs the desk as
	// its Emitter, so it is usually made after the desk).
	Phone Phone
	// Practice says Phone is the practice phone (shown in the status bar).
	Practice bool
	Clock    agent.Clock // default agent.SystemClock{}
	Logger   *slog.Logger
	Config   Config
	// Quiet are the callback quiet hours Dial refuses (default
	// agent.DefaultQuietHours in Config.TimeZone).
	Quiet *agent.QuietHours
	// LogCalls writes every finished call to the store's call log.
	LogCalls bool
}

// Desk is the desk's state and pop pipeline. It implements
// telephony.Emitter: phones report to it, one goroutine turns events into
// State snapshots and WatchEvents, and subscribers render them.
type Desk struct {
	st       *store.Store
	packs    map[string]*scripts.Pack
	clock    agent.Clock
	log      *slog.Logger
	cfg      Config
	quiet    agent.QuietHours
	logCalls bool

	phone   atomic.Pointer[Phone]
	current atomic.Pointer[State]

	events  chan telephony.Event
	ops     chan func()
	quit    chan struct{}
	done    chan struct{}
	closed  atomic.Bool
	dropped atomic.Uint64
	once    sync.Once

	mu       sync.Mutex
	subSeq   int
	subs     map[int]func(State)
	watchers map[int]func(WatchEvent)

	// work is the pipeline's working state; only the desk goroutine
	// touches it.
	work        State
	lastDropped uint64
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
	if opts.Config.RingLimitSeconds <= 0 {
		opts.Config.RingLimitSeconds = Defaults().RingLimitSeconds
	}
	if opts.Config.Lang == "" {
		opts.Config.Lang = scripts.DefaultLang
	}
	var quiet agent.QuietHours
	if opts.Quiet != nil {
		quiet = *opts.Quiet
	} else {
		zone, err := time.LoadLocation(opts.Config.TimeZone)
		if err != nil || opts.Config.TimeZone == "" {
			zone, _ = time.LoadLocation(scripts.DefaultTimeZone)
		}
		quiet = agent.DefaultQuietHours(zone)
	}
	d := &Desk{
		st: opts.Store, packs: opts.Packs, clock: opts.Clock, cfg: opts.Config, quiet: quiet,
		log: opts.Logger.With("component", "desk"), logCalls: opts.LogCalls,
		events: make(chan telephony.Event, QueueSize), ops: make(chan func(), 16),
		quit: make(chan struct{}), done: make(chan struct{}),
		subs: map[int]func(State){}, watchers: map[int]func(WatchEvent){},
	}
	if opts.Phone != nil {
		d.SetPhone(opts.Phone)
	}
	now := d.clock.Now()
	agentName := opts.Config.AgentName
	if agentName == "" {
		agentName = opts.Config.AgentNumber
	}
	d.work = State{
		At: now, Lang: opts.Config.Lang,
		Registration: Registration{Status: RegConnecting, Since: now, Practice: opts.Practice},
		Agent:        agent.AgentState{Agent: agentName, Status: agent.StatusOffline, Since: now},
	}
	if pending, _, err := d.st.OutboxStats(); err == nil {
		d.work.Sync.Pending = pending
	}
	first := d.work.clone()
	d.current.Store(&first)
	go d.run()
	return d, nil
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
// for it.
func (d *Desk) Subscribe(fn func(State)) (cancel func()) {
	d.mu.Lock()
	d.subSeq++
	id := d.subSeq
	d.subs[id] = fn
	d.mu.Unlock()
	// The first State is delivered on the desk goroutine too; Subscribe
	// does not wait for it, so it may be called from a subscriber.
	select {
	case d.ops <- func() {
		d.mu.Lock()
		f, ok := d.subs[id]
		d.mu.Unlock()
		if ok {
			f(*d.current.Load())
		}
	}:
	case <-d.done:
	}
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

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

// publish snapshots the working state and hands it to the subscribers.
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
	d.mu.Lock()
	subs := make([]func(State), 0, len(d.subs))
	for _, f := range d.subs {
		subs = append(subs, f)
	}
	d.mu.Unlock()
	for _, f := range subs {
		f(snap)
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
	if _, ok := d.packs[lang]; !ok {
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
