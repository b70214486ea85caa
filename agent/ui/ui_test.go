package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// fakeBackend records commands; its CheckComplaint is a stand-in for the
// desk's rule so the wizard has something to show.
type fakeBackend struct {
	cmds  []string
	saved []ComplaintDraft
	fail  error
}

func (f *fakeBackend) Subscribe(func(Model)) func() { return func() {} }
func (f *fakeBackend) rec(s string) error           { f.cmds = append(f.cmds, s); return f.fail }
func (f *fakeBackend) Answer() error                { return f.rec("answer") }
func (f *fakeBackend) Hangup() error                { return f.rec("hangup") }
func (f *fakeBackend) Hold() error                  { return f.rec("hold") }
func (f *fakeBackend) Resume() error                { return f.rec("resume") }
func (f *fakeBackend) Mute(on bool) error {
	if on {
		return f.rec("mute")
	}
	return f.rec("unmute")
}
func (f *fakeBackend) Transfer(t string) error      { return f.rec("transfer " + t) }
func (f *fakeBackend) SendDTMF(d string) error      { return f.rec("dtmf " + d) }
func (f *fakeBackend) DialCallback(id string) error { return f.rec("dial " + id) }
func (f *fakeBackend) SetAgentState(s, r string) error {
	return f.rec(strings.TrimSpace("state " + s + " " + r))
}
func (f *fakeBackend) CheckComplaint(d ComplaintDraft) ComplaintCheck {
	var c ComplaintCheck
	if d.Statement == "" {
		c.Missing = append(c.Missing, Missing{Step: "wiz.listen"})
	}
	if d.What == "" {
		c.Missing = append(c.Missing, Missing{Step: "wiz.ask", Detail: "what missing"})
	}
	if !d.ReadBack {
		c.Missing = append(c.Missing, Missing{Step: "wiz.readback"})
	}
	if !d.Solved {
		c.Due = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	}
	return c
}
func (f *fakeBackend) SearchCustomers(q string) ([]CustomerRow, error) {
	f.rec("search " + q)
	if q == "王" {
		return []CustomerRow{{ID: "k1", Name: "王建国", Surname: "王", Title: "先生", Phone: "+8613800138000", Member: true}}, nil
	}
	return nil, nil
}
func (f *fakeBackend) SaveCustomer(c CustomerRow) error {
	if c.Phone == "" {
		return errors.New("no phone")
	}
	return f.rec("save " + c.ID + " " + c.Name + " " + c.Phone)
}
func (f *fakeBackend) SaveComplaint(d ComplaintDraft) (ComplaintCheck, error) {
	if f.fail != nil {
		return ComplaintCheck{}, f.fail
	}
	f.saved = append(f.saved, d)
	return f.CheckComplaint(d), nil
}

var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func ringing() Model {
	return Model{At: t0.Add(3 * time.Second), PBX: "practice", Sync: "none", Agent: "ringing",
		Opening: "早上好！您好，XX客服中心欢迎您的来电，请问有什么可以帮您？",
		Call: &Call{ID: "c1", Number: "+8613800138000", Name: "王伟", Salutation: "王先生", Known: true,
			Member: true, State: "ringing", Since: t0, RingLimit: 12 * time.Second, Open: 2, Overdue: 1,
			LastCalls: []string{"03-01 10:00 咨询"}, CallbacksDue: 1},
		Phrases: []Phrase{{Situation: "听不清", Say: "我没有听清楚，请您讲普通话好吗？", Never: "喂，说话呀"}},
	}
}

func answered() Model {
	m := ringing()
	m.Agent = "on_call"
	c := *m.Call
	c.State, c.Since = "answered", t0.Add(4*time.Second)
	m.Call = &c
	return m
}

func newTestWindow(t *testing.T, opts Options) (*Window, *fakeBackend, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1280, 800))
	b := &fakeBackend{}
	return NewWindow(a, w, b, opts), b, w
}

// overlayButton finds a button with text in the top dialog.
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open, looking for %q", text)
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
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

func key(w fyne.Window, k fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }

func TestDeskView_RingShowsCallerCardTimerAndOpening(t *testing.T) {
	s, _, _ := newTestWindow(t, Options{})
	s.Apply(ringing())
	d := s.desk
	checks := map[string]struct{ got, want string }{
		"name":       {d.callerName.Text, "王先生"},
		"badge":      {d.badge.Text, "★ 会员"},
		"complaints": {d.complaints.Text, "未结投诉 2  已逾期 1"},
		"callbacks":  {d.callbacksDue.Text, "待回访 1"},
		"timer":      {d.ringTimer.Text, "振铃 3 秒 / 12 秒"},
		"pbx":        {d.pbx.Text, "话机: 练习话机"},
		"opening":    {d.opening.String(), "早上好！您好，XX客服中心欢迎您的来电，请问有什么可以帮您？"},
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
	s.Tick(t0.Add(13 * time.Second))
	if d.ringTimer.Text != "已超过三声！请立即接听" || d.ringTimer.Importance != widget.DangerImportance {
		t.Errorf("past the ring limit: %q (importance %v)", d.ringTimer.Text, d.ringTimer.Importance)
	}
}

func TestDeskView_UnknownAndAnonymousCallers(t *testing.T) {
	tests := map[string]struct {
		call        Call
		name, badge string
	}{
		"unknown":          {Call{ID: "u", Number: "+8613900000000", State: "ringing"}, "未知来电", ""},
		"anonymous":        {Call{ID: "a", Anonymous: true, State: "ringing"}, "隐藏号码", ""},
		"known non-member": {Call{ID: "k", Known: true, Salutation: "李女士", State: "ringing"}, "李女士", "非会员"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, _, _ := newTestWindow(t, Options{})
			c := tc.call
			s.Apply(Model{At: t0, Call: &c})
			if got := s.desk.callerName.Text; got != tc.name {
				t.Errorf("name = %q, want %q", got, tc.name)
			}
			if got := s.desk.badge.Text; got != tc.badge {
				t.Errorf("badge = %q, want %q", got, tc.badge)
			}
		})
	}
}

func TestDeskView_ComplaintFromRingToReport(t *testing.T) {
	s, b, w := newTestWindow(t, Options{})
	s.Apply(ringing())
	test.Tap(s.desk.answer)
	s.Apply(answered())
	if s.desk.ringTimer.Text != "通话 0:00" {
		t.Errorf("talk timer = %q", s.desk.ringTimer.Text)
	}

	key(w, fyne.KeyF9)
	wz := s.desk.wizard
	if s.desk.right.Selected() != s.desk.wizardTab || wz.title.Text != "1 听清楚" {
		t.Fatalf("F9 should open the wizard on 听清楚, at %q", wz.title.Text)
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
	wz.severity.SetSelected("重大投诉（立即报告部门领导）")
	test.Tap(wz.next)
	test.Tap(wz.next)
	test.Type(wz.process, "已登记，转门店核实")
	test.Tap(wz.next)
	if wz.title.Text != "报告" {
		t.Fatalf("last step = %q", wz.title.Text)
	}
	if want := "罐里有东西\n奶粉罐有异物\n3月1日\n万达店\n订单 8812\n退货"; wz.readBackText.Text != want {
		t.Errorf("read-back = %q, want %q", wz.readBackText.Text, want)
	}
	if wz.missing.Text != "尚缺：\n• 请向客户复述并确认：“是这样的吗？”" {
		t.Errorf("before read-back, missing = %q", wz.missing.Text)
	}
	test.Tap(wz.readBack)
	if wz.missing.Text != "各步骤已齐全" {
		t.Errorf("after read-back, missing = %q", wz.missing.Text)
	}
	test.Tap(wz.save)

	if len(b.saved) != 1 {
		t.Fatalf("saved %d complaints, want 1", len(b.saved))
	}
	want := ComplaintDraft{CallID: "c1", Statement: "罐里有东西", What: "奶粉罐有异物", When: "3月1日", Where: "万达店",
		Subject: "订单 8812", Wants: "退货", ReadBack: true, Severity: "major", Process: "已登记，转门店核实"}
	if b.saved[0] != want {
		t.Errorf("saved %+v\nwant  %+v", b.saved[0], want)
	}
	if !strings.Contains(overlayText(w), "投诉已保存") {
		t.Errorf("no saved confirmation, dialog says %q", overlayText(w))
	}
	if wz.due.Text != "答复期限：2026-03-02 12:00" {
		t.Errorf("due = %q", wz.due.Text)
	}
	if b.cmds[0] != "answer" {
		t.Errorf("commands = %v", b.cmds)
	}
}

func TestDeskView_SaveFailureSaysNothingSaved(t *testing.T) {
	s, b, w := newTestWindow(t, Options{})
	b.fail = errors.New("disk full")
	s.Apply(answered())
	key(w, fyne.KeyF9)
	test.Tap(s.desk.wizard.save)
	if got := overlayText(w); !strings.Contains(got, "保存失败，未保存任何内容") {
		t.Errorf("dialog = %q", got)
	}
}

func TestDeskView_ControlsAndShortcuts(t *testing.T) {
	s, b, w := newTestWindow(t, Options{})
	s.Apply(answered())
	key(w, fyne.KeyF4)
	m := answered()
	m.Call.State = "held"
	s.Apply(m)
	if s.desk.hold.Text != "恢复 (F4)" {
		t.Errorf("hold button while held = %q", s.desk.hold.Text)
	}
	key(w, fyne.KeyF4)
	s.Apply(answered())
	key(w, fyne.KeyF7)

	key(w, fyne.KeyF8)
	test.Tap(overlayButton(t, w, "5"))
	test.Tap(overlayButton(t, w, "关闭"))

	key(w, fyne.KeyF6)
	top := w.Canvas().Overlays().Top()
	for _, o := range test.LaidOutObjects(top) {
		if e, ok := o.(*widget.Entry); ok {
			test.Type(e, "8002")
		}
	}
	test.Tap(overlayButton(t, w, "确定"))

	// Hanging up on a caller still on the line asks first.
	key(w, fyne.KeyF3)
	if !strings.Contains(overlayText(w), "客户还在线上") {
		t.Fatalf("no hang-up confirmation: %q", overlayText(w))
	}
	test.Tap(overlayButton(t, w, "确定"))

	want := []string{"hold", "resume", "mute", "dtmf 5", "transfer 8002", "hangup"}
	if strings.Join(b.cmds, ",") != strings.Join(want, ",") {
		t.Errorf("commands = %v, want %v", b.cmds, want)
	}
}

func TestDeskView_HangupReminderAndCallbacksInQuietHours(t *testing.T) {
	s, b, _ := newTestWindow(t, Options{})
	m := Model{At: t0, Agent: "available", HangupReminder: true, QuietHours: "12:00–14:00",
		Callbacks: []Callback{{ID: "cb1", Customer: "王先生", Number: "+8613800138000", Due: "03-03"}}}
	s.Apply(m)
	if s.desk.reminder.Text != "请让客户先挂机" {
		t.Errorf("reminder = %q", s.desk.reminder.Text)
	}
	if s.desk.quiet.Text != "休息时段，暂不拨打（12:00–14:00）" {
		t.Errorf("quiet = %q", s.desk.quiet.Text)
	}
	dial := test.LaidOutObjects(s.desk.callbacks)
	for _, o := range dial {
		if btn, ok := o.(*widget.Button); ok {
			if !btn.Disabled() {
				t.Error("dial enabled in quiet hours")
			}
			test.Tap(btn)
		}
	}
	m.QuietHours = ""
	s.Apply(m)
	for _, o := range test.LaidOutObjects(s.desk.callbacks) {
		if btn, ok := o.(*widget.Button); ok {
			test.Tap(btn)
		}
	}
	if strings.Join(b.cmds, ",") != "dial cb1" {
		t.Errorf("commands = %v", b.cmds)
	}
}

func TestDeskView_BreakReason(t *testing.T) {
	s, b, _ := newTestWindow(t, Options{})
	s.Apply(Model{At: t0, Agent: "available"})
	if len(b.cmds) != 0 {
		t.Fatalf("applying state sent commands: %v", b.cmds)
	}
	s.desk.agentState.SetSelectedIndex(1)
	s.desk.breakReason.SetSelectedIndex(1)
	s.Apply(Model{At: t0, Agent: "break", BreakReason: "meal"})
	if s.desk.agent.Text != "状态: 小休（用餐）" {
		t.Errorf("agent = %q", s.desk.agent.Text)
	}
	if strings.Join(b.cmds, ",") != "state break meal" {
		t.Errorf("commands = %v", b.cmds)
	}
}

func TestWindow_LanguageSwitchRebuildsFromState(t *testing.T) {
	var told string
	s, _, w := newTestWindow(t, Options{OnLang: func(l string) { told = l }})
	s.Apply(ringing())
	s.ShowTab(2)
	s.settings.lang.SetSelectedIndex(2)
	if told != "en" || s.lang != "en" {
		t.Fatalf("switch to en: told %q, lang %q", told, s.lang)
	}
	if s.desk.answer.Text != "Answer (F2)" || s.desk.callerName.Text != "王先生" || s.desk.badge.Text != "★ Member" {
		t.Errorf("after switch: answer %q, caller %q, badge %q", s.desk.answer.Text, s.desk.callerName.Text, s.desk.badge.Text)
	}
	if w.Title() != "Agent desk" || s.tabs.SelectedIndex() != 2 {
		t.Errorf("title %q, tab %d", w.Title(), s.tabs.SelectedIndex())
	}
	s.settings.lang.SetSelectedIndex(1)
	if s.desk.hangup.Text != "掛斷 (F3)" {
		t.Errorf("zh-Hant hang-up = %q", s.desk.hangup.Text)
	}
}

func TestWindow_NotifiesRingWhileHidden(t *testing.T) {
	s, _, _ := newTestWindow(t, Options{})
	s.foreground = false
	test.AssertNotificationSent(t, fyne.NewNotification("来电振铃", "王先生 +8613800138000"), func() {
		s.Apply(ringing())
	})
	// Only once per ringing call.
	test.AssertNotificationSent(t, nil, func() { s.Apply(ringing()) })
}

func TestSettingsView_SaveAndSelfCheck(t *testing.T) {
	var saved Settings
	s, _, w := newTestWindow(t, Options{
		Settings:     Settings{TimeZone: "Asia/Shanghai", Data: "/tmp/d"},
		SaveSettings: func(st Settings) error { saved = st; return nil },
		SelfCheck:    func() []CheckResult { return nil },
	})
	s.ShowTab(2)
	test.Type(s.settings.fields["pbx_uri"], "sip:pbx.example:5060")
	s.settings.variant.SetSelected("深色")
	if s.theme.Variant != VariantDark {
		t.Errorf("theme variant = %v", s.theme.Variant)
	}
	s.settings.onSave()
	if saved.PBXURI != "sip:pbx.example:5060" || saved.Theme != "dark" || saved.Lang != "zh-Hans" || saved.Data != "/tmp/d" {
		t.Errorf("saved %+v", saved)
	}
	if !strings.Contains(overlayText(w), "设置已保存") {
		t.Errorf("dialog = %q", overlayText(w))
	}
	s.settings.showChecks([]CheckResult{{Name: "check.data", OK: true}, {Name: "check.hub", Skipped: true},
		{Name: "check.pbx", OK: false, Detail: "timeout"}})
	var lines []string
	for _, o := range s.settings.checks.Objects {
		lines = append(lines, o.(*widget.Label).Text)
	}
	want := "数据文件可写：正常  |中心可达：未配置  |话机可达并已注册：异常  timeout"
	if strings.Join(lines, "|") != want {
		t.Errorf("checks = %q", strings.Join(lines, "|"))
	}
}

func TestSupervisorView_LocalBoard(t *testing.T) {
	s, _, _ := newTestWindow(t, Options{})
	if s.supervisor.source != nil {
		t.Error("the supervisor view was built before it was opened")
	}
	s.ShowTab(1)
	s.Apply(Model{At: t0, Supervisor: Board{Agents: []BoardRow{{Who: "张三", State: "on_call"}, {State: "break"}},
		Calls: []BoardRow{{Who: "王先生", State: "held"}}, Major: []string{"王先生：异物"}},
		Stats: Stats{Inbound: 5, Outbound: 2, Missed: 1, WithinRingLimitPct: 80, Complaints: 1}})
	v := s.supervisor
	if v.source.Text != "数据来源：本机（未连接中心）" || v.agents.Text != "张三 — 通话中\n本机坐席 — 小休" || v.calls.Text != "王先生 — 保持中" || v.major.Text != "王先生：异物" ||
		v.overdue.Text != "无" {
		t.Errorf("board: %q %q %q %q", v.source.Text, v.agents.Text, v.major.Text, v.overdue.Text)
	}
	if v.stats.Text != "呼入 5  呼出 2  未接 1  三声内接听 80%  投诉 1" {
		t.Errorf("stats = %q", v.stats.Text)
	}
}

type fakePack struct{}

func (p *fakePack) Load(string) (string, string, error) {
	return "", "name = \"XX\"\nopening = \"您好\"\n", nil
}
func (p *fakePack) Preview(text string, req PreviewRequest) (string, []LineError) {
	if strings.Contains(text, "bad") {
		return "", []LineError{{Line: 3, Msg: "unknown key"}}
	}
	return req.Surname + req.Title + "：" + req.At.Format("15:04"), nil
}
func (p *fakePack) Save(string, string) error { return nil }
func (p *fakePack) Publish(string) error      { return errors.New("needs a hub") }

func TestTrainerView_LivePreviewAndErrorsAtLine(t *testing.T) {
	s, _, w := newTestWindow(t, Options{Pack: &fakePack{}})
	s.ShowTab(2)
	v := s.trainer
	v.at.SetText("2026-10-01T08:00:00+08:00")
	test.Type(v.surname, "王")
	v.title.SetSelected("先生")
	if got := v.preview.String(); got != "王先生：08:00" {
		t.Errorf("preview = %q", got)
	}
	v.editor.SetText("a\nb\nbad\n")
	if len(v.errors.Objects) != 1 {
		t.Fatalf("errors = %d", len(v.errors.Objects))
	}
	b := v.errors.Objects[0].(*widget.Button)
	if b.Text != "3: unknown key" {
		t.Errorf("error = %q", b.Text)
	}
	test.Tap(b)
	if v.editor.CursorRow != 2 {
		t.Errorf("cursor row = %d, want 2", v.editor.CursorRow)
	}
	test.Tap(v.publish)
	if !strings.Contains(overlayText(w), "发布需要连接中心") {
		t.Errorf("publish dialog = %q", overlayText(w))
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

func TestCustomersView_SearchAndEdit(t *testing.T) {
	s, b, w := newTestWindow(t, Options{})
	v := s.desk.customers
	test.Type(v.query, "王")
	v.query.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Tap(buttonIn(t, v.results, "王建国  +8613800138000  ★"))
	top := w.Canvas().Overlays().Top()
	for _, o := range test.LaidOutObjects(top) {
		if e, ok := o.(*widget.Entry); ok && e.Text == "王建国" {
			e.SetText("王建军")
		}
	}
	test.Tap(overlayButton(t, w, "确定"))
	if !strings.Contains(overlayText(w), "客户资料已保存") {
		t.Errorf("dialog = %q", overlayText(w))
	}
	test.Type(v.query, "x")
	v.onSearch()
	if got := v.results.Objects[0].(*widget.Label).Text; got != "没有找到客户" {
		t.Errorf("empty result = %q", got)
	}
	want := "search 王,save k1 王建军 +8613800138000,search 王,search 王x"
	if strings.Join(b.cmds, ",") != want {
		t.Errorf("commands = %v", b.cmds)
	}
}

// buttonIn finds a button with text inside c.
func buttonIn(t *testing.T, c fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(c) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}
