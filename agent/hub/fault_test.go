package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

func queueCustomers(d *upstreamtest.Desk, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = agent.NewID()
		d.Put(agent.KindCustomer, ids[i], 1, t0, customer(d.ID, ids[i], 1, fmt.Sprintf("客户%d", i)))
	}
	return ids
}

// checkAllOnce asserts the hub holds exactly the desk's n records, each
// once at version 1, and the desk's outbox is empty.
func checkAllOnce(t *testing.T, h *testHub, d *upstreamtest.Desk, n int) {
	t.Helper()
	if got := h.count(t, "SELECT count(*) FROM records WHERE desk = $1 AND version = 1", d.ID); got != n {
		t.Errorf("hub holds %d of the desk's %d records", got, n)
	}
	if pending, _, _ := d.Stats(); pending != 0 {
		t.Errorf("desk still queues %d records", pending)
	}
}

// rowState is what a resend must not change in a stored record.
type rowState struct {
	version  int64
	desk     string
	body     string
	rev      int64
	received time.Time
}

// snapshot reads every stored record once the database is quiet: no
// statement running and no transaction open but the caller's own, so a
// push cut short has either committed or rolled back.
func snapshot(t *testing.T, h *testHub) map[key]rowState {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for h.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
		AND state IN ('active', 'idle in transaction', 'idle in transaction (aborted)') AND query NOT LIKE 'LISTEN %'`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the database never became quiet")
		}
		time.Sleep(5 * time.Millisecond)
	}
	rows, err := h.db.pool.Query(ctx, "SELECT kind, id, version, desk, body, rev, received_at FROM records")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[key]rowState{}
	for rows.Next() {
		var k key
		var r rowState
		var body []byte
		if err := rows.Scan(&k.kind, &k.id, &r.version, &r.desk, &body, &r.rev, &r.received); err != nil {
			t.Fatal(err)
		}
		r.body = string(body)
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkResendsHarmless asserts that every record of before is still there
// exactly as it was (same version, desk, body, rev, receipt time) and
// that no conflict was recorded: resending what the hub already has is a
// duplicate, nothing more.
func checkResendsHarmless(t *testing.T, h *testHub, before map[key]rowState) {
	t.Helper()
	now := snapshot(t, h)
	changed := 0
	for k, was := range before {
		if is, ok := now[k]; !ok || is != was {
			if changed++; changed <= 3 {
				t.Errorf("%s %s was v%d from %s rev %d received %s (%d body bytes), is v%d from %s rev %d received %s (%d body bytes, present %v) after the resends",
					k.kind, k.id, was.version, was.desk, was.rev, was.received, len(was.body), is.version, is.desk, is.rev, is.received, len(is.body), ok)
			}
		}
	}
	if changed > 0 {
		t.Errorf("%d of %d records stored before the resends changed", changed, len(before))
	}
	if n := h.count(t, "SELECT count(*) FROM conflicts"); n != 0 {
		t.Errorf("resends left %d conflicts", n)
	}
}

// crashAfterCommit stores the batch, then drops the connection before the
// desk hears the answer — the worst moment for a hub to die.
type crashAfterCommit struct {
	upstream.Backend
	crashes atomic.Int32
}

func (c *crashAfterCommit) Push(ctx context.Context, p upstream.Principal, req upstream.PushRequest) (upstream.PushResponse, error) {
	resp, err := c.Backend.Push(ctx, p, req)
	if err == nil && c.crashes.Add(1) <= 2 {
		panic(http.ErrAbortHandler)
	}
	return resp, err
}

func TestFault_AnswerLostAfterCommitResentStoredOnce(t *testing.T) {
	var crash *crashAfterCommit
	h := newTestHub(t, func(b upstream.Backend) upstream.Backend { crash = &crashAfterCommit{Backend: b}; return crash })
	d := upstreamtest.NewDesk(agent.NewID())
	queueCustomers(d, 120)
	c := newClient(t, h, d)
	ctx := context.Background()
	var first map[key]rowState
	for i := 0; i < 2; i++ {
		if err := c.Drain(ctx); err == nil {
			t.Fatalf("drain %d succeeded though the hub dropped the answer", i)
		}
		if pending, _, _ := d.Stats(); pending != 120 {
			t.Fatalf("desk acknowledged records the hub never confirmed: %d still queued", pending)
		}
		if i == 0 {
			first = snapshot(t, h)
		}
	}
	if len(first) != 50 {
		t.Fatalf("the first batch stored %d records, want 50 (the batch size)", len(first))
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	checkAllOnce(t, h, d, 120)
	checkResendsHarmless(t, h, first) // the first batch was sent three times
}

// proxy forwards loopback TCP to a target and can cut every connection and
// stop listening, then listen again on the same address.
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns[in], p.conns[out] = true, true
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// cut closes the listener and every connection: the network is gone.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.serve(ln)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("relisten on %s: %v", p.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFault_NetworkCutAndRestored(t *testing.T) {
	h := newTestHub(t, nil)
	px := newProxy(t, h.srv.Listener.Addr().String())
	d := upstreamtest.NewDesk(agent.NewID())
	tok := h.token(t, upstream.RoleAgent, "desk", d.ID)
	var failures atomic.Int32
	c, err := upstream.NewClient("http://"+px.addr, tok, d, d, upstream.WithBatch(100), upstream.WithLogger(quiet),
		upstream.WithBackoff(10*time.Millisecond, 50*time.Millisecond), upstream.WithInterval(10*time.Millisecond),
		upstream.WithHTTPClient(&http.Client{Timeout: 2 * time.Second}),
		upstream.OnStatus(func(s upstream.Status) {
			if s.LastError != "" {
				failures.Add(1)
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	queueCustomers(d, 300)
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for !ok() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s; status %+v", what, c.Status())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("the first records to sync", func() bool { return c.Status().Pushed > 0 })
	px.cut()
	queueCustomers(d, 300) // the agent keeps working while the network is down
	waitFor("the desk to notice the cut", func() bool { return failures.Load() >= 3 })
	if st := c.Status(); st.LastError == "" || st.Pending == 0 {
		t.Errorf("status during the cut = %+v, want the error and records waiting", st)
	}
	beforeResend := snapshot(t, h)
	px.restore(t)
	waitFor("the outbox to drain", func() bool { p, _, _ := d.Stats(); return p == 0 && c.Status().LastError == "" })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	checkAllOnce(t, h, d, 600)
	checkResendsHarmless(t, h, beforeResend)
}

// Desk clocks ten minutes fast or slow change nothing: versions decide, the
// hub stamps receipt and liveness with its own clock.
func TestFault_DeskClockTenMinutesOff(t *testing.T) {
	hubNow := time.Now()
	h := newTestHub(t, nil, WithClock(agent.FixedClock(hubNow)))
	fast, slow := upstreamtest.NewDesk(agent.NewID()), upstreamtest.NewDesk(agent.NewID())
	fastClock, slowClock := agent.FixedClock(hubNow.Add(10*time.Minute)), agent.FixedClock(hubNow.Add(-10*time.Minute))
	cf := newClient(t, h, fast, upstream.WithClock(fastClock))
	cs := newClient(t, h, slow, upstream.WithClock(slowClock))
	ctx := context.Background()

	id := agent.NewID()
	fast.Put(agent.KindCustomer, id, 1, fastClock.Now(), customer("", id, 1, "快钟"))
	if err := cf.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// The slow desk edits the same customer later in truth, though its clock
	// says twenty minutes earlier: version 2 must win.
	slow.Put(agent.KindCustomer, id, 2, slowClock.Now(), customer("", id, 2, "慢钟"))
	slow.Put(agent.KindCall, agent.NewID(), 1, slowClock.Now(), map[string]any{"version": 1})
	if err := cs.Live(ctx, upstream.AgentStatus{Agent: "慢", State: "ready"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := cs.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if v, desk, _ := h.stored(t, agent.KindCustomer, id); v != 2 || desk != slow.ID {
		t.Fatalf("stored v%d from %s, want v2 from the slow desk", v, desk)
	}
	// The fast desk resends version 1 (say after a restore): still stale.
	beforeResend := snapshot(t, h)
	fast.Put(agent.KindCustomer, id, 1, fastClock.Now(), customer("", id, 1, "快钟"))
	if err := cf.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := h.stored(t, agent.KindCustomer, id); v != 2 {
		t.Fatalf("version 1 from a fast clock overwrote version 2")
	}
	checkResendsHarmless(t, h, beforeResend)
	b, err := h.db.Board(ctx, hubNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Agents) != 1 || !b.Agents[0].LastSeen.Equal(hubNow.Truncate(time.Microsecond)) || b.Agents[0].State != "ready" {
		t.Errorf("board agents = %+v, want the slow desk seen at the hub's instant and ready (not offline)", b.Agents)
	}
	// The slow desk still holds its call record: since when is told on the
	// hub's clock, not ten minutes off.
	slow.Put(agent.KindCall, agent.NewID(), 1, slowClock.Now(), map[string]any{"version": 1})
	if err := cs.Live(ctx, upstream.AgentStatus{Agent: "慢", State: "ready", Since: slowClock.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	b, err = h.db.Board(ctx, hubNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Unsynced) != 1 || b.Unsynced[0].Desk != slow.ID || b.Unsynced[0].Oldest.Sub(hubNow).Abs() > time.Second {
		t.Errorf("unsynced = %+v, want the slow desk with its oldest record at the hub's %s", b.Unsynced, hubNow)
	}
	if b.Agents[0].Since.Sub(hubNow).Abs() > time.Second {
		t.Errorf("agent state since %s, want near the hub's %s", b.Agents[0].Since, hubNow)
	}
	var received time.Time
	if err := h.db.pool.QueryRow(ctx, "SELECT received_at FROM records WHERE id = $1", id).Scan(&received); err != nil || !received.Equal(hubNow.Truncate(time.Microsecond)) {
		t.Errorf("received_at = %s (%v), want the hub's clock %s", received, err, hubNow)
	}
}

// A hub behind a real httptest server that is closed and replaced mid-way
// also loses nothing (the in-process variant of the kill test).
func TestFault_HubClosedBetweenBatches(t *testing.T) {
	h := newTestHub(t, nil)
	d := upstreamtest.NewDesk(agent.NewID())
	queueCustomers(d, 500)
	var pushes atomic.Int32
	var srv *httptest.Server
	inner := upstream.NewServer(h.db, upstream.WithServerLogger(quiet))
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/push" && pushes.Add(1) == 3 {
			go srv.CloseClientConnections()
			panic(http.ErrAbortHandler)
		}
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	tok := h.token(t, upstream.RoleAgent, "desk", d.ID)
	c, err := upstream.NewClient(srv.URL, tok, d, nil, upstream.WithBatch(100), upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(context.Background()); err == nil {
		t.Fatal("drain succeeded through a dropped connection")
	}
	if p, _, _ := d.Stats(); p != 300 {
		t.Fatalf("after the drop %d queued, want the 300 unconfirmed", p)
	}
	beforeResend := snapshot(t, h)
	if err := c.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkAllOnce(t, h, d, 500)
	checkResendsHarmless(t, h, beforeResend)
}
