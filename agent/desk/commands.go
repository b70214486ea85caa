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

// The commands below drive the phone on the caller's goroutine (a SIP
// request may take a moment; the UI calls them off its own thread). Their
// effects come back as telephony events through the pipeline, so State
// changes only when the phone confirms. An empty callID means the call the
// controls act on (State.Current; for Answer the first ringing call).

// Answer picks up a ringing call.
func (d *Desk) Answer(callID string) error {
	p, id, err := d.target(callID, true)
	if err != nil {
		return fmt.Errorf("answer: %w", err)
	}
	return p.Answer(id)
}

// Reject refuses a ringing call with a SIP status (486 busy, 603 decline).
func (d *Desk) Reject(callID string, status int) error {
	p, id, err := d.target(callID, true)
	if err != nil {
		return fmt.Errorf("reject: %w", err)
	}
	return p.Reject(id, status)
}

// Hangup ends a call.
func (d *Desk) Hangup(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("hang up: %w", err)
	}
	return p.Hangup(id)
}

// Hold puts the call on hold.
func (d *Desk) Hold(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return p.Hold(id)
}

// Resume takes the call off hold.
func (d *Desk) Resume(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return p.Resume(id)
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
	return p.Transfer(id, target)
}

// SendDTMF sends one key on the call.
func (d *Desk) SendDTMF(callID, digit string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("dtmf: %w", err)
	}
	return p.SendDTMF(id, digit)
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
	if err := d.quiet.CanDial(d.clock.Now()); err != nil {
		return "", fmt.Errorf("dial %s: %w", n, err)
	}
	p := d.phone.Load()
	if p == nil {
		return "", fmt.Errorf("dial %s: %w", n, ErrNoPhone)
	}
	id, err := (*p).Dial(ctx, n)
	if err != nil {
		return "", fmt.Errorf("dial %s: %w", n, err)
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
// desk's current language, or the silent-call line when silent. The window
// calls it as the minutes pass so the line on screen follows the time of
// day and holidays, and when the agent marks a call silent.
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
