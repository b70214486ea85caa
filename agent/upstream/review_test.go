package upstream_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

func TestCheckReview(t *testing.T) {
	pending := upstream.PackVersion{Version: 5, Lang: "zh-Hans", State: upstream.PackPending, Author: "李老师"}
	approved := pending
	approved.State, approved.ReviewedBy = upstream.PackApproved, "班长"
	rejected := pending
	rejected.State = upstream.PackRejected
	approve, reject := upstream.PackReview{Approve: true}, upstream.PackReview{Reason: "春节日期写错了"}
	for _, tt := range []struct {
		name     string
		v        upstream.PackVersion
		live     int64
		reviewer string
		r        upstream.PackReview
		want     error // nil: allowed
		msg      string
	}{
		{"another trainer approves", pending, 3, "王老师", approve, nil, ""},
		{"a supervisor rejects with a reason", pending, 3, "班长", reject, nil, ""},
		{"first version of a language", pending, 0, "班长", approve, nil, ""},
		{"approval with a note", pending, 3, "班长", upstream.PackReview{Approve: true, Reason: "好"}, nil, ""},
		{"a newer pending one is not live: no matter", pending, 4, "班长", approve, nil, ""},
		{"author approves", pending, 3, "李老师", approve, upstream.ErrOwnVersion, "李老师 wrote version 5"},
		{"author rejects", pending, 3, "李老师", reject, upstream.ErrOwnVersion, "another trainer"},
		{"author of a reviewed one", approved, 3, "李老师", approve, upstream.ErrOwnVersion, ""},
		{"already approved", approved, 5, "王老师", approve, upstream.ErrConflict, "already approved by 班长"},
		{"already rejected", rejected, 3, "王老师", reject, upstream.ErrConflict, "already rejected"},
		{"older than the live one", pending, 6, "王老师", approve, upstream.ErrConflict, "older than the live version 6"},
		{"older than live, rejected: fine", pending, 6, "王老师", reject, nil, ""},
		{"rejection without a reason", pending, 3, "王老师", upstream.PackReview{Reason: "  \n"}, upstream.ErrInvalid, "reason is required"},
		{"reason too long", pending, 3, "王老师", upstream.PackReview{Reason: strings.Repeat("长", upstream.MaxReasonLen/3+1)}, upstream.ErrInvalid, "longer than"},
		{"control character", pending, 3, "王老师", upstream.PackReview{Approve: true, Reason: "a\x1bb"}, upstream.ErrInvalid, "control character"},
		{"not UTF-8", pending, 3, "王老师", upstream.PackReview{Reason: "\xff"}, upstream.ErrInvalid, "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := upstream.CheckReview(tt.v, tt.live, tt.reviewer, tt.r)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckReview = %v, want allowed", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("CheckReview = %v, want %v naming %q", err, tt.want, tt.msg)
			}
		})
	}
	if err := upstream.CheckReview(pending, 3, "李老师", approve); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("own version = %v, want it to match ErrForbidden too", err)
	}
}

func TestCheckRollback(t *testing.T) {
	old := upstream.PackVersion{Version: 2, Lang: "en", State: upstream.PackApproved, Author: "a"}
	for _, tt := range []struct {
		name   string
		state  upstream.PackState
		live   int64
		reason string
		want   error
		msg    string
	}{
		{"an older approved version", upstream.PackApproved, 4, "the new greeting confuses callers", nil, ""},
		{"no reason", upstream.PackApproved, 4, "", upstream.ErrInvalid, "reason is required"},
		{"the live one", upstream.PackApproved, 2, "x", upstream.ErrConflict, "already the live version"},
		{"pending", upstream.PackPending, 4, "x", upstream.ErrConflict, "version 2 is pending"},
		{"rejected", upstream.PackRejected, 4, "x", upstream.ErrConflict, "only an approved version"},
	} {
		v := old
		v.State = tt.state
		err := upstream.CheckRollback(v, tt.live, tt.reason)
		if (tt.want == nil) != (err == nil) || (tt.want != nil && (!errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg))) {
			t.Errorf("%s: CheckRollback = %v, want %v naming %q", tt.name, err, tt.want, tt.msg)
		}
	}
}

// The whole review cycle through the client and the real handler over the
// in-memory backend: the hub's own tests run it on PostgreSQL.
func TestReview_PublishApproveRejectRollback(t *testing.T) {
	validate := func(name string, data []byte) (string, error) { return "en", nil }
	clock := agent.FixedClock(at)
	mem, srv := newMemHub(t, nil, upstream.WithPackValidator(validate), upstream.WithServerClock(clock))
	mem.AddToken("trainer-2", upstream.Principal{TokenID: 4, Name: "王老师", Role: upstream.RoleTrainer})
	ctx := context.Background()
	trainer, trainer2, sup, agentC := hubClient(t, srv.URL, trainToken), hubClient(t, srv.URL, "trainer-2"), hubClient(t, srv.URL, supToken), hubClient(t, srv.URL, agentToken)
	d := upstreamtest.NewDesk("desk-1")
	desk, err := upstream.NewClient(srv.URL, agentToken, d, d, upstream.WithLogger(quiet), upstream.WithLangs("en"))
	if err != nil {
		t.Fatal(err)
	}
	pullPack := func() int64 {
		t.Helper()
		if err := desk.PullPacks(ctx); err != nil {
			t.Fatalf("pull packs: %v", err)
		}
		return d.Pack("en").ID
	}

	v1, err := trainer.Publish(ctx, "hotline.toml", []byte("lang = \"en\"\ncompany = \"A\"\n"))
	if err != nil || v1.State != upstream.PackPending {
		t.Fatalf("publish = %+v, %v; want pending", v1, err)
	}
	if got := pullPack(); got != 0 {
		t.Fatalf("desk took pending version %d", got)
	}
	for _, c := range []struct {
		name string
		c    *upstream.Client
		want error
	}{{"author", trainer, upstream.ErrOwnVersion}, {"agent", agentC, upstream.ErrForbidden}} {
		_, err := c.c.Review(ctx, v1.Version, true, "")
		if !errors.Is(err, c.want) || !errors.Is(err, upstream.ErrForbidden) {
			t.Errorf("%s approves: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := agentC.Review(ctx, v1.Version, true, ""); errors.Is(err, upstream.ErrOwnVersion) {
		t.Errorf("an agent's refusal matches ErrOwnVersion: %v", err)
	}
	got, err := sup.Review(ctx, v1.Version, true, "")
	if err != nil || got.State != upstream.PackApproved || !got.Live || got.ReviewedBy != "班长" || !got.ReviewedAt.Equal(at) {
		t.Fatalf("supervisor approves = %+v, %v; want approved, live, by 班长 at %s", got, err, at)
	}
	if got := pullPack(); got != v1.Version {
		t.Fatalf("desk has %d, want the approved %d", got, v1.Version)
	}
	if _, err := trainer2.Review(ctx, v1.Version, false, "late"); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("second review = %v, want ErrConflict", err)
	}
	if _, err := sup.Review(ctx, 99, true, ""); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("unknown version = %v, want ErrNotFound", err)
	}

	v2, _ := trainer.Publish(ctx, "hotline.toml", []byte("lang = \"en\"\ncompany = \"B\"\n"))
	diff, err := sup.Diff(ctx, v2.Version)
	wantDiff := "--- v1 hotline.toml (live)\n+++ v2 hotline.toml\n@@ -1,2 +1,2 @@\n lang = \"en\"\n-company = \"A\"\n+company = \"B\"\n"
	if err != nil || diff.Live != v1.Version || diff.Version != v2.Version || diff.Diff != wantDiff {
		t.Errorf("diff = %+v, %v; want against v1:\n%s", diff, err, wantDiff)
	}
	if _, err := trainer2.Review(ctx, v2.Version, false, ""); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("rejection without a reason = %v, want ErrInvalid", err)
	}
	if got, err := trainer2.Review(ctx, v2.Version, false, "wrong company name"); err != nil || got.State != upstream.PackRejected || got.Live || got.Reason != "wrong company name" {
		t.Errorf("reject = %+v, %v", got, err)
	}
	if got := pullPack(); got != v1.Version {
		t.Errorf("desk has %d after a rejection, want still %d", got, v1.Version)
	}

	v3, _ := trainer.Publish(ctx, "hotline.toml", []byte("lang = \"en\"\ncompany = \"C\"\n"))
	if _, err := trainer2.Review(ctx, v3.Version, true, "ok"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		version int64
		reason  string
		want    error
	}{{v3.Version, "x", upstream.ErrConflict}, {v2.Version, "x", upstream.ErrConflict}, {v1.Version, "", upstream.ErrInvalid}, {42, "x", upstream.ErrNotFound}} {
		if _, err := sup.Rollback(ctx, bad.version, bad.reason); !errors.Is(err, bad.want) {
			t.Errorf("rollback to %d (%q) = %v, want %v", bad.version, bad.reason, err, bad.want)
		}
	}
	if _, err := agentC.Rollback(ctx, v1.Version, "x"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("agent rolls back: %v, want ErrForbidden", err)
	}
	rb, err := trainer.Rollback(ctx, v1.Version, "C is not our name yet")
	if err != nil || rb.Version != 4 || rb.RollbackOf != v1.Version || !rb.Live || rb.State != upstream.PackApproved || rb.Author != "老师" {
		t.Fatalf("rollback = %+v, %v; want version 4, live, copying 1, by 老师", rb, err)
	}
	if got := pullPack(); got != rb.Version || string(d.Pack("en").Data) != "lang = \"en\"\ncompany = \"A\"\n" {
		t.Errorf("desk has %d %q, want the rollback %d with version 1's text", got, d.Pack("en").Data, rb.Version)
	}
	full, err := sup.Pack(ctx, rb.Version)
	if err != nil || string(full.Data) != "lang = \"en\"\ncompany = \"A\"\n" {
		t.Errorf("Pack(%d) = %+v, %v", rb.Version, full, err)
	}

	hist, err := sup.History(ctx, "en")
	if err != nil || len(hist) != 4 {
		t.Fatalf("history = %+v, %v; want 4 versions", hist, err)
	}
	var line []string
	for _, v := range hist {
		line = append(line, strings.Join([]string{string(v.State), v.Author, v.ReviewedBy, map[bool]string{true: "live"}[v.Live]}, "/"))
		if v.Data != nil {
			t.Errorf("history carries the text of %d", v.Version)
		}
	}
	if got, want := strings.Join(line, " "), "approved/老师/老师/live approved/老师/王老师/ rejected/老师/王老师/ approved/老师/班长/"; got != want {
		t.Errorf("history (newest first) = %s\nwant                       %s", got, want)
	}
	if other, err := sup.History(ctx, "zh-Hans"); err != nil || len(other) != 0 {
		t.Errorf("history of another language = %+v, %v", other, err)
	}
	if _, err := agentC.History(ctx, "en"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("agent reads history: %v, want ErrForbidden", err)
	}
}
