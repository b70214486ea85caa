package upstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

// memHub serves an in-memory hub with a desk token for desk "d1" and
// agents 1001 and 1002.
func memHub(t *testing.T) (*upstreamtest.Hub, string) {
	t.Helper()
	h := upstreamtest.NewHub()
	h.AddToken("desk1", upstream.Principal{Name: "PC 1", Role: upstream.RoleAgent, Desk: "d1", Kind: upstream.TokenDevice})
	h.AddToken("desk2", upstream.Principal{Name: "PC 2", Role: upstream.RoleAgent, Desk: "d2", Kind: upstream.TokenDevice})
	h.AddToken("boss", upstream.Principal{Name: "班长", Role: upstream.RoleSupervisor})
	h.AddToken("wall", upstream.Principal{Name: "大屏", Role: upstream.RoleWallboard})
	h.AddAgent(upstream.AgentInfo{Number: "1001", Name: "小王", Role: upstream.RoleAgent}, "2468", nil)
	h.AddAgent(upstream.AgentInfo{Number: "1002", Name: "小李", Role: upstream.RoleAgent}, "1357", nil)
	srv := httptest.NewServer(upstream.NewServer(h, upstream.WithServerLogger(quiet)))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func task(who string) agent.Callback {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	return agent.Callback{Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: upstream.HubDesk, CreatedAt: now, UpdatedAt: now},
		CustomerID: agent.NewID(), Agent: who, Purpose: "member", Due: now.AddDate(0, 0, 3)}
}

func TestClient_PullCallbacks_OwnAgentsOnly(t *testing.T) {
	h, url := memHub(t)
	mine, theirs := task("1001"), task("1002")
	h.PutCallback(mine)
	h.PutCallback(theirs)
	ctx := context.Background()
	d := upstreamtest.NewDesk("d1")
	c, err := upstream.NewClient(url, "desk1", d, d, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	// Nobody signed in at desk 1 yet: its token may pull nobody's tasks.
	if err := c.PullCallbacks(ctx, "1001"); !errors.Is(err, upstream.ErrForbidden) {
		t.Fatalf("pull before any sign-in = %v, want ErrForbidden", err)
	}
	res, err := c.SignIn(ctx, "1001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PullCallbacks(ctx, "1001"); err != nil {
		t.Fatal(err)
	}
	if d.Record(agent.KindCallback, mine.ID) == nil || d.Record(agent.KindCallback, theirs.ID) != nil {
		t.Fatalf("desk holds mine %v, theirs %v; want only its own agent's task", d.Record(agent.KindCallback, mine.ID) != nil, d.Record(agent.KindCallback, theirs.ID) != nil)
	}
	if v, _ := d.Cursor(upstream.CallbackCursor("1001")); v == 0 {
		t.Error("the cursor of agent 1001 was not saved")
	}
	if st := c.Status(); st.PulledCallbacks != 1 {
		t.Errorf("status pulled_callbacks = %d, want 1", st.PulledCallbacks)
	}
	// 1002 is signed in at no desk: desk 1's token cannot pull for them.
	if err := c.PullCallbacks(ctx, "1002"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("pull for an agent signed in elsewhere = %v, want ErrForbidden", err)
	}
	// Desk 2's token cannot pull 1001's tasks either.
	c2, _ := upstream.NewClient(url, "desk2", d, d, upstream.WithLogger(quiet))
	if err := c2.PullCallbacks(ctx, "1001"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("another desk's pull of 1001 = %v, want ErrForbidden", err)
	}
	// The session pulls its own agent's tasks, and no one else's.
	sess, _ := upstream.NewClient(url, string(res.Session), d, d, upstream.WithLogger(quiet))
	if err := sess.PullCallbacks(ctx, "1001"); err != nil {
		t.Errorf("session pull of its own tasks: %v", err)
	}
	if err := sess.PullCallbacks(ctx, "1002"); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("session pull of another agent's tasks = %v, want ErrForbidden", err)
	}
	// A newer version on the desk (an outcome recorded here) is kept.
	done := mine
	done.Version, done.Desk, done.State = 2, "d1", agent.CallbackDone
	d.PutRaw(agent.KindCallback, done.ID, 2, done.UpdatedAt, jsonOf(t, done))
	if _, err := d.ApplyRemote(agent.KindCallback, mine.ID, 1, jsonOf(t, mine)); err != nil {
		t.Fatal(err)
	}
	var back agent.Callback
	if err := json.Unmarshal(d.Record(agent.KindCallback, mine.ID), &back); err != nil || back.Version != 2 {
		t.Errorf("desk copy after pulling the older version = v%d (%v), want v2", back.Version, err)
	}
}

func jsonOf(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClient_SyncOnce_PullsTasksOfWithAgents(t *testing.T) {
	h, url := memHub(t)
	ctx := context.Background()
	d := upstreamtest.NewDesk("d1")
	signed := []string{}
	c, err := upstream.NewClient(url, "desk1", d, d, upstream.WithLogger(quiet), upstream.WithAgents(func() []string { return signed }))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatalf("a round with nobody signed in: %v", err)
	}
	if _, err := c.SignIn(ctx, "1001", "2468"); err != nil {
		t.Fatal(err)
	}
	signed = []string{"1001"}
	cb := task("1001")
	h.PutCallback(cb)
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Record(agent.KindCallback, cb.ID) == nil {
		t.Fatal("the signed-in agent's task did not reach the desk in a round")
	}
	// The desk is not asked to push what it pulled.
	if n, _, _ := d.Stats(); n != 0 {
		t.Errorf("%d records queued after a pull", n)
	}
}

func TestClient_OnSettings_OncePerVersion(t *testing.T) {
	h, url := memHub(t)
	ctx := context.Background()
	d := upstreamtest.NewDesk("d1")
	var got []upstream.Settings
	c, err := upstream.NewClient(url, "desk1", d, d, upstream.WithLogger(quiet), upstream.OnSettings(func(s upstream.Settings) { got = append(got, s) }))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SyncOnce(ctx); err != nil || len(got) != 0 {
		t.Fatalf("round with no settings on the hub = %v, delivered %d", err, len(got))
	}
	h.SetSettings(agent.CenterSettings{AfterCallWorkSeconds: 90, QuietHours: []string{"12:30-13:30"}}, "hub cli")
	for range 2 {
		if err := c.SyncOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].Version != 1 || got[0].Settings.AfterCallWorkSeconds != 90 || got[0].Settings.QuietHours[0] != "12:30-13:30" {
		t.Fatalf("delivered %+v, want version 1 once", got)
	}
	h.SetSettings(agent.CenterSettings{AfterCallWorkSeconds: 60}, "hub cli")
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Version != 2 || c.Status().SettingsVersion != 2 {
		t.Errorf("after version 2: delivered %+v, status version %d", got, c.Status().SettingsVersion)
	}
	// Every role reads them; the supervisor's report is the supervisor's.
	for _, tok := range []string{"boss", "wall", "desk2"} {
		r, _ := upstream.NewClient(url, tok, nil, nil, upstream.WithLogger(quiet))
		if st, err := r.Settings(ctx); err != nil || st.Version != 2 {
			t.Errorf("settings as %s = %+v, %v", tok, st, err)
		}
	}
}

func TestServer_Callbacks_Refusals(t *testing.T) {
	_, url := memHub(t)
	get := func(token, query string) int {
		req, _ := http.NewRequest("GET", url+"/v1/callbacks"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tt := range []struct {
		token, query string
		want         int
	}{
		{"desk1", "", 400},               // a desk's token names the agent
		{"desk1", "?agent=1001", 403},    // nobody signed in at desk 1
		{"boss", "?agent=1001", 403},     // neither a desk nor a session
		{"wall", "?agent=1001", 403},     // a wallboard pulls nothing
		{"desk1", "?agent=10%0101", 400}, // a control character
		{"desk1", "?agent=1001&since=-1", 400},
		{"desk1", "?agent=1001&limit=0", 400},
		{"nobody", "?agent=1001", 401},
	} {
		if got := get(tt.token, tt.query); got != tt.want {
			t.Errorf("GET /v1/callbacks%s as %s = %d, want %d", tt.query, tt.token, got, tt.want)
		}
	}
	ctx := context.Background()
	boss, _ := upstream.NewClient(url, "boss", nil, nil, upstream.WithLogger(quiet))
	if _, err := boss.CallbackReport(ctx, agent.Day{Year: 2026, Month: 2, Day: 1}, agent.Day{Year: 2026, Month: 1, Day: 1}, ""); !errors.Is(err, upstream.ErrInvalid) {
		t.Errorf("report ending before it begins = %v, want ErrInvalid", err)
	}
	if rep, err := boss.CallbackReport(ctx, agent.Day{Year: 2026, Month: 11, Day: 1}, agent.Day{Year: 2026, Month: 11, Day: 30}, ""); err != nil || rep.Agents == nil {
		t.Errorf("supervisor's report = %+v, %v", rep, err)
	}
	desk, _ := upstream.NewClient(url, "desk1", nil, nil, upstream.WithLogger(quiet))
	if _, err := desk.CallbackReport(ctx, agent.Day{Year: 2026, Month: 11, Day: 1}, agent.Day{Year: 2026, Month: 11, Day: 30}, ""); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("a desk's report = %v, want ErrForbidden", err)
	}
}

func TestServer_Push_RefusesTheHubsOwnDesk(t *testing.T) {
	h, url := memHub(t)
	h.AddToken("unbound", upstream.Principal{Name: "PC", Role: upstream.RoleAgent, Kind: upstream.TokenDevice})
	d := upstreamtest.NewDesk(upstream.HubDesk)
	cb := task("1001")
	d.PutRaw(agent.KindCallback, cb.ID, 2, cb.UpdatedAt, jsonOf(t, agent.Callback{Meta: agent.Meta{ID: cb.ID, Version: 2, Desk: upstream.HubDesk}}))
	c, _ := upstream.NewClient(url, "unbound", d, nil, upstream.WithLogger(quiet))
	if err := c.Drain(context.Background()); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("push as desk %q = %v, want ErrForbidden", upstream.HubDesk, err)
	}
	if _, ok := h.Stored(agent.KindCallback, cb.ID); ok {
		t.Error("a record pushed as the hub's desk was stored")
	}
}

// A round of a desk whose agent the hub does not see signed in there (an
// offline sign-in, or sign-in off) still completes: the refusal of the
// callback pull is in the status, and clears once the agent signs in.
func TestClient_SyncOnce_CallbacksRefusedDoesNotFailTheRound(t *testing.T) {
	h, url := memHub(t)
	mine := task("1001")
	h.PutCallback(mine)
	ctx := context.Background()
	d := upstreamtest.NewDesk("d1")
	c, err := upstream.NewClient(url, "desk1", d, d, upstream.WithLogger(quiet),
		upstream.WithAgents(func() []string { return []string{"1001"} }))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatalf("round with the callback pull refused: %v", err)
	}
	st := c.Status()
	if st.CallbacksRefused == "" || st.LastSync.IsZero() || st.Failures != 0 {
		t.Fatalf("status after the refused pull = %+v; want the refusal noted and the round complete", st)
	}
	if d.Record(agent.KindCallback, mine.ID) != nil {
		t.Fatal("a refused pull applied a task")
	}
	if _, err := c.SignIn(ctx, "1001", "2468"); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.CallbacksRefused != "" || d.Record(agent.KindCallback, mine.ID) == nil {
		t.Fatalf("after sign-in: refused %q, task on the desk %v", st.CallbacksRefused, d.Record(agent.KindCallback, mine.ID) != nil)
	}
}
