package shift

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// memHub is an in-memory hub behind real HTTP that can be taken down (its
// address then refuses connections, as a hub that is away).
type memHub struct {
	mem *upstreamtest.Hub
	srv *httptest.Server
}

func startHub(t *testing.T) *memHub {
	t.Helper()
	mem := upstreamtest.NewHub()
	mem.AddToken("desk-token", upstream.Principal{Name: "desk-pc-1", Role: upstream.RoleAgent})
	mem.AddAgent(upstream.AgentInfo{Number: "8001", Name: "李娜", Role: upstream.RoleAgent}, "2468", &upstream.SIPAccount{User: "8001", Password: "sip-8001"})
	mem.AddAgent(upstream.AgentInfo{Number: "9001", Name: "王班长", Role: upstream.RoleSupervisor}, "1357", nil)
	srv := httptest.NewServer(upstream.NewServer(mem, upstream.WithServerLogger(quiet)))
	t.Cleanup(srv.Close)
	return &memHub{mem: mem, srv: srv}
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func gateFor(t *testing.T, url, dir string, clk agent.Clock) *Gate {
	t.Helper()
	cfg := desk.Defaults()
	cfg.Data = dir
	cfg.Hub.URL, cfg.Hub.Token = url, "desk-token"
	g, err := New(cfg, clk, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Online: the hub checks the PIN and the desk keeps what it needs for the
// next sign-in offline; the data file is sealed behind the desk key and
// the agent's PIN, and opens again offline with the PIN alone.
func TestSignIn_OnlineThenOffline(t *testing.T) {
	h := startHub(t)
	dir := t.TempDir()
	clk := &clock{time.Now()}
	g := gateFor(t, h.srv.URL, dir, clk)
	ctx := context.Background()

	if _, err := g.SignIn(ctx, "8001", "0000"); !errors.Is(err, desk.ErrWrongPIN) {
		t.Fatalf("wrong PIN online: %v", err)
	}
	s, err := g.SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if s.Number != "8001" || s.Name != "李娜" || s.Role != agent.RoleAgent || s.Offline || s.Session == "" ||
		s.SIP == nil || s.SIP.User != "8001" || s.Desk == "" {
		t.Fatalf("online shift = %+v", s)
	}
	st, err := g.OpenStore(s, store.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if !st.Sealed() || st.DeskID() != s.Desk {
		t.Errorf("sealed %v desk %q, want sealed desk %q", st.Sealed(), st.DeskID(), s.Desk)
	}
	c := &agent.Customer{Name: "王先生", Phones: []string{"13800138000"}}
	if err := st.PutCustomer(c, clk.t); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := g.SignOut(ctx, s); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(raw), "2468") {
		t.Error("shift.json holds the PIN")
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("shift.json: %v %v", fi, err)
	}

	h.srv.Close() // the hub is away
	if _, err := g.SignIn(ctx, "9001", "1357"); !errors.Is(err, desk.ErrSignInNeedsHub) {
		t.Errorf("an agent never signed in here, offline: %v", err)
	}
	off, err := g.SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if !off.Offline || off.Session != "" || off.SIP != nil || off.Name != "李娜" {
		t.Errorf("offline shift = %+v", off)
	}
	st, err = g.OpenStore(off, store.WithLogger(quiet))
	if err != nil {
		t.Fatalf("open offline: %v", err)
	}
	if got, err := st.LookupPhone("13800138000"); err != nil || len(got) != 1 {
		t.Errorf("lookup offline: %v %v", got, err)
	}
	st.Close()

	// Wrong PINs offline: the first few are told so, then the number is
	// locked for a while, even for the right PIN.
	for i := range upstream.SignInFreeTries - 1 {
		if _, err := g.SignIn(ctx, "8001", "9999"); !errors.Is(err, desk.ErrWrongPIN) {
			t.Fatalf("wrong PIN %d offline: %v", i+1, err)
		}
	}
	var locked *desk.SignInLockedError
	if _, err := g.SignIn(ctx, "8001", "9999"); !errors.As(err, &locked) || locked.RetryAfter <= 0 {
		t.Fatalf("the 5th wrong PIN: %v, want locked", err)
	}
	if _, err := g.SignIn(ctx, "8001", "2468"); !errors.As(err, &locked) {
		t.Fatalf("the right PIN while locked: %v", err)
	}
	clk.t = clk.t.Add(locked.RetryAfter + time.Second)
	if _, err := g.SignIn(ctx, "8001", "2468"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}

	// Past the verifier's life, offline sign-in is over.
	clk.t = clk.t.Add(upstream.DefaultOfflineTTL)
	if _, err := g.SignIn(ctx, "8001", "2468"); !errors.Is(err, desk.ErrSignInExpired) {
		t.Errorf("offline after the verifier's life: %v", err)
	}
}

// The hub's refusals reach the desk as the desk's errors.
func TestSignIn_Refusals(t *testing.T) {
	h := startHub(t)
	dir := t.TempDir()
	g := gateFor(t, h.srv.URL, dir, nil)
	ctx := context.Background()
	h.mem.DisableAgent("9001")
	if _, err := g.SignIn(ctx, "9001", "1357"); !errors.Is(err, desk.ErrAgentDisabled) {
		t.Errorf("disabled: %v", err)
	}
	for range upstream.SignInFreeTries {
		_, _ = g.SignIn(ctx, "8001", "1111")
	}
	var locked *desk.SignInLockedError
	if _, err := g.SignIn(ctx, "8001", "2468"); !errors.As(err, &locked) || locked.RetryAfter <= 0 {
		t.Errorf("locked on the hub: %v", err)
	}
	if _, err := g.SignIn(ctx, "", "2468"); !errors.Is(err, desk.ErrWrongPIN) {
		t.Errorf("no number: %v", err)
	}
	bad := gateFor(t, h.srv.URL, t.TempDir(), nil)
	bad.cfg.Hub.Token = "revoked"
	if _, err := bad.SignIn(ctx, "9001", "1357"); !errors.Is(err, desk.ErrDeskRefused) {
		t.Errorf("desk token refused: %v", err)
	}
}

// A desk that pinned one hub's key refuses a hub signing with another.
func TestSignIn_HubKeyPinned(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	first := startHub(t)
	if _, err := gateFor(t, first.srv.URL, dir, nil).SignIn(ctx, "8001", "2468"); err != nil {
		t.Fatal(err)
	}
	other := startHub(t) // a new hub key
	if _, err := gateFor(t, other.srv.URL, dir, nil).SignIn(ctx, "8001", "2468"); !errors.Is(err, desk.ErrHubKeyChanged) {
		t.Errorf("another hub's key: %v", err)
	}
}
