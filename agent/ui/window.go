// Package ui is the desk's Fyne window: one view per screen (agent desk,
// supervisor, trainer, settings), each painting agent/desk's View and
// turning widget events into desk commands. Commands never run on the Fyne
// goroutine: a button starts its command in the background, shows it is in
// flight, and the answer comes back through fyne.Do. Rules live in agent
// and agent/desk; nothing here decides anything about a call.
package ui

import (
	"context"
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// Desk is what the window asks of the desk. *desk.Desk satisfies it; the
// view tests use a fake. Every method but SubscribeView may block (disk,
// SIP, network) and is only called off the Fyne goroutine.
type Desk interface {
	WorkDesk
	SubscribeView(fn func(desk.View)) (cancel func())
	Answer(callID string) error
	Hangup(callID string) error
	Hold(callID string) error
	Resume(callID string) error
	Transfer(callID, target string) error
	SendDTMF(callID, digit string) error
	Mute(callID string, on bool) error
	DialCallback(ctx context.Context, id string) (string, error)
	SetAgentState(status agent.AgentStatus, reason agent.BreakReason) error
	SetLang(lang string) error
	CheckComplaint(d desk.ComplaintDraft) desk.ComplaintCheck
	SaveComplaint(d desk.ComplaintDraft) (desk.ComplaintCheck, error)
	Complaint(id string) (agent.Complaint, desk.ComplaintDraft, error)
	SearchCustomers(query string) ([]agent.Customer, error)
	SaveCustomer(e desk.CustomerEdit) (agent.Customer, error)
	SelfCheck(ctx context.Context) []desk.Check
	PackText(lang string) (path, text string, err error)
	// PreviewPack is pure computation (about a millisecond): the pack
	// editor calls it on every keystroke, on the Fyne goroutine.
	PreviewPack(text string, req desk.PreviewRequest) desk.PackPreview
	SavePackFile(path, text string) error
	PublishPack(ctx context.Context, text string) (desk.PackVersion, error)
	PackHistory(ctx context.Context, lang string) ([]desk.PackVersion, error)
	PackDiff(ctx context.Context, version int64) (desk.PackDiff, error)
	ReviewPack(ctx context.Context, version int64, approve bool, reason string) (desk.PackVersion, error)
	RollbackPack(ctx context.Context, version int64, reason string) (desk.PackVersion, error)
	Supervise
}

// Supervise is the supervisor's monitoring of live calls and the agent's
// coaching notes (*desk.Desk's).
type Supervise interface {
	Monitor(ctx context.Context, agentNumber string, mode desk.MonitorMode) (desk.Supervision, error)
	SwitchMonitor(ctx context.Context, mode desk.MonitorMode) error
	EndMonitor(ctx context.Context) error
	DismissMonitor()
	AddCoaching(ctx context.Context, text string) (agent.CoachingNote, error)
	SeenCoaching(id string) error
	HubRecordings(ctx context.Context, agentNumber string, from, to time.Time) ([]desk.HubRecording, error)
	PlayHubRecording(ctx context.Context, id string) error
}

var _ Desk = (*desk.Desk)(nil)

// Options configure the window beyond the desk itself.
type Options struct {
	Lang    string
	Variant Variant
	// Config is what the settings screen edits; SaveConfig persists it
	// (the config file); nil hides Save.
	Config     desk.Config
	SaveConfig func(desk.Config) error
	// Role is what the signed-in user may use ("": Config's role): an
	// agent the desk, a team lead the board too, a supervisor also the
	// script review, a trainer the script editor (see TabsFor).
	Role agent.Role
	// Identity is who signed in for the shift (nil: the desk runs for
	// the config's agent, without sign-in); SignOut, when set, adds the
	// sign-out button, and runs off the Fyne goroutine.
	Identity *desk.Identity
	SignOut  func() error
	Logger   *slog.Logger
	// Go starts a command's work off the Fyne goroutine (default: a new
	// goroutine). The view tests pass one that queues the work, to see a
	// command in flight and then let it finish.
	Go func(work func())
}

// Tabs of the window, in order.
const (
	TabDesk = iota
	TabSupervisor
	TabTrainer
	TabSettings
)

// Window is the desk's main window and the views inside it.
type Window struct {
	app  fyne.App
	win  fyne.Window
	desk Desk
	opts Options
	lang string
	thm  *Theme
	log  *slog.Logger

	view       desk.View
	foreground bool
	// busy holds the commands in flight, by key: their buttons are
	// disabled and say so until the command returns.
	busy map[string]bool

	tabs       *container.AppTabs
	tabIDs     []int
	deskV      *deskView
	supervisor *supervisorView
	trainer    *trainerView
	settings   *settingsView
	ensure     func(tab int) // builds a tab's view on first use
}

// NewWindow builds the views into w and paints every View the desk
// publishes.
func NewWindow(a fyne.App, w fyne.Window, d Desk, opts Options) *Window {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Go == nil {
		opts.Go = func(work func()) { go work() }
	}
	s := &Window{app: a, win: w, desk: d, opts: opts, lang: opts.Lang, foreground: true,
		thm: &Theme{Variant: opts.Variant}, log: opts.Logger.With("component", "ui"), busy: map[string]bool{}}
	if s.lang == "" {
		s.lang = Langs[0]
	}
	a.Settings().SetTheme(s.thm)
	a.Lifecycle().SetOnEnteredForeground(func() { s.foreground = true })
	a.Lifecycle().SetOnExitedForeground(func() { s.foreground = false })
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if TabsFor(s.role())[TabDesk] {
			s.deskV.shortcut(k.Name)
		}
	})
	for _, sc := range windowShortcuts {
		w.Canvas().AddShortcut(sc, func(sh fyne.Shortcut) {
			if cs, ok := sh.(*desktop.CustomShortcut); ok {
				s.shortcut(cs)
			}
		})
	}
	s.rebuild()
	return s
}

// Start subscribes the window to the desk's views; call it once, after
// NewWindow. The returned cancel stops the subscription.
func (s *Window) Start() (cancel func()) {
	return s.desk.SubscribeView(func(v desk.View) { fyne.Do(func() { s.Apply(v) }) })
}

// rebuild makes every view anew in the current language and shows the
// current view: the live language switch.
func (s *Window) rebuild() {
	selected := TabDesk
	if s.tabs != nil && s.tabs.SelectedIndex() >= 0 {
		selected = s.tabIDs[s.tabs.SelectedIndex()]
	}
	s.win.SetTitle(tr(s.lang, "app.title"))
	// Open dialogs speak the old language and point at old widgets.
	for o := s.win.Canvas().Overlays(); o.Top() != nil; {
		o.Remove(o.Top())
	}
	s.deskV = newDeskView(s)
	s.supervisor = newSupervisorView(s)
	s.settings = newSettingsView(s)
	type lazy struct {
		id    int
		title string
		build func() fyne.CanvasObject
	}
	var views []lazy
	shown := TabsFor(s.role())
	if shown[TabDesk] {
		views = append(views, lazy{TabDesk, "tab.desk", s.deskV.buildUI})
	}
	if shown[TabSupervisor] {
		views = append(views, lazy{TabSupervisor, "tab.supervisor", s.supervisor.buildUI})
	}
	if shown[TabTrainer] {
		s.trainer = newTrainerView(s)
		views = append(views, lazy{TabTrainer, "tab.trainer", s.trainer.buildUI})
	}
	views = append(views, lazy{TabSettings, "tab.settings", s.settings.buildUI})
	// Only the desk is built up front: the other screens are made when first
	// opened, which keeps start-up time and idle memory near a bare window.
	items := make([]*container.TabItem, len(views))
	built := make([]bool, len(views))
	s.tabIDs = make([]int, len(views))
	for i, v := range views {
		items[i] = container.NewTabItem(tr(s.lang, v.title)+" (Alt+"+string(rune('1'+i))+")", widget.NewLabel(""))
		s.tabIDs[i] = v.id
	}
	s.ensure = func(i int) {
		if i < 0 || i >= len(views) || built[i] {
			return
		}
		built[i] = true
		items[i].Content = views[i].build()
		s.tabs.Refresh()
	}
	s.tabs = container.NewAppTabs(items...)
	s.tabs.OnSelected = func(*container.TabItem) { s.ensure(s.tabs.SelectedIndex()); s.show() }
	pos := s.tabPos(selected)
	s.ensure(0)
	s.ensure(pos)
	s.tabs.SelectIndex(pos)
	if bar := s.shiftBar(); bar != nil {
		// Over the tab bar's empty right end: who is signed in, and the
		// way out.
		s.win.SetContent(container.NewStack(s.tabs, container.NewVBox(container.NewHBox(layout.NewSpacer(), bar))))
	} else {
		s.win.SetContent(s.tabs)
	}
	s.show()
}

// shiftBar shows the signed-in agent and the sign-out button; nil when the
// desk runs without sign-in.
func (s *Window) shiftBar() fyne.CanvasObject {
	id := s.opts.Identity
	if id == nil {
		return nil
	}
	text := s.t("shift.who", map[string]any{"Name": id.Name, "Number": id.Number, "Role": s.t("role." + string(id.Role))})
	who := widget.NewLabel(text)
	if id.Offline {
		who.Importance = widget.WarningImportance
		zone := time.Local
		if z, err := time.LoadLocation(s.opts.Config.TimeZone); err == nil && s.opts.Config.TimeZone != "" {
			zone = z
		}
		who.SetText(text + "  " + s.t("shift.offline", map[string]any{"Until": id.Expires.In(zone).Format("01-02 15:04")}))
	}
	objs := []fyne.CanvasObject{who}
	if s.opts.SignOut != nil {
		out := widget.NewButtonWithIcon(s.t("shift.signout"), theme.LogoutIcon(), s.onSignOut)
		objs = append(objs, out)
	}
	return container.NewHBox(objs...)
}

// onSignOut asks first, and refuses during a call (the caller would be
// cut off with the desk).
func (s *Window) onSignOut() {
	if s.view.Call != nil {
		s.warn(s.t("shift.oncall"))
		return
	}
	msg := s.t("shift.confirm")
	if s.view.WrapUp != nil {
		msg = s.t("shift.confirm.wrap") + "\n" + msg
	}
	s.confirm(s.t("shift.signout"), msg, func() { s.run("signout", s.opts.SignOut, nil) })
}

// t is tr in the window's language.
func (s *Window) t(id string, args ...map[string]any) string { return tr(s.lang, id, args...) }

// TabsFor is which tabs role may use: an agent the desk, a team lead the
// supervisor's board too, a supervisor also the trainer's tab (to review
// and approve script packs), a trainer the trainer's tab alone; settings
// for everyone.
func TabsFor(r agent.Role) map[int]bool {
	switch r {
	case agent.RoleTrainer:
		return map[int]bool{TabTrainer: true, TabSettings: true}
	case agent.RoleTeamLead:
		return map[int]bool{TabDesk: true, TabSupervisor: true, TabSettings: true}
	case agent.RoleSupervisor:
		return map[int]bool{TabDesk: true, TabSupervisor: true, TabTrainer: true, TabSettings: true}
	}
	return map[int]bool{TabDesk: true, TabSettings: true}
}

// role is the signed-in user's role.
func (s *Window) role() agent.Role {
	if s.opts.Role != "" {
		return s.opts.Role
	}
	return s.opts.Config.UserRole()
}

// tabPos is the position of tab id among the tabs shown (0 if hidden).
func (s *Window) tabPos(id int) int {
	for i, t := range s.tabIDs {
		if t == id {
			return i
		}
	}
	return 0
}

// Apply shows a new view; call it on the Fyne goroutine. A view older
// than the one shown is ignored: the newest state always wins.
func (s *Window) Apply(v desk.View) {
	if v.Seq < s.view.Seq {
		return
	}
	prev := s.view.Call
	s.view = v
	s.show()
	if c := v.Call; c != nil && c.Status == desk.CallRinging && !c.Outbound() &&
		(prev == nil || prev.CallID != c.CallID || prev.Status != desk.CallRinging) && !s.foreground {
		s.app.SendNotification(fyne.NewNotification(tr(s.lang, "notify.ring"), callerLine(s.lang, c)))
	}
}

func (s *Window) show() {
	s.deskV.apply(s.view)
	s.supervisor.apply(s.view)
	if s.trainer != nil {
		s.trainer.apply(s.view)
	}
}

// Tick redraws the timers for now; run it every second via fyne.Do.
func (s *Window) Tick(now time.Time) { s.deskV.tick(now) }

// Meter shows the headset's levels (0..1, microphone and earpiece); run it
// a few times a second via fyne.Do with the desk's Levels.
func (s *Window) Meter(in, out float64) { s.deskV.meter(in, out) }

// SetLang switches the language live: the window is rebuilt and the desk
// renders its scripts in the new language.
func (s *Window) SetLang(lang string) {
	if lang == s.lang {
		return
	}
	s.lang = lang
	s.rebuild()
	s.run("lang", func() error { return s.desk.SetLang(lang) }, nil)
}

// SetVariant switches light/dark live.
func (s *Window) SetVariant(v Variant) {
	s.thm = &Theme{Variant: v}
	s.app.Settings().SetTheme(s.thm)
}

// ShowTab selects a tab by its id (TabDesk…); a tab not shown is ignored.
func (s *Window) ShowTab(id int) {
	for i, t := range s.tabIDs {
		if t == id {
			s.ensure(i)
			s.tabs.SelectIndex(i)
		}
	}
}

// run starts a command off the Fyne goroutine. While it runs, key is busy:
// the views disable its controls and show it in flight, and a second run
// of the same key does nothing. done (may be nil) runs on the Fyne
// goroutine with fn's error; without done a failure shows its translated
// message.
func (s *Window) run(key string, fn func() error, done func(error)) {
	if s.busy[key] {
		return
	}
	s.busy[key] = true
	s.show()
	s.opts.Go(func() {
		err := fn()
		fyne.Do(func() {
			delete(s.busy, key)
			s.show()
			if err != nil {
				s.log.Warn("command failed", "command", key, "error", err)
			}
			switch {
			case done != nil:
				done(err)
			case err != nil:
				s.warn(errText(s.lang, err))
			}
		})
	})
}

// windowShortcuts are the window's keyboard shortcuts: Alt+1…Alt+4 pick a
// tab (by position), Ctrl+S saves the form in front (the complaint wizard,
// the pack editor), Ctrl+Enter moves the wizard to its next step.
var windowShortcuts = []*desktop.CustomShortcut{
	{KeyName: fyne.Key1, Modifier: fyne.KeyModifierAlt}, {KeyName: fyne.Key2, Modifier: fyne.KeyModifierAlt},
	{KeyName: fyne.Key3, Modifier: fyne.KeyModifierAlt}, {KeyName: fyne.Key4, Modifier: fyne.KeyModifierAlt},
	{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl},
	{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierControl},
}

// shortcut runs a window shortcut; it reports whether cs was one.
func (s *Window) shortcut(cs *desktop.CustomShortcut) bool {
	tab := -1
	if i := s.tabs.SelectedIndex(); i >= 0 {
		tab = s.tabIDs[i]
	}
	switch {
	case cs.Modifier == fyne.KeyModifierAlt && cs.KeyName >= fyne.Key1 && cs.KeyName <= fyne.Key4:
		i := int(cs.KeyName[0] - '1')
		if i < len(s.tabIDs) {
			s.ensure(i)
			s.tabs.SelectIndex(i)
		}
	case cs.Modifier == fyne.KeyModifierControl && cs.KeyName == fyne.KeyS:
		switch tab {
		case TabDesk:
			s.deskV.wizard.onSave()
		case TabTrainer:
			s.trainer.onSave()
		}
	case cs.Modifier == fyne.KeyModifierControl && cs.KeyName == fyne.KeyReturn:
		if tab == TabDesk {
			s.deskV.wizard.onNext()
		}
	default:
		return false
	}
	return true
}

func (s *Window) warn(msg string) { s.message(msg) }
func (s *Window) info(msg string) { s.message(msg) }

// message shows msg in a dialog whose OK button has the focus: Return or
// Escape closes it.
func (s *Window) message(msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(tr(s.lang, "app.title"), l, s.win)
	ok := newKeyButton(s, tr(s.lang, "btn.ok"), d.Hide, d.Hide)
	d.SetButtons([]fyne.CanvasObject{ok})
	d.Resize(fyne.NewSize(420, 160))
	d.Show()
	s.win.Canvas().Focus(ok)
}

// confirm asks before yes: Return confirms, Escape cancels.
func (s *Window) confirm(title, msg string, yes func()) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	s.ask(title, l, nil, yes).Resize(fyne.NewSize(420, 180))
}

// form asks for the form's values: Return (on OK) confirms, Escape cancels;
// first gets the focus.
func (s *Window) form(title string, f *widget.Form, first fyne.Focusable, ok func()) {
	s.ask(title, f, first, ok).Resize(fyne.NewSize(460, 240))
}

// ask shows content with Cancel and OK; OK (or first, when set) has the
// focus.
func (s *Window) ask(title string, content fyne.CanvasObject, first fyne.Focusable, yes func()) *dialog.CustomDialog {
	d := dialog.NewCustomWithoutButtons(title, content, s.win)
	cancel := newKeyButton(s, tr(s.lang, "btn.cancel"), d.Hide, d.Hide)
	cancel.Icon = theme.CancelIcon()
	ok := newKeyButton(s, tr(s.lang, "btn.ok"), func() { d.Hide(); yes() }, d.Hide)
	ok.Icon, ok.Importance = theme.ConfirmIcon(), widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{cancel, ok})
	d.Show()
	if first != nil {
		s.win.Canvas().Focus(first)
	} else {
		s.win.Canvas().Focus(ok)
	}
	return d
}

func (s *Window) panel(title string, content fyne.CanvasObject) {
	d := dialog.NewCustomWithoutButtons(title, content, s.win)
	closeBtn := newKeyButton(s, tr(s.lang, "btn.close"), d.Hide, d.Hide)
	d.SetButtons([]fyne.CanvasObject{closeBtn})
	d.Show()
	s.win.Canvas().Focus(closeBtn)
}

func callerLine(lang string, c *desk.Call) string {
	switch {
	case c.Salutation != "" && c.Customer != nil:
		return c.Salutation + " " + c.Number
	case c.Anonymous:
		return tr(lang, "caller.anonymous")
	case c.Number != "":
		return c.Number
	}
	return tr(lang, "caller.unknown")
}
