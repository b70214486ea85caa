package hublink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
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
	"agentdesk/telephony"
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

// hubDesk is a desk whose desk.Hub is its link to the hub at url with
// token, fast for tests; started when start is set.
func hubDesk(t *testing.T, number, url, token string, start bool) (*desk.Desk, *Link) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := desk.Defaults()
	cfg.AgentNumber = number
	cfg.Hub.URL, cfg.Hub.Token = url, desk.Secret(token)
	l, err := New(cfg, st, slog.Default(), upstream.WithInterval(200*time.Millisecond), upstream.WithStreamBackoff(50*time.Millisecond, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	packs, err := desk.LoadPacks(desk.Config{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Practice: true, Hub: l})
	if err != nil {
		t.Fatal(err)
	}
	l.Attach(d)
	if start {
		ctx, cancel := context.WithCancel(context.Background())
		l.Start(ctx)
		t.Cleanup(func() { cancel(); l.Stop() })
	}
	t.Cleanup(func() { d.Close() })
	return d, l
}

// packWithHoliday is the default zh-Hans pack with a holiday of its own,
// edited as the trainer's form does, whose notice covers yesterday to
// tomorrow (today in any zone), greeting callers with greeting.
func packWithHoliday(t *testing.T, id, name, greeting string) string {
	t.Helper()
	b, err := scripts.DefaultPackFile("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	f, probs := desk.ReadPackForm(string(b))
	if probs != nil {
		t.Fatal(probs)
	}
	if err := desk.AddHoliday(f, id, name, greeting); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := desk.SetHolidayPeriod(f, id, desk.DateOf(now.AddDate(0, 0, -1)), desk.DateOf(now.AddDate(0, 0, 1))); err != nil {
		t.Fatal(err)
	}
	return string(f.TOML())
}

// pop rings a call from an unknown number at d and returns the opening it
// popped with; the caller then gives up.
func pop(t *testing.T, d *desk.Desk, id string) string {
	t.Helper()
	d.Emit(telephony.Event{Kind: telephony.EventRinging, At: time.Now(), CallID: id, Direction: telephony.Inbound,
		Caller: telephony.Caller{Number: "13900139000"}})
	v := waitView(t, d, "the pop of "+id, func(v desk.View) bool { return v.Call != nil && v.Call.CallID == id && v.Opening != "" })
	d.Emit(telephony.Event{Kind: telephony.EventMissed, At: time.Now(), CallID: id, Direction: telephony.Inbound, Reason: "caller cancelled"})
	waitView(t, d, "the end of "+id, func(v desk.View) bool { return v.Call == nil })
	return v.Opening
}

// rounds waits until d's link has finished n more sync rounds.
func rounds(t *testing.T, d *desk.Desk, n int) {
	t.Helper()
	last := d.View().Sync.LastSync
	for range n {
		last = waitView(t, d, "a sync round", func(v desk.View) bool { return v.Sync.LastSync.After(last) }).Sync.LastSync
	}
}

// TestIntegration_ReviewedPackAppliesLive is review before publishing, end
// to end through desks and their links on the real hub: trainer lin's desk
// publishes a pack with a holiday of today; it is pending, its author may
// not approve it, and an agent's desk syncing meanwhile keeps its pack (its
// pops open with the standard line). Trainer zhao approves it: within the
// agent desk's next rounds, without a restart, its status bar names the
// version and a pop opens with the holiday's line. A rejected version never
// reaches the desk; a rollback does, as a new version; a version the desk
// cannot parse (slipped into the hub's database) is refused once, and the
// desk keeps the last good pack. The history keeps who wrote and reviewed
// what, and the refusals come back as the desk's sentinels.
func TestIntegration_ReviewedPackAppliesLive(t *testing.T) {
	hub := startRealHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ad, _ := hubDesk(t, "1001", hub.url, hub.token(t, "agent", "desk-1001"), true)
	lin, _ := hubDesk(t, "t1", hub.url, hub.token(t, "trainer", "lin"), false)
	zhao, _ := hubDesk(t, "t2", hub.url, hub.token(t, "trainer", "zhao"), false)
	rounds(t, ad, 1)
	before := pop(t, ad, "c1")
	if ad.View().Pack.Version != 0 || strings.Contains(before, "测试节") {
		t.Fatalf("before anything is published: pack %+v, opening %q", ad.View().Pack, before)
	}

	v1, err := lin.PublishPack(ctx, packWithHoliday(t, "test_day", "测试节", "测试节快乐！{{company}}客服中心，请问有什么可以帮您！"))
	if err != nil || v1.State != desk.PackPending || v1.By != "lin" || v1.Lang != "zh-Hans" {
		t.Fatalf("publish: %+v, %v", v1, err)
	}
	if _, err := lin.ReviewPack(ctx, v1.Version, true, ""); !errors.Is(err, desk.ErrHubOwnVersion) {
		t.Errorf("the author approving: %v, want desk.ErrHubOwnVersion", err)
	}
	if _, err := ad.PackHistory(ctx, "zh-Hans"); !errors.Is(err, desk.ErrHubRole) {
		t.Errorf("an agent's token reading the history: %v, want desk.ErrHubRole", err)
	}
	df, err := zhao.PackDiff(ctx, v1.Version)
	if add, del := df.Counts(); err != nil || df.Live != 0 || del != 0 || add < 50 || !strings.Contains(df.Text, "+greeting = \"测试节快乐！") {
		t.Errorf("the diff with nothing live: live %d, +%d -%d, %v", df.Live, add, del, err)
	}
	rounds(t, ad, 2)
	if v := ad.View(); v.Pack.Version != 0 {
		t.Fatalf("the desk applied pending version %d", v.Pack.Version)
	}
	if got := pop(t, ad, "c2"); got != before {
		t.Errorf("pending: the pop opened with %q, want %q", got, before)
	}

	ok, err := zhao.ReviewPack(ctx, v1.Version, true, "")
	if err != nil || ok.State != desk.PackApproved || !ok.Live || ok.ReviewedBy != "zhao" {
		t.Fatalf("approve: %+v, %v", ok, err)
	}
	v := waitView(t, ad, "the approved pack in use", func(v desk.View) bool { return v.Pack.Version == v1.Version })
	if v.Pack.Name != "pack.toml" || v.Pack.Lang != "zh-Hans" {
		t.Errorf("status bar pack: %+v", v.Pack)
	}
	if got := pop(t, ad, "c3"); got != "测试节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("approved: the pop opened with %q", got)
	}

	// Rejected: never applied.
	v2, err := lin.PublishPack(ctx, packWithHoliday(t, "test_day", "测试节", "驳回的问候"))
	if err != nil {
		t.Fatal(err)
	}
	df, err = zhao.PackDiff(ctx, v2.Version)
	if add, del := df.Counts(); err != nil || df.Live != v1.Version || add != 1 || del != 1 {
		t.Errorf("the diff against the live version: live %d, +%d -%d, %v\n%s", df.Live, add, del, err, df.Text)
	}
	if _, err := zhao.ReviewPack(ctx, v2.Version, false, " "); !errors.Is(err, desk.ErrReasonRequired) {
		t.Errorf("rejecting without a reason: %v", err)
	}
	if rj, err := zhao.ReviewPack(ctx, v2.Version, false, "问候语不对"); err != nil || rj.State != desk.PackRejected || rj.Reason != "问候语不对" {
		t.Fatalf("reject: %+v, %v", rj, err)
	}
	if _, err := lin.ReviewPack(ctx, v2.Version, true, ""); !errors.Is(err, desk.ErrHubOwnVersion) {
		t.Errorf("the author approving a rejected version: %v", err)
	}
	if _, err := zhao.ReviewPack(ctx, v2.Version, true, ""); !errors.Is(err, desk.ErrHubConflict) {
		t.Errorf("approving a rejected version: %v, want desk.ErrHubConflict", err)
	}
	rounds(t, ad, 2)
	if got := ad.View().Pack.Version; got != v1.Version {
		t.Errorf("after a rejection the desk uses version %d, want %d", got, v1.Version)
	}

	// A third version goes live, then the pack is rolled back to the first.
	v3, err := lin.PublishPack(ctx, packWithHoliday(t, "test_day", "测试节", "第三版的问候"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zhao.ReviewPack(ctx, v3.Version, true, "可以"); err != nil {
		t.Fatal(err)
	}
	waitView(t, ad, "version 3 in use", func(v desk.View) bool { return v.Pack.Version == v3.Version })
	if got := pop(t, ad, "c4"); got != "第三版的问候" {
		t.Errorf("the third version: the pop opened with %q", got)
	}
	if _, err := lin.RollbackPack(ctx, v1.Version, ""); !errors.Is(err, desk.ErrReasonRequired) {
		t.Errorf("a rollback without a reason: %v", err)
	}
	rb, err := lin.RollbackPack(ctx, v1.Version, "第三版的问候没有公司名")
	if err != nil || rb.RollbackOf != v1.Version || !rb.Live || rb.Version <= v3.Version {
		t.Fatalf("rollback: %+v, %v", rb, err)
	}
	if _, err := lin.RollbackPack(ctx, rb.Version, "again"); !errors.Is(err, desk.ErrHubConflict) {
		t.Errorf("rolling back to the live version: %v, want desk.ErrHubConflict", err)
	}
	waitView(t, ad, "the rollback in use", func(v desk.View) bool { return v.Pack.Version == rb.Version })
	if got := pop(t, ad, "c5"); got != "测试节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("rolled back: the pop opened with %q", got)
	}

	hist, err := zhao.PackHistory(ctx, "zh-Hans")
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d versions, %v", len(hist), err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, fmt.Sprintf("%d %s live=%v by=%s reviewer=%s reason=%s of=%d", h.Version-v1.Version+1, h.State, h.Live, h.By,
			h.ReviewedBy, h.Reason, max(0, h.RollbackOf-v1.Version+1)))
		if h.At.IsZero() || (h.State != desk.PackPending) == h.ReviewedAt.IsZero() {
			t.Errorf("version %d: published %v, reviewed %v", h.Version, h.At, h.ReviewedAt)
		}
	}
	want := []string{"4 approved live=true by=lin reviewer=lin reason=第三版的问候没有公司名 of=1", "3 approved live=false by=lin reviewer=zhao reason=可以 of=0",
		"2 rejected live=false by=lin reviewer=zhao reason=问候语不对 of=0", "1 approved live=false by=lin reviewer=zhao reason= of=0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// A version the desk cannot parse, slipped into the hub's database
	// past its validation: refused once, the last good pack kept.
	broken := hub.insertApproved(t, "zh-Hans", "[holidays.test_day\nname = ")
	rounds(t, ad, 3)
	v = ad.View()
	if v.Pack.Version != rb.Version {
		t.Errorf("after a broken version the desk uses %d, want %d", v.Pack.Version, rb.Version)
	}
	refused := 0
	for _, n := range v.Notices {
		if n.ID == desk.NoticePackRefused {
			refused++
			if n.Args["version"] != fmt.Sprint(broken) {
				t.Errorf("refusal notice for version %s, want %d", n.Args["version"], broken)
			}
		}
	}
	if refused != 1 {
		t.Errorf("%d refusal notices over three rounds, want 1", refused)
	}
	if got := pop(t, ad, "c6"); got != "测试节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("after the broken version: the pop opened with %q", got)
	}
}

// insertApproved writes an approved pack version straight into the hub's
// database, as a hub with an older validator might have accepted it.
func (h *realHub) insertApproved(t *testing.T, lang, data string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var id int64
	err = conn.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by, state, reviewed_by, reviewed_at, reason)
		VALUES ($1, 'broken.toml', $2, now(), 'old-hub', 'approved', 'old-hub', now(), 'test') RETURNING id`, lang, []byte(data)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The hub's refusals become the desk's sentinels, with the hub's words; an
// error without an answer from the hub is "unreachable".
func TestHubErr(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{&upstream.HTTPError{Status: 401, Code: "unauthorized", Msg: "unknown token"}, desk.ErrHubToken},
		{&upstream.HTTPError{Status: 401, Code: "expired", Msg: "token expired"}, desk.ErrHubToken},
		{&upstream.HTTPError{Status: 403, Code: "own_version", Msg: "lin wrote version 3"}, desk.ErrHubOwnVersion},
		{&upstream.HTTPError{Status: 403, Code: "forbidden", Msg: "role agent may not"}, desk.ErrHubRole},
		{&upstream.HTTPError{Status: 409, Code: "conflict", Msg: "version 3 was already approved"}, desk.ErrHubConflict},
		{&upstream.HTTPError{Status: 404, Code: "not_found", Msg: "no version 9"}, desk.ErrHubRefused},
		{&upstream.HTTPError{Status: 422, Code: "invalid", Msg: "a reason is required"}, desk.ErrHubRefused},
		{fmt.Errorf("review: %w", errors.New("dial tcp 127.0.0.1:1: connection refused")), desk.ErrHubUnreachable},
	} {
		got := hubErr(fmt.Errorf("approve pack version 3: %w", c.err))
		var he *desk.HubError
		if !errors.As(got, &he) || !errors.Is(got, c.want) {
			t.Errorf("%v → %v, want %v", c.err, got, c.want)
			continue
		}
		var ue *upstream.HTTPError
		if errors.As(c.err, &ue) && he.Detail != ue.Msg {
			t.Errorf("%v: detail %q, want the hub's %q", c.err, he.Detail, ue.Msg)
		}
		if c.want == desk.ErrHubOwnVersion && errors.Is(got, desk.ErrHubRole) {
			t.Errorf("own version also matches ErrHubRole: the window would say the token is not a trainer's")
		}
	}
}

// testWAV is a second of a 16-bit mono 8 kHz WAV file whose samples ramp.
func testWAV() []byte {
	const n = 8000
	body := []byte("WAVEfmt ")
	body = binary.LittleEndian.AppendUint32(body, 16)
	body = binary.LittleEndian.AppendUint16(body, 1) // PCM
	body = binary.LittleEndian.AppendUint16(body, 1)
	body = binary.LittleEndian.AppendUint32(body, 8000)
	body = binary.LittleEndian.AppendUint32(body, 16000)
	body = binary.LittleEndian.AppendUint16(body, 2)
	body = binary.LittleEndian.AppendUint16(body, 16)
	body = append(body, "data"...)
	body = binary.LittleEndian.AppendUint32(body, 2*n)
	for i := range n {
		body = binary.LittleEndian.AppendUint16(body, uint16(i*37))
	}
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// TestIntegration_RecordingsFollowTheirRecords is the recordings' way to
// the hub: a desk files two recordings, one whose file is gone; after the
// sync round that pushed their records, the link uploads the one on disk
// (read back from its sealed copy), marks it uploaded — a new version the
// next round pushes — and a supervisor fetches exactly its bytes. The one
// without a file stays not uploaded and holds nothing up.
func TestIntegration_RecordingsFollowTheirRecords(t *testing.T) {
	hub := startRealHub(t)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := desk.Defaults()
	cfg.Data, cfg.AgentNumber = dir, "1001"
	cfg.Hub.URL, cfg.Hub.Token = hub.url, desk.Secret(hub.token(t, "agent", "desk-1001"))
	if err := os.MkdirAll(cfg.RecordingsDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	wav := testWAV()
	plain := filepath.Join(cfg.RecordingsDir(), "call-a.wav")
	if err := os.WriteFile(plain, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	sealed, err := st.SealRecordingFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	onDisk := agent.Recording{Meta: agent.Meta{ID: agent.NewID()}, CallID: "call-a", Agent: "1001", File: filepath.Base(sealed),
		Started: now.Add(-time.Minute), Duration: time.Second, Channels: 1}
	gone := agent.Recording{Meta: agent.Meta{ID: agent.NewID()}, CallID: "call-b", Agent: "1001", File: "call-b.wav",
		Started: now.Add(-2 * time.Minute), Duration: time.Second, Channels: 1}
	for _, r := range []*agent.Recording{&gone, &onDisk} {
		if err := st.PutRecording(r, now); err != nil {
			t.Fatal(err)
		}
	}
	l, err := New(cfg, st, slog.Default(), upstream.WithInterval(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	packs, err := desk.LoadPacks(desk.Config{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Practice: true, Hub: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	l.Attach(d)
	ctx, cancel := context.WithCancel(context.Background())
	l.Start(ctx)
	t.Cleanup(func() { cancel(); l.Stop() })

	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := st.Recording(onDisk.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Uploaded.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recording was not uploaded within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r, _ := st.Recording(gone.ID); !r.Uploaded.IsZero() {
		t.Error("a recording without its file was marked uploaded")
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if v, _ := hub.stored(t, agent.KindRecording, onDisk.ID); v >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the uploaded mark never reached the hub")
		}
	}
	sup, err := upstream.NewClient(hub.url, hub.token(t, "supervisor", "王主管"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := sup.FetchRecording(ctx, onDisk.ID, &got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), wav) {
		t.Errorf("the hub's audio is %d bytes, not the %d recorded", got.Len(), len(wav))
	}
}
