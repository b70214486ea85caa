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
	cfg.Capture.Format, cfg.Capture.Channels = malgo.FormatS16, 1
	cfg.Playback.DeviceID = find(malgo.Playback, playSink)
	cfg.Capture.DeviceID = find(malgo.Capture, captureSource)
	defer C.free(cfg.Playback.DeviceID)
	defer C.free(cfg.Capture.DeviceID)

	total := (bursts + 2) * audio.Rate
	var (
		mu       sync.Mutex
		played   int
		captured = make([]int16, 0, total)
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
			if len(in) >= 2 && len(captured) < total {
				captured = append(captured, unsafe.Slice((*int16)(unsafe.Pointer(&in[0])), len(in)/2)...)
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
		done := len(captured) >= total
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // waiting for the device to run through the bursts
	}
	_ = dev.Stop()
	mu.Lock()
	defer mu.Unlock()
	var out []time.Duration
	for k := range bursts {
		start := (k + 1) * audio.Rate
		end := min(len(captured), start+audio.Rate*7/10)
		if start >= end {
			break
		}
		if on := Onset(captured[start:end], 1000); on >= 0 {
			out = append(out, time.Duration(on)*time.Second/audio.Rate)
		}
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
