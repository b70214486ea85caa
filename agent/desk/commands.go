package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// The commands below may take a while (a SIP transaction on a slow
// network, a disk write); callers run them off their UI thread. Their
// effects on calls come back as telephony events through the pipeline, so
// the State changes only when the phone confirms. An empty callID means the
// call the controls act on (State.Current; for Answer the first ringing
// call). Errors match the sentinels below, agent's and the phone's, never
// by their text.

// Command errors a caller decides on (the window picks a message by them).
var (
	// ErrCallState is returned when the call is not in a state the command
	// applies to (answering an answered call…).
	ErrCallState = errors.New("command not valid in this call state")
	// ErrBadDigit is returned by SendDTMF for a key other than 0-9, *, #, A-D.
	ErrBadDigit = errors.New("not a keypad key")
	// ErrTimeout is returned when the phone or the hub did not answer in time.
	ErrTimeout = errors.New("no answer in time")
	// ErrNeedsHub is returned by commands that need a hub when none is
	// configured.
	ErrNeedsHub = errors.New("no hub configured")
)

// CommandTimeout bounds every call control: a PBX that does not answer
// within it is reported, and the command gives up.
const CommandTimeout = 40 * time.Second

// phoneErr maps the phone's errors onto the desk's, keeping the cause.
func phoneErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, telephony.ErrNoCall):
		return fmt.Errorf("%s: %w: %w", op, ErrNoCall, err)
	case errors.Is(err, telephony.ErrCallState):
		return fmt.Errorf("%s: %w: %w", op, ErrCallState, err)
	case errors.Is(err, telephony.ErrBadDigit):
		return fmt.Errorf("%s: %w: %w", op, ErrBadDigit, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w: %w", op, ErrTimeout, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// Answer picks up a ringing call.
func (d *Desk) Answer(callID string) error {
	p, id, err := d.target(callID, true)
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return phoneErr("answer", p.Answer(id))
}

// Reject refuses a ringing call with a SIP status (486 busy, 603 decline).
func (d *Desk) Reject(callID string, status int) error {
	p, id, err := d.target(callID, true)
	if err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	return phoneErr("reject", p.Reject(id, status))
}

// Hangup ends a call.
func (d *Desk) Hangup(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("hang up: %w", err)
	}
	return phoneErr("hang up", p.Hangup(id))
}

// Hold puts the call on hold.
func (d *Desk) Hold(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return phoneErr("hold", p.Hold(id))
}

// Resume takes the call off hold.
func (d *Desk) Resume(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return phoneErr("resume", p.Resume(id))
}

// Transfer hands the call to target (blind transfer).
func (d *Desk) Transfer(callID, target string) error {
	if strings.TrimSpace(target) == "" {
		return fmt.Errorf("transfer: %w", agent.ErrEmpty)
	}
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("transfer: %w", err)
	}
	return phoneErr("transfer", p.Transfer(id, target))
}

// SendDTMF sends one key on the call.
func (d *Desk) SendDTMF(callID, digit string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("dtmf: %w", err)
	}
	return phoneErr("dtmf", p.SendDTMF(id, digit))
}

// Mute silences (or unmutes) the agent's microphone on the call: the phone
// then sends silence. The view's Muted follows once the phone confirms.
func (d *Desk) Mute(callID string, on bool) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("mute: %w", err)
	}
	if m, ok := p.(muter); ok {
		if err := m.Mute(id, on); err != nil {
			return phoneErr("mute", err)
		}
	}
	if !d.do(func() {
		if _, ok := d.work.Call(id); !ok {
			return
		}
		if on {
			d.muted[id] = true
		} else {
			delete(d.muted, id)
		}
		d.publish()
	}) {
		return ErrClosed
	}
	return nil
}

// muter is a phone that can mute the microphone on a call.
type muter interface {
	Mute(callID string, on bool) error
}

// Dial calls number (a callback). It refuses during the callback quiet
// hours ("one avoid": the customer is resting) with an error matching
// agent.ErrQuietHours that says until when, and a number that is not a
// phone number with agent.ErrBadPhone.
func (d *Desk) Dial(ctx context.Context, number string) (string, error) {
	if d.closed.Load() {
		return "", ErrClosed
	}
	n, err := agent.NormalizePhone(number)
	if err != nil {
		return "", fmt.Errorf("dial: %w", err)
	}
	if err := d.rules().Quiet.CanDial(d.clock.Now()); err != nil {
		return "", fmt.Errorf("dial %s: %w", n, err)
	}
	p := d.phone.Load()
	if p == nil {
		return "", fmt.Errorf("dial %s: %w", n, ErrNoPhone)
	}
	id, err := (*p).Dial(ctx, n)
	if err != nil {
		return "", phoneErr("dial "+n, err)
	}
	return id, nil
}

// target resolves the phone and the call a command acts on.
func (d *Desk) target(callID string, ringing bool) (Phone, string, error) {
	if d.closed.Load() {
		return nil, "", ErrClosed
	}
	p := d.phone.Load()
	if p == nil {
		return nil, "", ErrNoPhone
	}
	if callID != "" {
		return *p, callID, nil
	}
	s := d.State()
	if ringing {
		for _, c := range s.Calls {
			if c.Status == CallRinging {
				return *p, c.CallID, nil
			}
		}
		return nil, "", ErrNoCall
	}
	c, ok := s.Current()
	if !ok {
		return nil, "", ErrNoCall
	}
	return *p, c.CallID, nil
}

// Opening renders the opening line for the caller of p at instant at in the
// desk's current language, or the silent-call line when silent.
func (d *Desk) Opening(p Pop, at time.Time, silent bool) (string, error) {
	pack := d.packFor(d.State().Lang)
	if pack == nil {
		return "", errors.New("opening: no script pack")
	}
	return pack.Opening(scripts.OpeningRequest{
		At: at, Silent: silent, Outbound: p.Direction == telephony.Outbound, Caller: party(p.Customers),
		AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber,
	})
}
