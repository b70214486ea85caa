package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"
)

// seedMembers pushes n member customers to the hub on dsn through its
// handler, as a desk would, and adds the agents.
func seedMembers(t *testing.T, dsn string, n int, agents ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := hub.Open(ctx, dsn, hub.WithLogger(quiet), hub.WithPINCost(upstream.Argon2Params{Time: 1, Memory: 256, Threads: 1}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, a := range agents {
		if err := db.AddAgent(ctx, hub.AgentSpec{Number: a, Name: "坐席" + a, Role: upstream.RoleAgent, PIN: "pin-" + a}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(hub.NewHandler(db, upstream.WithServerLogger(quiet)))
	defer srv.Close()
	d := upstreamtest.NewDesk(agent.NewID())
	for i := range n {
		id := agent.NewID()
		d.Put(agent.KindCustomer, id, 1, t0, &agent.Customer{Meta: agent.Meta{ID: id, Version: 1, Desk: d.ID, CreatedAt: t0, UpdatedAt: t0},
			Name: fmt.Sprintf("会员%d", i), Phones: []string{"+8613800138000"}, Member: true})
	}
	tok, err := db.NewToken(ctx, upstream.RoleAgent, "feeder", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := upstream.NewClient(srv.URL, tok, d, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Drain(ctx); err != nil {
		t.Fatal(err)
	}
}

func runHub(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb, quiet)
	return code, out.String(), errb.String()
}

func TestCallbacksPlan_PrintsThePlanOncePerMember(t *testing.T) {
	dsn := pgtest.New(t)
	seedMembers(t, dsn, 30, "1001", "1002", "1003")
	before := pgtest.Dump(t, dsn)
	for _, args := range [][]string{
		{"callbacks", "plan", "--pg", dsn, "--at", "tomorrow"},
		{"callbacks", "plan", "--pg", dsn, "extra"},
		{"callbacks", "plan"},
		{"callbacks", "report", "--pg", dsn, "--from", "2026-11-30", "--to", "2026-11-01"},
		{"callbacks", "report", "--pg", dsn, "--from", "30.11.2026", "--to", "2026-11-30"},
		{"callbacks", "nothing", "--pg", dsn},
	} {
		if code, out, errb := runHub(t, args...); code == 0 || out != "" || errb == "" {
			t.Errorf("%v = %d, %q, %q; want a refusal", args[:2], code, out, errb)
		}
	}
	if changed := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(changed) > 0 {
		t.Errorf("refused commands changed %v", changed)
	}
	code, out, errb := runHub(t, "callbacks", "plan", "--pg", dsn, "--at", "2026-11-23T09:30:00+08:00")
	if code != 0 {
		t.Fatalf("plan = %d: %s", code, errb)
	}
	var res hub.PlanResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("plan output %q: %v", out, err)
	}
	if res.Members != 30 || res.Created != 30 || res.Covered != 30 || len(res.Agents) != 3 || res.Day != "2026-11-23" {
		t.Errorf("plan = %+v", res)
	}
	for _, a := range res.Agents {
		if a.Created != 10 {
			t.Errorf("agent %s got %d tasks, want 10", a.Agent, a.Created)
		}
	}
	if n := count(t, dsn, `SELECT count(DISTINCT doc->>'customer_id') FROM records WHERE kind = 'callback'`); n != 30 {
		t.Errorf("%d customers with a task, want 30", n)
	}
	_, out, _ = runHub(t, "callbacks", "plan", "--pg", dsn, "--at", "2026-11-23T10:30:00+08:00")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Created != 0 {
		t.Errorf("second plan = %s, want nothing new", out)
	}
	code, out, errb = runHub(t, "callbacks", "report", "--pg", dsn, "--from", "2026-11-23", "--to", "2026-11-23", "--agent", "1002")
	var rep agent.CallbackReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Total != 10 || len(rep.Agents) != 1 || rep.Agents[0].Agent != "1002" {
		t.Errorf("report = %d %s %s", code, out, errb)
	}
}

func TestSettingsSet_BadFileRefusedNamingTheField(t *testing.T) {
	dsn := pgtest.New(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Make the schema first, so the refusals below are measured against it.
	if code, _, errb := runHub(t, "settings", "show", "--pg", dsn); code != 0 {
		t.Fatal(errb)
	}
	before := pgtest.Dump(t, dsn)
	for file, field := range map[string]string{
		write("quiet.toml", "quiet_hours = [\"12:00-14:00\", \"21:00-9\"]\n"):                                                                   "quiet_hours[1]",
		write("unknown.toml", "quiet_hour = [\"12:00-14:00\"]\n"):                                                                               "quiet_hour",
		write("type.toml", "ring_limit_seconds = \"ten\"\n"):                                                                                    "ring_limit_seconds",
		write("zone.toml", "[center]\ntime_zone = \"Mars/Base\"\n"):                                                                             "time_zone",
		write("stage.toml", "[warning]\nraise_within_minutes = 30\n[[warning.stages]]\nname = \"pick_up\"\nrole = \"janitor\"\nminutes = 60\n"): "warning",
		write("syntax.toml", "ring_limit_seconds = \n"):                                                                                         "line 1",
		write("bad.json", `{"ring_limit_seconds": 10, "quite_hours": []}`):                                                                      "quite_hours",
		write("negative.json", `{"after_call_work_seconds": -5}`):                                                                               "limits",
	} {
		code, out, errb := runHub(t, "settings", "set", "--pg", dsn, "--file", file)
		t.Logf("%s: %s", filepath.Base(file), strings.TrimSpace(errb))
		if code == 0 || out != "" || !strings.Contains(errb, field) || !strings.Contains(errb, filepath.Base(file)) {
			t.Errorf("settings set %s = %d, %q, %q; want a refusal naming %s", filepath.Base(file), code, out, errb, field)
		}
	}
	if code, _, _ := runHub(t, "settings", "set", "--pg", dsn, "--file", filepath.Join(dir, "missing.toml")); code == 0 {
		t.Error("a missing file was accepted")
	}
	if changed := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(changed) > 0 {
		t.Errorf("refused settings changed %v", changed)
	}

	good := write("center.toml", `# the desk's [center] table, as it is
[center]
quiet_hours = ["12:30-13:30", "21:00-09:00"]
ring_limit_seconds = 12
after_call_work_seconds = 90
callback_days = 2

[center.reply_hours]
simple = 3

[center.warning]
raise_within_minutes = 20
[[center.warning.stages]]
name = "pick_up"
role = "supervisor"
minutes = 45
[[center.warning.stages]]
name = "close"
role = "agent"
minutes = 2880
from_raise = true
`)
	code, out, errb := runHub(t, "settings", "set", "--pg", dsn, "--file", good)
	var st upstream.Settings
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Version != 1 || st.Settings.AfterCallWorkSeconds != 90 ||
		len(st.Settings.Warning.Stages) != 2 || st.Settings.ReplyHours.Simple != 3 {
		t.Fatalf("settings set = %d %s %s", code, out, errb)
	}
	code, out, _ = runHub(t, "settings", "show", "--pg", dsn)
	var shown upstream.Settings
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Version != 1 || shown.Settings.RingLimitSeconds != 12 || shown.UpdatedBy == "" {
		t.Errorf("settings show = %d %s", code, out)
	}
	code, out, _ = runHub(t, "settings", "set", "--pg", dsn, "--file", write("acw.json", `{"after_call_work_seconds": 60}`))
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Version != 2 {
		t.Errorf("second settings = %d %s", code, out)
	}
}

// The served hub plans member callbacks by itself when it starts.
func TestServe_PlansCallbacksAtStart(t *testing.T) {
	dsn := pgtest.New(t)
	seedMembers(t, dsn, 12, "1001", "1002")
	startChildHub(t, dsn, freePort(t))
	for deadline := time.Now().Add(20 * time.Second); count(t, dsn, `SELECT count(*) FROM records WHERE kind = 'callback'`) < 12; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the hub did not plan at start")
		}
	}
	if n := count(t, dsn, `SELECT count(*) FROM callback_plans WHERE ran_by = 'hub'`); n != 1 {
		t.Errorf("%d plans by the hub, want 1", n)
	}
}
