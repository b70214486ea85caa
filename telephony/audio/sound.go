package audio

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// RoleStatus is how one device role stands.
type RoleStatus struct {
	// Wanted is true while the role is in use: the headset during a call,
	// the ring device while a call rings.
	Wanted bool `json:"wanted"`
	// Open is true while the device is open and running.
	Open bool `json:"open"`
	// Device is the device open, or the one last open.
	Device Device `json:"device"`
	// Err says why a wanted device is not open (a *DeviceError).
	Err error `json:"-"`
}

// Status is how the three roles stand.
type Status struct {
	Input  RoleStatus `json:"input"`
	Output RoleStatus `json:"output"`
	Ring   RoleStatus `json:"ring"`
}

// Err joins the errors of the roles that are wanted and not open; nil
// when every wanted device runs.
func (s Status) Err() error {
	return errors.Join(s.Input.Err, s.Output.Err, s.Ring.Err)
}

func (s *Status) role(r Role) *RoleStatus {
	switch r {
	case RoleInput:
		return &s.Input
	case RoleOutput:
		return &s.Output
	}
	return &s.Ring
}

// Option configures a Sound.
type Option func(*Sound)

// WithBackend sets the sound layer (default NewBackend).
func WithBackend(b Backend) Option { return func(s *Sound) { s.be = b } }

// WithLogger sets the parent logger; Sound logs under component=audio.
func WithLogger(l *slog.Logger) Option { return func(s *Sound) { s.log = l } }

// WithStatusFunc is called (from a background goroutine, never blocking
// it for long) each time a role's status changes.
func WithStatusFunc(f func(Status)) Option { return func(s *Sound) { s.onStatus = f } }

// WithBackoff sets the first and the longest wait between attempts to
// (re)open a device (default 250 ms doubling up to 4 s).
func WithBackoff(first, longest time.Duration) Option {
	return func(s *Sound) { s.backoffMin, s.backoffMax = first, longest }
}

// WithStallTimeout sets how long an open device may go without a callback
// before it counts as failed and is reopened (default 2 s).
func WithStallTimeout(d time.Duration) Option { return func(s *Sound) { s.stall = d } }

// Sound is the desk's sound card: the headset while calls are up (Start,
// Stop), the ring device while a call rings (Ring). Its methods are safe
// for concurrent use and never block on a device.
type Sound struct {
	be         Backend
	ownBackend bool
	log        *slog.Logger
	onStatus   func(Status)
	backoffMin time.Duration
	backoffMax time.Duration
	stall      time.Duration

	mic *ring // capture callback → the call clock
	spk *ring // the call clock → playback callback

	onFrame atomic.Pointer[func([]int16)]
	ear     atomic.Pointer[earpiece] // the open output device, when it takes prefill
	frame   []int16                  // the capture thread's frame buffer

	inLvl, outLvl atomic.Uint64 // float64 bits
	captured      atomic.Int64
	played        atomic.Int64
	vol, ringVol  atomic.Uint64

	notifyMu sync.Mutex

	mu      sync.Mutex
	cfg     Config
	closed  bool
	users   int // Start calls not yet matched by Stop
	ringing bool
	runs    map[Role]*roleRun
	status  Status
}

// earpiece holds the output device's stream for WriteFrame.
type earpiece struct{ p prefiller }

// roleRun is one supervisor goroutine keeping a role's device open.
type roleRun struct {
	off  atomic.Bool // let go: callbacks still running until the device closes are ignored
	stop chan struct{}
	done chan struct{}
	last atomic.Int64 // time of the last callback, ns since start
	t0   time.Time
}

func (rr *roleRun) tick() { rr.last.Store(int64(time.Since(rr.t0))) }

// New returns the sound card chosen by cfg. Nothing is opened until Start
// or Ring.
func New(cfg Config, opts ...Option) *Sound {
	s := &Sound{
		log:        slog.Default(),
		backoffMin: 250 * time.Millisecond,
		backoffMax: 4 * time.Second,
		stall:      2 * time.Second,
		cfg:        cfg,
		runs:       map[Role]*roleRun{},
		// 200 ms each way; a reader drains the mic every 20 ms and the
		// playback side holds a 30 ms cushion once primed.
		mic:   newRing(Rate/5, 0),
		spk:   newRing(Rate/5, FrameSamples+FrameSamples/2),
		frame: make([]int16, FrameSamples),
	}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("component", "audio")
	if s.be == nil {
		s.be, s.ownBackend = NewBackend(s.log), true
	}
	s.SetVolume(cfg.Volume)
	s.setRingVolume(cfg.RingVolume)
	return s
}

// SetVolume sets what the agent hears, 0..1 (0 or above 1: full).
func (s *Sound) SetVolume(v float64) {
	if v <= 0 || v > 1 {
		v = 1
	}
	s.vol.Store(math.Float64bits(v))
}

func (s *Sound) setRingVolume(v float64) {
	if v <= 0 || v > 1 {
		v = 1
	}
	s.ringVol.Store(math.Float64bits(v))
}

// SetConfig chooses other devices; roles in use are reopened on them.
func (s *Sound) SetConfig(cfg Config) {
	s.mu.Lock()
	old := s.cfg
	s.cfg = cfg
	var restart []Role
	for r := range s.runs {
		if old.name(r) != cfg.name(r) {
			restart = append(restart, r)
		}
	}
	for _, r := range restart {
		s.stopRoleLocked(r)
		s.startRoleLocked(r)
	}
	s.mu.Unlock()
	s.SetVolume(cfg.Volume)
	s.setRingVolume(cfg.RingVolume)
}

// Config is the current device choice.
func (s *Sound) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Start opens the headset (input and output) for a call; calls nest, and
// the headset stays open until every Start has had its Stop. A missing
// device is not an error here: it is reported in Status and retried.
func (s *Sound) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.users++
	if s.users == 1 {
		s.mic.reset()
		s.spk.reset()
		s.startRoleLocked(RoleInput)
		s.startRoleLocked(RoleOutput)
	}
}

// Stop ends one Start; the last one closes the headset.
func (s *Sound) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		return
	}
	s.users--
	if s.users == 0 {
		s.stopRoleLocked(RoleInput)
		s.stopRoleLocked(RoleOutput)
		s.inLvl.Store(0)
		s.outLvl.Store(0)
	}
}

// Ring starts or stops the ringtone on the ring device.
func (s *Sound) Ring(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.ringing == on {
		return
	}
	s.ringing = on
	if on {
		s.startRoleLocked(RoleRing)
	} else {
		s.stopRoleLocked(RoleRing)
	}
}

// SetFrameFunc makes the microphone's callback (see Backend.Open) call fn
// with each 20 ms frame as soon as it is captured (nil: stop); ReadFrame
// then gets nothing. fn must not block. A caller still needs its own clock for when
// there is no microphone.
func (s *Sound) SetFrameFunc(fn func(frame []int16)) {
	if fn == nil {
		s.onFrame.Store(nil)
		return
	}
	s.onFrame.Store(&fn)
}

// ReadFrame fills frame (FrameSamples long) with the next 20 ms from the
// microphone, waiting until deadline at most; false (and silence) when none
// came in time, which is also what a missing microphone gives. Audio older
// than one frame behind is dropped, so the path never gathers delay.
func (s *Sound) ReadFrame(frame []int16, deadline time.Time) bool {
	return s.mic.readFrame(frame, deadline, FrameSamples/2)
}

// WriteFrame queues 20 ms for the earpiece.
func (s *Sound) WriteFrame(frame []int16) {
	s.spk.write(frame)
	// Keep at most a frame beyond what was just written standing in the
	// ring (judged over a second), so the earpiece never lags behind.
	s.spk.trimStanding(50, 2*FrameSamples)
	// The earpiece's next period is what was just queued: hand it over now,
	// on this goroutine, rather than have the device wake one for it.
	if e := s.ear.Load(); e != nil {
		e.p.prefill()
	}
}

// Levels are the microphone and earpiece levels of the last device
// period, 0..1 on Level's dB scale; zero while no call holds the headset.
func (s *Sound) Levels() (in, out float64) {
	return math.Float64frombits(s.inLvl.Load()), math.Float64frombits(s.outLvl.Load())
}

// Stats are counters of the rings between the devices and the call
// clock, in samples: microphone audio dropped because the clock fell
// behind, earpiece silence played because it ran dry, and earpiece audio
// dropped because it came faster than played.
type Stats struct {
	MicDropped  int64 `json:"mic_dropped"`
	EarUnderrun int64 `json:"ear_underrun"`
	EarDropped  int64 `json:"ear_dropped"`
	EarHeldNow  int   `json:"ear_held"`
	// Captured and Played count every sample the devices delivered and
	// took: over a call they should grow at the same rate.
	Captured int64 `json:"captured"`
	Played   int64 `json:"played"`
}

// Stats are the rings' counters since New.
func (s *Sound) Stats() Stats {
	s.mic.mu.Lock()
	md := s.mic.dropped
	s.mic.mu.Unlock()
	s.spk.mu.Lock()
	defer s.spk.mu.Unlock()
	return Stats{MicDropped: md, EarUnderrun: s.spk.under, EarDropped: s.spk.dropped, EarHeldNow: s.spk.n,
		Captured: s.captured.Load(), Played: s.played.Load()}
}

// Status is how the devices stand now.
func (s *Sound) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Close stops every device and releases the backend (if Sound made it).
func (s *Sound) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	runs := make([]*roleRun, 0, len(s.runs))
	for r, rr := range s.runs {
		rr.off.Store(true)
		close(rr.stop)
		runs = append(runs, rr)
		delete(s.runs, r)
	}
	s.mu.Unlock()
	for _, rr := range runs {
		<-rr.done
	}
	if s.ownBackend {
		return s.be.Close()
	}
	return nil
}

func (s *Sound) startRoleLocked(r Role) {
	if _, ok := s.runs[r]; ok {
		return
	}
	rr := &roleRun{stop: make(chan struct{}), done: make(chan struct{}), t0: time.Now()}
	s.runs[r] = rr
	go s.supervise(r, rr)
}

// stopRoleLocked tells the role's supervisor to close its device; it does
// not wait, so no caller blocks on a slow device.
func (s *Sound) stopRoleLocked(r Role) {
	if rr, ok := s.runs[r]; ok {
		rr.off.Store(true)
		close(rr.stop)
		delete(s.runs, r)
	}
}

func (s *Sound) setStatus(r Role, rs RoleStatus, rr *roleRun) {
	s.mu.Lock()
	if cur, ok := s.runs[r]; (ok && cur != rr) || (!ok && rs.Wanted) {
		// A newer supervisor owns the role now, or the role was let go.
		s.mu.Unlock()
		return
	}
	old := *s.status.role(r)
	*s.status.role(r) = rs
	s.mu.Unlock()
	if old.Open == rs.Open && old.Wanted == rs.Wanted && errString(old.Err) == errString(rs.Err) {
		return
	}
	if rs.Err != nil {
		s.log.Warn("device unavailable", "role", r.String(), "error", rs.Err)
	} else if rs.Open {
		s.log.Info("device open", "role", r.String(), "device", rs.Device.Name, "id", rs.Device.ID)
	}
	if s.onStatus != nil {
		// One delivery at a time, each with the status as it is then, so
		// the last one delivered is never older than the state.
		s.notifyMu.Lock()
		s.onStatus(s.Status())
		s.notifyMu.Unlock()
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// supervise keeps role r's device open until rr.stop: it opens it, waits
// for a failure (or a stall), and reopens with backoff.
func (s *Sound) supervise(r Role, rr *roleRun) {
	defer close(rr.done)
	backoff := s.backoffMin
	for {
		st, dev, err := s.open(r, rr)
		if err == nil {
			s.setStatus(r, RoleStatus{Wanted: true, Open: true, Device: dev}, rr)
			backoff = s.backoffMin
			var ear *earpiece
			if p, ok := st.(prefiller); ok && r == RoleOutput {
				ear = &earpiece{p}
				s.ear.Store(ear)
			}
			failed := s.watch(r, st, dev, rr)
			if ear != nil {
				s.ear.CompareAndSwap(ear, nil)
			}
			_ = st.Close()
			if !failed {
				s.setStatus(r, RoleStatus{Device: dev}, rr)
				return
			}
			err = &DeviceError{Role: r, Name: s.Config().name(r), Err: ErrDeviceFailed}
			s.setStatus(r, RoleStatus{Wanted: true, Device: dev, Err: err}, rr)
		} else {
			s.setStatus(r, RoleStatus{Wanted: true, Err: err}, rr)
		}
		t := time.NewTimer(backoff)
		select {
		case <-rr.stop:
			t.Stop()
			s.setStatus(r, RoleStatus{}, rr)
			return
		case <-t.C:
		}
		backoff = min(2*backoff, s.backoffMax)
	}
}

// watch waits until the stream fails, stalls or its device is gone from
// the system's list (true), or the role is no longer wanted (false). The
// list matters: PulseAudio moves the stream of an unplugged headset to the
// default device instead of failing it, and the agent's call must not
// move to a loudspeaker unasked.
func (s *Sound) watch(r Role, st Stream, dev Device, rr *roleRun) bool {
	check := time.NewTicker(max(s.stall/4, 10*time.Millisecond))
	defer check.Stop()
	named := s.Config().name(r) != "" && dev.ID != ""
	lastList := time.Now()
	for {
		select {
		case <-rr.stop:
			return false
		case <-st.Failed():
			return true
		case <-check.C:
			if time.Since(rr.t0)-time.Duration(rr.last.Load()) > s.stall {
				return true
			}
			if named && time.Since(lastList) >= s.stall/2 {
				lastList = time.Now()
				if devs, err := s.be.Devices(r.Kind()); err == nil && !slices.ContainsFunc(devs, func(d Device) bool { return d.ID == dev.ID }) {
					return true
				}
			}
		}
	}
}

// open resolves and starts role r's device.
func (s *Sound) open(r Role, rr *roleRun) (Stream, Device, error) {
	cfg := s.Config()
	dev, err := Resolve(s.be, cfg, r)
	if err != nil {
		return nil, Device{}, err
	}
	rr.tick()
	st, err := s.be.Open(r.Kind(), dev.ID, s.callback(r, rr))
	if err != nil {
		return nil, dev, &DeviceError{Role: r, Name: cfg.name(r), Err: fmt.Errorf("%w: %v", ErrDeviceFailed, err)}
	}
	if err := st.Start(); err != nil {
		_ = st.Close()
		return nil, dev, &DeviceError{Role: r, Name: cfg.name(r), Err: fmt.Errorf("%w: %v", ErrDeviceFailed, err)}
	}
	return st, dev, nil
}

// callback is role r's device callback. Once the role is let go (rr.off),
// it takes nothing from the device and gives it silence, also when the
// device started only after the stop: an agent who answers on the first
// ring must not hear a period of it, however long the device takes to
// close (TestPulse_RingStopsAtOnce).
func (s *Sound) callback(r Role, rr *roleRun) func([]int16) {
	fill := s.fill(r)
	return func(p []int16) {
		rr.tick()
		if rr.off.Load() {
			if r != RoleInput {
				clear(p)
			}
			return
		}
		fill(p)
	}
}

// fill is what role r's device callback does while the role is wanted.
func (s *Sound) fill(r Role) func([]int16) {
	switch r {
	case RoleInput:
		return func(p []int16) {
			s.mic.write(p)
			s.captured.Add(int64(len(p)))
			s.inLvl.Store(math.Float64bits(Level(p)))
			if fn := s.onFrame.Load(); fn != nil {
				// Hand whole frames to the call clock right here, in the
				// microphone's callback: no goroutine to wake per frame. A burst
				// (a sound server that fell behind) is sent on in full, not
				// dropped: the far end's jitter buffer evens it out.
				for s.mic.readFrame(s.frame, time.Time{}, len(s.mic.buf)) {
					(*fn)(s.frame)
				}
			}
		}
	case RoleOutput:
		return func(p []int16) {
			s.spk.play(p)
			s.played.Add(int64(len(p)))
			scale(p, math.Float64frombits(s.vol.Load()))
			s.outLvl.Store(math.Float64bits(Level(p)))
		}
	}
	var rt Ringtone
	return func(p []int16) {
		rt.Fill(p)
		scale(p, math.Float64frombits(s.ringVol.Load()))
	}
}

func scale(p []int16, v float64) {
	if v >= 1 {
		return
	}
	for i, x := range p {
		p[i] = int16(float64(x) * v)
	}
}

// Ringtone is the desk's ring: a 400+450 Hz double ring (0.4 s on, 0.2 s
// off, 0.4 s on, 2 s off) at about −12 dBFS. The zero value starts at the
// beginning of a ring.
type Ringtone struct {
	pos    int // sample position in the 3 s cadence
	p1, p2 float64
	a, b   []int16
}

// Fill writes the next len(out) samples of the ring.
func (rt *Ringtone) Fill(out []int16) {
	const cadence = 3 * Rate
	if cap(rt.a) < len(out) {
		rt.a, rt.b = make([]int16, len(out)), make([]int16, len(out))
	}
	a, b := rt.a[:len(out)], rt.b[:len(out)]
	rt.p1 = Tone(a, 400, 0.125, rt.p1)
	rt.p2 = Tone(b, 450, 0.125, rt.p2)
	for i := range out {
		t := (rt.pos + i) % cadence
		on := t < 4*Rate/10 || (t >= 6*Rate/10 && t < Rate)
		if on {
			out[i] = a[i] + b[i]
		} else {
			out[i] = 0
		}
	}
	rt.pos = (rt.pos + len(out)) % cadence
}
