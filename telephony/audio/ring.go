package audio

import (
	"sync"
	"time"
)

// ring is the sample buffer between a device callback (one side) and the
// call's 20 ms clock (the other). It never blocks the device side: a full
// ring drops its oldest samples, so the latency it can add is bounded by
// its size.
type ring struct {
	mu    sync.Mutex
	buf   []int16
	r, n  int // read index, samples held
	ready chan struct{}
	// primed is for the playback side: after an underrun it plays silence
	// until prime samples are held again, instead of stuttering on every
	// callback.
	primed  bool
	prime   int
	dropped int64 // samples dropped because the ring was full
	under   int64 // samples padded with silence on underrun
	winN    int   // writes in the current trimStanding window
	winMin  int   // fewest samples held after a write in it
}

func newRing(size, prime int) *ring {
	return &ring{buf: make([]int16, size), prime: prime, ready: make(chan struct{}, 1)}
}

// write appends samples, dropping the oldest if they do not fit.
func (q *ring) write(p []int16) {
	q.mu.Lock()
	if over := q.n + len(p) - len(q.buf); over > 0 {
		if over > q.n {
			// p alone is larger than the ring: keep its tail.
			p = p[len(p)-len(q.buf):]
			over = q.n
		}
		q.r = (q.r + over) % len(q.buf)
		q.n -= over
		q.dropped += int64(over)
	}
	w := (q.r + q.n) % len(q.buf)
	for len(p) > 0 {
		c := copy(q.buf[w:], p)
		p = p[c:]
		q.n += c
		w = (w + c) % len(q.buf)
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// trimStanding drops standing delay on the playback side: called after
// each write, it tracks the fewest samples held over window writes and,
// when even that never went below keep, drops the excess (a device that
// started late, or plays slower than the clock writes).
func (q *ring) trimStanding(window, keep int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.winN == 0 || q.n < q.winMin {
		q.winMin = q.n
	}
	q.winN++
	if q.winN < window {
		return
	}
	if extra := q.winMin - keep; extra > 0 {
		q.r = (q.r + extra) % len(q.buf)
		q.n -= extra
		q.dropped += int64(extra)
	}
	q.winN = 0
}

// readLocked moves up to len(out) samples into out and returns how many.
func (q *ring) readLocked(out []int16) int {
	got := 0
	for got < len(out) && q.n > 0 {
		end := min(len(q.buf), q.r+q.n)
		c := copy(out[got:], q.buf[q.r:end])
		got += c
		q.r = (q.r + c) % len(q.buf)
		q.n -= c
	}
	return got
}

// play fills out for a playback callback: silence until primed, then
// samples, padding with silence (and unpriming) on underrun.
func (q *ring) play(out []int16) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.primed && q.n < q.prime {
		clear(out)
		return
	}
	q.primed = true
	got := q.readLocked(out)
	if got < len(out) {
		clear(out[got:])
		q.under += int64(len(out) - got)
		q.primed = false
	}
}

// readFrame waits until len(out) samples are held or the deadline passes
// (a zero deadline: does not wait). It returns false (out cleared) when
// the deadline passed first. When more
// than keep samples wait behind the frame, the oldest are dropped: a slow
// reader never builds up delay.
func (q *ring) readFrame(out []int16, deadline time.Time, keep int) bool {
	for {
		q.mu.Lock()
		if q.n >= len(out) {
			if extra := q.n - len(out) - keep; extra > 0 {
				q.r = (q.r + extra) % len(q.buf)
				q.n -= extra
				q.dropped += int64(extra)
			}
			q.readLocked(out)
			q.mu.Unlock()
			return true
		}
		q.mu.Unlock()
		wait := time.Until(deadline)
		if deadline.IsZero() || wait <= 0 {
			clear(out)
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-q.ready:
			t.Stop()
		case <-t.C:
		}
	}
}

// reset empties the ring.
func (q *ring) reset() {
	q.mu.Lock()
	q.r, q.n, q.primed = 0, 0, false
	q.mu.Unlock()
}

// held is the number of samples waiting.
func (q *ring) held() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
