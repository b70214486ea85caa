package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// deskView is the agent's screen: status bar, caller card with ring timer,
// the opening line in large type, call controls, and on the right the
// phrase book, complaint wizard, callbacks, call log and today's figures.
type deskView struct {
	shell *Window

	pbx, sync, agent *widget.Label
	agentState       *widget.Select
	breakReason      *widget.Select

	callerName, callerNumber, badge *widget.Label
	complaints, callbacksDue        *widget.Label
	lastCalls                       *widget.Label
	ringTimer                       *widget.Label
	ringBar                         *widget.ProgressBar
	opening                         *widget.RichText
	reminder                        *widget.Label

	answer, hangup, hold, transfer, mute, keypad, complaint *widget.Button

	right     *container.AppTabs
	wizard    *wizard
	customers *customersView
	wizardTab *container.TabItem
	phrases   *fyne.Container
	callbacks *fyne.Container
	quiet     *widget.Label
	log       *fyne.Container
	stats     *widget.Label
}

func newDeskView(s *Window) *deskView { return &deskView{shell: s} }

func (v *deskView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

func (v *deskView) buildUI() fyne.CanvasObject {
	v.pbx, v.sync, v.agent = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	states := []string{v.t("agent.available"), v.t("agent.break")}
	v.agentState = widget.NewSelect(states, nil)
	v.agentState.PlaceHolder = "—"
	reasons := make([]string, len(BreakReasons))
	for i, r := range BreakReasons {
		reasons[i] = v.t("break." + r)
	}
	v.breakReason = widget.NewSelect(reasons, nil)
	v.breakReason.PlaceHolder = v.t("break.pick")
	status := container.NewHBox(v.pbx, widget.NewSeparator(), v.sync, widget.NewSeparator(), v.agent,
		v.agentState, v.breakReason)

	v.callerName = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.callerName.SizeName = theme.SizeNameSubHeadingText
	v.callerNumber = widget.NewLabel("")
	v.badge = widget.NewLabel("")
	v.badge.Importance = widget.HighImportance
	v.complaints = widget.NewLabel("")
	v.callbacksDue = widget.NewLabel("")
	v.lastCalls = widget.NewLabel("")
	v.lastCalls.Wrapping = fyne.TextWrapWord
	v.ringTimer = widget.NewLabel("")
	v.ringBar = widget.NewProgressBar()
	v.ringBar.TextFormatter = func() string { return "" }
	card := widget.NewCard("", "", container.NewVBox(
		container.NewHBox(v.callerName, v.badge),
		v.callerNumber,
		container.NewHBox(v.complaints, v.callbacksDue),
		v.lastCalls,
	))

	v.opening = widget.NewRichText()
	v.opening.Wrapping = fyne.TextWrapWord
	v.reminder = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.reminder.Importance = widget.WarningImportance

	v.answer = widget.NewButtonWithIcon(v.t("btn.answer"), theme.ConfirmIcon(), v.onAnswer)
	v.answer.Importance = widget.SuccessImportance
	v.hangup = widget.NewButtonWithIcon(v.t("btn.hangup"), theme.CancelIcon(), v.onHangup)
	v.hangup.Importance = widget.DangerImportance
	v.hold = widget.NewButtonWithIcon(v.t("btn.hold"), theme.MediaPauseIcon(), v.onHold)
	v.transfer = widget.NewButtonWithIcon(v.t("btn.transfer"), theme.MailForwardIcon(), v.onTransfer)
	v.mute = widget.NewButtonWithIcon(v.t("btn.mute"), theme.VolumeMuteIcon(), v.onMute)
	v.keypad = widget.NewButtonWithIcon(v.t("btn.keypad"), theme.GridIcon(), v.onKeypad)
	v.complaint = widget.NewButtonWithIcon(v.t("btn.complaint"), theme.DocumentCreateIcon(), v.onComplaint)
	controls := container.NewGridWithColumns(4, v.answer, v.hangup, v.hold, v.transfer, v.mute, v.keypad, v.complaint)

	left := container.NewVBox(card, v.ringTimer, v.ringBar,
		widget.NewLabelWithStyle(v.t("opening"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.opening, v.reminder, controls)

	v.phrases = container.NewVBox()
	v.wizard = newWizard(v.shell)
	v.customers = &customersView{shell: v.shell}
	v.callbacks = container.NewVBox()
	v.quiet = widget.NewLabel("")
	v.quiet.Importance = widget.WarningImportance
	v.log = container.NewVBox()
	v.stats = widget.NewLabel("")
	v.stats.Wrapping = fyne.TextWrapWord
	v.wizardTab = container.NewTabItem(v.t("wiz.report"), v.wizard.buildUI())
	v.right = container.NewAppTabs(
		container.NewTabItem(v.t("phrases"), container.NewVScroll(v.phrases)),
		v.wizardTab,
		container.NewTabItem(v.t("callbacks"), container.NewBorder(v.quiet, nil, nil, nil, container.NewVScroll(v.callbacks))),
		container.NewTabItem(v.t("log"), container.NewVScroll(v.log)),
		container.NewTabItem(v.t("customers"), v.customers.buildUI()),
		container.NewTabItem(v.t("stats"), v.stats),
	)
	split := container.NewHSplit(container.NewVScroll(left), v.right)
	split.Offset = 0.55
	v.agentState.OnChanged = v.onAgentState
	v.breakReason.OnChanged = v.onAgentState
	return container.NewBorder(status, nil, nil, nil, split)
}

// apply shows m; it runs on the Fyne goroutine only.
func (v *deskView) apply(m Model) {
	v.pbx.SetText(v.t("status.pbx") + ": " + v.t("pbx."+orDefault(m.PBX, "connecting")))
	syncText := v.t("sync."+orDefault(m.Sync, "none"), map[string]any{"Count": m.Pending})
	if m.Sync != "none" && m.Sync != "" && !m.LastSync.IsZero() {
		syncText += " · " + m.LastSync.Format("15:04")
	}
	v.sync.SetText(v.t("status.sync") + ": " + syncText)
	agentText := v.t("agent." + orDefault(m.Agent, "available"))
	if m.Agent == "break" && m.BreakReason != "" {
		agentText += "（" + v.t("break."+m.BreakReason) + "）"
	}
	v.agent.SetText(v.t("status.agent") + ": " + agentText)
	v.setSelectQuietly(m)

	c := m.Call
	v.showCaller(c)
	v.tick(m.At)
	v.setOpening(m.Opening)
	if m.HangupReminder {
		v.reminder.SetText(v.t("hangup.reminder"))
	} else {
		v.reminder.SetText("")
	}
	ringing := c != nil && c.State == "ringing" && !c.Outbound
	live := c != nil && (c.State == "answered" || c.State == "held")
	enable(v.answer, ringing)
	enable(v.hangup, c != nil && c.State != "ended")
	enable(v.hold, live)
	enable(v.transfer, live)
	enable(v.mute, live)
	enable(v.keypad, live)
	if c != nil && c.State == "held" {
		v.hold.SetText(v.t("btn.resume"))
	} else {
		v.hold.SetText(v.t("btn.hold"))
	}
	if c != nil && c.Muted {
		v.mute.SetText(v.t("btn.unmute"))
	} else {
		v.mute.SetText(v.t("btn.mute"))
	}
	v.wizard.setCall(c)

	v.phrases.RemoveAll()
	for _, p := range m.Phrases {
		sit := widget.NewLabelWithStyle(p.Situation, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		sit.Wrapping = fyne.TextWrapWord
		v.phrases.Add(sit)
		say := widget.NewLabel(p.Say)
		say.Wrapping = fyne.TextWrapWord
		v.phrases.Add(say)
		if p.Never != "" {
			never := widget.NewLabel(v.t("phrases.never") + p.Never)
			never.Wrapping = fyne.TextWrapWord
			never.Importance = widget.DangerImportance
			v.phrases.Add(never)
		}
	}
	v.callbacks.RemoveAll()
	if m.QuietHours != "" {
		v.quiet.SetText(v.t("callbacks.quiet", map[string]any{"Hours": m.QuietHours}))
	} else {
		v.quiet.SetText("")
	}
	for _, cb := range m.Callbacks {
		id := cb.ID
		dial := widget.NewButton(v.t("callbacks.dial"), func() { v.onDialCallback(id) })
		enable(dial, m.QuietHours == "" && c == nil)
		row := widget.NewLabel(cb.Customer + "  " + cb.Number + "  " + cb.Due)
		row.Truncation = fyne.TextTruncateEllipsis
		if cb.Overdue {
			row.Importance = widget.DangerImportance
		}
		v.callbacks.Add(container.NewBorder(nil, nil, nil, dial, row))
	}
	v.log.RemoveAll()
	for _, e := range m.Log {
		arrow := "↘"
		if e.Direction == "out" {
			arrow = "↗"
		}
		l := widget.NewLabel(fmt.Sprintf("%s %s %s  %s", e.At.Format("15:04"), arrow, e.Caller, e.Result))
		l.Wrapping = fyne.TextWrapWord
		v.log.Add(l)
	}
	s := m.Stats
	v.stats.SetText(v.t("stats.line", statsData(s)))
}

func (v *deskView) showCaller(c *Call) {
	if c == nil {
		v.callerName.SetText(v.t("caller.none"))
		for _, l := range []*widget.Label{v.callerNumber, v.badge, v.complaints, v.callbacksDue, v.lastCalls} {
			l.SetText("")
		}
		return
	}
	name := c.Salutation
	if name == "" {
		name = c.Name
	}
	switch {
	case c.Anonymous:
		name = v.t("caller.anonymous")
	case name == "":
		name = v.t("caller.unknown")
	}
	v.callerName.SetText(name)
	v.callerNumber.SetText(c.Number)
	switch {
	case !c.Known:
		v.badge.SetText("")
	case c.Member:
		v.badge.SetText("★ " + v.t("caller.member"))
	default:
		v.badge.SetText(v.t("caller.nonmember"))
	}
	text := v.t("caller.open", map[string]any{"Count": c.Open})
	if c.Overdue > 0 {
		text += "  " + v.t("caller.overdue", map[string]any{"Count": c.Overdue})
		v.complaints.Importance = widget.DangerImportance
	} else {
		v.complaints.Importance = widget.MediumImportance
	}
	v.complaints.SetText(text)
	v.callbacksDue.SetText(v.t("caller.callbacks", map[string]any{"Count": c.CallbacksDue}))
	if len(c.LastCalls) > 0 {
		v.lastCalls.SetText(v.t("caller.lastcalls") + ": " + strings.Join(c.LastCalls, "；"))
	} else {
		v.lastCalls.SetText("")
	}
}

// tick redraws the ring or talk timer for now; the shell calls it every
// second while a call is up.
func (v *deskView) tick(now time.Time) {
	c := v.shell.model.Call
	if c == nil || c.State == "ended" {
		v.ringTimer.SetText("")
		v.ringBar.SetValue(0)
		return
	}
	el := now.Sub(c.Since)
	if el < 0 {
		el = 0
	}
	if c.State != "ringing" {
		v.ringBar.SetValue(0)
		if c.State == "held" {
			v.ringTimer.SetText(v.t("call.held"))
		} else {
			v.ringTimer.SetText(v.t("call.talking", map[string]any{"Duration": clock(el)}))
		}
		v.ringTimer.Importance = widget.MediumImportance
		return
	}
	limit := c.RingLimit
	if limit <= 0 {
		limit = 12 * time.Second
	}
	v.ringBar.Max = limit.Seconds()
	v.ringBar.SetValue(min(el.Seconds(), limit.Seconds()))
	if el >= limit {
		v.ringTimer.Importance = widget.DangerImportance
		v.ringTimer.SetText(v.t("ring.late"))
		return
	}
	v.ringTimer.Importance = widget.WarningImportance
	v.ringTimer.SetText(v.t("ring.timer", map[string]any{"Elapsed": int(el.Seconds()), "Limit": int(limit.Seconds())}))
}

func (v *deskView) setOpening(s string) {
	v.opening.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameHeadingText, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true},
	}}}
	v.opening.Refresh()
}

// setSelectQuietly mirrors the agent state in the selectors without
// sending it back to the desk as a command.
func (v *deskView) setSelectQuietly(m Model) {
	on, onR := v.agentState.OnChanged, v.breakReason.OnChanged
	v.agentState.OnChanged, v.breakReason.OnChanged = nil, nil
	defer func() { v.agentState.OnChanged, v.breakReason.OnChanged = on, onR }()
	switch m.Agent {
	case "break":
		v.agentState.SetSelectedIndex(1)
		v.breakReason.Show()
		for i, r := range BreakReasons {
			if r == m.BreakReason {
				v.breakReason.SetSelectedIndex(i)
			}
		}
	case "available":
		v.agentState.SetSelectedIndex(0)
		v.breakReason.ClearSelected()
		v.breakReason.Hide()
	default:
		v.agentState.ClearSelected()
		v.breakReason.Hide()
	}
	enable(v.agentState, m.Call == nil)
}

func (v *deskView) onAgentState(string) {
	if v.agentState.SelectedIndex() == 0 {
		v.shell.do(v.shell.backend.SetAgentState("available", ""))
		return
	}
	v.breakReason.Show()
	if i := v.breakReason.SelectedIndex(); i >= 0 {
		v.shell.do(v.shell.backend.SetAgentState("break", BreakReasons[i]))
	}
}

func (v *deskView) onAnswer() {
	if v.answer.Disabled() {
		return
	}
	v.shell.do(v.shell.backend.Answer())
}

// onHangup asks first while the caller is on the line: the caller hangs
// up first.
func (v *deskView) onHangup() {
	c := v.shell.model.Call
	if v.hangup.Disabled() || c == nil {
		return
	}
	if c.State == "ringing" {
		v.shell.do(v.shell.backend.Hangup())
		return
	}
	v.shell.confirm(v.t("btn.hangup"), v.t("hangup.confirm"), func() { v.shell.do(v.shell.backend.Hangup()) })
}

func (v *deskView) onHold() {
	if v.hold.Disabled() {
		return
	}
	if c := v.shell.model.Call; c != nil && c.State == "held" {
		v.shell.do(v.shell.backend.Resume())
		return
	}
	v.shell.do(v.shell.backend.Hold())
}

func (v *deskView) onMute() {
	if v.mute.Disabled() {
		return
	}
	v.shell.do(v.shell.backend.Mute(!v.shell.model.Call.Muted))
}

func (v *deskView) onTransfer() {
	if v.transfer.Disabled() {
		return
	}
	target := widget.NewEntry()
	target.SetPlaceHolder("8001")
	v.shell.form(v.t("btn.transfer"), widget.NewForm(widget.NewFormItem(v.t("transfer.target"), target)), func() {
		if t := strings.TrimSpace(target.Text); t != "" {
			v.shell.do(v.shell.backend.Transfer(t))
		}
	})
}

func (v *deskView) onKeypad() {
	if v.keypad.Disabled() {
		return
	}
	keys := container.NewGridWithColumns(3)
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"} {
		d := d
		b := widget.NewButton(d, func() { v.shell.do(v.shell.backend.SendDTMF(d)) })
		keys.Add(b)
	}
	v.shell.panel(v.t("btn.keypad"), keys)
}

func (v *deskView) onComplaint() {
	v.right.Select(v.wizardTab)
	v.wizard.start()
}

func (v *deskView) onDialCallback(id string) {
	if v.shell.model.QuietHours != "" {
		v.shell.warn(v.t("err.quiet"))
		return
	}
	v.shell.do(v.shell.backend.DialCallback(id))
}

// shortcut runs the control bound to a function key; it reports whether
// the key was one.
func (v *deskView) shortcut(k fyne.KeyName) bool {
	switch k {
	case fyne.KeyF2:
		v.onAnswer()
	case fyne.KeyF3:
		v.onHangup()
	case fyne.KeyF4:
		v.onHold()
	case fyne.KeyF6:
		v.onTransfer()
	case fyne.KeyF7:
		v.onMute()
	case fyne.KeyF8:
		v.onKeypad()
	case fyne.KeyF9:
		v.onComplaint()
	default:
		return false
	}
	return true
}

type disableable interface {
	Enable()
	Disable()
}

func enable(w disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// clock formats a call's length as m:ss.
func clock(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
