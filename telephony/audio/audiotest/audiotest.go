// Package audiotest is a fake sound card for tests: devices that can be
// listed, opened, fed, listened to, unplugged and plugged back, with a
// clock of their own. It implements audio.Backend.
package audiotest

import (
	"errors"
	"slices"
	"sync"
	"time"

	"agentdesk/telephony/audio"
)

// Period is how often a fake device calls back (10 ms, as the real one).
const Period = 10 * time.Millisecond

// Backend is the fake sound layer.
type Backend struct {
	mu      sync.Mutex
	devs    map[audio.Kind][]audio.Device
	sources map[string]func([]int16)
	played  map[string][]int16
	opens   map[string]int
	streams []*Stream
	frozen  map[string]bool
	closed  bool
}

// New returns a fake with one microphone ("mic", default) and one
// earpiece ("earpiece", default) and a second playback device
// ("speaker") for the ring.
func New() *Backend {
	b := &Backend{
		devs:    map[audio.Kind][]audio.Device{},
		sources: map[string]func([]int16){},
		played:  map[string][]int16{},
		opens:   map[string]int{},
	}
	b.Plug(audio.Capture, audio.Device{ID: "mic", Name: "Fake Headset Microphone", Default: true})
	b.Plug(audio.Playback, audio.Device{ID: "earpiece", Name: "Fake Headset Earpiece", Default: true})
	b.Plug(audio.Playback, audio.Device{ID: "speaker", Name: "Fake PC Speaker"})
	return b
}

// Empty returns a fake with no device at all.
func Empty() *Backend {
	b := New()
	b.devs = map[audio.Kind][]audio.Device{}
	return b
}

// Plug adds a device (again).
func (b *Backend) Plug(k audio.Kind, d audio.Device) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.devs[k] = append(slices.DeleteFunc(b.devs[k], func(x audio.Device) bool { return x.ID == d.ID }), d)
}

// Unplug removes device id: it is no longer listed, and its open streams
// fail as a real unplugged headset's do.
func (b *Backend) Unplug(id string) {
	b.mu.Lock()
	for k, ds := range b.devs {
		b.devs[k] = slices.DeleteFunc(ds, func(x audio.Device) bool { return x.ID == id })
	}
	var fail []*Stream
	for _, s := range b.streams {
		if s.id == id {
			fail = append(fail, s)
		}
	}
	b.mu.Unlock()
	for _, s := range fail {
		s.fail()
	}
}

// Freeze stops device id's callbacks without failing its streams, as a
// driver that hangs does; Thaw resumes them.
func (b *Backend) Freeze(id string) { b.setFrozen(id, true) }

// Thaw resumes a frozen device's callbacks.
func (b *Backend) Thaw(id string) { b.setFrozen(id, false) }

func (b *Backend) setFrozen(id string, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.frozen == nil {
		b.frozen = map[string]bool{}
	}
	b.frozen[id] = on
}

// SetSource makes capture device id deliver what fn writes (default
// silence). fn runs on the device's goroutine.
func (b *Backend) SetSource(id string, fn func([]int16)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sources[id] = fn
}

// Played is a copy of everything played on device id so far.
func (b *Backend) Played(id string) []int16 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.played[id])
}

// ResetPlayed forgets what device id played.
func (b *Backend) ResetPlayed(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.played, id)
}

// Opens is how many times device id was opened.
func (b *Backend) Opens(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opens[id]
}

// Running is how many streams on device id are running now.
func (b *Backend) Running(id string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, s := range b.streams {
		if s.id == id && s.running() {
			n++
		}
	}
	return n
}

// Devices lists the plugged devices of kind k.
func (b *Backend) Devices(k audio.Kind) ([]audio.Device, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, errors.New("fake backend closed")
	}
	return slices.Clone(b.devs[k]), nil
}

// Open opens a plugged device ("" is the default of its kind).
func (b *Backend) Open(k audio.Kind, id string, cb func([]int16)) (audio.Stream, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var dev *audio.Device
	for i, d := range b.devs[k] {
		if d.ID == id || (id == "" && d.Default) {
			dev = &b.devs[k][i]
		}
	}
	if dev == nil {
		return nil, errors.New("fake: no such device " + id)
	}
	b.opens[dev.ID]++
	s := &Stream{b: b, kind: k, id: dev.ID, cb: cb, failed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	b.streams = append(b.streams, s)
	return s, nil
}

// Close marks the fake closed.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

// Stream is an open fake device.
type Stream struct {
	b    *Backend
	kind audio.Kind
	id   string
	cb   func([]int16)

	mu      sync.Mutex
	started bool
	closed  bool
	failed  chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// Start runs the device's clock.
func (s *Stream) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("fake: stream closed")
	}
	if !s.started {
		s.started = true
		go s.run()
	}
	return nil
}

func (s *Stream) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started && !s.closed
}

func (s *Stream) run() {
	defer close(s.done)
	buf := make([]int16, audio.Rate*int(Period/time.Millisecond)/1000)
	t := time.NewTicker(Period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.failed:
			return
		case <-t.C:
		}
		s.b.mu.Lock()
		frozen := s.b.frozen[s.id]
		src := s.b.sources[s.id]
		s.b.mu.Unlock()
		if frozen {
			continue
		}
		if s.kind == audio.Capture {
			clear(buf)
			if src != nil {
				src(buf)
			}
			s.cb(buf)
			continue
		}
		s.cb(buf)
		s.b.mu.Lock()
		s.b.played[s.id] = append(s.b.played[s.id], buf...)
		s.b.mu.Unlock()
	}
}

func (s *Stream) fail() { s.once.Do(func() { close(s.failed) }) }

// Failed is closed when the device was unplugged.
func (s *Stream) Failed() <-chan struct{} { return s.failed }

// Close stops the device.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	s.mu.Unlock()
	close(s.stop)
	if started {
		<-s.done
	}
	s.b.mu.Lock()
	s.b.streams = slices.DeleteFunc(s.b.streams, func(x *Stream) bool { return x == s })
	s.b.mu.Unlock()
	return nil
}
