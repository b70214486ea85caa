package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
)

// syncHub is a small stand-in for the hub speaking the wire protocol: it
// keeps what is pushed and serves one customer and one pack.
type syncHub struct {
	mu       sync.Mutex
	pushed   []upstream.Record
	customer agent.Customer
}

func (h *syncHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer good" {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(upstream.ErrorBody{Error: "unknown or missing token"})
		return
	}
	switch r.URL.Path {
	case "/v1/push":
		var req upstream.PushRequest
		json.NewDecoder(r.Body).Decode(&req)
		h.mu.Lock()
		h.pushed = append(h.pushed, req.Records...)
		h.mu.Unlock()
		json.NewEncoder(w).Encode(upstream.PushResponse{AckSeq: req.Records[len(req.Records)-1].Seq, Stored: len(req.Records)})
	case "/v1/customers":
		page := upstream.CustomerPage{Customers: []upstream.Record{}, Next: 1}
		if r.URL.Query().Get("since") == "0" {
			b, _ := json.Marshal(h.customer)
			page.Customers = append(page.Customers, upstream.Record{Seq: 1, Kind: agent.KindCustomer, ID: h.customer.ID, Version: h.customer.Version, Body: b})
		}
		json.NewEncoder(w).Encode(page)
	case "/v1/packs/latest":
		json.NewEncoder(w).Encode(upstream.Pack{ID: 7, Lang: r.URL.Query().Get("lang"), Name: "hotline.toml", Data: []byte("pack"), PublishedAt: time.Now()})
	default:
		http.NotFound(w, r)
	}
}

func runSync(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"sync"}, args...), &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

func TestSync_Once_PushesAndPulls(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := agent.Alert{Kind: "major_complaint", Summary: "重大投诉", At: time.Now()}
	if err := s.PutAlert(&a, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()

	hub := &syncHub{customer: agent.Customer{Meta: agent.Meta{ID: agent.NewID(), Version: 3, Desk: "other-desk"}, Name: "周七", Phones: []string{"+8613912345678"}}}
	srv := httptest.NewServer(hub)
	defer srv.Close()

	code, stdout, stderr := runSync(t, "--hub", srv.URL, "--token", "good", "--once", "--data", dir)
	if code != 0 {
		t.Fatalf("sync --once = %d, stderr %s", code, stderr)
	}
	var st upstream.Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status %q: %v", stdout, err)
	}
	if st.Pending != 0 || st.Pushed != 1 || st.Pulled != 1 || st.PackID != 7 || st.LastSync.IsZero() || st.LastError != "" {
		t.Errorf("status = %+v, want 1 pushed, 1 pulled, pack 7, nothing pending", st)
	}
	if len(hub.pushed) != 1 || hub.pushed[0].ID != a.ID || hub.pushed[0].Kind != agent.KindAlert {
		t.Errorf("hub got %+v, want the alert", hub.pushed)
	}

	s, err = store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _, _ := s.OutboxStats(); n != 0 {
		t.Errorf("outbox holds %d after a confirmed sync", n)
	}
	found, err := s.LookupPhone("139 1234 5678")
	if err != nil || len(found) != 1 || found[0].Name != "周七" {
		t.Errorf("lookup of the pulled customer's number = %+v, %v", found, err)
	}
	if n, _, _ := s.OutboxStats(); n != 0 {
		t.Errorf("a pulled customer was queued back upstream")
	}
	if v, err := s.SyncCursor("last_sync"); err != nil || v != st.LastSync.UnixNano() {
		t.Errorf("kept last sync = %d (%v), want %d", v, err, st.LastSync.UnixNano())
	}
	if p, err := s.LatestPack("zh-Hans"); err != nil || p.ID != 7 {
		t.Errorf("kept pack = %+v, %v; want pack 7", p, err)
	}
}

func TestSync_Once_WrongTokenKeepsOutbox(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := agent.Alert{Kind: "major_complaint", Summary: "x", At: time.Now()}
	if err := s.PutAlert(&a, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	srv := httptest.NewServer(&syncHub{})
	defer srv.Close()
	code, stdout, stderr := runSync(t, "--hub", srv.URL, "--token", "bad", "--once", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "401") || !strings.Contains(stdout, `"pending":1`) {
		t.Fatalf("sync with a wrong token = %d, stdout %s, stderr %s; want exit 1, the 401 named, 1 pending", code, stdout, stderr)
	}
}

func TestSync_Usage(t *testing.T) {
	t.Setenv("AGENTDESK_HUB_TOKEN", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--once", "--data", dir}, 2, "usage: deskctl sync"},
		{[]string{"--hub", "http://127.0.0.1:1", "--once", "--data", dir}, 1, "no hub token"},
		{[]string{"--hub", "hub.example", "--token", "t", "--once", "--data", dir}, 1, "want http(s)"},
	} {
		code, _, stderr := runSync(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("sync %v = %d %q, want %d naming %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*")); len(matches) != 0 {
		t.Errorf("refused commands created %v", matches)
	}
}

// BenchmarkSync_Drain times draining b.N queued records from a real desk
// file (bbolt outbox reads and acks, HTTP, JSON) into a hub stand-in that
// acknowledges at once. The hub's own side is `hub bench drain`.
//
//	go test -run=^$ -bench=BenchmarkSync_Drain -benchtime=100000x ./cmd/deskctl
func BenchmarkSync_Drain(b *testing.B) {
	dir := b.TempDir()
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithNoSync(), store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for range b.N {
		a := agent.Alert{Kind: "major_complaint", Summary: "重大投诉：送货延误三天，客户要求赔偿", At: now}
		if err := s.PutAlert(&a, now); err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	hub := &syncHub{customer: agent.Customer{Meta: agent.Meta{ID: agent.NewID(), Version: 1}, Name: "x", Phones: []string{"+8613912345678"}}}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	b.ResetTimer()
	code, _, stderr := runSync(b, "--hub", srv.URL, "--token", "good", "--once", "--data", dir)
	b.StopTimer()
	if code != 0 || len(hub.pushed) != b.N {
		b.Fatalf("sync = %d (%s), hub got %d of %d", code, stderr, len(hub.pushed), b.N)
	}
}
