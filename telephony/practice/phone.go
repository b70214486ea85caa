// Package practice is the practice phone: simulated callers from a scenario
// file ring the desk, with the same events and controls as the SIP user
// agent. Trainers use it for training; the desk runs it whenever no PBX is
// configured, so a new agent sees a call within a minute.
//
// It satisfies the desk's Phone interface structurally (it may import only
// telephony); agent/desk's tests assert that it does.
package practice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"agentdesk/telephony"
)

// Errors returned by the phone's controls.
var (
	// ErrNoCall is returned when the Call-ID names no current call.
	ErrNoCall = errors.New("no such call")
	// ErrCallState is returned when the call is not in a state that allows
	// the action (answering a call already answered, holding a ringing one).
	ErrCallState = errors.New("call is not in a state for that")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("practice phone is closed")
	// ErrBadDigit is returned by SendDTMF for a key that is not 0-9 * # A-D.
	ErrBadDigit = errors.New("not a DTMF key")
	// ErrNotRecording is returned by PauseRecording and ResumeRecording:
	// practice calls are never recorded. It is telephony.ErrNotRecording,
	// so the desk tells it the same way for both phones.
	ErrNotRecording = telephony.ErrNotRecording
)

// OutboundAnswerAfter is how long a dialled practice callee takes to pick up.
const OutboundAnswerAfter = 3 * time.Second

// Option configures New.
type Option func(*Phone)

// WithClock sets the clock (default RealClock()).
func WithClock(c Clock) Option { return func(p *Phone) { p.clock = c } }

type callState int

const (
	stateRinging callState = iota + 1
	stateAnswered
	stateHeld
)

type call struct {
	id     string
	dir    telephony.Direction
	caller telephony.Caller
	script *Caller // nil for outbound calls
	state  callState
	timer  Timer
	muted  bool
}

// Phone is the practice phone. Its methods are safe for concurrent use.
type Phone struct {
	sc    *Scenario
	emit  telephony.Emitter
	clock Clock

	mu      sync.Mutex
	started bool
	closed  bool
	next    int              // index of the next scenario caller
	pending Timer            // the next caller's delay timer
	calls   map[string]*call // current calls by Call-ID
	seq     int
	prefix  string
}

// New returns a practice phone that plays sc and reports through emit.
// Nothing happens until Start.
func New(sc *Scenario, emit telephony.Emitter, opts ...Option) *Phone {
	var b [4]byte
	_, _ = rand.Read(b[:])
	p := &Phone{sc: sc, emit: emit, clock: RealClock(), calls: map[string]*call{}, prefix: hex.EncodeToString(b[:])}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Start "registers" (emits registered at once) and schedules the first
// caller. Calling it again does nothing.
func (p *Phone) Start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started || p.closed {
		return
	}
	p.started = true
	p.send(telephony.Event{Kind: telephony.EventRegistered, Reason: "practice"})
	p.scheduleNext()
}

// Close stops every caller, ends current calls and emits unregistered.
func (p *Phone) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.pending != nil {
		p.pending.Stop()
	}
	for id, c := range p.calls {
		if c.timer != nil {
			c.timer.Stop()
		}
		kind := telephony.EventEnded
		if c.state == stateRinging && c.dir == telephony.Inbound {
			kind = telephony.EventMissed
		}
		p.send(telephony.Event{Kind: kind, CallID: id, Direction: c.dir, Caller: c.caller, Reason: "phone closed"})
		delete(p.calls, id)
	}
	if p.started {
		p.send(telephony.Event{Kind: telephony.EventUnregistered})
	}
	return nil
}

// Script returns the scenario caller behind an inbound call, so a trainer's
// view can show what the caller says.
func (p *Phone) Script(callID string) (Caller, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[callID]
	if !ok || c.script == nil {
		return Caller{}, false
	}
	return *c.script, true
}

// Answer picks up a ringing inbound call.
func (p *Phone) Answer(callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.ringingInbound("answer", callID)
	if err != nil {
		return err
	}
	c.timer.Stop()
	c.state = stateAnswered
	c.timer = nil
	p.send(telephony.Event{Kind: telephony.EventAnswered, CallID: callID, Direction: c.dir, Caller: c.caller})
	if d := time.Duration(c.script.HangupAfter); d > 0 {
		c.timer = p.clock.AfterFunc(d, func() { p.remoteEnd(callID, "caller hung up") })
	}
	return nil
}

// Reject refuses a ringing inbound call; the caller hears status.
func (p *Phone) Reject(callID string, status int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.ringingInbound("reject", callID)
	if err != nil {
		return err
	}
	p.end(c, telephony.EventEnded, fmt.Sprintf("rejected %d", status))
	return nil
}

// Hangup ends a call: an answered one, our own ringing outbound one, or
// (declining it) a ringing inbound one.
func (p *Phone) Hangup(callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	reason := "agent hung up"
	if c.state == stateRinging && c.dir == telephony.Inbound {
		reason = "rejected 603"
	}
	p.end(c, telephony.EventEnded, reason)
	return nil
}

// Hold puts an answered call on hold.
func (p *Phone) Hold(callID string) error {
	return p.toggleHold(callID, stateAnswered, stateHeld, telephony.EventHeld)
}

// Resume takes a held call off hold.
func (p *Phone) Resume(callID string) error {
	return p.toggleHold(callID, stateHeld, stateAnswered, telephony.EventResumed)
}

func (p *Phone) toggleHold(callID string, from, to callState, kind telephony.EventKind) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.call(callID)
	if err != nil {
		return err
	}
	if c.state != from {
		return fmt.Errorf("%s %s: %w", kind, callID, ErrCallState)
	}
	c.state = to
	p.send(telephony.Event{Kind: kind, CallID: callID, Direction: c.dir, Caller: c.caller})
	return nil
}

// Transfer hands an answered call to target: the call is transferred and
// ends for this desk.
func (p *Phone) Transfer(callID, target string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.connected("transfer", callID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(target) == "" {
		return fmt.Errorf("transfer %s: empty target", callID)
	}
	p.send(telephony.Event{Kind: telephony.EventTransferred, CallID: callID, Direction: c.dir, Caller: c.caller, Reason: "to " + target})
	p.end(c, telephony.EventEnded, "transferred to "+target)
	return nil
}

// SendDTMF "sends" one key on an answered call; the practice caller ignores
// it, but the key is checked as the real phone would.
func (p *Phone) SendDTMF(callID, digit string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.connected("dtmf", callID); err != nil {
		return err
	}
	if len(digit) != 1 || !strings.Contains("0123456789*#ABCD", digit) {
		return fmt.Errorf("dtmf %q: %w", digit, ErrBadDigit)
	}
	return nil
}

// Mute silences (on) or restores the agent's side of an answered call, as
// the real phone does; the practice caller does not hear either way.
func (p *Phone) Mute(callID string, on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, err := p.connected("mute", callID)
	if err != nil {
		return err
	}
	if c.muted == on {
		return nil
	}
	c.muted = on
	kind := telephony.EventUnmuted
	if on {
		kind = telephony.EventMuted
	}
	p.send(telephony.Event{Kind: kind, CallID: callID, Direction: c.dir, Caller: c.caller})
	return nil
}

// PauseRecording returns ErrNotRecording (for a current call; ErrNoCall
// otherwise): practice calls are not recorded.
func (p *Phone) PauseRecording(callID string) error { return p.notRecording("pause recording", callID) }

// ResumeRecording returns ErrNotRecording, as PauseRecording.
func (p *Phone) ResumeRecording(callID string) error {
	return p.notRecording("resume recording", callID)
}

func (p *Phone) notRecording(op, callID string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, err := p.call(callID); err != nil {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, callID, ErrNotRecording)
}

// Levels is silence on both sides: the practice phone uses no sound card.
func (p *Phone) Levels() (in, out float64) { return 0, 0 }

// Dial places a practice outbound call: it rings at once and the callee
// picks up after OutboundAnswerAfter; it lasts until the agent hangs up.
func (p *Phone) Dial(ctx context.Context, number string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("dial %s: %w", number, err)
	}
	if strings.TrimSpace(number) == "" {
		return "", errors.New("dial: empty number")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return "", ErrClosed
	}
	c := &call{id: p.newCallID(), dir: telephony.Outbound, state: stateRinging,
		caller: telephony.Caller{Number: number, URI: "sip:" + number + "@practice.invalid", Source: "To"}}
	p.calls[c.id] = c
	p.send(telephony.Event{Kind: telephony.EventRinging, CallID: c.id, Direction: c.dir, Caller: c.caller})
	id := c.id
	c.timer = p.clock.AfterFunc(OutboundAnswerAfter, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		c, ok := p.calls[id]
		if !ok || p.closed || c.state != stateRinging {
			return
		}
		c.state = stateAnswered
		c.timer = nil
		p.send(telephony.Event{Kind: telephony.EventAnswered, CallID: id, Direction: c.dir, Caller: c.caller})
	})
	return id, nil
}

// ringingInbound finds a current call that is an inbound one still
// ringing, for op (answer, reject); p.mu is held.
func (p *Phone) ringingInbound(op, callID string) (*call, error) {
	c, err := p.call(callID)
	if err != nil {
		return nil, err
	}
	if c.state != stateRinging || c.dir != telephony.Inbound {
		return nil, fmt.Errorf("%s %s: %w", op, callID, ErrCallState)
	}
	return c, nil
}

// connected finds a current call that is past ringing (answered or held),
// for op (transfer, dtmf); p.mu is held.
func (p *Phone) connected(op, callID string) (*call, error) {
	c, err := p.call(callID)
	if err != nil {
		return nil, err
	}
	if c.state == stateRinging {
		return nil, fmt.Errorf("%s %s: %w", op, callID, ErrCallState)
	}
	return c, nil
}

// call finds a current call; p.mu is held.
func (p *Phone) call(id string) (*call, error) {
	if p.closed {
		return nil, ErrClosed
	}
	c, ok := p.calls[id]
	if !ok {
		return nil, fmt.Errorf("call %s: %w", id, ErrNoCall)
	}
	return c, nil
}

// scheduleNext arms the next scenario caller's delay; p.mu is held.
func (p *Phone) scheduleNext() {
	if p.closed {
		return
	}
	if p.next >= len(p.sc.Callers) {
		if !p.sc.Repeat || len(p.sc.Callers) == 0 {
			return
		}
		p.next = 0
	}
	script := &p.sc.Callers[p.next]
	p.next++
	p.pending = p.clock.AfterFunc(time.Duration(script.Delay), func() { p.ring(script) })
}

// ring starts an inbound call from script.
func (p *Phone) ring(script *Caller) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.pending = nil
	c := &call{id: p.newCallID(), dir: telephony.Inbound, script: script, state: stateRinging, caller: identity(script)}
	p.calls[c.id] = c
	p.send(telephony.Event{Kind: telephony.EventRinging, CallID: c.id, Direction: c.dir, Caller: c.caller})
	id := c.id
	c.timer = p.clock.AfterFunc(script.ring(), func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		c, ok := p.calls[id]
		if !ok || p.closed || c.state != stateRinging {
			return
		}
		if script.Outcome == AnsweredElsewhere {
			p.end(c, telephony.EventAnsweredElsewhere, "call completed elsewhere")
			return
		}
		p.end(c, telephony.EventMissed, "caller gave up")
	})
}

// remoteEnd is the caller hanging up an answered call.
func (p *Phone) remoteEnd(id, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.calls[id]
	if !ok || p.closed {
		return
	}
	p.end(c, telephony.EventEnded, reason)
}

// end removes c, emits kind and, for a scenario call, schedules the next
// caller; p.mu is held.
func (p *Phone) end(c *call, kind telephony.EventKind, reason string) {
	if c.timer != nil {
		c.timer.Stop()
	}
	delete(p.calls, c.id)
	p.send(telephony.Event{Kind: kind, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: reason})
	if c.script != nil {
		p.scheduleNext()
	}
}

// send stamps and emits e; p.mu is held so events keep their order. Emit
// must not block, by the Emitter contract.
func (p *Phone) send(e telephony.Event) {
	e.At = p.clock.Now()
	if p.emit != nil {
		p.emit.Emit(e)
	}
}

func (p *Phone) newCallID() string {
	p.seq++
	return fmt.Sprintf("practice-%s-%d@agentdesk.invalid", p.prefix, p.seq)
}

// identity is what the signalling would say about a scenario caller.
func identity(c *Caller) telephony.Caller {
	if c.Anonymous {
		return telephony.Caller{Number: "anonymous", DisplayName: "Anonymous",
			URI: "sip:anonymous@anonymous.invalid", Source: "From", Anonymous: true}
	}
	return telephony.Caller{Number: c.Number, DisplayName: c.DisplayName,
		URI: "sip:" + strings.ReplaceAll(c.Number, " ", "") + "@practice.invalid", Source: "From"}
}
