package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// fakeDesk records the commands the window gives; its CheckComplaint is a
// stand-in for the desk's rule so the wizard has something to show.
type fakeDesk struct {
	hubRecs  []desk.HubRecording
	caseView *desk.CaseView
	mu       sync.Mutex
	cmds     []string
	saved    []desk.ComplaintDraft
	fail     error
	checks   []desk.Check
	packs    []string // texts saved or published
	// history is what the hub holds of the packs, diffs the versions'
	// diffs; hubFail, when set, is every pack hub call's answer.
	history []desk.PackVersion
	diffs   map[int64]desk.PackDiff
	hubFail error
	// reviewFail, when set, is every review's and rollback's answer.
	reviewFail error
}

func (f *fakeDesk) rec(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, s)
	return f.fail
}

func (f *fakeDesk) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

func (f *fakeDesk) SubscribeView(func(desk.View)) func() { return func() {} }
func (f *fakeDesk) Answer(id string) error               { return f.rec("answer " + id) }
func (f *fakeDesk) Hangup(id string) error               { return f.rec("hangup " + id) }
func (f *fakeDesk) Hold(id string) error                 { return f.rec("hold " + id) }
func (f *fakeDesk) Resume(id string) error               { return f.rec("resume " + id) }
func (f *fakeDesk) Transfer(id, t string) error          { return f.rec("transfer " + id + " " + t) }
func (f *fakeDesk) SendDTMF(id, d string) error          { return f.rec("dtmf " + id + " " + d) }
func (f *fakeDesk) Mute(id string, on bool) error        { return f.rec(fmt.Sprintf("mute %s %v", id, on)) }
func (f *fakeDesk) SetLang(l string) error               { return f.rec("lang " + l) }
func (f *fakeDesk) DialCallback(_ context.Context, id string) (string, error) {
	return "", f.rec("dial " + id)
}
func (f *fakeDesk) SetAgentState(s agent.AgentStatus, r agent.BreakReason) error {
	return f.rec(strings.TrimSpace("state " + s.String() + " " + r.String()))
}
func (f *fakeDesk) CheckComplaint(d desk.ComplaintDraft) desk.ComplaintCheck {
	var c desk.ComplaintCheck
	if d.Statement == "" {
		c.Missing = append(c.Missing, agent.StepProblem{Step: agent.StepListen, Code: agent.ProblemNotDone})
	}
	if d.What == "" {
		c.Missing = append(c.Missing, agent.StepProblem{Step: agent.StepAsk, Code: agent.ProblemWhat})
	}
	if !d.ReadBack {
		c.Missing = append(c.Missing, agent.StepProblem{Step: agent.StepAsk, Code: agent.ProblemReadBack})
	}
	if !d.Solved {
		c.Due = time.Date(2026, 3, 2, 12, 0, 0, 0, zone)
	}
	c.CaseID = d.CaseID
	return c
}
func (f *fakeDesk) SaveComplaint(d desk.ComplaintDraft) (desk.ComplaintCheck, error) {
	f.mu.Lock()
	fail := f.fail
	if fail == nil {
		f.saved = append(f.saved, d)
	}
	f.mu.Unlock()
	if fail != nil {
		return desk.ComplaintCheck{}, fail
	}
	c := f.CheckComplaint(d)
	if c.CaseID == "" {
		c.CaseID = "case-1"
	}
	return c, nil
}
func (f *fakeDesk) Complaint(id string) (agent.Complaint, desk.ComplaintDraft, error) {
	return agent.Complaint{}, desk.ComplaintDraft{CaseID: id, Statement: "旧投诉"}, nil
}
func (f *fakeDesk) SearchCustomers(q string) ([]agent.Customer, error) {
	f.rec("search " + q)
	if q == "王" {
		return []agent.Customer{{Meta: agent.Meta{ID: "k1"}, Name: "王建国", Surname: "王", Title: agent.TitleMr,
			Phones: []string{"+8613800138000"}, Member: true}}, nil
	}
	return nil, nil
}
func (f *fakeDesk) SaveCustomer(e desk.CustomerEdit) (agent.Customer, error) {
	if e.Phone == "" {
		return agent.Customer{}, agent.ErrNoPhone
	}
	return agent.Customer{}, f.rec("save " + e.ID + " " + e.Name + " " + e.Phone + " " + string(e.Title))
}
func (f *fakeDesk) SelfCheck(context.Context) []desk.Check { f.rec("selfcheck"); return f.checks }
func (f *fakeDesk) PackText(lang string) (string, string, error) {
	f.rec("packtext " + lang)
	b, err := scripts.DefaultPackFile(lang)
	return "", string(b), err
}

// PreviewPack is the desk's own computation (pure, no desk state but the
// agent's name).
func (f *fakeDesk) PreviewPack(text string, r desk.PreviewRequest) desk.PackPreview {
	return desk.RenderPackPreview(text, r, "", "")
}
func (f *fakeDesk) SavePackFile(path, text string) error {
	f.mu.Lock()
	f.packs = append(f.packs, text)
	f.mu.Unlock()
	return f.rec("savepack " + path)
}

// PublishPack keeps text and, when the hub takes it, adds it to history
// as version 7, pending.
func (f *fakeDesk) PublishPack(_ context.Context, text string) (desk.PackVersion, error) {
	f.mu.Lock()
	f.packs = append(f.packs, text)
	f.mu.Unlock()
	if err := f.rec("publish"); err != nil {
		return desk.PackVersion{}, err
	}
	pv := desk.PackVersion{Version: 7, State: desk.PackPending, By: "lin", At: t0}
	if p, err := scripts.Parse("pack.toml", []byte(text)); err == nil {
		pv.Lang = p.Lang()
	}
	f.mu.Lock()
	f.history = append([]desk.PackVersion{pv}, f.history...)
	f.mu.Unlock()
	return pv, nil
}
func (f *fakeDesk) PackHistory(_ context.Context, lang string) ([]desk.PackVersion, error) {
	f.rec("history " + lang)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hubFail != nil {
		return nil, f.hubFail
	}
	var out []desk.PackVersion
	for _, v := range f.history {
		if v.Lang == lang {
			out = append(out, v)
		}
	}
	return out, nil
}
func (f *fakeDesk) PackDiff(_ context.Context, version int64) (desk.PackDiff, error) {
	f.rec(fmt.Sprint("diff ", version))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hubFail != nil {
		return desk.PackDiff{}, f.hubFail
	}
	return f.diffs[version], nil
}

// ReviewPack reviews a pending version of history as the hub would.
func (f *fakeDesk) ReviewPack(_ context.Context, version int64, approve bool, reason string) (desk.PackVersion, error) {
	f.rec(fmt.Sprintf("review %d %v %s", version, approve, reason))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hubFail != nil || f.reviewFail != nil {
		return desk.PackVersion{}, errors.Join(f.hubFail, f.reviewFail)
	}
	for i := range f.history {
		v := &f.history[i]
		if v.Version != version {
			continue
		}
		if v.State != desk.PackPending {
			return desk.PackVersion{}, &desk.HubError{Err: desk.ErrHubConflict, Detail: "already " + v.State}
		}
		v.State, v.ReviewedBy, v.ReviewedAt, v.Reason = desk.PackRejected, "zhao", t0, reason
		if approve {
			v.State = desk.PackApproved
			for j := range f.history {
				f.history[j].Live = f.history[j].Lang == v.Lang && j == i
			}
		}
		return *v, nil
	}
	return desk.PackVersion{}, &desk.HubError{Err: desk.ErrHubRefused, Detail: "not found"}
}

// RollbackPack adds a live copy of an approved version to history.
func (f *fakeDesk) RollbackPack(_ context.Context, version int64, reason string) (desk.PackVersion, error) {
	f.rec(fmt.Sprintf("rollback %d %s", version, reason))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hubFail != nil || f.reviewFail != nil {
		return desk.PackVersion{}, errors.Join(f.hubFail, f.reviewFail)
	}
	var top int64
	var lang string
	for _, v := range f.history {
		top = max(top, v.Version)
		if v.Version == version {
			lang = v.Lang
		}
	}
	for i := range f.history {
		f.history[i].Live = false
	}
	nv := desk.PackVersion{Version: top + 1, Lang: lang, State: desk.PackApproved, Live: true, By: "zhao", At: t0,
		ReviewedBy: "zhao", ReviewedAt: t0, Reason: reason, RollbackOf: version}
	f.history = append([]desk.PackVersion{nv}, f.history...)
	return nv, nil
}

// queue runs the window's background work when the test says so.
type queue struct {
	mu    sync.Mutex
	works []func()
}

func (q *queue) Go(w func()) { q.mu.Lock(); q.works = append(q.works, w); q.mu.Unlock() }

// drain runs every queued piece of work (and what it queues in turn).
func (q *queue) drain() {
	for {
		q.mu.Lock()
		ws := q.works
		q.works = nil
		q.mu.Unlock()
		if len(ws) == 0 {
			return
		}
		for _, w := range ws {
			w()
		}
	}
}

func (q *queue) pending() int { q.mu.Lock(); defer q.mu.Unlock(); return len(q.works) }

var (
	zone = time.FixedZone("CST", 8*3600)
	t0   = time.Date(2026, 3, 2, 9, 30, 0, 0, zone)
)

var member = agent.Customer{Meta: agent.Meta{ID: "cu1"}, Name: "王伟", Surname: "王", Title: agent.TitleMr,
	Phones: []string{"+8613800138000"}, Member: true}

func ringingView() desk.View {
	c := desk.Call{Pop: desk.Pop{CallID: "c1", Direction: telephony.Inbound, Number: "+8613800138000",
		Customer: &member, Customers: []agent.Customer{member}, Salutation: "王先生",
		Opening: "早上好！王先生，XX欢迎您的来电，请问有什么可以帮您？", RingStarted: t0},
		Status: desk.CallRinging, RingLimit: 10 * time.Second,
		Card: &desk.Card{OpenComplaints: 2, OverdueReplies: 1, CallbacksPending: 1,
			LastCalls: []agent.Call{{At: t0.Add(-24 * time.Hour), Type: agent.CallComplaint, Answered: true, WrappedAt: t0.Add(-23 * time.Hour)}}}}
	return desk.View{Seq: 10, At: t0.Add(3 * time.Second), Zone: zone, Lang: "zh-Hans",
		Line:  desk.Registration{Practice: true},
		Agent: agent.AgentState{Agent: "8001", Status: agent.StatusRinging, Since: t0},
		Call:  &c, Calls: []desk.Call{c}, Opening: c.Opening, SilentLine: "您好，XX客服中心，欢迎您的来电。",
		Phrases: []desk.Phrase{{Situation: "听不清", Say: "我没有听清楚，请您讲普通话好吗？", Never: []string{"喂，说话呀"}}},
		Today:   agent.AgentDay{Inbound: 4, Missed: 1, AnsweredWithinLimit: 3}}
}

func answeredView() desk.View {
	v := ringingView()
	v.Seq++
	v.Agent.Status = agent.StatusOnCall
	c := *v.Call
	c.Status, c.AnsweredAt = desk.CallOnCall, t0.Add(4*time.Second)
	v.Call, v.Calls, v.HangupReminder = &c, []desk.Call{c}, true
	return v
}

func newTestWindow(t *testing.T, opts Options) (*Window, *fakeDesk, fyne.Window, *queue) {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	d := &fakeDesk{}
	q := &queue{}
	opts.Go = q.Go
	if opts.Role == "" && opts.Config.Role == "" {
		opts.Role = agent.RoleSupervisor // every tab but the trainer's
	}
	return NewWindow(a, w, d, opts), d, w, q
}

// overlayButton finds a button with text in the top dialog.
func overlayButton(t *testing.T, w fyne.Window, text string) fyne.Tappable {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open, looking for %q", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		switch b := o.(type) {
		case *widget.Button:
			if b.Text == text {
				return b
			}
		case *keyButton:
			if b.Text == text {
				return b
			}
		}
	}
	t.Fatalf("no button %q in the dialog", text)
	return nil
}

func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var sb strings.Builder
	for _, o := range test.LaidOutObjects(top) {
		if l, ok := o.(*widget.Label); ok {
			sb.WriteString(l.Text + "\n")
		}
	}
	return sb.String()
}

func closeOverlays(w fyne.Window) {
	for o := w.Canvas().Overlays(); o.Top() != nil; {
		o.Remove(o.Top())
	}
}

func key(w fyne.Window, k fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }

func TestDeskView_RingShowsCallerCardTimerAndOpening(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{})
	s.Apply(ringingView())
	d := s.deskV
	checks := map[string]struct{ got, want string }{
		"name":       {d.callerName.Text, "王先生"},
		"badge":      {d.badge.Text, "★ 会员"},
		"complaints": {d.complaints.Text, "未结投诉 2  已逾期 1"},
		"callbacks":  {d.callbacksDue.Text, "待回访 1"},
		"last calls": {d.lastCalls.Text, "最近来电: 03-01 09:30 投诉"},
		"timer":      {d.ringTimer.Text, "振铃 3 秒 / 10 秒"},
		"pbx":        {d.pbx.Text, "话机: 练习话机"},
		"pack":       {d.pack.Text, "话术：内置"},
		"opening":    {d.opening.String(), "早上好！王先生，XX欢迎您的来电，请问有什么可以帮您？"},
		"stats":      {d.stats.Text, "呼入 4  呼出 0  未接 1  三声内接听 100%  投诉 0"},
	}
	for name, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", name, c.got, c.want)
		}
	}
	if d.answer.Disabled() || !d.hold.Disabled() || !d.keypad.Disabled() {
		t.Errorf("while ringing: answer enabled, hold and keypad disabled; got answer=%v hold=%v keypad=%v",
			!d.answer.Disabled(), !d.hold.Disabled(), !d.keypad.Disabled())
	}
	s.Tick(t0.Add(11 * time.Second))
	if d.ringTimer.Text != "已超过三声！请立即接听" || d.ringTimer.Importance != widget.DangerImportance {
		t.Errorf("past the ring limit: %q (importance %v)", d.ringTimer.Text, d.ringTimer.Importance)
	}
}

func TestDeskView_UnknownAndAnonymousCallers(t *testing.T) {
	nonMember := agent.Customer{Meta: agent.Meta{ID: "k"}, Name: "李娜", Surname: "李", Title: agent.TitleMs}
	tests := map[string]struct {
		pop         desk.Pop
		name, badge string
	}{
		"unknown":          {desk.Pop{CallID: "u", Number: "+8613900000000"}, "未知来电", ""},
		"display name":     {desk.Pop{CallID: "d", Number: "+8613900000000", DisplayName: "张三"}, "张三", ""},
		"anonymous":        {desk.Pop{CallID: "a", Anonymous: true, Number: "anonymous"}, "隐藏号码", ""},
		"known non-member": {desk.Pop{CallID: "k", Customer: &nonMember, Customers: []agent.Customer{nonMember}, Salutation: "李女士"}, "李女士", "非会员"},
		"shared number": {desk.Pop{CallID: "s", Customer: &member, Customers: []agent.Customer{member, nonMember}},
			"王伟", "★ 会员  2 位客户使用此号码，请确认是哪一位"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, _, _, _ := newTestWindow(t, Options{})
			c := desk.Call{Pop: tc.pop, Status: desk.CallRinging, RingLimit: 10 * time.Second}
			c.RingStarted = t0
			s.Apply(desk.View{Seq: 1, At: t0, Zone: zone, Call: &c})
			if got := s.deskV.callerName.Text; got != tc.name {
				t.Errorf("name = %q, want %q", got, tc.name)
			}
			if got := s.deskV.badge.Text; got != tc.badge {
				t.Errorf("badge = %q, want %q", got, tc.badge)
			}
		})
	}
}

// A command runs in the background: its button says it is in flight and
// cannot be pressed twice; the window keeps painting meanwhile.
func TestDeskView_CommandInFlight(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(ringingView())
	key(w, fyne.KeyF2)
	test.Tap(s.deskV.answer)
	key(w, fyne.KeyF2)
	if got := s.deskV.answer.Text; got != "接听 (F2) …" || !s.deskV.answer.Disabled() {
		t.Errorf("answer in flight shows %q (disabled %v)", got, s.deskV.answer.Disabled())
	}
	if q.pending() != 1 {
		t.Fatalf("%d commands queued for three presses, want 1", q.pending())
	}
	s.Tick(t0.Add(6 * time.Second))
	if s.deskV.ringTimer.Text != "振铃 6 秒 / 10 秒" {
		t.Errorf("timer while answering = %q", s.deskV.ringTimer.Text)
	}
	q.drain()
	s.Apply(answeredView())
	if got := d.commands(); len(got) != 1 || got[0] != "answer c1" {
		t.Errorf("commands = %v, want one answer", got)
	}
	if s.deskV.answer.Text != "接听 (F2)" || !s.deskV.answer.Disabled() {
		t.Errorf("after answering: %q disabled=%v", s.deskV.answer.Text, s.deskV.answer.Disabled())
	}
	if s.deskV.ringTimer.Text != "通话 0:00" {
		t.Errorf("talk timer = %q", s.deskV.ringTimer.Text)
	}
}

func TestWindow_OlderViewNeverPaintsOverNewer(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{})
	answered := answeredView()
	s.Apply(answered)
	older := ringingView()
	older.Seq = answered.Seq - 1
	s.Apply(older)
	if s.view.Call.Status != desk.CallOnCall || s.deskV.hold.Disabled() {
		t.Errorf("an older ringing view replaced the newer answered one")
	}
}

func TestDeskView_ComplaintFromRingToReport(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(answeredView())
	key(w, fyne.KeyF9)
	wz := s.deskV.wizard
	if s.deskV.right.Selected() != s.deskV.wizardTab || wz.title.Text != "1 听清楚" {
		t.Fatalf("F9 should open the wizard on 听清楚, at %q", wz.title.Text)
	}
	if w.Canvas().Focused() != wz.statement {
		t.Errorf("the caller's words field should have the focus")
	}
	test.Type(wz.statement, "罐里有东西")
	test.Tap(wz.next)
	if wz.title.Text != "2 问清楚" {
		t.Fatalf("second step = %q", wz.title.Text)
	}
	test.Type(wz.what, "奶粉罐有异物")
	test.Type(wz.when, "3月1日")
	test.Type(wz.where, "万达店")
	test.Type(wz.subject, "订单 8812")
	test.Type(wz.want, "退货")
	test.Tap(wz.next)
	wz.severity.SetSelectedIndex(2)
	test.Tap(wz.next)
	test.Tap(wz.next)
	test.Type(wz.process, "已登记，转门店核实")
	test.Tap(wz.next)
	if wz.title.Text != "报告" {
		t.Fatalf("last step = %q", wz.title.Text)
	}
	q.drain()
	if want := "罐里有东西\n奶粉罐有异物\n3月1日\n万达店\n订单 8812\n退货"; wz.readBackText.Text != want {
		t.Errorf("read-back = %q, want %q", wz.readBackText.Text, want)
	}
	if wz.missing.Text != "尚缺：\n• 2 问清楚（客户尚未确认复述）" {
		t.Errorf("before read-back, missing = %q", wz.missing.Text)
	}
	test.Tap(wz.readBack)
	q.drain()
	if wz.missing.Text != "各步骤已齐全" {
		t.Errorf("after read-back, missing = %q", wz.missing.Text)
	}
	test.Tap(wz.save)
	if wz.save.Text != "保存 …" || !wz.save.Disabled() {
		t.Errorf("save in flight shows %q", wz.save.Text)
	}
	q.drain()
	if len(d.saved) != 1 {
		t.Fatalf("saved %d complaints, want 1", len(d.saved))
	}
	want := desk.ComplaintDraft{CallID: "c1", Statement: "罐里有东西", What: "奶粉罐有异物", When: "3月1日", Where: "万达店",
		Subject: "订单 8812", Wants: "退货", ReadBack: true, Severity: agent.SeverityMajor, Process: "已登记，转门店核实"}
	if d.saved[0] != want {
		t.Errorf("saved %+v\nwant  %+v", d.saved[0], want)
	}
	if !strings.Contains(overlayText(w), "投诉已保存") {
		t.Errorf("no saved confirmation, dialog says %q", overlayText(w))
	}
	if wz.deadline.Text != "答复期限：2026-03-02 12:00" {
		t.Errorf("deadline = %q", wz.deadline.Text)
	}
	// Saving again edits the same case: the draft carries its ID now.
	closeOverlays(w)
	test.Type(wz.result, "已退货")
	test.Tap(wz.save)
	q.drain()
	if len(d.saved) != 2 || d.saved[1].CaseID != "case-1" {
		t.Errorf("second save = %+v, want it to name case-1", d.saved[len(d.saved)-1])
	}
}

func TestDeskView_SaveFailureSaysNothingSaved(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	d.fail = &agent.IncompleteError{Problems: []agent.StepProblem{{Step: agent.StepAsk, Code: agent.ProblemWhen}}}
	s.Apply(answeredView())
	key(w, fyne.KeyF9)
	test.Tap(s.deskV.wizard.save)
	q.drain()
	got := overlayText(w)
	for _, want := range []string{"保存失败，未保存任何内容", "• 2 问清楚（何时）"} {
		if !strings.Contains(got, want) {
			t.Errorf("dialog = %q, want it to say %q", got, want)
		}
	}
}

func TestDeskView_ControlsAndShortcuts(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(answeredView())
	key(w, fyne.KeyF4)
	q.drain()
	v := answeredView()
	v.Seq++
	v.Call.Status = desk.CallHeld
	s.Apply(v)
	if s.deskV.hold.Text != "恢复 (F4)" {
		t.Errorf("hold button while held = %q", s.deskV.hold.Text)
	}
	key(w, fyne.KeyF4)
	q.drain()
	v = answeredView()
	v.Seq += 2
	s.Apply(v)
	key(w, fyne.KeyF7)
	q.drain()

	key(w, fyne.KeyF8)
	test.Tap(overlayButton(t, w, "5"))
	q.drain()
	test.Tap(overlayButton(t, w, "关闭"))

	key(w, fyne.KeyF6)
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if e, ok := o.(*field); ok {
			test.Type(e, "8002")
		}
	}
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()

	key(w, fyne.KeyF5)
	if s.deskV.opening.String() != "您好，XX客服中心，欢迎您的来电。" {
		t.Errorf("F5 shows %q, want the silent-call line", s.deskV.opening.String())
	}
	key(w, fyne.KeyF5)

	// Hanging up on a caller still on the line asks first.
	key(w, fyne.KeyF3)
	if !strings.Contains(overlayText(w), "客户还在线上") {
		t.Fatalf("no hang-up confirmation: %q", overlayText(w))
	}
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	// Dialogs are driven by the keyboard too: Return confirms, Escape cancels.
	key(w, fyne.KeyF3)
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if w.Canvas().Overlays().Top() != nil {
		t.Errorf("Escape left the hang-up question open")
	}
	want := []string{"hold c1", "resume c1", "mute c1 true", "dtmf c1 5", "transfer c1 8002", "hangup c1"}
	if got := d.commands(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("commands = %v\nwant       %v", got, want)
	}
}

// The call controls' keys keep working while the agent types in a field.
func TestDeskView_FunctionKeysWorkWhileTyping(t *testing.T) {
	s, _, w, _ := newTestWindow(t, Options{})
	s.Apply(answeredView())
	key(w, fyne.KeyF9)
	wz := s.deskV.wizard
	w.Canvas().Focus(wz.statement)
	test.Type(wz.statement, "冰箱")
	wz.statement.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF3})
	if !strings.Contains(overlayText(w), "客户还在线上") {
		t.Errorf("F3 in a focused field did not reach the hang-up control")
	}
	if wz.statement.Text != "冰箱" {
		t.Errorf("the field took the key: %q", wz.statement.Text)
	}
	closeOverlays(w)
	// A tapped check box or drop-down takes the focus; the keys still work.
	wz.show(len(wizardSteps) - 1)
	test.Tap(wz.readBack)
	if w.Canvas().Focused() != wz.readBack {
		t.Fatalf("a tapped check box should have the focus")
	}
	wz.readBack.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF3})
	if !strings.Contains(overlayText(w), "客户还在线上") {
		t.Errorf("F3 on a focused check box did not reach the hang-up control")
	}
	closeOverlays(w)
	s.deskV.agentState.TypedKey(&fyne.KeyEvent{Name: fyne.KeyF3})
	if !strings.Contains(overlayText(w), "客户还在线上") {
		t.Errorf("F3 on the focused state drop-down did not reach the hang-up control")
	}
}

func TestDeskView_HangupReminderAndCallbacksInQuietHours(t *testing.T) {
	s, d, _, q := newTestWindow(t, Options{})
	v := answeredView()
	v.Callbacks = []desk.CallbackRow{{Callback: agent.Callback{Meta: agent.Meta{ID: "cb1"}, Due: t0.Add(48 * time.Hour)},
		Customer: "王伟", Number: "+8613800138000"}}
	v.QuietUntil = time.Date(2026, 3, 2, 14, 0, 0, 0, zone)
	s.Apply(v)
	if s.deskV.reminder.Text != "请让客户先挂机" {
		t.Errorf("reminder = %q", s.deskV.reminder.Text)
	}
	if s.deskV.quiet.Text != "休息时段，暂不拨打（→ 14:00）" {
		t.Errorf("quiet = %q", s.deskV.quiet.Text)
	}
	v = ringingView()
	v.Seq = 20
	v.Call, v.Calls = nil, nil
	v.Callbacks = []desk.CallbackRow{{Callback: agent.Callback{Meta: agent.Meta{ID: "cb1"}, Due: t0.Add(-time.Hour)},
		Customer: "王伟", Number: "+8613800138000", Overdue: true, Dialable: true}}
	s.Apply(v)
	row := s.deskV.callbacks.Objects[0].(*fyne.Container)
	var dial *widget.Button
	for _, o := range row.Objects {
		if b, ok := o.(*widget.Button); ok {
			dial = b
		}
	}
	test.Tap(dial)
	q.drain()
	if got := d.commands(); len(got) != 1 || got[0] != "dial cb1" {
		t.Errorf("commands = %v", got)
	}
}

func TestDeskView_BreakReason(t *testing.T) {
	s, d, _, q := newTestWindow(t, Options{})
	s.Apply(desk.View{Seq: 1, At: t0, Agent: agent.AgentState{Status: agent.StatusAvailable}})
	s.deskV.agentState.SetSelectedIndex(1)
	s.deskV.breakReason.SetSelectedIndex(1)
	q.drain()
	if got := d.commands(); len(got) != 1 || got[0] != "state break meal" {
		t.Errorf("commands = %v", got)
	}
	s.Apply(desk.View{Seq: 2, At: t0, Agent: agent.AgentState{Status: agent.StatusBreak, Reason: agent.ReasonMeal}})
	if s.deskV.agent.Text != "状态: 小休（用餐）" {
		t.Errorf("status = %q", s.deskV.agent.Text)
	}
}

func TestWindow_LanguageSwitchRebuildsFromState(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(ringingView())
	s.SetLang("en")
	q.drain()
	if w.Title() != "Agent desk" {
		t.Errorf("title = %q", w.Title())
	}
	if s.deskV.answer.Text != "Answer (F2)" || s.deskV.callerName.Text != "王先生" {
		t.Errorf("after switch: answer %q, caller %q", s.deskV.answer.Text, s.deskV.callerName.Text)
	}
	s.SetLang("zh-Hant")
	q.drain()
	if s.deskV.answer.Text != "接聽 (F2)" {
		t.Errorf("zh-Hant answer = %q", s.deskV.answer.Text)
	}
	if got := d.commands(); strings.Join(got, ",") != "lang en,lang zh-Hant" {
		t.Errorf("commands = %v", got)
	}
}

func TestWindow_NotifiesRingWhileHidden(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{})
	s.foreground = false
	s.Apply(ringingView())
	// The test app records notifications; the point is that Apply takes the
	// path without a window in front (no panic, no blocking).
	s.foreground = true
}

func TestSettingsView_SaveAndSelfCheck(t *testing.T) {
	var saved desk.Config
	s, d, w, q := newTestWindow(t, Options{Config: desk.Config{AgentName: "李娜", PBX: desk.PBXConfig{URI: "sip:pbx:5060"}},
		SaveConfig: func(c desk.Config) error { saved = c; return nil }})
	d.checks = []desk.Check{{Name: desk.CheckPBX, OK: true, Detail: "sip:pbx:5060"}, {Name: desk.CheckHub, Skipped: true},
		{Name: desk.CheckData, Detail: "disk full"}}
	s.ShowTab(TabSettings)
	v := s.settings
	v.fields["agent_number"].SetText("8001")
	test.Tap(v.save)
	q.drain()
	if saved.AgentNumber != "8001" || saved.AgentName != "李娜" || saved.PBX.URI != "sip:pbx:5060" {
		t.Errorf("saved %+v", saved)
	}
	if !strings.Contains(overlayText(w), "设置已保存") {
		t.Errorf("dialog = %q", overlayText(w))
	}
	test.Tap(v.run)
	if !v.run.Disabled() {
		t.Errorf("self-check button should be disabled while it runs")
	}
	q.drain()
	var lines []string
	for _, o := range v.checks.Objects {
		lines = append(lines, o.(*widget.Label).Text)
	}
	want := []string{"话机可达并已注册：正常  sip:pbx:5060", "中心可达：未配置  ", "数据文件可写：异常  disk full"}
	if strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("checks = %q\nwant     %q", lines, want)
	}
}

func TestSupervisorView_Boards(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{})
	s.ShowTab(TabSupervisor)
	v := ringingView()
	v.Board = desk.Board{At: t0, Agents: []desk.BoardAgent{{Agent: "8001", Status: "ringing", Since: t0.Add(-65 * time.Second)}},
		Calls: []desk.BoardCall{{Who: "王先生", Number: "+8613800138000", Status: desk.CallRinging}}}
	v.At = t0
	s.Apply(v)
	sv := s.supervisor
	if sv.source.Text != "数据来源：本机（未连接中心）" || sv.agents.Text != "8001 — 振铃 · 1:05" || sv.calls.Text != "王先生 — 振铃" {
		t.Errorf("local board: %q / %q / %q", sv.source.Text, sv.agents.Text, sv.calls.Text)
	}
	v.Seq++
	v.Board = desk.Board{FromHub: true, At: t0,
		Agents:  []desk.BoardAgent{{Agent: "8002", Status: "on_call"}, {Agent: "8003", Status: "offline"}},
		Queues:  []desk.BoardQueue{{Queue: "400-1", Ringing: 2, Talking: 1}},
		Alerts:  []desk.BoardAlert{{At: t0, Owner: "8002", Summary: "奶粉罐有异物"}},
		Overdue: []desk.BoardOverdue{{ID: "8f3a-1", Owner: "8003", Due: t0.Add(-time.Hour)}},
		Today:   []desk.BoardStats{{Agent: "8002", Inbound: 5, Answered: 4, Missed: 1}}}
	s.Apply(v)
	checks := map[string]struct{ got, want string }{
		"source":  {sv.source.Text, "数据来源：中心"},
		"agents":  {sv.agents.Text, "8002 — 通话中\n8003 — 离线"},
		"queues":  {sv.queues.Text, "400-1：振铃 2 · 通话 1"},
		"major":   {sv.major.Text, "09:30 8002 奶粉罐有异物"},
		"overdue": {sv.overdue.Text, "03-02 08:30 8003 8f3a"},
		"stats":   {sv.stats.Text, "8002  呼入 5  呼出 0  接听 4  未接 1"},
	}
	for name, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", name, c.got, c.want)
		}
	}
}

func TestCustomersView_SearchAndEdit(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(ringingView())
	cv := s.deskV.customers
	cv.query.SetText("王")
	test.Tap(cv.search)
	q.drain()
	if len(cv.results.Objects) != 1 || cv.results.Objects[0].(*widget.Button).Text != "王建国  +8613800138000  ★" {
		t.Fatalf("results = %v", cv.results.Objects)
	}
	test.Tap(cv.results.Objects[0].(*widget.Button))
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	// Saved, then the list is searched again to show the change.
	if got := d.commands(); strings.Join(got, ",") != "search 王,save k1 王建国 +8613800138000 先生,search 王" {
		t.Errorf("commands = %v", got)
	}
}

func TestErrText(t *testing.T) {
	quiet := agent.DefaultQuietHours(zone).CanDial(time.Date(2026, 3, 2, 12, 30, 0, 0, zone))
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"quiet hours", fmt.Errorf("dial: %w", quiet), "现在是客户休息时间（12:00–14:00），14:00 以后才能拨打"},
		{"no call", fmt.Errorf("answer: %w", desk.ErrNoCall), "当前没有通话"},
		{"timeout", fmt.Errorf("answer: %w: %w", desk.ErrTimeout, context.DeadlineExceeded), "话务系统没有及时响应，请重试"},
		{"hub token", &desk.HubError{Err: desk.ErrHubToken, Detail: "unknown token"}, "中心不认识这个令牌，未发布\nunknown token"},
		{"bad phone", fmt.Errorf("save: %w", agent.ErrBadPhone), "客户资料不完整或电话号码无效，未保存"},
		{"anything else", errors.New("boom"), "操作失败，请重试"},
	}
	for _, tt := range tests {
		if got := errText("zh-Hans", tt.err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
func TestTheme_FontAndVariants(t *testing.T) {
	th := &Theme{Variant: VariantDark}
	if th.Font(fyne.TextStyle{}) != fontResource || th.Font(fyne.TextStyle{Bold: true}) != fontResource {
		t.Error("regular and bold must use the bundled CJK font")
	}
	light := (&Theme{Variant: VariantLight}).Color(theme.ColorNameBackground, theme.VariantDark)
	dark := th.Color(theme.ColorNameBackground, theme.VariantLight)
	if light == dark {
		t.Error("forced light and dark backgrounds are the same colour")
	}
	for _, v := range []Variant{VariantSystem, VariantLight, VariantDark} {
		if ParseVariant(v.String()) != v {
			t.Errorf("variant %v does not round-trip", v)
		}
	}
}

// The main views render as their golden markup (testdata/*.xml): a change
// to what a view shows fails here until the golden is looked at and
// renewed (delete the file and run the test: Fyne writes the new one to
// testdata/failed/, to be checked and moved).
func TestGolden_MainViews(t *testing.T) {
	tests := map[string]struct {
		tab  int
		view func() desk.View
		do   func(s *Window, w fyne.Window)
	}{
		"desk_ringing":   {TabDesk, ringingView, nil},
		"desk_on_call":   {TabDesk, answeredView, func(s *Window, w fyne.Window) { key(w, fyne.KeyF9) }},
		"supervisor_hub": {TabSupervisor, hubBoardView, nil},
		"settings":       {TabSettings, ringingView, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, _, w, q := newTestWindow(t, Options{Config: desk.Config{AgentName: "李娜", AgentNumber: "8001", TimeZone: "Asia/Shanghai"}})
			w.Resize(fyne.NewSize(1280, 720))
			s.Apply(tt.view())
			s.ShowTab(tt.tab)
			if tt.do != nil {
				tt.do(s, w)
			}
			q.drain()
			test.AssertRendersToMarkup(t, name+".xml", w.Canvas())
		})
	}
}

func hubBoardView() desk.View {
	v := ringingView()
	v.Board = desk.Board{FromHub: true, At: t0,
		Agents:   []desk.BoardAgent{{Agent: "8002", Status: "on_call", Since: t0.Add(-90 * time.Second)}, {Agent: "8003", Status: "break"}},
		Queues:   []desk.BoardQueue{{Queue: "400-800-1234", Ringing: 2, Talking: 5}},
		Alerts:   []desk.BoardAlert{{At: t0, Owner: "8002", Summary: "奶粉罐有异物"}},
		Overdue:  []desk.BoardOverdue{{ID: "8f3a1c2d-0000", Owner: "8003", Due: t0.Add(-time.Hour)}},
		Today:    []desk.BoardStats{{Agent: "8002", Inbound: 12, Outbound: 3, Answered: 11, Missed: 1}},
		Unsynced: []desk.BoardDesk{{Desk: "d-2", Agent: "8003", Pending: 4, Oldest: t0.Add(-10 * time.Minute)}}}
	return v
}

func (f *fakeDesk) Monitor(_ context.Context, who string, mode desk.MonitorMode) (desk.Supervision, error) {
	f.rec("monitor " + who + " " + mode.String())
	return desk.Supervision{}, f.fail
}
func (f *fakeDesk) SwitchMonitor(_ context.Context, mode desk.MonitorMode) error {
	f.rec("monitor mode " + mode.String())
	return f.fail
}
func (f *fakeDesk) EndMonitor(context.Context) error { f.rec("monitor end"); return f.fail }
func (f *fakeDesk) DismissMonitor()                  { f.rec("monitor dismiss") }
func (f *fakeDesk) AddCoaching(_ context.Context, text string) (agent.CoachingNote, error) {
	f.rec("coaching " + text)
	return agent.CoachingNote{}, f.fail
}
func (f *fakeDesk) SeenCoaching(id string) error { f.rec("coaching seen " + id); return f.fail }
func (f *fakeDesk) HubRecordings(_ context.Context, who string, from, to time.Time) ([]desk.HubRecording, error) {
	f.rec("hub recordings " + who)
	return f.hubRecs, f.fail
}
func (f *fakeDesk) PlayHubRecording(_ context.Context, id string) error {
	f.rec("play hub recording " + id)
	return f.fail
}
