package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// publish posts a pack as trainerTok and returns the new version.
func (h *testHub) publish(t *testing.T, trainerTok, name string, data []byte) upstream.PackVersion {
	t.Helper()
	code, body := h.call(t, "POST", "/v1/packs?name="+urlEscape(name), trainerTok, data)
	var v upstream.PackVersion
	if code != http.StatusCreated || json.Unmarshal(body, &v) != nil {
		t.Fatalf("publish %s = %d %s", name, code, body)
	}
	return v
}

// review approves or rejects version as tok and returns it reviewed.
func (h *testHub) review(t *testing.T, tok string, version int64, approve bool, reason string) upstream.PackVersion {
	t.Helper()
	code, body := h.call(t, "POST", fmt.Sprintf("/v1/packs/%d/review", version), tok, upstream.PackReview{Approve: approve, Reason: reason})
	var v upstream.PackVersion
	if code != http.StatusOK || json.Unmarshal(body, &v) != nil {
		t.Fatalf("review %d = %d %s", version, code, body)
	}
	return v
}

// company is the en default pack with another company name: a valid pack
// whose text says which one it is.
func company(t *testing.T, name string) []byte {
	t.Helper()
	return bytes.Replace(packFile(t, "en"), []byte(`company = "XX"`), []byte(`company = "`+name+`"`), 1)
}

// The cycle of issue 11 on PostgreSQL, seen by a desk that syncs: a new
// version is pending and the desk keeps the live one; a second trainer
// approves it and the desk takes it; a rejected one never reaches it; a
// rollback brings the old text back as the newest version.
func TestPack_ReviewCycleAsDesksSeeIt(t *testing.T) {
	h := newTestHub(t, nil)
	ctx := context.Background()
	li, wang, sup := h.token(t, upstream.RoleTrainer, "李老师", ""), h.token(t, upstream.RoleTrainer, "王老师", ""), h.token(t, upstream.RoleSupervisor, "班长", "")
	d := upstreamtest.NewDesk(agent.NewID())
	desk := newClient(t, h, d, upstream.WithLangs("en"))
	sync := func() upstream.Pack {
		t.Helper()
		if err := desk.SyncOnce(ctx); err != nil {
			t.Fatalf("desk sync: %v", err)
		}
		return d.Pack("en")
	}
	start := time.Now()

	v1 := h.publish(t, li, "hotline.toml", company(t, "一号"))
	if v1.State != upstream.PackPending || v1.Live || v1.Author != "李老师" || v1.CreatedAt.Before(start.Add(-time.Second)) {
		t.Fatalf("published %+v, want pending by 李老师", v1)
	}
	if pk := sync(); pk.ID != 0 {
		t.Fatalf("desk took pending version %d", pk.ID)
	}
	if got := h.review(t, sup, v1.Version, true, ""); !got.Live || got.ReviewedBy != "班长" {
		t.Fatalf("approved %+v, want live", got)
	}
	if pk := sync(); pk.ID != v1.Version {
		t.Fatalf("desk has %d, want %d", pk.ID, v1.Version)
	}

	v2 := h.publish(t, li, "hotline.toml", company(t, "二号"))
	if pk := sync(); pk.ID != v1.Version {
		t.Fatalf("desk has %d while version %d is pending, want still %d", pk.ID, v2.Version, v1.Version)
	}
	code, body := h.call(t, "GET", fmt.Sprintf("/v1/packs/%d/diff", v2.Version), wang, nil)
	var diff upstream.PackDiff
	if code != 200 || json.Unmarshal(body, &diff) != nil || diff.Live != v1.Version ||
		!strings.Contains(diff.Diff, "\n-company = \"一号\" ") || !strings.Contains(diff.Diff, "\n+company = \"二号\" ") || strings.Count(diff.Diff, "\n-") != 1 || !strings.HasPrefix(diff.Diff, fmt.Sprintf("--- v%d hotline.toml (live)\n", v1.Version)) {
		t.Fatalf("diff = %d %s", code, body)
	}
	if got := h.review(t, wang, v2.Version, true, "年会通知已核对"); !got.Live || got.ReviewedBy != "王老师" || got.Reason != "年会通知已核对" {
		t.Fatalf("second trainer approves: %+v", got)
	}
	if pk := sync(); pk.ID != v2.Version || !bytes.Contains(pk.Data, []byte("二号")) {
		t.Fatalf("desk has %d, want %d", pk.ID, v2.Version)
	}

	v3 := h.publish(t, wang, "typo.toml", company(t, "三号"))
	v3r := h.review(t, li, v3.Version, false, "公司名写错了")
	if v3r.State != upstream.PackRejected || v3r.Live || v3r.Reason != "公司名写错了" {
		t.Fatalf("reject = %+v", v3r)
	}
	if pk := sync(); pk.ID != v2.Version {
		t.Fatalf("desk has %d after a rejection, want %d", pk.ID, v2.Version)
	}

	code, body = h.call(t, "POST", fmt.Sprintf("/v1/packs/%d/rollback", v1.Version), li, upstream.PackRollback{Reason: "二号的问候语让来电人困惑"})
	var rb upstream.PackVersion
	if code != 201 || json.Unmarshal(body, &rb) != nil || rb.RollbackOf != v1.Version || rb.Version <= v3.Version || !rb.Live || rb.Author != "李老师" || rb.ReviewedBy != "李老师" {
		t.Fatalf("rollback = %d %s", code, body)
	}
	if pk := sync(); pk.ID != rb.Version || !bytes.Equal(pk.Data, company(t, "一号")) || pk.Name != "hotline.toml" {
		t.Fatalf("desk has %d %q after the rollback, want %d with version 1's text", pk.ID, pk.Name, rb.Version)
	}

	code, body = h.call(t, "GET", "/v1/packs?lang=en", sup, nil)
	var hist []upstream.PackVersion
	if code != 200 || json.Unmarshal(body, &hist) != nil || len(hist) != 4 {
		t.Fatalf("history = %d %s", code, body)
	}
	var got []string
	for _, v := range hist {
		got = append(got, fmt.Sprintf("%d %s by %s, %s by %s live=%v rollback_of=%d", v.Version, v.Name, v.Author, v.State, v.ReviewedBy, v.Live, v.RollbackOf))
		if v.CreatedAt.Before(start.Add(-time.Second)) || v.ReviewedAt.Before(v.CreatedAt) || v.Size != len(company(t, "一号")) || v.Data != nil {
			t.Errorf("version %d: created %s, reviewed %s, %d bytes, text %d bytes", v.Version, v.CreatedAt, v.ReviewedAt, v.Size, len(v.Data))
		}
	}
	want := []string{
		fmt.Sprintf("%d hotline.toml by 李老师, approved by 李老师 live=true rollback_of=%d", rb.Version, v1.Version),
		fmt.Sprintf("%d typo.toml by 王老师, rejected by 李老师 live=false rollback_of=0", v3.Version),
		fmt.Sprintf("%d hotline.toml by 李老师, approved by 王老师 live=false rollback_of=0", v2.Version),
		fmt.Sprintf("%d hotline.toml by 李老师, approved by 班长 live=false rollback_of=0", v1.Version),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// What review and rollback answered is what the hub kept.
	for _, answered := range []upstream.PackVersion{rb, v3r} {
		for _, kept := range hist {
			a, _ := json.Marshal(answered)
			k, _ := json.Marshal(kept)
			if kept.Version == answered.Version && !bytes.Equal(a, k) {
				t.Errorf("answered %s\nkept     %s", a, k)
			}
		}
	}
	if n := h.count(t, "SELECT count(*) FROM packs"); n != 4 {
		t.Errorf("packs rows = %d, want 4 (nothing but appends)", n)
	}
	zh := h.publish(t, wang, "zh.toml", packFile(t, "zh-Hans"))
	for q, want := range map[string]int{"": 5, "?lang=zh-Hans": 1, "?lang=zh-Hant": 0} {
		code, body := h.call(t, "GET", "/v1/packs"+q, sup, nil)
		var vs []upstream.PackVersion
		if code != 200 || json.Unmarshal(body, &vs) != nil || len(vs) != want || (want == 5 && vs[0].Version != zh.Version) {
			t.Errorf("history%s = %d %s, want %d versions, newest first", q, code, body, want)
		}
	}
	code, body = h.call(t, "GET", fmt.Sprintf("/v1/packs/%d", v3.Version), sup, nil)
	var full upstream.PackVersion
	if code != 200 || json.Unmarshal(body, &full) != nil || !bytes.Equal(full.Data, company(t, "三号")) {
		t.Errorf("version %d = %d %.200s", v3.Version, code, body)
	}
}

// Every refusal of review, rollback, history and diff answers its kind
// and changes no table and no sequence.
func TestPack_RefusalsChangeNothing(t *testing.T) {
	h := newTestHub(t, nil)
	deskID := agent.NewID()
	agentTok := h.token(t, upstream.RoleAgent, "小王", deskID)
	li, wang, sup := h.token(t, upstream.RoleTrainer, "李老师", ""), h.token(t, upstream.RoleTrainer, "王老师", ""), h.token(t, upstream.RoleSupervisor, "班长", "")
	_ = seedEveryTable(t, h, agentTok, li, deskID) // version 1 by 李老师, pending
	v1 := int64(1)
	h.review(t, sup, v1, true, "")
	v2 := h.publish(t, li, "b.toml", company(t, "B")).Version // approved, live
	h.review(t, wang, v2, true, "")
	pending := h.publish(t, li, "c.toml", company(t, "C")).Version // older than the live one once v4 is approved
	v4 := h.publish(t, wang, "d.toml", company(t, "D")).Version
	h.review(t, li, v4, true, "")
	rejected := h.publish(t, li, "e.toml", company(t, "E")).Version
	h.review(t, sup, rejected, false, "no")
	fresh := h.publish(t, li, "f.toml", company(t, "F")).Version
	review := func(v int64) string { return fmt.Sprintf("/v1/packs/%d/review", v) }
	rollback := func(v int64) string { return fmt.Sprintf("/v1/packs/%d/rollback", v) }
	approve := upstream.PackReview{Approve: true}
	for _, tt := range []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		code   string
		reason string
	}{
		{"author approves", "POST", review(fresh), li, approve, 403, "own_version", "李老师 wrote version"},
		{"author rejects", "POST", review(fresh), li, upstream.PackReview{Reason: "withdrawn"}, 403, "own_version", "may not review"},
		{"agent approves", "POST", review(fresh), agentTok, approve, 403, "role", "role agent may not"},
		{"agent rolls back", "POST", rollback(v1), agentTok, upstream.PackRollback{Reason: "x"}, 403, "role", "role agent may not"},
		{"agent reads history", "GET", "/v1/packs?lang=en", agentTok, nil, 403, "role", "role agent may not"},
		{"agent reads a version", "GET", fmt.Sprintf("/v1/packs/%d", fresh), agentTok, nil, 403, "role", "role agent may not"},
		{"agent reads a diff", "GET", fmt.Sprintf("/v1/packs/%d/diff", fresh), agentTok, nil, 403, "role", "role agent may not"},
		{"no token", "POST", review(fresh), "", approve, 401, "unauthorized", "missing bearer token"},
		{"unknown version", "POST", review(999), sup, approve, 404, "not_found", "no pack version 999"},
		{"unknown version rolled back", "POST", rollback(999), sup, upstream.PackRollback{Reason: "x"}, 404, "not_found", "no pack version 999"},
		{"unknown version read", "GET", "/v1/packs/999/diff", sup, nil, 404, "not_found", "no pack version 999"},
		{"version not a number", "POST", "/v1/packs/abc/review", sup, approve, 400, "invalid", "not a positive number"},
		{"version zero", "GET", "/v1/packs/0", sup, nil, 400, "invalid", "not a positive number"},
		{"already approved", "POST", review(v2), sup, upstream.PackReview{Reason: "late"}, 409, "conflict", "already approved by 王老师"},
		{"already rejected", "POST", review(rejected), wang, approve, 409, "conflict", "already rejected by 班长"},
		{"older than the live one", "POST", review(pending), sup, approve, 409, "conflict", fmt.Sprintf("older than the live version %d", v4)},
		{"rejection without a reason", "POST", review(fresh), sup, upstream.PackReview{}, 400, "invalid", "reason is required"},
		{"reason with a control character", "POST", review(fresh), sup, upstream.PackReview{Reason: "a\x00b"}, 400, "invalid", "control character"},
		{"malformed review", "POST", review(fresh), sup, []byte(`{"approve": tru`), 400, "invalid", "malformed JSON"},
		{"oversized review", "POST", review(fresh), sup, upstream.PackReview{Reason: strings.Repeat("a", 20<<10)}, 413, "invalid", "larger than"},
		{"rollback without a reason", "POST", rollback(v1), sup, upstream.PackRollback{}, 400, "invalid", "reason is required"},
		{"rollback to the live one", "POST", rollback(v4), sup, upstream.PackRollback{Reason: "x"}, 409, "conflict", "already the live version"},
		{"rollback to a pending one", "POST", rollback(fresh), sup, upstream.PackRollback{Reason: "x"}, 409, "conflict", "is pending"},
		{"rollback to a rejected one", "POST", rollback(rejected), wang, upstream.PackRollback{Reason: "x"}, 409, "conflict", "is rejected"},
		{"history of a bad language", "GET", "/v1/packs?lang=a%00b", sup, nil, 400, "invalid", "control character"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump(t)
			code, body := h.call(t, tt.method, tt.path, tt.token, tt.body)
			var eb upstream.ErrorBody
			if code != tt.status || json.Unmarshal(body, &eb) != nil || eb.Code != tt.code || !strings.Contains(eb.Error, tt.reason) {
				t.Fatalf("%s %s = %d %s, want %d %s naming %q", tt.method, tt.path, code, body, tt.status, tt.code, tt.reason)
			}
			if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
				t.Errorf("a refused request changed %v", changed)
			}
		})
	}
	// The dump sees a review when there is one, and its audit entry.
	before := h.dump(t)
	h.review(t, wang, fresh, false, "x")
	if changed := pgtest.Changed(before, h.dump(t)); !slices.Equal(changed, []string{"audit", "packs", "sequence audit_id_seq"}) {
		t.Errorf("an accepted review changed %v, want packs and the audit", changed)
	}
}

// The same refusals through the client: each matches its sentinel, the
// author's own version ErrOwnVersion (and ErrForbidden), an agent's token
// ErrForbidden only.
func TestPack_ClientSentinels(t *testing.T) {
	h := newTestHub(t, nil)
	ctx := context.Background()
	client := func(tok string) *upstream.Client {
		c, err := upstream.NewClient(h.url, tok, nil, nil, upstream.WithLogger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	li, sup := client(h.token(t, upstream.RoleTrainer, "李老师", "")), client(h.token(t, upstream.RoleSupervisor, "班长", ""))
	ag := client(h.token(t, upstream.RoleAgent, "小王", agent.NewID()))
	v, err := li.Publish(ctx, "a.toml", company(t, "A"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = li.Review(ctx, v.Version, true, "")
	if !errors.Is(err, upstream.ErrOwnVersion) || !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("author approves: %v, want ErrOwnVersion", err)
	}
	_, err = ag.Review(ctx, v.Version, true, "")
	if !errors.Is(err, upstream.ErrForbidden) || errors.Is(err, upstream.ErrOwnVersion) {
		t.Errorf("agent approves: %v, want ErrForbidden only", err)
	}
	if _, err := sup.Review(ctx, v.Version+1, true, ""); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := sup.Review(ctx, v.Version, false, ""); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("rejection without a reason: %v", err)
	}
	if _, err := sup.Review(ctx, v.Version, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := sup.Review(ctx, v.Version, true, ""); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("second approval: %v, want ErrConflict", err)
	}
	if _, err := sup.Rollback(ctx, v.Version, "x"); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("rollback to the live version: %v, want ErrConflict", err)
	}
	if _, err := ag.History(ctx, "en"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("agent history: %v", err)
	}
	if d, err := sup.Diff(ctx, v.Version); err != nil || d.Diff != "" || d.Live != v.Version {
		t.Errorf("diff of the live version against itself = %+v, %v; want empty", d, err)
	}
}

// Reviewers racing for one version: exactly one review is kept.
func TestPack_ConcurrentReviewsOneWins(t *testing.T) {
	h := newTestHub(t, nil)
	v := h.publish(t, h.token(t, upstream.RoleTrainer, "author", ""), "a.toml", company(t, "A"))
	const n = 8
	toks := make([]string, n)
	for i := range toks {
		toks[i] = h.token(t, upstream.RoleSupervisor, fmt.Sprintf("sup%d", i), "")
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i], _ = h.call(t, "POST", fmt.Sprintf("/v1/packs/%d/review", v.Version), toks[i], upstream.PackReview{Approve: i%2 == 0, Reason: "r"})
		})
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Errorf("answers %v, want one 200 and %d 409", codes, n-1)
	}
}

// A rollback to a text the hub's parser no longer accepts is refused with
// the problem at its line, and nothing changes: desks would refuse it.
func TestPack_RollbackRevalidates(t *testing.T) {
	h := newTestHub(t, nil)
	sup := h.token(t, upstream.RoleSupervisor, "班长", "")
	ctx := context.Background()
	bad := bytes.Replace(packFile(t, "en"), []byte(`time_zone = "Asia/Shanghai"`), []byte(`time_zone = "Mars/Olympus"`), 1)
	var old int64
	err := h.db.pool.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by, state, reviewed_at) VALUES ('en', 'old.toml', $1, now(), 'gone', 'approved', now()) RETURNING id`, bad).Scan(&old)
	if err != nil {
		t.Fatal(err)
	}
	h.review(t, sup, h.publish(t, h.token(t, upstream.RoleTrainer, "t", ""), "new.toml", company(t, "N")).Version, true, "")
	before := h.dump(t)
	code, body := h.call(t, "POST", fmt.Sprintf("/v1/packs/%d/rollback", old), sup, upstream.PackRollback{Reason: "back"})
	if code != 400 || !strings.Contains(string(body), "no longer validates") || !strings.Contains(string(body), "old.toml:") {
		t.Fatalf("rollback to an invalid text = %d %s, want 400 naming old.toml:line", code, body)
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("refused rollback changed %v", changed)
	}
}

// Packs published before review existed become approved versions: the
// newest stays live, desks keep pulling it, and a new version is pending.
func TestMigrate_OldPacksBecomeApproved(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	conn, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer conn.Close(ctx)
	var sql strings.Builder
	for _, f := range []string{"migrations/0001_init.sql", "migrations/0002_reply_due.sql"} {
		b, err := migrationFS.ReadFile(f)
		must(t, err)
		sql.Write(b)
		sql.WriteString(";\n")
	}
	sql.WriteString(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql'), (2, '0002_reply_due.sql')`)
	_, err = conn.Exec(ctx, sql.String())
	must(t, err)
	published := time.Date(2026, 1, 20, 8, 0, 0, 0, time.UTC)
	for i, c := range []string{"old", "older-live"} {
		_, err = conn.Exec(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by) VALUES ('en', $1, $2, $3, 'trainer')`,
			c+".toml", company(t, c), published.Add(time.Duration(i)*time.Hour))
		must(t, err)
	}

	db, err := Open(ctx, dsn, WithLogger(quiet))
	must(t, err)
	defer db.Close()
	pk, err := db.LatestPack(ctx, "en")
	if err != nil || pk.ID != 2 || pk.Name != "older-live.toml" {
		t.Fatalf("latest after the migration = %+v, %v; want pack 2", pk, err)
	}
	hist, err := db.PackHistory(ctx, "en")
	must(t, err)
	if len(hist) != 2 || !hist[0].Live || hist[1].Live || hist[0].State != upstream.PackApproved || hist[1].State != upstream.PackApproved ||
		hist[0].ReviewedBy != "" || !hist[0].ReviewedAt.Equal(published.Add(time.Hour)) || hist[0].Reason != "published before review existed" || hist[0].Author != "trainer" {
		t.Fatalf("history after the migration = %+v", hist)
	}
	v, err := db.PublishPack(ctx, upstream.Principal{Name: "t"}, upstream.Pack{Lang: "en", Name: "new.toml", Data: company(t, "new"), PublishedAt: time.Now()})
	must(t, err)
	if pk, _ := db.LatestPack(ctx, "en"); v.Version != 3 || v.State != upstream.PackPending || pk.ID != 2 {
		t.Errorf("new version %+v, latest %d; want version 3 pending and pack 2 still live", v, pk.ID)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by) VALUES ('en', 'x', '', now(), 'x')`); err == nil {
		t.Error("a row without a state was accepted after the migration")
	}
	if _, err := conn.Exec(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by, state) VALUES ('en', 'x', '', now(), 'x', 'approved')`); err == nil {
		t.Error("an approved row without a review time was accepted")
	}
}
