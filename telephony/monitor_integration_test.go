package telephony_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

// The supervisor's tone in the monitoring tests (the caller plays
// callerHz, the agent agentHz); no harmonic or intermodulation product of
// those two lies near it.
const supHz = 1330

// Thresholds of the monitoring tests on mixed audio (audiotest.Level):
// the tones play at amplitude 0.25 (about 0.18 RMS); a tone counts as
// heard in a 100 ms window from 0.03 RMS (−30 dBFS), and as leaking from
// 0.01 (−40 dBFS).
const (
	heardLevel = 0.03
	leakLevel  = 0.01
)

const (
	supUser   = "1003"
	itToken   = "it-token-4f1c0a9e7d2b"
	itExpired = "it-token-expired-88a1"
	itUnknown = "it-token-never-issued-0"
)

// span is the part of samples (8 kHz) from from to to after their start.
func span(samples []int16, from, to time.Duration) []int16 {
	a := min(len(samples), int(from.Seconds()*audio.Rate))
	b := min(len(samples), int(to.Seconds()*audio.Rate))
	return samples[a:max(a, b)]
}

// deskUA starts a desk's UA on Kamailio with the given PulseAudio
// devices.
func deskUA(t *testing.T, uri, user, sink string, cfg telephony.Config) (*telephony.UA, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.PBX, cfg.User, cfg.Password, cfg.Input, cfg.Output = uri, user, itPassword, sink+"_mic", sink
	ua := telephony.StartTestUA(t, cfg, rec, telephony.WithLogger(testLogger(t)), telephony.WithListenAddr("127.0.0.1:0"))
	rec.wait(t, telephony.EventRegistered, 10*time.Second)
	return ua, rec
}

// phase is one mode of the monitoring session: when it began (since the
// agent answered) and what the two desks' earpieces played meanwhile.
type phase struct {
	mode       telephony.MonitorMode
	from, to   time.Duration
	agentEar   []int16
	supervisor []int16
}

// TestIntegration_Monitor is three desks' worth of phones through a real
// Kamailio: a baresip caller (tone, on a veth) calls the agent's UA, whose
// headset is a PulseAudio null sink and source; a supervisor's UA with a
// headset of its own joins by the PBX with a token the agent's desk was
// told to expect, goes through listen, whisper and barge, and is hung up
// when the caller hangs up. Tokens the agent's desk was not given, or
// that expired, are refused and ring nothing.
func TestIntegration_Monitor(t *testing.T) {
	voiceGate(t)
	pulse := audiotest.StartPulse(t, "agent", "sup")
	k := startKamailio(t, "MD5", "")
	recDir := t.TempDir()
	agent, arec := deskUA(t, k.URI(), itUser, "agent", telephony.Config{Recordings: recDir})
	sup, srec := deskUA(t, k.URI(), supUser, "sup", telephony.Config{})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for sink, hz := range map[string]float64{"agent_mic_feed": agentHz, "sup_mic_feed": supHz} {
		mouth := make([]int16, 90*audio.Rate)
		audio.Tone(mouth, hz, 0.25, 0)
		pulse.Play(ctx, sink, mouth)
	}
	b := baresiptest.Start(t, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1",
		Proxy: "sip:" + k.Addr(), Codec: "PCMU", ToneHz: callerHz, Commands: []string{"/dial sip:" + itUser + "@127.0.0.1"}})
	ring := arec.wait(t, telephony.EventRinging, 15*time.Second)
	if err := agent.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()

	// Refused: a token the hub never gave the agent's desk, and one that
	// expired before the supervisor came.
	ringEar := pulse.Record("agent.monitor")
	_, err := sup.DialMonitor(ctx, itUser, itUnknown, telephony.MonitorListen)
	var me *telephony.MonitorError
	if !errors.Is(err, telephony.ErrMonitorRefused) || !errors.As(err, &me) || me.Status != 403 {
		t.Fatalf("unknown token: %v, want a 403 MonitorError", err)
	}
	if err := agent.ExpectMonitor(itExpired, ring.CallID, telephony.MonitorBarge, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past the expiry
	if _, err := sup.DialMonitor(ctx, itUser, itExpired, telephony.MonitorBarge); !errors.Is(err, telephony.ErrMonitorRefused) {
		t.Fatalf("expired token: %v", err)
	}
	heardWhileRefusing := ringEar.Stop()

	// The session.
	if err := agent.ExpectMonitor(itToken, ring.CallID, telephony.MonitorListen, time.Now().Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	session, err := sup.DialMonitor(ctx, itUser, itToken, telephony.MonitorListen)
	if err != nil {
		t.Fatal(err)
	}
	started := arec.wait(t, telephony.EventMonitorStarted, 5*time.Second)
	if started.Monitor == nil || started.Monitor.CallID != ring.CallID || started.Monitor.Peer != supUser {
		t.Errorf("agent's monitor_started %+v", started.Monitor)
	}
	var phases []*phase
	for _, mode := range []telephony.MonitorMode{telephony.MonitorListen, telephony.MonitorWhisper, telephony.MonitorBarge} {
		if mode != telephony.MonitorListen {
			if err := sup.SetMonitorMode(session, mode); err != nil {
				t.Fatal(err)
			}
		}
		p := &phase{mode: mode, from: time.Since(answered)}
		time.Sleep(700 * time.Millisecond) // the switch and the audio in flight
		ae, se := pulse.Record("agent.monitor"), pulse.Record("sup.monitor")
		time.Sleep(3 * time.Second)
		p.agentEar, p.supervisor = ae.Stop(), se.Stop()
		p.to = time.Since(answered)
		phases = append(phases, p)
	}

	// The caller hangs up: the call ends, and with it the session on both
	// desks.
	b.Stop()
	arec.wait(t, telephony.EventEnded, 10*time.Second)
	if e := arec.wait(t, telephony.EventMonitorEnded, 5*time.Second); e.Reason != "call ended" {
		t.Errorf("agent's monitor_ended %q", e.Reason)
	}
	if e := srec.wait(t, telephony.EventMonitorEnded, 5*time.Second); e.Reason != "bye from remote" {
		t.Errorf("supervisor's monitor_ended %q", e.Reason)
	}

	// Nothing rang for the refused INVITEs, and nothing popped.
	var refusals []string
	arec.mu.Lock()
	nRing := 0
	for _, e := range arec.all {
		switch e.Kind {
		case telephony.EventRinging:
			nRing++
		case telephony.EventMonitorRefused:
			refusals = append(refusals, e.Reason)
		}
	}
	arec.mu.Unlock()
	if nRing != 1 {
		t.Errorf("%d ringing events on the agent's desk, want the one call's", nRing)
	}
	if got := strings.Join(refusals, ","); got != "unknown token,expired token" {
		t.Errorf("agent's refusals %q", got)
	}
	if d := audiotest.MixedToneTime(heardWhileRefusing, 400, leakLevel) + audiotest.MixedToneTime(heardWhileRefusing, 450, leakLevel); d > 0 {
		t.Errorf("the ringtone played for %v while refusing", d)
	}
	if d := audiotest.MixedToneTime(heardWhileRefusing, callerHz, heardLevel); d < time.Second {
		t.Errorf("the agent heard the caller for only %v while refusing (the call itself suffered)", d)
	}

	_, decPath := b.Recordings()
	callerEar := readDump(t, decPath)
	recEv := arec.wait(t, telephony.EventRecording, 10*time.Second)
	_, recCh, err := audiotest.ReadWAV(recEv.Recording.Path)
	if err != nil || len(recCh) != 2 {
		t.Fatalf("recording: %v", err)
	}
	tt := func(s []int16, hz float64) time.Duration { return audiotest.MixedToneTime(s, hz, heardLevel) }
	leak := func(s []int16, hz float64) time.Duration { return audiotest.MixedToneTime(s, hz, leakLevel) }
	var report strings.Builder
	for _, p := range phases {
		// The baresip dump and the desk's recording start at the answer;
		// their windows keep 0.8 s clear of each switch.
		atCaller := span(callerEar, p.from+800*time.Millisecond, p.to-200*time.Millisecond)
		recLeft := span(recCh[0], p.from+800*time.Millisecond, p.to-200*time.Millisecond)
		recRight := span(recCh[1], p.from+800*time.Millisecond, p.to-200*time.Millisecond)
		long := time.Duration(len(atCaller)) * time.Second / audio.Rate
		fmt.Fprintf(&report, "\n%-7s supervisor hears caller %v agent %v self %v | agent hears caller %v supervisor %v | caller hears agent %v supervisor %v (of %v) | recording caller %v supervisor L %v R %v",
			p.mode, tt(p.supervisor, callerHz), tt(p.supervisor, agentHz), leak(p.supervisor, supHz),
			tt(p.agentEar, callerHz), tt(p.agentEar, supHz), tt(atCaller, agentHz), tt(atCaller, supHz), long,
			tt(recLeft, callerHz), leak(recLeft, supHz), tt(recRight, supHz))
		// Thresholds are about half of what arrives: a busy sound server
		// drops audio on its own, a broken path gives nothing.
		const half = 1500 * time.Millisecond
		if tt(p.supervisor, callerHz) < half || tt(p.supervisor, agentHz) < half {
			t.Errorf("%s: the supervisor heard the caller %v and the agent %v of 3 s", p.mode, tt(p.supervisor, callerHz), tt(p.supervisor, agentHz))
		}
		if d := leak(p.supervisor, supHz); d > 300*time.Millisecond {
			t.Errorf("%s: the supervisor heard themselves for %v", p.mode, d)
		}
		if tt(p.agentEar, callerHz) < half || tt(atCaller, agentHz) < long/2 {
			t.Errorf("%s: the call lost a side: agent heard the caller %v, the caller the agent %v", p.mode, tt(p.agentEar, callerHz), tt(atCaller, agentHz))
		}
		toAgent, toCaller := p.mode != telephony.MonitorListen, p.mode == telephony.MonitorBarge
		if toAgent && tt(p.agentEar, supHz) < half {
			t.Errorf("%s: the agent heard the supervisor for %v of 3 s", p.mode, tt(p.agentEar, supHz))
		}
		if !toAgent && leak(p.agentEar, supHz) > 300*time.Millisecond {
			t.Errorf("%s: the supervisor reached the agent for %v", p.mode, leak(p.agentEar, supHz))
		}
		if toCaller && tt(atCaller, supHz) < long/2 {
			t.Errorf("%s: the caller heard the supervisor for %v of %v", p.mode, tt(atCaller, supHz), long)
		}
		if !toCaller && leak(atCaller, supHz) > 300*time.Millisecond {
			t.Errorf("%s: the supervisor reached the caller for %v of %v", p.mode, leak(atCaller, supHz), long)
		}
		// The recording: the caller's channel is the caller alone; the
		// agent's is what the caller heard, so the supervisor is in it in
		// barge only.
		if tt(recLeft, callerHz) < long/2 || leak(recLeft, supHz) > 200*time.Millisecond {
			t.Errorf("%s: recording's caller channel: caller %v, supervisor %v", p.mode, tt(recLeft, callerHz), leak(recLeft, supHz))
		}
		if toCaller != (tt(recRight, supHz) >= long/2) || !toCaller && leak(recRight, supHz) > 200*time.Millisecond {
			t.Errorf("%s: recording's agent channel holds the supervisor for %v of %v", p.mode, tt(recRight, supHz), long)
		}
	}
	t.Logf("tone time per phase (3 s windows at the desks, %v at the caller and in the recording):%s", phases[0].to-phases[0].from-time.Second, report.String())
}

// processCPU is the test process's CPU time so far (user and system).
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuOver is the process's CPU, in % of one core, over d of quiet.
func cpuOver(b *testing.B, d time.Duration) float64 {
	b.Helper()
	c0, t0 := processCPU(b), time.Now()
	time.Sleep(d)
	return 100 * float64(processCPU(b)-c0) / float64(time.Since(t0))
}

// BenchmarkMonitor measures, through a real Kamailio on loopback with
// PulseAudio null devices as the three sound cards (a baresip caller with
// real audio, the agent's desk, the supervisor's desk, the two desks in
// this process): mouth-to-ear latency from the caller to the agent and to
// the supervisor, timed on the same bursts, sample for sample (the two
// desks' earpieces are the two channels of one stereo sink), so the
// supervisor's extra is measured free of the caller's own jitter; the
// supervisor's whisper to the agent; the session's set-up; and this
// process's CPU with the call alone and with the monitoring session on it
// (the difference is both ends of the leg: the agent's mix and RTP, and
// the supervisor's whole desk).
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench BenchmarkMonitor -benchtime 1x ./telephony
func BenchmarkMonitor(b *testing.B) {
	kamailiotest.Gate(b)
	baresiptest.Gate(b)
	audiotest.PulseGate(b)
	pulse := audiotest.StartPulse(b, "agent", "sup", "far")
	pulse.AddSplitSink("ears", "agent_ear", "sup_ear")
	// What the measuring device adds on its own: a sink straight to its monitor.
	baseline := audiotest.Median(audiotest.MeasureDelay(b, "agent_mic_feed", "Monitor of agent_mic_feed", 4))
	k := kamailiotest.Start(b, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword})
	start := func(user, name string) (*telephony.UA, *recorder) {
		rec := &recorder{}
		ua, err := telephony.New(telephony.Config{PBX: k.URI(), User: user, Password: itPassword, Input: name + "_mic", Output: name + "_ear"},
			rec, telephony.WithLogger(testLogger(nil)), telephony.WithListenAddr("127.0.0.1:0"))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ua.Start(ctx); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ua.Close() })
		deadline := time.Now().Add(10 * time.Second)
		for !ua.Registered() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond) // polling with a deadline
		}
		return ua, rec
	}
	agent, arec := start(itUser, "agent")
	sup, _ := start(supUser, "sup")
	baresiptest.Start(b, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1", Proxy: "sip:" + k.Addr(),
		Codec: "PCMU", Pulse: pulse.Env(), PulseSink: "far", PulseSource: "far_mic", Commands: []string{"/dial sip:" + itUser + "@127.0.0.1"}})
	deadline := time.Now().Add(20 * time.Second)
	var callID string
	for callID == "" {
		arec.mu.Lock()
		for _, e := range arec.all {
			if e.Kind == telephony.EventRinging {
				callID = e.CallID
			}
		}
		arec.mu.Unlock()
		if time.Now().After(deadline) {
			b.Fatal("the caller's call did not ring")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	if err := agent.Answer(callID); err != nil {
		b.Fatal(err)
	}
	time.Sleep(2 * time.Second)

	// One measurement, however large b.N: it is a figure, not a loop.
	cpuCall := cpuOver(b, 5*time.Second)
	if err := agent.ExpectMonitor(itToken, callID, telephony.MonitorWhisper, time.Now().Add(30*time.Second)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sessionAt := time.Now()
	if _, err := sup.DialMonitor(ctx, itUser, itToken, telephony.MonitorWhisper); err != nil {
		b.Fatal(err)
	}
	setup := time.Since(sessionAt)
	time.Sleep(2 * time.Second)
	cpuMonitored := cpuOver(b, 5*time.Second)
	toAgent, toSup := audiotest.MeasureDelayPair(b, "far_mic_feed", "Monitor of ears", 10)
	var whisper []time.Duration
	for _, d := range audiotest.MeasureDelays(b, "sup_mic_feed", "Monitor of ears", 2, 6) {
		if d[0] >= 0 { // the agent's ear, on the left
			whisper = append(whisper, d[0])
		}
	}
	if len(toAgent) < 5 || len(whisper) < 3 {
		b.Fatalf("too few bursts arrived: %d caller→both, %d whisper", len(toAgent), len(whisper))
	}
	extra := make([]time.Duration, len(toAgent))
	for i := range toAgent {
		extra[i] = toSup[i] - toAgent[i]
	}
	for _, r := range []struct {
		name string
		ds   []time.Duration
	}{{"caller→agent", toAgent}, {"caller→supervisor", toSup}, {"supervisor's extra", extra}, {"supervisor→agent", whisper}} {
		b.Logf("  %-20s %s(median %s)", r.name, audiotest.FormatDelays(r.ds), audiotest.Median(r.ds))
	}
	ms := func(ds []time.Duration) float64 { return float64((audiotest.Median(ds) - baseline).Milliseconds()) }
	extraMs := float64(audiotest.Median(extra).Milliseconds())
	b.ReportMetric(ms(toAgent), "caller_to_agent_ms")
	b.ReportMetric(ms(toSup), "caller_to_supervisor_ms")
	b.ReportMetric(extraMs, "supervisor_extra_ms")
	b.ReportMetric(ms(whisper), "whisper_to_agent_ms")
	b.ReportMetric(cpuMonitored-cpuCall, "monitoring_cpu_%")
	b.Logf("\nmouth→ear (less the measuring device's %v):\n"+
		"  caller → agent                 %6.0f ms\n  caller → supervisor            %6.0f ms\n"+
		"  supervisor's extra, per burst  %6.0f ms (median of the same bursts at both ears)\n"+
		"  supervisor → agent (whisper)   %6.0f ms\n"+
		"session set-up (DialMonitor)     %6d ms\n"+
		"this process (both desks), %% of one core: call alone %.2f, with the session %.2f (+%.2f)",
		baseline, ms(toAgent), ms(toSup), extraMs, ms(whisper), setup.Milliseconds(), cpuCall, cpuMonitored, cpuMonitored-cpuCall)
}
