package telephony

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// inDialogTimeout bounds BYE, re-INVITE, REFER and INFO.
const inDialogTimeout = 10 * time.Second

// remoteTarget is where in-dialog requests go: the peer's Contact.
func (c *call) remoteTarget() (sip.Uri, error) {
	var h *sip.ContactHeader
	if c.srv != nil {
		h = c.srv.InviteRequest.Contact()
	} else if c.cli != nil && c.cli.InviteResponse != nil {
		h = c.cli.InviteResponse.Contact()
	}
	if h == nil {
		return sip.Uri{}, errors.New("telephony: peer sent no contact")
	}
	return h.Address, nil
}

// do sends an in-dialog request and waits for its final response.
func (u *UA) do(ctx context.Context, c *call, req *sip.Request) (*sip.Response, error) {
	u.pinSocket(req)
	if c.srv != nil {
		return c.srv.Do(ctx, req)
	}
	return c.cli.Do(ctx, req)
}

// doOK sends an in-dialog request and wants a 2xx: a failure or any other
// final answer is an error naming op and the call ("telephony: refer
// <call-id>: 486 Busy Here"). Re-INVITE, REFER and INFO share it.
func (u *UA) doOK(ctx context.Context, c *call, req *sip.Request, op, callID string) (*sip.Response, error) {
	res, err := u.do(ctx, c, req)
	if err != nil {
		return nil, fmt.Errorf("telephony: %s %s: %w", op, callID, err)
	}
	if !res.IsSuccess() {
		return nil, fmt.Errorf("telephony: %s %s: %s", op, callID, statusReason(res))
	}
	return res, nil
}

// write sends an in-dialog request without a transaction (ACK).
func (u *UA) write(c *call, req *sip.Request) error {
	u.pinSocket(req)
	if c.srv != nil {
		return c.srv.WriteRequest(req)
	}
	return c.cli.WriteRequest(req)
}

// Dial places an outbound call to number (digits, or a sip:/tel: URI) and
// returns its Call-ID once the INVITE is sent; ringing, answered and ended
// follow as events. A digest challenge on the INVITE is answered with the
// configured credentials.
func (u *UA) Dial(ctx context.Context, number string) (string, error) {
	c, err := u.dial(ctx, number, nil)
	if err != nil {
		return "", err
	}
	return c.id, nil
}

// dial sends an INVITE to number (with extra headers) and waits for its
// answer in the background; mon makes it a supervisor's monitoring leg.
func (u *UA) dial(ctx context.Context, number string, mon *monitorLeg, extra ...sip.Header) (*call, error) {
	u.mu.Lock()
	started, closed := u.running, u.closed
	u.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !started {
		return nil, ErrNotStarted
	}
	target, err := u.targetURI(number)
	if err != nil {
		return nil, err
	}
	media, err := newRTPStream(u.host, u.log)
	if err != nil {
		return nil, fmt.Errorf("telephony: media port: %w", err)
	}
	key, err := u.newOfferKey()
	if err != nil {
		media.close()
		return nil, err
	}
	c := &call{dir: Outbound, caller: Caller{Number: target.User, URI: target.String()}, state: stateRinging, ourKey: key, mon: mon}
	if mon != nil {
		c.answered = make(chan error, 1)
	}
	req := sip.NewRequest(sip.INVITE, target)
	from := sip.FromHeader{Address: u.aor()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: target.Scheme, User: target.User, Host: target.Host}})
	contact := u.contact
	req.AppendHeader(&contact)
	for _, h := range extra {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offerSDPWith(u.host, media.Port(), u.sessID, c.nextVersion(), dirSendRecv, key))
	u.prepareOutOfDialog(req)

	dialCtx, cancel := context.WithCancel(u.ctx)
	c.cancelDial = cancel
	c.media = media
	// A dead PBX must not hold the caller for the whole transaction timeout.
	wctx, wcancel := context.WithTimeout(ctx, inDialogTimeout)
	defer wcancel()
	dlg, err := u.dialogUA.WriteInvite(wctx, req, sipgo.ClientRequestBuild)
	if err != nil {
		cancel()
		media.close()
		return nil, fmt.Errorf("telephony: invite %s: %w", number, err)
	}
	c.cli = dlg
	c.id = callIDOf(req)
	u.mu.Lock()
	u.calls[c.id] = c
	u.mu.Unlock()
	u.log.Info("dialing", "call_id", c.id, "target", target.String(), "monitoring", mon != nil)
	media.log = u.log.With("call_id", c.id)
	if mon == nil {
		media.onDTMF = func(d string) {
			u.event(Event{Kind: EventDTMF, CallID: c.id, Direction: c.dir, Caller: c.caller, Digit: d})
		}
	}

	u.dialWG.Add(1)
	go func() {
		defer u.dialWG.Done()
		defer cancel()
		u.waitAnswer(dialCtx, c)
	}()
	return c, nil
}

func (u *UA) waitAnswer(ctx context.Context, c *call) {
	rang := false
	result := func(err error) {
		if c.answered != nil {
			c.answered <- err
		}
	}
	err := c.cli.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: u.cfg.User,
		Password: u.cfg.Password,
		OnResponse: func(res *sip.Response) error {
			if !rang && c.mon == nil && (res.StatusCode == sip.StatusRinging || res.StatusCode == sip.StatusSessionInProgress) {
				rang = true
				u.event(Event{Kind: EventRinging, CallID: c.id, Direction: Outbound, Caller: c.caller})
			}
			return nil
		},
	})
	if err != nil {
		reason := errReason(err)
		if errors.Is(err, context.Canceled) {
			reason = "cancelled"
		}
		kind := EventEnded
		if c.mon != nil {
			err = monitorFailure(c.mon.peer, err)
			if me := (*MonitorError)(nil); errors.As(err, &me) {
				kind = EventMonitorRefused
			}
		}
		u.finishWith(c, kind, reason, err)
		result(err)
		return
	}
	if err := c.cli.Ack(ctx); err != nil {
		u.log.Warn("ack", "call_id", c.id, "error", err)
	}
	if err := u.applyAnswer(c, c.cli.InviteResponse.Body()); err != nil {
		// The callee answered with media we cannot take (or plain RTP
		// where SRTP is required): end the call rather than leak its audio.
		u.log.Warn("unusable answer", "call_id", c.id, "error", err)
		bctx, bcancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
		_ = u.bye(bctx, c)
		bcancel()
		u.finish(c, EventEnded, "unusable media answer")
		result(fmt.Errorf("telephony: %s answered with unusable media: %w", c.caller.Number, err))
		return
	}
	if c.mon != nil {
		if err := u.monitorAnswered(c, c.cli.InviteResponse); err != nil {
			u.log.Warn("not a monitoring answer", "call_id", c.id, "error", err)
			bctx, bcancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
			_ = u.bye(bctx, c)
			bcancel()
			err = fmt.Errorf("telephony: monitor %s: %w", c.mon.peer, err)
			u.finishWith(c, EventMonitorRefused, "answered without monitoring", err)
			result(err)
			return
		}
	}
	c.setState(stateActive)
	c.getMedia().start()
	u.goLive(c)
	u.log.Info("answered", "call_id", c.id, "monitoring", c.mon != nil)
	if c.mon != nil {
		u.event(Event{Kind: EventMonitorStarted, CallID: c.id, Direction: Outbound, Caller: c.caller, Monitor: c.monitoring()})
	} else {
		u.event(Event{Kind: EventAnswered, CallID: c.id, Direction: Outbound, Caller: c.caller})
	}
	result(nil)
}

// Hangup ends a call: BYE once answered, CANCEL for our own ringing
// outbound call, 603 Decline for a ringing inbound one.
func (u *UA) Hangup(callID string) error {
	c, err := u.lookup(callID)
	if err != nil {
		return err
	}
	switch c.getState() {
	case stateRinging:
		if c.dir == Inbound {
			return u.Reject(callID, statusDecline)
		}
		c.cancelDial() // WaitAnswer sends the CANCEL and reports the end
		return nil
	case stateActive, stateHeld:
		ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
		defer cancel()
		err = u.bye(ctx, c)
		u.finish(c, EventEnded, "hangup")
		if err != nil {
			return fmt.Errorf("telephony: bye %s: %w", callID, err)
		}
		return nil
	}
	return ErrCallState
}

func (u *UA) ctxOrBackground() context.Context {
	if u.ctx != nil && u.ctx.Err() == nil {
		return u.ctx
	}
	return context.Background()
}

// bye ends an answered call, sending the BYE from our listening socket.
func (u *UA) bye(ctx context.Context, c *call) error {
	target, err := c.remoteTarget()
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.BYE, target)
	u.pinSocket(req)
	if c.srv != nil {
		return c.srv.WriteBye(ctx, req)
	}
	return c.cli.WriteBye(ctx, req)
}

// Hold puts an answered call on hold with a re-INVITE offering a=sendonly.
func (u *UA) Hold(callID string) error {
	return u.reinvite(callID, stateActive, stateHeld, dirSendOnly, EventHeld)
}

// Resume takes a held call back with a re-INVITE offering a=sendrecv.
func (u *UA) Resume(callID string) error {
	return u.reinvite(callID, stateHeld, stateActive, dirSendRecv, EventResumed)
}

func (u *UA) reinvite(callID string, from, to callState, dir string, kind EventKind) error {
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if c.getState() != from {
		return ErrCallState
	}
	target, err := c.remoteTarget()
	if err != nil {
		return err
	}
	c.mu.Lock()
	media, key := c.media, c.ourKey
	c.mu.Unlock()
	if media == nil {
		return ErrCallState
	}
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offerSDPWith(u.host, media.Port(), u.sessID, c.nextVersion(), dir, key))
	ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
	defer cancel()
	res, err := u.doOK(ctx, c, req, "re-invite", callID)
	if err != nil {
		return err
	}
	ack := sip.NewRequest(sip.ACK, target)
	if err := u.write(c, ack); err != nil {
		u.log.Warn("ack re-invite", "call_id", callID, "error", err)
	}
	if err := u.applyAnswer(c, res.Body()); err != nil {
		u.log.Warn("re-invite answer", "call_id", callID, "error", err)
	}
	c.setState(to)
	u.log.Info(kind.String(), "call_id", callID)
	u.event(Event{Kind: kind, CallID: callID, Direction: c.dir, Caller: c.caller})
	return nil
}

// Transfer hands an answered call to target (a number or URI) with a blind
// REFER; once the peer accepts (202) our leg is hung up.
func (u *UA) Transfer(callID, target string) error {
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if s := c.getState(); s != stateActive && s != stateHeld {
		return ErrCallState
	}
	to, err := u.targetURI(target)
	if err != nil {
		return err
	}
	remote, err := c.remoteTarget()
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.REFER, remote)
	req.AppendHeader(&sip.ReferToHeader{Address: to})
	req.AppendHeader(&sip.ReferredByHeader{Address: u.aor()})
	ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
	defer cancel()
	if _, err := u.doOK(ctx, c, req, "refer", callID); err != nil {
		return err
	}
	u.log.Info("transferred", "call_id", callID, "target", to.String())
	u.event(Event{Kind: EventTransferred, CallID: callID, Direction: c.dir, Caller: c.caller, Reason: to.String()})
	err = u.bye(ctx, c)
	u.finish(c, EventEnded, "transferred")
	if err != nil {
		u.log.Debug("bye after transfer", "call_id", callID, "error", err)
	}
	return nil
}

// SendDTMF sends one key: as RFC 4733 telephone-event over RTP when the
// peer's SDP offered it, else as SIP INFO (application/dtmf-relay).
func (u *UA) SendDTMF(callID, digit string) error {
	if validDigit(digit) == "" {
		return ErrBadDigit
	}
	digit = validDigit(digit)
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if s := c.getState(); s != stateActive && s != stateHeld {
		return ErrCallState
	}
	if m := c.getMedia(); m != nil && m.supportsRFC4733() {
		return m.sendDTMF(digit)
	}
	target, err := c.remoteTarget()
	if err != nil {
		return err
	}
	req := sip.NewRequest(sip.INFO, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/dtmf-relay"))
	req.SetBody([]byte("Signal=" + digit + "\r\nDuration=160\r\n"))
	ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
	defer cancel()
	_, err = u.doOK(ctx, c, req, "info", callID)
	return err
}
