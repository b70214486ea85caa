package telephony

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"agentdesk/telephony/audio"
)

// startProbeTimeout bounds the start-up route probe and DNS lookups.
const startProbeTimeout = 5 * time.Second

// Errors the UA's call controls return.
var (
	// ErrNoCall is returned when the Call-ID names no current call.
	ErrNoCall = errors.New("telephony: no such call")
	// ErrCallState is returned when the call is not in a state the command
	// applies to (answering an answered call, holding a ringing one…).
	ErrCallState = errors.New("telephony: command not valid in this call state")
	// ErrBadDigit is returned by SendDTMF for a key other than 0-9, *, #, A-D.
	ErrBadDigit = errors.New("telephony: bad dtmf digit")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("telephony: user agent closed")
	// ErrNotStarted is returned by Dial before Start.
	ErrNotStarted = errors.New("telephony: user agent not started")
)

// Config is how the UA reaches the PBX. Password is never logged.
type Config struct {
	// PBX is the registrar, e.g. "sip:pbx.example.com:5060".
	PBX string
	// User is the extension (the user part of our address of record).
	User string
	// Password is the digest password (MD5 or SHA-256, as challenged).
	Password string
	// Transport is "udp" (default), "tcp" or "tls".
	Transport string
	// OutboundProxy, if set (sip:HOST:PORT), receives every request that
	// starts a dialog or a registration.
	OutboundProxy string
	// Expires is the registration lifetime asked for (default 5 minutes).
	Expires time.Duration
	// KeepAlive is the interval of OPTIONS pings to the PBX that keep NAT
	// bindings open and notice a PBX restart (default 25 s; negative: off).
	KeepAlive time.Duration
	// CallWaiting lets a second call ring while one is in progress;
	// without it the second caller gets 486 Busy Here.
	CallWaiting bool
	// Companion watches the extension's desk phone through the dialog
	// event package instead of (as well as) taking calls on the UA.
	Companion bool

	// Input, Output and Ring name the sound devices: the headset's
	// microphone and earpiece, and where the ringtone plays (a device's name,
	// its ID, or a unique part of its name; empty: the system default).
	Input, Output, Ring string
	// Recordings is the folder answered calls are recorded into (stereo
	// WAV, mode 0600); empty: no recording.
	Recordings string
	// AllowDirect takes requests from any address, not only from the PBX
	// and the outbound proxy (a peer-to-peer lab without a PBX).
	AllowDirect bool
	// SRTP says when media is encrypted (default: required with TLS).
	SRTP SRTPPolicy
	// CAFile is a PEM file of certificate authorities trusted for the PBX's
	// TLS certificate, besides the system's (WithTLSConfig overrides it).
	CAFile string
}

// LogValue keeps the password out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("pbx", c.PBX),
		slog.String("user", c.User),
		slog.String("password", "[redacted]"),
		slog.String("transport", c.Transport),
		slog.String("outbound_proxy", c.OutboundProxy),
		slog.Duration("expires", c.Expires),
		slog.Bool("call_waiting", c.CallWaiting),
		slog.Bool("companion", c.Companion),
		slog.String("input", c.Input),
		slog.String("output", c.Output),
		slog.String("ring", c.Ring),
		slog.String("recordings", c.Recordings),
		slog.Bool("allow_direct", c.AllowDirect),
		slog.String("srtp", c.SRTP.String()),
	)
}

// Option configures a UA.
type Option func(*UA)

// WithLogger sets the parent logger; the UA logs under component=telephony.
func WithLogger(l *slog.Logger) Option { return func(u *UA) { u.log = l } }

// WithClock sets the clock events are stamped with.
func WithClock(now func() time.Time) Option { return func(u *UA) { u.now = now } }

// WithListenAddr sets the local host:port the UA listens on (default: the
// local address that routes to the PBX, port chosen by the system).
func WithListenAddr(addr string) Option { return func(u *UA) { u.listenAddr = addr } }

// WithTLSConfig sets the TLS client configuration for Transport "tls".
func WithTLSConfig(c *tls.Config) Option { return func(u *UA) { u.tlsConf = c } }

// WithRegisterBackoff sets the first and the longest wait between failed
// registration attempts (default 1 s doubling up to 16 s).
func WithRegisterBackoff(first, longest time.Duration) Option {
	return func(u *UA) { u.backoffMin, u.backoffMax = first, longest }
}

// WithRingTimeout sets how long an unanswered inbound call rings before the
// UA answers 480 and reports it missed with reason "no answer" (default 3 min).
func WithRingTimeout(d time.Duration) Option { return func(u *UA) { u.ringTimeout = d } }

// WithAudioBackend sets the sound layer (default: the system's, through
// malgo); tests pass audiotest's fake.
func WithAudioBackend(b audio.Backend) Option { return func(u *UA) { u.audioBackend = b } }

// UA is the desk's SIP user agent. It satisfies the desk's Phone interface
// (with Mute, PauseRecording, ResumeRecording and Levels), and carries
// monitoring sessions (ExpectMonitor, CancelMonitor on the agent's desk;
// DialMonitor, SetMonitorMode on the supervisor's). Its methods are safe
// for concurrent use; none waits on the network longer than a SIP
// transaction's bound (Answer: until the caller's ACK, at most 32 s; BYE,
// re-INVITE, REFER, INFO: 10 s; DialMonitor: 15 s; start-up lookups: 5 s).
type UA struct {
	cfg         Config
	emit        Emitter
	log         *slog.Logger
	now         func() time.Time
	listenAddr  string
	tlsConf     *tls.Config
	backoffMin  time.Duration
	backoffMax  time.Duration
	ringTimeout time.Duration
	packets     *atomic.Int64

	audioBackend audio.Backend
	snd          *audio.Sound
	sound        atomic.Pointer[audio.Sound] // snd, for readers that may race Start
	voice        *voice
	guard        *guard
	audioMu      sync.Mutex
	audioReason  string // what EventAudio last said ("ok" until a problem)

	pbx       sip.Uri
	proxy     *sip.Uri
	transport string
	sessID    uint64

	sua      *sipgo.UserAgent
	srv      *sipgo.Server
	cli      *sipgo.Client
	dialogUA *sipgo.DialogUA
	contact  sip.ContactHeader
	laddr    sip.Addr
	host     string
	port     int

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	dialWG sync.WaitGroup // outbound calls waiting for an answer
	recWG  sync.WaitGroup // recordings being finished
	legWG  sync.WaitGroup // monitoring legs being hung up after their call

	reg       *registration
	companion *companion

	mu       sync.Mutex
	started  bool
	running  bool // Start succeeded
	closed   bool
	calls    map[string]*call
	monitors map[[32]byte]*expectation // tokens the desk was told to expect
}

// New builds a UA; Start makes it listen and register.
func New(cfg Config, emit Emitter, opts ...Option) (*UA, error) {
	u := &UA{
		cfg:         cfg,
		emit:        emit,
		log:         slog.Default(),
		now:         time.Now,
		backoffMin:  time.Second,
		backoffMax:  16 * time.Second,
		ringTimeout: 3 * time.Minute,
		calls:       map[string]*call{},
		audioReason: "ok",
	}
	for _, o := range opts {
		o(u)
	}
	u.log = u.log.With("component", "telephony")
	if u.cfg.Expires <= 0 {
		u.cfg.Expires = 5 * time.Minute
	}
	if u.cfg.KeepAlive == 0 {
		u.cfg.KeepAlive = 25 * time.Second
	}
	u.transport = strings.ToLower(cfg.Transport)
	if u.transport == "" {
		u.transport = "udp"
	}
	switch u.transport {
	case "udp", "tcp", "tls":
	default:
		return nil, fmt.Errorf("telephony: unsupported transport %q", cfg.Transport)
	}
	if cfg.User == "" {
		return nil, errors.New("telephony: no user")
	}
	if err := sip.ParseUri(cfg.PBX, &u.pbx); err != nil || u.pbx.Host == "" {
		return nil, fmt.Errorf("telephony: bad pbx uri %q: %v", cfg.PBX, err)
	}
	if u.pbx.Port == 0 {
		u.pbx.Port = 5060
		if u.transport == "tls" {
			u.pbx.Port = 5061
		}
	}
	if cfg.OutboundProxy != "" {
		var p sip.Uri
		if err := sip.ParseUri(cfg.OutboundProxy, &p); err != nil || p.Host == "" {
			return nil, fmt.Errorf("telephony: bad outbound proxy uri %q: %v", cfg.OutboundProxy, err)
		}
		if p.Port == 0 {
			p.Port = u.pbx.Port
		}
		u.proxy = &p
	}
	if emit == nil {
		u.emit = EmitterFunc(func(Event) {})
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	u.sessID = binary.BigEndian.Uint64(b[:]) >> 2
	return u, nil
}

// Start opens the SIP socket, starts serving requests and registering, and
// returns once the UA is listening (registration continues in the
// background; watch for EventRegistered). ctx bounds only the start-up.
func (u *UA) Start(ctx context.Context) error {
	u.mu.Lock()
	if u.started || u.closed {
		u.mu.Unlock()
		return errors.New("telephony: start called twice or after close")
	}
	u.started = true
	u.mu.Unlock()

	// The route probe and the PBX's DNS lookups are bounded even when ctx is not.
	pctx, cancel := context.WithTimeout(ctx, startProbeTimeout)
	defer cancel()
	host, err := u.localHost(pctx)
	if err != nil {
		return err
	}
	hosts := []string{u.pbx.Host}
	if u.proxy != nil {
		hosts = append(hosts, u.proxy.Host)
	}
	u.guard = newGuard(u.log, u.now, u.cfg.AllowDirect, hosts...)
	if err := u.guard.resolve(pctx); err != nil && !u.cfg.AllowDirect {
		return fmt.Errorf("telephony: resolve pbx %s: %w", strings.Join(hosts, ", "), err)
	}
	if u.tlsConf == nil && u.cfg.CAFile != "" {
		if u.tlsConf, err = tlsConfigWithCA(u.cfg.CAFile); err != nil {
			return err
		}
	}
	// The sipgo layers log through a filter: a stranger's stream
	// connection closed by the guard is not an error worth a line each.
	sipLog := slog.New(quietStrays{u.log.With("layer", "sipgo").Handler()})
	uaOpts := []sipgo.UserAgentOption{
		sipgo.WithUserAgent("agentdesk"),
		sipgo.WithUserAgentHostname(u.pbx.Host),
		// One call with every transport option: each call replaces the last.
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(sipLog), sip.WithTransportLayerReadFilter(
			func(p sip.TransportReadProps, data []byte) ([]byte, error) {
				if n := u.packets; n != nil {
					n.Add(1)
				}
				return u.guard.filter(p, data)
			})),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(sipLog),
			// Stray responses (retransmissions, scanners) are dropped quietly.
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {})),
	}
	if u.tlsConf != nil {
		uaOpts = append(uaOpts, sipgo.WithUserAgenTLSConfig(u.tlsConf))
	}
	sua, err := sipgo.NewUA(uaOpts...)
	if err != nil {
		return fmt.Errorf("telephony: new user agent: %w", err)
	}
	srv, err := sipgo.NewServer(sua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		sua.Close()
		return fmt.Errorf("telephony: new server: %w", err)
	}
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.sua, u.srv = sua, srv

	port, err := u.listen(host)
	if err != nil {
		u.cancel()
		sua.Close()
		return err
	}
	// rport (RFC 3581): behind NAT the PBX answers the address it saw.
	cliOpts := []sipgo.ClientOption{sipgo.WithClientLogger(sipLog), sipgo.WithClientHostname(host), sipgo.WithClientPort(port), sipgo.WithClientNAT()}
	cli, err := sipgo.NewClient(sua, cliOpts...)
	if err != nil {
		u.cancel()
		sua.Close()
		return fmt.Errorf("telephony: new client: %w", err)
	}
	u.cli = cli
	u.host, u.port = host, port
	if u.transport == "udp" {
		u.laddr = sip.Addr{IP: net.ParseIP(host), Port: port, Hostname: host}
	}
	u.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: u.cfg.User, Host: host, Port: port}}
	if u.transport != "udp" {
		u.contact.Address.UriParams = sip.HeaderParams{{K: "transport", V: u.transport}}
	}
	u.dialogUA = &sipgo.DialogUA{Client: cli, ContactHDR: u.contact}
	if err := u.waitListening(ctx); err != nil {
		u.cancel()
		sua.Close()
		return err
	}

	sndOpts := []audio.Option{audio.WithLogger(u.log), audio.WithStatusFunc(u.onAudio)}
	if u.audioBackend != nil {
		sndOpts = append(sndOpts, audio.WithBackend(u.audioBackend))
	}
	u.snd = audio.New(audio.Config{Input: u.cfg.Input, Output: u.cfg.Output, Ring: u.cfg.Ring}, sndOpts...)
	u.sound.Store(u.snd)
	u.voice = newVoice(u.snd)

	u.reg = newRegistration(u)
	if u.cfg.Companion {
		u.companion = newCompanion(u)
	}
	srv.OnInvite(u.onInvite)
	srv.OnAck(u.onAck)
	srv.OnBye(u.onBye)
	srv.OnCancel(func(*sip.Request, sip.ServerTransaction) {}) // answered 200 by the transaction layer
	srv.OnOptions(u.onOptions)
	srv.OnInfo(u.onInfo)
	srv.OnNotify(u.onNotify)
	srv.OnRefer(u.onRefer)
	srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusMethodNotAllowed, "Method Not Allowed", nil))
	})

	u.log.Info("listening", "transport", u.transport, "addr", net.JoinHostPort(host, strconv.Itoa(port)), "config", u.cfg)
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		u.reg.run(u.ctx)
	}()
	u.mu.Lock()
	u.running = true
	u.mu.Unlock()
	// Say at once if there is no sound device, rather than at the first call.
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		u.probeAudio()
	}()
	if u.companion != nil {
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			u.companion.run(u.ctx)
		}()
	}
	return nil
}

// localHost picks the address to listen on and to put in Contact.
func (u *UA) localHost(ctx context.Context) (string, error) {
	if u.listenAddr != "" {
		h, _, err := net.SplitHostPort(u.listenAddr)
		if err != nil {
			return "", fmt.Errorf("telephony: listen addr %q: %w", u.listenAddr, err)
		}
		return h, nil
	}
	target := u.pbx
	if u.proxy != nil {
		target = *u.proxy
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", net.JoinHostPort(target.Host, strconv.Itoa(target.Port)))
	if err != nil {
		return "", fmt.Errorf("telephony: route to pbx %s: %w", target.Host, err)
	}
	defer c.Close()
	h, _, _ := net.SplitHostPort(c.LocalAddr().String())
	return h, nil
}

// listen binds the SIP socket and serves it; it returns the bound port.
func (u *UA) listen(host string) (int, error) {
	addr := net.JoinHostPort(host, "0")
	if u.listenAddr != "" {
		addr = u.listenAddr
	}
	switch u.transport {
	case "udp":
		conn, err := net.ListenPacket("udp", addr)
		if err != nil {
			return 0, fmt.Errorf("telephony: listen udp %s: %w", addr, err)
		}
		u.serve(conn, func() error { return u.srv.ServeUDP(conn) })
		return conn.LocalAddr().(*net.UDPAddr).Port, nil
	case "tcp":
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return 0, fmt.Errorf("telephony: listen tcp %s: %w", addr, err)
		}
		u.serve(l, func() error { return u.srv.ServeTCP(l) })
		return l.Addr().(*net.TCPAddr).Port, nil
	default:
		// TLS: calls arrive over the connection we registered on (the PBX
		// reuses it), so there is no listening socket to bind.
		return 0, nil
	}
}

func (u *UA) serve(c interface{ Close() error }, serve func() error) {
	u.wg.Add(2)
	go func() {
		defer u.wg.Done()
		if err := serve(); err != nil && !errors.Is(err, net.ErrClosed) {
			u.log.Warn("serve stopped", "error", err)
		}
	}()
	go func() {
		defer u.wg.Done()
		<-u.ctx.Done()
		_ = c.Close()
	}()
}

// waitListening polls until the transport layer has our UDP listener in
// its pool, so the first REGISTER leaves from it instead of racing it for
// the port.
func (u *UA) waitListening(ctx context.Context) error {
	if u.transport != "udp" {
		return nil
	}
	addr := u.Addr()
	for {
		if c, err := u.sua.TransportLayer().GetConnection("udp", addr); err == nil && c != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("telephony: listener %s not ready: %w", addr, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Addr is the local SIP address (host:port) the UA listens on.
func (u *UA) Addr() string { return net.JoinHostPort(u.host, strconv.Itoa(u.port)) }

// Registered reports whether the last registration succeeded.
func (u *UA) Registered() bool {
	if u.reg == nil {
		return false
	}
	return u.reg.isRegistered()
}

// Close hangs up every call, ends the companion subscription, unregisters
// (REGISTER with Expires: 0) and releases the sockets.
func (u *UA) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil
	}
	u.closed = true
	started := u.running
	calls := make([]*call, 0, len(u.calls))
	for _, c := range u.calls {
		calls = append(calls, c)
	}
	u.mu.Unlock()
	if !started {
		return nil
	}
	// Hang up in parallel, and do not let a peer that never ACKs hold Close.
	var hung sync.WaitGroup
	for _, c := range calls {
		hung.Add(1)
		go func() {
			defer hung.Done()
			if err := u.Hangup(c.id); err != nil {
				u.log.Debug("hangup on close", "call_id", c.id, "error", err)
			}
		}()
	}
	allHung := make(chan struct{})
	go func() { hung.Wait(); u.legWG.Wait(); close(allHung) }()
	select {
	case <-allHung:
	case <-time.After(3 * time.Second):
		u.log.Warn("calls still ending at close", "calls", len(calls))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if u.companion != nil {
		u.companion.unsubscribe(ctx)
	}
	if u.reg != nil {
		u.reg.stop(ctx)
	}
	u.cancel()
	u.wg.Wait()
	u.voice.close()
	recsDone := make(chan struct{})
	go func() { u.recWG.Wait(); close(recsDone) }()
	select {
	case <-recsDone:
	case <-time.After(5 * time.Second):
		u.log.Warn("recordings still being written at close")
	}
	err := u.sua.Close()
	// A callback still waiting for a 487 after our CANCEL ends once the
	// transport is gone.
	dialsDone := make(chan struct{})
	go func() { u.dialWG.Wait(); close(dialsDone) }()
	select {
	case <-dialsDone:
	case <-time.After(3 * time.Second):
		u.log.Warn("outbound call still ending at close")
	}
	return err
}

// event stamps and emits one event.
func (u *UA) event(e Event) {
	e.At = u.now()
	u.log.Debug("event", "kind", e.Kind.String(), "call_id", e.CallID, "reason", e.Reason)
	u.emit.Emit(e)
}

// aor is our address of record, sip:user@pbxhost.
func (u *UA) aor() sip.Uri {
	return sip.Uri{Scheme: "sip", User: u.cfg.User, Host: u.pbx.Host}
}

// targetURI makes a request URI of a number or a full URI.
func (u *UA) targetURI(target string) (sip.Uri, error) {
	var uri sip.Uri
	if strings.Contains(target, ":") {
		if err := sip.ParseUri(target, &uri); err != nil {
			return uri, fmt.Errorf("telephony: bad target %q: %w", target, err)
		}
		return uri, nil
	}
	if target == "" {
		return uri, errors.New("telephony: empty target")
	}
	uri = sip.Uri{Scheme: "sip", User: target, Host: u.pbx.Host, Port: u.pbx.Port}
	return uri, nil
}

// prepareOutOfDialog routes a request that starts a transaction outside a
// dialog: transport, outbound proxy and local socket.
func (u *UA) prepareOutOfDialog(req *sip.Request) {
	req.SetTransport(strings.ToUpper(u.transport))
	if u.proxy != nil {
		req.AppendHeader(&sip.RouteHeader{Address: sip.Uri{Scheme: "sip", Host: u.proxy.Host, Port: u.proxy.Port, UriParams: sip.HeaderParams{{K: "lr", V: ""}}}})
		req.SetDestination(net.JoinHostPort(u.proxy.Host, strconv.Itoa(u.proxy.Port)))
	} else {
		req.SetDestination(net.JoinHostPort(u.pbx.Host, strconv.Itoa(u.pbx.Port)))
	}
	u.pinSocket(req)
}

// pinSocket makes a UDP request leave from the listening socket, so replies
// and NAT bindings use the port in our Contact.
func (u *UA) pinSocket(req *sip.Request) {
	if u.laddr.IP != nil {
		req.Laddr = u.laddr
	}
}

// statusReason formats a final response as "401 Unauthorized".
func statusReason(res *sip.Response) string {
	return strconv.Itoa(res.StatusCode) + " " + res.Reason
}

// errReason turns a transaction error into an event reason.
func errReason(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, sip.ErrTransactionTimeout):
		return "timeout"
	case err == nil:
		return ""
	}
	var dr *sipgo.ErrDialogResponse
	if errors.As(err, &dr) {
		return statusReason(dr.Res)
	}
	var dv sipgo.ErrDialogResponse
	if errors.As(err, &dv) {
		return statusReason(dv.Res)
	}
	return err.Error()
}
