package audio

import (
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// prefillBackend's streams count the prefills they get.
type prefillBackend struct {
	mu      sync.Mutex
	streams map[Kind]*prefillStream
}

type prefillStream struct {
	prefills atomic.Int32
	failed   chan struct{}
}

func (s *prefillStream) Start() error            { return nil }
func (s *prefillStream) Close() error            { return nil }
func (s *prefillStream) Failed() <-chan struct{} { return s.failed }
func (s *prefillStream) prefill()                { s.prefills.Add(1) }

func (b *prefillBackend) Devices(k Kind) ([]Device, error) {
	return []Device{{ID: k.String(), Name: k.String(), Default: true}}, nil
}

func (b *prefillBackend) Open(k Kind, _ string, _ func([]int16)) (Stream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &prefillStream{failed: make(chan struct{})}
	b.streams[k] = s
	return s, nil
}

func (b *prefillBackend) Close() error { return nil }

func (b *prefillBackend) stream(k Kind) *prefillStream {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streams[k]
}

// TestSound_WriteFrameHandsTheEarpieceItsPeriod: each frame queued for the
// earpiece is offered to the open output device at once (the Linux bridge
// then needs no wake-up for it), never to the microphone, and no longer
// once the headset is closed.
func TestSound_WriteFrameHandsTheEarpieceItsPeriod(t *testing.T) {
	be := &prefillBackend{streams: map[Kind]*prefillStream{}}
	s := New(Config{}, WithBackend(be), WithStallTimeout(time.Hour), WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer s.Close()
	s.Start()
	waitFor := func(what string, ok func(Status) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !ok(s.Status()) {
			if time.Now().After(deadline) {
				t.Fatalf("the headset never %s", what)
			}
			time.Sleep(5 * time.Millisecond) // polling with a deadline
		}
	}
	waitFor("opened", func(st Status) bool { return st.Input.Open && st.Output.Open })
	frame := make([]int16, FrameSamples)
	for range 3 {
		s.WriteFrame(frame)
	}
	if n := be.stream(Playback).prefills.Load(); n != 3 {
		t.Errorf("the earpiece was offered %d periods for 3 frames", n)
	}
	if n := be.stream(Capture).prefills.Load(); n != 0 {
		t.Errorf("the microphone was offered %d periods", n)
	}
	s.Stop()
	waitFor("closed", func(st Status) bool { return !st.Output.Open })
	s.WriteFrame(frame)
	if n := be.stream(Playback).prefills.Load(); n != 3 {
		t.Errorf("a closed earpiece was offered a period (%d offers)", n)
	}
}
