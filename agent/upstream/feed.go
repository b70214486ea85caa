package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// The board feed: every board stream of a hub process is fed by one
// computation, so a change costs one board however many supervisors and
// wallboards watch. The feed runs while at least one stream is open: it
// follows the backend's changes and computes the board at once for an
// alert or a new stream, at once for any other change unless it computed
// less than boardMinGap ago (then as soon as that gap is over, so a burst
// of desk reports is one board), and every refresh period besides (time
// alone makes replies overdue and desks offline). Each view of a board
// (numbers in full, numbers masked) is encoded once and the same bytes
// go to every stream of that view. A stream too slow to take a board
// before the next is ready gets the newest only.

// boardMinGap is the least time between two boards the feed computes for
// changes: it bounds the work of a busy floor to a few boards a second,
// and the wait it adds to a change to at most itself.
const boardMinGap = 50 * time.Millisecond

// view is how a stream sees the board.
type view int

const (
	viewMasked view = iota // every phone number masked (MaskBoard)
	viewFull               // numbers in full (WithFullNumbers)
	viewWall               // a wallboard's (WallBoard)
	views
)

// boardFrame is one computed board with its encodings, made lazily per
// view and shared by the streams.
type boardFrame struct {
	started time.Time // when its computation began (monotonic)
	board   Board

	once   [views]sync.Once
	event  [views][]byte            // the "board" event
	alerts [views]map[string][]byte // each alert's "alert" event, by ID
	err    [views]error
}

func (f *boardFrame) encode(v view) error {
	f.once[v].Do(func() {
		b := f.board
		switch v {
		case viewMasked:
			b = MaskBoard(b)
		case viewWall:
			b = WallBoard(b)
		}
		// Encoded straight after the event's header: a board is a few
		// hundred kilobytes, not worth a second copy.
		var buf bytes.Buffer
		buf.WriteString("event: board\ndata: ")
		if err := json.NewEncoder(&buf).Encode(b); err != nil {
			f.err[v] = fmt.Errorf("encode board: %w", err)
			return
		}
		buf.WriteByte('\n') // the encoder ended the data line; this ends the event
		f.event[v] = buf.Bytes()
		f.alerts[v] = make(map[string][]byte, len(b.Alerts))
		for _, a := range b.Alerts {
			ad, err := json.Marshal(a)
			if err != nil {
				f.err[v] = fmt.Errorf("encode alert: %w", err)
				return
			}
			f.alerts[v][a.ID] = eventBytes("alert", ad)
		}
	})
	return f.err[v]
}

// alertIDs are the frame's alerts in board order.
func (f *boardFrame) alertIDs() []string {
	ids := make([]string, len(f.board.Alerts))
	for i, a := range f.board.Alerts {
		ids[i] = a.ID
	}
	return ids
}

func eventBytes(name string, data []byte) []byte {
	out := make([]byte, 0, len(name)+len(data)+16)
	out = append(out, "event: "...)
	out = append(out, name...)
	out = append(out, "\ndata: "...)
	out = append(out, data...)
	return append(out, "\n\n"...)
}

// feedSub is one stream's subscription: it takes frames whose computation
// began after it joined, the newest only.
type feedSub struct {
	joined time.Time
	ch     chan *boardFrame
}

type boardFeed struct {
	s      *Server
	mu     sync.Mutex
	subs   map[*feedSub]struct{}
	cancel context.CancelFunc
	urgent chan struct{}
}

func newBoardFeed(s *Server) *boardFeed {
	return &boardFeed{s: s, subs: map[*feedSub]struct{}{}}
}

// subscribe joins a stream to the feed, starting the feed if it was idle,
// and asks for a board at once.
func (f *boardFeed) subscribe() *feedSub {
	sub := &feedSub{joined: time.Now(), ch: make(chan *boardFrame, 1)}
	f.mu.Lock()
	f.subs[sub] = struct{}{}
	if f.cancel == nil {
		// A feed still stopping may publish one last board; it is a true
		// board, and streams that joined after it began skip it.
		ctx, cancel := context.WithCancel(context.Background())
		f.cancel, f.urgent = cancel, make(chan struct{}, 1)
		go f.run(ctx, f.urgent)
	}
	urgent := f.urgent
	f.mu.Unlock()
	select {
	case urgent <- struct{}{}:
	default:
	}
	return sub
}

// unsubscribe leaves the feed; the last stream out stops it.
func (f *boardFeed) unsubscribe(sub *feedSub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, sub)
	if len(f.subs) == 0 && f.cancel != nil {
		f.cancel()
		f.cancel = nil
	}
}

func (f *boardFeed) run(ctx context.Context, urgent chan struct{}) {
	changes := f.s.b.Watch(ctx)
	tick := time.NewTicker(f.s.refresh)
	defer tick.Stop()
	var (
		last  time.Time
		timer *time.Timer
		due   <-chan time.Time
	)
	compute := func() {
		if timer != nil {
			timer.Stop()
			timer, due = nil, nil
		}
		last = time.Now()
		b, err := f.s.b.Board(ctx, f.s.clock.Now())
		if err != nil {
			if ctx.Err() == nil {
				f.s.log.Warn("compute board", "error", err)
			}
			return
		}
		f.publish(&boardFrame{started: last, board: b})
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-urgent:
			compute()
		case c, ok := <-changes:
			if !ok {
				return
			}
			switch {
			case c.Desk != "" && !c.Alert:
				// One desk's events: no business of the board.
			case c.Alert:
				compute()
			case time.Since(last) >= boardMinGap:
				compute()
			case due == nil:
				timer = time.NewTimer(boardMinGap - time.Since(last))
				due = timer.C
			}
		case <-due:
			timer, due = nil, nil
			compute()
		case <-tick.C:
			compute()
		}
	}
}

// publish hands fr to every stream that joined before its computation
// began, replacing a frame a stream has not taken yet.
func (f *boardFeed) publish(fr *boardFrame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		if sub.joined.After(fr.started) {
			continue
		}
		select {
		case sub.ch <- fr:
			continue
		default:
		}
		select {
		case <-sub.ch:
		default:
		}
		select {
		case sub.ch <- fr:
		default:
		}
	}
}
