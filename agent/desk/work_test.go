package desk

import (
	"context"
	"errors"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/telephony"
)

// answerAndEnd rings call id from number, answers it and ends it.
func (h *harness) answerAndEnd(t *testing.T, id, number string, during func()) {
	t.Helper()
	h.d.Emit(ringing(id, telephony.Caller{Number: number}, h.clk.Now()))
	h.waitView(t, "the ring", func(v View) bool { return v.Call != nil && v.Call.CallID == id })
	h.clk.Advance(3 * time.Second)
	if err := h.d.Answer(id); err != nil {
		t.Fatal(err)
	}
	h.waitView(t, "answered", func(v View) bool { return v.Call != nil && v.Call.Status == CallOnCall })
	if during != nil {
		during()
	}
	h.clk.Advance(time.Minute)
	if err := h.d.Hangup(id); err != nil {
		t.Fatal(err)
	}
}

func TestDesk_WrapUpAfterEveryCall(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{LogCalls: true})
	h.d.SetPhone(&fakePhone{d: h.d})
	h.d.SetAgentState(agent.StatusAvailable, agent.ReasonNone)
	h.putCustomer(t, "王建国", "王", agent.TitleMr, "02161234567")
	var caseID string
	h.answerAndEnd(t, "c1", "021-6123-4567", func() {
		chk, err := h.d.SaveComplaint(ComplaintDraft{CallID: "c1", Statement: "地板划坏", What: "地板划伤", When: "昨天",
			Where: "家中", Subject: "送货单 7", Wants: "赔偿", ReadBack: true, Severity: agent.SeveritySimple})
		if err != nil {
			t.Fatal(err)
		}
		caseID = chk.CaseID
	})
	v := h.waitView(t, "the wrap-up", func(v View) bool { return v.WrapUp != nil && v.ACW != nil })
	w := v.WrapUp
	if w.Area != "上海市" || w.CaseID != caseID || w.Type != agent.CallComplaint || w.Number != "+862161234567" || w.Customer != "王建国" {
		t.Errorf("pending wrap-up = %+v", w)
	}
	if v.Agent.Status != agent.StatusWrapUp || v.ACW.Limit != agent.DefaultAfterCallWork {
		t.Errorf("after the call: agent %s, acw %+v", v.Agent.Status, v.ACW)
	}
	h.clk.Advance(3 * time.Minute)
	h.d.reload()
	v = h.waitView(t, "over the limit", func(v View) bool { return v.ACW != nil && v.ACW.Over(v.At) && v.Board.Agents[0].OverLimit })
	_, err := h.d.WrapCall(w.RecordID, agent.WrapUp{Type: "complaint"})
	var inc *agent.WrapIncompleteError
	if !errors.As(err, &inc) || len(inc.Problems) != 2 {
		t.Errorf("an incomplete wrap-up = %v", err)
	}
	if c, _ := h.st.Call(w.RecordID); c.Wrapped() {
		t.Errorf("a refused wrap-up changed the call")
	}
	if _, err := h.d.WrapCall(w.RecordID, agent.WrapUp{Type: "complaint", CaseID: "no-such-case", Result: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a wrap-up naming an unknown case = %v", err)
	}
	c, err := h.d.WrapCall(w.RecordID, agent.WrapUp{Type: "complaint", CaseID: caseID, Area: w.Area, Department: "物流部",
		Feedback: "三天内上门", Result: "已受理，2小时内答复", ReadBack: true})
	if err != nil || !c.Wrapped() || c.Department != "物流部" || c.CaseID != caseID {
		t.Fatalf("wrap: %+v, %v", c, err)
	}
	v = h.waitView(t, "available again", func(v View) bool {
		return v.WrapUp == nil && v.Agent.Status == agent.StatusAvailable && v.Today.ByType["complaint"] == 1
	})
	if v.Log[0].Result != "已受理，2小时内答复" || v.Board.Today[0].ByType["complaint"] != 1 {
		t.Errorf("log %+v, board %+v", v.Log, v.Board.Today)
	}
	// A call nobody answered has nothing to wrap up.
	h.d.Emit(ringing("c2", telephony.Caller{Number: "13900001111"}, h.clk.Now()))
	h.d.Emit(telephony.Event{Kind: telephony.EventMissed, CallID: "c2"})
	v = h.waitView(t, "the missed call logged", func(v View) bool { return len(v.Log) == 2 })
	if v.WrapUp != nil || v.Today.ByType[agent.Unwrapped] != 1 {
		t.Errorf("after a missed call: wrap-up %+v, by type %v", v.WrapUp, v.Today.ByType)
	}
}

func TestDesk_LogCallAfterHours(t *testing.T) {
	at := time.Date(2026, 3, 3, 8, 30, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	night := time.Date(2026, 3, 2, 23, 10, 0, 0, shanghai)
	c, err := h.d.LogCall(agent.Call{At: night, Number: "0755-1234-5678"}, agent.WrapUp{Type: "consultation", Result: "次日回电说明"})
	if err != nil || !c.Later || c.Area != "广东省深圳市" || c.Agent != "李娜" || !c.Wrapped() {
		t.Fatalf("logged: %+v, %v", c, err)
	}
	if _, err := h.d.LogCall(agent.Call{At: at.Add(time.Hour), Number: "13800000000"}, agent.WrapUp{Type: "other", Result: "x"}); !errors.Is(err, agent.ErrState) {
		t.Errorf("a call in the future: %v", err)
	}
	if _, err := h.d.LogCall(agent.Call{At: night, Number: "13800000000"}, agent.WrapUp{}); err == nil {
		t.Errorf("a call without its wrap-up was logged")
	}
}

func TestDesk_CaseAcrossCalls(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	h.d.SetPhone(&fakePhone{d: h.d})
	cu := h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, at))
	h.waitView(t, "the call", func(v View) bool { return v.Call != nil })
	chk, err := h.d.SaveComplaint(ComplaintDraft{CallID: "c1", Statement: "冰箱没送到", What: "冰箱未送达", When: "上周",
		Where: "上海", Subject: "订单 1", Wants: "送货", ReadBack: true, Severity: agent.SeveritySimple})
	if err != nil {
		t.Fatal(err)
	}
	id := chk.CaseID
	h.d.Emit(telephony.Event{Kind: telephony.EventEnded, CallID: "c1"})
	h.clk.Advance(30 * time.Minute)
	if _, err := h.d.FollowUp(id, ""); err == nil {
		t.Error("an empty follow-up note was taken")
	}
	if _, err := h.d.FollowUp(id, "已联系物流，明天送"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.d.SetReplyDue(id, at.Add(26*time.Hour), ""); err == nil {
		t.Error("a new reply time without a reason was taken")
	}
	if _, err := h.d.SetReplyDue(id, at.Add(26*time.Hour), "客户明天下午才在家"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.d.CloseCase(id); err == nil {
		t.Error("a case without reply and record was closed")
	}
	// The caller rings again the next day: the card lists the case.
	h.clk.Advance(25 * time.Hour)
	h.d.Emit(ringing("c2", telephony.Caller{Number: "13800138000"}, h.clk.Now()))
	v := h.waitView(t, "the card", func(v View) bool { return v.Call != nil && v.Call.Card != nil })
	if len(v.Call.Card.Cases) != 1 || v.Call.Card.Cases[0].ID != id || v.Call.Card.Cases[0].Customer != cu.Name {
		t.Fatalf("card cases = %+v", v.Call.Card.Cases)
	}
	_, dr, err := h.d.Complaint(id)
	if err != nil {
		t.Fatal(err)
	}
	dr.CallID, dr.ReplyHow, dr.ReplySaid, dr.Accepted = "c2", "电话", "冰箱已送达并安装", true
	dr.Matter, dr.Process, dr.Result = "冰箱未按时送达", "联系物流加急", "已送达"
	if _, err := h.d.SaveComplaint(dr); err != nil {
		t.Fatal(err)
	}
	c, err := h.d.CloseCase(id)
	if err != nil || c.State != agent.StateClosed {
		t.Fatalf("close: %v (%s)", err, c.State)
	}
	if _, err := h.d.ReopenCase(id, ""); err == nil {
		t.Error("reopened without a reason")
	}
	c, err = h.d.ReopenCase(id, "冰箱有划痕")
	if err != nil || c.State != agent.StateAwaitingReply || c.Followed.Entries[0].Note != "已联系物流，明天送" {
		t.Errorf("reopen: %+v, %v", c, err)
	}
	cs, _ := h.st.Complaints(store.ComplaintFilter{})
	if len(cs) != 1 {
		t.Errorf("%d cases in the store, want 1", len(cs))
	}
	// Escalation: to a team lead, with a note; it reaches the board.
	c, err = h.d.Escalate(id, string(agent.RoleTeamLead), "客户情绪激动，请组长回电")
	if err != nil || len(c.Escalations) != 1 {
		t.Fatalf("escalate: %v", err)
	}
	v = h.waitView(t, "the escalation on the board", func(v View) bool {
		for _, a := range v.Board.Alerts {
			if a.Kind == agent.AlertEscalation && a.To == "team_lead" {
				return true
			}
		}
		return false
	})
	alerts, _ := h.st.Alerts(time.Time{})
	if len(alerts) != 1 || alerts[0].Kind != agent.AlertEscalation {
		t.Errorf("stored alerts = %+v", alerts)
	}
}

func TestDesk_WarningStagesByRole(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	agentDesk := newHarness(t, at, Options{})
	agentDesk.d.SetPhone(&fakePhone{d: agentDesk.d})
	agentDesk.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	agentDesk.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, at))
	agentDesk.waitView(t, "the call", func(v View) bool { return v.Call != nil })
	chk, err := agentDesk.d.SaveComplaint(ComplaintDraft{Statement: "s", What: "w", When: "w", Where: "w", Subject: "s", Wants: "w",
		ReadBack: true, Severity: agent.SeverityComplex})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agentDesk.d.RaiseWarning(chk.CaseID); !errors.Is(err, agent.ErrRole) {
		t.Errorf("an agent raised a warning: %v", err)
	}
	// A supervisor's desk on the same data file.
	sup, err := New(Options{Store: agentDesk.st, Packs: agentDesk.d.packs, Clock: agentDesk.clk,
		Config: Config{AgentNumber: "s1", Role: agent.RoleSupervisor, TimeZone: "Asia/Shanghai"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Close()
	agentDesk.clk.Advance(10 * time.Minute)
	if _, err := sup.RaiseWarning(chk.CaseID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // the supervisor's two stages, and the branch's, manager's and executive's recorded for them
		agentDesk.clk.Advance(20 * time.Minute)
		if _, err := sup.CompleteStage(chk.CaseID, "done"); err != nil {
			t.Fatalf("stage %d: %v", i, err)
		}
	}
	v, err := agentDesk.d.Case(chk.CaseID)
	if err != nil || v.Warning == nil || v.Warning.StageName != "hotline_handling" || v.Warning.StageRole != agent.RoleAgent || v.Warning.Late {
		t.Fatalf("case view = %+v, %v", v.Warning, err)
	}
	if _, err := agentDesk.d.CompleteStage(chk.CaseID, "已处理"); err != nil {
		t.Errorf("the agent's own stage: %v", err)
	}
	rows := caseRows(lists{cases: []agent.Complaint{v.Case}}, agentDesk.clk.Now(), "李娜", agent.RoleAgent, agent.DefaultSLAPolicy())
	if len(rows) != 1 || rows[0].Warning == nil {
		t.Errorf("my cases row lacks the warning: %+v", rows)
	}
}

func TestDesk_CallbackOutcomes(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{PlanCallbacks: true})
	ph := &fakePhone{d: h.d}
	h.d.SetPhone(ph)
	if _, err := h.d.SaveCustomer(CustomerEdit{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phone: "13800138000", Member: true}); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(t, "the task", func(v View) bool { return len(v.Callbacks) == 1 })
	id := v.Callbacks[0].ID
	if _, err := h.d.StartCallback(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "the callback script", func(v View) bool { return v.Callback != nil && len(v.CallbackScript) > 0 })
	if v.Callback.CallID != "out-1" || v.Callback.Customer.Name != "王建国" {
		t.Errorf("active callback = %+v", v.Callback)
	}
	for _, l := range v.CallbackScript {
		if l.Say == "" {
			t.Errorf("empty callback line %+v", l)
		}
	}
	no, yes := false, true
	// Not reached: a next try in the customers' resting time is refused.
	_, _, err := h.d.RecordCallback(id, agent.CallbackOutcome{Reached: &no, NextTry: time.Date(2026, 3, 2, 12, 30, 0, 0, shanghai)})
	var inc *agent.CallbackIncompleteError
	if !errors.As(err, &inc) || inc.Problems[0] != agent.ProblemCallbackNextRest {
		t.Errorf("next try at 12:30 = %v", err)
	}
	cb, _, err := h.d.RecordCallback(id, agent.CallbackOutcome{Reached: &no, Note: "无人接听"})
	if err != nil || cb.State == agent.CallbackDone || cb.NextTry.Hour() != 14 {
		t.Errorf("unreached: %+v, %v (next try %v)", cb.State, err, cb.NextTry)
	}
	// Reached, but the record is incomplete: refused, nothing stored.
	_, _, err = h.d.RecordCallback(id, agent.CallbackOutcome{Reached: &yes, Satisfied: &no})
	if !errors.As(err, &inc) || len(inc.Problems) != 2 {
		t.Errorf("incomplete outcome = %v", err)
	}
	if got, _ := h.st.Callback(id); len(got.Attempts) != 1 {
		t.Errorf("a refused outcome changed the task: %+v", got.Attempts)
	}
	cb, caseID, err := h.d.RecordCallback(id, agent.CallbackOutcome{Reached: &yes, Satisfied: &no, Suggestions: "安装师傅迟到两小时", NoNextContact: true})
	if err != nil || cb.State != agent.CallbackDone || caseID == "" || cb.ComplaintID != caseID {
		t.Fatalf("unsatisfied: %+v %q %v", cb, caseID, err)
	}
	c, err := h.st.Complaint(caseID)
	if err != nil || c.CallbackID != id || c.Heard == nil || c.Heard.Statement != "安装师傅迟到两小时" || c.Owner != "李娜" {
		t.Errorf("the case it opened = %+v, %v", c, err)
	}
	if _, _, err := h.d.RecordCallback(id, agent.CallbackOutcome{Reached: &yes}); !errors.Is(err, ErrCallbackDone) {
		t.Errorf("recording a done task again = %v", err)
	}
	v = h.waitView(t, "the task done and the case in my cases", func(v View) bool { return len(v.Callbacks) == 0 && len(v.Cases) == 1 && v.Callback == nil })
}

func TestDesk_NoticesWhenCasesFallDue(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	h.d.SetPhone(&fakePhone{d: h.d})
	h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, at))
	h.waitView(t, "the call", func(v View) bool { return v.Call != nil })
	if _, err := h.d.SaveComplaint(ComplaintDraft{Statement: "s", What: "冰箱", When: "w", Where: "w", Subject: "s", Wants: "w",
		ReadBack: true, Severity: agent.SeveritySimple}); err != nil {
		t.Fatal(err)
	}
	h.waitView(t, "the case", func(v View) bool { return len(v.Cases) == 1 })
	h.clk.Advance(100 * time.Minute) // 20 min before its 2 h reply time
	h.d.reload()
	v := h.waitView(t, "due soon", func(v View) bool { return len(v.Cases) == 1 && v.Cases[0].DueSoon })
	if n := countNotices(v, NoticeCaseDue); n != 1 {
		t.Errorf("%d due-soon notices, want 1", n)
	}
	h.clk.Advance(30 * time.Minute)
	h.d.reload()
	v = h.waitView(t, "overdue", func(v View) bool { return len(v.Cases) == 1 && v.Cases[0].Overdue })
	if countNotices(v, NoticeCaseOverdue) != 1 || countNotices(v, NoticeCaseDue) != 1 {
		t.Errorf("notices = %+v", v.Notices)
	}
}

func countNotices(v View, id string) int {
	n := 0
	for _, x := range v.Notices {
		if x.ID == id {
			n++
		}
	}
	return n
}
