package hublink

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/scripts"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// realHub is the hub binary (cmd/hub, built by the test) on a throwaway
// PostgreSQL database, listening on a loopback port it picks.
type realHub struct {
	bin, dsn, url string
}

func startRealHub(t *testing.T) *realHub {
	t.Helper()
	if !pgtest.Integration() {
		t.Skip("set AGENTDESK_INTEGRATION=1 to run against a real hub and PostgreSQL")
	}
	dsn := pgtest.New(t)
	bin := filepath.Join(t.TempDir(), "hub")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "agentdesk/cmd/hub").CombinedOutput(); err != nil {
		t.Fatalf("build hub: %v\n%s", err, out)
	}
	hctx, hcancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(hctx, bin, "--pg", dsn, "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hub: %v", err)
	}
	t.Cleanup(func() { hcancel(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`addr"?[=:]"?(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	h := &realHub{bin: bin, dsn: dsn}
	select {
	case a := <-addr:
		h.url = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("hub did not say where it listens within 60 s")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(h.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub not healthy within 30 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *realHub) token(t *testing.T, role, name string) string {
	t.Helper()
	out, err := exec.Command(h.bin, "token", "add", "--pg", h.dsn, "--role", role, "--name", name).Output()
	if err != nil {
		t.Fatalf("hub token add %s: %v", role, err)
	}
	return strings.TrimSpace(string(out))
}

func (h *realHub) stored(t *testing.T, kind agent.Kind, id string) (version int64, desk string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	err = conn.QueryRow(ctx, "SELECT version, desk FROM records WHERE kind = $1 AND id = $2", string(kind), id).Scan(&version, &desk)
	if err != nil {
		t.Fatalf("the hub holds no %s %s: %v", kind, id, err)
	}
	return version, desk
}

// newTestDesk is a desk on a fresh data file, for agent number.
func newTestDesk(t *testing.T, number string) (*desk.Desk, *store.Store) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	packs, err := desk.LoadPacks(desk.Config{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := desk.Defaults()
	cfg.AgentNumber = number
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Practice: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, st
}

// link connects d to the hub at url with token, fast for tests.
func link(t *testing.T, d *desk.Desk, st *store.Store, url, token string) *Link {
	t.Helper()
	cfg := desk.Defaults()
	cfg.Hub.URL, cfg.Hub.Token = url, desk.Secret(token)
	l, err := New(cfg, st, slog.Default(), upstream.WithInterval(200*time.Millisecond), upstream.WithStreamBackoff(50*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	l.Attach(d)
	return l
}

// waitView waits up to 20 s for d's view to satisfy ok.
func waitView(t *testing.T, d *desk.Desk, what string, ok func(desk.View) bool) desk.View {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		v := d.View()
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: view %+v", what, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// saveComplaint files a complete intake for a customer of d's store.
func saveComplaint(t *testing.T, d *desk.Desk, st *store.Store) agent.Complaint {
	t.Helper()
	cu := &agent.Customer{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phones: []string{"13800138000"}}
	if err := st.PutCustomer(cu, time.Now()); err != nil {
		t.Fatal(err)
	}
	in := agent.ComplaintInput{CustomerID: cu.ID, Owner: "1001", OpenedAt: time.Now(),
		Listen: &agent.ListenStep{Statement: "冰箱没送到"},
		Ask:    &agent.AskStep{Facts: agent.Facts{What: "冰箱未送达", When: "上周", Where: "上海", Subject: "订单 1", Wants: "送货"}, ReadBack: true},
		Follow: &agent.FollowStepInput{FollowInput: agent.FollowInput{Severity: agent.SeveritySimple}}}
	c, alerts, err := agent.BuildComplaint(in, agent.DefaultReplyPolicy(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutComplaint(c, time.Now(), alerts...); err != nil {
		t.Fatal(err)
	}
	return *c
}

// TestIntegration_DeskThroughRealHub: a complaint saved at the desk reaches
// the hub through the link's sync, and the desk's view then shows nothing
// waiting and a last-sync time; a trainer's pack published through the link
// reaches the hub, the desk's next sync applies it at once (the status bar
// names its version); an agent's token may not publish (translated refusal
// type); a supervisor's desk reads the board, with the agent desk on it,
// from the hub, and sees the agent's break within seconds.
func TestIntegration_DeskThroughRealHub(t *testing.T) {
	hub := startRealHub(t)
	agentTok := hub.token(t, "agent", "desk-1001")
	supTok := hub.token(t, "supervisor", "sup")
	trainerTok := hub.token(t, "trainer", "trainer")

	d, st := newTestDesk(t, "1001")
	c := saveComplaint(t, d, st)
	l := link(t, d, st, hub.url, agentTok)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := l.Client().SyncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if v, dk := hub.stored(t, agent.KindComplaint, c.ID); v != c.Version || dk != st.DeskID() {
		t.Errorf("hub holds version %d from desk %s, want %d from %s", v, dk, c.Version, st.DeskID())
	}
	waitView(t, d, "synced", func(v desk.View) bool { return v.Sync.Enabled && v.Sync.Pending == 0 && !v.Sync.LastSync.IsZero() })

	pack, err := scripts.DefaultPackFile("zh-Hant")
	if err != nil {
		t.Fatal(err)
	}
	td, tst := newTestDesk(t, "t1")
	tl := link(t, td, tst, hub.url, trainerTok)
	pv, err := tl.Publish(ctx, "pack.toml", pack)
	if err != nil || pv.Version == 0 {
		t.Fatalf("publish: %+v, %v", pv, err)
	}
	if _, err := l.Publish(ctx, "pack.toml", pack); !errors.Is(err, desk.ErrHubRole) {
		t.Errorf("an agent's token publishing = %v, want desk.ErrHubRole", err)
	}
	if err := l.Client().SyncOnce(ctx); err != nil {
		t.Fatalf("sync while pending: %v", err)
	}
	if got, err := st.LatestPack("zh-Hant"); err == nil {
		t.Fatalf("the desk took pending version %d", got.ID)
	}
	sc, err := upstream.NewClient(hub.url, supTok, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Review(ctx, pv.Version, true, ""); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if err := l.Client().SyncOnce(ctx); err != nil {
		t.Fatalf("sync after publish: %v", err)
	}
	got, err := st.LatestPack("zh-Hant")
	if err != nil || string(got.Data) != string(pack) {
		t.Errorf("the desk's pulled zh-Hant pack = %d bytes, %v; want the published one", len(got.Data), err)
	}
	if err := d.SetLang("zh-Hant"); err != nil {
		t.Fatal(err)
	}
	waitView(t, d, "the published pack in use", func(v desk.View) bool { return v.Pack.Version == pv.Version })

	// The board, live, on a supervisor's desk.
	actx, acancel := context.WithCancel(context.Background())
	l.Start(actx)
	t.Cleanup(func() { acancel(); l.Stop() })
	sd, sst := newTestDesk(t, "s1")
	sl := link(t, sd, sst, hub.url, supTok)
	sctx, scancel := context.WithCancel(context.Background())
	sl.Start(sctx)
	t.Cleanup(func() { scancel(); sl.Stop() })
	if err := d.SetAgentState(agent.StatusAvailable, agent.ReasonNone); err != nil {
		t.Fatal(err)
	}
	waitView(t, sd, "the agent desk on the hub's board", func(v desk.View) bool {
		for _, a := range v.Board.Agents {
			if v.Board.FromHub && a.Agent == "1001" && a.Status == "available" {
				return true
			}
		}
		return false
	})
	if err := d.SetAgentState(agent.StatusBreak, agent.ReasonMeal); err != nil {
		t.Fatal(err)
	}
	waitView(t, sd, "the break on the board", func(v desk.View) bool {
		for _, a := range v.Board.Agents {
			if a.Agent == "1001" && a.Status == "break" {
				return true
			}
		}
		return false
	})
	// An agent's token may not read the board: the agent's desk keeps its own.
	if v := d.View(); v.Board.FromHub {
		t.Errorf("the agent desk shows a hub board; its token may not read one")
	}
}
