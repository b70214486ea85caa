package audio

// #include <stdlib.h>
import "C"

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// systemBackends are the miniaudio backends tried in order. miniaudio's
// own default list ends with its null backend, a pretend device that would
// hide a missing sound card; it is left out on purpose.
func systemBackends() []malgo.Backend {
	switch runtime.GOOS {
	case "windows":
		return []malgo.Backend{malgo.BackendWasapi, malgo.BackendDsound, malgo.BackendWinmm}
	case "darwin":
		return []malgo.Backend{malgo.BackendCoreaudio}
	default:
		return []malgo.Backend{malgo.BackendPulseaudio, malgo.BackendAlsa, malgo.BackendJack}
	}
}

// malgoBackend is the system's sound layer through miniaudio.
type malgoBackend struct {
	log *slog.Logger

	mu  sync.Mutex
	ctx *malgo.AllocatedContext
	ids map[string]malgo.DeviceID // ID strings of the last listing
	// stale makes the next use re-create the context: after a failed open
	// the audio server may have restarted, and an old context never sees
	// its devices again.
	stale bool
}

// NewBackend returns the system's sound layer (WASAPI on Windows,
// PulseAudio or ALSA on Linux). It connects lazily: a machine without sound
// gets errors from Devices and Open, not from NewBackend.
func NewBackend(log *slog.Logger) Backend {
	if log == nil {
		log = slog.Default()
	}
	return &malgoBackend{log: log.With("component", "audio"), ids: map[string]malgo.DeviceID{}}
}

// context returns the miniaudio context, creating it if needed; b.mu held.
func (b *malgoBackend) context() (*malgo.AllocatedContext, error) {
	if b.ctx != nil && b.stale {
		_ = b.ctx.Uninit()
		b.ctx.Free()
		b.ctx = nil
	}
	b.stale = false
	if b.ctx != nil {
		return b.ctx, nil
	}
	ctx, err := malgo.InitContext(systemBackends(), malgo.ContextConfig{}, func(msg string) {
		b.log.Debug("miniaudio", "message", msg)
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDevice, err)
	}
	b.ctx = ctx
	return ctx, nil
}

func malgoKind(k Kind) malgo.DeviceType {
	if k == Capture {
		return malgo.Capture
	}
	return malgo.Playback
}

func (b *malgoBackend) Devices(k Kind) ([]Device, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.devicesLocked(k)
}

func (b *malgoBackend) devicesLocked(k Kind) ([]Device, error) {
	ctx, err := b.context()
	if err != nil {
		return nil, err
	}
	infos, err := ctx.Devices(malgoKind(k))
	if err != nil {
		b.stale = true
		return nil, fmt.Errorf("list %s devices: %w", k, err)
	}
	out := make([]Device, 0, len(infos))
	for _, in := range infos {
		id := idString(in.ID)
		b.ids[id] = in.ID
		out = append(out, Device{ID: id, Name: in.Name(), Default: in.IsDefault != 0})
	}
	return out, nil
}

// idString makes a backend device ID printable: PulseAudio and ALSA IDs are
// C strings, WASAPI's a UTF-16 string; anything else is shown in hex.
func idString(id malgo.DeviceID) string {
	n := 0
	for n < len(id) && id[n] != 0 {
		n++
	}
	if n >= 2 && printable(string(id[:n])) {
		return string(id[:n])
	}
	var u []uint16
	for i := 0; i+1 < len(id); i += 2 {
		c := uint16(id[i]) | uint16(id[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	if s := string(utf16.Decode(u)); len(u) >= 2 && printable(s) {
		return s
	}
	return hex.EncodeToString(id[:max(n, 1)])
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// Open gives each device a miniaudio context of its own: with one shared
// context, PulseAudio's devices share one event loop, and a microphone that
// delivers nothing stalls the earpiece too.
func (b *malgoBackend) Open(k Kind, id string, cb func([]int16)) (Stream, error) {
	var devID *malgo.DeviceID
	if id != "" {
		b.mu.Lock()
		d, ok := b.ids[id]
		if !ok {
			if _, err := b.devicesLocked(k); err != nil {
				b.mu.Unlock()
				return nil, err
			}
			d, ok = b.ids[id]
		}
		b.mu.Unlock()
		if !ok {
			return nil, ErrDeviceNotFound
		}
		devID = &d
	}
	ctx, err := b.deviceContext(k)
	if err != nil {
		return nil, err
	}
	cfg := malgo.DefaultDeviceConfig(malgoKind(k))
	cfg.SampleRate = Rate
	cfg.PeriodSizeInMilliseconds = 20
	cfg.Periods = 2
	cfg.PerformanceProfile = malgo.LowLatency
	sub := &cfg.Playback
	if k == Capture {
		sub = &cfg.Capture
	}
	sub.Format = malgo.FormatS16
	sub.Channels = 1
	cfg.Pulse.StreamNamePlayback = "agentdesk"
	cfg.Pulse.StreamNameCapture = "agentdesk"
	if devID != nil {
		p := devID.Pointer() // C memory: the config must not hold a Go pointer
		defer C.free(p)
		sub.DeviceID = p
	}
	s := &malgoStream{ctx: ctx, failed: make(chan struct{})}
	deliver := func(p []int16) {
		if s.dead.Load() {
			clear(p)
			return
		}
		cb(p)
	}
	dev, err := malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{
		Data: func(out, in []byte, frames uint32) {
			buf := in
			if k == Playback {
				buf = out
			}
			if len(buf) < 2 {
				return
			}
			// The device runs S16 mono in the machine's byte order, which is
			// little-endian on every platform the desk ships for.
			deliver(unsafe.Slice((*int16)(unsafe.Pointer(&buf[0])), len(buf)/2))
		},
		Stop: s.stopped,
	})
	if err != nil {
		_ = ctx.Uninit()
		ctx.Free()
		b.mu.Lock()
		b.stale = true
		b.mu.Unlock()
		return nil, fmt.Errorf("open %s device: %w", k, err)
	}
	s.dev = dev
	if br, err := attachBridge(ctx, dev, k, deliver); err != nil {
		b.log.Debug("device periods stay on malgo's callback", "kind", k.String(), "error", err)
	} else {
		s.br = br
	}
	return s, nil
}

// deviceContext makes a device's own context on the first backend that
// works, tuned for it when the device plays (tunePlayback).
func (b *malgoBackend) deviceContext(k Kind) (*malgo.AllocatedContext, error) {
	var errs []error
	for _, be := range systemBackends() {
		ctx, err := malgo.InitContext([]malgo.Backend{be}, malgo.ContextConfig{}, func(msg string) {
			b.log.Debug("miniaudio", "message", msg)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if k == Playback {
			if err := tunePlayback(ctx, be); err != nil {
				b.log.Debug("playback stays as miniaudio sets it", "error", err)
			}
		}
		return ctx, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrNoDevice, errors.Join(errs...))
}

func (b *malgoBackend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctx == nil {
		return nil
	}
	err := b.ctx.Uninit()
	b.ctx.Free()
	b.ctx = nil
	return err
}

// malgoStream is one miniaudio device.
type malgoStream struct {
	ctx *malgo.AllocatedContext
	dev *malgo.Device
	br  *bridge // nil: malgo's callback carries the periods

	mu      sync.Mutex
	closing bool
	closed  bool
	failed  chan struct{}
	once    sync.Once
	dead    atomic.Bool // closed: callbacks no longer reach the Sound
}

// closeTimeout bounds Close: miniaudio's uninit waits for the device's
// thread, which can hang for good on a PulseAudio stream whose sink was
// unplugged under it.
const closeTimeout = time.Second

func (s *malgoStream) Start() error {
	if err := s.dev.Start(); err != nil {
		return fmt.Errorf("start device: %w", err)
	}
	return nil
}

// stopped runs on miniaudio's thread whenever the device stops, also when
// Close stops it; only an unasked stop counts as a failure.
func (s *malgoStream) stopped() {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if !closing {
		s.once.Do(func() { close(s.failed) })
	}
}

func (s *malgoStream) Failed() <-chan struct{} { return s.failed }

// prefill: see bridge.prefill; a no-op without a bridge.
func (s *malgoStream) prefill() {
	if s.br != nil && !s.dead.Load() {
		s.br.prefill()
	}
}

func (s *malgoStream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closing, s.closed = true, true
	s.mu.Unlock()
	s.dead.Store(true)
	done := make(chan error, 1)
	go func() {
		s.dev.Uninit()
		// A device thread that never ends keeps this goroutine waiting
		// above, and with it the bridge's ring and eventfd, which that
		// thread may still use.
		if s.br != nil {
			s.br.release()
		}
		err := s.ctx.Uninit()
		s.ctx.Free()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(closeTimeout):
		// The device thread is stuck in the driver; leave it behind rather
		// than the call.
		return errors.New("audio: device did not close in time; abandoned")
	}
}
