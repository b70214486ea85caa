package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

func TestStats_Day(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, loc) }
	withCaseStore(t, dir, func(s *store.Store) {
		cust := putCaseCustomer(t, s, true)
		calls := []agent.Call{
			{At: at(6, 0, 10), Number: "13800138000", CustomerID: cust, Agent: "8001", Direction: agent.Inbound, Answered: true, RingSeconds: 5, Type: agent.CallComplaint},
			{At: at(6, 9, 0), Number: "13800138000", Agent: "8001", Direction: agent.Inbound, Answered: true, RingSeconds: 13},
			{At: at(6, 9, 5), Number: "anonymous", Agent: "8001", Direction: agent.Inbound},
			{At: at(6, 23, 59), Number: "13800138000", Agent: "8002", Direction: agent.Outbound, Answered: true},
			{At: at(7, 0, 0), Number: "13800138000", Agent: "8002", Direction: agent.Outbound, Answered: true},
		}
		for i := range calls {
			if err := s.PutCall(&calls[i], calls[i].At); err != nil {
				t.Fatal(err)
			}
		}
		c, err := agent.NewComplaint(cust, "8001", agent.ChannelPhone, at(6, 0, 10))
		if err != nil {
			t.Fatal(err)
		}
		caseMust(t, c.Listen("说法", at(6, 0, 10)))
		caseMust(t, c.Ask(agent.Facts{What: "a", When: "b", Where: "c", Subject: "d", Wants: "e"}, true, at(6, 0, 12)))
		_, err = c.Follow(agent.FollowInput{Severity: agent.SeveritySimple}, at(6, 0, 15), agent.DefaultReplyPolicy())
		caseMust(t, err)
		caseMust(t, c.Reply(agent.ReplyInput{How: "电话", Said: "已安排", Accepted: true}, at(6, 3, 0)))
		caseMust(t, s.PutComplaint(c, at(6, 3, 0)))
	})
	code, out, errs := runCaseCmd(t, "stats", "--day", "2026-05-06", "--data", dir)
	if code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errs)
	}
	var v statsView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := []agent.AgentDay{
		{Agent: "8001", Day: "2026-05-06", Inbound: 3, AnsweredWithinLimit: 1, Missed: 1, ComplaintsOpened: 1, RepliedLate: 1,
			ByType: map[string]int{agent.Unwrapped: 3}},
		{Agent: "8002", Day: "2026-05-06", Outbound: 1, ByType: map[string]int{agent.Unwrapped: 1}},
	}
	if !reflect.DeepEqual(v.Agents, want) {
		t.Errorf("agents =\n%+v\nwant\n%+v", v.Agents, want)
	}
	if v.Totals.Inbound != 3 || v.Totals.Outbound != 1 || v.Zone != "Asia/Shanghai" || v.RingLimitSeconds != agent.DefaultRingLimit.Seconds() {
		t.Errorf("stats = %+v", v)
	}
	// A 15 s ring limit counts the 13 s answer too.
	code, out, _ = runCaseCmd(t, "stats", "--day", "2026-05-06", "--ring-limit", "15s", "--data", dir)
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Agents[0].AnsweredWithinLimit != 2 {
		t.Errorf("ring limit 15s: %+v", v.Agents)
	}
	// The desk config's zone and ring limit are the defaults.
	cfgDir := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "agentdesk")
	caseMust(t, os.MkdirAll(cfgDir, 0o700))
	caseMust(t, os.WriteFile(filepath.Join(cfgDir, "config.toml"), []byte("time_zone = \"Europe/Berlin\"\nring_limit_seconds = 20\n"), 0o600))
	code, out, errs = runCaseCmd(t, "stats", "--day", "2026-05-06", "--data", dir)
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.Zone != "Europe/Berlin" || v.RingLimitSeconds != 20 {
		t.Errorf("with a config: exit %d %s %+v", code, errs, v)
	}
	// Berlin's 6 May starts at 06:00 in Shanghai: the 00:10 call is on the 5th there.
	if v.Totals.Inbound != 2 || v.Totals.AnsweredWithinLimit != 1 {
		t.Errorf("Berlin day totals = %+v", v.Totals)
	}
	if code, _, _ := runCaseCmd(t, "stats", "--data", dir); code != 2 {
		t.Errorf("stats without --day: exit %d, want 2", code)
	}
	if code, out, _ := runCaseCmd(t, "stats", "--day", "2026-05-06", "--data", t.TempDir()); code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Agents) != 0 {
		t.Errorf("fresh dir: exit %d %s", code, out)
	}
}

func caseMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
