package telephony

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/icholy/digest"
)

// registerTimeout bounds one REGISTER attempt (the transaction's own
// Timer F is 32 s, far too long to notice a dead PBX).
const registerTimeout = 5 * time.Second

// registration keeps our contact bound at the registrar: it refreshes
// before expiry, retries with backoff, re-registers as soon as a keep-alive
// finds the PBX gone, and unregisters on stop.
type registration struct {
	u      *UA
	callID string
	cseq   uint32

	mu         sync.Mutex // guards cseq and the request sequence
	registered bool
	lastReason string
	// freshBinding is set when we re-registered because an AOR ping got
	// 404: a second 404 then means the PBX never routes OPTIONS to users.
	freshBinding bool
	noAORPing    bool
	lost         chan struct{}
	stopped      chan struct{}
}

func newRegistration(u *UA) *registration {
	return &registration{
		u:       u,
		callID:  uuid.NewString(),
		cseq:    1,
		lost:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
}

func (r *registration) isRegistered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.registered
}

// run registers until ctx ends.
func (r *registration) run(ctx context.Context) {
	defer close(r.stopped)
	backoff := r.u.backoffMin
	var keepAlive <-chan time.Time
	if r.u.cfg.KeepAlive > 0 {
		t := time.NewTicker(r.u.cfg.KeepAlive)
		defer t.Stop()
		keepAlive = t.C
	}
	for {
		// The PBX's address may have moved: requests are taken from where
		// its name points now (and where it pointed before).
		if err := r.u.guard.resolve(ctx); err != nil {
			r.u.log.Debug("pbx lookup", "error", err)
		}
		granted, err := r.register(ctx, r.u.cfg.Expires)
		if ctx.Err() != nil {
			return
		}
		var wait time.Duration
		if err != nil {
			r.failedWith(err)
			wait = backoff
			backoff = min(backoff*2, r.u.backoffMax)
		} else {
			r.succeeded(granted)
			backoff = r.u.backoffMin
			// Refresh at half the lifetime, but never later than 5 s before expiry.
			wait = max(min(granted/2, granted-5*time.Second), time.Second)
		}
		timer := time.NewTimer(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				break waiting
			case <-r.lost:
				timer.Stop()
				break waiting
			case <-keepAlive:
				if !r.isRegistered() {
					continue
				}
				switch r.ping(ctx) {
				case pingDead:
					r.failed("timeout")
					timer.Stop()
					break waiting
				case pingUnbound:
					// Re-register at once; the next ping tells whether
					// the registrar simply does not route OPTIONS to us.
					r.u.log.Info("registrar lost our binding")
					r.mu.Lock()
					r.freshBinding = true
					r.mu.Unlock()
					timer.Stop()
					break waiting
				}
			}
		}
	}
}

// pingResult is what a keep-alive found out.
type pingResult int

const (
	pingAlive   pingResult = iota + 1
	pingDead               // no answer: the PBX is down or unreachable
	pingUnbound            // the registrar no longer knows our binding
)

// ping sends OPTIONS through the PBX to our own address of record: it
// keeps NAT bindings open, tells a live PBX from a dead one, and notices a
// registrar that lost our binding (a restarted PBX answers 404 or 480
// instead of routing the OPTIONS back to us). A PBX that answers 404 even
// right after a successful registration does not route OPTIONS to users:
// from then on we ping the PBX itself and any response counts as alive.
func (r *registration) ping(ctx context.Context) pingResult {
	ctx, cancel := context.WithTimeout(ctx, min(r.u.cfg.KeepAlive, registerTimeout))
	defer cancel()
	r.mu.Lock()
	toAOR := !r.noAORPing
	r.mu.Unlock()
	target := sip.Uri{Scheme: "sip", Host: r.u.pbx.Host, Port: r.u.pbx.Port}
	if toAOR {
		target.User = r.u.cfg.User
	}
	req := sip.NewRequest(sip.OPTIONS, target)
	from := sip.FromHeader{Address: r.u.aor()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: target.User, Host: r.u.pbx.Host}})
	r.u.prepareOutOfDialog(req)
	res, err := r.u.cli.Do(ctx, req)
	if err != nil {
		return pingDead
	}
	if toAOR && (res.StatusCode == sip.StatusNotFound || res.StatusCode == sip.StatusTemporarilyUnavailable) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.freshBinding {
			// We registered just before this ping: the 404 is the PBX's
			// policy, not a lost binding.
			r.noAORPing = true
			return pingAlive
		}
		return pingUnbound
	}
	r.mu.Lock()
	r.freshBinding = false
	r.mu.Unlock()
	return pingAlive
}

func (r *registration) succeeded(granted time.Duration) {
	r.mu.Lock()
	was := r.registered
	r.registered, r.lastReason = true, ""
	r.mu.Unlock()
	if !was {
		r.u.log.Info("registered", "expires", granted)
		r.u.event(Event{Kind: EventRegistered})
	}
}

func (r *registration) failed(reason string) { r.report(reason, nil) }

// failedWith reports a failed attempt with its cause in Event.Err:
// wrapping ErrCertificate when the PBX's TLS certificate was refused,
// else the error as the transaction or the registrar gave it.
func (r *registration) failedWith(err error) {
	reason := errReason(err)
	cause := err
	if c := certificateError(err); c != nil {
		cause, reason = c, c.Error()
	}
	r.report(reason, cause)
}

func (r *registration) report(reason string, cause error) {
	r.mu.Lock()
	changed := r.registered || r.lastReason != reason
	r.registered, r.lastReason = false, reason
	r.mu.Unlock()
	if changed {
		r.u.log.Warn("register failed", "reason", reason)
		r.u.event(Event{Kind: EventRegisterFailed, Reason: reason, Err: cause})
	}
}

// register sends one REGISTER (answering a digest challenge) and returns
// the lifetime the registrar granted.
func (r *registration) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	req := r.newRequest(expires)
	res, err := r.u.cli.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if r.u.learnContactPort(req) {
		// Our first REGISTER went out with no port: register the real one.
		res, err = r.u.cli.Do(ctx, r.newRequest(expires))
		if err != nil {
			return 0, err
		}
	}
	if res, err = r.u.answerChallenge(ctx, res, func() *sip.Request { return r.newRequest(expires) }); err != nil {
		return 0, err
	}
	if res.StatusCode != sip.StatusOK {
		return 0, registerError{res: statusReason(res)}
	}
	return grantedExpiry(res, r.u.contact.Address, expires), nil
}

// learnContactPort fills in the Contact port for TLS, where we do not
// listen: calls come back over the connection we registered on, so the
// PBX must see that connection's local port (which the transport wrote
// into the Via sent-by). It reports whether the Contact changed. It runs
// in the registration loop before any call can exist.
func (u *UA) learnContactPort(sent *sip.Request) bool {
	if u.transport != "tls" || u.port != 0 {
		return false
	}
	via := sent.Via()
	if via == nil || via.Port == 0 {
		return false
	}
	u.port = via.Port
	u.contact.Address.Port = via.Port
	u.dialogUA.ContactHDR = u.contact
	u.log.Info("tls contact", "addr", u.Addr())
	return true
}

// registerError carries the registrar's refusal, e.g. "403 Forbidden".
type registerError struct{ res string }

func (e registerError) Error() string { return e.res }

func (r *registration) newRequest(expires time.Duration) *sip.Request {
	r.mu.Lock()
	r.cseq++
	cseq := r.cseq
	r.mu.Unlock()
	u := r.u
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: u.pbx.Host, Port: u.pbx.Port})
	from := sip.FromHeader{Address: u.aor()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&from)
	req.AppendHeader(&sip.ToHeader{Address: u.aor()})
	cid := sip.CallIDHeader(r.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	contact := u.contact
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, NOTIFY, REFER"))
	u.prepareOutOfDialog(req)
	return req
}

// grantedExpiry reads the lifetime from our Contact's expires parameter,
// else the Expires header, else what we asked for.
func grantedExpiry(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != ours.Host || c.Address.Port != ours.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	return headerExpiry(res, asked)
}

// headerExpiry is the lifetime in res's Expires header, or asked when there
// is none (or it is not a positive number).
func headerExpiry(res *sip.Response, asked time.Duration) time.Duration {
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked
}

// stop unregisters (Expires: 0) if we were registered, and waits for the
// loop to end (the caller cancels the UA context).
func (r *registration) stop(ctx context.Context) {
	if !r.isRegistered() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	res, err := r.u.cli.Do(ctx, r.newRequest(0))
	if err == nil {
		res, err = r.u.answerChallenge(ctx, res, func() *sip.Request { return r.newRequest(0) })
	}
	switch {
	case err != nil:
		r.u.log.Warn("unregister failed", "error", err)
	case res.StatusCode != sip.StatusOK:
		r.u.log.Warn("unregister refused", "status", statusReason(res))
	default:
		r.u.log.Info("unregistered")
	}
	r.mu.Lock()
	r.registered = false
	r.mu.Unlock()
	r.u.event(Event{Kind: EventUnregistered})
}

// answerChallenge answers a 401/407 in res: it builds a fresh request with
// newReq, authorizes it against the challenge and sends it, returning that
// response. Any other response is returned as it is. REGISTER (and its
// unregister) and the companion's SUBSCRIBE share it.
func (u *UA) answerChallenge(ctx context.Context, res *sip.Response, newReq func() *sip.Request) (*sip.Response, error) {
	if res.StatusCode != sip.StatusUnauthorized && res.StatusCode != sip.StatusProxyAuthRequired {
		return res, nil
	}
	req := newReq()
	if err := u.authorize(req, res); err != nil {
		return nil, err
	}
	return u.cli.Do(ctx, req)
}

// authorize adds Authorization (401) or Proxy-Authorization (407) to req
// answering the challenge in res. When several challenges are offered it
// prefers SHA-256 to MD5.
func (u *UA) authorize(req *sip.Request, res *sip.Response) error {
	chName, authName := "WWW-Authenticate", "Authorization"
	if res.StatusCode == sip.StatusProxyAuthRequired {
		chName, authName = "Proxy-Authenticate", "Proxy-Authorization"
	}
	var best *digest.Challenge
	for _, h := range res.GetHeaders(chName) {
		ch, err := digest.ParseChallenge(h.Value())
		if err != nil {
			continue
		}
		ch.Algorithm = strings.ToUpper(ch.Algorithm)
		if !digest.CanDigest(ch) {
			continue
		}
		if best == nil || (ch.Algorithm == "SHA-256" && best.Algorithm != "SHA-256") {
			best = ch
		}
	}
	if best == nil {
		return registerError{res: statusReason(res)}
	}
	cred, err := digest.Digest(best, digest.Options{
		Method:   req.Method.String(),
		URI:      req.Recipient.Addr(),
		Username: u.cfg.User,
		Password: u.cfg.Password,
		Count:    1,
	})
	if err != nil {
		return fmt.Errorf("telephony: digest: %w", err)
	}
	req.RemoveHeader(authName)
	req.AppendHeader(sip.NewHeader(authName, cred.String()))
	return nil
}
