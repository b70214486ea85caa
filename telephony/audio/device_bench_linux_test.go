package audio_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// BenchmarkDeviceWakeups measures what one open headset device costs on
// its own, the desk's capture and playback streams through malgo beside
// PulseAudio's own parec and pacat on the same devices with the same
// 20 ms buffer: CPU in % of a core and context switches a second. Most of
// a call's CPU on a VM is its threads waking (BenchmarkVoice), and a
// PulseAudio client wakes for every block the server sends or asks for,
// so this tells how much of the desk's figure is the sound server's
// rhythm and how much its own. The desk's rows are this whole test
// process, so the idle row is their floor.
func BenchmarkDeviceWakeups(b *testing.B) {
	p, be := pulseBackend(b)
	const settle, window = time.Second, 8 * time.Second
	measure := func(pid int) (cpu, sw float64) {
		time.Sleep(settle)
		s0, t0 := audiotest.ReadProc(b, pid), time.Now()
		time.Sleep(window)
		return audiotest.Usage(s0, audiotest.ReadProc(b, pid), time.Since(t0))
	}
	self := os.Getpid()
	open := func(k audio.Kind, id string) func() (float64, float64) {
		return func() (float64, float64) {
			st, err := be.Open(k, id, func(s []int16) {
				if k == audio.Playback {
					clear(s)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := st.Start(); err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			return measure(self)
		}
	}
	// tool runs PulseAudio's own client (parec or pacat) on dev, with
	// the same format and buffer as the desk's stream, to or from file.
	tool := func(name, dev, file string) func() (float64, float64) {
		return func() (float64, float64) {
			cmd := exec.Command(name, "-d", dev, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=20", file)
			cmd.Env = p.Env()
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			return measure(cmd.Process.Pid)
		}
	}
	rows := []struct {
		name, key string
		run       func() (float64, float64)
	}{
		{"test process, no device open", "idle", func() (float64, float64) { return measure(self) }},
		{"desk capture (malgo), desk_mic", "capture", open(audio.Capture, "desk_mic")},
		{"desk playback (malgo), desk", "playback", open(audio.Playback, "desk")},
		{"parec --latency-msec=20, desk_mic", "parec", tool("parec", "desk_mic", "/dev/null")},
		{"pacat --latency-msec=20, desk", "pacat", tool("pacat", "desk", "/dev/zero")},
	}
	var out strings.Builder
	fmt.Fprintf(&out, "BenchmarkDeviceWakeups\n%-36s %9s %11s\n", "device", "cpu/core", "switches/s")
	for _, r := range rows {
		cpu, sw := r.run()
		fmt.Fprintf(&out, "%-36s %8.2f%% %11.0f\n", r.name, cpu, sw)
		b.ReportMetric(sw, r.key+"_switches/s")
	}
	fmt.Print(out.String())
}
