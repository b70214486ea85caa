package audio_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// toneSource feeds a capture device a continuous sine.
func toneSource(freq float64) func([]int16) {
	var mu sync.Mutex
	phase := 0.0
	return func(p []int16) {
		mu.Lock()
		phase = audio.Tone(p, freq, 0.3, phase)
		mu.Unlock()
	}
}

// statuses records every status the Sound reports.
type statuses struct {
	mu  sync.Mutex
	all []audio.Status
}

func (s *statuses) add(st audio.Status) {
	s.mu.Lock()
	s.all = append(s.all, st)
	s.mu.Unlock()
}

func (s *statuses) last() audio.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.all) == 0 {
		return audio.Status{}
	}
	return s.all[len(s.all)-1]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

func newSound(t *testing.T, be *audiotest.Backend, cfg audio.Config) (*audio.Sound, *statuses) {
	t.Helper()
	st := &statuses{}
	var opts []audio.Option
	if be != nil {
		opts = append(opts, audio.WithBackend(be))
	}
	s := audio.New(cfg, append(opts, audio.WithLogger(quiet()), audio.WithStatusFunc(st.add),
		audio.WithBackoff(20*time.Millisecond, 100*time.Millisecond), audio.WithStallTimeout(200*time.Millisecond))...)
	t.Cleanup(func() { _ = s.Close() })
	return s, st
}

// readFrames reads n frames from the microphone as the call clock would.
func readFrames(s *audio.Sound, n int) (got []int16, missed int) {
	frame := make([]int16, audio.FrameSamples)
	for range n {
		if !s.ReadFrame(frame, time.Now().Add(40*time.Millisecond)) {
			missed++
		}
		got = append(got, frame...)
	}
	return got, missed
}

func TestSound_CallAudioBothWays(t *testing.T) {
	be := audiotest.New()
	be.SetSource("mic", toneSource(440))
	s, _ := newSound(t, be, audio.Config{})
	s.Start()
	waitFor(t, "headset open", func() bool { st := s.Status(); return st.Input.Open && st.Output.Open })

	got, missed := readFrames(s, 25)
	if missed > 2 {
		t.Errorf("%d of 25 frames missed", missed)
	}
	if share := windowShare(got, 440); share < 0.7 {
		t.Errorf("the microphone's tone in %.0f%% of 100 ms windows", 100*share)
	}
	tone := make([]int16, audio.Rate/2)
	audio.Tone(tone, 1000, 0.3, 0)
	for i := 0; i < len(tone); i += audio.FrameSamples {
		s.WriteFrame(tone[i : i+audio.FrameSamples])
		time.Sleep(audio.FrameDuration)
	}
	played := nonSilent(be.Played("earpiece"))
	if share := windowShare(played, 1000); share < 0.7 {
		t.Errorf("the earpiece's tone in %.0f%% of 100 ms windows (%d samples)", 100*share, len(played))
	}
	if in, _ := s.Levels(); in < 0.5 {
		t.Errorf("input level %.2f while a tone plays into the mic", in)
	}
	s.Stop()
	waitFor(t, "headset closed", func() bool { return be.Running("mic") == 0 && be.Running("earpiece") == 0 })
	if in, out := s.Levels(); in != 0 || out != 0 {
		t.Errorf("levels %.2f %.2f after the call", in, out)
	}
}

// windowShare is the fraction of 100 ms windows of samples holding freq:
// the fake devices run on Go timers, which a loaded machine delays now and
// then, and a glitch should spoil a window, not the verdict.
func windowShare(samples []int16, freq float64) float64 {
	const win = audio.Rate / 10
	n, hit := 0, 0
	for i := 0; i+win <= len(samples); i += win {
		n++
		if audio.ToneShare(samples[i:i+win], audio.Rate, freq) >= 0.5 {
			hit++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

// nonSilent trims the silence before and after what was played.
func nonSilent(p []int16) []int16 {
	first, last := -1, -1
	for i, v := range p {
		if v != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return nil
	}
	return p[first : last+1]
}

func TestSound_StartNests(t *testing.T) {
	be := audiotest.New()
	s, _ := newSound(t, be, audio.Config{})
	s.Start()
	s.Start()
	waitFor(t, "headset open", func() bool { return be.Running("mic") == 1 })
	s.Stop()
	time.Sleep(50 * time.Millisecond)
	if be.Running("mic") != 1 {
		t.Fatal("the first Stop closed a headset another call still uses")
	}
	s.Stop()
	waitFor(t, "headset closed", func() bool { return be.Running("mic") == 0 })
}

func TestSound_NoDevice_ReportedAndRecovered(t *testing.T) {
	be := audiotest.Empty()
	s, st := newSound(t, be, audio.Config{})
	s.Start()
	waitFor(t, "no-device status", func() bool { return st.last().Input.Err != nil && st.last().Output.Err != nil })
	if err := s.Status().Err(); !errors.Is(err, audio.ErrNoDevice) {
		t.Fatalf("status error %v, want ErrNoDevice", err)
	}
	var de *audio.DeviceError
	if !errors.As(s.Status().Input.Err, &de) || de.Role != audio.RoleInput {
		t.Errorf("input error %v is not a DeviceError for the input", s.Status().Input.Err)
	}
	// The call clock still gets (silent) frames on time.
	start := time.Now()
	_, missed := readFrames(s, 5)
	if missed != 5 || time.Since(start) > 400*time.Millisecond {
		t.Errorf("missed %d frames in %v", missed, time.Since(start))
	}
	// A headset plugged in later is picked up without a restart.
	be.Plug(audio.Capture, audio.Device{ID: "mic", Name: "Late Mic", Default: true})
	be.Plug(audio.Playback, audio.Device{ID: "earpiece", Name: "Late Earpiece", Default: true})
	waitFor(t, "headset open", func() bool { st := s.Status(); return st.Input.Open && st.Output.Open })
	if err := s.Status().Err(); err != nil {
		t.Errorf("status error %v after plugging in", err)
	}
}

func TestSound_UnplugAndPlugBack(t *testing.T) {
	be := audiotest.New()
	be.Plug(audio.Capture, audio.Device{ID: "usb-mic", Name: "Jabra Evolve Mic"})
	be.SetSource("usb-mic", toneSource(440))
	s, st := newSound(t, be, audio.Config{Input: "Jabra"})
	s.Start()
	waitFor(t, "usb mic open", func() bool { return s.Status().Input.Open && s.Status().Input.Device.ID == "usb-mic" })

	be.Unplug("usb-mic")
	waitFor(t, "unplug noticed", func() bool { return !s.Status().Input.Open && s.Status().Input.Err != nil })
	if err := s.Status().Input.Err; !errors.Is(err, audio.ErrDeviceFailed) && !errors.Is(err, audio.ErrDeviceNotFound) {
		t.Errorf("input error %v", err)
	}
	// Not silently moved to another microphone: the agent chose this one.
	if s.Status().Input.Device.ID == "mic" {
		t.Error("fell back to the default microphone")
	}
	be.Plug(audio.Capture, audio.Device{ID: "usb-mic", Name: "Jabra Evolve Mic"})
	waitFor(t, "usb mic reopened", func() bool { return s.Status().Input.Open })
	if be.Opens("usb-mic") < 2 {
		t.Errorf("opened %d times", be.Opens("usb-mic"))
	}
	got, _ := readFrames(s, 10)
	if share := windowShare(got, 440); share < 0.5 {
		t.Errorf("the tone after replug in %.0f%% of 100 ms windows", 100*share)
	}
	var sawErr bool
	st.mu.Lock()
	for _, x := range st.all {
		sawErr = sawErr || x.Input.Err != nil
	}
	st.mu.Unlock()
	if !sawErr {
		t.Error("the unplug was never reported")
	}
}

func TestSound_StalledDeviceReopened(t *testing.T) {
	be := audiotest.New()
	s, _ := newSound(t, be, audio.Config{})
	s.Start()
	waitFor(t, "headset open", func() bool { return be.Running("earpiece") == 1 })
	be.Freeze("earpiece")
	waitFor(t, "stall noticed", func() bool { return be.Opens("earpiece") >= 2 })
	be.Thaw("earpiece")
	waitFor(t, "earpiece open again", func() bool { return s.Status().Output.Open })
}

func TestSound_RingOnItsOwnDevice(t *testing.T) {
	be := audiotest.New()
	s, _ := newSound(t, be, audio.Config{Ring: "Fake PC Speaker"})
	s.Ring(true)
	waitFor(t, "ring playing", func() bool { return len(be.Played("speaker")) >= audio.Rate/2 })
	ring := be.Played("speaker")[:audio.Rate*4/10]
	if share := audio.ToneShare(ring, audio.Rate, 400) + audio.ToneShare(ring, audio.Rate, 450); share < 0.8 {
		t.Errorf("ringtone share %.2f", share)
	}
	if len(be.Played("earpiece")) != 0 {
		t.Error("the ring went to the earpiece")
	}
	s.Ring(false)
	waitFor(t, "ring stopped", func() bool { return be.Running("speaker") == 0 })
}

func TestSound_SetConfigReopens(t *testing.T) {
	be := audiotest.New()
	be.Plug(audio.Playback, audio.Device{ID: "usb-ear", Name: "USB Earpiece"})
	s, _ := newSound(t, be, audio.Config{})
	s.Start()
	waitFor(t, "default earpiece", func() bool { return s.Status().Output.Device.ID == "earpiece" && s.Status().Output.Open })
	s.SetConfig(audio.Config{Output: "USB Earpiece"})
	waitFor(t, "usb earpiece", func() bool { return s.Status().Output.Device.ID == "usb-ear" && s.Status().Output.Open })
	waitFor(t, "default earpiece closed", func() bool { return be.Running("earpiece") == 0 })
}

func TestCheck_Fake(t *testing.T) {
	be := audiotest.New()
	be.SetSource("mic", toneSource(audio.CheckToneHz)) // as if the earpiece fed the mic
	rep, err := audio.Check(context.Background(), audio.Config{Ring: "speaker"}, audio.WithBackend(be))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.TonePlayed || !rep.RingPlayed || !rep.ToneHeard || !rep.Input.OK || !rep.Output.OK || !rep.Ring.OK {
		t.Errorf("report %+v", rep)
	}
	if rep.InputLevel < 0.5 || rep.InputPeak < 0.25 || rep.Ring.ID != "speaker" {
		t.Errorf("input level %.2f peak %.2f ring %q", rep.InputLevel, rep.InputPeak, rep.Ring.ID)
	}
	if share := audio.ToneShare(be.Played("earpiece")[:audio.Rate/2], audio.Rate, audio.CheckToneHz); share < 0.9 {
		t.Errorf("the test tone on the earpiece: share %.2f", share)
	}
}

func TestCheck_NoDevice(t *testing.T) {
	rep, err := audio.Check(context.Background(), audio.Config{}, audio.WithBackend(audiotest.Empty()))
	if !errors.Is(err, audio.ErrNoDevice) {
		t.Fatalf("err = %v, want ErrNoDevice", err)
	}
	if rep.Input.OK || rep.Output.OK || rep.Input.Code != "no_device" || rep.Output.Code != "no_device" || rep.TonePlayed {
		t.Errorf("report %+v", rep)
	}
}

func TestCheck_UnknownDevice(t *testing.T) {
	rep, err := audio.Check(context.Background(), audio.Config{Output: "Plantronics"}, audio.WithBackend(audiotest.New()))
	var de *audio.DeviceError
	if !errors.As(err, &de) || de.Role != audio.RoleOutput || !errors.Is(err, audio.ErrDeviceNotFound) {
		t.Fatalf("err = %v", err)
	}
	if rep.Output.Code != "not_found" || !rep.Input.OK {
		t.Errorf("report %+v", rep)
	}
}
