package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"
	"agentdesk/scripts"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type testHub struct {
	db  *DB
	srv *httptest.Server
	url string
}

// newTestHub starts a hub on a fresh database, served by httptest on
// loopback; wrap, if given, sits between the handler and the database.
func newTestHub(t *testing.T, wrap func(upstream.Backend) upstream.Backend, opts ...Option) *testHub {
	t.Helper()
	dsn := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := Open(ctx, dsn, append([]Option{WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatalf("open hub db: %v", err)
	}
	t.Cleanup(db.Close)
	var b upstream.Backend = db
	if wrap != nil {
		b = wrap(db)
	}
	srv := httptest.NewServer(upstream.NewServer(b, upstream.WithServerLogger(quiet), upstream.WithPackValidator(ValidatePack), upstream.WithStreamRefresh(time.Hour)))
	t.Cleanup(srv.Close)
	return &testHub{db: db, srv: srv, url: srv.URL}
}

func (h *testHub) token(t *testing.T, role upstream.Role, name, desk string) string {
	t.Helper()
	tok, err := h.db.NewToken(context.Background(), role, name, desk)
	if err != nil {
		t.Fatalf("new token: %v", err)
	}
	return tok
}

// call sends body (bytes as they are, anything else as JSON) and returns
// the status and the answer.
func (h *testHub) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (h *testHub) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.db.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (h *testHub) stored(t *testing.T, kind agent.Kind, id string) (version int64, desk string, body []byte) {
	t.Helper()
	err := h.db.pool.QueryRow(context.Background(), "SELECT version, desk, body FROM records WHERE kind = $1 AND id = $2", string(kind), id).Scan(&version, &desk, &body)
	if err != nil {
		t.Fatalf("read %s %s: %v", kind, id, err)
	}
	return version, desk, body
}

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func customer(desk, id string, version int64, name string) *agent.Customer {
	return &agent.Customer{Meta: agent.Meta{ID: id, Version: version, Desk: desk, CreatedAt: t0, UpdatedAt: t0},
		Name: name, Phones: []string{"+8613800138000"}}
}

func rec(seq uint64, kind agent.Kind, id string, version int64, v any) upstream.Record {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return upstream.Record{Seq: seq, Kind: kind, ID: id, Version: version, At: t0, Body: b}
}

func push(t *testing.T, h *testHub, tok string, req upstream.PushRequest) upstream.PushResponse {
	t.Helper()
	code, body := h.call(t, "POST", "/v1/push", tok, req)
	if code != http.StatusOK {
		t.Fatalf("push: %d %s", code, body)
	}
	var resp upstream.PushResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestPush_SameBatchTwiceStoredOnce(t *testing.T) {
	h := newTestHub(t, nil)
	desk := agent.NewID()
	tok := h.token(t, upstream.RoleAgent, "desk-1", "")
	id1, id2 := agent.NewID(), agent.NewID()
	req := upstream.PushRequest{Desk: desk, Records: []upstream.Record{
		rec(1, agent.KindCustomer, id1, 1, customer(desk, id1, 1, "张三")),
		rec(2, agent.KindCustomer, id2, 1, customer(desk, id2, 1, "李四")),
		rec(3, agent.KindCustomer, id1, 2, customer(desk, id1, 2, "张三丰")),
	}}
	first := push(t, h, tok, req)
	if first.AckSeq != 3 || first.Stored != 3 || first.Duplicates != 0 {
		t.Fatalf("first push = %+v, want ack 3, 3 stored", first)
	}
	second := push(t, h, tok, req)
	if second.AckSeq != 3 || second.Stored != 0 || second.Duplicates != 2 || second.Stale != 1 || len(second.Conflicts) != 0 {
		t.Fatalf("second push = %+v, want ack 3, 2 duplicates, 1 stale (v1 of id1), nothing stored", second)
	}
	if n := h.count(t, "SELECT count(*) FROM records"); n != 2 {
		t.Errorf("records = %d, want 2", n)
	}
	if v, _, _ := h.stored(t, agent.KindCustomer, id1); v != 2 {
		t.Errorf("id1 version = %d, want 2", v)
	}
}

func TestPush_OlderVersionNeverOverwritesNewer(t *testing.T) {
	h := newTestHub(t, nil)
	desk := agent.NewID()
	tok := h.token(t, upstream.RoleAgent, "desk-1", desk)
	id := agent.NewID()
	push(t, h, tok, upstream.PushRequest{Desk: desk, Records: []upstream.Record{rec(5, agent.KindCustomer, id, 3, customer(desk, id, 3, "新"))}})
	resp := push(t, h, tok, upstream.PushRequest{Desk: desk, Records: []upstream.Record{rec(6, agent.KindCustomer, id, 2, customer(desk, id, 2, "旧"))}})
	if resp.Stale != 1 || resp.Stored != 0 || resp.AckSeq != 6 {
		t.Fatalf("push of older version = %+v, want 1 stale, acked", resp)
	}
	v, _, body := h.stored(t, agent.KindCustomer, id)
	if v != 3 || !strings.Contains(string(body), "新") {
		t.Errorf("stored v%d %s, want v3 with 新", v, body)
	}
}

func TestPush_ConflictsKeptAndReported(t *testing.T) {
	h := newTestHub(t, nil)
	deskA, deskB := agent.NewID(), agent.NewID()
	tokA := h.token(t, upstream.RoleAgent, "a", deskA)
	tokB := h.token(t, upstream.RoleAgent, "b", deskB)
	id := agent.NewID()
	push(t, h, tokA, upstream.PushRequest{Desk: deskA, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, customer(deskA, id, 1, "甲"))}})

	t.Run("same version different body", func(t *testing.T) {
		req := upstream.PushRequest{Desk: deskA, Records: []upstream.Record{rec(2, agent.KindCustomer, id, 1, customer(deskA, id, 1, "乙"))}}
		for range 2 { // a resent conflict is kept once
			resp := push(t, h, tokA, req)
			if len(resp.Conflicts) != 1 || resp.Conflicts[0].ID != id || resp.AckSeq != 2 {
				t.Fatalf("resp = %+v, want one conflict on %s, acked", resp, id)
			}
		}
		if n := h.count(t, "SELECT count(*) FROM conflicts WHERE id = $1 AND desk = $2", id, deskA); n != 1 {
			t.Errorf("conflict rows = %d, want 1", n)
		}
	})
	t.Run("same version from another desk", func(t *testing.T) {
		c := customer("", id, 1, "甲") // no desk in the body: the pushing desk is the author
		resp := push(t, h, tokB, upstream.PushRequest{Desk: deskB, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, c)}})
		if len(resp.Conflicts) != 1 || !strings.Contains(resp.Conflicts[0].Reason, deskA) {
			t.Fatalf("resp = %+v, want a conflict naming desk %s", resp, deskA)
		}
	})
	if _, _, body := h.stored(t, agent.KindCustomer, id); !strings.Contains(string(body), "甲") {
		t.Errorf("stored body changed by a conflict: %s", body)
	}
	b, err := h.db.Board(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Conflicts) != 2 || b.Conflicts[0].Desk != deskB || b.Conflicts[0].StoredDesk != deskA || b.Conflicts[1].Desk != deskA {
		t.Errorf("board conflicts = %+v, want both shown, newest (desk b's) first", b.Conflicts)
	}
}

func TestAuth_Refusals(t *testing.T) {
	h := newTestHub(t, nil)
	deskA, deskB := agent.NewID(), agent.NewID()
	agentA := h.token(t, upstream.RoleAgent, "a", deskA)
	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	trainer := h.token(t, upstream.RoleTrainer, "teacher", "")
	wall := h.token(t, upstream.RoleWallboard, "大屏", "")
	expired := h.token(t, upstream.RoleSupervisor, "gone", "")
	if _, err := h.db.pool.Exec(context.Background(), `UPDATE tokens SET expires_at = now() - interval '1 minute' WHERE name = 'gone'`); err != nil {
		t.Fatal(err)
	}
	id := agent.NewID()
	session := seedEveryTable(t, h, agentA, trainer, deskA)
	ok := upstream.PushRequest{Desk: deskA, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, customer(deskA, id, 1, "甲"))}}
	foreign := upstream.PushRequest{Desk: deskA, Records: []upstream.Record{
		rec(1, agent.KindCustomer, id, 1, customer(deskA, id, 1, "甲")),
		rec(2, agent.KindCustomer, agent.NewID(), 1, customer(deskB, "", 1, "乙")),
	}}
	foreign.Records[1].Body = []byte(strings.Replace(string(foreign.Records[1].Body), `"id":""`, `"id":"`+foreign.Records[1].ID+`"`, 1))
	big := upstream.PushRequest{Desk: deskA, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, customer(deskA, id, 1, strings.Repeat("长", upstream.MaxPushBytes/3+10)))}}
	tests := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		reason string
	}{
		{"no token", "POST", "/v1/push", "", ok, 401, "missing bearer token"},
		{"wrong token", "POST", "/v1/push", "adk_not-a-token", ok, 401, "unknown or missing token"},
		{"supervisor pushes", "POST", "/v1/push", sup, ok, 403, "role supervisor may not"},
		{"trainer pushes", "POST", "/v1/push", trainer, ok, 403, "role trainer may not"},
		{"agent reads the board", "GET", "/v1/board", agentA, nil, 403, "role agent may not"},
		{"agent streams", "GET", "/v1/stream", agentA, nil, 403, "role agent may not"},
		{"trainer reads customers", "GET", "/v1/customers", trainer, nil, 403, "role trainer may not"},
		{"agent publishes a pack", "POST", "/v1/packs?lang=zh-Hans", agentA, []byte("x"), 403, "role agent may not"},
		{"agent pushes another desk's record", "POST", "/v1/push", agentA, foreign, 403, "belongs to desk"},
		{"token of desk A pushes as desk B", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: deskB}, 403, "bound to another desk"},
		{"token of desk A reports as desk B", "POST", "/v1/live", agentA, upstream.LiveReport{Desk: deskB}, 403, "bound to another desk"},
		{"oversized push", "POST", "/v1/push", agentA, big, 413, "larger than"},
		{"malformed JSON", "POST", "/v1/push", agentA, []byte(`{"desk": "x", "records": [`), 400, "malformed JSON"},
		{"trailing data", "POST", "/v1/push", agentA, []byte(`{"desk": "x"} {}`), 400, "data after"},
		{"body not an object", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: deskA, Records: []upstream.Record{{Seq: 1, Kind: "customer", ID: id, Version: 1, Body: []byte(`[1]`)}}}, 400, "JSON object"},
		{"bad kind", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: deskA, Records: []upstream.Record{{Seq: 1, Kind: "x'; DROP TABLE records;--", ID: id, Version: 1, Body: []byte(`{}`)}}}, 400, "not a record kind"},
		{"version zero", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: deskA, Records: []upstream.Record{{Seq: 1, Kind: "customer", ID: id, Version: 0, Body: []byte(`{}`)}}}, 400, "version"},
		{"body id differs", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: deskA, Records: []upstream.Record{{Seq: 1, Kind: "customer", ID: id, Version: 1, Body: []byte(`{"id":"other"}`)}}}, 400, "differs"},
		{"control character in desk", "POST", "/v1/push", agentA, upstream.PushRequest{Desk: "a\x00b"}, 400, "control character"},
		{"oversized pack", "POST", "/v1/packs?lang=zh-Hans", trainer, bytes.Repeat([]byte("a"), upstream.MaxPackBytes+1), 413, "larger than"},
		{"pack not TOML", "POST", "/v1/packs", trainer, []byte{0xff, 0xfe}, 400, "pack does not validate"},
		{"pack with an error", "POST", "/v1/packs?name=mine.toml", trainer, bytes.Replace(packFile(t, "en"), []byte(`time_zone = "Asia/Shanghai"`), []byte(`time_zone = "Mars/Olympus"`), 1), 400, "mine.toml:"},
		{"pack of another language", "POST", "/v1/packs?lang=zh-Hans", trainer, packFile(t, "en"), 400, "pack is en, not zh-Hans"},
		{"no pack yet", "GET", "/v1/packs/latest?lang=en", agentA, nil, 404, "no pack approved"},
		{"bad cursor", "GET", "/v1/customers?since=-1", agentA, nil, 400, "since"},
		{"unknown endpoint", "GET", "/v1/nothing", agentA, nil, 404, "no such endpoint"},
		{"expired token", "GET", "/v1/board", expired, nil, 401, "token expired"},
		{"wallboard pushes", "POST", "/v1/push", wall, ok, 403, "role wallboard may not"},
		{"wallboard reads customers", "GET", "/v1/customers", wall, nil, 403, "role wallboard may not"},
		{"wallboard reads the audit", "GET", "/v1/audit", wall, nil, 403, "role wallboard may not"},
		{"agent reads the audit", "GET", "/v1/audit", agentA, nil, 403, "role agent may not"},
		{"agent reads a customer record", "GET", "/v1/customers/" + id, agentA, nil, 403, "role agent may not"},
		{"supervisor reads no customer", "GET", "/v1/customers/" + agent.NewID(), sup, nil, 404, "no customer"},
		{"audit since garbage", "GET", "/v1/audit?since=yesterday", sup, nil, 400, "since"},
		{"supervisor signs in", "POST", "/v1/signin", sup, upstream.SignInRequest{Number: "8001", PIN: "2468", Desk: deskA}, 403, "role supervisor may not"},
		{"session signs in", "POST", "/v1/signin", session, upstream.SignInRequest{Number: "8001", PIN: "2468", Desk: deskA}, 403, "(session) may not"},
		{"sign-in for another desk", "POST", "/v1/signin", agentA, upstream.SignInRequest{Number: "8001", PIN: "2468", Desk: deskB}, 403, "bound to another desk"},
		{"sign-in without PIN", "POST", "/v1/signin", agentA, upstream.SignInRequest{Number: "8001", Desk: deskA}, 400, "PIN"},
		{"sign-in with a huge PIN", "POST", "/v1/signin", agentA, upstream.SignInRequest{Number: "8001", PIN: upstream.Secret(strings.Repeat("1", 300)), Desk: deskA}, 400, "PIN"},
		{"sign-in malformed", "POST", "/v1/signin", agentA, []byte(`{"number":`), 400, "malformed JSON"},
		{"device token signs out", "POST", "/v1/signout", agentA, nil, 403, "role agent may not"},
		{"session pushes for another desk", "POST", "/v1/push", session, upstream.PushRequest{Desk: deskB}, 403, "bound to another desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.dump(t)
			code, body := h.call(t, tt.method, tt.path, tt.token, tt.body)
			var eb upstream.ErrorBody
			if code != tt.status || json.Unmarshal(body, &eb) != nil || !strings.Contains(eb.Error, tt.reason) {
				t.Fatalf("%s %s = %d %s, want %d with an error naming %q", tt.method, tt.path, code, body, tt.status, tt.reason)
			}
			if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
				t.Errorf("a refused request changed %v", changed)
			}
		})
	}
	// The dump sees a change when there is one: the same push, allowed.
	before := h.dump(t)
	push(t, h, agentA, ok)
	if changed := pgtest.Changed(before, h.dump(t)); !slices.Contains(changed, "records") || !slices.Contains(changed, "desks") {
		t.Errorf("an accepted push changed %v; the dump cannot see changes", changed)
	}
}

// seedEveryTable puts a row in every table (a record, a conflict, a desk,
// a call, a pack, an agent who signed in at desk, so a desk key and the
// audit; the tokens and the hub's key exist), so a refusal that wrote,
// updated or deleted anything shows in a dump. It returns the agent's
// session token.
func seedEveryTable(t *testing.T, h *testHub, agentTok, trainerTok, desk string) string {
	t.Helper()
	id := agent.NewID()
	push(t, h, agentTok, upstream.PushRequest{Desk: desk, Pending: 3, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, customer(desk, id, 1, "种子"))}})
	if r := push(t, h, agentTok, upstream.PushRequest{Desk: desk, Records: []upstream.Record{rec(2, agent.KindCustomer, id, 1, customer(desk, id, 1, "冲突"))}}); len(r.Conflicts) != 1 {
		t.Fatalf("seed conflict: %+v", r)
	}
	live := upstream.LiveReport{Desk: desk, Status: upstream.AgentStatus{Agent: "小王", State: "busy"}, Events: []upstream.CallEvent{{Kind: "ringing", CallID: "seed-call", At: time.Now()}}}
	if code, body := h.call(t, "POST", "/v1/live", agentTok, live); code != 200 {
		t.Fatalf("seed live: %d %s", code, body)
	}
	if code, body := h.call(t, "POST", "/v1/packs?name=seed.toml", trainerTok, packFile(t, "zh-Hans")); code != 201 {
		t.Fatalf("seed pack: %d %s", code, body)
	}
	if err := h.db.AddAgent(context.Background(), AgentSpec{Number: "8001", Name: "种子", Role: upstream.RoleAgent, PIN: "2468"}); err != nil {
		t.Fatal(err)
	}
	code, body := h.call(t, "POST", "/v1/signin", agentTok, upstream.SignInRequest{Number: "8001", PIN: "2468", Desk: desk})
	var res upstream.SignInResult
	if code != 200 || json.Unmarshal(body, &res) != nil {
		t.Fatalf("seed sign-in: %d %s", code, body)
	}
	d := h.dump(t)
	for _, table := range []string{"tokens", "records", "conflicts", "desks", "calls", "packs", "schema_migrations", "agents", "desk_keys", "hub_keys", "audit"} {
		if d[table] == "" {
			t.Fatalf("seeded database has no rows in %s (dump: %v)", table, pgtest.Changed(nil, d))
		}
	}
	return string(res.Session)
}

// dump is every row of every table and every sequence of the hub's
// database (pgtest.Dump).
func (h *testHub) dump(t *testing.T) map[string]string {
	t.Helper()
	return pgtest.Dump(t, h.db.pool.Config().ConnString())
}

func TestPush_BindsTokenToFirstDesk(t *testing.T) {
	h := newTestHub(t, nil)
	tok := h.token(t, upstream.RoleAgent, "unbound", "")
	deskA, deskB := agent.NewID(), agent.NewID()
	push(t, h, tok, upstream.PushRequest{Desk: deskA})
	if code, body := h.call(t, "POST", "/v1/push", tok, upstream.PushRequest{Desk: deskB}); code != 403 {
		t.Fatalf("push as a second desk = %d %s, want 403", code, body)
	}
}

// Every text field of every request goes through parameters: quotes,
// semicolons, comment markers and backslashes are stored as sent.
func TestSQLMetacharactersStoredVerbatim(t *testing.T) {
	h := newTestHub(t, nil)
	const nasty = `O'Brien"; DROP TABLE records; -- \' \\ %_ $1 ' OR '1'='1`
	desk := "desk " + nasty
	tok := h.token(t, upstream.RoleAgent, "name "+nasty, "")
	id := "id " + nasty
	c := customer(desk, id, 1, nasty)
	c.Address, c.Notes, c.Tags = nasty, nasty+"\u0000nul", []string{nasty}
	push(t, h, tok, upstream.PushRequest{Desk: desk, Records: []upstream.Record{rec(1, agent.KindCustomer, id, 1, c)}})
	want, _ := json.Marshal(c)
	_, gotDesk, body := h.stored(t, agent.KindCustomer, id)
	if gotDesk != desk || !bytes.Equal(body, want) {
		t.Errorf("stored desk %q body %s\nwant desk %q body %s", gotDesk, body, desk, want)
	}
	var name string
	if err := h.db.pool.QueryRow(context.Background(), "SELECT name FROM tokens WHERE desk = $1", desk).Scan(&name); err != nil || name != "name "+nasty {
		t.Errorf("token name %q (%v), want it verbatim", name, err)
	}

	live := upstream.LiveReport{Desk: desk, Status: upstream.AgentStatus{Agent: nasty, State: nasty, Queue: nasty},
		Events: []upstream.CallEvent{{Kind: "ringing", CallID: nasty, Queue: nasty, Direction: "inbound", Caller: nasty, At: time.Now()}}}
	if code, body := h.call(t, "POST", "/v1/live", tok, live); code != 200 {
		t.Fatalf("live = %d %s", code, body)
	}
	trainer := h.token(t, upstream.RoleTrainer, "t", "")
	tomlString := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(nasty)
	pack := bytes.Replace(packFile(t, "en"), []byte(`company = "XX"`), []byte(`company = "`+tomlString+`"`), 1)
	sup := h.token(t, upstream.RoleSupervisor, "s", "")
	v := h.publish(t, trainer, nasty, pack)
	if rv := h.review(t, sup, v.Version, true, nasty); rv.Reason != nasty || rv.ReviewedBy != "s" {
		t.Errorf("review = %+v, want the reason verbatim", rv)
	}
	code, body := h.call(t, "GET", "/v1/packs/latest?lang=en", tok, nil)
	var pk upstream.Pack
	if code != 200 || json.Unmarshal(body, &pk) != nil || pk.Name != nasty || !bytes.Equal(pk.Data, pack) || pk.Lang != "en" {
		t.Errorf("latest pack = %d %s, want it verbatim", code, body)
	}
	code, body = h.call(t, "GET", "/v1/board", sup, nil)
	var b upstream.Board
	if code != 200 || json.Unmarshal(body, &b) != nil || len(b.Agents) != 1 || b.Agents[0].Agent != nasty || b.Agents[0].Desk != desk ||
		len(b.Queues) != 1 || b.Queues[0].Queue != nasty {
		t.Errorf("board = %d %s, want the agent and queue verbatim", code, body)
	}
	for _, table := range []string{"records", "tokens", "desks", "calls", "packs"} {
		h.count(t, "SELECT count(*) FROM "+table) // each table still exists
	}
}

// packFile is one of the embedded default packs, a valid file to publish.
func packFile(t *testing.T, lang string) []byte {
	t.Helper()
	b, err := scripts.DefaultPackFile(lang)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", "#", "%23", "'", "%27", `"`, "%22", `\`, "%5C", ";", "%3B", "$", "%24", "=", "%3D")
	return r.Replace(s)
}

func TestMigrate_SeveralHubsStartTogether(t *testing.T) {
	dsn := pgtest.New(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := Open(context.Background(), dsn, WithLogger(quiet))
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatalf("hub start: %v", err)
		}
	}
	db, err := Open(context.Background(), dsn, WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	files, _ := fs.Glob(migrationFS, "migrations/*.sql")
	var n int
	if err := db.pool.QueryRow(context.Background(), "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(files) || n < 2 {
		t.Fatalf("schema_migrations rows = %d (%v), want one per migration (%d)", n, err, len(files))
	}
}

func TestHealthz(t *testing.T) {
	h := newTestHub(t, nil)
	if code, body := h.call(t, "GET", "/healthz", "", nil); code != 200 || !strings.Contains(string(body), "ok") {
		t.Fatalf("healthz = %d %s", code, body)
	}
}

func TestSync_CustomersAndPacksReachOtherDesks(t *testing.T) {
	h := newTestHub(t, nil)
	a, b := upstreamtest.NewDesk(agent.NewID()), upstreamtest.NewDesk(agent.NewID())
	ca := newClient(t, h, a)
	cb := newClient(t, h, b)
	id, gone := agent.NewID(), agent.NewID()
	a.Put(agent.KindCustomer, id, 1, t0, customer(a.ID, id, 1, "王五"))
	a.Put(agent.KindCustomer, gone, 1, t0, customer(a.ID, gone, 1, "赵六"))
	a.Put(agent.KindCall, agent.NewID(), 1, t0, map[string]any{"version": 1})
	trainer := h.token(t, upstream.RoleTrainer, "t", "")
	v := h.publish(t, trainer, "hotline.toml", packFile(t, "zh-Hans"))
	h.review(t, h.token(t, upstream.RoleSupervisor, "s", ""), v.Version, true, "")
	ctx := context.Background()
	if err := ca.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cb.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.Record(agent.KindCustomer, id); !strings.Contains(string(got), "王五") {
		t.Fatalf("desk b has %s, want the customer from desk a", got)
	}
	if got := b.Record(agent.KindCall, ""); got != nil {
		t.Errorf("calls are not pulled")
	}
	if pk := b.Pack("zh-Hans"); pk.ID == 0 || pk.Name != "hotline.toml" {
		t.Errorf("desk b pack = %+v, want the published one", pk)
	}
	// A newer version and a deletion on desk a reach desk b on its next round.
	a.Put(agent.KindCustomer, id, 2, t0, customer(a.ID, id, 2, "王五（金卡）"))
	a.Delete(agent.KindCustomer, gone, 2, t0)
	if err := ca.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cb.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := b.Record(agent.KindCustomer, id); !strings.Contains(string(got), "金卡") {
		t.Errorf("desk b has %s, want version 2", got)
	}
	if got := b.Record(agent.KindCustomer, gone); got != nil {
		t.Errorf("desk b still has deleted customer: %s", got)
	}
	if st := cb.Status(); st.LastSync.IsZero() || st.LastError != "" || st.Pulled != 4 {
		t.Errorf("desk b status = %+v, want synced with 4 customer changes applied (2 new, 1 update, 1 deletion)", st)
	}
}

func newClient(t *testing.T, h *testHub, d *upstreamtest.Desk, opts ...upstream.ClientOption) *upstream.Client {
	t.Helper()
	tok := h.token(t, upstream.RoleAgent, "desk "+d.ID, d.ID)
	c, err := upstream.NewClient(h.url, tok, d, d, append([]upstream.ClientOption{upstream.WithLogger(quiet), upstream.WithBatch(50)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openStream subscribes to url's supervisor stream and returns a function
// that waits for the next event of a kind and returns its data.
func openStream(t *testing.T, ctx context.Context, url, token string) func(kind string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan string, 100)
	go func() {
		buf := make([]byte, 1<<20)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.Index(acc, "\n\n")
				if i < 0 {
					break
				}
				events <- acc[:i]
				acc = acc[i+2:]
			}
			if err != nil {
				close(events)
				return
			}
		}
	}()
	return func(kind string) string {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended waiting for %s", kind)
				}
				if strings.HasPrefix(ev, "event: "+kind+"\n") {
					return strings.TrimPrefix(ev, "event: "+kind+"\ndata: ")
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", kind)
			}
		}
	}
}

func TestStream_AlertArrivesAtOnce(t *testing.T) {
	h := newTestHub(t, nil)
	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next := openStream(t, ctx, h.url, sup)
	next("board")

	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	alertID := agent.NewID()
	d.Put(agent.KindAlert, alertID, 1, t0, map[string]any{"id": alertID, "version": 1, "kind": "major_complaint", "summary": "重大投诉"})
	start := time.Now()
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var a upstream.BoardAlert
	if err := json.Unmarshal([]byte(next("alert")), &a); err != nil || a.ID != alertID || a.Desk != d.ID {
		t.Fatalf("alert event = %+v (%v), want alert %s from %s", a, err, alertID, d.ID)
	}
	// The stream refresh is an hour here, so only the alert path can explain it.
	t.Logf("alert reached the stream %s after the push began", time.Since(start))
}

// Two hubs on one database: a desk pushes to one, a supervisor watches the
// other, and the alert crosses over through LISTEN/NOTIFY.
func TestStream_AlertCrossesHubs(t *testing.T) {
	h1 := newTestHub(t, nil)
	db2, err := Open(context.Background(), h1.db.pool.Config().ConnString(), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db2.Close)
	srv2 := httptest.NewServer(upstream.NewServer(db2, upstream.WithServerLogger(quiet), upstream.WithStreamRefresh(time.Hour)))
	t.Cleanup(srv2.Close)
	sup := h1.token(t, upstream.RoleSupervisor, "boss", "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next := openStream(t, ctx, srv2.URL, sup)
	next("board")
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h1, d)
	alertID := agent.NewID()
	d.Put(agent.KindAlert, alertID, 1, t0, map[string]any{"id": alertID, "version": 1})
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if data := next("alert"); !strings.Contains(data, alertID) {
		t.Fatalf("alert on hub 2 = %s, want %s", data, alertID)
	}
	// A state change through hub 1 reaches hub 2's stream as a new board.
	if err := c.Live(ctx, upstream.AgentStatus{Agent: "小赵", State: "busy"}, nil); err != nil {
		t.Fatal(err)
	}
	for {
		if strings.Contains(next("board"), "小赵") {
			break
		}
	}
}

func TestBoard_AgentsQueuesStatsOverdueUnsynced(t *testing.T) {
	now := time.Now()
	h := newTestHub(t, nil, WithClock(agent.FixedClock(now)))
	d1, d2 := upstreamtest.NewDesk(agent.NewID()), upstreamtest.NewDesk(agent.NewID())
	c1, c2 := newClient(t, h, d1), newClient(t, h, d2)
	ctx := context.Background()
	for i := range 3 {
		d2.Put(agent.KindCall, agent.NewID(), 1, now.Add(-time.Duration(i)*time.Minute), map[string]any{"version": 1})
	}
	if err := c1.Live(ctx, upstream.AgentStatus{Agent: "小王", State: "busy", Queue: "售后"}, []upstream.CallEvent{
		{Kind: "ringing", CallID: "c1", Queue: "售后", Direction: "inbound", At: now},
		{Kind: "answered", CallID: "c1", At: now},
		{Kind: "ringing", CallID: "c2", Queue: "售后", Direction: "inbound", At: now},
		{Kind: "ringing", CallID: "c3", Queue: "售后", Direction: "inbound", At: now},
		{Kind: "missed", CallID: "c3", At: now},
	}); err != nil {
		t.Fatal(err)
	}
	if err := c2.Live(ctx, upstream.AgentStatus{Agent: "小李", State: "ready", Queue: "咨询"}, []upstream.CallEvent{
		{Kind: "ringing", CallID: "o1", Direction: "outbound", Queue: "咨询", At: now}, {Kind: "answered", CallID: "o1", At: now}, {Kind: "ended", CallID: "o1", At: now},
	}); err != nil {
		t.Fatal(err)
	}
	if err := c1.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := h.db.Board(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Agents) != 2 {
		t.Fatalf("agents = %+v, want 2", b.Agents)
	}
	if len(b.Queues) == 1 && !b.Queues[0].LongestRinging.IsZero() {
		b.Queues[0].LongestRinging = time.Time{} // the hub's clock: checked by the floor's own test
	}
	if got := fmt.Sprint(b.Queues); got != "[{售后 1 1 0001-01-01 00:00:00 +0000 UTC}]" {
		t.Errorf("queues = %s, want 售后 one ringing, one talking; 咨询 idle (not listed)", got)
	}
	stats := map[string]upstream.BoardStats{}
	for _, s := range b.Today {
		stats[s.Agent] = s
	}
	if s := stats["小王"]; s.Inbound != 3 || s.Answered != 1 || s.Missed != 1 {
		t.Errorf("小王 today = %+v, want 3 inbound, 1 answered, 1 missed", s)
	}
	if s := stats["小李"]; s.Outbound != 1 || s.Answered != 1 {
		t.Errorf("小李 today = %+v, want 1 outbound answered", s)
	}
	if len(b.Unsynced) != 1 || b.Unsynced[0].Desk != d2.ID || b.Unsynced[0].Pending != 3 {
		t.Errorf("unsynced = %+v, want desk 2 with 3 waiting", b.Unsynced)
	}
	// A desk not heard from for over a minute shows offline.
	later, err := h.db.Board(ctx, now.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range later.Agents {
		if a.State != "offline" {
			t.Errorf("agent %s after 2 silent minutes is %s, want offline", a.Agent, a.State)
		}
	}
}

// Desks racing to push the same new record and version with different
// contents: one is stored, every other one is kept as a conflict, even when
// the race is decided inside PostgreSQL after the hubs read. The test holds
// a SHARE lock on records, which lets every push read (FOR UPDATE takes ROW
// SHARE) but stops each at its write, until all have read.
func TestPush_RacingDesksSameNewRecord(t *testing.T) {
	h := newTestHub(t, nil)
	const desks = 8
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for round := range 5 {
		id := agent.NewID()
		lock, err := h.db.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lock.Exec(ctx, "LOCK TABLE records IN SHARE MODE"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make(chan upstream.PushResponse, desks)
		for i := range desks {
			desk := fmt.Sprintf("desk-%d-%d", round, i)
			tok := h.token(t, upstream.RoleAgent, desk, desk)
			req := upstream.PushRequest{Desk: desk, Records: []upstream.Record{rec(1, agent.KindCall, id, 1, map[string]any{"id": id, "version": 1, "note": desk})}}
			wg.Go(func() { results <- push(t, h, tok, req) })
		}
		for h.count(t, "SELECT count(*) FROM pg_locks WHERE relation = 'records'::regclass AND NOT granted") < desks {
			if ctx.Err() != nil {
				t.Fatal("the pushes never all waited to write")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := lock.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(results)
		stored, conflicts := 0, 0
		for r := range results {
			stored += r.Stored
			conflicts += len(r.Conflicts)
		}
		if stored != 1 || conflicts != desks-1 {
			t.Fatalf("round %d: %d stored, %d conflicts reported; want 1 and %d", round, stored, conflicts, desks-1)
		}
		if n := h.count(t, "SELECT count(*) FROM conflicts WHERE id = $1", id); n != desks-1 {
			t.Fatalf("round %d: %d conflicts kept, want %d", round, n, desks-1)
		}
	}
}

// The database drops the hub's LISTEN connection (a failover, an admin's
// pg_terminate_backend): the hub listens again and alerts still arrive.
func TestStream_SurvivesListenerReconnect(t *testing.T) {
	h := newTestHub(t, nil)
	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := openStream(t, ctx, h.url, sup)
	next("board")
	var killed int
	if err := h.db.pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", killed, err)
	}
	// The reconnect makes streams recompute; then LISTEN is back in place.
	next("board")
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	alertID := agent.NewID()
	d.Put(agent.KindAlert, alertID, 1, t0, map[string]any{"id": alertID, "version": 1})
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if data := next("alert"); !strings.Contains(data, alertID) {
		t.Fatalf("alert after reconnect = %s", data)
	}
}
