// Package ui is the desk's Fyne window: one view per screen (agent desk,
// supervisor, trainer, settings), each adapting a Model to widgets and
// widget events to Backend commands. Rules live in agent and agent/desk;
// nothing here decides anything about a call.
package ui

import (
	"log/slog"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Options configure the window beyond the desk itself.
type Options struct {
	Lang     string
	Variant  Variant
	Settings Settings
	// SaveSettings persists the settings panel (config file); nil hides Save.
	SaveSettings func(Settings) error
	// SelfCheck runs the pre-shift checks; it may block (network), so the
	// window calls it off the UI goroutine.
	SelfCheck func() []CheckResult
	// Pack is the trainer's tooling; nil hides the trainer tab.
	Pack PackTools
	// OnLang is told when the agent switches language, after the window
	// has been rebuilt, so the desk can render scripts in it.
	OnLang func(lang string)
	Logger *slog.Logger
}

// Window is the desk's main window and the views inside it.
type Window struct {
	app     fyne.App
	win     fyne.Window
	backend Backend
	opts    Options
	lang    string
	theme   *Theme
	log     *slog.Logger

	model      Model
	foreground bool

	tabs       *container.AppTabs
	desk       *deskView
	supervisor *supervisorView
	trainer    *trainerView
	settings   *settingsView
	ensure     func(tab int) // builds a tab's view on first use
}

// NewWindow builds the views into w. Call Apply with each Model, on the
// Fyne goroutine (fyne.Do from a subscriber).
func NewWindow(a fyne.App, w fyne.Window, b Backend, opts Options) *Window {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Window{app: a, win: w, backend: b, opts: opts, lang: opts.Lang, foreground: true,
		theme: &Theme{Variant: opts.Variant}, log: opts.Logger.With("component", "ui")}
	if s.lang == "" {
		s.lang = Langs[0]
	}
	a.Settings().SetTheme(s.theme)
	a.Lifecycle().SetOnEnteredForeground(func() { s.foreground = true })
	a.Lifecycle().SetOnExitedForeground(func() { s.foreground = false })
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) { s.desk.shortcut(k.Name) })
	s.rebuild()
	return s
}

// rebuild makes every view anew in the current language and shows the
// current model: the live language switch.
func (s *Window) rebuild() {
	selected := 0
	if s.tabs != nil {
		selected = s.tabs.SelectedIndex()
	}
	s.win.SetTitle(tr(s.lang, "app.title"))
	// Open dialogs speak the old language and point at old widgets.
	for o := s.win.Canvas().Overlays(); o.Top() != nil; {
		o.Remove(o.Top())
	}
	s.desk = newDeskView(s)
	s.supervisor = newSupervisorView(s)
	s.settings = newSettingsView(s)
	type lazy struct {
		title string
		build func() fyne.CanvasObject
	}
	views := []lazy{{"tab.desk", s.desk.buildUI}, {"tab.supervisor", s.supervisor.buildUI}}
	if s.opts.Pack != nil {
		s.trainer = newTrainerView(s)
		views = append(views, lazy{"tab.trainer", s.trainer.buildUI})
	}
	views = append(views, lazy{"tab.settings", s.settings.buildUI})
	// Only the desk is built up front: the other screens are made when first
	// opened, which keeps start-up time and idle memory near a bare window.
	items := make([]*container.TabItem, len(views))
	built := make([]bool, len(views))
	for i, v := range views {
		items[i] = container.NewTabItem(tr(s.lang, v.title), widget.NewLabel(""))
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
	s.ensure(0)
	s.ensure(selected)
	s.tabs.SelectIndex(selected)
	s.win.SetContent(s.tabs)
	s.show()
}

// Apply shows a new model; call it on the Fyne goroutine.
func (s *Window) Apply(m Model) {
	prev := s.model.Call
	s.model = m
	s.show()
	if c := m.Call; c != nil && c.State == "ringing" && !c.Outbound &&
		(prev == nil || prev.ID != c.ID || prev.State != "ringing") && !s.foreground {
		s.app.SendNotification(fyne.NewNotification(tr(s.lang, "notify.ring"), callerLine(s.lang, c)))
	}
}

func (s *Window) show() {
	s.desk.apply(s.model)
	s.supervisor.apply(s.model)
}

// Tick redraws the timers for now; run it every second via fyne.Do.
func (s *Window) Tick(now time.Time) { s.desk.tick(now) }

// SetLang switches the language live.
func (s *Window) SetLang(lang string) {
	if lang == s.lang {
		return
	}
	s.lang = lang
	s.rebuild()
	if s.opts.OnLang != nil {
		s.opts.OnLang(lang)
	}
}

// SetVariant switches light/dark live.
func (s *Window) SetVariant(v Variant) {
	s.theme = &Theme{Variant: v}
	s.app.Settings().SetTheme(s.theme)
}

// do reports a failed command in the agent's language, logging the cause.
func (s *Window) do(err error) {
	if err != nil {
		s.log.Warn("command failed", "error", err)
		s.warn(tr(s.lang, "err.generic"))
	}
}

func (s *Window) warn(msg string) { s.message(msg) }
func (s *Window) info(msg string) { s.message(msg) }

func (s *Window) message(msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(tr(s.lang, "app.title"), tr(s.lang, "btn.ok"), l, s.win)
	d.Resize(fyne.NewSize(420, 160))
	d.Show()
}

func (s *Window) confirm(title, msg string, yes func()) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, tr(s.lang, "btn.ok"), tr(s.lang, "btn.cancel"), l, func(ok bool) {
		if ok {
			yes()
		}
	}, s.win)
	d.Resize(fyne.NewSize(420, 180))
	d.Show()
}

func (s *Window) form(title string, f *widget.Form, ok func()) {
	d := dialog.NewCustomConfirm(title, tr(s.lang, "btn.ok"), tr(s.lang, "btn.cancel"), f, func(yes bool) {
		if yes {
			ok()
		}
	}, s.win)
	d.Resize(fyne.NewSize(420, 200))
	d.Show()
}

func (s *Window) panel(title string, content fyne.CanvasObject) {
	dialog.NewCustom(title, tr(s.lang, "btn.close"), content, s.win).Show()
}

func callerLine(lang string, c *Call) string {
	switch {
	case c.Salutation != "":
		return c.Salutation + " " + c.Number
	case c.Anonymous:
		return tr(lang, "caller.anonymous")
	case c.Number != "":
		return c.Number
	}
	return tr(lang, "caller.unknown")
}

// ShowComplaint opens the complaint wizard filled with d on its report
// page: for reopening a draft, and for the smoke test's driver.
func (s *Window) ShowComplaint(d ComplaintDraft) {
	s.tabs.SelectIndex(0)
	s.desk.onComplaint()
	s.desk.wizard.fill(d)
	s.desk.wizard.show(len(wizardSteps) - 1)
}

// SubmitComplaint saves the wizard's complaint as its Save button does.
func (s *Window) SubmitComplaint() { s.desk.wizard.onSave() }

// ShowTab selects a tab: 0 desk, 1 supervisor, then trainer (when there is
// one) and settings.
func (s *Window) ShowTab(i int) {
	s.ensure(i)
	s.tabs.SelectIndex(i)
}
