package telephony

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agentdesk/telephony/audio/audiotest"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// startUA starts a UA registered to pbx on loopback and closes it at cleanup.
func startUA(t *testing.T, pbx *fakePBX, cfg Config, opts ...Option) (*UA, *events) {
	t.Helper()
	ev := newEvents()
	if cfg.PBX == "" {
		cfg.PBX = pbx.uri()
	}
	if cfg.User == "" {
		cfg.User = "1001"
	}
	if cfg.Password == "" {
		cfg.Password = pbx.password
	}
	opts = append([]Option{WithLogger(quietLogger()), WithListenAddr("127.0.0.1:0"), WithRegisterBackoff(100*time.Millisecond, time.Second),
		WithAudioBackend(audiotest.New())}, opts...)
	return StartTestUA(t, cfg, ev, opts...), ev
}

func TestUA_Register_Digest(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			pbx := startFakePBX(t, "s3cret", alg)
			ua, ev := startUA(t, pbx, Config{})
			reg := pbx.waitRegister(t)
			if got := reg.Contact().Address.Port; got == 0 {
				t.Errorf("contact without port: %s", reg.Contact().Value())
			}
			ev.wait(t, EventRegistered, 5*time.Second)
			if !ua.Registered() {
				t.Error("Registered() = false after registered event")
			}
			if err := ua.Close(); err != nil {
				t.Fatal(err)
			}
			unreg := pbx.waitRegister(t)
			if got := headerValue(unreg, "Expires"); got != "0" {
				t.Errorf("unregister Expires = %q, want 0", got)
			}
			ev.wait(t, EventUnregistered, time.Second)
		})
	}
}

func TestUA_Register_WrongPassword(t *testing.T) {
	pbx := startFakePBX(t, "right", "MD5")
	_, ev := startUA(t, pbx, Config{Password: "wrong"})
	got := ev.wait(t, EventRegisterFailed, 5*time.Second)
	if got.Reason != "403 Forbidden" {
		t.Errorf("reason = %q, want 403 Forbidden", got.Reason)
	}
}

func TestUA_Register_Timeout(t *testing.T) {
	// Nobody listens on this port: the registration must fail with "timeout"
	// and keep retrying rather than give up.
	pbx := startFakePBX(t, "pw", "MD5")
	dead := "sip:127.0.0.1:9" // discard port, nothing answers SIP
	ev := newEvents()
	ua, err := New(Config{PBX: dead, User: "1001", Password: "pw"}, ev, WithLogger(quietLogger()), WithListenAddr("127.0.0.1:0"), WithAudioBackend(audiotest.New()))
	if err != nil {
		t.Fatal(err)
	}
	_ = pbx
	if err := ua.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	got := ev.wait(t, EventRegisterFailed, 10*time.Second)
	if got.Reason != "timeout" {
		t.Errorf("reason = %q, want timeout", got.Reason)
	}
}

func TestUA_Incoming_AnswerAndRemoteBye(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	ua, ev := startUA(t, pbx, Config{})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := pbx.invite(t, ctx, `"王小明" <sip:+8613800138000@pbx.test>`,
		sip.NewHeader("P-Asserted-Identity", `"张 \"三\"" <sip:+8613911112222@pbx.test;user=phone>`))
	ring := ev.wait(t, EventRinging, 5*time.Second)
	if ring.Caller.Number != "+8613911112222" || ring.Caller.DisplayName != `张 "三"` || ring.Caller.Source != HeaderPAI {
		t.Errorf("caller = %+v", ring.Caller)
	}
	if ring.CallID != d.InviteRequest.CallID().Value() {
		t.Errorf("call id = %q, want %q", ring.CallID, d.InviteRequest.CallID().Value())
	}
	answered := make(chan error, 1)
	go func() { answered <- ua.Answer(ring.CallID) }()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("wait answer: %v", err)
	}
	ans, err := ParseSDP(d.InviteResponse.Body())
	if err != nil {
		t.Fatalf("answer sdp: %v", err)
	}
	if c, _ := ans.Codec(); c.Name != "PCMU" || ans.Port == 0 {
		t.Errorf("answer codec %+v port %d", c, ans.Port)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatalf("Answer: %v", err)
	}
	ev.wait(t, EventAnswered, 5*time.Second)
	if err := d.Bye(ctx); err != nil {
		t.Fatalf("bye: %v", err)
	}
	end := ev.wait(t, EventEnded, 5*time.Second)
	if end.Reason != "bye from remote" {
		t.Errorf("end reason = %q", end.Reason)
	}
}

func TestUA_Incoming_Cancel(t *testing.T) {
	tests := map[string]struct {
		reason string
		want   EventKind
	}{
		"caller gave up":      {"", EventMissed},
		"completed elsewhere": {`SIP;cause=200;text="Call completed elsewhere"`, EventAnsweredElsewhere},
		"other cause not 200": {`SIP;cause=487;text="Request Terminated"`, EventMissed},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pbx := startFakePBX(t, "pw", "MD5")
			_, ev := startUA(t, pbx, Config{})
			pbx.waitRegister(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d := pbx.invite(t, ctx, "<sip:100@pbx.test>")
			ev.wait(t, EventRinging, 5*time.Second)
			// Wait for 180 so the CANCEL is legal, then cancel with our Reason.
			errRang := errors.New("rang")
			err := d.WaitAnswer(ctx, sipgo.AnswerOptions{OnResponse: func(r *sip.Response) error {
				if r.StatusCode == 180 {
					return errRang
				}
				return nil
			}})
			if !errors.Is(err, errRang) {
				t.Fatalf("wait for 180: %v", err)
			}
			cancelReq := sip.NewRequest(sip.CANCEL, d.InviteRequest.Recipient)
			for _, n := range []string{"Via", "From", "To", "Call-ID"} {
				if h := d.InviteRequest.GetHeader(n); h != nil {
					cancelReq.AppendHeader(sip.HeaderClone(h))
				}
			}
			cancelReq.AppendHeader(&sip.CSeqHeader{SeqNo: d.InviteRequest.CSeq().SeqNo, MethodName: sip.CANCEL})
			if tc.reason != "" {
				cancelReq.AppendHeader(sip.NewHeader("Reason", tc.reason))
			}
			cancelReq.SetDestination(d.InviteRequest.Destination())
			cancelReq.Laddr = d.InviteRequest.Laddr
			if _, err := pbx.cli.Do(ctx, cancelReq, func(*sipgo.Client, *sip.Request) error { return nil }); err != nil {
				t.Fatalf("cancel: %v", err)
			}
			got := ev.wait(t, tc.want, 5*time.Second)
			if got.Direction != Inbound {
				t.Errorf("direction = %v", got.Direction)
			}
		})
	}
}

func TestUA_Incoming_BusyWithoutCallWaiting(t *testing.T) {
	for _, waiting := range []bool{false, true} {
		t.Run(map[bool]string{false: "busy", true: "call waiting"}[waiting], func(t *testing.T) {
			pbx := startFakePBX(t, "pw", "MD5")
			_, ev := startUA(t, pbx, Config{CallWaiting: waiting})
			pbx.waitRegister(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			first := pbx.invite(t, ctx, "<sip:100@pbx.test>")
			go func() { _ = first.WaitAnswer(ctx, sipgo.AnswerOptions{}) }() // consume responses and ACK them
			ev.wait(t, EventRinging, 5*time.Second)
			second := pbx.invite(t, ctx, "<sip:200@pbx.test>")
			if waiting {
				deadline := time.Now().Add(5 * time.Second)
				for ev.count(EventRinging) < 2 && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if n := ev.count(EventRinging); n != 2 {
					t.Fatalf("ringing events = %d, want 2", n)
				}
				go func() { _ = second.WaitAnswer(ctx, sipgo.AnswerOptions{}) }()
				return
			}
			err := second.WaitAnswer(ctx, sipgo.AnswerOptions{})
			if err == nil || !strings.Contains(err.Error(), "486") {
				t.Fatalf("second call: %v, want 486", err)
			}
			if got := ev.wait(t, EventMissed, time.Second); got.Reason != "busy" {
				t.Errorf("missed reason = %q", got.Reason)
			}
		})
	}
}

// syncWriter is an io.Writer safe for concurrent log handlers.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestUA_PasswordNeverLogged(t *testing.T) {
	const secret = "Zz-very-secret-9"
	pbx := startFakePBX(t, secret, "MD5")
	logs := &syncWriter{}
	ev := newEvents()
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ua, err := New(Config{PBX: pbx.uri(), User: "1001", Password: secret}, ev, WithLogger(logger), WithListenAddr("127.0.0.1:0"), WithAudioBackend(audiotest.New()))
	if err != nil {
		t.Fatal(err)
	}
	if err := ua.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, EventRegistered, 5*time.Second)
	_ = ua.Close()
	out := logs.String()
	if !strings.Contains(out, `"component":"telephony"`) || !strings.Contains(out, "[redacted]") {
		t.Errorf("expected component=telephony logs with a redacted config:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("password in logs:\n%s", out)
	}
}

func TestUA_OutboundProxy(t *testing.T) {
	proxy := startFakePBX(t, "pw", "MD5")
	// The registrar's name does not resolve: everything must go via the proxy.
	_, ev := startUA(t, proxy, Config{PBX: "sip:pbx.invalid:5060", OutboundProxy: proxy.uri()})
	reg := proxy.waitRegister(t)
	ev.wait(t, EventRegistered, 5*time.Second)
	if reg.Recipient.Host != "pbx.invalid" {
		t.Errorf("request uri %s, want the registrar", reg.Recipient.String())
	}
	route := reg.Route()
	if route == nil || route.Address.HostPort() != proxy.addr || !route.Address.UriParams.Has("lr") {
		t.Errorf("route %v, want <sip:%s;lr>", route, proxy.addr)
	}
}

// TestUA_Close_NoLeaks: after Close, with a call up and one ringing, the
// UA's goroutines are gone.
func TestUA_Close_NoLeaks(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	runtime.GC()
	base := runtime.NumGoroutine()
	ua, ev := startUA(t, pbx, Config{CallWaiting: true})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answerDialog(t, ctx, pbx.invite(t, ctx, "<sip:100@pbx.test>"), ua, ev)
	second := pbx.invite(t, ctx, "<sip:200@pbx.test>")
	go func() { _ = second.WaitAnswer(ctx, sipgo.AnswerOptions{}) }()
	ringDeadline := time.Now().Add(5 * time.Second)
	for ev.count(EventRinging) < 2 {
		if time.Now().After(ringDeadline) {
			t.Fatalf("second call did not ring: %v", ev.kinds())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := ua.Close(); err != nil {
		t.Fatal(err)
	}
	if n := ev.count(EventEnded); n != 2 {
		t.Errorf("ended events after close: %d, want 2 (%v)", n, ev.kinds())
	}
	waitGoroutinesBack(t, base)
}

func TestUA_KeepAlive_LostBinding(t *testing.T) {
	tests := map[string]struct {
		// answer404 says whether an OPTIONS to the AOR gets 404, given how
		// many REGISTERs the PBX accepted so far.
		answer404     func(registers int) bool
		wantRegisters int
	}{
		// A restarted registrar forgets us once: one re-registration.
		"registrar restarted": {answer404: func(n int) bool { return n == 1 }, wantRegisters: 2},
		// A PBX that never routes OPTIONS to users: one extra REGISTER,
		// then keep-alives go to the PBX itself.
		"pbx answers 404 by policy": {answer404: func(int) bool { return true }, wantRegisters: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pbx := startFakePBX(t, "pw", "MD5")
			var aorPings, hostPings atomic.Int64
			pbx.mu.Lock()
			pbx.optionsStatus = func(req *sip.Request) int { // called under pbx.mu
				if req.Recipient.User == "" {
					hostPings.Add(1)
					return 200
				}
				aorPings.Add(1)
				if tc.answer404(len(pbx.registers)) {
					return 404
				}
				return 200
			}
			pbx.mu.Unlock()
			_, ev := startUA(t, pbx, Config{KeepAlive: 50 * time.Millisecond})
			ev.wait(t, EventRegistered, 5*time.Second)
			deadline := time.Now().Add(10 * time.Second)
			for aorPings.Load()+hostPings.Load() < 10 {
				if time.Now().After(deadline) {
					t.Fatalf("only %d keep-alives", aorPings.Load()+hostPings.Load())
				}
				time.Sleep(10 * time.Millisecond)
			}
			pbx.mu.Lock()
			n := len(pbx.registers)
			pbx.mu.Unlock()
			if n != tc.wantRegisters {
				t.Errorf("REGISTERs = %d, want %d (aor pings %d, host pings %d)", n, tc.wantRegisters, aorPings.Load(), hostPings.Load())
			}
			if ev.count(EventRegisterFailed) != 0 {
				t.Errorf("register_failed on a live PBX: %v", ev.kinds())
			}
		})
	}
}
