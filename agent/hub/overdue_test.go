package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// caseAt builds a complaint through the domain's own steps, as a desk
// would: opened, heard and asked at followed, then followed with sev
// (reply due by the default policy) unless solved on the call.
func caseAt(t *testing.T, desk string, followed time.Time, sev agent.Severity, solved bool) *agent.Complaint {
	t.Helper()
	c, err := agent.NewComplaint(agent.NewID(), "小王", agent.ChannelPhone, followed)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Listen("快递三天没到", followed))
	must(t, c.Ask(agent.Facts{What: "快递未到", When: "三天前", Where: "上海", Subject: "订单 1001", Wants: "尽快送到"}, true, followed))
	if _, err := c.Follow(agent.FollowInput{Severity: sev, SolvedOnCall: solved}, followed, agent.DefaultReplyPolicy()); err != nil {
		t.Fatal(err)
	}
	c.Desk = desk
	c.Touch(followed)
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func reply(t *testing.T, c *agent.Complaint, at time.Time) {
	t.Helper()
	must(t, c.Reply(agent.ReplyInput{How: "phone", Said: "已补发", Accepted: true}, at))
	c.Touch(at)
}

// The board's overdue list is agent's rule, computed when a complaint is
// pushed: a case awaiting its reply past due is on it; replied, closed,
// solved-on-call, still-in-intake and not-yet-due cases are not, nor one
// whose reply time was moved later with the caller, nor a deleted one; a
// reopened case is again.
func TestBoard_OverdueIsTheDomainsRule(t *testing.T) {
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	h := newTestHub(t, nil, WithClock(agent.FixedClock(now)))
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	ctx := context.Background()
	put := func(cs ...*agent.Complaint) {
		for _, x := range cs {
			d.Put(agent.KindComplaint, x.ID, x.Version, now, x)
		}
		if err := c.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}

	late := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false) // due 1 h ago
	replied := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	reply(t, replied, now.Add(-150*time.Minute))
	closed := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	reply(t, closed, now.Add(-150*time.Minute))
	must(t, closed.Record("快递未到", "联系快递公司补发", "已送达", now.Add(-140*time.Minute)))
	must(t, closed.Close(now.Add(-140*time.Minute)))
	closed.Touch(now.Add(-140 * time.Minute))
	solved := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, true)
	notDue := caseAt(t, d.ID, now.Add(-time.Hour), agent.SeveritySimple, false) // due in 1 h
	intake, err := agent.NewComplaint(agent.NewID(), "小王", agent.ChannelPhone, now.Add(-5*time.Hour))
	must(t, err)
	must(t, intake.Listen("还没说完", now.Add(-5*time.Hour)))
	intake.Desk = d.ID
	intake.Touch(now.Add(-5 * time.Hour))
	moved := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	must(t, moved.SetReplyDue(now.Add(5*time.Hour), "来电人出差，约定周末回复", now.Add(-2*time.Hour)))
	moved.Touch(now.Add(-2 * time.Hour))
	reopened := caseAt(t, d.ID, now.Add(-30*time.Hour), agent.SeverityComplex, false)
	reply(t, reopened, now.Add(-29*time.Hour))
	must(t, reopened.Reopen("来电人不满意", now.Add(-26*time.Hour), agent.DefaultReplyPolicy())) // due 2 h ago
	reopened.Touch(now.Add(-26 * time.Hour))
	deleted := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	fixedLater := caseAt(t, d.ID, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	put(late, replied, closed, solved, notDue, intake, moved, reopened, deleted, fixedLater)

	b, err := h.db.Board(ctx, now)
	must(t, err)
	if got, want := overdueIDs(b), []string{reopened.ID, late.ID, deleted.ID, fixedLater.ID}; !sameSet(got, want) || got[0] != reopened.ID {
		t.Fatalf("overdue = %s, want %s, most overdue first", names(got, map[string]string{late.ID: "late", reopened.ID: "reopened", deleted.ID: "deleted", fixedLater.ID: "fixed later"}), want)
	}
	if !b.Overdue[0].Due.Equal(reopened.ReplyDue()) {
		t.Errorf("reopened case due %s, want %s", b.Overdue[0].Due, reopened.ReplyDue())
	}

	// A later version replies to one; another is deleted: both leave the list.
	reply(t, fixedLater, now.Add(-10*time.Minute))
	put(fixedLater)
	d.Delete(agent.KindComplaint, deleted.ID, deleted.Version+1, now)
	put()
	b, err = h.db.Board(ctx, now)
	must(t, err)
	if got := overdueIDs(b); !sameSet(got, []string{reopened.ID, late.ID}) {
		t.Fatalf("overdue after a reply and a deletion = %v, want the reopened and the late case", got)
	}
	// The same rule, an hour later: the case not yet due is overdue too.
	b, err = h.db.Board(ctx, now.Add(61*time.Minute))
	must(t, err)
	if got := overdueIDs(b); !sameSet(got, []string{reopened.ID, late.ID, notDue.ID}) {
		t.Errorf("overdue an hour later = %v, want the not-yet-due case added", got)
	}
	// Every case agrees with agent.OverdueReplies at both instants.
	all := []*agent.Complaint{late, replied, closed, solved, notDue, intake, moved, reopened, fixedLater}
	for _, at := range []time.Time{now, now.Add(61 * time.Minute)} {
		var cs []agent.Complaint
		for _, x := range all {
			cs = append(cs, *x)
		}
		var want []string
		for _, x := range agent.OverdueReplies(cs, at) {
			want = append(want, x.ID)
		}
		b, err := h.db.Board(ctx, at)
		must(t, err)
		if got := overdueIDs(b); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("at %s the board says %v, agent.OverdueReplies %v", at, got, want)
		}
	}
}

func overdueIDs(b upstream.Board) []string {
	var ids []string
	for _, o := range b.Overdue {
		ids = append(ids, o.ID)
	}
	return ids
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func names(ids []string, name map[string]string) string {
	var out []string
	for _, id := range ids {
		if n, ok := name[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, id)
		}
	}
	return fmt.Sprint(out)
}

// A complaint body the domain cannot read is stored as sent (the hub
// keeps every desk's bytes) and is never on the overdue list.
func TestPush_UnreadableComplaintStoredNotOverdue(t *testing.T) {
	now := time.Now()
	h := newTestHub(t, nil)
	desk := agent.NewID()
	tok := h.token(t, upstream.RoleAgent, "d", desk)
	id := agent.NewID()
	body := fmt.Sprintf(`{"id":%q,"version":1,"state":"escalated_by_a_newer_desk","follow":{"reply_due":%q}}`, id, now.Add(-time.Hour).Format(time.RFC3339))
	resp := push(t, h, tok, upstream.PushRequest{Desk: desk, Records: []upstream.Record{{Seq: 1, Kind: agent.KindComplaint, ID: id, Version: 1, At: now, Body: json.RawMessage(body)}}})
	if resp.Stored != 1 {
		t.Fatalf("push = %+v", resp)
	}
	if _, _, got := h.stored(t, agent.KindComplaint, id); string(got) != body {
		t.Errorf("stored %s, want the desk's bytes", got)
	}
	b, err := h.db.Board(context.Background(), now)
	must(t, err)
	if len(b.Overdue) != 0 {
		t.Errorf("overdue = %+v, want none", b.Overdue)
	}
}

// A database made by a hub before migration 0002 holds complaints with no
// reply_due: the migration computes it for them with the same rule.
func TestMigrate_BackfillsReplyDue(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	conn, err := pgx.Connect(ctx, dsn)
	must(t, err)
	defer conn.Close(ctx)
	// The old hub: migration 0001 only, and its records.
	first, err := migrationFS.ReadFile("migrations/0001_init.sql")
	must(t, err)
	_, err = conn.Exec(ctx, string(first)+`;
		CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init.sql')`)
	must(t, err)
	desk := agent.NewID()
	late := caseAt(t, desk, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	notDue := caseAt(t, desk, now.Add(-time.Hour), agent.SeveritySimple, false)
	replied := caseAt(t, desk, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	reply(t, replied, now.Add(-2*time.Hour))
	gone := caseAt(t, desk, now.Add(-3*time.Hour), agent.SeveritySimple, false)
	for _, x := range []struct {
		c       *agent.Complaint
		kind    agent.Kind
		deleted bool
	}{{late, agent.KindComplaint, false}, {notDue, agent.KindComplaint, false}, {replied, agent.KindComplaint, false}, {gone, agent.KindComplaint, true}, {late, agent.KindCall, false}} {
		body, err := json.Marshal(x.c)
		must(t, err)
		_, err = conn.Exec(ctx, `INSERT INTO records (kind, id, version, desk, deleted, body, doc, received_at, rev) VALUES ($1, $2, $3, $4, $5, $6::bytea, convert_from($6::bytea, 'UTF8')::jsonb, $7, nextval('record_rev'))`,
			string(x.kind), x.c.ID, x.c.Version, desk, x.deleted, body, now.Add(-time.Hour))
		must(t, err)
	}
	var revsBefore string
	must(t, conn.QueryRow(ctx, `SELECT string_agg(kind || id || rev, ',' ORDER BY kind, id) FROM records`).Scan(&revsBefore))

	db, err := Open(ctx, dsn, WithLogger(quiet))
	must(t, err)
	defer db.Close()
	due := map[string]*time.Time{}
	rows, err := conn.Query(ctx, `SELECT id, reply_due FROM records WHERE kind = 'complaint'`)
	must(t, err)
	for rows.Next() {
		var id string
		var d *time.Time
		must(t, rows.Scan(&id, &d))
		due[id] = d
	}
	must(t, rows.Err())
	if d := due[late.ID]; d == nil || !d.Equal(late.ReplyDue()) {
		t.Errorf("late case reply_due = %v, want %s", d, late.ReplyDue())
	}
	if d := due[notDue.ID]; d == nil || !d.Equal(notDue.ReplyDue()) {
		t.Errorf("not-yet-due case reply_due = %v, want %s", d, notDue.ReplyDue())
	}
	if due[replied.ID] != nil || due[gone.ID] != nil {
		t.Errorf("replied %v, deleted %v: want no reply_due", due[replied.ID], due[gone.ID])
	}
	var callDue *time.Time
	must(t, conn.QueryRow(ctx, `SELECT reply_due FROM records WHERE kind = 'call'`).Scan(&callDue))
	if callDue != nil {
		t.Errorf("a call record got reply_due %v", callDue)
	}
	var revsAfter string
	must(t, conn.QueryRow(ctx, `SELECT string_agg(kind || id || rev, ',' ORDER BY kind, id) FROM records`).Scan(&revsAfter))
	if revsAfter != revsBefore {
		t.Error("the backfill changed records' rev: desks would pull them again")
	}
	b, err := db.Board(ctx, now)
	must(t, err)
	if got := overdueIDs(b); len(got) != 1 || got[0] != late.ID {
		t.Errorf("overdue after the migration = %v, want only the late case", got)
	}
}
