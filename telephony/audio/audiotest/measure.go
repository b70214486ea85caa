package audiotest

// #include <stdlib.h>
import "C"

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"agentdesk/telephony/audio"
)

// MeasureDelay plays bursts of a 1 kHz tone into the PulseAudio sink named
// playSink while it records captureSource, both on one miniaudio duplex
// device so that their samples line up, and returns how long after each
// burst started it arrived (onset to onset). One burst a second, 200 ms
// long, after a second of silence. Bursts that never arrive are left out.
func MeasureDelay(t testing.TB, playSink, captureSource string, bursts int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for _, d := range measure(t, playSink, captureSource, 1, bursts) {
		if d[0] >= 0 {
			out = append(out, d[0])
		}
	}
	return out
}

// MeasureDelayPair is MeasureDelay on the two channels of a stereo source
// at once (the monitor of a sink split by AddSplitSink): the same bursts,
// timed on both, sample for sample. Bursts that did not arrive on both
// channels are left out.
func MeasureDelayPair(t testing.TB, playSink, stereoSource string, bursts int) (left, right []time.Duration) {
	t.Helper()
	for _, d := range measure(t, playSink, stereoSource, 2, bursts) {
		if d[0] >= 0 && d[1] >= 0 {
			left, right = append(left, d[0]), append(right, d[1])
		}
	}
	return left, right
}

// MeasureDelays is MeasureDelay on each of channels channels of
// captureSource: per burst and channel, the delay (-1: did not arrive).
func MeasureDelays(t testing.TB, playSink, captureSource string, channels, bursts int) [][]time.Duration {
	t.Helper()
	return measure(t, playSink, captureSource, channels, bursts)
}

func measure(t testing.TB, playSink, captureSource string, channels, bursts int) [][]time.Duration {
	t.Helper()
	ctx, err := malgo.InitContext([]malgo.Backend{malgo.BackendPulseaudio}, malgo.ContextConfig{}, nil)
	if err != nil {
		t.Fatalf("measure: %v", err)
	}
	defer func() { _ = ctx.Uninit(); ctx.Free() }()
	find := func(k malgo.DeviceType, name string) unsafe.Pointer {
		infos, err := ctx.Devices(k)
		if err != nil {
			t.Fatalf("measure: devices: %v", err)
		}
		for _, in := range infos {
			if in.Name() == name {
				return in.ID.Pointer()
			}
		}
		t.Fatalf("measure: no device named %q", name)
		return nil
	}
	cfg := malgo.DefaultDeviceConfig(malgo.Duplex)
	cfg.SampleRate = audio.Rate
	cfg.PeriodSizeInMilliseconds = 10
	cfg.Playback.Format, cfg.Playback.Channels = malgo.FormatS16, 1
	cfg.Capture.Format, cfg.Capture.Channels = malgo.FormatS16, uint32(channels)
	cfg.Playback.DeviceID = find(malgo.Playback, playSink)
	cfg.Capture.DeviceID = find(malgo.Capture, captureSource)
	defer C.free(cfg.Playback.DeviceID)
	defer C.free(cfg.Capture.DeviceID)

	total := (bursts + 2) * audio.Rate
	var (
		mu       sync.Mutex
		played   int
		captured = make([][]int16, channels)
		phase    float64
	)
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: func(out, in []byte, frames uint32) {
			mu.Lock()
			defer mu.Unlock()
			o := unsafe.Slice((*int16)(unsafe.Pointer(&out[0])), len(out)/2)
			for i := range o {
				n := played + i
				if n >= audio.Rate && n < (bursts+1)*audio.Rate && n%audio.Rate < audio.Rate/5 {
					var one [1]int16
					phase = audio.Tone(one[:], 1000, 0.3, phase)
					o[i] = one[0]
				} else {
					o[i] = 0
				}
			}
			played += len(o)
			if len(in) >= 2*channels && len(captured[0]) < total {
				s := unsafe.Slice((*int16)(unsafe.Pointer(&in[0])), len(in)/2)
				for i := 0; i+channels <= len(s); i += channels {
					for c := range channels {
						captured[c] = append(captured[c], s[i+c])
					}
				}
			}
		},
	})
	if err != nil {
		t.Fatalf("measure: duplex device: %v", err)
	}
	defer dev.Uninit()
	if err := dev.Start(); err != nil {
		t.Fatalf("measure: %v", err)
	}
	deadline := time.Now().Add(time.Duration(bursts+4) * time.Second)
	for {
		mu.Lock()
		done := len(captured[0]) >= total
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // waiting for the device to run through the bursts
	}
	_ = dev.Stop()
	mu.Lock()
	defer mu.Unlock()
	var out [][]time.Duration
	for k := range bursts {
		start := (k + 1) * audio.Rate
		if start >= len(captured[0]) {
			break
		}
		d := make([]time.Duration, channels)
		for c := range channels {
			end := min(len(captured[c]), start+audio.Rate*7/10)
			d[c] = -1
			if on := Onset(captured[c][start:end], 1000); on >= 0 {
				d[c] = time.Duration(on) * time.Second / audio.Rate
			}
		}
		out = append(out, d)
	}
	return out
}

// Median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// FormatDelays is "12ms 13ms …" for logs.
func FormatDelays(ds []time.Duration) string {
	out := ""
	for _, d := range ds {
		out += fmt.Sprintf("%dms ", d.Milliseconds())
	}
	return out
}
