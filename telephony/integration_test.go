package telephony_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/kamailiotest"
)

// recorder collects events for the integration tests.
type recorder struct {
	mu  sync.Mutex
	all []telephony.Event
}

func (r *recorder) Emit(e telephony.Event) {
	r.mu.Lock()
	r.all = append(r.all, e)
	r.mu.Unlock()
}

// wait polls for the n-th (1-based) event of kind.
func (r *recorder) waitN(t *testing.T, kind telephony.EventKind, n int, timeout time.Duration) telephony.Event {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		seen := 0
		for _, e := range r.all {
			if e.Kind == kind {
				seen++
				if seen == n {
					r.mu.Unlock()
					return e
				}
			}
		}
		var kinds []string
		for _, e := range r.all {
			kinds = append(kinds, e.Kind.String()+"("+e.Reason+")")
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s #%d within %s; events: %v", kind, n, timeout, kinds)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not waiting for readiness
	}
}

func (r *recorder) wait(t *testing.T, kind telephony.EventKind, timeout time.Duration) telephony.Event {
	t.Helper()
	return r.waitN(t, kind, 1, timeout)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() && os.Getenv("AGENTDESK_SIP_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

const (
	itUser     = "1001"
	itPassword = "时间-pass-1"
)

func startKamailio(t *testing.T, alg, uas string) *kamailiotest.Kamailio {
	t.Helper()
	return kamailiotest.Start(t, kamailiotest.Options{
		Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword, Algorithm: alg, UAS: uas,
	})
}

func startIntegrationUA(t *testing.T, k *kamailiotest.Kamailio, cfg telephony.Config) (*telephony.UA, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.PBX = k.URI()
	if cfg.User == "" {
		cfg.User = itUser
	}
	if cfg.Password == "" {
		cfg.Password = itPassword
	}
	ua := telephony.StartTestUA(t, cfg, rec, telephony.WithLogger(testLogger(t)), telephony.WithListenAddr("127.0.0.1:0"),
		telephony.WithRegisterBackoff(200*time.Millisecond, 2*time.Second), telephony.WithAudioBackend(audiotest.New()))
	return ua, rec
}

func TestIntegration_Register(t *testing.T) {
	kamailiotest.Gate(t)
	for _, tc := range []struct{ alg, transport string }{{"MD5", "udp"}, {"SHA-256", "udp"}, {"MD5", "tcp"}} {
		t.Run(tc.alg+"/"+tc.transport, func(t *testing.T) {
			k := startKamailio(t, tc.alg, "")
			ua, rec := startIntegrationUA(t, k, telephony.Config{Transport: tc.transport})
			rec.wait(t, telephony.EventRegistered, 10*time.Second)
			if err := ua.Close(); err != nil {
				t.Fatal(err)
			}
			rec.wait(t, telephony.EventUnregistered, 5*time.Second)
		})
	}
}

func TestIntegration_Register_WrongPassword(t *testing.T) {
	kamailiotest.Gate(t)
	k := startKamailio(t, "MD5", "")
	_, rec := startIntegrationUA(t, k, telephony.Config{Password: "wrong"})
	got := rec.wait(t, telephony.EventRegisterFailed, 10*time.Second)
	if got.Reason != "401 Unauthorized" {
		t.Errorf("reason = %q, want 401 Unauthorized", got.Reason)
	}
}

// TestIntegration_IncomingCalls places calls with sipp through Kamailio to
// the registered UA.
func TestIntegration_IncomingCalls(t *testing.T) {
	kamailiotest.Gate(t)
	type action int
	const (
		none action = iota
		answer
		answerHangup
		answerHold
		answerRefer
		reject
		hangupRinging
	)
	tests := []struct {
		name      string
		transport string
		scenario  string
		from      string
		extra     string
		reason    string
		do        action
		want      telephony.Caller
		end       telephony.EventKind
		endWhy    string
	}{
		{
			name: "PAI wins, caller hangs up", scenario: "caller_bye.xml",
			from:  `"Someone" <sip:9999@127.0.0.1>`,
			extra: `P-Asserted-Identity: "王小明" <sip:+8613800138000@127.0.0.1;user=phone>`,
			do:    answer,
			want:  telephony.Caller{Number: "+8613800138000", DisplayName: "王小明", Source: "P-Asserted-Identity"},
			end:   telephony.EventEnded, endWhy: "bye from remote",
		},
		{
			name: "RPID, desk hangs up", scenario: "caller_wait_bye.xml",
			from:  `<sip:9999@127.0.0.1>`,
			extra: `Remote-Party-ID: "李 \"四\"" <sip:02087654321@127.0.0.1>;party=calling;screen=yes;privacy=off`,
			do:    answerHangup,
			want:  telephony.Caller{Number: "02087654321", DisplayName: `李 "四"`, Source: "Remote-Party-ID"},
			end:   telephony.EventEnded, endWhy: "hangup",
		},
		{
			name: "From with tel URI", scenario: "caller_bye.xml",
			from:  `"陈" <tel:+86-10-1234-5678>`,
			extra: "X-Test: 1",
			do:    answer,
			want:  telephony.Caller{Number: "+861012345678", DisplayName: "陈", Source: "From"},
			end:   telephony.EventEnded, endWhy: "bye from remote",
		},
		{
			name: "anonymous, cancelled", scenario: "caller_cancel.xml",
			from:  `"Anonymous" <sip:anonymous@anonymous.invalid>`,
			extra: "Privacy: id", reason: "X-Test: 1",
			want: telephony.Caller{Source: "From", Anonymous: true},
			end:  telephony.EventMissed, endWhy: "caller cancelled",
		},
		{
			name: "cancel, completed elsewhere", scenario: "caller_cancel.xml",
			from: `<sip:13800138000@127.0.0.1>`, extra: "X-Test: 1",
			reason: `Reason: SIP;cause=200;text="Call completed elsewhere"`,
			want:   telephony.Caller{Number: "13800138000", Source: "From"},
			end:    telephony.EventAnsweredElsewhere, endWhy: "completed elsewhere",
		},
		{
			name: "hold and resume", scenario: "caller_hold.xml",
			from: `<sip:13800138000@127.0.0.1>`, extra: "X-Test: 1",
			do:   answerHold,
			want: telephony.Caller{Number: "13800138000", Source: "From"},
			end:  telephony.EventEnded, endWhy: "hangup",
		},
		{
			name: "blind transfer", scenario: "caller_refer.xml",
			from: `<sip:13800138000@127.0.0.1>`, extra: "X-Test: 1",
			do:   answerRefer,
			want: telephony.Caller{Number: "13800138000", Source: "From"},
			end:  telephony.EventEnded, endWhy: "transferred",
		},
		{
			name: "over TCP, caller hangs up", transport: "tcp", scenario: "caller_bye.xml",
			from:  `"Someone" <sip:9999@127.0.0.1>`,
			extra: `P-Asserted-Identity: <tel:+8613800138000>`,
			do:    answer,
			want:  telephony.Caller{Number: "+8613800138000", Source: "P-Asserted-Identity"},
			end:   telephony.EventEnded, endWhy: "bye from remote",
		},
		{
			name: "rejected busy", scenario: "caller_busy.xml",
			from: `<sip:13800138000@127.0.0.1>`, extra: "X-Test: 1",
			do:   reject,
			want: telephony.Caller{Number: "13800138000", Source: "From"},
			end:  telephony.EventEnded, endWhy: "rejected",
		},
		{
			name: "hang up while ringing declines", scenario: "caller_declined.xml",
			from: `<sip:13800138000@127.0.0.1>`, extra: "X-Test: 1",
			do:   hangupRinging,
			want: telephony.Caller{Number: "13800138000", Source: "From"},
			end:  telephony.EventEnded, endWhy: "rejected",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := startKamailio(t, "MD5", "")
			ua, rec := startIntegrationUA(t, k, telephony.Config{Transport: tc.transport})
			rec.wait(t, telephony.EventRegistered, 10*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			args := []string{"-s", itUser, "-key", "from", tc.from, "-key", "extra", tc.extra}
			if tc.reason != "" {
				args = append(args, "-key", "reason", tc.reason)
			}
			sipp := kamailiotest.StartSipp(t, k.Addr(), "testdata/"+tc.scenario, kamailiotest.FreePort(t), args...)

			ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
			got := ring.Caller
			got.URI = ""
			if got != tc.want {
				t.Errorf("caller = %+v, want %+v", got, tc.want)
			}
			if ring.CallID == "" || ring.Direction != telephony.Inbound {
				t.Errorf("ringing event %+v", ring)
			}
			switch tc.do {
			case reject:
				if err := ua.Reject(ring.CallID, 486); err != nil {
					t.Fatalf("reject: %v", err)
				}
			case hangupRinging:
				if err := ua.Hangup(ring.CallID); err != nil {
					t.Fatalf("hangup ringing: %v", err)
				}
			case none:
			default:
				if err := ua.Answer(ring.CallID); err != nil {
					t.Fatalf("answer: %v", err)
				}
				rec.wait(t, telephony.EventAnswered, 5*time.Second)
			}
			switch tc.do {
			case answerHangup:
				if err := ua.Hangup(ring.CallID); err != nil {
					t.Fatalf("hangup: %v", err)
				}
			case answerHold:
				if err := ua.Hold(ring.CallID); err != nil {
					t.Fatalf("hold: %v", err)
				}
				rec.wait(t, telephony.EventHeld, 5*time.Second)
				if err := ua.Resume(ring.CallID); err != nil {
					t.Fatalf("resume: %v", err)
				}
				rec.wait(t, telephony.EventResumed, 5*time.Second)
				if err := ua.SendDTMF(ring.CallID, "5"); err != nil {
					t.Errorf("dtmf: %v", err)
				}
				if err := ua.Hangup(ring.CallID); err != nil {
					t.Fatalf("hangup: %v", err)
				}
			case answerRefer:
				if err := ua.Transfer(ring.CallID, "2000"); err != nil {
					t.Fatalf("transfer: %v", err)
				}
				if tr := rec.wait(t, telephony.EventTransferred, 5*time.Second); tr.CallID != ring.CallID {
					t.Errorf("transferred call id %q", tr.CallID)
				}
			}
			sipp.Wait(t, ctx)
			end := rec.wait(t, tc.end, 10*time.Second)
			if end.CallID != ring.CallID || end.Reason != tc.endWhy {
				t.Errorf("end event = %s call %q reason %q, want call %q reason %q", end.Kind, end.CallID, end.Reason, ring.CallID, tc.endWhy)
			}
		})
	}
}

// TestIntegration_Dial calls back a customer: Kamailio challenges the
// INVITE (407) and sends it on to a sipp UAS, which answers; the desk hangs up.
func TestIntegration_Dial(t *testing.T) {
	kamailiotest.Gate(t)
	uasPort := kamailiotest.FreePort(t)
	k := startKamailio(t, "MD5", "127.0.0.1:"+strconv.Itoa(uasPort))
	uas := kamailiotest.StartSipp(t, "", "testdata/callee_answer.xml", uasPort)
	ua, rec := startIntegrationUA(t, k, telephony.Config{})
	rec.wait(t, telephony.EventRegistered, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	id, err := ua.Dial(ctx, "13800138000")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if ans := rec.wait(t, telephony.EventAnswered, 15*time.Second); ans.CallID != id || ans.Direction != telephony.Outbound {
		t.Errorf("answered %+v, want call %q outbound", ans, id)
	}
	if err := ua.Hangup(id); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	uas.Wait(t, ctx)
	if end := rec.wait(t, telephony.EventEnded, 5*time.Second); end.Reason != "hangup" {
		t.Errorf("end reason %q", end.Reason)
	}
}

// TestIntegration_DialCancel hangs up our own call while the customer's
// phone rings: the UA sends CANCEL.
func TestIntegration_DialCancel(t *testing.T) {
	kamailiotest.Gate(t)
	uasPort := kamailiotest.FreePort(t)
	k := startKamailio(t, "MD5", "127.0.0.1:"+strconv.Itoa(uasPort))
	uas := kamailiotest.StartSipp(t, "", "testdata/callee_ring_cancel.xml", uasPort)
	ua, rec := startIntegrationUA(t, k, telephony.Config{})
	rec.wait(t, telephony.EventRegistered, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	id, err := ua.Dial(ctx, "13800138000")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if r := rec.wait(t, telephony.EventRinging, 15*time.Second); r.CallID != id || r.Direction != telephony.Outbound {
		t.Errorf("ringing %+v", r)
	}
	if err := ua.Hangup(id); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	uas.Wait(t, ctx)
	if end := rec.wait(t, telephony.EventEnded, 10*time.Second); end.CallID != id || end.Reason != "cancelled" {
		t.Errorf("end %+v", end)
	}
}

// TestIntegration_PBXRestart kills Kamailio (losing its in-memory
// registrations) and starts it again on the same port: the UA must be
// reachable through it again within restartBound (a few seconds, not the
// registration's 30 s expiry). A PBX that stays down past a keep-alive is
// noticed by the unanswered OPTIONS ping and retried with backoff; an
// instant restart is noticed by the next ping to our own AOR, which the
// restarted registrar answers 404.
func TestIntegration_PBXRestart(t *testing.T) {
	kamailiotest.Gate(t)
	// With a 1 s keep-alive and the register backoff starting at 1 s and
	// doubling, the UA re-registers within 3 s of the restart (measured:
	// 0.5–1.0 s); the rest is slack for a loaded CI machine under -race.
	const restartBound = 6 * time.Second
	for _, tc := range []struct {
		name    string
		instant bool
	}{{"down past a keep-alive", false}, {"instant restart", true}} {
		t.Run(tc.name, func(t *testing.T) {
			k := startKamailio(t, "MD5", "")
			_, rec := startIntegrationUA(t, k, telephony.Config{KeepAlive: time.Second, Expires: 30 * time.Second})
			rec.wait(t, telephony.EventRegistered, 10*time.Second)
			k.Stop()
			if !tc.instant {
				rec.wait(t, telephony.EventRegisterFailed, 15*time.Second)
			}
			restarted := time.Now()
			k.Restart()
			if !tc.instant {
				rec.waitN(t, telephony.EventRegistered, 2, restartBound)
			}
			// Either way the registrar must route calls to the UA again:
			// OPTIONS for 1001 through Kamailio reaches the UA (200), not 404.
			for !k.Reachable(itUser) {
				if time.Since(restarted) > restartBound {
					t.Fatalf("not reachable through the restarted PBX within %v", restartBound)
				}
				time.Sleep(200 * time.Millisecond) // polling with a deadline
			}
			t.Logf("reachable again %s after the restart", time.Since(restarted).Round(time.Millisecond))
		})
	}
}

// TestIntegration_Companion watches the desk phone through Kamailio: the
// UA's dialog-event SUBSCRIBE is challenged (407) and relayed to a sipp
// notifier that reports the desk phone's call early → confirmed → terminated.
func TestIntegration_Companion(t *testing.T) {
	kamailiotest.Gate(t)
	uasPort := kamailiotest.FreePort(t)
	k := startKamailio(t, "MD5", "127.0.0.1:"+strconv.Itoa(uasPort))
	notifier := kamailiotest.StartSipp(t, "", "testdata/notifier_dialog.xml", uasPort)
	_, rec := startIntegrationUA(t, k, telephony.Config{Companion: true})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
	if ring.CallID != "deskphone-call-1" || ring.Caller.Number != "+8613800138000" || ring.Caller.DisplayName != "王小明" {
		t.Errorf("ringing %+v", ring)
	}
	rec.wait(t, telephony.EventAnswered, 10*time.Second)
	if end := rec.wait(t, telephony.EventEnded, 10*time.Second); end.CallID != "deskphone-call-1" || end.Reason != "remote-bye" {
		t.Errorf("ended %+v", end)
	}
	notifier.Wait(t, ctx)
}
