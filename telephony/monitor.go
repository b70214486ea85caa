package telephony

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Live monitoring, on any PBX. A supervisor's UA dials the agent's
// extension through the PBX with a monitoring INVITE (HeaderMonitor: a
// token the hub issued and the mode); the agent's UA, told to expect that
// token (ExpectMonitor), answers at once without ringing and mixes the
// session into the call it names on its 20 ms clock (voice.go): the
// supervisor hears the caller and the agent, and, by mode, the agent
// (whisper) or both (barge) hear the supervisor. The monitoring leg is
// never a call to the desk: it has EventMonitor* events of its own, does
// not count for call waiting and is not recorded. It ends with the call.

// MonitorMode is what a supervisor on a monitoring session may do.
type MonitorMode int

// The monitoring modes.
const (
	// MonitorListen: the supervisor hears the caller and the agent;
	// nobody hears the supervisor.
	MonitorListen MonitorMode = iota + 1
	// MonitorWhisper: the agent hears the supervisor too; the caller
	// does not.
	MonitorWhisper
	// MonitorBarge: all three hear each other.
	MonitorBarge
)

var monitorModeNames = map[MonitorMode]string{
	MonitorListen:  "listen",
	MonitorWhisper: "whisper",
	MonitorBarge:   "barge",
}

// String is "listen", "whisper" or "barge" (what the SIP messages carry);
// "unknown" for anything else.
func (m MonitorMode) String() string {
	if s, ok := monitorModeNames[m]; ok {
		return s
	}
	return "unknown"
}

func (m MonitorMode) valid() bool { _, ok := monitorModeNames[m]; return ok }

// Valid reports whether m is listen, whisper or barge.
func (m MonitorMode) Valid() bool { return m.valid() }

// ParseMonitorMode reads "listen", "whisper" or "barge" (any case,
// surrounding spaces ignored).
func ParseMonitorMode(s string) (MonitorMode, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for m, name := range monitorModeNames {
		if name == t {
			return m, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want listen, whisper or barge)", ErrMonitorMode, s)
}

// The monitoring protocol on the wire.
const (
	// HeaderMonitor marks a monitoring INVITE: "TOKEN;mode=MODE", the
	// hub's token and the mode asked for.
	HeaderMonitor = "X-Agentdesk-Monitor"
	// HeaderMonitorMode, in the agent's 200 OK, is the mode the session
	// starts in (the one the agent's desk was told: it wins over the
	// INVITE's).
	HeaderMonitorMode = "X-Agentdesk-Monitor-Mode"
	// ContentTypeMonitor is the in-dialog INFO that switches the mode; its
	// body is "mode=MODE".
	ContentTypeMonitor = "application/x-agentdesk-monitor"
	// MinMonitorToken and MaxMonitorToken bound a token's length; its
	// characters are A-Z a-z 0-9 - . _ ~ (base64url or hex fit).
	MinMonitorToken = 16
	MaxMonitorToken = 256
)

// monitorAnswerTimeout bounds DialMonitor: the agent's desk answers at once.
const monitorAnswerTimeout = 15 * time.Second

// Errors of monitoring.
var (
	// ErrMonitorRefused is the cause (errors.Is on a *MonitorError) when
	// the agent's desk answered 403: it was not told to expect the token,
	// the token expired or was used, or the call it names is over.
	ErrMonitorRefused = errors.New("telephony: monitoring refused by the agent's desk")
	// ErrMonitorBusy is the cause (486) when the agent's call already has
	// a supervisor on it.
	ErrMonitorBusy = errors.New("telephony: the agent's call is already monitored")
	// ErrMonitorUnsupported is returned by DialMonitor when the extension
	// answered as a phone does, not as an agentdesk UA taking a
	// monitoring session (the leg is hung up at once).
	ErrMonitorUnsupported = errors.New("telephony: the extension answered without monitoring")
	// ErrMonitorToken is returned for a token of the wrong length or
	// characters, or an expiry that has passed.
	ErrMonitorToken = errors.New("telephony: bad monitor token")
	// ErrMonitorMode is returned for a mode other than listen, whisper or
	// barge.
	ErrMonitorMode = errors.New("telephony: bad monitor mode")
	// ErrNoMonitor is returned by CancelMonitor for a token the UA does
	// not expect (never given, already cancelled, or its session over).
	ErrNoMonitor = errors.New("telephony: no such monitoring token")
)

// MonitorError is the final answer a monitoring INVITE got other than
// 2xx; errors.Is finds ErrMonitorRefused (403) and ErrMonitorBusy (486).
type MonitorError struct {
	Extension string
	Status    int
	Reason    string
}

func (e *MonitorError) Error() string {
	return fmt.Sprintf("telephony: monitor %s: %d %s", e.Extension, e.Status, e.Reason)
}

// Is matches ErrMonitorRefused for 403 and ErrMonitorBusy for 486.
func (e *MonitorError) Is(target error) bool {
	return target == ErrMonitorRefused && e.Status == sip.StatusForbidden ||
		target == ErrMonitorBusy && e.Status == sip.StatusBusyHere
}

// Monitoring describes a monitoring session in an EventMonitor* event.
type Monitoring struct {
	// Supervising is true on the supervisor's desk, false on the agent's.
	Supervising bool
	// CallID is the agent's call the session joins (the agent's desk
	// only; the supervisor's does not know it by SIP).
	CallID string
	// Mode is the mode in effect.
	Mode MonitorMode
	// Peer is the other desk: the supervisor's number as the INVITE
	// names it (agent's desk), or the extension dialled (supervisor's).
	Peer string
}

// monitorLeg is what makes a call a monitoring leg.
type monitorLeg struct {
	supervising bool
	target      *call    // agent's side: the call the leg joins
	key         [32]byte // agent's side: the token's hash
	peer        string
	mode        atomic.Int32
}

func (l *monitorLeg) getMode() MonitorMode  { return MonitorMode(l.mode.Load()) }
func (l *monitorLeg) setMode(m MonitorMode) { l.mode.Store(int32(m)) }

// watching is true for the agent's side of a monitoring leg: its audio
// is mixed into the call it joins, never played as a call of its own.
func (c *call) watching() bool { return c.mon != nil && !c.mon.supervising }

// monitoring is the event description of leg c.
func (c *call) monitoring() *Monitoring {
	m := &Monitoring{Supervising: c.mon.supervising, Mode: c.mon.getMode(), Peer: c.mon.peer}
	if t := c.mon.target; t != nil {
		m.CallID = t.id
	}
	return m
}

// expectation is a token the hub said a supervisor will bring.
type expectation struct {
	callID  string
	mode    MonitorMode
	expires time.Time
	leg     string // the session's Call-ID once the token was used
}

// monitorKey is how tokens are kept: hashed, so a lookup does not time
// the token and a memory dump does not show it.
func monitorKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

func monitorTokenOK(token string) bool {
	if len(token) < MinMonitorToken || len(token) > MaxMonitorToken {
		return false
	}
	for _, r := range token {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_', r == '~':
		default:
			return false
		}
	}
	return true
}

func checkMonitorArgs(token string, mode MonitorMode) error {
	if !monitorTokenOK(token) {
		return fmt.Errorf("%w: want %d to %d characters of A-Z a-z 0-9 - . _ ~, have %d", ErrMonitorToken, MinMonitorToken, MaxMonitorToken, len(token))
	}
	if !mode.valid() {
		return fmt.Errorf("%w %d", ErrMonitorMode, int(mode))
	}
	return nil
}

// parseMonitorHeader reads "TOKEN;mode=MODE" (the mode is optional: 0).
func parseMonitorHeader(v string) (string, MonitorMode, error) {
	token, params, _ := strings.Cut(strings.TrimSpace(v), ";")
	token = strings.TrimSpace(token)
	if !monitorTokenOK(token) {
		return "", 0, ErrMonitorToken
	}
	var mode MonitorMode
	for _, p := range strings.Split(params, ";") {
		k, val, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "mode") {
			m, err := ParseMonitorMode(val)
			if err != nil {
				return "", 0, err
			}
			mode = m
		}
	}
	return token, mode, nil
}

// parseModeBody reads the "mode=MODE" body of a mode INFO.
func parseModeBody(body []byte) (MonitorMode, error) {
	for _, line := range strings.Split(string(body), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "mode") {
			return ParseMonitorMode(v)
		}
	}
	return 0, fmt.Errorf("%w: no mode= line", ErrMonitorMode)
}

// ExpectMonitor tells the agent's UA that a supervisor will join call
// callID (answered, carried by this UA) with token in mode, up to
// expires (by the UA's clock). The monitoring INVITE bearing the token is
// then answered at once, without ringing; any other is refused with 403.
// A token opens one session only. The expectation ends with the call.
func (u *UA) ExpectMonitor(token, callID string, mode MonitorMode, expires time.Time) error {
	if err := checkMonitorArgs(token, mode); err != nil {
		return err
	}
	if now := u.now(); !expires.After(now) {
		return fmt.Errorf("%w: for call %s it expires at %s, not after now (%s)", ErrMonitorToken, callID,
			expires.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if s := c.getState(); s != stateActive && s != stateHeld {
		return ErrCallState
	}
	key := monitorKey(token)
	now := u.now()
	u.mu.Lock()
	if u.monitors == nil {
		u.monitors = map[[32]byte]*expectation{}
	}
	for k, e := range u.monitors {
		if e.leg == "" && !now.Before(e.expires) {
			delete(u.monitors, k)
		}
	}
	if e := u.monitors[key]; e != nil && e.leg != "" {
		u.mu.Unlock()
		return fmt.Errorf("%w: already used for a session", ErrMonitorToken)
	}
	u.monitors[key] = &expectation{callID: callID, mode: mode, expires: expires}
	u.mu.Unlock()
	u.log.Info("expecting a supervisor", "call_id", callID, "mode", mode.String(), "expires", expires)
	return nil
}

// CancelMonitor forgets token: a monitoring INVITE bearing it is refused
// from now on, and the session it opened, if up, is hung up.
func (u *UA) CancelMonitor(token string) error {
	key := monitorKey(token)
	u.mu.Lock()
	e := u.monitors[key]
	delete(u.monitors, key)
	u.mu.Unlock()
	if e == nil {
		return ErrNoMonitor
	}
	if e.leg == "" {
		u.log.Info("supervisor no longer expected", "call_id", e.callID)
		return nil
	}
	c, err := u.lookup(e.leg)
	if err != nil {
		return nil // the session ended meanwhile
	}
	return u.endLeg(c, "cancelled")
}

// DialMonitor starts a monitoring session from the supervisor's UA: a
// monitoring INVITE to the agent's extension (through the PBX) carrying
// token and mode. It returns the session's Call-ID once the agent's desk
// answered (EventMonitorStarted follows at once); a refusal is a
// *MonitorError (errors.Is ErrMonitorRefused, ErrMonitorBusy). ctx bounds
// the wait (at most 15 s). Switch modes with SetMonitorMode, end the
// session with Hangup; EventMonitorEnded says when it ended.
func (u *UA) DialMonitor(ctx context.Context, extension, token string, mode MonitorMode) (string, error) {
	if err := checkMonitorArgs(token, mode); err != nil {
		return "", err
	}
	mon := &monitorLeg{supervising: true, peer: extension}
	mon.setMode(mode)
	ctx, cancel := context.WithTimeout(ctx, monitorAnswerTimeout)
	defer cancel()
	c, err := u.dial(ctx, extension, mon, sip.NewHeader(HeaderMonitor, token+";mode="+mode.String()))
	if err != nil {
		return "", err
	}
	select {
	case err := <-c.answered:
		if err != nil {
			return "", err
		}
		return c.id, nil
	case <-ctx.Done():
	}
	c.cancelDial()
	// The answer may have crossed the CANCEL: do not leave that session up.
	select {
	case err := <-c.answered:
		if err == nil {
			_ = u.endLeg(c, "cancelled")
		}
	case <-time.After(inDialogTimeout):
	}
	return "", fmt.Errorf("telephony: monitor %s: %w", extension, ctx.Err())
}

// SetMonitorMode switches the supervisor's session callID to mode: an
// in-dialog INFO (ContentTypeMonitor) the agent's desk applies at once.
// Going to listen silences the supervisor's microphone before the INFO
// leaves; the other modes open it once the agent's desk said yes.
func (u *UA) SetMonitorMode(callID string, mode MonitorMode) error {
	if !mode.valid() {
		return fmt.Errorf("%w %d", ErrMonitorMode, int(mode))
	}
	c, err := u.lookup(callID)
	if err != nil {
		return err
	}
	if c.mon == nil || !c.mon.supervising || c.getState() != stateActive {
		return ErrCallState
	}
	old := c.mon.getMode()
	if old == mode {
		return nil
	}
	target, err := c.remoteTarget()
	if err != nil {
		return err
	}
	if mode == MonitorListen {
		c.mon.setMode(mode)
	}
	req := sip.NewRequest(sip.INFO, target)
	req.AppendHeader(sip.NewHeader("Content-Type", ContentTypeMonitor))
	req.SetBody([]byte("mode=" + mode.String() + "\r\n"))
	ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
	defer cancel()
	if _, err := u.doOK(ctx, c, req, "monitor mode", callID); err != nil {
		c.mon.setMode(old)
		return err
	}
	c.mon.setMode(mode)
	u.log.Info("monitor mode", "call_id", callID, "mode", mode.String())
	u.event(Event{Kind: EventMonitorMode, CallID: c.id, Direction: c.dir, Caller: c.caller, Monitor: c.monitoring()})
	return nil
}

// endLeg hangs a monitoring leg up (BYE once up) and reports why. An
// agent's leg still being answered is let finish first: its 200 waits for
// an ACK that only a leg still known can take.
func (u *UA) endLeg(c *call, reason string) error {
	if c.settled != nil && c.getState() == stateRinging {
		select {
		case <-c.settled:
		case <-time.After(inDialogTimeout):
		}
	}
	var err error
	switch c.getState() {
	case stateActive, stateHeld:
		ctx, cancel := context.WithTimeout(u.ctxOrBackground(), inDialogTimeout)
		err = u.bye(ctx, c)
		cancel()
	case stateRinging:
		if c.cancelDial != nil {
			c.cancelDial()
			return nil
		}
	}
	u.finish(c, EventMonitorEnded, reason)
	if err != nil {
		return fmt.Errorf("telephony: bye %s: %w", c.id, err)
	}
	return nil
}

// onMonitorInvite takes a monitoring INVITE on the agent's side: answered
// at once when it bears a token the desk expects for a call in progress,
// refused otherwise. Nothing rings either way.
func (u *UA) onMonitorInvite(req *sip.Request, tx sip.ServerTransaction, value string) {
	callID := callIDOf(req)
	caller := identityOf(req)
	log := u.log.With("call_id", callID)
	refuse := func(status int, phrase, reason string, target string, mode MonitorMode) {
		log.Info("monitoring refused", "reason", reason, "from", caller.Number)
		u.event(Event{Kind: EventMonitorRefused, CallID: callID, Direction: Inbound, Caller: caller, Reason: reason,
			Monitor: &Monitoring{CallID: target, Mode: mode, Peer: caller.Number}})
		_ = tx.Respond(sip.NewResponseFromRequest(req, status, phrase, nil))
	}
	token, asked, err := parseMonitorHeader(value)
	if err != nil {
		refuse(sip.StatusForbidden, "Forbidden", "bad monitor header", "", 0)
		return
	}
	if u.ctx.Err() != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", nil))
		return
	}
	var offer *SDP
	if body := req.Body(); len(body) > 0 {
		o, err := ParseSDP(body)
		if err == nil {
			_, err = o.answer(answerSpec{ip: u.host, srtp: u.srtpNeed()})
		}
		if err != nil {
			log.Info("unacceptable monitoring offer", "error", err)
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusNotAcceptableHere, "Not Acceptable Here", nil))
			return
		}
		offer = o
	}

	key := monitorKey(token)
	now := u.now()
	u.mu.Lock()
	if _, dup := u.calls[callID]; dup {
		u.mu.Unlock()
		return // a retransmission the transaction layer did not absorb
	}
	e := u.monitors[key]
	var target *call
	if e != nil {
		target = u.calls[e.callID]
	}
	switch {
	case e == nil:
		u.mu.Unlock()
		refuse(sip.StatusForbidden, "Forbidden", "unknown token", "", asked)
		return
	case e.leg != "":
		u.mu.Unlock()
		refuse(sip.StatusForbidden, "Forbidden", "token used", e.callID, asked)
		return
	case !now.Before(e.expires):
		delete(u.monitors, key)
		u.mu.Unlock()
		refuse(sip.StatusForbidden, "Forbidden", "expired token", e.callID, asked)
		return
	case target == nil || target.mon != nil || (target.getState() != stateActive && target.getState() != stateHeld):
		delete(u.monitors, key)
		u.mu.Unlock()
		refuse(sip.StatusForbidden, "Forbidden", "call not in progress", e.callID, asked)
		return
	case target.spy.Load() != nil:
		u.mu.Unlock()
		refuse(sip.StatusBusyHere, "Busy Here", "already monitored", e.callID, asked)
		return
	}
	dlg, err := u.dialogUA.ReadInvite(req, tx)
	if err != nil {
		u.mu.Unlock()
		log.Info("bad monitoring invite", "error", err)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	leg := &call{id: callID, dir: Inbound, caller: caller, srv: dlg, state: stateRinging, settled: make(chan struct{}),
		mon: &monitorLeg{target: target, key: key, peer: caller.Number}}
	defer close(leg.settled)
	leg.mon.setMode(e.mode)
	e.leg = callID
	u.calls[callID] = leg
	target.spy.Store(leg)
	u.mu.Unlock()
	if asked != 0 && asked != e.mode {
		log.Info("monitoring starts in the mode the desk was told", "asked", asked.String(), "mode", e.mode.String())
	}
	log.Info("supervisor joining", "target_call_id", target.id, "mode", e.mode.String(), "from", caller.Number)
	if err := u.answer(leg, offer, sip.NewHeader(HeaderMonitorMode, e.mode.String())); err != nil {
		log.Info("monitoring answer", "error", err)
	}
}

// onMonitorInfo applies a mode INFO on the agent's side of a leg (other
// INFOs on a leg, DTMF among them, are taken and ignored).
func (u *UA) onMonitorInfo(c *call, req *sip.Request, tx sip.ServerTransaction) {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(h.Value()))
	}
	if !strings.HasPrefix(ct, ContentTypeMonitor) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
		return
	}
	if c.mon.supervising {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return
	}
	mode, err := parseModeBody(req.Body())
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	old := MonitorMode(c.mon.mode.Swap(int32(mode)))
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	if old != mode {
		u.log.Info("monitor mode", "call_id", c.id, "mode", mode.String())
		u.event(Event{Kind: EventMonitorMode, CallID: c.id, Direction: c.dir, Caller: c.caller, Monitor: c.monitoring()})
	}
}

// monitorAnswered finishes the supervisor's side once the agent's desk
// answered: the mode it starts in comes from its 200 OK, and an answer
// without one is a phone, not a desk, and is hung up.
func (u *UA) monitorAnswered(c *call, res *sip.Response) error {
	h := res.GetHeader(HeaderMonitorMode)
	if h == nil {
		return ErrMonitorUnsupported
	}
	m, err := ParseMonitorMode(h.Value())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMonitorUnsupported, err)
	}
	c.mon.setMode(m)
	return nil
}

// monitorFailure turns the error of a monitoring INVITE into what
// DialMonitor returns.
func monitorFailure(extension string, err error) error {
	var dr *sipgo.ErrDialogResponse
	if errors.As(err, &dr) {
		return &MonitorError{Extension: extension, Status: dr.Res.StatusCode, Reason: dr.Res.Reason}
	}
	return fmt.Errorf("telephony: monitor %s: %w", extension, err)
}
