package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync/atomic"
	"time"
)

// Errors of the board stream.
var (
	// ErrStreamEnded is returned by Stream when the hub closes the stream
	// (it never does while it runs) or the connection drops; it wraps
	// io.ErrUnexpectedEOF when the connection was cut (an event cut short
	// is dropped, never delivered in part).
	ErrStreamEnded = errors.New("hub event stream ended")
	// ErrStreamStalled is returned by Stream when nothing arrived for three
	// of the hub's refresh periods: the connection is taken for dead.
	ErrStreamStalled = errors.New("hub event stream silent")
)

// Stream reads the hub's board stream (GET /v1/stream) and calls fn for
// every event, with its name ("board", "alert") and its JSON data, until
// the stream ends; fn runs on the reading goroutine and may keep data.
//
// A stream has no total timeout, but it must not hang on a dead
// connection: the hub sends the board at least every refresh period (it
// says which in the RefreshHeader; WithStreamIdle for a hub that does not).
// When nothing at all arrives for three periods — no event, no comment —
// Stream closes the connection and returns ErrStreamStalled. The time fn
// takes does not count.
//
// When the stream's token ends (revoked, signed out, expired, rotated and
// past its grace) the hub sends a last event, "end" (StreamEnd), and
// closes the stream; Stream passes it to fn and returns an error matching
// ErrTokenEnded (and ErrStreamEnded).
//
// It returns ctx.Err() when ctx ends, an *HTTPError when the hub refuses
// (errors.Is(err, ErrForbidden) for a token that may not read the board),
// ErrTokenEnded, ErrStreamStalled, ErrStreamEnded, ErrEventTooLarge, a
// *TLSError, or the error of connecting; never nil.
func (c *Client) Stream(ctx context.Context, fn func(name string, data []byte)) error {
	return c.follow(ctx, "board stream", "/v1/stream", nil, func(_, name string, data []byte) { fn(name, data) })
}

// follow reads the event stream at path (what names it in errors) as
// Stream says, calling fn with each event's last ID, name and data.
func (c *Client) follow(ctx context.Context, what, path string, h http.Header, fn func(id, name string, data []byte)) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := c.streamIdle
	var stalled atomic.Bool
	opened := false
	ended := "" // the reason of an "end" event
	// Until the answer's header says the hub's period, the client's own
	// limit covers connecting and waiting for the answer.
	watchdog := time.AfterFunc(idle, func() { stalled.Store(true); cancel() })
	defer watchdog.Stop()

	err := c.readStream(sctx, path, h, func(resp *http.Response) error {
		opened = true
		if d, err := time.ParseDuration(resp.Header.Get(RefreshHeader)); err == nil && d > 0 {
			idle = 3 * d
		}
		watchdog.Reset(idle)
		body := &activity{r: resp.Body, touch: func() { watchdog.Reset(idle) }}
		return readEventsID(body, MaxEventBytes, func(id, name string, data []byte) {
			watchdog.Stop()
			if name == "end" {
				var e StreamEnd
				_ = json.Unmarshal(data, &e)
				ended = e.Reason
				if ended == "" {
					ended = "ended"
				}
			}
			fn(id, name, data)
			watchdog.Reset(idle)
		})
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case stalled.Load():
		return fmt.Errorf("%w: nothing from the hub for %s", ErrStreamStalled, idle)
	case !opened:
		var he *HTTPError
		if errors.As(err, &he) {
			return err
		}
		return fmt.Errorf("open %s: %w", what, err)
	case ended != "":
		return fmt.Errorf("%w (%s)", ErrTokenEnded, ended)
	case errors.Is(err, io.EOF):
		return ErrStreamEnded
	case errors.Is(err, ErrEventTooLarge):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrStreamEnded, err)
	}
}

// readStream opens the event stream at path (with the extra header h) and
// hands a 2xx event-stream answer to read.
func (c *Client) readStream(ctx context.Context, path string, h http.Header, read func(*http.Response) error) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil, true)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.stream.Do(req)
	if err != nil {
		return tlsProblem(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return refusal(resp)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return fmt.Errorf("hub answered %q, not an event stream", resp.Header.Get("Content-Type"))
	}
	return read(resp)
}

// activity calls touch after every read that brought bytes.
type activity struct {
	r     io.Reader
	touch func()
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.touch()
	}
	return n, err
}

// FollowBoard keeps the latest board from the hub's stream until ctx ends,
// calling onBoard with every board it receives (on its own goroutine; it
// must not block for long).
//
// When the stream is lost or cannot be opened, onBoard(nil) is called at
// once — a stale board must not pass for the live one — and the client
// connects again after a pause that doubles from the first to the longest
// (WithStreamBackoff; with jitter as Backoff), starting from the first
// again after a stream that delivered a board and lasted longer than the
// longest pause. An undecodable board is logged and shown as nil too.
//
// A stream whose token ended (ErrTokenEnded) is opened again after the
// first pause with the client's token as it is then (SetToken: a rotated
// one); the hub refuses an ended token, which ends FollowBoard.
//
// It returns ctx.Err() when ctx ends, and at once an error matching
// ErrUnauthorized or ErrForbidden when the hub refuses the token (the
// token may not read the board; retrying cannot help).
func (c *Client) FollowBoard(ctx context.Context, onBoard func(b *Board)) error {
	failures := 0
	for {
		began := time.Now()
		got := false
		err := c.Stream(ctx, func(name string, data []byte) {
			if name != "board" {
				return // every alert comes with the next board too
			}
			var b Board
			if err := json.Unmarshal(data, &b); err != nil {
				c.log.Warn("undecodable board from the hub", "error", err)
				onBoard(nil)
				return
			}
			got = true
			onBoard(&b)
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		onBoard(nil)
		if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrForbidden) {
			return fmt.Errorf("board stream: %w", err)
		}
		if (got && time.Since(began) > c.streamLongest) || errors.Is(err, ErrTokenEnded) {
			failures = 0
		}
		failures++
		wait := backoff(failures, c.streamFirst, c.streamLongest, c.jitter)
		c.log.Debug("board stream lost", "error", err, "retry_in", wait)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}
