package audio_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// TestBridge_AttachesToMalgoDevices opens a real PulseAudio capture and
// playback device through the malgo backend: both must carry their periods
// through the C bridge (it fails when a malgo upgrade moved miniaudio's
// device layout, and the devices fell back to Go callbacks), a tone played
// through the bridge reaches the sink, and a tone fed to the microphone
// arrives through it, sample for sample in time.
func TestBridge_AttachesToMalgoDevices(t *testing.T) {
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	be := audio.NewBackend(quiet())
	defer be.Close()

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
		periods, lost, ok := audio.BridgeOf(st)
		if !ok {
			t.Fatalf("%s: periods stay on malgo's Go callback; check miniaudio's ma_device layout against bridge_linux.go", name)
		}
		if periods < 20 {
			t.Errorf("%s: %d device periods in 2 s", name, periods)
		}
		t.Logf("%s: %d periods, %d samples lost", name, periods, lost)
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
