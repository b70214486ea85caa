package storesync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"

	"github.com/jackc/pgx/v5"
)

// The test binary doubles as a desk's sync process (what deskctl sync
// runs: the store, this adapter and the hub client), so a test can kill
// it with SIGKILL in the middle of a drain.
func TestMain(m *testing.M) {
	if os.Getenv("STORESYNC_CHILD") == "1" {
		os.Exit(childSync())
	}
	os.Exit(pgtest.Run(m))
}

// childSync syncs the store at $STORESYNC_DATA with the hub at
// $STORESYNC_HUB until its outbox is empty, one record per push.
func childSync() int {
	s, err := store.Open(os.Getenv("STORESYNC_DATA"), store.WithLogger(quiet))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	d := New(s)
	c, err := upstream.NewClient(os.Getenv("STORESYNC_HUB"), os.Getenv("STORESYNC_TOKEN"), d, d, upstream.WithLogger(quiet),
		upstream.WithBatch(1), upstream.WithInterval(10*time.Millisecond), upstream.WithBackoff(10*time.Millisecond, 100*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		if err := c.SyncOnce(ctx); err != nil && ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if n, _, err := d.Stats(); err == nil && n == 0 {
			return 0
		}
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// cheapPIN keeps the agents' sign-ins fast.
var cheapPIN = upstream.Argon2Params{Time: 1, Memory: 256, Threads: 1}

// centerDesk is one desk: its bbolt file, its token, its agent and its
// hub client pulling that agent's tasks.
type centerDesk struct {
	path     string
	st       *store.Store
	token    string
	agent    string
	c        *upstream.Client
	settings []upstream.Settings
	mu       sync.Mutex
}

func (d *centerDesk) open(t *testing.T, hubURL string) {
	t.Helper()
	d.st = storetest.OpenPath(t, d.path)
	ad := New(d.st)
	c, err := upstream.NewClient(hubURL, d.token, ad, ad, upstream.WithLogger(quiet), upstream.WithBatch(50),
		upstream.WithAgents(func() []string { return []string{d.agent} }),
		upstream.OnSettings(func(s upstream.Settings) { d.mu.Lock(); d.settings = append(d.settings, s); d.mu.Unlock() }))
	if err != nil {
		t.Fatal(err)
	}
	d.c = c
}

func (d *centerDesk) tasks(t *testing.T) []agent.Callback {
	t.Helper()
	cbs, err := d.st.Callbacks(store.CallbackFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return cbs
}

// Three desks and a hub on a real PostgreSQL: 300 members, one plan, each
// member's task on exactly one desk for one agent, balanced; every
// outcome back on the hub; planning again makes nothing; desk 1's sync
// process killed mid-drain loses and duplicates nothing; settings set on
// the hub reach every desk, a bad one reaches none.
func TestIntegration_ThreeDesksCentralCallbacks(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	db, err := hub.Open(ctx, dsn, hub.WithLogger(quiet), hub.WithPINCost(cheapPIN))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	srv := httptest.NewServer(hub.NewHandler(db, upstream.WithServerLogger(quiet)))
	t.Cleanup(srv.Close)
	pg, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close(ctx) })
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := pg.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}

	dir := t.TempDir()
	desks := make([]*centerDesk, 3)
	for i := range desks {
		n := fmt.Sprintf("100%d", i+1)
		if err := db.AddAgent(ctx, hub.AgentSpec{Number: n, Name: "坐席" + n, Role: upstream.RoleAgent, PIN: "pin-" + n}); err != nil {
			t.Fatal(err)
		}
		d := &centerDesk{path: filepath.Join(dir, fmt.Sprintf("desk%d.db", i+1)), agent: n}
		d.st = storetest.OpenPath(t, d.path)
		if d.token, err = db.NewToken(ctx, upstream.RoleAgent, "PC "+n, d.st.DeskID()); err != nil {
			t.Fatal(err)
		}
		d.st.Close()
		d.open(t, srv.URL)
		desks[i] = d
	}
	// Desk 1 enters the customer file: 300 members, 30 others.
	now := time.Now()
	for i := range 330 {
		c := &agent.Customer{Name: fmt.Sprintf("客户%d", i), Phones: []string{fmt.Sprintf("+86138%08d", i)}, Member: i < 300}
		if err := desks[0].st.PutCustomer(c, now); err != nil {
			t.Fatal(err)
		}
	}
	// Desks 1 and 2 sync with their own token after the sign-in, desk 3
	// with its agent's session.
	for i, d := range desks {
		res, err := d.c.SignIn(ctx, d.agent, "pin-"+d.agent)
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			d.c.SetToken(string(res.Session))
		}
		if err := d.c.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range desks[1:] {
		if err := d.c.SyncOnce(ctx); err != nil { // desk 1's customers, pushed after their first round
			t.Fatal(err)
		}
	}

	// The plan, as an administrator runs it: the real hub command.
	hubCmd := filepath.Join(dir, "hub")
	if out, err := exec.Command("go", "build", "-o", hubCmd, "agentdesk/cmd/hub").CombinedOutput(); err != nil {
		t.Fatalf("build the hub command: %v\n%s", err, out)
	}
	plan := func(at time.Time) hub.PlanResult {
		t.Helper()
		cmd := exec.Command(hubCmd, "callbacks", "plan", "--pg", dsn, "--at", at.Format(time.RFC3339))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("hub callbacks plan: %v", err)
		}
		var res hub.PlanResult
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("hub callbacks plan printed %q: %v", out, err)
		}
		return res
	}
	res := plan(now)
	t.Logf("plan: members %d, created %d, per agent %+v", res.Members, res.Created, res.Agents)
	if res.Members != 300 || res.Created != 300 || res.Covered != 300 {
		t.Fatalf("plan = %+v, want 300 tasks for 300 members", res)
	}
	for _, d := range desks {
		if err := d.c.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	onDesk := map[string]string{} // task → desk's agent
	customers := map[string]bool{}
	for _, d := range desks {
		tasks := d.tasks(t)
		if len(tasks) != 100 {
			t.Errorf("desk of %s holds %d tasks, want 100", d.agent, len(tasks))
		}
		for _, cb := range tasks {
			if cb.Agent != d.agent {
				t.Errorf("desk of %s holds a task of %s", d.agent, cb.Agent)
			}
			if was, twice := onDesk[cb.ID]; twice {
				t.Errorf("task %s on the desks of %s and %s", cb.ID, was, d.agent)
			}
			onDesk[cb.ID] = d.agent
			customers[cb.CustomerID] = true
		}
		if n, _, _ := d.st.OutboxStats(); n != 0 {
			t.Errorf("desk of %s queues %d records after pulling", d.agent, n)
		}
	}
	if len(onDesk) != 300 || len(customers) != 300 {
		t.Fatalf("%d tasks for %d customers on the desks, want 300 for 300", len(onDesk), len(customers))
	}

	// Every desk records an outcome for each of its agent's tasks: most
	// reached, every fifth not reached (tried again later, still pending).
	center, err := agent.DefaultCenter()
	if err != nil {
		t.Fatal(err)
	}
	record := func(d *centerDesk) {
		t.Helper()
		at := center.Quiet.NextDialable(now)
		for i, cb := range d.tasks(t) {
			reached, satisfied := i%5 != 0, true
			o := agent.CallbackOutcome{At: at, Reached: &reached}
			if reached {
				o.Satisfied, o.Suggestions, o.NoNextContact = &satisfied, "无", true
			}
			if err := cb.Record(o, center.Quiet, center.CallbackRetry); err != nil {
				t.Fatal(err)
			}
			if err := d.st.PutCallback(&cb, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range desks[1:] {
		record(d)
		if err := d.c.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Desk 1 records its outcomes, closes the file, and its sync process
	// is killed in the middle of pushing them; a new one finishes.
	d1 := desks[0]
	record(d1)
	pending, _, _ := d1.st.OutboxStats()
	d1.st.Close()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "STORESYNC_CHILD=1", "STORESYNC_DATA="+d1.path, "STORESYNC_HUB="+srv.URL, "STORESYNC_TOKEN="+d1.token)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	desk1ID := ""
	{
		s, err := store.Open(d1.path, store.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		desk1ID = s.DeskID()
		s.Close()
	}
	pushedByDesk1 := func() int {
		return count(`SELECT count(*) FROM records WHERE kind = 'callback' AND desk = $1`, desk1ID)
	}
	proc := child()
	for deadline := time.Now().Add(30 * time.Second); pushedByDesk1() < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			proc.Process.Kill()
			proc.Wait()
			t.Fatal("desk 1's sync process pushed nothing")
		}
	}
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	proc.Wait()
	// Once a push cut short has committed or rolled back, what desk 1 got
	// onto the hub stays as it is: the restarted process's resends are
	// duplicates.
	for deadline := time.Now().Add(20 * time.Second); count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction') AND query NOT LIKE 'LISTEN %'`) > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the database never became quiet")
		}
	}
	killedAt := pushedByDesk1()
	t.Logf("desk 1's sync process killed after %d of its %d outcomes reached the hub", killedAt, pending)
	revs := func() map[string]string {
		rows, err := pg.Query(ctx, `SELECT id, rev || ' ' || received_at FROM records WHERE kind = 'callback' AND desk = $1`, desk1ID)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				t.Fatal(err)
			}
			out[id] = v
		}
		return out
	}
	before := revs()
	if killedAt >= pending {
		t.Fatalf("killed after the drain finished (%d of %d); the test proves nothing", killedAt, pending)
	}
	proc = child()
	if err := proc.Wait(); err != nil {
		t.Fatalf("the restarted sync process: %v", err)
	}
	d1.open(t, srv.URL)
	if n, _, _ := d1.st.OutboxStats(); n != 0 {
		t.Errorf("desk 1 still queues %d records", n)
	}
	after := revs()
	for id, was := range before {
		if after[id] != was {
			t.Errorf("task %s stored before the kill was written again (%s, now %s)", id, was, after[id])
		}
	}
	if len(after) != pending {
		t.Errorf("hub holds %d of desk 1's %d outcomes", len(after), pending)
	}

	// The hub holds every outcome once, from the desk of its agent.
	for _, d := range desks {
		for _, cb := range d.tasks(t) {
			var v int64
			var desk string
			if err := pg.QueryRow(ctx, `SELECT version, desk FROM records WHERE kind = 'callback' AND id = $1`, cb.ID).Scan(&v, &desk); err != nil {
				t.Fatal(err)
			}
			if v != cb.Version || v != 2 || desk != d.st.DeskID() {
				t.Errorf("hub holds task %s at v%d from %s; the desk of %s has v%d", cb.ID, v, desk, d.agent, cb.Version)
				break
			}
		}
	}
	if n := count(`SELECT count(*) FROM records WHERE kind = 'callback'`); n != 300 {
		t.Errorf("hub holds %d tasks, want 300", n)
	}
	if n := count(`SELECT count(*) FROM records WHERE kind = 'callback' AND NOT cb_pending`); n != 240 {
		t.Errorf("hub holds %d finished tasks, want 240", n)
	}
	if n := count(`SELECT count(*) FROM conflicts`); n != 0 {
		t.Errorf("%d conflicts", n)
	}
	if again := plan(now.Add(time.Hour)); again.Created != 0 || again.Covered != 300 {
		t.Errorf("plan after the outcomes = %+v; want nothing new", again)
	}
	rep, err := db.CallbackReport(ctx, upstream.CallbackReportQuery{From: agent.DayOf(now, center.Zone), To: agent.DayOf(now, center.Zone)}, now.Add(time.Hour))
	if err != nil || rep.Total != 300 || rep.Done != 240 || rep.Reached != 240 || rep.Attempts != 300 || len(rep.Agents) != 3 {
		t.Errorf("report = %+v, %v", rep.CallbackSummary, err)
	}

	// Settings: a bad one reaches nobody, a good one every desk, once.
	if _, err := db.SetSettings(ctx, agent.CenterSettings{QuietHours: []string{"noon"}}); err == nil {
		t.Fatal("bad settings were stored")
	}
	for _, d := range desks {
		if err := d.c.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SetSettings(ctx, agent.CenterSettings{QuietHours: []string{"12:30-13:30", "21:00-09:00"}, AfterCallWorkSeconds: 90}); err != nil {
		t.Fatal(err)
	}
	for _, d := range desks {
		for range 2 {
			if err := d.c.SyncOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		d.mu.Lock()
		got := d.settings
		d.mu.Unlock()
		if len(got) != 1 || got[0].Version != 1 || got[0].Settings.AfterCallWorkSeconds != 90 || got[0].Settings.QuietHours[0] != "12:30-13:30" {
			t.Errorf("desk of %s got settings %+v, want version 1 once", d.agent, got)
		}
	}
	agents := make([]string, 0, 3)
	for _, a := range res.Agents {
		agents = append(agents, fmt.Sprintf("%s:%d", a.Agent, a.Created))
	}
	sort.Strings(agents)
	if fmt.Sprint(agents) != "[1001:100 1002:100 1003:100]" {
		t.Errorf("tasks per agent = %v", agents)
	}
}
