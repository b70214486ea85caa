package telephony_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

// procStat is a process's CPU time and resident memory.
type procStat struct {
	cpu time.Duration
	rss int64 // bytes
}

// readProc reads /proc/PID/stat (utime, stime) and /proc/PID/status (VmRSS).
func readProc(b *testing.B, pid int) procStat {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	p := procStat{cpu: time.Duration(ut+st) * time.Second / hz}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			p.rss = kb * 1024
		}
	}
	return p
}

// buildDeskctl builds the deskctl binary the benchmark runs as the desk.
func buildDeskctl(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "deskctl")
	cmd := exec.Command("go", "build", "-o", bin, "agentdesk/cmd/deskctl")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build deskctl: %v\n%s", err, out)
	}
	return bin
}

// voiceFigures are what one side of a call measured.
type voiceFigures struct {
	mouthToEar time.Duration // agent's mouth to caller's ear
	earFromFar time.Duration // caller's mouth to agent's ear
	cpuPct     float64       // the agent's phone, % of one core during the call
	rssIdle    int64
	rssCall    int64
}

// measureCall measures a call that is up between the agent's phone (pid)
// on the desk_* devices and the caller on the far_* devices.
func measureCall(b *testing.B, pid int, baseline time.Duration) voiceFigures {
	b.Helper()
	var f voiceFigures
	s0, t0 := readProc(b, pid), time.Now()
	out := audiotest.MeasureDelay(b, "desk_mic_feed", "Monitor of far", 6)
	in := audiotest.MeasureDelay(b, "far_mic_feed", "Monitor of desk", 6)
	s1, t1 := readProc(b, pid), time.Now()
	b.Logf("  agent→caller %s(median %s) caller→agent %s(median %s), baseline %s",
		audiotest.FormatDelays(out), audiotest.Median(out), audiotest.FormatDelays(in), audiotest.Median(in), baseline)
	if len(out) < 3 || len(in) < 3 {
		b.Fatalf("too few bursts arrived: %d out, %d in", len(out), len(in))
	}
	f.mouthToEar = audiotest.Median(out) - baseline
	f.earFromFar = audiotest.Median(in) - baseline
	f.cpuPct = 100 * float64(s1.cpu-s0.cpu) / float64(t1.Sub(t0))
	f.rssCall = s1.rss
	return f
}

// BenchmarkVoice measures, through a real Kamailio on loopback with
// PulseAudio null devices as the sound cards: mouth-to-ear latency both
// ways (onset of a tone burst in, onset out, less what the measuring
// device itself adds), the agent's phone's CPU during the call (% of one
// core) and its resident memory idle and with the call up. It does it for
// deskctl watch (the desk's phone) answering a baresip, and again for a
// baresip answering the same baresip, the softphone to beat.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench BenchmarkVoice -benchtime 1x ./telephony
func BenchmarkVoice(b *testing.B) {
	kamailiotest.Gate(b)
	baresiptest.Gate(b)
	audiotest.PulseGate(b)
	bin := buildDeskctl(b)
	pulse := audiotest.StartPulse(b, "desk", "far")
	// What the measuring device adds on its own: a sink straight to its
	// monitor.
	baseline := audiotest.Median(audiotest.MeasureDelay(b, "desk_mic_feed", "Monitor of desk_mic_feed", 4))
	caller := func(k *kamailiotest.Kamailio) *baresiptest.Baresip {
		return baresiptest.Start(b, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1", Proxy: "sip:" + k.Addr(),
			Codec: "PCMU", Pulse: pulse.Env(), PulseSink: "far", PulseSource: "far_mic",
			Commands: []string{"/dial sip:" + itUser + "@127.0.0.1"}})
	}

	// One measurement, however large b.N: it is a figure, not a loop.
	// The desk: deskctl watch answering at once, on desk_mic / desk.
	k1 := kamailiotest.Start(b, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword})
	desk := exec.Command(bin, "watch", "--config", filepath.Join(b.TempDir(), "none.toml"), "--data", b.TempDir(), "--json",
		"--pbx", k1.URI(), "--user", itUser, "--password", itPassword, "--answer-after", "1ms", "--input", "desk_mic", "--output", "desk",
		"--recordings", b.TempDir()) // the window records every call; so does the desk measured
	desk.Env = pulse.Env()
	stdout, err := desk.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	desk.Stderr = os.Stderr
	if err := desk.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = desk.Process.Signal(syscall.SIGTERM); _ = desk.Wait() })
	events := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			events <- sc.Text()
		}
		close(events)
	}()
	waitEvent := func(kind string) {
		deadline := time.After(20 * time.Second)
		for {
			select {
			case line, ok := <-events:
				if !ok {
					b.Fatalf("deskctl ended before %s", kind)
				}
				if strings.Contains(line, `"event":"`+kind+`"`) {
					return
				}
			case <-deadline:
				b.Fatalf("no %s from deskctl", kind)
			}
		}
	}
	waitEvent("registered")
	time.Sleep(2 * time.Second)
	deskIdle := readProc(b, desk.Process.Pid).rss
	c1 := caller(k1)
	waitEvent("answered")
	time.Sleep(2 * time.Second)
	deskFig := measureCall(b, desk.Process.Pid, baseline)
	deskFig.rssIdle = deskIdle
	c1.Stop()
	waitEvent("ended")

	// The same desk called by the desk's own phone (an in-process UA on
	// the far_* devices): both ends are ours.
	farRec := &recorder{}
	far, err := telephony.New(telephony.Config{PBX: k1.URI(), User: "1002", Password: itPassword, Input: "far_mic", Output: "far"},
		farRec, telephony.WithLogger(testLogger(nil)), telephony.WithListenAddr("127.0.0.1:0"))
	if err != nil {
		b.Fatal(err)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := far.Start(sctx); err != nil {
		b.Fatal(err)
	}
	defer far.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !far.Registered() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
	callID, err := far.Dial(context.Background(), itUser)
	if err != nil {
		b.Fatal(err)
	}
	waitEvent("answered")
	time.Sleep(2 * time.Second)
	selfFig := measureCall(b, desk.Process.Pid, baseline)
	selfFig.rssIdle = deskIdle
	_ = far.Hangup(callID)
	_ = desk.Process.Signal(syscall.SIGTERM)
	_ = desk.Wait()

	// The same with a baresip in the agent's place.
	k2 := kamailiotest.Start(b, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword})
	agent := baresiptest.Start(b, baresiptest.Options{User: itUser, Password: itPassword, Domain: "127.0.0.1", Proxy: "sip:" + k2.Addr(),
		Codec: "PCMU", Pulse: pulse.Env(), PulseSink: "desk", PulseSource: "desk_mic"})
	if !agent.WaitOutput("200 OK", 10*time.Second) {
		b.Fatal("the agent's baresip did not register")
	}
	time.Sleep(2 * time.Second)
	bareIdle := readProc(b, agent.Pid()).rss
	c2 := caller(k2)
	if !agent.WaitOutput("Call established", 20*time.Second) {
		b.Fatal("the agent's baresip did not answer")
	}
	time.Sleep(2 * time.Second)
	bareFig := measureCall(b, agent.Pid(), baseline)
	bareFig.rssIdle = bareIdle
	c2.Stop()
	agent.Stop()

	mb := func(x int64) float64 { return float64(x) / (1 << 20) }
	b.ReportMetric(float64(deskFig.mouthToEar.Milliseconds()), "desk_mouth_to_ear_ms")
	b.ReportMetric(float64(deskFig.earFromFar.Milliseconds()), "desk_ear_ms")
	b.ReportMetric(deskFig.cpuPct, "desk_cpu_%")
	b.ReportMetric(mb(deskFig.rssCall-deskFig.rssIdle), "desk_call_MB")
	b.ReportMetric(float64(bareFig.mouthToEar.Milliseconds()), "baresip_mouth_to_ear_ms")
	b.ReportMetric(float64(bareFig.earFromFar.Milliseconds()), "baresip_ear_ms")
	b.ReportMetric(bareFig.cpuPct, "baresip_cpu_%")
	b.ReportMetric(mb(bareFig.rssCall-bareFig.rssIdle), "baresip_call_MB")
	b.ReportMetric(float64(selfFig.mouthToEar.Milliseconds()), "desk_to_desk_ms")
	row := func(name string, f voiceFigures) string {
		return fmt.Sprintf("%-34s %10dms %10dms %8.2f%% %8.1fMB %8.1fMB", name, f.mouthToEar.Milliseconds(), f.earFromFar.Milliseconds(), f.cpuPct, mb(f.rssIdle), mb(f.rssCall))
	}
	b.Logf("\n%-34s %12s %12s %9s %10s %10s\n%s\n%s\n%s", "agent's phone (caller)", "mouth→ear", "ear←mouth", "cpu/core", "rss idle", "rss call",
		row("deskctl watch (caller: baresip)", deskFig), row("deskctl watch (caller: desk UA)", selfFig), row("baresip (caller: baresip)", bareFig))
}
