package desk

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// waitView returns the desk's view once it satisfies ok.
func (h *harness) waitView(t *testing.T, what string, ok func(View) bool) View {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := h.d.View()
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("no view with %s; last: %+v", what, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakePhone answers every command at once, reporting back like a phone.
type fakePhone struct {
	d     *Desk
	mu    sync.Mutex
	calls []string
	err   error
}

func (p *fakePhone) rec(s string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, s)
	return p.err
}
func (p *fakePhone) Answer(id string) error {
	if err := p.rec("answer " + id); err != nil {
		return err
	}
	p.d.Emit(telephony.Event{Kind: telephony.EventAnswered, CallID: id})
	return nil
}
func (p *fakePhone) Reject(id string, st int) error { return p.rec("reject " + id) }
func (p *fakePhone) Hangup(id string) error {
	if err := p.rec("hangup " + id); err != nil {
		return err
	}
	p.d.Emit(telephony.Event{Kind: telephony.EventEnded, CallID: id})
	return nil
}
func (p *fakePhone) Hold(id string) error          { return p.rec("hold " + id) }
func (p *fakePhone) Resume(id string) error        { return p.rec("resume " + id) }
func (p *fakePhone) Transfer(id, to string) error  { return p.rec("transfer " + id + " " + to) }
func (p *fakePhone) SendDTMF(id, d string) error   { return p.rec("dtmf " + id + " " + d) }
func (p *fakePhone) Mute(id string, on bool) error { return p.rec("mute " + id) }
func (p *fakePhone) Close() error                  { return nil }
func (p *fakePhone) Dial(_ context.Context, n string) (string, error) {
	return "out-1", p.rec("dial " + n)
}

func TestView_CallerCardLogAndToday(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, shanghai)
	h := newHarness(t, at, Options{LogCalls: true})
	ph := &fakePhone{d: h.d}
	h.d.SetPhone(ph)
	cust := h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	past := &agent.Call{CallID: "old", At: at.Add(-24 * time.Hour), Number: "+8613800138000", Agent: "李娜",
		Type: agent.CallComplaint, Answered: true}
	if err := h.st.PutCall(past, at); err != nil {
		t.Fatal(err)
	}
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, at))
	v := h.waitView(t, "the card", func(v View) bool { return v.Call != nil && v.Call.Card != nil })
	if v.Call.Customer.ID != cust.ID || v.Call.Salutation != "王先生" || v.Call.Status != CallRinging {
		t.Errorf("call = %+v", v.Call)
	}
	if lc := v.Call.Card.LastCalls; len(lc) != 1 || lc[0].Type != agent.CallComplaint {
		t.Errorf("last calls = %+v", lc)
	}
	for _, p := range v.Phrases {
		if strings.Contains(p.Say, "{{salutation}}") {
			t.Errorf("phrase not rendered for the caller: %q", p.Say)
		}
	}
	h.clk.Advance(4 * time.Second)
	if err := h.d.Answer(""); err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "on call", func(v View) bool { return v.Call != nil && v.Call.Status == CallOnCall })
	if !v.HangupReminder {
		t.Errorf("no hang-up reminder while the caller is on the line")
	}
	h.clk.Advance(60 * time.Second)
	if err := h.d.Hangup(""); err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "the call in today's log", func(v View) bool { return len(v.Log) == 1 })
	if v.Log[0].CallID != "c1" || !v.Log[0].Answered || v.Call != nil {
		t.Errorf("log = %+v, call = %+v", v.Log, v.Call)
	}
	if v.Today.Inbound != 1 || v.Today.AnsweredWithinLimit != 1 || v.Today.Agent != "李娜" || v.Today.Day != "2026-03-02" {
		t.Errorf("today = %+v, want one inbound answered within the ring limit", v.Today)
	}
}

func TestView_MyCasesDueSoonAndOverdue(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	cust := h.putCustomer(t, "李娜", "李", agent.TitleMs, "13900139000")
	mk := func(what string, opened time.Time, owner string) {
		in := agent.ComplaintInput{CustomerID: cust.ID, Owner: owner, OpenedAt: opened,
			Listen: &agent.ListenStep{Statement: what},
			Ask:    &agent.AskStep{Facts: agent.Facts{What: what, When: "今天", Where: "店", Subject: "订单", Wants: "退款"}, ReadBack: true},
			Follow: &agent.FollowStepInput{FollowInput: agent.FollowInput{Severity: agent.SeveritySimple}}}
		c, _, err := agent.BuildComplaint(in, agent.DefaultReplyPolicy(), opened)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.st.PutComplaint(c, opened); err != nil {
			t.Fatal(err)
		}
	}
	mk("逾期", at.Add(-3*time.Hour), "李娜")      // due 2 h later: an hour overdue
	mk("快到期", at.Add(-100*time.Minute), "李娜") // due in 20 min
	mk("不急", at, "李娜")                        // due in 2 h
	mk("别人的", at.Add(-5*time.Hour), "王芳")     // another agent's
	h.d.reload()
	v := h.waitView(t, "three cases", func(v View) bool { return len(v.Cases) == 3 })
	got := []string{}
	for _, c := range v.Cases {
		got = append(got, c.What)
	}
	if strings.Join(got, ",") != "逾期,快到期,不急" {
		t.Errorf("cases in order %v", got)
	}
	if !v.Cases[0].Overdue || v.Cases[0].DueSoon || v.Cases[1].Overdue || !v.Cases[1].DueSoon || v.Cases[2].DueSoon {
		t.Errorf("flags = %+v", v.Cases)
	}
	if v.Cases[0].Customer != "李娜" {
		t.Errorf("customer name = %q", v.Cases[0].Customer)
	}
	if len(v.Board.Overdue) != 1 || v.Board.FromHub {
		t.Errorf("local board overdue = %+v", v.Board.Overdue)
	}
}

func TestView_CallbacksQuietHoursAndDial(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 30, 0, 0, shanghai) // inside 12:00–14:00
	h := newHarness(t, at, Options{PlanCallbacks: true})
	ph := &fakePhone{d: h.d}
	h.d.SetPhone(ph)
	if _, err := h.d.SaveCustomer(CustomerEdit{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phone: "13800138000", Member: true}); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(t, "the planned callback", func(v View) bool { return len(v.Callbacks) == 1 })
	cb := v.Callbacks[0]
	if cb.Customer != "王建国" || cb.Number != "+8613800138000" || cb.Dialable || cb.Agent != "李娜" {
		t.Errorf("callback row = %+v", cb)
	}
	if want := time.Date(2026, 3, 2, 14, 0, 0, 0, shanghai); !v.QuietUntil.Equal(want) {
		t.Errorf("quiet until %v, want %v", v.QuietUntil, want)
	}
	_, err := h.d.DialCallback(context.Background(), cb.ID)
	var qe *agent.QuietError
	if !errors.As(err, &qe) || len(ph.calls) != 0 {
		t.Errorf("dial in quiet hours = %v (phone got %v)", err, ph.calls)
	}
	h.clk.Advance(2 * time.Hour)
	h.d.reload()
	v = h.waitView(t, "dialable after quiet hours", func(v View) bool { return len(v.Callbacks) == 1 && v.Callbacks[0].Dialable })
	if _, err := h.d.DialCallback(context.Background(), cb.ID); err != nil || len(ph.calls) != 1 || ph.calls[0] != "dial +8613800138000" {
		t.Errorf("dial = %v, phone got %v", err, ph.calls)
	}
	// Planning again on the same day makes nothing new.
	if n, err := h.d.planCallbacks(h.clk.Now()); n != 0 || err != nil {
		t.Errorf("second plan the same day: %d, %v", n, err)
	}
}

func TestDesk_SaveComplaintTwice_EditsOneCase(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	h.putCustomer(t, "王建国", "王", agent.TitleMr, "13800138000")
	h.d.SetPhone(&fakePhone{d: h.d})
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, at))
	h.waitView(t, "the call", func(v View) bool { return v.Call != nil })
	dr := ComplaintDraft{Statement: "冰箱没送到", What: "冰箱未送达", When: "上周", Where: "上海", Subject: "订单 1",
		Wants: "尽快送货", ReadBack: true, Severity: agent.SeveritySimple}
	chk := h.d.CheckComplaint(ComplaintDraft{Statement: "x"})
	if len(chk.Missing) == 0 || chk.Missing[0].Step != agent.StepAsk || chk.Missing[0].Code != agent.ProblemWhat {
		t.Errorf("check of a bare draft = %+v", chk.Missing)
	}
	first, err := h.d.SaveComplaint(dr)
	if err != nil || first.CaseID == "" {
		t.Fatalf("first save: %+v, %v", first, err)
	}
	if want := at.Add(2 * time.Hour); !first.Due.Equal(want) {
		t.Errorf("due %v, want %v", first.Due, want)
	}
	h.clk.Advance(10 * time.Minute)
	dr.CaseID = first.CaseID
	dr.When = "上周五"
	dr.Severity = agent.SeverityComplex
	second, err := h.d.SaveComplaint(dr)
	if err != nil || second.CaseID != first.CaseID {
		t.Fatalf("second save: %+v, %v", second, err)
	}
	cs, err := h.st.Complaints(store.ComplaintFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("cases in the store: %d, %v (want one)", len(cs), err)
	}
	c := cs[0]
	if c.Asked.Facts.When != "上周五" || c.Followed.Severity != agent.SeverityComplex || len(c.Revisions) != 2 {
		t.Errorf("stored case: when %q, severity %s, %d revisions", c.Asked.Facts.When, c.Followed.Severity, len(c.Revisions))
	}
	if want := at.Add(10*time.Minute + 24*time.Hour); !c.Followed.ReplyDue.Equal(want) {
		t.Errorf("complex case due %v, want %v", c.Followed.ReplyDue, want)
	}
	// A changed step that lacks content is refused, naming it; nothing changes.
	dr.What = ""
	_, err = h.d.SaveComplaint(dr)
	var inc *agent.IncompleteError
	if !errors.As(err, &inc) || inc.Problems[0].Code != agent.ProblemWhat {
		t.Errorf("save without what = %v", err)
	}
	if again, _ := h.st.Complaint(c.ID); again.Version != c.Version {
		t.Errorf("a refused save changed the case (version %d → %d)", c.Version, again.Version)
	}
	// An agreed reply time needs its reason.
	dr.What = "冰箱未送达"
	dr.ReplyDue = at.Add(48 * time.Hour)
	_, err = h.d.SaveComplaint(dr)
	if !errors.As(err, &inc) || inc.Problems[0].Code != agent.ProblemDueReason {
		t.Errorf("agreed time without reason = %v", err)
	}
	dr.DueReason = "客户周末不在家"
	if _, err := h.d.SaveComplaint(dr); err != nil {
		t.Errorf("agreed time with reason: %v", err)
	}
}

func TestDesk_SaveComplaint_AnonymousAndUnknownCallers(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	dr := ComplaintDraft{Statement: "s", What: "w", When: "w", Where: "w", Subject: "s", Wants: "w", ReadBack: true, Severity: agent.SeveritySimple}
	if _, err := h.d.SaveComplaint(dr); !errors.Is(err, ErrNoCall) {
		t.Errorf("off a call: %v", err)
	}
	h.d.Emit(ringing("anon", telephony.Caller{Anonymous: true, Number: "anonymous"}, at))
	h.waitView(t, "the call", func(v View) bool { return v.Call != nil })
	if _, err := h.d.SaveComplaint(dr); !errors.Is(err, ErrAnonymous) {
		t.Errorf("anonymous caller: %v", err)
	}
	h.d.Emit(telephony.Event{Kind: telephony.EventEnded, CallID: "anon"})
	h.d.Emit(ringing("u", telephony.Caller{Number: "13900001111"}, at))
	h.waitView(t, "the unknown caller", func(v View) bool { return v.Call != nil && v.Call.CallID == "u" })
	for i := 0; i < 2; i++ {
		if _, err := h.d.SaveComplaint(dr); err != nil {
			t.Fatal(err)
		}
	}
	found, _ := h.st.LookupPhone("13900001111")
	if len(found) != 1 {
		t.Errorf("an unknown caller's two cases made %d customer records, want 1", len(found))
	}
}

func TestDesk_BoardAndPack(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	if err := h.d.SetBoard(&Board{Agents: []BoardAgent{{Agent: "8002", Status: "on_call"}}}); err != nil {
		t.Fatal(err)
	}
	v := h.waitView(t, "the hub board", func(v View) bool { return v.Board.FromHub })
	if len(v.Board.Agents) != 1 || v.Board.Agents[0].Agent != "8002" {
		t.Errorf("board = %+v", v.Board)
	}
	h.d.SetBoard(nil)
	h.waitView(t, "the local board again", func(v View) bool { return !v.Board.FromHub && len(v.Board.Agents) == 1 })

	raw, _ := scripts.DefaultPackFile("zh-Hans")
	p, err := scripts.Parse("pub.toml", []byte(strings.Replace(string(raw), `company = "XX"`, `company = "好家电"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.d.SetPack(p, PackInfo{Name: "pub.toml", Version: 4}); err != nil {
		t.Fatal(err)
	}
	v = h.waitView(t, "the new pack", func(v View) bool { return v.Pack.Version == 4 })
	h.d.Emit(ringing("c9", telephony.Caller{Number: "13700000000"}, at))
	v = h.waitView(t, "a pop", func(v View) bool { return v.Call != nil })
	if !strings.Contains(v.Opening, "好家电") || !strings.Contains(v.SilentLine, "好家电") {
		t.Errorf("opening %q / silent %q do not use the published pack", v.Opening, v.SilentLine)
	}
}

// Views reach subscribers in Seq order, each newer than the last.
func TestDesk_ViewsInOrder(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	var mu sync.Mutex
	var seqs []uint64
	h.d.SubscribeView(func(v View) { mu.Lock(); seqs = append(seqs, v.Seq); mu.Unlock() })
	for i := 0; i < 50; i++ {
		h.d.Emit(ringing("c", telephony.Caller{Number: "13800000000"}, at))
		h.d.Emit(telephony.Event{Kind: telephony.EventEnded, CallID: "c"})
	}
	h.waitView(t, "the last end", func(v View) bool { return v.Seq >= 100 })
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("view %d has seq %d after %d", i, seqs[i], seqs[i-1])
		}
	}
}

func TestDesk_PhoneErrorsAreTyped(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	h := newHarness(t, at, Options{})
	ph := &fakePhone{d: h.d, err: telephony.ErrCallState}
	h.d.SetPhone(ph)
	if err := h.d.Hold("x"); !errors.Is(err, ErrCallState) {
		t.Errorf("hold = %v, want ErrCallState", err)
	}
	ph.err = context.DeadlineExceeded
	if err := h.d.Hangup("x"); !errors.Is(err, ErrTimeout) {
		t.Errorf("hangup = %v, want ErrTimeout", err)
	}
	if err := h.d.Answer(""); !errors.Is(err, ErrNoCall) {
		t.Errorf("answer with nothing ringing = %v", err)
	}
}
