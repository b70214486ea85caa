package store_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

const (
	crashPathEnv = "AGENTDESK_CRASH_CHILD_DB"
	crashRunEnv  = "AGENTDESK_CRASH_CHILD_RUN"
	crashCustEnv = "AGENTDESK_CRASH_CHILD_CUSTOMER"
)

// TestHelperProcessComplaintSaves is the child of TestCrash_KillDuringSaves: it saves
// complaint steps as fast as it can and prints "ack ID VERSION TEXT" for
// each save only after PutComplaint returned.
func TestHelperProcessComplaintSaves(t *testing.T) {
	path := os.Getenv(crashPathEnv)
	if path == "" {
		t.Skip("child process of TestCrash_KillDuringSaves")
	}
	s, err := store.Open(path, store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), store.WithLockTimeout(10*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	run := os.Getenv(crashRunEnv)
	p := agent.DefaultReplyPolicy()
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	stop := time.Now().Add(30 * time.Second) // the parent kills it long before
	for i := 0; time.Now().Before(stop); i++ {
		c, err := agent.NewComplaint(os.Getenv(crashCustEnv), "agent", agent.ChannelPhone, at)
		if err != nil {
			os.Exit(4)
		}
		c.ID = agent.NewID()
		tag := func(step string) string { return fmt.Sprintf("run%s-case%d-%s", run, i, step) }
		var alert *agent.Alert
		steps := []struct {
			text string
			do   func(text string) error
		}{
			{tag("listen"), func(x string) error { return c.Listen(x, at) }},
			{tag("ask"), func(x string) error {
				return c.Ask(agent.Facts{What: x, When: "w", Where: "w", Subject: "s", Wants: "x"}, true, at)
			}},
			{tag("follow"), func(x string) error {
				var err error
				alert, err = c.Follow(agent.FollowInput{Severity: agent.Severity(i%3 + 1), ReplyDue: at.Add(9 * time.Hour), DueReason: x}, at, p)
				return err
			}},
			{tag("note"), func(x string) error { return c.AddFollowUp(x, at) }},
			{tag("reply"), func(x string) error {
				return c.Reply(agent.ReplyInput{How: "电话", Said: x, Accepted: true}, at)
			}},
			{tag("record"), func(x string) error { return c.Record(x, "p", "r", at) }},
		}
		for _, st := range steps {
			if err := st.do(st.text); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(5)
			}
			var alerts []*agent.Alert
			if alert != nil {
				alerts, alert = []*agent.Alert{alert}, nil
			}
			if err := s.PutComplaint(c, at, alerts...); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(6)
			}
			fmt.Printf("ack %s %d %s\n", c.ID, c.Version, st.text)
		}
	}
	os.Exit(0)
}

type crashAck struct {
	version int64
	texts   []string
}

// TestCrash_KillDuringSaves kills a child that is saving complaint steps
// with SIGKILL at random moments, 100 times (10 with -short). After each
// kill the file opens, passes bbolt's consistency check, and holds every
// step whose save had returned.
func TestCrash_KillDuringSaves(t *testing.T) {
	kills := 100
	if testing.Short() {
		kills = 10
	}
	path := filepath.Join(t.TempDir(), "desk.db")
	quiet := store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	s, err := store.Open(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	cust := putComplaintCustomer(t, s, true)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]*crashAck{}
	total := 0
	for run := range kills {
		lines := runComplaintChildAndKill(t, path, cust, run)
		for _, l := range lines {
			f := strings.SplitN(l, " ", 4)
			if len(f) != 4 || f[0] != "ack" {
				continue
			}
			v, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil {
				t.Fatalf("bad ack line %q", l)
			}
			a := acked[f[1]]
			if a == nil {
				a = &crashAck{}
				acked[f[1]] = a
			}
			a.version = v
			a.texts = append(a.texts, f[3])
			total++
		}
		s, err := store.Open(path, quiet)
		if err != nil {
			t.Fatalf("run %d: open after kill: %v", run, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("run %d: consistency check after kill: %v", run, err)
		}
		for id, a := range acked {
			c, err := s.Complaint(id)
			if err != nil {
				t.Fatalf("run %d: acknowledged case %s: %v", run, id, err)
			}
			if c.Version < a.version {
				t.Fatalf("run %d: case %s at version %d, version %d was acknowledged", run, id, c.Version, a.version)
			}
			b, _ := json.Marshal(c)
			for _, x := range a.texts {
				if !strings.Contains(string(b), x) {
					t.Fatalf("run %d: case %s lost acknowledged step %q", run, id, x)
				}
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if total == 0 {
		t.Fatal("no save was ever acknowledged: the test proved nothing")
	}
	t.Logf("%d kills, %d acknowledged saves, %d cases checked", kills, total, len(acked))
}

// runComplaintChildAndKill starts the child, kills it at a random moment and returns the
// complete lines it printed.
func runComplaintChildAndKill(t *testing.T, path, cust string, run int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessComplaintSaves$")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashRunEnv+"="+strconv.Itoa(run), crashCustEnv+"="+cust)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	done := make(chan []string)
	go func() {
		var all []string
		r := bufio.NewReader(out)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				break // a last line without its newline was cut by the kill: not acknowledged
			}
			l = strings.TrimSuffix(l, "\n")
			all = append(all, l)
			select {
			case lines <- l:
			default:
			}
		}
		done <- all
	}()
	if run%10 != 0 {
		// Most runs: kill while saves are under way, a random time after the first.
		select {
		case <-lines:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("run %d: child acknowledged nothing in 20 s: %s", run, stderr.String())
		}
	}
	// Every tenth run kills without waiting, perhaps while the child opens the file.
	time.Sleep(time.Duration(rand.IntN(30_000)) * time.Microsecond) // the random moment, not a readiness wait
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("run %d: kill: %v", run, err)
	}
	all := <-done
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("run %d: child ended by itself (%v) before the kill: %s", run, err, stderr.String())
	}
	return all
}
