package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// deskView is the agent's screen: status bar, caller card with ring timer,
// the opening line in large type, call controls, and on the right the
// phrase book, complaint wizard, callbacks, my cases, call log, customers
// and today's figures.
type deskView struct {
	shell *Window

	pbx, sync, pack, agent *widget.Label
	sound                  *widget.Label
	micLevel, earLevel     *widget.ProgressBar
	recPaused              *widget.Label
	// monitored says a supervisor is on the call (when the center shows
	// it); coaching holds the supervisors' notes not yet seen.
	monitored *widget.Label
	coaching  *fyne.Container
	coachSeen string // the note shown, to mark seen
	// playing is the recording playing on the headset ("" none), stopPlay
	// stops it.
	playing  string
	stopPlay func()
	// status is the status bar; its labels change width with their text,
	// so it is laid out again when one changes.
	status      *fyne.Container
	agentState  *selectBox
	breakReason *selectBox

	callerName, callerNumber, badge *widget.Label
	complaints, callbacksDue        *widget.Label
	lastCalls                       *widget.Label
	ringTimer                       *widget.Label
	ringBar                         *widget.ProgressBar
	opening                         *widget.RichText
	reminder                        *widget.Label
	silent                          bool

	answer, hangup, hold, transfer, mute, keypad, complaint, silentBtn, record *widget.Button

	right     *container.AppTabs
	wizard    *wizard
	customers *customersView
	wizardTab *container.TabItem
	wrapUp    *wrapUpView
	wrapTab   *container.TabItem
	cbPanel   *callbackPanel
	cbTab     *container.TabItem
	phrases   *fyne.Container
	callbacks *fyne.Container
	quiet     *widget.Label
	cases     *fyne.Container
	cardCases *fyne.Container
	// left is the caller's side; laid out again when the card's cases
	// change its height.
	left    *container.Scroll
	closing *widget.Label
	log     *fyne.Container
	stats   *widget.Label
	// seenNotice is the newest notice already turned into a desktop
	// notification.
	seenNotice time.Time
}

func newDeskView(s *Window) *deskView { return &deskView{shell: s} }

func (v *deskView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

func (v *deskView) buildUI() fyne.CanvasObject {
	v.pbx, v.sync, v.pack, v.agent = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel("")
	states := []string{v.t("agent.available"), v.t("agent.break")}
	v.agentState = newSelect(v.shell, states, nil)
	v.agentState.PlaceHolder = "—"
	reasons := make([]string, len(BreakReasons))
	for i, r := range BreakReasons {
		reasons[i] = v.t("break." + r.String())
	}
	v.breakReason = newSelect(v.shell, reasons, nil)
	v.breakReason.PlaceHolder = v.t("break.pick")
	v.sound = widget.NewLabel("")
	v.sound.Importance = widget.DangerImportance
	meter := func() *widget.ProgressBar {
		b := widget.NewProgressBar()
		b.TextFormatter = func() string { return "" }
		return b
	}
	v.micLevel, v.earLevel = meter(), meter()
	small := func(id string) *widget.Label {
		l := widget.NewLabel(v.t(id))
		l.SizeName = theme.SizeNameCaptionText
		return l
	}
	bars := func(b *widget.ProgressBar) fyne.CanvasObject {
		return container.NewGridWrap(fyne.NewSize(60, 10), b)
	}
	levels := container.NewHBox(small("meter.mic"), container.NewCenter(bars(v.micLevel)),
		small("meter.ear"), container.NewCenter(bars(v.earLevel)))
	v.status = container.NewHBox(v.pbx, widget.NewSeparator(), v.sync, widget.NewSeparator(), v.pack,
		widget.NewSeparator(), v.agent, wideEnough(v.agentState), v.breakReason, widget.NewSeparator(), v.sound, levels)

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
	v.cardCases = container.NewVBox()
	card := widget.NewCard("", "", container.NewVBox(
		container.NewHBox(v.callerName, v.badge),
		v.callerNumber,
		container.NewHBox(v.complaints, v.callbacksDue),
		v.lastCalls,
		v.cardCases,
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
	v.silentBtn = widget.NewButtonWithIcon(v.t("btn.silent"), theme.VolumeDownIcon(), v.onSilent)
	v.complaint = widget.NewButtonWithIcon(v.t("btn.complaint"), theme.DocumentCreateIcon(), v.onComplaint)
	v.record = widget.NewButtonWithIcon(v.t("btn.record.pause"), theme.MediaRecordIcon(), v.onRecord)
	controls := container.NewGridWithColumns(4, v.answer, v.hangup, v.hold, v.transfer, v.mute, v.keypad,
		v.silentBtn, v.complaint, v.record)

	v.closing = widget.NewLabel("")
	v.closing.Wrapping = fyne.TextWrapWord
	v.recPaused = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.recPaused.Importance = widget.WarningImportance
	v.monitored = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.monitored.Importance = widget.HighImportance
	v.coaching = container.NewVBox()
	left := container.NewVBox(card, container.NewHBox(v.ringTimer, v.recPaused, v.monitored), v.ringBar,
		widget.NewLabelWithStyle(v.t("opening"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.opening, v.reminder, controls, v.closing, v.coaching)

	v.phrases = container.NewVBox()
	v.wizard = newWizard(v.shell)
	v.customers = &customersView{shell: v.shell}
	v.callbacks = container.NewVBox()
	v.quiet = widget.NewLabel("")
	v.quiet.Importance = widget.WarningImportance
	v.quiet.Wrapping = fyne.TextWrapWord
	v.cases = container.NewVBox()
	v.log = container.NewVBox()
	v.stats = widget.NewLabel("")
	v.stats.Wrapping = fyne.TextWrapWord
	v.wizardTab = container.NewTabItem(v.t("wiz.tab"), v.wizard.buildUI())
	v.wrapUp = &wrapUpView{shell: v.shell}
	v.wrapTab = container.NewTabItem(v.t("wrap.tab"), v.wrapUp.buildUI())
	v.cbPanel = &callbackPanel{shell: v.shell}
	v.cbTab = container.NewTabItem(v.t("callbacks"), container.NewBorder(v.quiet, nil, nil, nil,
		v.cbPanel.buildUI(container.NewVScroll(v.callbacks))))
	logCall := widget.NewButton(v.t("logcall.title"), v.shell.logCallForm)
	v.right = container.NewAppTabs(
		container.NewTabItem(v.t("phrases"), container.NewVScroll(v.phrases)),
		v.wizardTab,
		v.wrapTab,
		container.NewTabItem(v.t("cases"), container.NewVScroll(v.cases)),
		v.cbTab,
		container.NewTabItem(v.t("log"), container.NewBorder(container.NewHBox(logCall), nil, nil, nil, container.NewVScroll(v.log))),
		container.NewTabItem(v.t("customers"), v.customers.buildUI()),
		container.NewTabItem(v.t("stats"), v.stats),
	)
	v.left = container.NewVScroll(left)
	split := container.NewHSplit(v.left, v.right)
	split.Offset = 0.55
	v.agentState.OnChanged = v.onAgentState
	v.breakReason.OnChanged = v.onAgentState
	return container.NewBorder(v.status, nil, nil, nil, split)
}

// apply shows view m; it runs on the Fyne goroutine only.
func (v *deskView) apply(m desk.View) {
	if v.pbx == nil {
		return
	}
	v.pbx.SetText(v.t("status.pbx") + ": " + v.t("pbx."+lineCode(m.Line)))
	v.sync.SetText(v.t("status.sync") + ": " + syncText(v.shell.lang, m.Sync))
	v.pack.SetText(packText(v.shell.lang, m.Pack))
	v.tickACW(m.At)
	v.setSelectQuietly(m)

	c := m.Call
	v.showCaller(c)
	v.tick(m.At)
	if c == nil {
		v.silent = false
	}
	if v.silent {
		v.setOpening(m.SilentLine)
	} else {
		v.setOpening(m.Opening)
	}
	if m.HangupReminder {
		v.reminder.SetText(v.t("hangup.reminder"))
	} else {
		v.reminder.SetText("")
	}
	busy := v.shell.busy
	ringing := c != nil && c.Status == desk.CallRinging && !c.Outbound()
	live := c != nil && (c.Status == desk.CallOnCall || c.Status == desk.CallHeld)
	v.command(v.answer, "answer", "btn.answer", ringing)
	v.command(v.hangup, "hangup", "btn.hangup", c != nil)
	holdLabel := "btn.hold"
	if c != nil && c.Status == desk.CallHeld {
		holdLabel = "btn.resume"
	}
	v.command(v.hold, "hold", holdLabel, live)
	v.command(v.transfer, "transfer", "btn.transfer", live)
	muteLabel := "btn.mute"
	if m.Muted {
		muteLabel = "btn.unmute"
	}
	v.command(v.mute, "mute", muteLabel, live)
	v.command(v.keypad, "dtmf", "btn.keypad", live)
	recLabel := "btn.record.pause"
	if c != nil && c.RecordPaused {
		recLabel = "btn.record.resume"
	}
	v.command(v.record, "record", recLabel, live)
	if c != nil && c.RecordPaused {
		v.record.Importance = widget.WarningImportance
		v.recPaused.SetText(v.t("record.paused"))
	} else {
		v.record.Importance = widget.MediumImportance
		v.recPaused.SetText("")
	}
	if mt := monitoredText(v.shell.lang, m.Monitored, m.At); mt != v.monitored.Text {
		wasEmpty := v.monitored.Text == ""
		v.monitored.SetText(mt)
		if wasEmpty || mt == "" {
			v.relayoutLeft() // the line beside the timer appeared or went
		}
	}
	v.applyCoaching(m)
	if m.Audio.Problem != "" {
		v.sound.SetText(v.t("sound."+m.Audio.Problem, map[string]any{"Role": v.t("sound.role." + m.Audio.Role)}))
	} else {
		v.sound.SetText("")
	}
	v.status.Refresh()
	enable(v.silentBtn, c != nil)
	if v.silent {
		v.silentBtn.SetText(v.t("btn.silent.off"))
	} else {
		v.silentBtn.SetText(v.t("btn.silent"))
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
		if len(p.Never) > 0 {
			never := widget.NewLabel(v.t("phrases.never") + strings.Join(p.Never, "；"))
			never.Wrapping = fyne.TextWrapWord
			never.Importance = widget.DangerImportance
			v.phrases.Add(never)
		}
	}
	v.showCallbacks(m, busy)
	v.cbPanel.apply(m)
	v.showCases(m)
	v.showClosing(m)
	if m.WrapUp != nil && m.WrapUp.RecordID != v.wrapUp.recordID {
		v.wrapUp.pending(m.WrapUp, v.zone(m))
		if m.Call == nil {
			v.right.Select(v.wrapTab)
			v.wrapUp.focus()
		}
	}
	v.log.RemoveAll()
	for _, e := range m.Log {
		v.log.Add(v.logRow(e, m))
	}
	if len(m.Log) == 0 {
		v.log.Add(widget.NewLabel(v.t("sup.none")))
	}
	stats := v.t("stats.line", statsData(m.Today))
	if by := byTypeText(v.shell.lang, m.Today.ByType); by != "" {
		stats += "\n" + by
	}
	v.stats.SetText(stats)
	v.notify(m)
}

// logRow is one call of today's log; a taken call not wrapped up yet has a
// button to wrap it up.
func (v *deskView) logRow(e agent.Call, m desk.View) fyne.CanvasObject {
	line := logLine(v.shell.lang, e, v.zone(m))
	var buttons []fyne.CanvasObject
	if r, ok := m.Recordings[e.CallID]; ok && e.CallID != "" {
		buttons = append(buttons, v.playButton(r))
	}
	if !e.Wrapped() && e.Answered {
		buttons = append(buttons, widget.NewButton(v.t("wrap.button"), func() {
			v.wrapUp.call(e, v.zone(m))
			v.right.Select(v.wrapTab)
		}))
	}
	if len(buttons) == 0 {
		return line
	}
	return container.NewBorder(nil, nil, nil, container.NewHBox(buttons...), line)
}

// playButton plays a recording on the headset (▶ with its length); while
// it plays it reads ■ and stops it. One recording plays at a time.
func (v *deskView) playButton(r agent.Recording) fyne.CanvasObject {
	if v.playing == r.ID {
		return widget.NewButtonWithIcon(v.t("btn.play.stop"), theme.MediaStopIcon(), func() {
			if v.stopPlay != nil {
				v.stopPlay()
			}
		})
	}
	b := widget.NewButtonWithIcon(clock(r.Duration), theme.MediaPlayIcon(), func() {
		if v.playing != "" {
			return
		}
		id, d := r.ID, v.shell.desk
		ctx, cancel := context.WithTimeout(context.Background(), r.Duration+10*time.Second)
		v.playing, v.stopPlay = id, cancel
		v.shell.run("play", func() error { return d.PlayRecording(ctx, id) }, func(err error) {
			cancel()
			v.playing, v.stopPlay = "", nil
			v.apply(v.shell.view)
			if err != nil {
				v.shell.warn(errText(v.shell.lang, err))
			}
		})
	})
	if v.playing != "" || v.shell.view.Call != nil {
		b.Disable() // one at a time, and never over a call in the headset
	}
	return b
}

// showClosing shows the pack's closing lines while the caller is on the
// line, with the reminder to let the caller hang up first.
func (v *deskView) showClosing(m desk.View) {
	c := m.Closing
	if c == nil {
		v.closing.SetText("")
		return
	}
	lines := []string{v.t("closing.title")}
	for _, r := range c.Reassure {
		lines = append(lines, "· "+r)
	}
	for _, l := range []string{c.Thanks, c.Goodbye} {
		if l != "" {
			lines = append(lines, "· "+l)
		}
	}
	if c.HangUpFirst != "" {
		lines = append(lines, c.HangUpFirst)
	}
	v.closing.SetText(strings.Join(lines, "\n"))
}

// notify turns the desk's new notices of cases falling due into desktop
// notifications (the agent may be in another window).
func (v *deskView) notify(m desk.View) {
	newest := v.seenNotice
	for _, n := range m.Notices {
		if !n.At.After(v.seenNotice) {
			continue
		}
		if n.At.After(newest) {
			newest = n.At
		}
		if n.ID == desk.NoticeCaseDue || n.ID == desk.NoticeCaseOverdue {
			v.shell.app.SendNotification(fyne.NewNotification(v.t("notify.case"),
				v.t(n.ID, map[string]any{"customer": n.Args["customer"], "what": n.Args["what"], "due": n.Args["due"]})))
		}
	}
	v.seenNotice = newest
}

// byTypeText is the day's calls by wrap-up type.
func byTypeText(lang string, by map[string]int) string {
	var parts []string
	for _, k := range []string{"consultation", "complaint", "other", agent.Unwrapped} {
		if n := by[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", tr(lang, "call.type."+k), n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "  ")
}

// command shows a call control: enabled when the call allows it and it is
// not already in flight; in flight it says so.
func (v *deskView) command(b *widget.Button, key, label string, allowed bool) {
	if v.shell.busy[key] {
		b.SetText(v.t(label) + " …")
		b.Disable()
		return
	}
	b.SetText(v.t(label))
	enable(b, allowed)
}

func (v *deskView) zone(m desk.View) *time.Location {
	if m.Zone != nil {
		return m.Zone
	}
	return time.Local
}

func (v *deskView) showCallbacks(m desk.View, busy map[string]bool) {
	v.callbacks.RemoveAll()
	if !m.QuietUntil.IsZero() {
		v.quiet.SetText(v.t("callbacks.quiet", map[string]any{"Hours": "→ " + m.QuietUntil.In(v.zone(m)).Format("15:04")}))
		v.quiet.Show()
	} else {
		v.quiet.SetText("")
		v.quiet.Hide()
	}
	for _, cb := range m.Callbacks {
		id := cb.ID
		dial := widget.NewButton(v.t("callbacks.dial"), func() { v.onDialCallback(id) })
		if cb.Purpose != "" {
			dial.SetText(v.t("callbacks.dial"))
		}
		key := "dial:" + id
		if busy[key] {
			dial.SetText(v.t("callbacks.dial") + " …")
		}
		enable(dial, cb.Dialable && !busy[key])
		who := orDefault(cb.Customer, v.t("caller.unknown"))
		row := widget.NewLabel(who + "  " + cb.Number + "  " + v.t("callbacks.due", map[string]any{"Due": cb.Due.In(v.zone(m)).Format("01-02 15:04")}))
		row.Truncation = fyne.TextTruncateEllipsis
		if cb.Overdue {
			row.Importance = widget.DangerImportance
		}
		v.callbacks.Add(container.NewBorder(nil, nil, nil, dial, row))
	}
	if len(m.Callbacks) == 0 {
		v.callbacks.Add(widget.NewLabel(v.t("sup.none")))
	}
}

func (v *deskView) showCases(m desk.View) {
	v.cases.RemoveAll()
	for _, c := range m.Cases {
		v.cases.Add(v.caseRow(c, m))
	}
	if len(m.Cases) == 0 {
		v.cases.Add(widget.NewLabel(v.t("sup.none")))
	}
}

// caseRow is one case with its button to open it: overdue in red, due
// soon in amber, waiting for this agent (escalated to them) marked.
func (v *deskView) caseRow(c desk.CaseRow, m desk.View) fyne.CanvasObject {
	text := orDefault(c.Customer, "—") + "  " + c.What
	switch {
	case c.Overdue:
		text += "  " + v.t("cases.overdue", map[string]any{"Due": c.ReplyDue.In(v.zone(m)).Format("01-02 15:04")})
	case !c.ReplyDue.IsZero():
		text += "  " + v.t("wiz.deadline", map[string]any{"Due": c.ReplyDue.In(v.zone(m)).Format("01-02 15:04")})
	default:
		text += "  " + v.t("case.state."+c.State.String())
	}
	if c.WaitingForMe {
		text = v.t("cases.waiting") + "  " + text
	}
	if w := c.Warning; w != nil && !w.Done {
		text += "  " + v.t("cases.warning", map[string]any{"Stage": v.t("sla." + w.StageName)})
	}
	l := widget.NewLabel(text)
	l.Truncation = fyne.TextTruncateEllipsis
	switch {
	case c.Overdue || (c.Warning != nil && c.Warning.Late):
		l.Importance = widget.DangerImportance
	case c.DueSoon || c.WaitingForMe:
		l.Importance = widget.WarningImportance
	}
	id := c.ID
	open := widget.NewButton(v.t("case.open"), func() { v.shell.openCase(id) })
	return container.NewBorder(nil, nil, nil, open, l)
}

func logLine(lang string, e agent.Call, zone *time.Location) fyne.CanvasObject {
	arrow := "↘"
	if e.Direction == agent.Outbound {
		arrow = "↗"
	}
	text := fmt.Sprintf("%s %s %s  %s", e.At.In(zone).Format("15:04"), arrow, e.Number, callKind(lang, e))
	if e.Answered {
		text += "  " + tr(lang, "log.answered")
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// callKind is what a call of the log was: missed, not wrapped up yet, or
// its wrap-up type.
func callKind(lang string, e agent.Call) string {
	switch {
	case !e.Answered && e.Direction == agent.Inbound:
		return tr(lang, "log.missed")
	case !e.Wrapped():
		return tr(lang, "call.type.unwrapped")
	}
	return tr(lang, "call.type."+e.Type.String())
}

func (v *deskView) showCaller(c *desk.Call) {
	if c == nil {
		v.callerName.SetText(v.t("caller.none"))
		for _, l := range []*widget.Label{v.callerNumber, v.badge, v.complaints, v.callbacksDue, v.lastCalls} {
			l.SetText("")
		}
		if len(v.cardCases.Objects) > 0 {
			v.cardCases.RemoveAll()
			v.relayoutLeft()
		}
		return
	}
	name := ""
	if c.Customer != nil {
		name = c.Salutation
		if name == "" {
			name = c.Customer.Name
		}
	}
	switch {
	case c.Anonymous:
		name = v.t("caller.anonymous")
	case name == "" && c.DisplayName != "":
		name = c.DisplayName
	case name == "":
		name = v.t("caller.unknown")
	}
	v.callerName.SetText(name)
	v.callerNumber.SetText(c.Number)
	switch {
	case c.Customer == nil:
		v.badge.SetText("")
	case c.Customer.Member:
		v.badge.SetText("★ " + v.t("caller.member"))
	default:
		v.badge.SetText(v.t("caller.nonmember"))
	}
	if len(c.Customers) > 1 {
		v.badge.SetText(v.badge.Text + "  " + v.t("caller.several", map[string]any{"Count": len(c.Customers)}))
	}
	card := c.Card
	had := len(v.cardCases.Objects) > 0
	v.cardCases.RemoveAll()
	defer func() {
		if had || len(v.cardCases.Objects) > 0 {
			v.relayoutLeft() // the card's height changed: what is below it moves
		}
	}()
	if card == nil {
		v.complaints.SetText("")
		v.callbacksDue.SetText("")
		v.lastCalls.SetText("")
		return
	}
	for _, cr := range card.Cases {
		v.cardCases.Add(v.caseRow(cr, v.shell.view))
	}
	text := v.t("caller.open", map[string]any{"Count": card.OpenComplaints})
	if card.OverdueReplies > 0 {
		text += "  " + v.t("caller.overdue", map[string]any{"Count": card.OverdueReplies})
		v.complaints.Importance = widget.DangerImportance
	} else {
		v.complaints.Importance = widget.MediumImportance
	}
	v.complaints.SetText(text)
	v.callbacksDue.SetText(v.t("caller.callbacks", map[string]any{"Count": card.CallbacksPending}))
	if len(card.LastCalls) > 0 {
		parts := make([]string, len(card.LastCalls))
		for i, lc := range card.LastCalls {
			parts[i] = lc.At.In(v.zone(v.shell.view)).Format("01-02 15:04") + " " + callKind(v.shell.lang, lc)
		}
		v.lastCalls.SetText(v.t("caller.lastcalls") + ": " + strings.Join(parts, "；"))
	} else {
		v.lastCalls.SetText("")
	}
}

// relayoutLeft lays the caller's side out again: a container does not
// follow a child whose height changed.
func (v *deskView) relayoutLeft() {
	v.left.Content.Refresh()
	v.left.Refresh()
}

// tick redraws the ring or talk timer for now, and the after-call work's;
// the shell calls it every second.
func (v *deskView) tick(now time.Time) {
	if v.ringTimer == nil {
		return
	}
	v.tickACW(now)
	c := v.shell.view.Call
	if c == nil {
		v.ringTimer.SetText("")
		v.ringBar.Hide()
		return
	}
	if c.Status != desk.CallRinging {
		v.ringBar.Hide()
		if c.Status == desk.CallHeld {
			v.ringTimer.SetText(v.t("call.held"))
		} else {
			v.ringTimer.SetText(v.t("call.talking", map[string]any{"Duration": clock(max(0, now.Sub(c.AnsweredAt)))}))
		}
		v.ringTimer.Importance = widget.MediumImportance
		return
	}
	el := max(0, now.Sub(c.RingStarted))
	if c.Outbound() {
		// Our own call ringing at the customer's: no third ring to beat.
		v.ringBar.Hide()
		v.ringTimer.Importance = widget.MediumImportance
		v.ringTimer.SetText(v.t("call.dialing", map[string]any{"Duration": clock(el)}))
		return
	}
	limit := c.RingLimit
	v.ringBar.Show()
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

// tickACW shows the after-call work's time against its limit in the status
// bar, in red once over.
func (v *deskView) tickACW(now time.Time) {
	m := v.shell.view
	text := v.t("status.agent") + ": " + v.t("agent."+m.Agent.Status.String())
	if m.Agent.Status == agent.StatusBreak && m.Agent.Reason != agent.ReasonNone {
		text += "（" + v.t("break."+m.Agent.Reason.String()) + "）"
	}
	v.agent.Importance = widget.MediumImportance
	if a := m.ACW; a != nil {
		text += " " + v.t("acw.timer", map[string]any{"Elapsed": clock(max(0, now.Sub(a.Since))), "Limit": clock(a.Limit)})
		if now.Sub(a.Since) > a.Limit {
			v.agent.Importance = widget.DangerImportance
		}
	}
	if v.agent.Text != text {
		v.agent.SetText(text)
		v.status.Refresh()
	}
}

func (v *deskView) setOpening(s string) {
	v.opening.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameHeadingText, ColorName: theme.ColorNamePrimary, TextStyle: fyne.TextStyle{Bold: true},
	}}}
	v.opening.Refresh()
}

// setSelectQuietly mirrors the agent state in the selectors without
// sending it back to the desk as a command.
func (v *deskView) setSelectQuietly(m desk.View) {
	on, onR := v.agentState.OnChanged, v.breakReason.OnChanged
	v.agentState.OnChanged, v.breakReason.OnChanged = nil, nil
	defer func() { v.agentState.OnChanged, v.breakReason.OnChanged = on, onR }()
	switch m.Agent.Status {
	case agent.StatusBreak:
		v.agentState.SetSelectedIndex(1)
		v.breakReason.Show()
		for i, r := range BreakReasons {
			if r == m.Agent.Reason {
				v.breakReason.SetSelectedIndex(i)
			}
		}
	case agent.StatusAvailable:
		v.agentState.SetSelectedIndex(0)
		v.breakReason.ClearSelected()
		v.breakReason.Hide()
	default:
		v.agentState.ClearSelected()
		v.breakReason.Hide()
	}
	enable(v.agentState, m.Call == nil && !v.shell.busy["state"])
}

func (v *deskView) onAgentState(string) {
	d := v.shell.desk
	if v.agentState.SelectedIndex() == 0 {
		v.shell.run("state", func() error { return d.SetAgentState(agent.StatusAvailable, agent.ReasonNone) }, nil)
		return
	}
	v.breakReason.Show()
	if i := v.breakReason.SelectedIndex(); i >= 0 {
		r := BreakReasons[i]
		v.shell.run("state", func() error { return d.SetAgentState(agent.StatusBreak, r) }, nil)
	}
}

func (v *deskView) onAnswer() {
	c := v.shell.view.Call
	if c == nil || c.Status != desk.CallRinging || c.Outbound() {
		return
	}
	id, d := c.CallID, v.shell.desk
	v.shell.run("answer", func() error { return d.Answer(id) }, nil)
}

// onHangup asks first while the caller is on the line: the caller hangs
// up first.
func (v *deskView) onHangup() {
	c := v.shell.view.Call
	if c == nil {
		return
	}
	id, d := c.CallID, v.shell.desk
	hang := func() { v.shell.run("hangup", func() error { return d.Hangup(id) }, nil) }
	if c.Status == desk.CallRinging {
		hang()
		return
	}
	v.shell.confirm(v.t("btn.hangup"), v.t("hangup.confirm"), hang)
}

func (v *deskView) onHold() {
	c := v.shell.view.Call
	if c == nil || c.Status == desk.CallRinging {
		return
	}
	id, d := c.CallID, v.shell.desk
	if c.Status == desk.CallHeld {
		v.shell.run("hold", func() error { return d.Resume(id) }, nil)
		return
	}
	v.shell.run("hold", func() error { return d.Hold(id) }, nil)
}

func (v *deskView) onMute() {
	c := v.shell.view.Call
	if c == nil || c.Status == desk.CallRinging {
		return
	}
	id, on, d := c.CallID, !v.shell.view.Muted, v.shell.desk
	v.shell.run("mute", func() error { return d.Mute(id, on) }, nil)
}

// onRecord pauses the call's recording (a card number is read out) or
// records again.
func (v *deskView) onRecord() {
	c := v.shell.view.Call
	if c == nil || c.Status == desk.CallRinging {
		return
	}
	id, d := c.CallID, v.shell.desk
	if c.RecordPaused {
		v.shell.run("record", func() error { return d.ResumeRecording(id) }, nil)
		return
	}
	v.shell.run("record", func() error { return d.PauseRecording(id) }, nil)
}

// meter shows the headset's levels (0..1): microphone, earpiece.
func (v *deskView) meter(in, out float64) {
	if v.micLevel == nil {
		return
	}
	v.micLevel.SetValue(in)
	v.earLevel.SetValue(out)
}

func (v *deskView) onSilent() {
	if v.shell.view.Call == nil {
		return
	}
	v.silent = !v.silent
	v.apply(v.shell.view)
}

func (v *deskView) onTransfer() {
	c := v.shell.view.Call
	if c == nil || c.Status == desk.CallRinging {
		return
	}
	target := newField(v.shell, "8001")
	id, d := c.CallID, v.shell.desk
	v.shell.form(v.t("btn.transfer"), widget.NewForm(widget.NewFormItem(v.t("transfer.target"), target)), target, func() {
		if t := strings.TrimSpace(target.Text); t != "" {
			v.shell.run("transfer", func() error { return d.Transfer(id, t) }, nil)
		}
	})
}

func (v *deskView) onKeypad() {
	c := v.shell.view.Call
	if c == nil || c.Status == desk.CallRinging {
		return
	}
	keys := container.NewGridWithColumns(3)
	id, d := c.CallID, v.shell.desk
	for _, digit := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"} {
		keys.Add(widget.NewButton(digit, func() {
			v.shell.run("dtmf:"+digit, func() error { return d.SendDTMF(id, digit) }, nil)
		}))
	}
	v.shell.panel(v.t("btn.keypad"), keys)
}

func (v *deskView) onComplaint() {
	v.shell.ShowTab(TabDesk)
	v.right.Select(v.wizardTab)
	v.wizard.start()
}

func (v *deskView) onDialCallback(id string) {
	d := v.shell.desk
	v.shell.run("dial:"+id, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), desk.CommandTimeout)
		defer cancel()
		_, err := d.StartCallback(ctx, id)
		return err
	}, nil)
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
	case fyne.KeyF5:
		v.onSilent()
	case fyne.KeyF6:
		v.onTransfer()
	case fyne.KeyF7:
		v.onMute()
	case fyne.KeyF8:
		v.onKeypad()
	case fyne.KeyF9:
		v.onComplaint()
	case fyne.KeyF10:
		v.onRecord()
	default:
		return false
	}
	return true
}

// wideEnough gives a drop-down in a row the width of its longest choice: a
// Select asks only for its placeholder's width, and shows "…" for a longer
// choice.
func wideEnough(s *selectBox) fyne.CanvasObject {
	w := fyne.MeasureText(s.PlaceHolder, theme.TextSize(), fyne.TextStyle{}).Width
	for _, o := range s.Options {
		w = max(w, fyne.MeasureText(o, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	return container.New(minWidth(w+theme.InnerPadding()*4+theme.IconInlineSize()), s)
}

// minWidth lays its objects out over the whole container, which is at least
// that wide.
type minWidth float32

// MinSize is the objects' largest minimum, at least m wide.
func (m minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	size := fyne.NewSize(float32(m), 0)
	for _, o := range objs {
		size = size.Max(o.MinSize())
	}
	return size
}

// Layout gives every object the whole container.
func (m minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
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

// lineCode is the status bar's code of the phone line.
func lineCode(r desk.Registration) string {
	switch {
	case r.Practice:
		return "practice"
	case r.Status == desk.RegRegistered:
		return "registered"
	case r.Status == desk.RegConnecting:
		return "connecting"
	}
	return "failed"
}

// syncText is the status bar's sync item.
func syncText(lang string, s desk.SyncStatus) string {
	var text string
	switch {
	case !s.Enabled:
		return tr(lang, "sync.none")
	case s.Failing:
		text = tr(lang, "sync.offline")
		if s.Pending > 0 {
			text += " · " + tr(lang, "sync.pending", map[string]any{"Count": s.Pending})
		}
	case s.Pending > 0:
		text = tr(lang, "sync.pending", map[string]any{"Count": s.Pending})
	default:
		text = tr(lang, "sync.ok")
	}
	if !s.LastSync.IsZero() {
		text += " · " + s.LastSync.Format("15:04")
	}
	return text
}

// packText names the script pack in the status bar.
func packText(lang string, p desk.PackInfo) string {
	switch {
	case p.Version > 0 && p.Name != "":
		name := strings.TrimSuffix(filepath.Base(p.Name), filepath.Ext(p.Name))
		return tr(lang, "pack.published_named", map[string]any{"Name": name, "Version": p.Version})
	case p.Version > 0:
		return tr(lang, "pack.published", map[string]any{"Version": p.Version})
	case p.Name != "":
		return tr(lang, "pack.file", map[string]any{"Name": p.Name})
	}
	return tr(lang, "pack.default")
}

// BreakReasons are the reason codes offered for a break, in order.
var BreakReasons = []agent.BreakReason{agent.ReasonRest, agent.ReasonMeal, agent.ReasonTraining,
	agent.ReasonMeeting, agent.ReasonCoaching, agent.ReasonPaperwork}

// applyCoaching shows the newest coaching note not yet seen (after the
// call: the view has none during one), with how many more wait.
func (v *deskView) applyCoaching(m desk.View) {
	if len(m.Coaching) == 0 {
		if v.coachSeen != "" {
			v.coachSeen = ""
			v.coaching.RemoveAll()
			v.relayoutLeft()
		}
		return
	}
	n := m.Coaching[0]
	if n.ID == v.coachSeen {
		return
	}
	v.coachSeen = n.ID
	text := widget.NewLabel(coachingText(v.shell.lang, m.Zone, n.By, n.Text, n.At))
	text.Wrapping = fyne.TextWrapWord
	title := v.t("coach.title")
	if more := len(m.Coaching) - 1; more > 0 {
		title += " " + v.t("coach.more", map[string]any{"Count": more})
	}
	var ok *widget.Button
	ok = widget.NewButton(v.t("coach.seen"), func() {
		ok.Disable()
		id := n.ID
		v.shell.run("coaching-seen", func() error { return v.shell.desk.SeenCoaching(id) }, nil)
	})
	v.coaching.RemoveAll()
	v.coaching.Add(widget.NewCard(title, "", container.NewVBox(text, container.NewHBox(ok))))
	v.relayoutLeft()
}
