package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/agent/upstream"
	"agentdesk/scripts"
)

// memHub is an in-memory upstream.Backend behind the real protocol handler
// (upstream.NewServer), so the window's hub link is tested against the
// wire as the hub speaks it, without PostgreSQL. It keeps what it is sent
// and builds a board from the live reports.
type memHub struct {
	mu       sync.Mutex
	tokens   map[string]upstream.Principal
	records  map[string]upstream.Record // kind/id → newest
	live     map[string]upstream.LiveReport
	packs    []upstream.Pack
	watchers []chan upstream.Change
}

func newMemHub() *memHub {
	return &memHub{records: map[string]upstream.Record{}, live: map[string]upstream.LiveReport{}, tokens: map[string]upstream.Principal{
		"agent-tok":   {TokenID: 1, Name: "desk", Role: upstream.RoleAgent},
		"sup-tok":     {TokenID: 2, Name: "sup", Role: upstream.RoleSupervisor},
		"trainer-tok": {TokenID: 3, Name: "trainer", Role: upstream.RoleTrainer},
	}}
}

func (h *memHub) Authenticate(_ context.Context, tok string) (upstream.Principal, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.tokens[tok]
	if !ok {
		return p, upstream.ErrUnauthorized
	}
	return p, nil
}

func (h *memHub) Push(_ context.Context, _ upstream.Principal, req upstream.PushRequest) (upstream.PushResponse, error) {
	h.mu.Lock()
	resp := upstream.PushResponse{ServerTime: time.Now()}
	alert := false
	for _, r := range req.Records {
		k := string(r.Kind) + "/" + r.ID
		if cur, ok := h.records[k]; ok && cur.Version >= r.Version {
			resp.Duplicates++
		} else {
			h.records[k] = r
			resp.Stored++
			alert = alert || r.Kind == agent.KindAlert
		}
		resp.AckSeq = r.Seq
	}
	h.mu.Unlock()
	h.changed(alert)
	return resp, nil
}

func (h *memHub) Live(_ context.Context, _ upstream.Principal, r upstream.LiveReport) error {
	h.mu.Lock()
	h.live[r.Desk] = r
	h.mu.Unlock()
	h.changed(false)
	return nil
}

func (h *memHub) Customers(context.Context, int64, int) (upstream.CustomerPage, error) {
	return upstream.CustomerPage{Customers: []upstream.Record{}}, nil
}

func (h *memHub) LatestPack(_ context.Context, lang string) (upstream.Pack, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.packs) - 1; i >= 0; i-- {
		if h.packs[i].Lang == lang {
			return h.packs[i], nil
		}
	}
	return upstream.Pack{}, upstream.ErrNotFound
}

func (h *memHub) PublishPack(_ context.Context, p upstream.Principal, pk upstream.Pack) (upstream.Pack, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	pk.ID, pk.PublishedBy, pk.PublishedAt = int64(len(h.packs)+1), p.Name, time.Now()
	h.packs = append(h.packs, pk)
	return pk, nil
}

func (h *memHub) Board(_ context.Context, now time.Time) (upstream.Board, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := upstream.Board{At: now, Agents: []upstream.BoardAgent{}, Queues: []upstream.BoardQueue{}, Alerts: []upstream.BoardAlert{},
		Overdue: []upstream.BoardOverdue{}, Today: []upstream.BoardStats{}, Unsynced: []upstream.BoardDesk{}, Conflicts: []upstream.BoardConflict{}}
	for d, r := range h.live {
		b.Agents = append(b.Agents, upstream.BoardAgent{Desk: d, Agent: r.Status.Agent, State: r.Status.State, LastSeen: now})
	}
	for _, r := range h.records {
		if r.Kind == agent.KindAlert {
			b.Alerts = append(b.Alerts, upstream.BoardAlert{ID: r.ID, Received: now, Body: r.Body})
		}
	}
	return b, nil
}

func (h *memHub) Watch(ctx context.Context) <-chan upstream.Change {
	ch := make(chan upstream.Change, 16)
	h.mu.Lock()
	h.watchers = append(h.watchers, ch)
	h.mu.Unlock()
	return ch
}

func (h *memHub) changed(alert bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.watchers {
		select {
		case w <- upstream.Change{Alert: alert}:
		default:
		}
	}
}

func (h *memHub) Ping(context.Context) error { return nil }

func (h *memHub) count(kind agent.Kind) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func serveMemHub(t *testing.T) (*memHub, string) {
	t.Helper()
	h, srv := serveMemHubServer(t)
	return h, srv.URL
}

func serveMemHubServer(t *testing.T) (*memHub, *httptest.Server) {
	t.Helper()
	h := newMemHub()
	srv := httptest.NewServer(upstream.NewServer(h, upstream.WithServerLogger(quietLog), upstream.WithStreamRefresh(time.Hour),
		upstream.WithPackValidator(func(name string, data []byte) (string, error) {
			p, err := scripts.Parse(name, data)
			if err != nil {
				return "", err
			}
			return p.Lang(), nil
		})))
	t.Cleanup(srv.Close)
	return h, srv
}

// linkDesk connects a test desk's backend to the hub at url with token.
func linkDesk(t *testing.T, b *deskBackend, st *store.Store, url, token string) *hubLink {
	t.Helper()
	cfg := b.cfg
	cfg.Hub.URL, cfg.Hub.Token = url, desk.Secret(token)
	l, err := newHubLink(cfg, st, b.d, quietLog, upstream.WithBackoff(10*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	b.setHub(l)
	return l
}

// saveComplaint files a complex complaint from a ringing unknown caller
// through the backend, as the wizard does.
func saveComplaint(t *testing.T, b *deskBackend) {
	t.Helper()
	emit(t, b, ring("021-6123-4567"), func(m ui.Model) bool { return m.Call != nil })
	draft := ui.ComplaintDraft{Statement: "送货师傅把地板划坏了", What: "地板划伤", When: "今天上午", Where: "客户家",
		Subject: "送货单 123", Wants: "赔偿", Severity: "complex", ReadBack: true}
	if _, err := b.SaveComplaint(draft); err != nil {
		t.Fatal(err)
	}
}

// waitModel polls the backend's model until ok, for at most 10 s.
func waitModel(t *testing.T, b *deskBackend, what string, ok func(ui.Model) bool) ui.Model {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := b.snapshot()
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s; model sync %q pending %d board %+v", what, m.Sync, m.Pending, m.Supervisor)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHubLink_NoHubNoLink(t *testing.T) {
	b, st, _ := newTestDesk(t)
	l, err := newHubLink(b.cfg, st, b.d, quietLog)
	if err != nil || l != nil {
		t.Fatalf("no hub URL: link %v, %v; want none", l, err)
	}
	l.start(context.Background()) // nil-safe, as main calls them
	l.stop()
	if m := b.snapshot(); m.Sync != "none" || m.Supervisor.FromHub {
		t.Errorf("without a hub: sync %q, board from hub %v", m.Sync, m.Supervisor.FromHub)
	}
	if err := (hubPack{link: l}).Publish("x"); !errors.Is(err, ui.ErrNeedsHub) {
		t.Errorf("publish without a hub = %v, want ErrNeedsHub", err)
	}
	cfg := b.cfg
	cfg.Hub.URL = "hub.example"
	if _, err := newHubLink(cfg, st, b.d, quietLog); err == nil {
		t.Error("a hub address without a scheme was accepted")
	}
}

func TestHubLink_SyncFeedsStatusBar(t *testing.T) {
	hub, url := serveMemHub(t)
	b, st, _ := newTestDesk(t)
	saveComplaint(t, b)
	l := linkDesk(t, b, st, url, "agent-tok")
	m := waitModel(t, b, "pending shown", func(m ui.Model) bool { return m.Sync == "pending" })
	if m.Pending == 0 {
		t.Fatalf("pending = 0 before any sync")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.syncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if hub.count(agent.KindComplaint) != 1 {
		t.Errorf("hub holds %d complaints, want 1", hub.count(agent.KindComplaint))
	}
	waitModel(t, b, "synced", func(m ui.Model) bool { return m.Sync == "ok" && m.Pending == 0 })
	if s := b.d.State().Sync; !s.Enabled || s.Pending != 0 || s.LastSync.IsZero() || s.Failing {
		t.Errorf("desk sync state = %+v, want enabled, 0 pending, a last sync", s)
	}
	last := b.d.State().Sync.LastSync
	if m := b.snapshot(); !m.LastSync.Equal(last) {
		t.Errorf("model last sync = %v, want %v", m.LastSync, last)
	}
	// The next start of the window shows it before its first round.
	b.d.SetSync(desk.SyncStatus{})
	linkDesk(t, b, st, url, "agent-tok")
	if m := b.snapshot(); m.Sync != "ok" || !m.LastSync.Equal(last) {
		t.Errorf("after a restart: sync %q, last %v; want ok, %v", m.Sync, m.LastSync, last)
	}

	// A wrong token: the round fails and the bar says offline.
	bad := linkDesk(t, b, st, url, "nobody")
	if err := bad.syncOnce(ctx); err == nil {
		t.Fatal("sync with an unknown token succeeded")
	}
	waitModel(t, b, "failing shown", func(m ui.Model) bool { return m.Sync == "offline" })
}

func TestHubLink_LiveStateAndSupervisorBoard(t *testing.T) {
	hub, url := serveMemHub(t)
	b, st, _ := newTestDesk(t)
	l := linkDesk(t, b, st, url, "agent-tok")
	ctx, cancel := context.WithCancel(context.Background())
	l.start(ctx)
	t.Cleanup(func() { cancel(); l.stop() })
	// The desk reports its agent at once (no sync round needed)…
	deadline := time.Now().Add(10 * time.Second)
	for {
		hub.mu.Lock()
		r, ok := hub.live[st.DeskID()]
		hub.mu.Unlock()
		if ok && r.Status.State == b.d.State().Agent.Status.String() && r.Status.Agent == "1001" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live report of agent 1001: %+v", hub.live)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// …and call events as they happen.
	emit(t, b, ring("13800138000"), func(m ui.Model) bool { return m.Call != nil })
	for deadline = time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		hub.mu.Lock()
		r := hub.live[st.DeskID()]
		hub.mu.Unlock()
		if len(r.Events) > 0 && r.Events[len(r.Events)-1].Kind == "ringing" && r.Events[len(r.Events)-1].CallID == "call-1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ringing event reported: %+v", r)
		}
	}
	// A supervisor's desk shows the hub's board, live.
	sb, sst, _ := newTestDesk(t)
	sl := linkDesk(t, sb, sst, url, "sup-tok")
	sctx, scancel := context.WithCancel(context.Background())
	sl.start(sctx)
	t.Cleanup(func() { scancel(); sl.stop() })
	m := waitModel(t, sb, "hub board", func(m ui.Model) bool {
		return m.Supervisor.FromHub && len(m.Supervisor.Agents) == 1 && m.Supervisor.Agents[0].Who == "1001"
	})
	if m.Supervisor.Agents[0].State != b.d.State().Agent.Status.String() {
		t.Errorf("board agent = %+v", m.Supervisor.Agents)
	}
	b.d.SetAgentState(agent.StatusBreak, agent.ReasonMeal)
	waitModel(t, sb, "break on the board", func(m ui.Model) bool {
		return len(m.Supervisor.Agents) == 1 && m.Supervisor.Agents[0].State == "break"
	})
	// A major complaint's alert reaches the board through the sync.
	a := agent.Alert{Kind: "major_complaint", Summary: "重大投诉：燃气灶漏气", At: at}
	if err := st.PutAlert(&a, at); err != nil {
		t.Fatal(err)
	}
	if err := l.syncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	waitModel(t, sb, "alert on the board", func(m ui.Model) bool {
		return len(m.Supervisor.Major) == 1 && strings.HasSuffix(m.Supervisor.Major[0], "重大投诉：燃气灶漏气")
	})
	// An agent's token may not read the board: its view stayed local
	// (its stream was refused long before the supervisor's board filled).
	if m := b.snapshot(); m.Supervisor.FromHub {
		t.Errorf("agent token: board from hub")
	}
}

func TestHubLink_Publish(t *testing.T) {
	hub, url := serveMemHub(t)
	b, st, _ := newTestDesk(t)
	pack, err := scripts.DefaultPackFile("zh-Hant")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		token, text, wantID string
	}{
		{"trainer-tok", string(pack), ""},
		{"agent-tok", string(pack), "tr.refused.role"},
		{"nobody", string(pack), "tr.refused.auth"},
		{"trainer-tok", "lang = \"en\"\n[broken", "tr.refused.invalid"},
	}
	for _, tc := range tests {
		l := linkDesk(t, b, st, url, tc.token)
		err := hubPack{link: l}.Publish(tc.text)
		var pe *ui.PublishError
		switch {
		case tc.wantID == "" && err != nil:
			t.Errorf("%s: publish = %v", tc.token, err)
		case tc.wantID != "" && (!errors.As(err, &pe) || pe.ID != tc.wantID):
			t.Errorf("%s: publish = %v, want %s", tc.token, err, tc.wantID)
		}
	}
	hub.mu.Lock()
	defer hub.mu.Unlock()
	if len(hub.packs) != 1 || hub.packs[0].Lang != "zh-Hant" || string(hub.packs[0].Data) != string(pack) {
		t.Errorf("hub packs = %d, want the one zh-Hant pack", len(hub.packs))
	}
	// The hub down: a clear error, not a refusal.
	l := linkDesk(t, b, st, "http://127.0.0.1:1", "trainer-tok")
	var pe *ui.PublishError
	if err := (hubPack{link: l}).Publish(string(pack)); !errors.As(err, &pe) || pe.ID != "tr.hubdown" {
		t.Errorf("publish to a closed port = %v, want tr.hubdown", err)
	}
}

func TestHubLink_SelfCheck(t *testing.T) {
	_, url := serveMemHub(t)
	b, st, _ := newTestDesk(t)
	saveComplaint(t, b)
	checks := func(l *hubLink) map[string]ui.CheckResult {
		cfg := b.cfg
		cfg.Data = t.TempDir()
		cfg.Hub.URL = l.base
		out := map[string]ui.CheckResult{}
		for _, r := range withHubChecks(selfCheck(cfg, st, &line{practice: true}), l) {
			out[r.Name] = r
		}
		return out
	}
	l := linkDesk(t, b, st, url, "agent-tok")
	got := checks(l)
	n, _, _ := st.OutboxStats()
	if n == 0 || !got["check.hub"].OK || !got["check.outbox"].OK || !strings.HasPrefix(got["check.outbox"].Detail, fmt.Sprint(n)+" · ") {
		t.Errorf("hub up, %d waiting: %+v", n, got)
	}
	bad := linkDesk(t, b, st, url, "nobody")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = bad.syncOnce(ctx)
	got = checks(bad)
	if got["check.hub"].OK || !strings.Contains(got["check.hub"].Detail, "401") {
		t.Errorf("unknown token: hub check %+v, want a failure naming 401", got["check.hub"])
	}
	if got["check.outbox"].OK {
		t.Errorf("records waiting while the sync fails: outbox check %+v, want a failure", got["check.outbox"])
	}
	if err := l.syncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got = checks(l); !got["check.outbox"].OK || !strings.HasPrefix(got["check.outbox"].Detail, "0 · ✓") {
		t.Errorf("after a sync: %+v", got["check.outbox"])
	}
}

func TestReadEvents(t *testing.T) {
	in := "event: board\ndata: {\"a\":1}\n\n: comment\n\nevent: alert\ndata: x\ndata: y\n\n"
	var got []string
	err := readEvents(strings.NewReader(in), func(name string, data []byte) { got = append(got, name+"="+string(data)) })
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("end of stream = %v, want ErrUnexpectedEOF", err)
	}
	if want := "board={\"a\":1}|alert=x\ny"; strings.Join(got, "|") != want {
		t.Errorf("events = %q, want %q", strings.Join(got, "|"), want)
	}
}

func TestHubLink_BoardFallsBackToLocalWhenHubGoes(t *testing.T) {
	_, srv := serveMemHubServer(t)
	b, st, _ := newTestDesk(t)
	l := linkDesk(t, b, st, srv.URL, "sup-tok")
	ctx, cancel := context.WithCancel(context.Background())
	l.start(ctx)
	t.Cleanup(func() { cancel(); l.stop() })
	waitModel(t, b, "hub board", func(m ui.Model) bool { return m.Supervisor.FromHub })
	srv.Listener.Close()
	srv.CloseClientConnections()
	m := waitModel(t, b, "local board", func(m ui.Model) bool { return !m.Supervisor.FromHub })
	if len(m.Supervisor.Agents) != 1 || m.Supervisor.Agents[0].Who != "1001" {
		t.Errorf("local board agents = %+v, want this desk's agent", m.Supervisor.Agents)
	}
}

func TestBoardModel(t *testing.T) {
	recv := time.Date(2026, 11, 23, 2, 5, 0, 0, time.UTC)
	alert, _ := json.Marshal(agent.Alert{Kind: "major_complaint", Summary: "重大投诉：漏气"})
	b := upstream.Board{
		Agents:   []upstream.BoardAgent{{Desk: "d1", Agent: "1001", State: "on_call"}, {Desk: "d2", State: "available"}},
		Queues:   []upstream.BoardQueue{{Queue: "sales", Ringing: 1, Talking: 2}},
		Alerts:   []upstream.BoardAlert{{ID: "a1", Desk: "d1", Received: recv, Body: alert}, {ID: "a2", Received: recv, Body: []byte(`{}`)}},
		Overdue:  []upstream.BoardOverdue{{ID: "c1", Desk: "d1", Due: recv}},
		Today:    []upstream.BoardStats{{Desk: "d1", Inbound: 4, Outbound: 1, Answered: 3, Missed: 1}},
		Unsynced: []upstream.BoardDesk{{Desk: "d1", Pending: 7, Oldest: recv}, {Desk: "d9", Pending: 1}},
	}
	got := boardModel(b, []string{"重大投诉：漏气", "本机：未同步的重大投诉"})
	hm := recv.Local().Format("15:04")
	want := ui.Board{FromHub: true,
		Agents:   []ui.BoardRow{{Who: "1001", State: "on_call"}, {Who: "d2", State: "available"}},
		Queues:   []string{"sales: 1 ☎ / 2 ✆"},
		Major:    []string{hm + " 重大投诉：漏气", hm + " a2", "本机：未同步的重大投诉"},
		Overdue:  []string{recv.Local().Format("01-02 15:04") + " c1"},
		Today:    []ui.AgentStats{{Who: "1001", Inbound: 4, Outbound: 1, Answered: 3, Missed: 1}},
		Unsynced: []string{"1001: 7 · " + recv.Local().Format("01-02 15:04"), "d9: 1"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("board\n got %+v\nwant %+v", got, want)
	}
}
