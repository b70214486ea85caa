package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

const (
	supToken   = "sup-token"
	agentToken = "agent-token"
	trainToken = "trainer-token"
)

// newMemHub is the real handler over an in-memory backend with a
// supervisor, an agent and a trainer token; wrap, if given, sits in front
// of the handler.
func newMemHub(t *testing.T, wrap func(http.Handler) http.Handler, opts ...upstream.ServerOption) (*upstreamtest.Hub, *httptest.Server) {
	t.Helper()
	mem := upstreamtest.NewHub()
	mem.AddToken(supToken, upstream.Principal{TokenID: 1, Name: "班长", Role: upstream.RoleSupervisor})
	mem.AddToken(agentToken, upstream.Principal{TokenID: 2, Name: "小王", Role: upstream.RoleAgent, Desk: "desk-1"})
	mem.AddToken(trainToken, upstream.Principal{TokenID: 3, Name: "老师", Role: upstream.RoleTrainer})
	var h http.Handler = upstream.NewServer(mem, append([]upstream.ServerOption{upstream.WithServerLogger(quiet), upstream.WithStreamRefresh(time.Hour)}, opts...)...)
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return mem, srv
}

func hubClient(t *testing.T, url, token string, opts ...upstream.ClientOption) *upstream.Client {
	t.Helper()
	c, err := upstream.NewClient(url, token, nil, nil, append([]upstream.ClientOption{upstream.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var at = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func sampleBoard(agents int) upstream.Board {
	b := upstream.Board{At: at, Queues: []upstream.BoardQueue{{Queue: "售后", Ringing: 2, Talking: 5}},
		Alerts: []upstream.BoardAlert{
			{ID: "a1", Desk: "desk-1", Received: at, Body: json.RawMessage(`{"id":"a1","summary":"重大投诉：\n第二行 \"引号\" \u2028"}`)},
			{ID: "a2", Desk: "desk-2", Received: at.Add(time.Second), Body: json.RawMessage(`{"id":"a2","summary":"second"}`)},
		},
		Overdue: []upstream.BoardOverdue{{ID: "c1", Desk: "desk-1", Due: at.Add(-time.Hour)}},
	}
	for i := range agents {
		b.Agents = append(b.Agents, upstream.BoardAgent{Desk: fmt.Sprintf("desk-%d", i), Agent: fmt.Sprintf("工号%05d %s", i, strings.Repeat("长", 40)), State: "busy", LastSeen: at})
	}
	return b
}

type streamed struct {
	mu     sync.Mutex
	events []struct{ name, data string }
	boards chan string
}

func newStreamed() *streamed { return &streamed{boards: make(chan string, 100)} }

func (s *streamed) fn(name string, data []byte) {
	s.mu.Lock()
	s.events = append(s.events, struct{ name, data string }{name, string(data)})
	s.mu.Unlock()
	if name == "board" {
		s.boards <- string(data)
	}
}

func (s *streamed) names() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n []string
	for _, e := range s.events {
		n = append(n, e.name)
	}
	return strings.Join(n, " ")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The real handler's events reach the client byte for byte: alerts first,
// then the board, again when the board changes, and a board far larger
// than a scanner's default buffer.
func TestStream_RoundTripWithServer(t *testing.T) {
	mem, srv := newMemHub(t, nil)
	small, large := sampleBoard(3), sampleBoard(20000)
	mem.SetBoard(small)
	c := hubClient(t, srv.URL, supToken)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := newStreamed()
	done := make(chan error, 1)
	go func() { done <- c.Stream(ctx, got.fn) }()

	if b := <-got.boards; b != mustJSON(t, small) {
		t.Fatalf("first board = %s\nwant %s", b, mustJSON(t, small))
	}
	if n := got.names(); n != "alert alert board" {
		t.Fatalf("events = %q, want the two alerts, then the board", n)
	}
	got.mu.Lock()
	if a := got.events[0].data; a != mustJSON(t, small.Alerts[0]) {
		t.Errorf("alert = %s\nwant %s", a, mustJSON(t, small.Alerts[0]))
	}
	got.mu.Unlock()
	mem.SetBoard(large)
	select {
	case b := <-got.boards:
		if want := mustJSON(t, large); b != want {
			t.Fatalf("large board (%d bytes) arrived as %d bytes, not intact", len(want), len(b))
		}
		t.Logf("a board of %d bytes came through intact", len(b))
	case <-ctx.Done():
		t.Fatal("no second board")
	}
	if n := got.names(); n != "alert alert board board" {
		t.Errorf("events = %q, want alerts once only", n)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Stream after cancel = %v, want context.Canceled", err)
	}
}

// keepAlive puts a comment line before every write of the real handler,
// as a proxy keeping the connection open would.
type keepAlive struct{ http.ResponseWriter }

func (k keepAlive) Write(p []byte) (int, error) {
	if _, err := io.WriteString(k.ResponseWriter, ": keep-alive\n\n"); err != nil {
		return 0, err
	}
	return k.ResponseWriter.Write(p)
}

func (k keepAlive) Flush() { k.ResponseWriter.(http.Flusher).Flush() }

func TestStream_CommentLinesAreSkipped(t *testing.T) {
	mem, srv := newMemHub(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(keepAlive{w}, r) })
	})
	board := sampleBoard(2)
	mem.SetBoard(board)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := newStreamed()
	go hubClient(t, srv.URL, supToken).Stream(ctx, got.fn)
	if b := <-got.boards; b != mustJSON(t, board) {
		t.Fatalf("board = %s", b)
	}
	if n := got.names(); n != "alert alert board" {
		t.Errorf("events = %q: comments must not become events", n)
	}
}

// cutAfter lets the real handler's first n bytes through, then drops the
// connection: the network dies in the middle of an event.
type cutAfter struct {
	http.ResponseWriter
	left int
}

func (c *cutAfter) Write(p []byte) (int, error) {
	if len(p) <= c.left {
		c.left -= len(p)
		return c.ResponseWriter.Write(p)
	}
	c.ResponseWriter.Write(p[:c.left])
	c.ResponseWriter.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

func (c *cutAfter) Flush() { c.ResponseWriter.(http.Flusher).Flush() }

func TestStream_CutMidEvent(t *testing.T) {
	board := sampleBoard(2)
	first := "event: alert\ndata: " + mustJSON(t, board.Alerts[0]) + "\n\n"
	mem, srv := newMemHub(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(&cutAfter{ResponseWriter: w, left: len(first) + 30}, r)
		})
	})
	mem.SetBoard(board)
	got := newStreamed()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hubClient(t, srv.URL, supToken).Stream(ctx, got.fn)
	if !errors.Is(err, upstream.ErrStreamEnded) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Stream = %v, want ErrStreamEnded wrapping io.ErrUnexpectedEOF", err)
	}
	if n := got.names(); n != "alert" {
		t.Fatalf("events = %q, want the whole first alert and nothing of the one cut short", n)
	}
	if got.events[0].data != mustJSON(t, board.Alerts[0]) {
		t.Errorf("first alert = %s", got.events[0].data)
	}
}

// A hub that stops sending (a dead connection, a stuck proxy) is noticed
// after three of its refresh periods; comments count as life.
func TestStream_SilentConnectionIsDropped(t *testing.T) {
	const period = 60 * time.Millisecond
	var keepFor atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set(upstream.RefreshHeader, period.String())
		io.WriteString(w, "event: board\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		for end := time.Now().Add(time.Duration(keepFor.Load())); time.Now().Before(end); {
			time.Sleep(period / 2)
			io.WriteString(w, ":\n")
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // then silence, the connection open
	}))
	defer srv.Close()
	for _, keep := range []time.Duration{0, 10 * period} {
		keepFor.Store(int64(keep))
		got := newStreamed()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		start := time.Now()
		err := hubClient(t, srv.URL, supToken, upstream.WithStreamIdle(time.Hour)).Stream(ctx, got.fn)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, upstream.ErrStreamStalled) || got.names() != "board" {
			t.Fatalf("keep-alives for %s: Stream = %v after %s with events %q; want ErrStreamStalled after the board", keep, err, took, got.names())
		}
		if took < keep+3*period {
			t.Errorf("keep-alives for %s: dropped after %s, before %s of silence", keep, took, 3*period)
		}
		t.Logf("keep-alives for %s: dropped after %s", keep, took.Round(time.Millisecond))
	}
}

// A hub that does not give its period (and one that accepts the
// connection but never answers) is held to the client's own limit.
func TestStream_ClientIdleLimit(t *testing.T) {
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer silent.Close()
	mute := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer mute.Close()
	for name, url := range map[string]string{"no period, no events": silent.URL, "no answer at all": mute.URL} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c := hubClient(t, url, supToken, upstream.WithStreamIdle(100*time.Millisecond))
		err := c.Stream(ctx, func(string, []byte) {})
		cancel()
		if !errors.Is(err, upstream.ErrStreamStalled) {
			t.Errorf("%s: Stream = %v, want ErrStreamStalled", name, err)
		}
	}
}

func TestStream_RefusedAndNotAStream(t *testing.T) {
	_, srv := newMemHub(t, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		token string
		want  error
	}{{agentToken, upstream.ErrForbidden}, {"unknown", upstream.ErrUnauthorized}} {
		err := hubClient(t, srv.URL, tt.token).Stream(ctx, func(string, []byte) { t.Error("event from a refused stream") })
		var he *upstream.HTTPError
		if !errors.Is(err, tt.want) || !errors.As(err, &he) || he.Msg == "" {
			t.Errorf("token %s: Stream = %v, want %v with the hub's reason", tt.token, err, tt.want)
		}
	}
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html>portal</html>") }))
	defer html.Close()
	if err := hubClient(t, html.URL, supToken).Stream(ctx, func(string, []byte) {}); err == nil || !strings.Contains(err.Error(), "not an event stream") {
		t.Errorf("Stream from a captive portal = %v", err)
	}
}

// boardLog records what FollowBoard hands on: "board N" (agents on it) or "nil".
type boardLog struct {
	mu  sync.Mutex
	log []string
	ch  chan string
}

func newBoardLog() *boardLog { return &boardLog{ch: make(chan string, 1000)} }

func (l *boardLog) on(b *upstream.Board) {
	s := "nil"
	if b != nil {
		s = fmt.Sprintf("board %d", len(b.Agents))
	}
	l.mu.Lock()
	l.log = append(l.log, s)
	l.mu.Unlock()
	l.ch <- s
}

func (l *boardLog) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-l.ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("FollowBoard handed on nothing for 10 s")
		return ""
	}
}

// FollowBoard keeps the latest board; a lost stream clears it at once and
// the client connects again after a pause that grows, and starts small
// again after a stream that lived long.
func TestFollowBoard_ReconnectsWithGrowingPause(t *testing.T) {
	var conns atomic.Int32
	var liveLong atomic.Bool
	mem, srv := newMemHub(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conns.Add(1)
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			life := 5 * time.Millisecond // then the hub goes away
			if liveLong.Load() {
				life = 300 * time.Millisecond
			}
			time.AfterFunc(life, cancel)
			h.ServeHTTP(w, r.WithContext(ctx))
			panic(http.ErrAbortHandler)
		})
	})
	mem.SetBoard(sampleBoard(2))
	var mu sync.Mutex
	var waits []time.Duration
	pauses, proceed := make(chan struct{}), make(chan struct{})
	c := hubClient(t, srv.URL, supToken, upstream.WithStreamBackoff(10*time.Millisecond, 80*time.Millisecond),
		upstream.WithJitter(func() float64 { return 0 }),
		upstream.WithSleep(func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			pauses <- struct{}{}
			<-proceed
			return ctx.Err()
		}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bl := newBoardLog()
	done := make(chan error, 1)
	go func() { done <- c.FollowBoard(ctx, bl.on) }()
	for i := range 5 {
		if got := bl.next(t); got != "board 2" {
			t.Fatalf("got %s, want the board", got)
		}
		if got := bl.next(t); got != "nil" {
			t.Fatalf("got %s after a lost stream, want nil", got)
		}
		<-pauses
		if i == 4 {
			liveLong.Store(true) // the next stream lives longer than the longest pause
		}
		proceed <- struct{}{}
	}
	if a, b := bl.next(t), bl.next(t); a != "board 2" || b != "nil" {
		t.Fatalf("long stream handed on %s, %s", a, b)
	}
	<-pauses
	cancel()
	close(proceed)
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("FollowBoard = %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	// Equal jitter at 0: half of 10, 20, 40, 80, 80 ms; then half of 10 again.
	want := "[5ms 10ms 20ms 40ms 40ms 5ms]"
	if fmt.Sprint(waits) != want {
		t.Errorf("pauses = %v, want %s", waits, want)
	}
	if n := conns.Load(); n != 6 {
		t.Errorf("%d connections, want 6", n)
	}
}

func TestFollowBoard_FollowsChanges(t *testing.T) {
	mem, srv := newMemHub(t, nil)
	mem.SetBoard(sampleBoard(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	bl := newBoardLog()
	go hubClient(t, srv.URL, supToken).FollowBoard(ctx, bl.on)
	if got := bl.next(t); got != "board 1" {
		t.Fatalf("got %s", got)
	}
	mem.SetBoard(sampleBoard(7))
	if got := bl.next(t); got != "board 7" {
		t.Fatalf("got %s after the board changed, want board 7", got)
	}
}

// A token that may not read the board ends FollowBoard at once, with an
// error a caller can decide on, and with no board shown.
func TestFollowBoard_RefusedTokenReturnsAtOnce(t *testing.T) {
	mem, srv := newMemHub(t, nil)
	mem.SetBoard(sampleBoard(1))
	for _, tt := range []struct {
		token string
		want  error
	}{{agentToken, upstream.ErrForbidden}, {trainToken, upstream.ErrForbidden}, {"revoked", upstream.ErrUnauthorized}} {
		bl := newBoardLog()
		c := hubClient(t, srv.URL, tt.token, upstream.WithSleep(func(context.Context, time.Duration) error {
			t.Error("FollowBoard paused to retry a refused token")
			return nil
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.FollowBoard(ctx, bl.on)
		cancel()
		if !errors.Is(err, tt.want) {
			t.Errorf("token %s: FollowBoard = %v, want %v", tt.token, err, tt.want)
		}
		if fmt.Sprint(bl.log) != "[nil]" {
			t.Errorf("token %s: boards handed on %v, want [nil]", tt.token, bl.log)
		}
	}
}

// An undecodable board is not passed off as the old one.
func TestFollowBoard_UndecodableBoardClears(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: board\ndata: {\"agents\":[{}]}\n\nevent: board\ndata: {\"agents\": 5}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bl := newBoardLog()
	go hubClient(t, srv.URL, supToken).FollowBoard(ctx, bl.on)
	if a, b := bl.next(t), bl.next(t); a != "board 1" || b != "nil" {
		t.Errorf("handed on %s, %s; want the board, then nil for the broken one", a, b)
	}
}

// Publish, Ping and ClockOffset against the real handler.
func TestPublish(t *testing.T) {
	validate := func(name string, data []byte) (string, error) {
		if !bytes.HasPrefix(data, []byte("lang = ")) {
			return "", fmt.Errorf("%s:1: want lang first", name)
		}
		return strings.Trim(strings.TrimPrefix(strings.SplitN(string(data), "\n", 2)[0], "lang = "), `"`), nil
	}
	mem, srv := newMemHub(t, nil, upstream.WithPackValidator(validate), upstream.WithServerClock(agent.FixedClock(at)))
	ctx := context.Background()
	pv, err := hubClient(t, srv.URL, trainToken).Publish(ctx, "春节.toml", []byte("lang = \"zh-Hans\"\n[greeting]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pv.Version != 1 || pv.Lang != "zh-Hans" || pv.Name != "春节.toml" || pv.Author != "老师" || !pv.CreatedAt.Equal(at) ||
		pv.State != upstream.PackPending || pv.Live || pv.Size != 28 || pv.Data != nil {
		t.Errorf("published %+v, want version 1 pending, by 老师, 28 bytes, no text echoed", pv)
	}
	if got := mem.Packs(); len(got) != 1 || string(got[0].Data) != "lang = \"zh-Hans\"\n[greeting]\n" {
		t.Errorf("hub holds %+v", got)
	}
	for _, tt := range []struct {
		name  string
		token string
		data  []byte
		want  error
		msg   string
	}{
		{"a pack with a problem", trainToken, []byte("[greeting]\n"), upstream.ErrInvalid, "mine.toml:1: want lang first"},
		{"too large", trainToken, bytes.Repeat([]byte("a"), upstream.MaxPackBytes+1), upstream.ErrInvalid, "larger than"},
		{"an agent's token", agentToken, []byte("lang = \"en\"\n"), upstream.ErrForbidden, "role agent may not"},
		{"an unknown token", "nobody", []byte("lang = \"en\"\n"), upstream.ErrUnauthorized, "token"},
	} {
		_, err := hubClient(t, srv.URL, tt.token).Publish(ctx, "mine.toml", tt.data)
		var he *upstream.HTTPError
		if !errors.Is(err, tt.want) || !errors.As(err, &he) || !strings.Contains(he.Msg, tt.msg) {
			t.Errorf("%s: Publish = %v, want %v naming %q", tt.name, err, tt.want, tt.msg)
		}
	}
	if n := len(mem.Packs()); n != 1 {
		t.Errorf("refused publishes left %d packs, want 1", n)
	}
}

func TestPing(t *testing.T) {
	mem, srv := newMemHub(t, nil)
	ctx := context.Background()
	for _, tok := range []string{supToken, agentToken, trainToken} {
		if err := hubClient(t, srv.URL, tok).Ping(ctx); err != nil {
			t.Errorf("Ping with %s = %v", tok, err)
		}
	}
	id, err := hubClient(t, srv.URL, agentToken).Whoami(ctx)
	if err != nil || id.Name != "小王" || id.Role != upstream.RoleAgent || id.Desk != "desk-1" {
		t.Errorf("Whoami = %+v, %v", id, err)
	}
	if err := hubClient(t, srv.URL, "revoked").Ping(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("Ping with an unknown token = %v, want ErrUnauthorized", err)
	}
	mem.SetDown(errors.New("connection refused"))
	var he *upstream.HTTPError
	if err := hubClient(t, srv.URL, supToken).Ping(ctx); !errors.As(err, &he) || he.Status != http.StatusServiceUnavailable {
		t.Errorf("Ping with the database down = %v, want a 503", err)
	}
	srv.Close()
	if err := hubClient(t, srv.URL, supToken).Ping(ctx); err == nil {
		t.Error("Ping of a closed hub succeeded")
	}
}

// Every request is bounded: a hub that accepts and never answers costs the
// client its timeout, not forever.
func TestClient_RequestsAreBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := hubClient(t, srv.URL, supToken, upstream.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Ping":        func() error { return c.Ping(ctx) },
		"Publish":     func() error { _, err := c.Publish(ctx, "p.toml", []byte("x")); return err },
		"Review":      func() error { _, err := c.Review(ctx, 1, true, ""); return err },
		"History":     func() error { _, err := c.History(ctx, "en"); return err },
		"ClockOffset": func() error { _, err := c.ClockOffset(ctx); return err },
	} {
		start := time.Now()
		err := call()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("%s against a silent hub = %v after %s", name, err, time.Since(start))
		}
	}
}

func TestClockOffset(t *testing.T) {
	hubNow := at.Add(90*time.Second + 250*time.Millisecond)
	_, srv := newMemHub(t, nil, upstream.WithServerClock(agent.FixedClock(hubNow)))
	ctx := context.Background()
	off, err := hubClient(t, srv.URL, supToken, upstream.WithClock(agent.FixedClock(at))).ClockOffset(ctx)
	if err != nil || off != 90*time.Second+250*time.Millisecond {
		t.Errorf("ClockOffset = %s, %v; want +1m30.25s (hub ahead)", off, err)
	}
	off, err = hubClient(t, srv.URL, supToken, upstream.WithClock(agent.FixedClock(hubNow.Add(2*time.Minute)))).ClockOffset(ctx)
	if err != nil || off != -2*time.Minute {
		t.Errorf("ClockOffset of a fast desk = %s, %v; want -2m", off, err)
	}
	// A hub without server_time: the Date header, to the second.
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Date", hubNow.Format(http.TimeFormat))
		io.WriteString(w, `{"status":"ok"}`)
	}))
	defer old.Close()
	off, err = hubClient(t, old.URL, supToken, upstream.WithClock(agent.FixedClock(at))).ClockOffset(ctx)
	if err != nil || off != 90*time.Second {
		t.Errorf("ClockOffset from the Date header = %s, %v; want +1m30s", off, err)
	}
	// Real clocks on both sides: about zero.
	_, real := newMemHub(t, nil)
	if off, err := hubClient(t, real.URL, supToken).ClockOffset(ctx); err != nil || off.Abs() > time.Second {
		t.Errorf("ClockOffset with one clock = %s, %v", off, err)
	}
}

func TestHTTPError_MatchesSentinels(t *testing.T) {
	sentinels := []error{upstream.ErrUnauthorized, upstream.ErrForbidden, upstream.ErrOwnVersion, upstream.ErrNotFound, upstream.ErrInvalid, upstream.ErrConflict,
		upstream.ErrTokenExpired, upstream.ErrWrongPIN, upstream.ErrAgentDisabled, upstream.ErrRateLimited, upstream.ErrSignInLocked}
	for _, tt := range []struct {
		status int
		code   string
		want   []error // none: nil
	}{
		{400, "", []error{upstream.ErrInvalid}}, {401, "", []error{upstream.ErrUnauthorized}}, {403, "", []error{upstream.ErrForbidden}},
		{403, "forbidden", []error{upstream.ErrForbidden}}, {403, "own_version", []error{upstream.ErrForbidden, upstream.ErrOwnVersion}},
		{404, "", []error{upstream.ErrNotFound}}, {409, "conflict", []error{upstream.ErrConflict}},
		{413, "", []error{upstream.ErrInvalid}}, {422, "", []error{upstream.ErrInvalid}}, {408, "", nil}, {500, "", nil}, {503, "", nil},
		{400, "own_version", []error{upstream.ErrInvalid}}, // the code alone is not enough
		{401, "expired", []error{upstream.ErrUnauthorized, upstream.ErrTokenExpired}},
		{401, "wrong_pin", []error{upstream.ErrWrongPIN}}, // the desk's token was fine
		{403, "disabled", []error{upstream.ErrForbidden, upstream.ErrAgentDisabled}},
		{429, "", []error{upstream.ErrRateLimited}}, {429, "rate_limited", []error{upstream.ErrRateLimited}},
		{429, "locked", []error{upstream.ErrRateLimited, upstream.ErrSignInLocked}},
		{400, "wrong_pin", []error{upstream.ErrInvalid}}, {400, "locked", []error{upstream.ErrInvalid}},
	} {
		err := fmt.Errorf("push 3 records: %w", &upstream.HTTPError{Status: tt.status, Msg: "x", Code: tt.code})
		for _, s := range sentinels {
			if errors.Is(err, s) != slices.Contains(tt.want, s) {
				t.Errorf("%d %s: errors.Is(%v) = %v", tt.status, tt.code, s, errors.Is(err, s))
			}
		}
	}
}

func TestClient_NoOutbox(t *testing.T) {
	c := hubClient(t, "http://127.0.0.1:1", supToken)
	ctx := context.Background()
	if err := c.Drain(ctx); !errors.Is(err, upstream.ErrNoOutbox) {
		t.Errorf("Drain = %v", err)
	}
	if err := c.SyncOnce(ctx); !errors.Is(err, upstream.ErrNoOutbox) {
		t.Errorf("SyncOnce = %v", err)
	}
	if err := c.Live(ctx, upstream.AgentStatus{}, nil); !errors.Is(err, upstream.ErrNoOutbox) {
		t.Errorf("Live = %v", err)
	}
}
