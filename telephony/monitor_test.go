package telephony

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// The tones of the monitoring tests: the caller 440 Hz, the agent's
// microphone 1000 Hz, the supervisor 1330 Hz (no harmonic or
// intermodulation product of the other two lies near it).
const (
	monCallerHz = 440
	monAgentHz  = 1000
	monSupHz    = 1330
	testToken   = "tok-0123456789abcdef"
)

// toneLevel is the RMS (0..1 of full scale) of the part of samples at
// freq, the median over 100 ms windows: a tone at amplitude 0.3 reads
// about 0.21 alone and mixed with others; a tone that is not there reads
// near 0.
func toneLevel(samples []int16, freq float64) float64 {
	const win = audio.Rate / 10
	var lv []float64
	for i := 0; i+win <= len(samples); i += win {
		w := samples[i : i+win]
		lv = append(lv, math.Sqrt(audio.ToneShare(w, audio.Rate, freq))*audio.RMS(w))
	}
	if len(lv) == 0 {
		return 0
	}
	sort.Float64s(lv)
	return lv[len(lv)/2]
}

// present and absent are the verdicts on a toneLevel.
func present(l float64) bool { return l >= 0.05 }
func absent(l float64) bool  { return l < 0.01 }

// monitorInvite sends, from the fake PBX, a monitoring INVITE with the
// header value hdr (none if empty) whose media is sup's.
func monitorInvite(t *testing.T, ctx context.Context, vc *voiceCall, sup *peerMedia, hdr string) *sipgo.DialogClientSession {
	t.Helper()
	saved := vc.pbx.offer
	vc.pbx.offer = func(host string, _ int) []byte { return offerSDP(host, sup.port(), 9, 1, dirSendRecv) }
	defer func() { vc.pbx.offer = saved }()
	var hdrs []sip.Header
	if hdr != "" {
		hdrs = append(hdrs, sip.NewHeader(HeaderMonitor, hdr))
	}
	return vc.pbx.invite(t, ctx, "<sip:1009@pbx.test>", hdrs...)
}

// finalStatus waits for a dialog's final answer: 200 or the error status.
func finalStatus(t *testing.T, ctx context.Context, d *sipgo.DialogClientSession) int {
	t.Helper()
	err := d.WaitAnswer(ctx, sipgo.AnswerOptions{})
	var dr *sipgo.ErrDialogResponse
	switch {
	case err == nil:
		return d.InviteResponse.StatusCode
	case errors.As(err, &dr):
		return dr.Res.StatusCode
	}
	t.Fatalf("monitoring invite: %v", err)
	return 0
}

// listenFor resets what the caller, the supervisor and the agent's
// earpiece got, waits d, and returns what each got meanwhile.
func listenFor(vc *voiceCall, sup *peerMedia, d time.Duration) (caller, supervisor, ear []int16) {
	time.Sleep(150 * time.Millisecond) // frames in flight from before
	vc.peer.reset()
	sup.reset()
	vc.snd.ResetPlayed("earpiece")
	time.Sleep(d)
	return vc.peer.heard(), sup.heard(), nonSilent(vc.snd.Played("earpiece"))
}

func modeInfo(t *testing.T, ctx context.Context, d *sipgo.DialogClientSession, body string) int {
	t.Helper()
	req := sip.NewRequest(sip.INFO, d.InviteResponse.Contact().Address)
	req.AppendHeader(sip.NewHeader("Content-Type", ContentTypeMonitor))
	req.SetBody([]byte(body))
	res, err := d.Do(ctx, req)
	if err != nil {
		t.Fatalf("mode info: %v", err)
	}
	return res.StatusCode
}

// TestUA_Monitor_AgentMixesByMode: the agent's desk takes a monitoring
// INVITE whose token it expects, at once and without ringing, and mixes
// the supervisor (who sends a tone whatever the mode: the agent's desk
// alone must keep it from whom it is not for) by mode.
func TestUA_Monitor_AgentMixesByMode(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, monAgentHz, monCallerHz)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := vc.ua.ExpectMonitor(testToken, vc.id, MonitorListen, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	sup := newPeerMedia(t)
	d := monitorInvite(t, ctx, vc, sup, testToken+";mode=listen")
	if st := finalStatus(t, ctx, d); st != 200 {
		t.Fatalf("monitoring invite answered %d", st)
	}
	if h := d.InviteResponse.GetHeader(HeaderMonitorMode); h == nil || h.Value() != "listen" {
		t.Errorf("200 OK says mode %v, want listen", h)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	sup.start(d.InviteResponse.Body(), monSupHz)
	started := vc.ev.wait(t, EventMonitorStarted, 5*time.Second)
	if m := started.Monitor; m == nil || m.CallID != vc.id || m.Mode != MonitorListen || m.Supervising || m.Peer != "1009" {
		t.Errorf("monitor_started %+v, want the call %s in listen from 1009", started.Monitor, vc.id)
	}
	if n := vc.ev.count(EventRinging); n != 1 {
		t.Errorf("%d ringing events: the monitoring INVITE rang", n)
	}
	if n := vc.ev.count(EventAnswered); n != 1 {
		t.Errorf("%d answered events: the monitoring leg was popped as a call", n)
	}

	for _, tc := range []struct {
		mode                 MonitorMode
		callerHears, agentEa bool
	}{
		{MonitorListen, false, false},
		{MonitorWhisper, false, true},
		{MonitorBarge, true, true},
		{MonitorListen, false, false},
	} {
		if tc.mode != MonitorListen || vc.ev.count(EventMonitorMode) > 0 {
			if st := modeInfo(t, ctx, d, "mode="+tc.mode.String()+"\r\n"); st != 200 {
				t.Fatalf("mode info %s answered %d", tc.mode, st)
			}
		}
		caller, supervisor, ear := listenFor(vc, sup, time.Second)
		t.Logf("%s: caller hears agent %.3f sup %.3f; supervisor hears caller %.3f agent %.3f; agent hears caller %.3f sup %.3f",
			tc.mode, toneLevel(caller, monAgentHz), toneLevel(caller, monSupHz), toneLevel(supervisor, monCallerHz),
			toneLevel(supervisor, monAgentHz), toneLevel(ear, monCallerHz), toneLevel(ear, monSupHz))
		if !present(toneLevel(supervisor, monCallerHz)) || !present(toneLevel(supervisor, monAgentHz)) {
			t.Errorf("%s: the supervisor does not hear both caller and agent", tc.mode)
		}
		if !present(toneLevel(caller, monAgentHz)) || !present(toneLevel(ear, monCallerHz)) {
			t.Errorf("%s: the call itself lost a side", tc.mode)
		}
		if l := toneLevel(caller, monSupHz); tc.callerHears != present(l) || !tc.callerHears && !absent(l) {
			t.Errorf("%s: the supervisor reaches the caller at %.3f, want heard=%v", tc.mode, l, tc.callerHears)
		}
		if l := toneLevel(ear, monSupHz); tc.agentEa != present(l) || !tc.agentEa && !absent(l) {
			t.Errorf("%s: the supervisor reaches the agent at %.3f, want heard=%v", tc.mode, l, tc.agentEa)
		}
		if l := toneLevel(supervisor, monSupHz); !absent(l) {
			t.Errorf("%s: the supervisor hears themselves at %.3f", tc.mode, l)
		}
	}
	if n := vc.ev.count(EventMonitorMode); n != 3 {
		t.Errorf("%d monitor_mode events for 3 switches: %v", n, vc.ev.kinds())
	}
	if st := modeInfo(t, ctx, d, "mode=shout"); st != 400 {
		t.Errorf("a bad mode answered %d, want 400", st)
	}

	// The call's end ends the session: the desk hangs the leg up.
	if err := vc.dialog.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	ended := vc.ev.wait(t, EventMonitorEnded, 5*time.Second)
	if ended.Reason != "call ended" || ended.CallID != callIDOf(d.InviteRequest) {
		t.Errorf("monitor_ended %q for %s", ended.Reason, ended.CallID)
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.LoadState() != sip.DialogStateEnded {
		if time.Now().After(deadline) {
			t.Fatal("the supervisor's leg got no BYE when the call ended")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	if err := vc.ua.CancelMonitor(testToken); !errors.Is(err, ErrNoMonitor) {
		t.Errorf("cancel after the session: %v, want ErrNoMonitor", err)
	}
}

// TestUA_Monitor_Refused: monitoring INVITEs the desk was not told to
// expect are refused with 403, and nothing rings or pops.
func TestUA_Monitor_Refused(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, monAgentHz, monCallerHz)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sup := newPeerMedia(t)
	try := func(hdr string) int {
		t.Helper()
		return finalStatus(t, ctx, monitorInvite(t, ctx, vc, sup, hdr))
	}
	if st := try("unknown-token-0000000;mode=listen"); st != 403 {
		t.Errorf("unknown token: %d", st)
	}
	if st := try("short;mode=listen"); st != 403 {
		t.Errorf("malformed token: %d", st)
	}
	if err := vc.ua.ExpectMonitor(testToken, vc.id, MonitorListen, time.Now().Add(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // past the expiry
	if st := try(testToken + ";mode=listen"); st != 403 {
		t.Errorf("expired token: %d", st)
	}
	// Cancelled before use.
	if err := vc.ua.ExpectMonitor(testToken, vc.id, MonitorBarge, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := vc.ua.CancelMonitor(testToken); err != nil {
		t.Fatal(err)
	}
	if st := try(testToken); st != 403 {
		t.Errorf("cancelled token: %d", st)
	}
	var reasons []string
	vc.ev.mu.Lock()
	for _, e := range vc.ev.all {
		if e.Kind == EventMonitorRefused {
			reasons = append(reasons, e.Reason)
		}
	}
	vc.ev.mu.Unlock()
	if want := []string{"unknown token", "bad monitor header", "expired token", "unknown token"}; !slices.Equal(reasons, want) {
		t.Errorf("refusals %q, want %q", reasons, want)
	}
	if n := vc.ev.count(EventRinging); n != 1 {
		t.Errorf("%d ringing events, want only the call's", n)
	}
	if n := vc.ev.count(EventMonitorStarted); n != 0 {
		t.Errorf("a refused session started")
	}

	// A token opens one session, and a call takes one supervisor.
	if err := vc.ua.ExpectMonitor(testToken, vc.id, MonitorListen, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := vc.ua.ExpectMonitor(testToken+"-2", vc.id, MonitorListen, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	d := monitorInvite(t, ctx, vc, sup, testToken)
	if st := finalStatus(t, ctx, d); st != 200 {
		t.Fatalf("the expected token: %d", st)
	}
	_ = d.Ack(ctx)
	if st := try(testToken); st != 403 {
		t.Errorf("a used token: %d", st)
	}
	if st := try(testToken + "-2"); st != 486 {
		t.Errorf("a second supervisor: %d, want 486", st)
	}
	// Cancelling the token hangs its session up.
	if err := vc.ua.CancelMonitor(testToken); err != nil {
		t.Fatal(err)
	}
	if e := vc.ev.wait(t, EventMonitorEnded, 5*time.Second); e.Reason != "cancelled" {
		t.Errorf("ended %q", e.Reason)
	}
}

// TestUA_ExpectMonitor_BadInput: bad tokens, modes, expiries and calls
// are refused with typed errors, and nothing is expected.
func TestUA_ExpectMonitor_BadInput(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, monAgentHz, monCallerHz)
	later := time.Now().Add(time.Minute)
	for _, tc := range []struct {
		name, token, call string
		mode              MonitorMode
		expires           time.Time
		want              error
	}{
		{"short token", "abc", vc.id, MonitorListen, later, ErrMonitorToken},
		{"token with a space", "abcdefgh ijklmnopq", vc.id, MonitorListen, later, ErrMonitorToken},
		{"token with a semicolon", "abcdefgh;mode=barge", vc.id, MonitorListen, later, ErrMonitorToken},
		{"no mode", testToken, vc.id, 0, later, ErrMonitorMode},
		{"expired", testToken, vc.id, MonitorListen, time.Now().Add(-time.Second), ErrMonitorToken},
		{"no such call", testToken, "nope", MonitorListen, later, ErrNoCall},
	} {
		if err := vc.ua.ExpectMonitor(tc.token, tc.call, tc.mode, tc.expires); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := vc.ua.CancelMonitor(testToken); !errors.Is(err, ErrNoMonitor) {
		t.Errorf("something was expected after bad input: %v", err)
	}
}

// supervisorUA is a second UA, the supervisor's, whose "PBX" is the
// agent's UA itself (on loopback, so the agent's guard lets it in): its
// INVITEs reach the agent directly. Its microphone plays monSupHz.
func supervisorUA(t *testing.T, agent *UA) (*UA, *events, *audiotest.Backend) {
	t.Helper()
	snd := audiotest.New()
	var mu sync.Mutex
	phase := 0.0
	snd.SetSource("mic", func(b []int16) {
		mu.Lock()
		phase = audio.Tone(b, monSupHz, 0.3, phase)
		mu.Unlock()
	})
	ev := newEvents()
	ua := StartTestUA(t, Config{PBX: "sip:" + agent.Addr(), User: "1009", Password: "pw", KeepAlive: -1}, ev,
		WithLogger(quietLogger()), WithListenAddr("127.0.0.1:0"), WithRegisterBackoff(time.Minute, time.Minute), WithAudioBackend(snd))
	return ua, ev, snd
}

// TestUA_Monitor_TwoDesks: a supervisor's UA and an agent's UA, both
// ours, each with its own (fake) sound card: DialMonitor, the modes from
// the supervisor's side, and the ends from either side.
func TestUA_Monitor_TwoDesks(t *testing.T) {
	vc := startVoiceCall(t, Config{}, nil, monAgentHz, monCallerHz)
	sup, sev, ssnd := supervisorUA(t, vc.ua)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Refused first: the agent's desk expects nothing.
	_, err := sup.DialMonitor(ctx, "1001", testToken, MonitorListen)
	var me *MonitorError
	if !errors.Is(err, ErrMonitorRefused) || !errors.As(err, &me) || me.Status != 403 {
		t.Fatalf("unexpected token: %v, want a 403 MonitorError", err)
	}
	if e := sev.wait(t, EventMonitorRefused, time.Second); !errors.Is(e.Err, ErrMonitorRefused) {
		t.Errorf("monitor_refused carries %v", e.Err)
	}

	if err := vc.ua.ExpectMonitor(testToken, vc.id, MonitorWhisper, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	// The supervisor asks for listen; the agent's desk was told whisper,
	// and its word is the one that counts.
	id, err := sup.DialMonitor(ctx, "1001", testToken, MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if e := sev.wait(t, EventMonitorStarted, time.Second); e.CallID != id || e.Monitor.Mode != MonitorWhisper || !e.Monitor.Supervising {
		t.Errorf("supervisor's monitor_started %+v %+v", e, e.Monitor)
	}
	vc.ev.wait(t, EventMonitorStarted, 5*time.Second)
	if n := sev.count(EventAnswered) + sev.count(EventRinging) + vc.ev.count(EventRinging); n != 1 {
		t.Errorf("call events for the monitoring leg: %v / %v", sev.kinds(), vc.ev.kinds())
	}

	hear := func(mode MonitorMode) {
		t.Helper()
		time.Sleep(200 * time.Millisecond)
		vc.peer.reset()
		vc.snd.ResetPlayed("earpiece")
		ssnd.ResetPlayed("earpiece")
		time.Sleep(1200 * time.Millisecond)
		caller, ear, supEar := vc.peer.heard(), nonSilent(vc.snd.Played("earpiece")), nonSilent(ssnd.Played("earpiece"))
		t.Logf("%s: supervisor hears caller %.3f agent %.3f; agent hears sup %.3f; caller hears sup %.3f", mode,
			toneLevel(supEar, monCallerHz), toneLevel(supEar, monAgentHz), toneLevel(ear, monSupHz), toneLevel(caller, monSupHz))
		if !present(toneLevel(supEar, monCallerHz)) || !present(toneLevel(supEar, monAgentHz)) {
			t.Errorf("%s: the supervisor's earpiece lacks the caller or the agent", mode)
		}
		wantAgent, wantCaller := mode != MonitorListen, mode == MonitorBarge
		if l := toneLevel(ear, monSupHz); present(l) != wantAgent || !wantAgent && !absent(l) {
			t.Errorf("%s: the agent hears the supervisor at %.3f", mode, l)
		}
		if l := toneLevel(caller, monSupHz); present(l) != wantCaller || !wantCaller && !absent(l) {
			t.Errorf("%s: the caller hears the supervisor at %.3f", mode, l)
		}
	}
	hear(MonitorWhisper)
	for _, m := range []MonitorMode{MonitorBarge, MonitorListen} {
		if err := sup.SetMonitorMode(id, m); err != nil {
			t.Fatal(err)
		}
		hear(m)
	}
	if n := vc.ev.count(EventMonitorMode); n != 2 {
		t.Errorf("the agent's desk reported %d mode changes, want 2", n)
	}
	if err := sup.SetMonitorMode(id, MonitorListen); err != nil {
		t.Errorf("same mode again: %v", err)
	}
	if err := sup.SetMonitorMode(vc.id, MonitorBarge); !errors.Is(err, ErrNoCall) {
		t.Errorf("mode of a call the supervisor does not have: %v", err)
	}
	// The call controls do not apply to a monitoring leg.
	for name, err := range map[string]error{"hold": sup.Hold(id), "mute": sup.Mute(id, true), "dtmf": sup.SendDTMF(id, "1"),
		"transfer": sup.Transfer(id, "1002"), "agent's mode": vc.ua.SetMonitorMode(callIDOfEvent(t, vc.ev, EventMonitorStarted), MonitorBarge)} {
		if !errors.Is(err, ErrCallState) {
			t.Errorf("%s on a monitoring leg: %v", name, err)
		}
	}

	// The supervisor hangs up.
	if err := sup.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := vc.ev.wait(t, EventMonitorEnded, 5*time.Second); e.Reason != "bye from remote" {
		t.Errorf("agent's monitor_ended %q", e.Reason)
	}
	if e := sev.wait(t, EventMonitorEnded, time.Second); e.Reason != "hangup" {
		t.Errorf("supervisor's monitor_ended %q", e.Reason)
	}
	if n := vc.ev.count(EventEnded); n != 0 {
		t.Errorf("the agent's call ended with the session")
	}

	// Again, and this time the call ends under it.
	if err := vc.ua.ExpectMonitor(testToken+"-b", vc.id, MonitorListen, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	id2, err := sup.DialMonitor(ctx, "1001", testToken+"-b", MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	if err := vc.ua.Hangup(vc.id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for sev.count(EventMonitorEnded) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the supervisor's second session did not end with the call: %v", sev.kinds())
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	if _, err := sup.lookup(id2); !errors.Is(err, ErrNoCall) {
		t.Errorf("the supervisor still has the leg: %v", err)
	}
}

func callIDOfEvent(t *testing.T, ev *events, kind EventKind) string {
	t.Helper()
	return ev.wait(t, kind, time.Second).CallID
}

// TestUA_DialMonitor_AnsweredByAPhone: an extension that answers a
// monitoring INVITE as a plain phone (no monitoring header in its 200)
// gets a BYE, and the supervisor an error, not a call.
func TestUA_DialMonitor_AnsweredByAPhone(t *testing.T) {
	pbx := startFakePBX(t, "pw", "MD5")
	ua, ev := startUA(t, pbx, Config{Password: "pw"})
	pbx.waitRegister(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := ua.DialMonitor(ctx, "1001", testToken, MonitorListen)
	if !errors.Is(err, ErrMonitorUnsupported) {
		t.Fatalf("answered by a phone: %v", err)
	}
	if e := ev.wait(t, EventMonitorRefused, time.Second); !errors.Is(e.Err, ErrMonitorUnsupported) {
		t.Errorf("monitor_refused %v", e.Err)
	}
	if n := ev.count(EventAnswered) + ev.count(EventMonitorStarted); n != 0 {
		t.Errorf("a phone's answer started something: %v", ev.kinds())
	}
	pbx.mu.Lock()
	inv := pbx.reinvites[0]
	pbx.mu.Unlock()
	if h := inv.GetHeader(HeaderMonitor); h == nil || h.Value() != testToken+";mode=listen" {
		t.Errorf("the monitoring INVITE carried %v", h)
	}
	for _, bad := range []struct {
		token string
		mode  MonitorMode
		want  error
	}{{"x", MonitorListen, ErrMonitorToken}, {testToken, 7, ErrMonitorMode}} {
		if _, err := ua.DialMonitor(ctx, "1001", bad.token, bad.mode); !errors.Is(err, bad.want) {
			t.Errorf("DialMonitor(%q, %d): %v", bad.token, bad.mode, err)
		}
	}
}

func TestMonitorMode_StringParse(t *testing.T) {
	for _, m := range []MonitorMode{MonitorListen, MonitorWhisper, MonitorBarge} {
		got, err := ParseMonitorMode(" " + strings.ToUpper(m.String()) + " ")
		if err != nil || got != m {
			t.Errorf("ParseMonitorMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMonitorMode("spy"); !errors.Is(err, ErrMonitorMode) {
		t.Errorf("spy: %v", err)
	}
	if s := MonitorMode(0).String(); s != "unknown" {
		t.Errorf("zero mode %q", s)
	}
	if (&MonitorError{Status: 404}).Is(ErrMonitorRefused) {
		t.Error("404 read as a refusal")
	}
}

func TestParseMonitorHeader(t *testing.T) {
	for _, tc := range []struct {
		in    string
		token string
		mode  MonitorMode
		ok    bool
	}{
		{testToken + ";mode=whisper", testToken, MonitorWhisper, true},
		{" " + testToken + " ; MODE = barge ", testToken, MonitorBarge, true},
		{testToken, testToken, 0, true},
		{testToken + ";mode=spy", "", 0, false},
		{"", "", 0, false},
		{"short;mode=listen", "", 0, false},
	} {
		tok, mode, err := parseMonitorHeader(tc.in)
		if (err == nil) != tc.ok || tok != tc.token || mode != tc.mode {
			t.Errorf("parseMonitorHeader(%q) = %q, %v, %v", tc.in, tok, mode, err)
		}
	}
}

func FuzzParseMonitorHeader(f *testing.F) {
	f.Add(testToken + ";mode=listen")
	f.Add(";;=;mode")
	f.Fuzz(func(t *testing.T, in string) {
		tok, mode, err := parseMonitorHeader(in)
		if err != nil {
			return
		}
		if !monitorTokenOK(tok) || (mode != 0 && !mode.valid()) {
			t.Fatalf("accepted %q: token %q mode %d", in, tok, mode)
		}
	})
}

func FuzzParseMonitorMode(f *testing.F) {
	f.Add("whisper")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseMonitorMode(in)
		if err == nil && (!m.valid() || !strings.EqualFold(strings.TrimSpace(in), m.String())) {
			t.Fatalf("%q parsed as %v", in, m)
		}
	})
}

// TestUA_Busy_MonitoringLegIsNotACall: a supervisor listening in is not
// on a call (a call to them rings as ever without call waiting), and an
// agent's monitoring leg never makes the agent busier than the call it
// joins.
func TestUA_Busy_MonitoringLegIsNotACall(t *testing.T) {
	u := &UA{calls: map[string]*call{
		"sup-leg": {id: "sup-leg", state: stateActive, mon: &monitorLeg{supervising: true}},
		"agt-leg": {id: "agt-leg", state: stateActive, mon: &monitorLeg{}},
	}}
	u.mu.Lock()
	n := u.callsLocked()
	u.mu.Unlock()
	if u.busy() || n != 0 {
		t.Errorf("busy %v with %d calls, with only monitoring legs", u.busy(), n)
	}
	u.calls["call"] = &call{id: "call", state: stateActive}
	if !u.busy() {
		t.Error("not busy with a call up")
	}
}
