package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
)

// outboxCount is the number of writes waiting for the hub: every stored
// change adds one, so an unchanged count means nothing was stored.
func outboxCount(t *testing.T, dir string) int {
	t.Helper()
	var n int
	withCaseStore(t, dir, func(s *store.Store) { n, _, _ = s.OutboxStats() })
	return n
}

func writeJSONFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustRun runs a command that must succeed and decodes its JSON into v.
func mustRun(t *testing.T, v any, args ...string) {
	t.Helper()
	code, out, errs := runCaseCmd(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if v != nil {
		reflect.ValueOf(v).Elem().SetZero()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v: output: %v\n%s", args, err, out)
		}
	}
}

// mustRefuse runs a command that must fail, change nothing and say each of
// want on stderr.
func mustRefuse(t *testing.T, dir string, want []string, args ...string) {
	t.Helper()
	before := outboxCount(t, dir)
	code, out, errs := runCaseCmd(t, args...)
	if code == 0 || out != "" {
		t.Errorf("%v: exit %d out %q, want a refusal", args, code, out)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("%v: refusal does not say %q:\n%s", args, w, errs)
		}
	}
	if after := outboxCount(t, dir); after != before {
		t.Errorf("%v: refused, yet %d writes were stored", args, after-before)
	}
}

// A case across calls through deskctl: opened, followed with a new reply
// time (its reason required), replied, recorded (not before the reply),
// closed, reopened (with a reason) and handed on; an agent who neither
// owns it nor received it is refused, a supervisor is not.
func TestComplaints_StepsAcrossCalls(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	var cust string
	withCaseStore(t, dir, func(s *store.Store) { cust = putCaseCustomer(t, s, true) })
	var c agent.Complaint
	mustRun(t, &c, "complaints", "add", "--from", writeCaseFile(t, dir, strings.ReplaceAll(caseJSON, "%CUST%", cust)), "--data", dir)
	id := c.ID
	as := func(at string, args ...string) []string {
		return append(append([]string{"complaints"}, args...), "--data", dir, "--agent", "8001", "--at", at)
	}
	const day2 = "2026-05-07T09:00:00+08:00"

	noReason := writeJSONFile(t, dir, "f1.json", `{"note": "已联系仓库", "reply_due": "2026-05-07T15:00:00+08:00"}`)
	mustRefuse(t, dir, []string{"nothing changed", "reason"}, as(day2, "follow", id, "--from", noReason)...)
	past := writeJSONFile(t, dir, "f2.json", `{"reply_due": "2026-05-07T08:00:00+08:00", "reason": "客户同意"}`)
	mustRefuse(t, dir, []string{"not after"}, as(day2, "follow", id, "--from", past)...)
	mustRefuse(t, dir, []string{"neither a note nor a new reply time"}, as(day2, "follow", id, "--from", writeJSONFile(t, dir, "f3.json", `{}`))...)
	mustRefuse(t, dir, []string{"f4.json:1:", "colour"}, as(day2, "follow", id, "--from", writeJSONFile(t, dir, "f4.json", `{"colour": 1}`))...)
	mustRefuse(t, dir, []string{"f5.json:2:"}, as(day2, "follow", id, "--from", writeJSONFile(t, dir, "f5.json", "{\n  \"note\": ,\n}"))...)

	follow := writeJSONFile(t, dir, "f.json", `{"note": "已联系仓库，明天送到", "reply_due": "2026-05-07T15:00:00+08:00", "reason": "客户同意下午三点前回复"}`)
	mustRun(t, &c, as(day2, "follow", id, "--from", follow)...)
	if c.Followed == nil || len(c.Followed.Entries) != 1 || len(c.Followed.DueChanges) != 1 ||
		!c.ReplyDue().Equal(time.Date(2026, 5, 7, 7, 0, 0, 0, time.UTC)) || c.Version != 2 {
		t.Fatalf("after follow: %+v", c.Followed)
	}
	other := append([]string(nil), as(day2, "follow", id, "--from", follow)...)
	other[len(other)-3] = "8002"
	mustRefuse(t, dir, []string{"not this agent's case"}, other...)

	rec := writeJSONFile(t, dir, "r.json", `{"matter": "热水器漏水", "process": "仓库补发配件并上门", "result": "已修好"}`)
	mustRefuse(t, dir, []string{"记清楚", "复清楚", "step"}, as(day2, "record", id, "--from", rec)...)
	mustRefuse(t, dir, []string{"said"}, as(day2, "reply", id, "--from", writeJSONFile(t, dir, "p0.json", `{"how": "电话"}`))...)
	const day3 = "2026-05-07T14:00:00+08:00"
	reply := writeJSONFile(t, dir, "p.json", `{"how": "电话回复", "said": "配件明天上午送到并安排师傅上门", "accepted": true}`)
	mustRun(t, &c, as(day3, "reply", id, "--from", reply)...)
	if c.State != agent.StateReplied || c.Replied == nil || !c.Replied.RepliedAt.Equal(time.Date(2026, 5, 7, 6, 0, 0, 0, time.UTC)) {
		t.Fatalf("after reply: %s %+v", c.State, c.Replied)
	}
	mustRun(t, &c, as(day3, "record", id, "--from", rec)...)
	mustRun(t, &c, as(day3, "close", id)...)
	if c.State != agent.StateClosed {
		t.Fatalf("after close: %s", c.State)
	}
	mustRefuse(t, dir, []string{"reason"}, as(day3, "reopen", id)...)
	mustRun(t, &c, as("2026-05-08T10:00:00+08:00", "reopen", id, "--reason", "师傅没来")...)
	if c.State != agent.StateAwaitingReply || len(c.Reopens) != 1 || c.Replied != nil {
		t.Fatalf("after reopen: %s %+v", c.State, c.Reopens)
	}
	mustRefuse(t, dir, []string{"note"}, as(day3, "escalate", id, "--to", "supervisor")...)
	mustRun(t, &c, as("2026-05-08T10:05:00+08:00", "escalate", id, "--to", "supervisor", "--note", "第二次投诉，请主管跟进")...)
	if !c.EscalatedTo("9001", agent.RoleSupervisor) {
		t.Errorf("escalated case is not the supervisor's: %+v", c.Escalations)
	}
	sup := append([]string(nil), as("2026-05-08T11:00:00+08:00", "follow", id, "--from", writeJSONFile(t, dir, "s.json", `{"note": "主管已致电客户"}`))...)
	sup[len(sup)-3] = "9001"
	mustRun(t, &c, append(sup, "--role", "supervisor")...)
	if n := len(c.Followed.Entries); n != 2 {
		t.Errorf("supervisor's follow-up: %d entries", n)
	}
	withCaseStore(t, dir, func(s *store.Store) {
		if cs, _ := s.Complaints(store.ComplaintFilter{}); len(cs) != 1 {
			t.Errorf("%d cases stored, want the one case", len(cs))
		}
	})
	mustRefuse(t, dir, []string{"not found"}, as(day3, "close", agent.NewID())...)
	mustRefuse(t, dir, []string{"--role"}, append(as(day3, "close", id), "--role", "boss")...)
}

// A call logged after hours and one of the log wrapped up, through
// deskctl; what a wrap-up lacks is refused with nothing stored.
func TestCalls_AddWrapList(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	var rec agent.Call
	withCaseStore(t, dir, func(s *store.Store) {
		rec = agent.Call{At: time.Date(2026, 3, 2, 1, 5, 0, 0, time.UTC), Number: "+8613800138000", Agent: "8001",
			Answered: true, RingSeconds: 4}
		if err := s.PutCall(&rec, rec.At.Add(3*time.Minute)); err != nil {
			t.Fatal(err)
		}
	})
	const at = "2026-03-02T10:00:00+08:00"
	mustRefuse(t, dir, []string{"nothing stored", "result"}, "calls", "add", "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "a0.json", `{"at": "2026-03-01T23:10:00+08:00", "number": "02161234567", "type": "consultation"}`))
	mustRefuse(t, dir, []string{"number"}, "calls", "add", "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "a1.json", `{"at": "2026-03-01T23:10:00+08:00", "type": "other", "result": "x"}`))
	mustRefuse(t, dir, []string{"future"}, "calls", "add", "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "a2.json", `{"at": "2026-03-02T11:00:00+08:00", "number": "02161234567", "type": "other", "result": "x"}`))
	mustRefuse(t, dir, []string{"call type missing or unknown"}, "calls", "add", "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "a3.json", `{"at": "2026-03-01T23:10:00+08:00", "number": "02161234567", "type": "sales", "result": "x"}`))

	var added agent.Call
	mustRun(t, &added, "calls", "add", "--data", dir, "--at", at, "--agent", "8001",
		"--from", writeJSONFile(t, dir, "a.json", `{"at": "2026-03-01T23:10:00+08:00", "number": "021 6123 4567", "type": "consultation", "department": "售后", "result": "次日回电告知网点地址"}`))
	if added.Number != "+862161234567" || added.Area != "上海市" || !added.Later || !added.Wrapped() || added.Type != agent.CallConsultation {
		t.Errorf("added call = %+v", added)
	}

	mustRefuse(t, dir, []string{"nothing stored", "type"}, "calls", "wrap", rec.ID, "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "w0.json", `{"result": "已答复"}`))
	mustRefuse(t, dir, []string{"case"}, "calls", "wrap", rec.ID, "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "w1.json", `{"type": "complaint", "result": "已登记", "case_id": "`+agent.NewID()+`"}`))
	var unwrapped []agent.Call
	mustRun(t, &unwrapped, "calls", "list", "--day", "2026-03-02", "--unwrapped", "--data", dir)
	if len(unwrapped) != 1 || unwrapped[0].ID != rec.ID {
		t.Fatalf("unwrapped calls of 03-02: %+v", unwrapped)
	}
	var wrapped agent.Call
	mustRun(t, &wrapped, "calls", "wrap", rec.ID, "--data", dir, "--at", at,
		"--from", writeJSONFile(t, dir, "w.json", `{"type": "other", "department": "物流部", "feedback": "已改约", "result": "改约周六送货", "read_back": true}`))
	if wrapped.Type != agent.CallOther || wrapped.Department != "物流部" || !wrapped.ReadBack {
		t.Errorf("wrapped call = %+v", wrapped)
	}
	mustRun(t, &unwrapped, "calls", "list", "--day", "2026-03-02", "--unwrapped", "--data", dir)
	if len(unwrapped) != 0 {
		t.Errorf("still unwrapped: %+v", unwrapped)
	}
	var day1 []agent.Call
	mustRun(t, &day1, "calls", "list", "--day", "2026-03-01", "--data", dir)
	if len(day1) != 1 || day1[0].ID != added.ID || day1[0].At.Format(time.RFC3339) != "2026-03-01T23:10:00+08:00" {
		t.Errorf("calls of 03-01: %+v", day1)
	}
	mustRun(t, &day1, "calls", "list", "--day", "2026-03-01", "--agent", "8002", "--data", dir)
	if len(day1) != 0 {
		t.Errorf("calls of 8002: %+v", day1)
	}
	var st statsView
	mustRun(t, &st, "stats", "--day", "2026-03-02", "--data", dir)
	if len(st.Agents) != 1 || st.Agents[0].ByType[agent.CallOther.String()] != 1 {
		t.Errorf("stats by type: %+v", st.Agents)
	}
}

// Callbacks through deskctl: listed by state, an attempt not reached, an
// incomplete outcome refused naming what is missing, a complete one done,
// an unsatisfied one opening a linked case, and the summary report.
func TestCallbacks_ListRecordReport(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	var ids []string
	withCaseStore(t, dir, func(s *store.Store) {
		for i, phone := range []string{"13800138000", "13900139000"} {
			c := &agent.Customer{Name: "客户", Surname: "李", Phones: []string{phone}, Member: true}
			if err := s.PutCustomer(c, time.Unix(1, 0)); err != nil {
				t.Fatal(err)
			}
			cb := &agent.Callback{CustomerID: c.ID, Agent: "8001", Purpose: "member",
				Due: time.Date(2026, 4, 3+i, 10, 0, 0, 0, time.UTC), State: agent.CallbackPending}
			cb.CreatedAt = time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)
			if err := s.PutCallback(cb, cb.CreatedAt); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, cb.ID)
		}
	})
	var rows []callbackRow
	mustRun(t, &rows, "callbacks", "list", "--state", "pending", "--data", dir)
	if len(rows) != 2 || rows[0].ID != ids[0] {
		t.Fatalf("pending: %+v", rows)
	}
	mustRun(t, &rows, "callbacks", "list", "--state", "overdue", "--at", "2026-04-03T20:00:00+08:00", "--data", dir)
	if len(rows) != 1 || rows[0].ID != ids[0] || !rows[0].Overdue {
		t.Fatalf("overdue on 04-03 evening: %+v", rows)
	}
	if code, _, _ := runCaseCmd(t, "callbacks", "list", "--state", "late", "--data", dir); code == 0 {
		t.Error("--state late accepted")
	}
	const at = "2026-04-02T10:00:00+08:00"
	rec := func(id, body string) []string {
		return []string{"callbacks", "record", id, "--data", dir, "--agent", "8001", "--at", at,
			"--from", writeJSONFile(t, dir, "cb.json", body)}
	}
	mustRefuse(t, dir, []string{"nothing stored", "satisf", "suggestions", "next contact"}, rec(ids[0], `{"at": "2026-04-02T10:00:00+08:00", "reached": true}`)...)
	mustRefuse(t, dir, []string{"quiet"}, rec(ids[0], `{"at": "2026-04-02T10:00:00+08:00", "reached": false, "next_try": "2026-04-02T23:30:00+08:00"}`)...)
	var v callbackRecordView
	mustRun(t, &v, rec(ids[0], `{"at": "2026-04-02T10:00:00+08:00", "reached": false, "note": "无人接听"}`)...)
	if v.Callback.State != agent.CallbackPending || len(v.Callback.Attempts) != 1 || v.Callback.NextTry.IsZero() {
		t.Fatalf("after an attempt: %+v", v.Callback)
	}
	mustRun(t, &v, rec(ids[0], `{"at": "2026-04-02T10:00:00+08:00", "reached": true, "satisfied": true, "suggestions": "无", "no_next_contact": true}`)...)
	if v.Callback.State != agent.CallbackDone || v.ComplaintID != "" {
		t.Fatalf("after the outcome: %+v", v)
	}
	mustRefuse(t, dir, []string{"done"}, rec(ids[0], `{"at": "2026-04-02T10:00:00+08:00", "reached": false}`)...)
	mustRun(t, &v, rec(ids[1], `{"at": "2026-04-02T10:00:00+08:00", "reached": true, "satisfied": false, "suggestions": "送货太慢", "next_contact": "2026-04-05T10:00:00+08:00"}`)...)
	if v.ComplaintID == "" || v.Callback.ComplaintID != v.ComplaintID {
		t.Fatalf("unsatisfied outcome opened no linked case: %+v", v)
	}
	var shown complaintView
	mustRun(t, &shown, "complaints", "show", v.ComplaintID, "--data", dir)
	if shown.Complaint.CallbackID != ids[1] || shown.Complaint.Heard == nil || shown.Complaint.Heard.Statement != "送货太慢" {
		t.Errorf("the case opened: %+v", shown.Complaint)
	}
	mustRun(t, &rows, "callbacks", "list", "--state", "done", "--data", dir)
	if len(rows) != 2 {
		t.Errorf("done: %+v", rows)
	}
	var r callbackReportView
	mustRun(t, &r, "callbacks", "report", "--from", "2026-04-01", "--to", "2026-04-30", "--data", dir, "--at", at)
	if r.Total != 2 || r.Reached != 2 || r.Satisfied != 1 || r.SatisfiedPct != 50 {
		t.Errorf("report: %+v", r.CallbackSummary)
	}
	mustRun(t, &r, "callbacks", "report", "--from", "2026-05-01", "--to", "2026-05-31", "--data", dir, "--at", at)
	if r.Total != 0 {
		t.Errorf("May report: %+v", r.CallbackSummary)
	}
	if code, _, errs := runCaseCmd(t, "callbacks", "report", "--from", "2026-04-30", "--to", "2026-04-01", "--data", dir); code == 0 {
		t.Errorf("reversed report days accepted: %s", errs)
	}
}

// A desk that agents sign in to seals its data file behind their PINs (no
// OS slot): deskctl opens it as an agent with that agent's PIN, and a
// wrong PIN or none is refused with what to give.
func TestDataFile_OpensWithTheAgentsPIN(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "desk.db"), store.WithUnlock(seal.Agent{ID: "8001", Secret: "2468", Now: time.Now()}))
	if err != nil {
		t.Fatal(err)
	}
	c := agent.Call{At: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC), Number: "+8613800138000", Agent: "8001", Answered: true}
	if err := s.PutCall(&c, c.At); err != nil {
		t.Fatal(err)
	}
	s.Close()
	pin := writeJSONFile(t, dir, "pin.txt", "2468\n")
	wrong := writeJSONFile(t, dir, "wrong.txt", "1111\n")
	var calls []agent.Call
	mustRun(t, &calls, "calls", "list", "--day", "2026-03-02", "--data", dir, "--as", "8001", "--pin-file", pin)
	if len(calls) != 1 || calls[0].ID != c.ID {
		t.Errorf("calls = %+v", calls)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--as", "8001", "--pin-file", wrong}, "wrong PIN"},
		{nil, "--pin-file"},
		{[]string{"--pin-file", pin}, "--as"},
	} {
		code, _, errs := runCaseCmd(t, append([]string{"calls", "list", "--day", "2026-03-02", "--data", dir}, c.args...)...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q", c.args, code, errs, c.want)
		}
	}
	// A desk command acting for 8001 opens the file with 8001's PIN.
	var wrapped agent.Call
	mustRun(t, &wrapped, "calls", "wrap", c.ID, "--data", dir, "--agent", "8001", "--pin-file", pin,
		"--from", writeJSONFile(t, dir, "w.json", `{"type": "other", "result": "已答复"}`))
	if !wrapped.Wrapped() {
		t.Errorf("wrapped = %+v", wrapped)
	}
}
