package telephony_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

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
	switches   float64       // the agent's phone's context switches a second
	rssIdle    int64
	rssCall    int64
	bursts     string // each tone burst's delay, for the log
}

// measureCall measures a call that is up between the agent's phone (pid)
// on the desk_* devices and the caller on the far_* devices.
func measureCall(b *testing.B, pid int, baseline time.Duration) voiceFigures {
	b.Helper()
	var f voiceFigures
	s0, t0 := audiotest.ReadProc(b, pid), time.Now()
	out := audiotest.MeasureDelay(b, "desk_mic_feed", "Monitor of far", 6)
	in := audiotest.MeasureDelay(b, "far_mic_feed", "Monitor of desk", 6)
	s1, t1 := audiotest.ReadProc(b, pid), time.Now()
	f.bursts = fmt.Sprintf("agent→caller %s(median %s) caller→agent %s(median %s), baseline %s",
		audiotest.FormatDelays(out), audiotest.Median(out), audiotest.FormatDelays(in), audiotest.Median(in), baseline)
	if len(out) < 3 || len(in) < 3 {
		b.Fatalf("too few bursts arrived: %d out, %d in", len(out), len(in))
	}
	f.mouthToEar = audiotest.Median(out) - baseline
	f.earFromFar = audiotest.Median(in) - baseline
	f.cpuPct, f.switches = audiotest.Usage(s0, s1, t1.Sub(t0))
	f.rssCall = s1.RSS
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
// One round takes about 75 s, and on a small VM one round's CPU figures
// move by half a point from the next round's, baresip's as much as the
// desk's. AGENTDESK_VOICE_ROUNDS=N measures N rounds, the desk first in
// odd rounds and baresip first in even ones, and reports the medians; the
// log has every round's rows and the desk's CPU less baresip's in it.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench 'BenchmarkVoice$' -benchtime 1x ./telephony
func BenchmarkVoice(b *testing.B) {
	kamailiotest.Gate(b)
	baresiptest.Gate(b)
	audiotest.PulseGate(b)
	rounds := 1
	if v := os.Getenv("AGENTDESK_VOICE_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("AGENTDESK_VOICE_ROUNDS=%q: want a whole number of rounds, 1 or more", v)
		}
		rounds = n
	}
	r := &voiceRig{bin: buildDeskctl(b), pulse: audiotest.StartPulse(b, "desk", "far")}
	// What the measuring device adds on its own: a sink straight to its
	// monitor.
	r.baseline = audiotest.Median(audiotest.MeasureDelay(b, "desk_mic_feed", "Monitor of desk_mic_feed", 4))

	// However large b.N: these are figures, not a loop.
	var desk, self, bare []voiceFigures
	var log strings.Builder
	for i := range rounds {
		var d, s, br voiceFigures
		if i%2 == 0 {
			d, s = r.desk(b)
			br = r.baresip(b)
		} else {
			br = r.baresip(b)
			d, s = r.desk(b)
		}
		desk, self, bare = append(desk, d), append(self, s), append(bare, br)
		fmt.Fprintf(&log, "\nround %d of %d: desk CPU %+.2f points from baresip's\n%s\n%s\n%s\n", i+1, rounds, d.cpuPct-br.cpuPct,
			d.row("deskctl watch (caller: baresip)"), s.row("deskctl watch (caller: desk UA)"), br.row("baresip (caller: baresip)"))
		for _, f := range []voiceFigures{d, s, br} {
			fmt.Fprintf(&log, "  %s\n", f.bursts)
		}
	}
	deskFig, selfFig, bareFig := medianFigures(desk), medianFigures(self), medianFigures(bare)
	b.ReportMetric(float64(deskFig.mouthToEar.Milliseconds()), "desk_mouth_to_ear_ms")
	b.ReportMetric(float64(deskFig.earFromFar.Milliseconds()), "desk_ear_ms")
	b.ReportMetric(deskFig.cpuPct, "desk_cpu_%")
	b.ReportMetric(deskFig.switches, "desk_switches/s")
	b.ReportMetric(mb(deskFig.rssCall-deskFig.rssIdle), "desk_call_MB")
	b.ReportMetric(float64(bareFig.mouthToEar.Milliseconds()), "baresip_mouth_to_ear_ms")
	b.ReportMetric(float64(bareFig.earFromFar.Milliseconds()), "baresip_ear_ms")
	b.ReportMetric(bareFig.cpuPct, "baresip_cpu_%")
	b.ReportMetric(bareFig.switches, "baresip_switches/s")
	b.ReportMetric(mb(bareFig.rssCall-bareFig.rssIdle), "baresip_call_MB")
	b.ReportMetric(float64(selfFig.mouthToEar.Milliseconds()), "desk_to_desk_ms")
	// The table goes to standard output: the testing package keeps only
	// the first ten lines of a benchmark's log.
	header := fmt.Sprintf("%-34s %12s %12s %9s %10s %10s %10s", "agent's phone (caller)", "mouth→ear", "ear←mouth", "cpu/core", "switches/s", "rss idle", "rss call")
	fmt.Printf("BenchmarkVoice\n%s%s\nmedian of %d round(s):\n%s\n%s\n%s\n%s\n", header, log.String(), rounds, header,
		deskFig.row("deskctl watch (caller: baresip)"), selfFig.row("deskctl watch (caller: desk UA)"), bareFig.row("baresip (caller: baresip)"))
}

// voiceRig is what every round shares: the deskctl binary, the sound
// server and what its measuring path adds.
type voiceRig struct {
	bin      string
	pulse    *audiotest.Pulse
	baseline time.Duration
}

// caller starts the baresip that calls the agent through k.
func (r *voiceRig) caller(b *testing.B, k *kamailiotest.Kamailio) *baresiptest.Baresip {
	return baresiptest.Start(b, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1", Proxy: "sip:" + k.Addr(),
		Codec: "PCMU", Pulse: r.pulse.Env(), PulseSink: "far", PulseSource: "far_mic",
		Commands: []string{"/dial sip:" + itUser + "@127.0.0.1"}})
}

// desk measures deskctl watch answering at once on desk_mic / desk: called
// by a baresip, then by the desk's own phone (an in-process UA on the far_*
// devices), so that both ends are ours.
func (r *voiceRig) desk(b *testing.B) (fromBaresip, fromDesk voiceFigures) {
	k1 := kamailiotest.Start(b, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword})
	defer k1.Stop()
	desk := exec.Command(r.bin, "watch", "--config", filepath.Join(b.TempDir(), "none.toml"), "--data", b.TempDir(), "--json",
		"--pbx", k1.URI(), "--user", itUser, "--password", itPassword, "--answer-after", "1ms", "--input", "desk_mic", "--output", "desk",
		"--recordings", b.TempDir()) // the window records every call; so does the desk measured
	desk.Env = r.pulse.Env()
	stdout, err := desk.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	desk.Stderr = os.Stderr
	if err := desk.Start(); err != nil {
		b.Fatal(err)
	}
	stopDesk := sync.OnceFunc(func() { _ = desk.Process.Signal(syscall.SIGTERM); _ = desk.Wait() })
	defer stopDesk()
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
	idle := audiotest.ReadProc(b, desk.Process.Pid).RSS
	c1 := r.caller(b, k1)
	waitEvent("answered")
	time.Sleep(2 * time.Second)
	fromBaresip = measureCall(b, desk.Process.Pid, r.baseline)
	fromBaresip.rssIdle = idle
	c1.Stop()
	waitEvent("ended")

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
	fromDesk = measureCall(b, desk.Process.Pid, r.baseline)
	fromDesk.rssIdle = idle
	_ = far.Hangup(callID)
	stopDesk()
	return fromBaresip, fromDesk
}

// baresip measures a baresip in the agent's place, called by the same
// baresip as the desk.
func (r *voiceRig) baresip(b *testing.B) voiceFigures {
	k2 := kamailiotest.Start(b, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword})
	defer k2.Stop()
	agent := baresiptest.Start(b, baresiptest.Options{User: itUser, Password: itPassword, Domain: "127.0.0.1", Proxy: "sip:" + k2.Addr(),
		Codec: "PCMU", Pulse: r.pulse.Env(), PulseSink: "desk", PulseSource: "desk_mic"})
	defer agent.Stop()
	if !agent.WaitOutput("200 OK", 10*time.Second) {
		b.Fatal("the agent's baresip did not register")
	}
	time.Sleep(2 * time.Second)
	idle := audiotest.ReadProc(b, agent.Pid()).RSS
	c2 := r.caller(b, k2)
	defer c2.Stop()
	if !agent.WaitOutput("Call established", 20*time.Second) {
		b.Fatal("the agent's baresip did not answer")
	}
	time.Sleep(2 * time.Second)
	f := measureCall(b, agent.Pid(), r.baseline)
	f.rssIdle = idle
	return f
}

// row is one line of the benchmark's table.
func (f voiceFigures) row(name string) string {
	return fmt.Sprintf("%-34s %10dms %10dms %8.2f%% %10.0f %8.1fMB %8.1fMB", name, f.mouthToEar.Milliseconds(), f.earFromFar.Milliseconds(), f.cpuPct, f.switches, mb(f.rssIdle), mb(f.rssCall))
}

// mb is bytes in MiB.
func mb(x int64) float64 { return float64(x) / (1 << 20) }

// medianFigures is each figure's median over the rounds, taken figure by
// figure.
func medianFigures(fs []voiceFigures) voiceFigures {
	pick := func(get func(voiceFigures) float64) float64 {
		v := make([]float64, len(fs))
		for i, f := range fs {
			v[i] = get(f)
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	return voiceFigures{
		mouthToEar: time.Duration(pick(func(f voiceFigures) float64 { return float64(f.mouthToEar) })),
		earFromFar: time.Duration(pick(func(f voiceFigures) float64 { return float64(f.earFromFar) })),
		cpuPct:     pick(func(f voiceFigures) float64 { return f.cpuPct }),
		switches:   pick(func(f voiceFigures) float64 { return f.switches }),
		rssIdle:    int64(pick(func(f voiceFigures) float64 { return float64(f.rssIdle) })),
		rssCall:    int64(pick(func(f voiceFigures) float64 { return float64(f.rssCall) })),
	}
}
