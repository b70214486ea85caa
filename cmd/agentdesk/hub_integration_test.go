package main

import (
	"bufio"
	"context"
	"errors"
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
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
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

// TestIntegration_DeskThroughRealHub: a complaint saved at the desk reaches
// the hub by the window's in-process sync, the status bar then shows
// nothing waiting and a last-sync time; a trainer's pack published from the
// trainer view reaches the hub (and the desk's next sync); a supervisor's
// desk reads the board, with the agent desk on it, from the hub.
func TestIntegration_DeskThroughRealHub(t *testing.T) {
	hub := startRealHub(t)
	agentTok := hub.token(t, "agent", "desk-1001")
	supTok := hub.token(t, "supervisor", "sup")
	trainerTok := hub.token(t, "trainer", "trainer")

	b, st, _ := newTestDesk(t)
	saveComplaint(t, b)
	cs, err := st.Complaints(store.ComplaintFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("complaints at the desk: %d, %v", len(cs), err)
	}
	l := linkDesk(t, b, st, hub.url, agentTok)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := l.syncOnce(ctx); err != nil {
		t.Fatalf("sync: %v", err)
	}
	if v, d := hub.stored(t, agent.KindComplaint, cs[0].ID); v != cs[0].Version || d != st.DeskID() {
		t.Errorf("hub holds version %d from desk %s, want %d from %s", v, d, cs[0].Version, st.DeskID())
	}
	waitModel(t, b, "synced", func(m ui.Model) bool { return m.Sync == "ok" && m.Pending == 0 })
	if s := b.d.State().Sync; s.Pending != 0 || s.LastSync.IsZero() || s.Failing {
		t.Errorf("desk sync state = %+v, want 0 pending and a last sync", s)
	}

	// Publish from the trainer view's tools.
	pack, err := scripts.DefaultPackFile("zh-Hant")
	if err != nil {
		t.Fatal(err)
	}
	tb, tst, _ := newTestDesk(t)
	trainer := hubPack{link: linkDesk(t, tb, tst, hub.url, trainerTok)}
	if err := trainer.Publish(string(pack)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	var pe *ui.PublishError
	if err := (hubPack{link: l}).Publish(string(pack)); !errors.As(err, &pe) || pe.ID != "tr.refused.role" {
		t.Errorf("an agent's token publishing = %v, want tr.refused.role", err)
	}
	if err := l.syncOnce(ctx); err != nil {
		t.Fatalf("sync after publish: %v", err)
	}
	got, err := st.LatestPack("zh-Hant")
	if err != nil || string(got.Data) != string(pack) {
		t.Errorf("the desk's pulled zh-Hant pack = %d bytes, %v; want the published one", len(got.Data), err)
	}

	// The board, live, on a supervisor's desk.
	actx, acancel := context.WithCancel(context.Background())
	l.start(actx)
	t.Cleanup(func() { acancel(); l.stop() })
	sb, sst, _ := newTestDesk(t)
	sl := linkDesk(t, sb, sst, hub.url, supTok)
	sctx, scancel := context.WithCancel(context.Background())
	sl.start(sctx)
	t.Cleanup(func() { scancel(); sl.stop() })
	waitModel(t, sb, "the agent desk on the hub's board", func(m ui.Model) bool {
		for _, a := range m.Supervisor.Agents {
			if m.Supervisor.FromHub && a.Who == "1001" && a.State == b.d.State().Agent.Status.String() {
				return true
			}
		}
		return false
	})
	if err := b.d.SetAgentState(agent.StatusBreak, agent.ReasonMeal); err != nil {
		t.Fatal(err)
	}
	waitModel(t, sb, "the break on the board", func(m ui.Model) bool {
		for _, a := range m.Supervisor.Agents {
			if a.Who == "1001" && a.State == "break" {
				return true
			}
		}
		return false
	})
}
