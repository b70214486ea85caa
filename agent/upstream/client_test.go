package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestClient_Backoff_DoublesWithJitterUpToLongest(t *testing.T) {
	for _, tt := range []struct {
		jitter   float64
		failures int
		want     time.Duration
	}{
		{0, 1, 500 * time.Millisecond},     // half of 1 s fixed
		{0.999999, 1, time.Second},         // up to the whole of 1 s
		{0, 2, time.Second},                // 2 s, half fixed
		{0, 4, 4 * time.Second},            // 8 s
		{0.5, 4, 6 * time.Second},          // 4 s + half of 4 s
		{0, 30, 30 * time.Second},          // capped at 60 s
		{0.999999, 1000, 60 * time.Second}, // capped, no overflow
	} {
		c, err := upstream.NewClient("http://127.0.0.1:1", "t", upstreamtest.NewDesk("d"), nil,
			upstream.WithBackoff(time.Second, time.Minute), upstream.WithJitter(func() float64 { return tt.jitter }))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Backoff(tt.failures); got.Round(time.Millisecond) != tt.want {
			t.Errorf("Backoff(%d) with jitter %v = %s, want %s", tt.failures, tt.jitter, got, tt.want)
		}
	}
}

func TestNewClient_RefusesBadURL(t *testing.T) {
	for _, u := range []string{"", "hub.example", "ftp://x", "http://"} {
		if _, err := upstream.NewClient(u, "t", upstreamtest.NewDesk("d"), nil); err == nil {
			t.Errorf("NewClient(%q) accepted", u)
		}
	}
}

// fakeHub answers pushes with handle and counts them.
func fakeHub(t *testing.T, handle func(w http.ResponseWriter, req upstream.PushRequest)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(upstream.ErrorBody{Error: "unknown or missing token"})
			return
		}
		var req upstream.PushRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("decode push: %v", err)
		}
		n.Add(1)
		handle(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func ackAll(w http.ResponseWriter, req upstream.PushRequest) {
	json.NewEncoder(w).Encode(upstream.PushResponse{AckSeq: req.Records[len(req.Records)-1].Seq, Stored: len(req.Records)})
}

func queue(d *upstreamtest.Desk, n int) {
	for range n {
		id := agent.NewID()
		d.Put(agent.KindCall, id, 1, time.Unix(0, 0), map[string]any{"id": id, "version": 1})
	}
}

func TestClient_Drain_BatchesAndAcks(t *testing.T) {
	srv, pushes := fakeHub(t, ackAll)
	d := upstreamtest.NewDesk("desk-1")
	queue(d, 25)
	var last upstream.Status
	c, _ := upstream.NewClient(srv.URL, "tok", d, nil, upstream.WithBatch(10), upstream.WithLogger(quiet), upstream.OnStatus(func(s upstream.Status) { last = s }))
	if err := c.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pushes.Load() != 3 {
		t.Errorf("pushes = %d, want 3 batches for 25 records", pushes.Load())
	}
	if p, _, _ := d.Stats(); p != 0 || last.Pushed != 25 {
		t.Errorf("pending %d, status %+v; want all 25 pushed and acked", p, last)
	}
}

func TestClient_Drain_NoAckWithoutConfirmation(t *testing.T) {
	for name, handle := range map[string]func(http.ResponseWriter, upstream.PushRequest){
		"server error": func(w http.ResponseWriter, _ upstream.PushRequest) { w.WriteHeader(503) },
		"partial ack": func(w http.ResponseWriter, req upstream.PushRequest) {
			json.NewEncoder(w).Encode(upstream.PushResponse{AckSeq: req.Records[0].Seq})
		},
		"garbage": func(w http.ResponseWriter, _ upstream.PushRequest) { io.WriteString(w, "<html>proxy error</html>") },
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := fakeHub(t, handle)
			d := upstreamtest.NewDesk("desk-1")
			queue(d, 5)
			c, _ := upstream.NewClient(srv.URL, "tok", d, nil, upstream.WithLogger(quiet))
			if err := c.Drain(context.Background()); err == nil {
				t.Fatal("drain succeeded")
			}
			if p, _, _ := d.Stats(); p != 5 {
				t.Errorf("pending = %d, want all 5 kept", p)
			}
		})
	}
}

func TestClient_Run_BacksOffThenRecovers(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv, _ := fakeHub(t, func(w http.ResponseWriter, req upstream.PushRequest) {
		if fail.Load() {
			w.WriteHeader(502)
			return
		}
		ackAll(w, req)
	})
	d := upstreamtest.NewDesk("desk-1")
	queue(d, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	c, _ := upstream.NewClient(srv.URL, "tok", d, nil, upstream.WithLogger(quiet),
		upstream.WithBackoff(time.Second, 8*time.Second), upstream.WithJitter(func() float64 { return 0 }), upstream.WithInterval(time.Hour),
		upstream.WithSleep(func(ctx context.Context, dur time.Duration) error {
			waits = append(waits, dur)
			if len(waits) == 5 {
				fail.Store(false)
			}
			if len(waits) == 6 {
				cancel()
				return ctx.Err()
			}
			return nil
		}))
	if err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, time.Hour}
	if len(waits) != len(want) {
		t.Fatalf("waits = %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits = %v, want %v", waits, want)
		}
	}
	st := c.Status()
	if st.LastError != "" || st.Failures != 0 || st.LastSync.IsZero() || st.Pending != 0 {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestClient_WrongTokenIsPermanentHTTPError(t *testing.T) {
	srv, _ := fakeHub(t, ackAll)
	d := upstreamtest.NewDesk("desk-1")
	queue(d, 1)
	c, _ := upstream.NewClient(srv.URL, "wrong", d, nil, upstream.WithLogger(quiet))
	err := c.SyncOnce(context.Background())
	var he *upstream.HTTPError
	if !errors.As(err, &he) || he.Status != 401 || !he.Permanent() || !strings.Contains(err.Error(), "unknown or missing token") {
		t.Fatalf("err = %v, want a permanent 401 naming the token", err)
	}
	if st := c.Status(); st.LastError == "" || st.Failures != 1 || st.Pending != 1 {
		t.Errorf("status = %+v, want the error shown and 1 pending", st)
	}
}

func TestClient_SyncOnce_SendsHeartbeatWithOutboxFigures(t *testing.T) {
	var got upstream.LiveReport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/live" {
			t.Errorf("unexpected %s", r.URL.Path)
		}
		json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	d := upstreamtest.NewDesk("desk-1")
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	c, _ := upstream.NewClient(srv.URL, "tok", d, nil, upstream.WithLogger(quiet), upstream.WithClock(agent.FixedClock(at)),
		upstream.WithLiveSource(func() (upstream.AgentStatus, []upstream.CallEvent) {
			return upstream.AgentStatus{Agent: "小王", State: "ready"}, []upstream.CallEvent{{Kind: "ringing", CallID: "c1"}}
		}))
	if err := c.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got.Desk != "desk-1" || got.Status.Agent != "小王" || len(got.Events) != 1 || !got.SentAt.Equal(at) || got.Pending != 0 {
		t.Errorf("heartbeat = %+v", got)
	}
}

func TestClient_Drain_HalvesBatchOnTooLarge(t *testing.T) {
	var sizes []int
	srv, _ := fakeHub(t, func(w http.ResponseWriter, req upstream.PushRequest) {
		sizes = append(sizes, len(req.Records))
		if len(req.Records) > 3 {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			json.NewEncoder(w).Encode(upstream.ErrorBody{Error: "request body larger than 10 bytes"})
			return
		}
		ackAll(w, req)
	})
	d := upstreamtest.NewDesk("desk-1")
	queue(d, 10)
	c, _ := upstream.NewClient(srv.URL, "tok", d, nil, upstream.WithBatch(10), upstream.WithLogger(quiet))
	if err := c.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := d.Stats(); p != 0 {
		t.Errorf("pending = %d", p)
	}
	if want := "[10 5 2 2 2 2 2]"; fmt.Sprint(sizes) != want {
		t.Errorf("batch sizes = %v, want %s", sizes, want)
	}
}

func TestClient_LastSyncSurvivesRestart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	d := upstreamtest.NewDesk("desk-1")
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	// The round fails (the hub is down), but the last good round, from
	// before the restart, is remembered by the desk.
	if err := d.SetCursor("last_sync", at.UnixNano()); err != nil {
		t.Fatal(err)
	}
	c, _ := upstream.NewClient(srv.URL, "tok", d, d, upstream.WithLogger(quiet))
	if err := c.SyncOnce(context.Background()); err == nil {
		t.Fatal("round succeeded against a hub that is down")
	}
	if st := c.Status(); !st.LastSync.Equal(at) || st.LastError == "" {
		t.Errorf("status after restart = %+v, want last sync %s kept and the error shown", st, at)
	}
}
