package audio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// TestPulse_Check runs the self-check on a real PulseAudio: the "input" is
// the monitor of the "output", so the test tone must come back.
func TestPulse_Check(t *testing.T) {
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	rep, err := audio.Check(context.Background(), audio.Config{Input: "desk.monitor", Output: "desk"}, audio.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.TonePlayed || !rep.ToneHeard || !rep.RingPlayed || rep.InputLevel < 0.5 {
		t.Errorf("report %+v", rep)
	}
	t.Logf("loopback check: input %.1f dBFS, tone heard %v", rep.InputDBFS, rep.ToneHeard)

	// The microphone: what is played into it moves the level.
	tone := make([]int16, 3*audio.Rate)
	audio.Tone(tone, 440, 0.3, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Play(ctx, "desk_mic_feed", tone)
	rep, err = audio.Check(context.Background(), audio.Config{}, audio.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Input.ID != "desk_mic" || rep.InputLevel < 0.5 || rep.ToneHeard {
		t.Errorf("mic check %+v", rep)
	}

	_, err = audio.Check(context.Background(), audio.Config{Output: "no such headset"}, audio.WithLogger(quiet()))
	if !errors.Is(err, audio.ErrDeviceNotFound) {
		t.Errorf("unknown output: %v", err)
	}
}

// TestPulse_HeadsetUnpluggedAndBack removes the earpiece's sink while it
// plays (as unplugging a USB headset does) and loads it again: the Sound
// reports the loss and plays on the new sink.
func TestPulse_HeadsetUnpluggedAndBack(t *testing.T) {
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	mod := p.AddSink("usbhead")
	s, _ := newSound(t, nil, audio.Config{Output: "usbhead"})
	s.Start()
	defer s.Stop()
	waitFor(t, "earpiece open", func() bool { return s.Status().Output.Open })
	p.Pactl("unload-module", mod)
	waitFor(t, "unplug noticed", func() bool { return s.Status().Output.Err != nil })
	t.Logf("unplugged: %v", s.Status().Output.Err)
	p.AddSink("usbhead")
	waitFor(t, "earpiece back", func() bool { return s.Status().Output.Open })
	rec := p.Record("usbhead.monitor")
	tone := make([]int16, audio.FrameSamples)
	phase := 0.0
	for range 50 {
		phase = audio.Tone(tone, 1000, 0.3, phase)
		s.WriteFrame(tone)
		time.Sleep(audio.FrameDuration)
	}
	got := rec.Stop()
	if heard := heardWindows(got, 1000); heard < 2 {
		share, rms := audiotest.Shares(got, audio.Rate/4, 1000)
		t.Errorf("tone after replug: shares %v rms %v", share, rms)
	}
}

// heardWindows counts quarter-seconds of s where freq dominates.
func heardWindows(s []int16, freq float64) int {
	share, rms := audiotest.Shares(s, audio.Rate/4, freq)
	n := 0
	for i := range share {
		if share[i] > 0.5 && rms[i] > 0.01 {
			n++
		}
	}
	return n
}

// TestPulse_RingStopsAtOnce answers calls the way an agent does who picks
// up on the first ring: the ring is stopped while its device is still
// opening, six times over, and not a sample of ringtone may reach the
// ring device. Then one ring that was heard (the recording works) and
// stopped; the test logs how long it went on after the stop.
func TestPulse_RingStopsAtOnce(t *testing.T) {
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	s, _ := newSound(t, nil, audio.Config{Ring: "desk"})
	rec := p.Record("desk.monitor")
	time.Sleep(300 * time.Millisecond) // parec connected
	for range 6 {
		s.Ring(true)
		s.Ring(false) // the device is opened on its own goroutine: it cannot be open yet
		time.Sleep(300 * time.Millisecond)
	}
	s.Ring(true)
	waitFor(t, "ring device open", func() bool { return s.Status().Ring.Open })
	open := time.Now()
	time.Sleep(250 * time.Millisecond) // within the cadence's first 0.4 s burst
	rang := time.Since(open)
	s.Ring(false)
	time.Sleep(300 * time.Millisecond)
	samples := rec.Stop()

	// Where the ringtone sounds, in 5 ms windows (its 400 Hz half).
	const win = audio.Rate / 200
	type stretch struct{ at, long time.Duration }
	var heard []stretch
	in := false
	for i := 0; i+win <= len(samples); i += win {
		on := audiotest.Level(samples[i:i+win], 400) >= 0.01
		if on && !in {
			heard = append(heard, stretch{at: time.Duration(i) * time.Second / audio.Rate})
		}
		if on {
			heard[len(heard)-1].long += time.Second / 200
		}
		in = on
	}
	if len(heard) == 0 || heard[len(heard)-1].long < 200*time.Millisecond {
		t.Fatalf("the ring that was let ring was not recorded (heard %+v)", heard)
	}
	last := heard[len(heard)-1]
	if len(heard) > 1 {
		t.Errorf("rings stopped before their device opened sounded anyway: %+v", heard[:len(heard)-1])
	}
	t.Logf("a ring stopped after %v of ringing was heard for %v", rang.Round(time.Millisecond), last.long)
}
