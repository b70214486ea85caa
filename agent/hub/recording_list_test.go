package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// Listing recordings through the HTTP API against the real PostgreSQL:
// who may list whose, with and without audio, newest first, the time
// bounds and the limit, bad queries.

// putRecording queues desk d's recording id of agent number, begun at
// started.
func putRecording(d *upstreamtest.Desk, id, number, callID string, started time.Time) {
	d.Put(agent.KindRecording, id, 1, started, &agent.Recording{Meta: agent.Meta{ID: id, Version: 1, Desk: d.ID, CreatedAt: started, UpdatedAt: started},
		CallID: callID, Agent: number, File: id + ".wav", Started: started, Duration: 90 * time.Second, Paused: 5 * time.Second, Channels: 2})
}

// listed is the IDs of a listing, in its order.
func listed(l upstream.RecordingList) []string {
	var ids []string
	for _, r := range l.Recordings {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestRecordings_WhoListsWhat(t *testing.T) {
	h := startHub(t, "", nil)
	ctx := context.Background()
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "8001-pin-娜"})
	deskA, deskB := agent.NewID(), agent.NewID()
	a, da := liveDesk(t, h, deskA)
	b, db := liveDesk(t, h, deskB)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	// r1..r5 begin ten minutes apart: 8001 at desk A (r1, r2) and desk B
	// (r5), 8002 at desk A (r3) and desk B (r4).
	r := make([]string, 6)
	for i := range r {
		r[i] = agent.NewID()
	}
	putRecording(da, r[1], "8001", "call-1@pbx", at(10))
	putRecording(da, r[2], "8001", "call-2@pbx", at(20))
	putRecording(da, r[3], "8002", "call-3@pbx", at(30))
	putRecording(db, r[4], "8002", "call-4@pbx", at(40))
	putRecording(db, r[5], "8001", "call-5@pbx", at(50))
	// A call record and a recording deleted on its desk are not listed.
	pushCall(t, a, da, "8001", "call-9@pbx", "")
	gone := agent.NewID()
	putRecording(db, gone, "8001", "call-gone@pbx", at(45))
	for _, c := range []*upstream.Client{a, b} {
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db.Delete(agent.KindRecording, gone, 2, at(46))
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	audio := wav(4000, 3)
	if _, err := a.UploadRecording(ctx, r[2], bytes.NewReader(audio)); err != nil {
		t.Fatal(err)
	}

	sup := asClient(t, h, h.token(t, upstream.RoleSupervisor, "张主管", ""))
	signedIn := deskClient(t, h, deskA, "127.0.0.1")
	res, err := signedIn.SignIn(ctx, "8001", "8001-pin-娜")
	if err != nil {
		t.Fatal(err)
	}
	session := asClient(t, h, string(res.Session))
	unbound := asClient(t, h, h.token(t, upstream.RoleAgent, "PC 新装", ""))
	trainer := asClient(t, h, h.token(t, upstream.RoleTrainer, "培训师王", ""))
	wallboard := asClient(t, h, h.token(t, upstream.RoleWallboard, "电视", ""))
	auditBefore := h.count(t, "SELECT count(*) FROM audit")

	for _, tt := range []struct {
		name string
		c    *upstream.Client
		q    upstream.RecordingQuery
		want []string
		err  error
	}{
		{"supervisor, everybody's", sup, upstream.RecordingQuery{}, []string{r[5], r[4], r[3], r[2], r[1]}, nil},
		{"supervisor, one agent's", sup, upstream.RecordingQuery{Agent: "8001"}, []string{r[5], r[2], r[1]}, nil},
		{"supervisor, an agent with none", sup, upstream.RecordingQuery{Agent: "9999"}, nil, nil},
		{"session, its own agent's from every desk", session, upstream.RecordingQuery{}, []string{r[5], r[2], r[1]}, nil},
		{"session naming its own agent", session, upstream.RecordingQuery{Agent: "8001"}, []string{r[5], r[2], r[1]}, nil},
		{"session naming another agent", session, upstream.RecordingQuery{Agent: "8002"}, nil, upstream.ErrForbidden},
		{"desk A's token, its desk's", a, upstream.RecordingQuery{}, []string{r[3], r[2], r[1]}, nil},
		{"desk A's token, one agent at it", a, upstream.RecordingQuery{Agent: "8002"}, []string{r[3]}, nil},
		{"desk B's token, its desk's", b, upstream.RecordingQuery{}, []string{r[5], r[4]}, nil},
		{"a desk token bound to no desk", unbound, upstream.RecordingQuery{}, nil, upstream.ErrForbidden},
		{"trainer", trainer, upstream.RecordingQuery{}, nil, upstream.ErrWrongRole},
		{"wallboard", wallboard, upstream.RecordingQuery{}, nil, upstream.ErrWrongRole},
		{"from inclusive, to exclusive", sup, upstream.RecordingQuery{From: at(20), To: at(50)}, []string{r[4], r[3], r[2]}, nil},
		{"from only", sup, upstream.RecordingQuery{From: at(35)}, []string{r[5], r[4]}, nil},
		{"to only, one agent", sup, upstream.RecordingQuery{Agent: "8001", To: at(20)}, []string{r[1]}, nil},
		{"from in another zone", sup, upstream.RecordingQuery{From: at(40).In(time.FixedZone("CST", 8*3600))}, []string{r[5], r[4]}, nil},
		{"desk's token within bounds", b, upstream.RecordingQuery{To: at(45)}, []string{r[4]}, nil},
		{"limit over the most", sup, upstream.RecordingQuery{Limit: upstream.MaxRecordingPage + 1}, nil, upstream.ErrInvalid},
		{"negative limit", sup, upstream.RecordingQuery{Limit: -1}, nil, upstream.ErrInvalid},
		{"to before from", sup, upstream.RecordingQuery{From: at(30), To: at(20)}, nil, upstream.ErrInvalid},
		{"control character in the agent", sup, upstream.RecordingQuery{Agent: "80\x0101"}, nil, upstream.ErrInvalid},
	} {
		l, err := tt.c.Recordings(ctx, tt.q)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
			continue
		}
		if got := listed(l); !slices.Equal(got, tt.want) || l.More {
			t.Errorf("%s: listed %v (more %v), want %v", tt.name, got, l.More, tt.want)
		}
	}
	if n := h.count(t, "SELECT count(*) FROM audit"); n != auditBefore {
		t.Errorf("listings wrote %d audit entries, want none", n-auditBefore)
	}

	// Entries with and without audio, as recorded.
	l, err := sup.Recordings(ctx, upstream.RecordingQuery{Agent: "8001", To: at(30)})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(audio)
	want := []upstream.RecordingInfo{
		{ID: r[2], Agent: "8001", Desk: deskA, CallID: "call-2@pbx", Started: at(20), Duration: 90, Paused: 5, Channels: 2,
			Audio: true, Size: int64(len(audio)), SHA256: hex.EncodeToString(sum[:])},
		{ID: r[1], Agent: "8001", Desk: deskA, CallID: "call-1@pbx", Started: at(10), Duration: 90, Paused: 5, Channels: 2},
	}
	if len(l.Recordings) != 2 {
		t.Fatalf("listed %+v", l)
	}
	for i, got := range l.Recordings {
		if !got.Started.Equal(want[i].Started) {
			t.Errorf("entry %d started %s, want %s", i, got.Started, want[i].Started)
		}
		got.Started = want[i].Started
		if got != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got, want[i])
		}
	}

	// Pages: the limit, More, and the next page asked with To.
	var pages [][]string
	q := upstream.RecordingQuery{Limit: 2}
	for {
		l, err := sup.Recordings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, listed(l))
		if !l.More {
			break
		}
		q.To = l.Recordings[len(l.Recordings)-1].Started
		if len(pages) > 5 {
			t.Fatalf("pages never end: %v", pages)
		}
	}
	if wantPages := [][]string{{r[5], r[4]}, {r[3], r[2]}, {r[1]}}; !slices.EqualFunc(pages, wantPages, slices.Equal[[]string]) {
		t.Errorf("pages %v, want %v", pages, wantPages)
	}
	if l, err := sup.Recordings(ctx, upstream.RecordingQuery{Limit: 5}); err != nil || l.More || len(l.Recordings) != 5 {
		t.Errorf("a limit of exactly all = %v more %v, %v", listed(l), l.More, err)
	}

	// Bad query values the client cannot send: 400 naming the parameter.
	supTok := h.token(t, upstream.RoleSupervisor, "李主管", "")
	for _, tt := range []struct{ query, names string }{
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"limit=501", "limit"},
		{"from=yesterday", "from"},
		{"to=2026-13-01T00:00:00Z", "to"},
		{"from=2026-11-23", "from"},
		{"agent=" + url.QueryEscape(strings.Repeat("8", 300)), "agent"},
	} {
		code, body := h.call(t, "GET", "/v1/recordings?"+tt.query, supTok, nil)
		var eb upstream.ErrorBody
		_ = json.Unmarshal(body, &eb)
		if code != http.StatusBadRequest || !strings.Contains(eb.Error, ": "+tt.names+" ") {
			t.Errorf("?%s = %d %s, want 400 naming %s", tt.query, code, body, tt.names)
		}
	}
	if code, body := h.call(t, "GET", "/v1/recordings", "", nil); code != http.StatusUnauthorized {
		t.Errorf("no token = %d %s, want 401", code, body)
	}
}

// A database made before migration 0007 holds recordings without their
// agent and start in the derived columns: the migration fills them, so
// they are listed.
func TestMigrate_BackfillsRecordings(t *testing.T) {
	c0 := context.Background()
	dsn := pgtest.New(t)
	conn, err := pgx.Connect(c0, dsn)
	must(t, err)
	defer conn.Close(c0)
	_, err = conn.Exec(c0, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
	must(t, err)
	for i, name := range []string{"0001_init.sql", "0002_reply_due.sql", "0003_pack_review.sql", "0004_trust.sql", "0005_center.sql", "0006_supervision.sql"} {
		sql, err := migrationFS.ReadFile("migrations/" + name)
		must(t, err)
		_, err = conn.Exec(c0, string(sql))
		must(t, err)
		_, err = conn.Exec(c0, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, i+1, name)
		must(t, err)
	}
	desk := agent.NewID()
	now := time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)
	var ids []string
	for i, number := range []string{"1001", "1002", "1001"} {
		started := now.Add(time.Duration(i) * time.Minute)
		rec := agent.Recording{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: desk}, CallID: "c@pbx", Agent: number, File: "x.wav", Started: started, Channels: 2}
		body, err := json.Marshal(rec)
		must(t, err)
		_, err = conn.Exec(c0, `INSERT INTO records (kind, id, version, desk, body, doc, received_at, rev) VALUES ('recording', $1, 1, $2, $3::bytea, convert_from($3::bytea, 'UTF8')::jsonb, $4, nextval('record_rev'))`,
			rec.ID, desk, body, now)
		must(t, err)
		ids = append(ids, rec.ID)
	}
	db, err := Open(c0, dsn, WithLogger(quiet))
	must(t, err)
	defer db.Close()
	l, err := db.Recordings(c0, upstream.RecordingQuery{Agent: "1001", Limit: 10}, "")
	must(t, err)
	if got := listed(l); !slices.Equal(got, []string{ids[2], ids[0]}) || !l.Recordings[0].Started.Equal(now.Add(2*time.Minute)) {
		t.Errorf("1001's recordings after the migration = %+v", l.Recordings)
	}
	l, err = db.Recordings(c0, upstream.RecordingQuery{From: now.Add(time.Minute), Limit: 10}, desk)
	must(t, err)
	if got := listed(l); !slices.Equal(got, []string{ids[2], ids[1]}) {
		t.Errorf("the desk's recordings from %s after the migration = %v", now.Add(time.Minute), got)
	}
}
