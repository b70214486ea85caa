package telephony

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// callState is where a call is in its life.
type callState int

const (
	stateRinging callState = iota + 1
	stateActive
	stateHeld
	stateEnded
)

// decision is what the desk decided about a ringing inbound call.
type decision struct {
	status int // 200 answers; 486, 603… reject
	result chan error
}

// call is one inbound or outbound call.
type call struct {
	id     string
	dir    Direction
	caller Caller

	srv *sipgo.DialogServerSession // inbound
	cli *sipgo.DialogClientSession // outbound

	decide     chan decision      // inbound, while ringing
	cancelDial context.CancelFunc // outbound, while ringing

	mu         sync.Mutex
	state      callState
	media      *rtpStream
	ourKey     *Crypto // our SRTP key, kept across re-INVITEs
	rec        *recorder
	sdpVersion uint64
	endOnce    sync.Once
	muted      atomic.Bool

	mon      *monitorLeg          // set on a monitoring leg, either side
	spy      atomic.Pointer[call] // the agent's side of the leg monitoring this call
	answered chan error           // a supervisor's leg: how its INVITE ended
	settled  chan struct{}        // an agent's leg: closed once answering is over
	tick     tickState            // the voice clock's, under voice.tickMu
}

func (c *call) getState() callState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *call) setState(s callState) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

// nextVersion is the next o= session version of our SDP.
func (c *call) nextVersion() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sdpVersion++
	return c.sdpVersion
}

// lookupCall is lookup for the call controls: a monitoring leg is not a
// call they apply to.
func (u *UA) lookupCall(callID string) (*call, error) {
	c, err := u.lookup(callID)
	if err == nil && c.mon != nil {
		return nil, ErrCallState
	}
	return c, err
}

func (u *UA) lookup(callID string) (*call, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed && len(u.calls) == 0 {
		return nil, ErrClosed
	}
	c, ok := u.calls[callID]
	if !ok {
		return nil, ErrNoCall
	}
	return c, nil
}

// busy reports whether a call is ringing or up (monitoring legs are not
// calls: they never make the desk busy).
func (u *UA) busy() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.calls {
		if c.mon == nil && c.getState() != stateEnded {
			return true
		}
	}
	return false
}

// callsLocked counts the calls, monitoring legs left out; u.mu held.
func (u *UA) callsLocked() int {
	n := 0
	for _, c := range u.calls {
		if c.mon == nil {
			n++
		}
	}
	return n
}

// finish ends a call once: it stops the media, forgets the call and emits
// the event (ended, missed, answered_elsewhere…). A monitoring leg
// reports monitor_ended (or monitor_refused) instead; a call with a
// supervisor on it hangs the supervisor's leg up too.
func (u *UA) finish(c *call, kind EventKind, reason string) {
	u.finishWith(c, kind, reason, nil)
}

// finishWith is finish with the typed cause a monitoring leg's event
// carries (a call's ended event has none).
func (u *UA) finishWith(c *call, kind EventKind, reason string, cause error) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.state = stateEnded
		c.mu.Unlock()
		u.endMedia(c)
		u.mu.Lock()
		delete(u.calls, c.id)
		spy := c.spy.Swap(nil)
		for k, e := range u.monitors {
			if e.callID == c.id && e.leg == "" {
				delete(u.monitors, k) // expected for a call that is over
			}
		}
		if c.watching() {
			delete(u.monitors, c.mon.key)
			c.mon.target.spy.CompareAndSwap(c, nil)
		}
		u.mu.Unlock()
		if c.mon != nil {
			if kind != EventMonitorRefused {
				kind = EventMonitorEnded
			}
			u.log.Info("monitoring ended", "call_id", c.id, "kind", kind.String(), "reason", reason)
			u.event(Event{Kind: kind, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: reason, Err: cause, Monitor: c.monitoring()})
		} else {
			u.log.Info("call ended", "call_id", c.id, "kind", kind.String(), "reason", reason)
			u.event(Event{Kind: kind, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: reason})
		}
		if spy != nil {
			u.legWG.Add(1)
			go func() {
				defer u.legWG.Done()
				if err := u.endLeg(spy, "call ended"); err != nil {
					u.log.Debug("end monitoring leg", "call_id", spy.id, "error", err)
				}
			}()
		}
	})
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// identityOf reads the caller identity headers of an INVITE.
func identityOf(req *sip.Request) Caller {
	h := IdentityHeaders{
		PAssertedIdentity: headerValue(req, HeaderPAI),
		RemotePartyID:     headerValue(req, HeaderRPID),
		Privacy:           headerValue(req, "Privacy"),
	}
	if f := req.From(); f != nil {
		h.From = f.Value()
	}
	return CallerIdentity(h)
}

// completedElsewhere recognises RFC 3326 Reason headers that say another
// device took the call (parallel ringing of a desk phone).
func completedElsewhere(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "cause=200") || strings.Contains(r, "completed elsewhere") ||
		strings.Contains(r, "call completed elsewhere")
}

func (u *UA) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		u.onReInvite(req, tx)
		return
	}
	// A supervisor joining a call is not a call: no busy check, no ring.
	if h := req.GetHeader(HeaderMonitor); h != nil {
		u.onMonitorInvite(req, tx, h.Value())
		return
	}
	callID := ""
	if cid := req.CallID(); cid != nil {
		callID = cid.Value()
	}
	caller := identityOf(req)
	log := u.log.With("call_id", callID)

	var offer *SDP
	if body := req.Body(); len(body) > 0 {
		o, err := ParseSDP(body)
		if err == nil {
			// A dry run of the answer: codec and encryption must suit us.
			_, err = o.answer(answerSpec{ip: u.host, srtp: u.srtpNeed()})
		}
		if err != nil {
			log.Info("unacceptable offer", "error", err)
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
			return
		}
		offer = o
	}
	if (!u.cfg.CallWaiting && u.busy()) || u.ctx.Err() != nil {
		log.Info("busy", "caller", caller.Number)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		u.event(Event{Kind: EventMissed, CallID: callID, Direction: Inbound, Caller: caller, Reason: "busy"})
		return
	}

	// Register our CANCEL hook before the dialog's, so the Reason header is
	// known by the time the dialog context ends.
	var cancelMu sync.Mutex
	cancelReason := ""
	tx.OnCancel(func(r *sip.Request) {
		cancelMu.Lock()
		cancelReason = headerValue(r, "Reason")
		cancelMu.Unlock()
	})
	dlg, err := u.dialogUA.ReadInvite(req, tx)
	if err != nil {
		log.Info("bad invite", "error", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	c := &call{id: callID, dir: Inbound, caller: caller, srv: dlg, decide: make(chan decision), state: stateRinging}
	u.mu.Lock()
	if _, dup := u.calls[callID]; dup {
		u.mu.Unlock()
		return // a retransmission the transaction layer did not absorb
	}
	// Check busy again under the lock: two INVITEs may arrive together.
	busy := !u.cfg.CallWaiting && u.callsLocked() > 0
	if !busy {
		u.calls[callID] = c
	}
	u.mu.Unlock()
	if busy {
		_ = dlg.Respond(sip.StatusBusyHere, "Busy Here", nil)
		u.event(Event{Kind: EventMissed, CallID: callID, Direction: Inbound, Caller: caller, Reason: "busy"})
		return
	}

	// The pop comes first: the desk's latency budget starts at the socket.
	u.event(Event{Kind: EventRinging, CallID: callID, Direction: Inbound, Caller: caller})
	u.voice.setRinging(c, true)
	if err := dlg.Respond(sip.StatusTrying, "Trying", nil); err != nil {
		log.Debug("100 trying", "error", err)
	}
	if err := dlg.Respond(sip.StatusRinging, "Ringing", nil); err != nil {
		log.Debug("180 ringing", "error", err)
	}
	log.Info("ringing", "caller", caller.Number, "source", caller.Source, "anonymous", caller.Anonymous)

	ringTimer := time.NewTimer(u.ringTimeout)
	defer ringTimer.Stop()
	select {
	case <-dlg.Context().Done():
		cancelMu.Lock()
		reason := cancelReason
		cancelMu.Unlock()
		if completedElsewhere(reason) {
			u.finish(c, EventAnsweredElsewhere, "completed elsewhere")
		} else {
			u.finish(c, EventMissed, "caller cancelled")
		}
	case <-u.ctx.Done():
		_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		u.finish(c, EventMissed, "closed")
	case <-ringTimer.C:
		// Nobody answered and the caller never gave up (or was a scanner).
		_ = dlg.Respond(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil)
		u.finish(c, EventMissed, "no answer")
	case d := <-c.decide:
		u.voice.setRinging(c, false)
		if d.status != sip.StatusOK {
			err := dlg.Respond(d.status, reasonPhrase(d.status), nil)
			// The end is out before Reject returns: Close, which rejects
			// the ringing calls, then returns with every call reported.
			u.finish(c, EventEnded, "rejected")
			d.result <- err
			return
		}
		d.result <- u.answer(c, offer)
	}
}

func reasonPhrase(status int) string {
	switch status {
	case sip.StatusBusyHere:
		return "Busy Here"
	case statusDecline:
		return "Decline"
	case sip.StatusTemporarilyUnavailable:
		return "Temporarily Unavailable"
	}
	return "Rejected"
}

// answer starts the media, sends 200 OK with our SDP (and extra headers)
// and waits for the ACK. The media runs from the 200 on (RFC 3264 lets the
// answerer send at once), so a caller whose ACK is slow is heard, and
// hears the agent, before it arrives.
func (u *UA) answer(c *call, offer *SDP, extra ...sip.Header) error {
	media, err := newRTPStream(u.host, u.log.With("call_id", c.id))
	if err != nil {
		_ = c.srv.Respond(sip.StatusInternalServerError, "Server Error", nil)
		u.finish(c, EventEnded, "no media port")
		return err
	}
	if c.mon == nil { // keys on a monitoring leg are nobody's input
		media.onDTMF = func(d string) {
			u.event(Event{Kind: EventDTMF, CallID: c.id, Direction: c.dir, Caller: c.caller, Digit: d})
		}
	}
	var body []byte
	if offer != nil {
		a, err := offer.answer(answerSpec{ip: u.host, port: media.Port(), sessID: u.sessID, version: c.nextVersion(), srtp: u.srtpNeed()})
		var keys *srtpContexts
		if err == nil && a.ours != nil {
			keys, err = newSRTPContexts(*a.ours, *a.theirs)
		}
		if err != nil {
			media.close()
			_ = c.srv.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
			u.finish(c, EventEnded, "no common codec")
			return err
		}
		body = a.body
		media.configure(a.stream, a.codec, a.dtmfPT, answerDirection(a.stream.Direction), keys)
		c.mu.Lock()
		c.ourKey = a.ours
		c.mu.Unlock()
	} else {
		// Late offer: ours goes in the 200, the answer comes in the ACK.
		key, err := u.newOfferKey()
		if err != nil {
			media.close()
			_ = c.srv.Respond(sip.StatusInternalServerError, "Server Error", nil)
			u.finish(c, EventEnded, "no media key")
			return err
		}
		c.mu.Lock()
		c.ourKey = key
		c.mu.Unlock()
		body = offerSDPWith(u.host, media.Port(), u.sessID, c.nextVersion(), dirSendRecv, key)
	}
	c.mu.Lock()
	c.media = media
	c.mu.Unlock()
	media.start()
	u.goLive(c)
	res := sip.NewSDPResponseFromRequest(c.srv.InviteRequest, body)
	for _, h := range extra {
		res.AppendHeader(h)
	}
	if err := c.srv.WriteResponse(res); err != nil {
		u.finish(c, EventEnded, "answer failed: "+errReason(err))
		return err
	}
	if c.getState() == stateEnded {
		// Ended while the 200 waited for its ACK: the peer thinks it is up.
		ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
		_ = u.bye(ctx, c)
		cancel()
		return ErrCallState
	}
	c.setState(stateActive)
	u.log.Info("answered", "call_id", c.id, "srtp", media.encrypted(), "monitoring", c.mon != nil)
	if c.mon != nil {
		u.event(Event{Kind: EventMonitorStarted, CallID: c.id, Direction: c.dir, Caller: c.caller, Monitor: c.monitoring()})
		return nil
	}
	u.event(Event{Kind: EventAnswered, CallID: c.id, Direction: c.dir, Caller: c.caller})
	return nil
}

// srtpNeed is what the policy asks of the media of a call.
func (u *UA) srtpNeed() srtpNeed {
	switch u.cfg.SRTP {
	case SRTPRequired:
		return srtpMust
	case SRTPOff:
		return srtpNever
	}
	if u.transport == "tls" {
		return srtpMust
	}
	return srtpIfOffered
}

// newOfferKey is the SDES key for an offer of ours, nil when our offers
// are plain RTP.
func (u *UA) newOfferKey() (*Crypto, error) {
	if u.srtpNeed() != srtpMust {
		return nil, nil
	}
	k, err := newCrypto(1, suites[0].name)
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// applyAnswer configures the call's media from the peer's answer to an
// offer of ours: codec, direction and, when we offered a key, theirs.
func (u *UA) applyAnswer(c *call, body []byte) error {
	s, err := ParseSDP(body)
	if err != nil {
		return err
	}
	c.mu.Lock()
	media, ours := c.media, c.ourKey
	c.mu.Unlock()
	if media == nil {
		return ErrCallState
	}
	st := s.liveAudio()
	if st == nil {
		return ErrNoCodec
	}
	codec, ok := g711Of(st.Formats)
	if !ok {
		return ErrNoCodec
	}
	var keys *srtpContexts
	if ours != nil {
		if len(st.Crypto) == 0 {
			return ErrMediaEncryption
		}
		if !media.encrypted() {
			if keys, err = newSRTPContexts(*ours, st.Crypto[0]); err != nil {
				return err
			}
		} else if err := media.rekeyReceive(*ours, st.Crypto[0]); err != nil {
			return err
		}
	}
	media.configure(*st, codec, telephoneEventOf(st.Formats), answerDirection(st.Direction), keys)
	return nil
}

// Answer picks up a ringing inbound call: 200 OK with a G.711 SDP answer,
// then RTP. It returns once the caller has acknowledged.
func (u *UA) Answer(callID string) error {
	return u.decideCall(callID, sip.StatusOK)
}

// Reject refuses a ringing inbound call with status (486 Busy Here,
// 603 Decline; anything else outside 400-699 becomes 603).
func (u *UA) Reject(callID string, status int) error {
	if status < 400 || status > 699 {
		status = statusDecline
	}
	return u.decideCall(callID, status)
}

func (u *UA) decideCall(callID string, status int) error {
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if c.dir != Inbound || c.getState() != stateRinging {
		return ErrCallState
	}
	d := decision{status: status, result: make(chan error, 1)}
	select {
	case c.decide <- d:
	case <-c.srv.Context().Done():
		return ErrCallState
	case <-time.After(5 * time.Second):
		return ErrCallState
	}
	return <-d.result
}

func (u *UA) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c, err := u.lookup(callIDOf(req))
	if err != nil || c.srv == nil {
		return
	}
	_ = c.srv.ReadAck(req, tx)
	// Late offer: the caller's answer is in the ACK.
	if body := req.Body(); len(body) > 0 {
		if err := u.applyAnswer(c, body); err != nil {
			u.log.Info("unusable answer in ack", "call_id", c.id, "error", err)
		}
	}
}

func callIDOf(req *sip.Request) string {
	if cid := req.CallID(); cid != nil {
		return cid.Value()
	}
	return ""
}

// callOr481 finds the call an in-dialog request belongs to; when there is
// none it answers 481 Call/Transaction Does Not Exist and returns nil. BYE,
// re-INVITE and INFO share it.
func (u *UA) callOr481(req *sip.Request, tx sip.ServerTransaction) *call {
	c, err := u.lookup(callIDOf(req))
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist", nil))
		return nil
	}
	return c
}

func (u *UA) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := u.callOr481(req, tx)
	if c == nil {
		return
	}
	var err error
	if c.srv != nil {
		err = c.srv.ReadBye(req, tx)
	} else {
		err = c.cli.ReadBye(req, tx)
	}
	if err != nil {
		u.log.Debug("read bye", "call_id", c.id, "error", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	}
	u.finish(c, EventEnded, "bye from remote")
}

// onReInvite answers a re-INVITE from the peer (its hold, resume or media
// change) with our SDP, mirroring the direction it asked for.
func (u *UA) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	c := u.callOr481(req, tx)
	if c == nil {
		return
	}
	if c.srv != nil {
		if err := c.srv.ReadRequest(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusInternalServerError, "Server Error", nil))
			return
		}
	}
	c.mu.Lock()
	media, ours := c.media, c.ourKey
	c.mu.Unlock()
	if media == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusRequestPending, "Request Pending", nil))
		return
	}
	var body []byte
	if len(req.Body()) > 0 {
		offer, err := ParseSDP(req.Body())
		var a answered
		if err == nil {
			a, err = offer.answer(answerSpec{ip: u.host, port: media.Port(), sessID: u.sessID, version: c.nextVersion(), srtp: u.srtpNeed(), key: ours})
		}
		var keys *srtpContexts
		if err == nil && a.ours != nil && !media.encrypted() {
			keys, err = newSRTPContexts(*a.ours, *a.theirs)
		} else if err == nil && a.ours != nil {
			err = media.rekeyReceive(*a.ours, *a.theirs)
		}
		if err == nil && a.ours == nil && media.encrypted() {
			err = ErrMediaEncryption // no falling back to plain RTP mid-call
		}
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
			return
		}
		body = a.body
		media.configure(a.stream, a.codec, a.dtmfPT, answerDirection(a.stream.Direction), keys)
		u.log.Info("re-invite from peer", "call_id", c.id, "direction", a.stream.Direction)
	} else {
		body = offerSDPWith(u.host, media.Port(), u.sessID, c.nextVersion(), dirSendRecv, ours)
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	contact := u.contact
	res.AppendHeader(&contact)
	if err := tx.Respond(res); err != nil {
		u.log.Debug("re-invite response", "call_id", c.id, "error", err)
	}
}

func (u *UA) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER"))
	_ = tx.Respond(res)
	// Scanners flood OPTIONS: do not keep 32 s of transaction state for each.
	tx.Terminate()
}

// onInfo receives DTMF sent as SIP INFO (application/dtmf-relay or
// application/dtmf).
func (u *UA) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	c := u.callOr481(req, tx)
	if c == nil {
		return
	}
	if c.mon != nil {
		u.onMonitorInfo(c, req, tx)
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	if d := infoDigit(req); d != "" {
		u.event(Event{Kind: EventDTMF, CallID: c.id, Direction: c.dir, Caller: c.caller, Digit: d})
	}
}

// infoDigit reads the key of a DTMF INFO body.
func infoDigit(req *sip.Request) string {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(h.Value())
	}
	body := strings.TrimSpace(string(req.Body()))
	switch {
	case strings.HasPrefix(ct, "application/dtmf-relay"):
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				return validDigit(strings.TrimSpace(v))
			}
		}
	case strings.HasPrefix(ct, "application/dtmf"):
		return validDigit(body)
	}
	return ""
}

func validDigit(d string) string {
	d = strings.ToUpper(d)
	if len(d) == 1 && strings.Contains(dtmfEvents, d) {
		return d
	}
	return ""
}

// onNotify takes NOTIFYs for our REFER subscriptions and, in companion
// mode, for the dialog event package.
func (u *UA) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	ev := strings.ToLower(headerValue(req, "Event"))
	if strings.HasPrefix(ev, "dialog") && u.companion != nil {
		u.companion.onNotify(req, tx)
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
}

// onRefer refuses transfers asked of us: the desk transfers, it is not
// transferred by peers.
func (u *UA) onRefer(req *sip.Request, tx sip.ServerTransaction) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
}

// statusDecline is 603 Decline (sipgo names no constant for it).
const statusDecline = 603
