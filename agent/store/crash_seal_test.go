package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"

	bolt "go.etcd.io/bbolt"
)

const sealChildEnv = "AGENTDESK_SEAL_CHILD_DB"

// TestHelperProcessSeal is the child of TestCrash_KillDuringSealing: it
// opens a plain file with a key, which seals it, and says when it starts.
func TestHelperProcessSeal(t *testing.T) {
	path := os.Getenv(sealChildEnv)
	if path == "" {
		t.Skip("child process of TestCrash_KillDuringSealing")
	}
	fmt.Println("opening")
	s, err := store.Open(path, quiet(), store.WithUnlock(hubKey), store.WithLockTimeout(10*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	s.Close()
	fmt.Println("sealed")
	os.Exit(0)
}

// crashFixture writes a plain file big enough for sealing to take a while:
// customers, complaints, calls and callbacks, a partly acknowledged outbox.
func crashFixture(t *testing.T, path string, customers int) {
	t.Helper()
	s := openWith(t, path, store.WithNoSync())
	var csv strings.Builder
	csv.WriteString("姓名,电话,会员,地址\n")
	for i := range customers {
		fmt.Fprintf(&csv, "客户%d,%s;0755-%08d,%s,深圳市福田区%d号\n", i, benchNumber(i), i, map[bool]string{true: "是", false: "否"}[i%5 == 0], i)
	}
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	if _, err := s.ImportCSV(strings.NewReader(csv.String()), "crash.csv", at); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		cu := lookup1(t, s, benchNumber(i))
		c, _ := followedCase(t, cu.ID, agent.Severity(i%3+1), at.Add(time.Duration(i)*time.Minute))
		c.ID = agent.NewID()
		if err := s.PutComplaint(c, at); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCall(&agent.Call{At: at.Add(time.Duration(i) * time.Minute), Number: benchNumber(i), CustomerID: cu.ID, Agent: "8001"}, at); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCallback(&agent.Callback{CustomerID: cu.ID, Agent: "8002", Due: at}, at); err != nil {
			t.Fatal(err)
		}
	}
	out, err := s.Outbox(100)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AckOutbox(out[99].Seq); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSyncCursor("customers", 42); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// fullSnap is snap plus every customer and a lookup of every number.
func fullSnap(t *testing.T, s *store.Store, customers int) snapshot {
	t.Helper()
	sn := snap(t, s)
	if len(sn.Customers) != customers {
		t.Fatalf("%d customers, want %d", len(sn.Customers), customers)
	}
	for i := range customers {
		cs, err := s.LookupPhone(benchNumber(i))
		if err != nil {
			t.Fatal(err)
		}
		sn.Lookups[benchNumber(i)] = ids(cs)
		cs, err = s.LookupPhone(fmt.Sprintf("0755-%08d", i))
		if err != nil {
			t.Fatal(err)
		}
		sn.Lookups[fmt.Sprintf("0755-%08d", i)] = ids(cs)
	}
	return sn
}

func isSealed(t *testing.T, path string) bool {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("the file left by the kill does not open: %v", err)
	}
	defer db.Close()
	var sealed bool
	db.View(func(tx *bolt.Tx) error {
		sealed = tx.Bucket([]byte("meta")).Get([]byte("seal")) != nil
		return nil
	})
	return sealed
}

// TestCrash_KillDuringSealing kills (SIGKILL) a child that seals a plain
// file at moments spread over the sealing's duration. After each kill the
// file at the path is either the plain file or the sealed one, opens (and
// is sealed by that open if it was still plain), leaves no copy behind,
// and holds every record it held before: customers, every number's lookup,
// complaints and their list lines, calls, callbacks, alerts, the outbox and
// the sync cursor.
func TestCrash_KillDuringSealing(t *testing.T) {
	customers, kills := 6_000, 20
	if testing.Short() {
		customers, kills = 2_000, 6
	}
	dir := t.TempDir()
	pristine := filepath.Join(dir, "pristine.db")
	crashFixture(t, pristine, customers)
	data, err := os.ReadFile(pristine)
	if err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(dir, "ref.db")
	if err := os.WriteFile(ref, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := openWith(t, ref)
	want := fullSnap(t, s, customers)
	s.Close()
	// How long sealing takes here: where to spread the kills (not asserted).
	start := time.Now()
	s = openWith(t, ref, store.WithUnlock(hubKey))
	took := time.Since(start)
	s.Close()
	t.Logf("sealing %d customers took %v", customers, took)

	path := filepath.Join(dir, "desk.db")
	outcomes := map[bool]int{}
	for run := range kills {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		at := time.Duration(float64(took) * 2 * (float64(run) + rand.Float64()) / float64(kills))
		killSealAt(t, path, at)
		sealed := isSealed(t, path)
		outcomes[sealed]++
		s := openWith(t, path, store.WithUnlock(hubKey))
		if err := s.Check(); err != nil {
			t.Fatalf("run %d (killed after %v, sealed %v): consistency: %v", run, at, sealed, err)
		}
		if err := s.CheckIndexes(); err != nil {
			t.Fatalf("run %d: indexes: %v", run, err)
		}
		got := fullSnap(t, s, customers)
		s.Close()
		if !reflect.DeepEqual(got, want) {
			gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
			for i := range gv.NumField() {
				if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
					t.Errorf("run %d (killed after %v, file sealed %v): %s differ", run, at, sealed, gv.Type().Field(i).Name)
				}
			}
			t.FailNow()
		}
		if left, _ := filepath.Glob(filepath.Join(dir, ".desk.db.sealing-*")); len(left) > 0 {
			t.Fatalf("run %d: copies left behind: %v", run, left)
		}
	}
	t.Logf("%d kills: %d left the plain file, %d the sealed one", kills, outcomes[false], outcomes[true])
	if outcomes[false] == 0 || outcomes[true] == 0 {
		t.Errorf("every kill left the file %s: the kills missed the sealing", map[bool]string{true: "sealed", false: "plain"}[outcomes[true] > 0])
	}
}

// killSealAt starts the sealing child and kills it after d, counted from
// when it starts opening (or lets it finish if it ends before).
func killSealAt(t *testing.T, path string, d time.Duration) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcessSeal$")
	cmd.Env = append(os.Environ(), sealChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		r := bufio.NewReader(out)
		for {
			l, err := r.ReadString('\n')
			if strings.HasPrefix(l, "opening") {
				close(started)
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start in 20 s: %s", stderr.String())
	}
	time.Sleep(d) // the moment of the kill, not a readiness wait
	cmd.Process.Kill()
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || (ee.ExitCode() != -1 && ee.ExitCode() != 0) {
			t.Fatalf("child failed: %v: %s", err, stderr.String())
		}
	}
}
