package audio_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// pulseBackend starts a private PulseAudio with the "desk" devices and
// returns it with the malgo backend on it (closed at cleanup, before the
// server stops).
func pulseBackend(t testing.TB) (*audiotest.Pulse, audio.Backend) {
	t.Helper()
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	be := audio.NewBackend(quiet())
	t.Cleanup(func() { _ = be.Close() })
	return p, be
}

// TestBridge_AttachesToMalgoDevices opens a real PulseAudio capture and
// playback device through the malgo backend: both must carry their periods
// through the C bridge (it fails when a malgo upgrade moved miniaudio's
// device layout, and the devices fell back to Go callbacks), a tone played
// through the bridge reaches the sink, and a tone fed to the microphone
// arrives through it, sample for sample in time.
func TestBridge_AttachesToMalgoDevices(t *testing.T) {
	p, be := pulseBackend(t)

	var mu sync.Mutex
	var got []int16
	mic, err := be.Open(audio.Capture, "desk_mic", func(s []int16) {
		mu.Lock()
		got = append(got, s...)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	phase := 0.0
	spk, err := be.Open(audio.Playback, "desk", func(s []int16) { phase = audio.Tone(s, 1000, 0.3, phase) })
	if err != nil {
		t.Fatal(err)
	}
	rec := p.Record("desk.monitor")
	if err := mic.Start(); err != nil {
		t.Fatal(err)
	}
	if err := spk.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tone := make([]int16, 2*audio.Rate)
	audio.Tone(tone, 700, 0.3, 0)
	p.Play(ctx, "desk_mic_feed", tone)
	time.Sleep(2 * time.Second) // let both devices run; the figures below are counts, not times
	heardOut := rec.Stop()
	for name, st := range map[string]audio.Stream{"capture": mic, "playback": spk} {
		periods, lost, ahead, ok := audio.BridgeOf(st)
		if !ok {
			t.Fatalf("%s: periods stay on malgo's Go callback; check miniaudio's ma_device layout against bridge_linux.go", name)
		}
		if periods < 20 {
			t.Errorf("%s: %d device periods in 2 s", name, periods)
		}
		t.Logf("%s: %d periods, %d samples lost, %d found filled", name, periods, lost, ahead)
	}
	_ = mic.Close()
	_ = spk.Close()

	mu.Lock()
	captured := append([]int16(nil), got...)
	mu.Unlock()
	if len(captured) < audio.Rate {
		t.Fatalf("captured %d samples in 2 s", len(captured))
	}
	if n := heardWindows(captured, 700); n < 2 {
		t.Errorf("the microphone's 700 Hz tone came through in %d quarter-seconds", n)
	}
	if n := heardWindows(heardOut, 1000); n < 2 {
		t.Errorf("the earpiece's 1 kHz tone reached the sink in %d quarter-seconds", n)
	}
}

// TestBridge_LateFillPlaysInTheNextPeriod: a playback callback that now
// and then takes longer than the device waits (8 ms) costs that period (it
// is padded with silence), its late fill stands for the next period
// (found filled), and the device goes on at its own pace.
func TestBridge_LateFillPlaysInTheNextPeriod(t *testing.T) {
	_, be := pulseBackend(t)
	calls := 0
	spk, err := be.Open(audio.Playback, "desk", func(s []int16) {
		calls++
		if calls%25 == 0 {
			time.Sleep(15 * time.Millisecond) // a goroutine that was not scheduled in time
		}
		clear(s)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := spk.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // counts are checked below, not times
	periods, lost, ahead, ok := audio.BridgeOf(spk)
	_ = spk.Close()
	if !ok {
		t.Fatal("periods stay on malgo's Go callback")
	}
	// About 100 periods, 4 of them slow: each slow one costs its own
	// period (silence), and its fill serves the next one.
	if lost == 0 || lost > 20*audio.FrameSamples { // a loaded machine adds a few of its own
		t.Errorf("%d samples padded in %d periods with 4 slow fills", lost, periods)
	}
	if ahead == 0 || ahead > 20 {
		t.Errorf("%d periods found filled in %d periods with 4 slow fills and no prefill", ahead, periods)
	}
	if periods < 60 {
		t.Errorf("the device ran %d periods in 2 s: slow fills held it back", periods)
	}
	t.Logf("%d periods, %d samples padded, %d found filled", periods, lost, ahead)
}

// TestBridge_PrefillServesThePeriod: a clock that prefills the earpiece
// every 20 ms (as Sound.WriteFrame does) serves most periods without a
// wake-up, never fills more than one period ahead however often it asks,
// and the tone it fills reaches the sink whole, in order.
func TestBridge_PrefillServesThePeriod(t *testing.T) {
	p, be := pulseBackend(t)
	var mu sync.Mutex
	filled := 0
	phase := 0.0
	spk, err := be.Open(audio.Playback, "desk", func(s []int16) {
		mu.Lock()
		filled += len(s)
		phase = audio.Tone(s, 1000, 0.3, phase)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := p.Record("desk.monitor")
	if err := spk.Start(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				audio.Prefill(spk)
				audio.Prefill(spk) // a second ask in the same tick adds nothing
			}
		}
	}()
	time.Sleep(2 * time.Second) // counts are checked below, not times
	close(stop)
	wg.Wait()
	periods, lost, ahead, ok := audio.BridgeOf(spk)
	mu.Lock()
	got := filled
	mu.Unlock()
	heard := rec.Stop()
	_ = spk.Close()
	if !ok {
		t.Fatal("periods stay on malgo's Go callback")
	}
	if periods < 60 {
		t.Fatalf("the device ran %d periods in 2 s", periods)
	}
	if ahead < periods/2 {
		t.Errorf("%d of %d periods found filled by the prefilling clock", ahead, periods)
	}
	// What was filled is what the device took, plus at most the one period
	// standing in the ring (counts read a moment apart: one more each).
	if per := audio.FrameSamples; got > int(periods)*per+2*per {
		t.Errorf("%d samples filled for %d periods of %d: filled ahead by more than a period", got, periods, per)
	}
	if n := heardWindows(heard, 1000); n < 4 {
		t.Errorf("the prefilled 1 kHz tone reached the sink in %d quarter-seconds", n)
	}
	t.Logf("%d periods, %d found filled, %d samples padded, %d filled", periods, ahead, lost, got)
}
