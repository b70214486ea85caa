package audiotest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/telephony/audio"
)

// PulseGate skips the test unless AGENTDESK_INTEGRATION=1, and then fails
// it if PulseAudio's daemon or tools are missing (Debian: pulseaudio,
// pulseaudio-utils).
func PulseGate(t testing.TB) {
	t.Helper()
	if os.Getenv("AGENTDESK_INTEGRATION") != "1" {
		t.Skip("integration test: set AGENTDESK_INTEGRATION=1 (needs pulseaudio)")
	}
	for _, bin := range []string{"pulseaudio", "pactl", "parec", "pacat"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("integration test needs %s (apt-get install pulseaudio pulseaudio-utils): %v", bin, err)
		}
	}
}

// Pulse is a private PulseAudio server with null sinks standing in for
// sound cards, in its own XDG_RUNTIME_DIR. The test process's environment
// points at it (so malgo finds it), and it is killed at cleanup.
type Pulse struct {
	t   testing.TB
	dir string
	env []string
}

// StartPulse runs `pulseaudio -n` with module-native-protocol-unix and,
// for each name, a null sink NAME plus a source NAME_mic that is the
// monitor of a second null sink NAME_mic_feed: what is played into
// NAME_mic_feed comes out of the "microphone" NAME_mic, and what is played
// on NAME can be recorded from NAME.monitor. The first name's sink and
// source become the defaults. It sets XDG_RUNTIME_DIR for the test (so
// the test must not be parallel).
func StartPulse(t testing.TB, names ...string) *Pulse {
	t.Helper()
	// A short path: the socket's path must fit in sun_path.
	dir, err := os.MkdirTemp("", "pa")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	server := "unix:" + filepath.Join(dir, "pulse", "native")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PULSE_") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	p := &Pulse{t: t, dir: dir, env: append(env, "XDG_RUNTIME_DIR="+dir, "HOME="+dir, "PULSE_SERVER="+server)}
	t.Cleanup(p.stop)
	args := []string{"--daemonize=yes", "--exit-idle-time=-1", "-n", "--use-pid-file=yes",
		"--log-target=file:" + filepath.Join(dir, "pulse.log"),
		"--load=module-native-protocol-unix auth-anonymous=1"}
	for _, n := range names {
		args = append(args,
			fmt.Sprintf("--load=module-null-sink sink_name=%s rate=8000 channels=1 sink_properties=device.description=%s", n, n),
			fmt.Sprintf("--load=module-null-sink sink_name=%s_mic_feed rate=8000 channels=1 sink_properties=device.description=%s_mic_feed", n, n),
			fmt.Sprintf("--load=module-remap-source master=%s_mic_feed.monitor source_name=%s_mic source_properties=device.description=%s_mic", n, n, n))
	}
	if out, err := p.command("pulseaudio", args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pulse.log"))
		t.Fatalf("start pulseaudio: %v\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.command("pactl", "info").Run() != nil {
		if time.Now().After(deadline) {
			t.Fatal("pulseaudio did not come up")
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline for the daemon's socket
	}
	// An idle null sink renders nothing, so its monitor (and a "mic"
	// remapped from it) would deliver no samples at all, unlike a sound
	// card; a silent stream into every sink keeps them running.
	for _, n := range names {
		for _, sink := range []string{n, n + "_mic_feed"} {
			p.background("pacat", "--playback", "-d", sink, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=10", "/dev/zero")
			p.background("pacat", "--record", "-d", sink+".monitor", "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=10", "/dev/null")
		}
	}
	for _, n := range names {
		p.warm(n + "_mic")
	}
	if len(names) > 0 {
		p.Pactl("set-default-sink", names[0])
		p.Pactl("set-default-source", names[0]+"_mic")
	}
	t.Setenv("XDG_RUNTIME_DIR", dir)
	t.Setenv("PULSE_SERVER", server)
	return p
}

// AddSink loads one more null sink (a headset plugged in), waits until it
// runs, and returns its module index for pactl unload-module.
func (p *Pulse) AddSink(name string) string {
	p.t.Helper()
	mod := strings.TrimSpace(p.Pactl("load-module", "module-null-sink", "sink_name="+name, "rate=8000", "channels=1",
		"sink_properties=device.description="+name))
	p.background("pacat", "--playback", "-d", name, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=10", "/dev/zero")
	p.warm(name + ".monitor")
	return mod
}

// AddSplitSink loads a stereo null sink named stereo and two mono sinks,
// left and right, that play on its two channels: recording
// stereo.monitor (its device name is "Monitor of STEREO") in stereo hears
// both, sample for sample, so MeasureDelayPair can time two ears against
// each other. It waits until the sink runs.
func (p *Pulse) AddSplitSink(stereo, left, right string) {
	p.t.Helper()
	p.Pactl("load-module", "module-null-sink", "sink_name="+stereo, "rate=8000", "channels=2", "channel_map=front-left,front-right",
		"sink_properties=device.description="+stereo)
	for name, ch := range map[string]string{left: "front-left", right: "front-right"} {
		p.Pactl("load-module", "module-remap-sink", "sink_name="+name, "master="+stereo, "channels=1", "master_channel_map="+ch,
			"channel_map=mono", "remix=no", "sink_properties=device.description="+name)
	}
	p.background("pacat", "--playback", "-d", stereo, "--rate=8000", "--channels=2", "--format=s16le", "--raw", "--latency-msec=10", "/dev/zero")
	p.warm(stereo + ".monitor")
}

// warm waits until source delivers samples: a fresh server's null sinks
// run in 2 s blocks until a low-latency stream has been served, and a
// device opened before that gets nothing for up to 2 s.
func (p *Pulse) warm(source string) {
	p.t.Helper()
	cmd := p.command("pacat", "--record", "-d", source, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=10")
	out, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("pacat: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	got := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(out, make([]byte, 3200)) // 200 ms of samples
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			p.t.Fatalf("pulseaudio source %s: %v", source, err)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatalf("pulseaudio source %s delivered nothing in 10 s", source)
	}
}

// background runs a helper process until cleanup.
func (p *Pulse) background(name string, args ...string) {
	p.t.Helper()
	cmd := p.command(name, args...)
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("%s: %v", name, err)
	}
	go func() { _ = cmd.Wait() }()
	p.t.Cleanup(func() { _ = cmd.Process.Kill() })
}

// Env is the environment for a child process (baresip, parec…) that
// should use this server.
func (p *Pulse) Env() []string { return p.env }

// Dir is the server's XDG_RUNTIME_DIR.
func (p *Pulse) Dir() string { return p.dir }

func (p *Pulse) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = p.env
	return cmd
}

// Pactl runs one pactl command and fails the test if it fails.
func (p *Pulse) Pactl(args ...string) string {
	p.t.Helper()
	out, err := p.command("pactl", args...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *Pulse) stop() {
	_ = p.command("pulseaudio", "--kill").Run()
	// pulseaudio --kill returns before the daemon is gone; wait for its pid.
	if b, err := os.ReadFile(filepath.Join(p.dir, "pulse", "pid")); err == nil {
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 {
			deadline := time.Now().Add(5 * time.Second)
			for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond) // polling with a deadline for the exit
			}
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	_ = os.RemoveAll(p.dir)
}

// Play plays samples (8 kHz mono) into sink, returning at once; the player
// is stopped at cleanup or when ctx ends.
func (p *Pulse) Play(ctx context.Context, sink string, samples []int16) {
	p.t.Helper()
	cmd := exec.CommandContext(ctx, "pacat", "--playback", "-d", sink, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=20")
	cmd.Env = p.env
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, samples)
	cmd.Stdin = &b
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("pacat: %v", err)
	}
	go func() { _ = cmd.Wait() }()
	p.t.Cleanup(func() { _ = cmd.Process.Kill() })
}

// Recorder is a running parec.
type Recorder struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

// Record records source (e.g. "desk_out.monitor") as 8 kHz mono until
// Stop.
func (p *Pulse) Record(source string) *Recorder {
	p.t.Helper()
	r := &Recorder{out: &bytes.Buffer{}, done: make(chan struct{})}
	r.cmd = exec.Command("parec", "-d", source, "--rate=8000", "--channels=1", "--format=s16le", "--raw", "--latency-msec=20")
	r.cmd.Env = p.env
	r.cmd.Stdout = r.out
	if err := r.cmd.Start(); err != nil {
		p.t.Fatalf("parec: %v", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	p.t.Cleanup(func() { r.Stop() })
	return r
}

// Stop ends the recording (SIGINT, so parec flushes) and returns it.
func (r *Recorder) Stop() []int16 {
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Signal(os.Interrupt)
		select {
		case <-r.done:
		case <-time.After(3 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	}
	b := r.out.Bytes()
	out := make([]int16, len(b)/2)
	_ = binary.Read(bytes.NewReader(b[:len(out)*2]), binary.LittleEndian, out)
	return out
}

// Shares cuts samples (8 kHz) into windows of win samples and returns each
// window's share of power at freq (audio.ToneShare) and its RMS.
func Shares(samples []int16, win int, freq float64) (share, rms []float64) {
	for i := 0; i+win <= len(samples); i += win {
		w := samples[i : i+win]
		share = append(share, audio.ToneShare(w, audio.Rate, freq))
		rms = append(rms, audio.RMS(w))
	}
	return share, rms
}

// ToneTime is how much of samples (8 kHz) holds freq: 100 ms windows
// with share ≥ 0.5 and RMS ≥ 0.01, counted.
func ToneTime(samples []int16, freq float64) time.Duration {
	share, rms := Shares(samples, audio.Rate/10, freq)
	n := 0
	for i := range share {
		if share[i] >= 0.5 && rms[i] >= 0.01 {
			n++
		}
	}
	return time.Duration(n) * 100 * time.Millisecond
}

// Onset is the first sample (8 kHz) from which a 20 ms window holds the
// tone at freq (share ≥ 0.5, RMS ≥ 0.01), in 1 ms steps; -1 if none does.
func Onset(samples []int16, freq float64) int {
	const win = audio.FrameSamples
	for i := 0; i+win <= len(samples); i += audio.Rate / 1000 {
		w := samples[i : i+win]
		if audio.RMS(w) >= 0.01 && audio.ToneShare(w, audio.Rate, freq) >= 0.5 {
			return i
		}
	}
	return -1
}

// ReadWAV reads a 16-bit PCM WAV file: its rate and its channels'
// samples (one slice per channel).
func ReadWAV(path string) (rate int, channels [][]int16, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, fmt.Errorf("%s: not a WAV file", path)
	}
	var nch, bits int
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return 0, nil, fmt.Errorf("%s: short fmt chunk", path)
			}
			nch = int(binary.LittleEndian.Uint16(body[2:]))
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
		case "data":
			if nch == 0 || bits != 16 {
				return 0, nil, fmt.Errorf("%s: want 16-bit PCM, have %d bits, %d channels", path, bits, nch)
			}
			channels = make([][]int16, nch)
			for i := 0; i+2*nch <= len(body); i += 2 * nch {
				for c := range nch {
					channels[c] = append(channels[c], int16(binary.LittleEndian.Uint16(body[i+2*c:])))
				}
			}
			return rate, channels, nil
		}
		p += 8 + size + size%2
	}
	return 0, nil, fmt.Errorf("%s: no data chunk", path)
}

// Resample8k turns samples at rate into 8 kHz by linear interpolation
// (enough for tone detection).
func Resample8k(samples []int16, rate int) []int16 {
	if rate == audio.Rate || rate <= 0 {
		return samples
	}
	n := len(samples) * audio.Rate / rate
	out := make([]int16, n)
	for i := range out {
		pos := float64(i) * float64(rate) / audio.Rate
		j := int(pos)
		if j+1 >= len(samples) {
			out[i] = samples[len(samples)-1]
			continue
		}
		f := pos - float64(j)
		out[i] = int16(float64(samples[j])*(1-f) + float64(samples[j+1])*f)
	}
	return out
}

// Level is the RMS (0..1 of full scale) of the part of samples (8 kHz)
// that lies at freq: about the tone's own RMS, alone or mixed with other
// sounds (a tone at amplitude a reads a/√2).
func Level(samples []int16, freq float64) float64 {
	return math.Sqrt(audio.ToneShare(samples, audio.Rate, freq)) * audio.RMS(samples)
}

// MixedToneTime is how much of samples (8 kHz) holds freq among other
// sounds: the 100 ms windows whose part at freq has an RMS of at least
// minLevel (Level), counted.
func MixedToneTime(samples []int16, freq, minLevel float64) time.Duration {
	const win = audio.Rate / 10
	n := 0
	for i := 0; i+win <= len(samples); i += win {
		if Level(samples[i:i+win], freq) >= minLevel {
			n++
		}
	}
	return time.Duration(n) * 100 * time.Millisecond
}
