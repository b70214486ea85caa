package telephony

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// events collects what a UA emits, for tests to wait on.
type events struct {
	mu  sync.Mutex
	all []Event
	ch  chan struct{}
}

func newEvents() *events { return &events{ch: make(chan struct{}, 1)} }

func (e *events) Emit(ev Event) {
	e.mu.Lock()
	e.all = append(e.all, ev)
	e.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	default:
	}
}

// wait returns the first event of kind after the first `skip` ones seen so
// far, polling until the deadline.
func (e *events) wait(t *testing.T, kind EventKind, timeout time.Duration) Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		e.mu.Lock()
		for _, ev := range e.all {
			if ev.Kind == kind {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		select {
		case <-e.ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s event within %s; got %v", kind, timeout, e.kinds())
		}
	}
}

// count is how many events of kind arrived.
func (e *events) count(kind EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.all {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func (e *events) kinds() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var s []string
	for _, ev := range e.all {
		s = append(s, ev.Kind.String()+":"+ev.Reason)
	}
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakePBX is an in-process registrar with digest auth, and a SIP peer that
// can call the registered UA directly.
type fakePBX struct {
	t         testing.TB
	addr      string
	password  string
	algorithm string
	mediaPort int // the caller's RTP port in its SDP offer
	// noTelephoneEvent makes the caller offer PCMU only (DTMF by SIP INFO).
	noTelephoneEvent bool
	// offer, if set, makes the caller's SDP offer from its host and port.
	offer func(host string, port int) []byte
	// optionsStatus, if set, picks the status for an OPTIONS (under mu).
	optionsStatus func(*sip.Request) int
	ua            *sipgo.UserAgent
	srv           *sipgo.Server
	cli           *sipgo.Client
	dialogs       *sipgo.DialogClientCache

	mu         sync.Mutex
	contact    *sip.Uri
	registers  []*sip.Request
	reinvites  []*sip.Request
	refers     []*sip.Request
	subscribes []*sip.Request
	infos      []*sip.Request
	regCh      chan *sip.Request
	subCh      chan *sip.Request
}

func startFakePBX(t testing.TB, password, algorithm string) *fakePBX {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("fakepbx"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quietLogger())),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(quietLogger())))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := conn.LocalAddr().String()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname(host), sipgo.WithClientPort(p), sipgo.WithClientConnectionAddr(addr), sipgo.WithClientLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePBX{t: t, addr: addr, password: password, algorithm: algorithm, ua: ua, srv: srv, cli: cli,
		regCh: make(chan *sip.Request, 100), subCh: make(chan *sip.Request, 100)}
	f.dialogs = sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "caller", Host: host, Port: p}})
	srv.OnRegister(f.onRegister)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		status := 200
		f.mu.Lock()
		if f.optionsStatus != nil {
			status = f.optionsStatus(req)
		}
		f.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, status, "Keepalive", nil))
	})
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		if err := f.dialogs.ReadBye(req, tx); err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 481, "No Dialog", nil))
		}
	})
	srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		f.reinvites = append(f.reinvites, req)
		f.mu.Unlock()
		offer, err := ParseSDP(req.Body())
		if err != nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 488, "Not Acceptable", nil))
			return
		}
		ans, _, _ := offer.Answer(host, 40000, 1, 2)
		_ = tx.Respond(sip.NewSDPResponseFromRequest(req, ans))
	})
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {})
	srv.OnRefer(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		f.refers = append(f.refers, req)
		f.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 202, "Accepted", nil))
	})
	srv.OnInfo(func(req *sip.Request, tx sip.ServerTransaction) {
		f.mu.Lock()
		f.infos = append(f.infos, req)
		f.mu.Unlock()
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	srv.OnSubscribe(func(req *sip.Request, tx sip.ServerTransaction) {
		if !f.authorized(req, tx) {
			return
		}
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.To().Params.Add("tag", "notifier")
		res.AppendHeader(sip.NewHeader("Expires", "60"))
		_ = tx.Respond(res)
		f.mu.Lock()
		f.subscribes = append(f.subscribes, req)
		f.mu.Unlock()
		f.subCh <- req
	})
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() {
		_ = conn.Close()
		_ = ua.Close()
	})
	return f
}

func (f *fakePBX) uri() string { return "sip:" + f.addr }

// authorized checks digest credentials, or challenges and returns false.
func (f *fakePBX) authorized(req *sip.Request, tx sip.ServerTransaction) bool {
	chal := &digest.Challenge{Realm: "agentdesk.test", Nonce: "n" + sip.GenerateTagN(12), Algorithm: f.algorithm, QOP: []string{"auth"}}
	if h := req.GetHeader("Authorization"); h != nil {
		cred, err := digest.ParseCredentials(h.Value())
		if err == nil {
			chal.Nonce = cred.Nonce
			want, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: cred.URI, Username: cred.Username, Password: f.password, Cnonce: cred.Cnonce, Count: cred.Nc})
			if err == nil && want.Response == cred.Response && strings.EqualFold(cred.Algorithm, f.algorithm) {
				return true
			}
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, 403, "Forbidden", nil))
		return false
	}
	res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
	_ = tx.Respond(res)
	return false
}

func (f *fakePBX) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if !f.authorized(req, tx) {
		return
	}
	f.mu.Lock()
	f.registers = append(f.registers, req)
	if c := req.Contact(); c != nil {
		u := c.Address
		f.contact = &u
	}
	f.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		res.AppendHeader(c)
	}
	_ = tx.Respond(res)
	f.regCh <- req
}

// waitRegister returns the next REGISTER that passed authentication.
func (f *fakePBX) waitRegister(t *testing.T) *sip.Request {
	t.Helper()
	select {
	case r := <-f.regCh:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no authenticated REGISTER")
		return nil
	}
}

// invite calls the registered UA from `from` with extra headers; it
// returns the dialog once the INVITE is sent.
func (f *fakePBX) invite(t *testing.T, ctx context.Context, from string, hdrs ...sip.Header) *sipgo.DialogClientSession {
	t.Helper()
	f.mu.Lock()
	contact := f.contact
	f.mu.Unlock()
	if contact == nil {
		t.Fatal("nothing registered")
	}
	req := sip.NewRequest(sip.INVITE, *contact)
	var fromH sip.FromHeader
	name, err := sip.ParseAddressValue(from, &fromH.Address, &fromH.Params)
	if err != nil {
		t.Fatalf("from %q: %v", from, err)
	}
	fromH.DisplayName = name
	fromH.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&fromH)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	host, _, _ := net.SplitHostPort(f.addr)
	port := f.mediaPort
	if port == 0 {
		port = 40002
	}
	body := offerSDP(host, port, 7, 1, dirSendRecv)
	if f.noTelephoneEvent {
		body = buildSDP(host, port, 7, 1, []Format{{PT: ptPCMU, Name: "PCMU", Rate: 8000}}, dirSendRecv)
	}
	if f.offer != nil {
		body = f.offer(host, port)
	}
	req.SetBody(body)
	d, err := f.dialogs.WriteInvite(ctx, req)
	if err != nil {
		t.Fatalf("invite: %v", err)
	}
	return d
}
