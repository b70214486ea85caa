package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

// deskctl runs a command in-process and returns its exit code and streams.
func runCaseCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

// hermeticCaseConfig points the desk config at an empty folder, so the
// machine's own config.toml cannot change what the commands compute.
func hermeticCaseConfig(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
}

// withCaseStore opens the data dir's store for setup and closes it after fn.
func withCaseStore(t *testing.T, dir string, fn func(s *store.Store)) {
	t.Helper()
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fn(s)
}

func putCaseCustomer(t *testing.T, s *store.Store, member bool) string {
	t.Helper()
	c := &agent.Customer{Name: "王先生", Surname: "王", Phones: []string{"13800138000"}, Member: member}
	if err := s.PutCustomer(c, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func writeCaseFile(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "case.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const caseJSON = `{
  "customer_id": "%CUST%",
  "owner": "8001",
  "channel": "phone",
  "opened_at": "2026-05-06T23:00:00+08:00",
  "listen": {"statement": "我买的热水器装好第二天就漏水了"},
  "ask": {"facts": {"what": "热水器漏水", "when": "5月5日", "where": "家中", "subject": "订单 SO-1", "wants": "上门维修"}, "read_back_confirmed": true},
  "follow": {"severity": "simple"}
}`

func TestComplaints_FreshDataDir(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"complaints", "list", "--data", dir},
		{"complaints", "list", "--overdue", "--at", "2026-05-06T10:00:00+08:00", "--data", dir},
	} {
		code, out, errs := runCaseCmd(t, args...)
		if code != 0 || strings.TrimSpace(out) != "[]" {
			t.Errorf("%v: exit %d out %q err %q", args, code, out, errs)
		}
	}
	if code, _, errs := runCaseCmd(t, "complaints", "show", agent.NewID(), "--data", dir); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("show of a missing case: exit %d err %q", code, errs)
	}
	if code, _, _ := runCaseCmd(t, "complaints", "list", "--at", "yesterday", "--data", dir); code == 0 {
		t.Error("bad --at accepted")
	}
}

func TestComplaints_AddListShow(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	var cust string
	withCaseStore(t, dir, func(s *store.Store) { cust = putCaseCustomer(t, s, true) })
	file := writeCaseFile(t, dir, strings.ReplaceAll(caseJSON, "%CUST%", cust))
	code, out, errs := runCaseCmd(t, "complaints", "add", "--from", file, "--data", dir)
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, errs)
	}
	var c agent.Complaint
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("add output: %v\n%s", err, out)
	}
	if c.ID == "" || c.Version != 1 || c.State != agent.StateAwaitingReply {
		t.Fatalf("added case = %+v", c)
	}
	// Simple: due 2 h after 23:00, across midnight.
	if want := time.Date(2026, 5, 6, 17, 0, 0, 0, time.UTC); !c.ReplyDue().Equal(want) {
		t.Errorf("reply due = %v, want %v", c.ReplyDue(), want)
	}
	list := func(args ...string) []complaintSummary {
		t.Helper()
		code, out, errs := runCaseCmd(t, append([]string{"complaints", "list", "--data", dir}, args...)...)
		if code != 0 {
			t.Fatalf("list %v: exit %d: %s", args, code, errs)
		}
		var got []complaintSummary
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("list output: %v\n%s", err, out)
		}
		return got
	}
	if got := list("--overdue", "--at", "2026-05-07T00:59:00+08:00"); len(got) != 0 {
		t.Errorf("overdue before the deadline: %+v", got)
	}
	got := list("--overdue", "--at", "2026-05-07T01:30:00+08:00")
	if len(got) != 1 || got[0].ID != c.ID || !got[0].Overdue || got[0].OverdueMinutes != 30 || got[0].Severity != "simple" {
		t.Errorf("overdue after the deadline: %+v", got)
	}
	if got[0].ReplyDue.Format(time.RFC3339) != "2026-05-07T01:00:00+08:00" {
		t.Errorf("reply_due shown as %s, want the center's zone", got[0].ReplyDue.Format(time.RFC3339))
	}
	if soon := list("--due-within", "30m", "--at", "2026-05-07T00:30:00+08:00"); len(soon) != 1 || soon[0].Overdue {
		t.Errorf("due within 30 min of 00:30: %+v", soon)
	}
	if soon := list("--due-within", "29m", "--at", "2026-05-07T00:30:00+08:00"); len(soon) != 0 {
		t.Errorf("due within 29 min of 00:30: %+v", soon)
	}
	if late := list("--due-within", "30m", "--at", "2026-05-07T01:30:00+08:00"); len(late) != 0 {
		t.Errorf("--due-within alone listed an overdue case: %+v", late)
	}
	if all := list(); len(all) != 1 || len(all[0].Missing) == 0 {
		t.Errorf("list all: %+v", all)
	}
	if none := list("--state", "closed"); len(none) != 0 {
		t.Errorf("closed cases: %+v", none)
	}
	code, out, errs = runCaseCmd(t, "complaints", "show", c.ID, "--at", "2026-05-07T01:30:00+08:00", "--data", dir)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errs)
	}
	var v complaintView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Complaint.ID != c.ID || !v.ReplyOverdue || len(v.Missing) != 2 || v.Complaint.Heard.Statement != "我买的热水器装好第二天就漏水了" {
		t.Errorf("show = %+v", v)
	}
}

func TestComplaints_AddRefusesWithEveryProblem(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	withCaseStore(t, dir, func(s *store.Store) { putCaseCustomer(t, s, true) })
	var before int
	withCaseStore(t, dir, func(s *store.Store) { before, _, _ = s.OutboxStats() })
	body := strings.ReplaceAll(caseJSON, "%CUST%", agent.NewID())
	body = strings.Replace(body, `"read_back_confirmed": true`, `"read_back_confirmed": false`, 1)
	body = strings.Replace(body, `"listen": {"statement": "我买的热水器装好第二天就漏水了"},`, "", 1)
	file := writeCaseFile(t, dir, body)
	code, out, errs := runCaseCmd(t, "complaints", "add", "--from", file, "--data", dir)
	if code != 1 || out != "" {
		t.Fatalf("add of a bad case: exit %d out %q", code, out)
	}
	for _, want := range []string{"nothing stored", "is not on file", "听清楚 (listen): not done", "read-back not confirmed"} {
		if !strings.Contains(errs, want) {
			t.Errorf("refusal does not say %q:\n%s", want, errs)
		}
	}
	withCaseStore(t, dir, func(s *store.Store) {
		cs, err := s.Complaints(store.ComplaintFilter{})
		n, _, _ := s.OutboxStats()
		if err != nil || len(cs) != 0 || n != before {
			t.Errorf("refused add stored %d cases, outbox %d → %d", len(cs), before, n)
		}
	})
	bad := writeCaseFile(t, dir, `{"customer_id": "x", "colour": "red"}`)
	if code, _, errs := runCaseCmd(t, "complaints", "add", "--from", bad, "--data", dir); code != 1 || !strings.Contains(errs, "colour") {
		t.Errorf("unknown field: exit %d err %q", code, errs)
	}
	if code, _, _ := runCaseCmd(t, "complaints", "add", "--data", dir); code != 2 {
		t.Errorf("add without --from: exit %d, want 2 (usage)", code)
	}
}

func TestComplaints_AddMajorRaisesAlert(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	var cust string
	withCaseStore(t, dir, func(s *store.Store) { cust = putCaseCustomer(t, s, false) })
	file := writeCaseFile(t, dir, strings.Replace(strings.ReplaceAll(caseJSON, "%CUST%", cust), `"simple"`, `"major"`, 1))
	if code, _, errs := runCaseCmd(t, "complaints", "add", "--from", file, "--data", dir); code != 0 {
		t.Fatalf("add: %s", errs)
	}
	withCaseStore(t, dir, func(s *store.Store) {
		as, err := s.Alerts(time.Time{})
		if err != nil || len(as) != 1 || as[0].Kind != agent.AlertMajorComplaint {
			t.Errorf("alerts = %+v, %v", as, err)
		}
	})
}

// fillComplaints writes n cases to dir's data file (without fsync, for
// speed): 80% closed, 15% awaiting a reply (opened over the 120 days before
// 2026-05-06, so most are overdue by then), 5% still at intake.
func fillComplaints(tb testing.TB, dir string, n int) {
	tb.Helper()
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithNoSync(), store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	c := &agent.Customer{Name: "王先生", Phones: []string{"13800138000"}, Member: true}
	if err := s.PutCustomer(c, time.Unix(1, 0)); err != nil {
		tb.Fatal(err)
	}
	p := agent.DefaultReplyPolicy()
	start := time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)
	facts := agent.Facts{What: "热水器漏水", When: "昨天", Where: "家中", Subject: "订单 SO-1", Wants: "上门维修"}
	for i := range n {
		at := start.Add(time.Duration(i) * (120 * 24 * time.Hour / time.Duration(n)))
		k, err := agent.NewComplaint(c.ID, "800"+string(rune('0'+i%10)), agent.ChannelPhone, at)
		if err != nil {
			tb.Fatal(err)
		}
		steps := []error{k.Listen("我买的热水器装好第二天就漏水了", at)}
		if i%20 != 0 { // 5% stay at intake
			steps = append(steps, k.Ask(facts, true, at))
			_, err := k.Follow(agent.FollowInput{Severity: agent.Severity(i%2 + 1)}, at, p)
			steps = append(steps, err)
		}
		if i%20 > 3 { // 80% are replied, recorded and closed
			steps = append(steps,
				k.Reply(agent.ReplyInput{How: "电话", Said: "已上门修好", Accepted: true}, at.Add(time.Hour)),
				k.Record("热水器漏水", "安排师傅上门", "已修好", at.Add(time.Hour)),
				k.Close(at.Add(time.Hour)))
		}
		for _, err := range steps {
			if err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.PutComplaint(k, at); err != nil {
			tb.Fatal(err)
		}
	}
}

// TestGenerateComplaints fills the data dir named by AGENTDESK_GEN_COMPLAINTS
// with AGENTDESK_GEN_N cases (default 100000), to time deskctl by hand:
//
//	AGENTDESK_GEN_COMPLAINTS=/tmp/big go test -run TestGenerateComplaints ./cmd/deskctl
//	time deskctl complaints list --overdue --at 2026-05-06T12:00:00+08:00 --data /tmp/big
func TestGenerateComplaints(t *testing.T) {
	hermeticCaseConfig(t)
	dir := os.Getenv("AGENTDESK_GEN_COMPLAINTS")
	if dir == "" {
		t.Skip("set AGENTDESK_GEN_COMPLAINTS=DIR to generate a data dir of complaints")
	}
	n := 100_000
	if v := os.Getenv("AGENTDESK_GEN_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	fillComplaints(t, dir, n)
}

// BenchmarkComplaintsListOverdue times complaints list --overdue over a data
// dir of 100,000 cases (about 15,000 of them awaiting a reply).
func BenchmarkComplaintsListOverdue(b *testing.B) {
	dir := b.TempDir()
	fillComplaints(b, dir, 100_000)
	args := []string{"complaints", "list", "--overdue", "--at", "2026-05-06T12:00:00+08:00", "--data", dir}
	var n int
	for b.Loop() {
		var out bytes.Buffer
		if code := run(args, &env{stdout: &out, stderr: io.Discard, stdin: strings.NewReader("")}); code != 0 {
			b.Fatalf("exit %d", code)
		}
		n = out.Len()
	}
	b.ReportMetric(float64(n), "bytes/op-output")
}
