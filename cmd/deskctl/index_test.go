package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
	"agentdesk/agent/store/seal/sealtest"
)

// fillMixedDays writes cases and callbacks whose events fall on several
// days: opened, replied (on time and late), closed, reopened (the reply
// leaves), and callback attempts and outcomes.
func fillMixedDays(t *testing.T, s *store.Store, loc *time.Location) {
	t.Helper()
	cust := putCaseCustomer(t, s, true)
	p := agent.DefaultReplyPolicy()
	facts := agent.Facts{What: "a", When: "b", Where: "c", Subject: "d", Wants: "e"}
	q := agent.QuietHours{Zone: loc}
	yes, no := true, false
	for i := range 40 {
		at := time.Date(2026, 5, 4, 8, 0, 0, 0, loc).Add(time.Duration(i) * 3 * time.Hour)
		c, err := agent.NewComplaint(cust, fmt.Sprintf("800%d", i%3), agent.ChannelPhone, at)
		caseMust(t, err)
		caseMust(t, c.Listen("说法", at))
		if i%4 != 0 {
			caseMust(t, c.Ask(facts, true, at))
			_, err := c.Follow(agent.FollowInput{Severity: agent.Severity(i%2 + 1)}, at, p)
			caseMust(t, err)
		}
		if i%4 == 1 || i%4 == 2 {
			caseMust(t, c.Reply(agent.ReplyInput{How: "电话", Said: "好", Accepted: true}, at.Add(time.Duration(i)*time.Hour)))
		}
		if i%4 == 2 {
			caseMust(t, c.Record("m", "p", "r", at.Add(time.Duration(i)*time.Hour)))
			caseMust(t, c.Close(at.Add(time.Duration(i+1)*time.Hour)))
		}
		caseMust(t, s.PutComplaint(c, at))
		if i%8 == 1 { // reopened later: the reply is no longer the case's
			caseMust(t, c.Reopen("还是漏", at.Add(30*time.Hour), p))
			caseMust(t, s.PutComplaint(c, at.Add(30*time.Hour)))
		}
		cb := &agent.Callback{CustomerID: cust, Agent: fmt.Sprintf("800%d", i%2), Due: at}
		caseMust(t, s.PutCallback(cb, at))
		if i%3 != 0 {
			caseMust(t, cb.Record(agent.CallbackOutcome{At: at.Add(time.Hour), Reached: &no, Note: "未接"}, q, time.Hour))
			caseMust(t, s.PutCallback(cb, at.Add(time.Hour)))
		}
		if i%3 == 2 {
			caseMust(t, cb.Record(agent.CallbackOutcome{At: at.Add(26 * time.Hour), Reached: &yes, Satisfied: &yes, Suggestions: "无", NoNextContact: true}, q, 0))
			caseMust(t, s.PutCallback(cb, at.Add(26*time.Hour)))
		}
	}
}

// TestStats_Day_IndexesCountWhatEveryRecordCounts: for each day, stats --day
// (which reads only the cases and tasks the day indexes name) prints what
// agent.DailyStats computes from every case and task.
func TestStats_Day_IndexesCountWhatEveryRecordCounts(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	var cases []agent.Complaint
	var cbs []agent.Callback
	withCaseStore(t, dir, func(s *store.Store) {
		fillMixedDays(t, s, loc)
		var err error
		cases, err = s.Complaints(store.ComplaintFilter{})
		caseMust(t, err)
		cbs, err = s.Callbacks(store.CallbackFilter{})
		caseMust(t, err)
	})
	nonEmpty := 0
	for d := 3; d <= 10; d++ {
		day := agent.Day{Year: 2026, Month: 5, Day: d}
		want := agent.DailyStats(day, loc, 12*time.Second, nil, cases, cbs)
		code, out, errs := runCaseCmd(t, "stats", "--day", day.String(), "--data", dir)
		if code != 0 {
			t.Fatalf("stats %s: %s", day, errs)
		}
		var v statsView
		caseMust(t, json.Unmarshal([]byte(out), &v))
		if !reflect.DeepEqual(v.Agents, want) && !(len(v.Agents) == 0 && len(want) == 0) {
			t.Errorf("%s: stats\n%+v\nevery record says\n%+v", day, v.Agents, want)
		}
		if len(want) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < 4 {
		t.Fatalf("only %d days had figures: the test compares little", nonEmpty)
	}
}

// oldListLine is complaints list's line as computed from the whole case
// before the summary index: the oracle the index path must match.
func oldListLine(c *agent.Complaint, at time.Time, zone *time.Location) complaintSummary {
	s := complaintSummary{ID: c.ID, CustomerID: c.CustomerID, Owner: c.Owner, Channel: c.Channel.String(),
		State: c.State.String(), OpenedAt: c.OpenedAt.In(zone), Missing: []string{}}
	if c.Followed != nil {
		s.Severity = c.Followed.Severity.String()
	}
	if d := c.ReplyDue(); !d.IsZero() {
		s.ReplyDue = d.In(zone)
	}
	if c.ReplyOverdue(at) {
		s.Overdue = true
		s.OverdueMinutes = int64(at.Sub(c.ReplyDue()) / time.Minute)
	}
	for _, p := range c.Missing() {
		s.Missing = append(s.Missing, p.String())
	}
	return s
}

// TestComplaintsList_IndexesMatchTheCases: complaints list, all and with
// --owner and --state, prints from the summary index exactly the lines the
// cases themselves make.
func TestComplaintsList_IndexesMatchTheCases(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 5, 6, 12, 0, 0, 0, loc)
	var all []agent.Complaint
	withCaseStore(t, dir, func(s *store.Store) {
		fillMixedDays(t, s, loc)
		var err error
		all, err = s.Complaints(store.ComplaintFilter{})
		caseMust(t, err)
	})
	for _, f := range [][]string{nil, {"--owner", "8001"}, {"--state", "awaiting_reply"}, {"--state", "closed"}, {"--owner", "8002", "--state", "replied"}, {"--owner", "nobody"}} {
		t.Run(strings.Join(f, " "), func(t *testing.T) {
			var want []complaintSummary
			for i := range all {
				c := &all[i]
				if len(f) >= 2 && f[0] == "--owner" && c.Owner != f[1] {
					continue
				}
				if st := flagValue(f, "--state"); st != "" && c.State.String() != st {
					continue
				}
				want = append(want, oldListLine(c, at, loc))
			}
			args := append([]string{"complaints", "list", "--at", at.Format(time.RFC3339), "--data", dir}, f...)
			code, out, errs := runCaseCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got []complaintSummary
			caseMust(t, json.Unmarshal([]byte(out), &got))
			if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(normalise(got), normalise(want))) {
				t.Errorf("list %v:\n got %+v\nwant %+v", f, got, want)
			}
		})
	}
}

func flagValue(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			return args[i+1]
		}
	}
	return ""
}

// normalise re-encodes lines as JSON would print them (zones as offsets).
func normalise(ls []complaintSummary) string {
	b, _ := json.Marshal(ls)
	return string(b)
}

// TestDataFile_SealedWithoutKeystore: a sealed data file on a machine whose
// session has no OS keystore is refused with the reason, and left as it
// was.
func TestDataFile_SealedWithoutKeystore(t *testing.T) {
	hermeticCaseConfig(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	dir := t.TempDir()
	key := seal.Hub{KeyID: "k", Key: make([]byte, seal.KeySize)}
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithUnlock(key))
	caseMust(t, err)
	caseMust(t, s.Close())
	code, _, errs := runCaseCmd(t, "complaints", "list", "--data", dir)
	if code == 0 || !strings.Contains(errs, "sealed") || !strings.Contains(errs, "keystore") {
		t.Errorf("list on a sealed file: exit %d, %s", code, errs)
	}
	if _, err := openDataFile(filepath.Join(dir, "desk.db"), slog.New(slog.DiscardHandler)); !errors.Is(err, store.ErrSealed) {
		t.Errorf("openDataFile = %v, want ErrSealed", err)
	}
}

// TestDataFile_SealedOpensThroughOSKeystore: a data file sealed with an OS
// slot kept in a real GNOME Keyring opens in deskctl through the session's
// Secret Service, and its raw bytes show none of what deskctl prints.
func TestDataFile_SealedOpensThroughOSKeystore(t *testing.T) {
	hermeticCaseConfig(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", sealtest.StartKeyring(t))
	dir := t.TempDir()
	ks, err := seal.SystemKeystore()
	caseMust(t, err)
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithUnlock(seal.OS{Keystore: ks}), store.WithLogger(slog.New(slog.DiscardHandler)))
	caseMust(t, err)
	cust := putCaseCustomer(t, s, true)
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	c, err := agent.NewComplaint(cust, "8001", agent.ChannelPhone, at)
	caseMust(t, err)
	caseMust(t, c.Listen("热水器装好第二天就漏水了", at))
	caseMust(t, s.PutComplaint(c, at))
	caseMust(t, s.Close())
	code, out, errs := runCaseCmd(t, "complaints", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, c.ID) {
		t.Fatalf("list: exit %d %s %s", code, out, errs)
	}
	code, out, errs = runCaseCmd(t, "customers", "lookup", "138 0013 8000", "--data", dir)
	if code != 0 || !strings.Contains(out, "王先生") {
		t.Fatalf("lookup: exit %d %s %s", code, out, errs)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "desk.db"))
	caseMust(t, err)
	for _, x := range []string{"王先生", "13800138000", "热水器装好第二天就漏水了"} {
		if strings.Contains(string(raw), x) {
			t.Errorf("the sealed file shows %q", x)
		}
	}
}
