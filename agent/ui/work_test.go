package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// afterCallView is the desk right after a call with a pending wrap-up.
func afterCallView() desk.View {
	v := ringingView()
	v.Seq = 30
	v.Call, v.Calls = nil, nil
	v.Agent = agent.AgentState{Agent: "8001", Status: agent.StatusWrapUp, Since: t0}
	v.At = t0.Add(30 * time.Second)
	v.WrapUp = &desk.PendingWrap{RecordID: "rec-1", CallID: "c1", Number: "+862161234567", Customer: "王伟",
		Area: "上海市", CaseID: "case-1", Type: agent.CallComplaint, Ended: t0}
	v.ACW = &desk.ACW{Since: t0, Limit: 2 * time.Minute}
	return v
}

func TestWrapUp_AfterTheCall(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	s.Apply(afterCallView())
	dv := s.deskV
	if dv.right.Selected() != dv.wrapTab {
		t.Fatalf("the wrap-up tab should open after the call")
	}
	wu := dv.wrapUp
	if wu.kind.SelectedIndex() != 1 || wu.area.Text != "上海市" || !strings.Contains(wu.caseLabel.Text, "case") {
		t.Errorf("form: type %d, area %q, case %q", wu.kind.SelectedIndex(), wu.area.Text, wu.caseLabel.Text)
	}
	if f := w.Canvas().Focused(); f != wu.kind {
		t.Errorf("the form opened by itself should have the keyboard on its type, focus is on %T", f)
	}
	if !wu.caseLabel.Visible() || !wu.caseName.Visible() {
		t.Errorf("a complaint call's wrap-up shows its case")
	}
	if !strings.Contains(dv.agent.Text, "话后整理 0:30 / 2:00") {
		t.Errorf("status = %q", dv.agent.Text)
	}
	s.Tick(t0.Add(3 * time.Minute))
	if dv.agent.Importance != widget.DangerImportance {
		t.Errorf("over the wrap-up limit the status should be red: %q", dv.agent.Text)
	}
	// Without a result the desk refuses and says what is missing.
	test.Tap(wu.save)
	q.drain()
	if got := overlayText(w); !strings.Contains(got, "处理结果") {
		t.Errorf("refusal = %q", got)
	}
	closeOverlays(w)
	test.Type(wu.department, "物流部")
	test.Type(wu.result, "已受理")
	test.Tap(wu.save)
	q.drain()
	if got := d.commands(); got[len(got)-1] != "wrap rec-1 complaint 上海市 物流部 已受理" {
		t.Errorf("commands = %v", got)
	}
	if wu.recordID != "" || !wu.save.Disabled() {
		t.Errorf("after saving the form should be empty")
	}
	// A newer view with the same pending call does not wipe what was typed.
	v := afterCallView()
	v.Seq = 31
	v.WrapUp.RecordID = "rec-2"
	s.Apply(v)
	test.Type(wu.result, "x")
	v.Seq = 32
	s.Apply(v)
	if wu.result.Text != "x" {
		t.Errorf("a new view cleared the form: %q", wu.result.Text)
	}
}

func TestLog_WrapLaterAndLogACall(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	v := ringingView()
	v.Log = []agent.Call{{Meta: agent.Meta{ID: "rec-7"}, At: t0, Number: "+8613800138000", Answered: true, Area: "北京市"}}
	s.Apply(v)
	var wrap *widget.Button
	for _, o := range test.LaidOutObjects(s.deskV.log.Objects[0]) {
		if b, ok := o.(*widget.Button); ok && b.Text == "整理" {
			wrap = b
		}
	}
	if wrap == nil {
		t.Fatal("an unwrapped call has no wrap button")
	}
	if got := logRowText(s.deskV.log.Objects[0]); !strings.Contains(got, "未整理") || strings.Contains(got, "咨询") {
		t.Errorf("a call not wrapped up reads %q, want 未整理 (its zero type is not a consultation)", got)
	}
	test.Tap(wrap)
	if s.deskV.wrapUp.recordID != "rec-7" || s.deskV.wrapUp.area.Text != "北京市" {
		t.Errorf("wrap form for the log row: %q %q", s.deskV.wrapUp.recordID, s.deskV.wrapUp.area.Text)
	}
	if s.deskV.wrapUp.caseLabel.Visible() {
		t.Errorf("a call with no case shows a case row")
	}
	v.Seq++
	v.Log[0].Type, v.Log[0].WrappedAt = agent.CallOther, t0
	s.Apply(v)
	if got := logRowText(s.deskV.log.Objects[0]); !strings.Contains(got, "其他服务") {
		t.Errorf("a call wrapped up as other service reads %q", got)
	}
	s.logCallForm()
	var fields []*field
	var kind *selectBox
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		switch x := o.(type) {
		case *field:
			fields = append(fields, x)
		case *selectBox:
			kind = x
		}
	}
	fields[0].SetText("2026-03-01 23:10")
	fields[1].SetText("02161234567")
	kind.SetSelectedIndex(0)
	fields[3].SetText("次日回电")
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	if got := d.commands(); got[len(got)-1] != "logcall 03-01 23:10 02161234567 consultation 次日回电" {
		t.Errorf("commands = %v", got)
	}
}

func TestCasePanel_ActionsByStateAndRole(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	v := ringingView()
	v.Role = agent.RoleSupervisor
	v.Cases = []desk.CaseRow{{ID: "case-1", Customer: "王伟", What: "冰箱未送达", State: agent.StateAwaitingReply,
		ReplyDue: t0.Add(-time.Hour), Overdue: true, WaitingForMe: true}}
	s.Apply(v)
	row := s.deskV.cases.Objects[0].(*fyne.Container)
	var label *widget.Label
	var open *widget.Button
	for _, o := range row.Objects {
		switch x := o.(type) {
		case *widget.Label:
			label = x
		case *widget.Button:
			open = x
		}
	}
	if !strings.HasPrefix(label.Text, "待我处理") || label.Importance != widget.DangerImportance {
		t.Errorf("case row = %q (%v)", label.Text, label.Importance)
	}
	c := agent.Complaint{Meta: agent.Meta{ID: "case-1"}, State: agent.StateAwaitingReply, OpenedAt: t0, CallbackID: "cb-42abcdef",
		Heard: &agent.ListenStep{Statement: "冰箱没送到"}, Followed: &agent.FollowStep{Severity: agent.SeveritySimple, ReplyDue: t0.Add(time.Hour),
			DueChanges: []agent.DueChange{{To: t0.Add(time.Hour), Reason: "客户下午才方便接电话", At: t0}}}}
	d.caseView = &desk.CaseView{Case: c, Customer: member, Stages: agent.DefaultSLAPolicy().Stages,
		Missing: []agent.StepProblem{{Step: agent.StepReply, Code: agent.ProblemNotDone}}}
	test.Tap(open)
	q.drain()
	text := overlayText(w)
	for _, want := range []string{"冰箱没送到", "待答复", "尚缺：", "4 复清楚", "3 跟清楚：约定 03-02 10:30 前答复（客户下午才方便接电话）",
		"来源：回访不满意（回访 cb）"} {
		if !strings.Contains(text, want) {
			t.Errorf("case panel lacks %q:\n%s", want, text)
		}
	}
	// A supervisor may raise a warning; the agent's own buttons are there.
	test.Tap(overlayButton(t, w, "发起预警"))
	q.drain()
	closeOverlays(w)
	test.Tap(open)
	q.drain()
	test.Tap(overlayButton(t, w, "跟进记录"))
	for _, o := range test.LaidOutObjects(w.Canvas().Overlays().Top()) {
		if f, ok := o.(*field); ok {
			f.SetText("已联系物流")
		}
	}
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	got := strings.Join(d.commands(), ",")
	for _, want := range []string{"warn case-1", "follow case-1 已联系物流"} {
		if !strings.Contains(got, want) {
			t.Errorf("commands %v lack %q", got, want)
		}
	}
	// An agent sees no warning button, and a closed case offers reopening.
	v.Seq++
	v.Role = agent.RoleAgent
	s.Apply(v)
	closeOverlays(w)
	c.State = agent.StateClosed
	d.caseView = &desk.CaseView{Case: c}
	s.openCase("case-1")
	q.drain()
	if hasOverlayButton(w, "发起预警") || !hasOverlayButton(w, "重新打开") || hasOverlayButton(w, "转交") ||
		hasOverlayButton(w, "在登记向导中继续") || hasOverlayButton(w, "跟进记录") {
		t.Errorf("buttons for an agent on a closed case are wrong")
	}
}

// logRowText is the text of a row of the call log.
func logRowText(row fyne.CanvasObject) string {
	for _, o := range test.LaidOutObjects(row) {
		if l, ok := o.(*widget.Label); ok {
			return l.Text
		}
	}
	return ""
}

func hasOverlayButton(w fyne.Window, text string) bool {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return false
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return true
		}
	}
	return false
}

func TestCallbackPanel_ScriptAndOutcome(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{})
	v := ringingView()
	v.Call, v.Calls = nil, nil
	v.Callback = &desk.ActiveCallback{Task: agent.Callback{Meta: agent.Meta{ID: "cb1"}}, Customer: member, CallID: "out-1"}
	v.CallbackScript = []desk.CallbackLine{{When: "开始", Say: "您好，我是XX的客服代表，请问您是王先生吗？"}, {When: "满意时", Say: "您对我们的服务有什么建议吗？"}}
	s.Apply(v)
	p := s.deskV.cbPanel
	if !p.box.Visible() || len(p.script.Objects) != 2 || !strings.Contains(p.title.Text, "王伟") {
		t.Fatalf("callback panel: visible %v, %d script lines, title %q", p.box.Visible(), len(p.script.Objects), p.title.Text)
	}
	if got := p.script.Objects[0].(*widget.RichText).String(); got != "开始　您好，我是XX的客服代表，请问您是王先生吗？" {
		t.Errorf("first script line = %q", got)
	}
	// The record takes the list's place while the callback is made, and
	// shows the rows of the answer to "reached?" only.
	if p.list.Visible() || p.satisfied.Visible() || p.nextTry.Visible() {
		t.Errorf("before 接通情况: list %v, satisfied %v, next try %v", p.list.Visible(), p.satisfied.Visible(), p.nextTry.Visible())
	}
	p.reached.SetSelectedIndex(1)
	if p.satisfied.Visible() || !p.nextTry.Visible() {
		t.Errorf("not reached: satisfied %v, next try %v", p.satisfied.Visible(), p.nextTry.Visible())
	}
	p.reached.SetSelectedIndex(0)
	p.satisfied.SetSelectedIndex(1)
	test.Tap(p.save)
	q.drain()
	if got := overlayText(w); !strings.Contains(got, "客户建议") {
		t.Errorf("incomplete record = %q", got)
	}
	closeOverlays(w)
	p.suggestions.SetText("师傅迟到")
	p.noNext.SetChecked(true)
	test.Tap(p.save)
	q.drain()
	if got := d.commands(); !strings.Contains(strings.Join(got, ","), "callback cb1 reached=true 师傅迟到") {
		t.Errorf("commands = %v", got)
	}
	if !strings.Contains(overlayText(w), "已建立投诉单") && !hasOverlayButton(w, "跟进记录") {
		t.Errorf("an unsatisfied customer's case was not shown")
	}
	v.Seq++
	v.Callback = nil
	s.Apply(v)
	if p.box.Visible() || !p.list.Visible() {
		t.Errorf("the panel stays after the task is done (list shown: %v)", p.list.Visible())
	}
}

func TestSupervisor_WarningsEscalationsAndReport(t *testing.T) {
	s, d, _, q := newTestWindow(t, Options{})
	s.ShowTab(TabSupervisor)
	v := hubBoardView()
	v.Board.Agents[0].OverLimit = true
	v.Board.Alerts = append(v.Board.Alerts, desk.BoardAlert{Kind: agent.AlertEscalation, At: t0, Owner: "8001", To: "team_lead", Summary: "客户情绪激动"})
	st := agent.DefaultSLAPolicy().Status(agent.Warning{RaisedAt: t0.Add(-2 * time.Hour)}, t0)
	v.Board.Warnings = []desk.BoardWarning{{ID: "abcd1234-x", Owner: "8001", Status: st}}
	v.Board.Today[0].ByType = map[string]int{"complaint": 2, "consultation": 9}
	s.Apply(v)
	sv := s.supervisor
	checks := map[string]string{
		"agents":   "（话后整理超时）",
		"major":    "8001 转交 组长：",
		"warnings": "abcd1234 8001 — 主管提取预警（主管）",
		"stats":    "咨询 9  投诉 2",
	}
	for name, want := range checks {
		got := map[string]string{"agents": sv.agents.Text, "major": sv.major.Text, "warnings": sv.warnings.Text, "stats": sv.stats.Text}[name]
		if !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", name, got, want)
		}
	}
	if !strings.Contains(sv.warnings.Text, "（已超时）") {
		t.Errorf("a pick-up 2 h late should show late: %q", sv.warnings.Text)
	}
	test.Tap(sv.refresh)
	q.drain()
	if !strings.Contains(sv.report.Text, "满意 86% · 记录完整 80% · 三天内完成 70%") || !strings.Contains(strings.Join(d.commands(), ","), "report") {
		t.Errorf("report = %q", sv.report.Text)
	}
}

func TestSettings_CenterRules(t *testing.T) {
	var saved desk.Config
	s, d, w, q := newTestWindow(t, Options{Config: desk.Config{TimeZone: "Asia/Shanghai"},
		SaveConfig: func(c desk.Config) error { saved = c; return nil }})
	s.ShowTab(TabSettings)
	v := s.settings
	if v.fields["quiet"].Text != "12:00-14:00, 21:00-09:00" || v.fields["ring_limit"].Text != "10" || !strings.Contains(v.fields["stages"].Text, "pick_up supervisor 60") {
		t.Fatalf("defaults shown: %q %q %q", v.fields["quiet"].Text, v.fields["ring_limit"].Text, v.fields["stages"].Text)
	}
	v.fields["quiet"].SetText("noon")
	test.Tap(v.save)
	q.drain()
	if got := overlayText(w); !strings.Contains(got, "quiet_hours[0]") || saved.Data != "" {
		t.Errorf("a bad setting: dialog %q, saved %+v", got, saved)
	}
	closeOverlays(w)
	v.fields["quiet"].SetText("12:30-13:30")
	v.fields["acw"].SetText("90")
	test.Tap(v.save)
	q.drain()
	if len(saved.CenterSettings.QuietHours) != 1 || saved.CenterSettings.AfterCallWorkSeconds != 90 {
		t.Errorf("saved center = %+v", saved.CenterSettings)
	}
	if got := d.commands(); got[len(got)-1] != "center ring=10s acw=1m30s" {
		t.Errorf("commands = %v", got)
	}
}

func TestWizard_PromptsFromThePack(t *testing.T) {
	s, _, w, _ := newTestWindow(t, Options{})
	s.Apply(answeredView())
	key(w, fyne.KeyF9)
	wz := s.deskV.wizard
	if wz.hint.Text != "提示 listen\n可以说：在2小时之内答复" {
		t.Errorf("listen hint = %q", wz.hint.Text)
	}
	wz.show(2)
	wz.severity.SetSelectedIndex(1)
	wz.show(2)
	if !strings.Contains(wz.hint.Text, "在24小时之内答复") {
		t.Errorf("a complex complaint's promise = %q", wz.hint.Text)
	}
}

// Each role sees what it may use: an agent the desk, a team lead the board
// too, a supervisor also the trainer's tab (pack review), a trainer only
// the trainer's tab; the desk's function keys do nothing where the desk is
// not shown.
func TestWindow_TabsByRole(t *testing.T) {
	for _, c := range []struct {
		role agent.Role
		want []string
	}{
		{agent.RoleAgent, []string{"接听 (Alt+1)", "设置 (Alt+2)"}},
		{agent.RoleTeamLead, []string{"接听 (Alt+1)", "班长 (Alt+2)", "设置 (Alt+3)"}},
		{agent.RoleSupervisor, []string{"接听 (Alt+1)", "班长 (Alt+2)", "培训 (Alt+3)", "设置 (Alt+4)"}},
		{agent.RoleTrainer, []string{"培训 (Alt+1)", "设置 (Alt+2)"}},
	} {
		s, d, w, q := newTestWindow(t, Options{Role: c.role})
		var got []string
		for _, it := range s.tabs.Items {
			got = append(got, it.Text)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%s sees %v, want %v", c.role, got, c.want)
		}
		s.Apply(ringingView())
		w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF2})
		q.drain()
		answered := slices.ContainsFunc(d.commands(), func(c string) bool { return strings.HasPrefix(c, "answer") })
		if answered != TabsFor(c.role)[TabDesk] {
			t.Errorf("%s: F2 answered = %v", c.role, answered)
		}
	}
}

// The caller card grows with the caller's open cases; what is below it
// moves down instead of being drawn over.
func TestCallerCard_CasesPushTheTimerDown(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{})
	s.Apply(ringingView())
	dv := s.deskV
	abs := func(o fyne.CanvasObject) float32 {
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(o).Y
	}
	before := abs(dv.ringTimer)
	v := ringingView()
	v.Seq++
	card := *v.Call.Card
	card.Cases = []desk.CaseRow{{ID: "case-1", Customer: "王伟", What: "冰箱未送达", State: agent.StateAwaitingReply, ReplyDue: t0.Add(time.Hour)}}
	c := *v.Call
	c.Card = &card
	v.Call, v.Calls = &c, []desk.Call{c}
	s.Apply(v)
	rowBottom := abs(dv.cardCases) + dv.cardCases.Size().Height
	if dv.cardCases.Size().Height == 0 || abs(dv.ringTimer) < rowBottom || abs(dv.ringTimer) <= before {
		t.Errorf("the ring timer is at %v (before %v), the card's case row ends at %v", abs(dv.ringTimer), before, rowBottom)
	}
}
