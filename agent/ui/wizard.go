package ui

import (
	"strings"

	"agentdesk/i18n"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// wizardSteps are the pages in order: the five clears, then the report.
var wizardSteps = []string{"wiz.listen", "wiz.ask", "wiz.follow", "wiz.reply", "wiz.record", "wiz.report"}

// severities are the 跟清楚 choices, in the order of the radio group.
var severities = []string{"simple", "complex", "major"}

// wizard guides a complaint through 听清楚, 问清楚, 跟清楚, 复清楚, 记清楚
// and the report. It gathers a ComplaintDraft; what is missing and the
// reply deadline come from the desk.
type wizard struct {
	shell  *Window
	callID string
	step   int

	title, hint *widget.Label
	pages       []fyne.CanvasObject
	body        *fyne.Container

	statement                        *widget.Entry
	what, when, where, subject, want *widget.Entry
	severity                         *widget.RadioGroup
	solved, accepted, readBack       *widget.Check
	replyHow, replySaid              *widget.Entry
	matter, process, result          *widget.Entry
	readBackText, missing, due       *widget.Label
	back, next, save                 *widget.Button
}

func newWizard(s *Window) *wizard { return &wizard{shell: s} }

func (w *wizard) t(id string) string { return tr(w.shell.lang, id) }

func (w *wizard) buildUI() fyne.CanvasObject {
	line := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(w.t(ph))
		return e
	}
	multi := func(ph string) *widget.Entry {
		e := widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
		e.SetPlaceHolder(w.t(ph))
		return e
	}
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.hint = widget.NewLabel("")
	w.hint.Wrapping = fyne.TextWrapWord
	w.statement = multi("wiz.f.statement")
	w.what, w.when, w.where = line("wiz.f.what"), line("wiz.f.when"), line("wiz.f.where")
	w.subject, w.want = line("wiz.f.subject"), line("wiz.ask.wish")
	w.severity = widget.NewRadioGroup([]string{w.t("wiz.simple"), w.t("wiz.complex"), w.t("wiz.major")}, nil)
	w.solved = widget.NewCheck(w.t("wiz.solved"), nil)
	w.replyHow, w.replySaid = line("wiz.f.how"), multi("wiz.f.said")
	w.accepted = widget.NewCheck(w.t("wiz.accepted"), nil)
	w.matter, w.process, w.result = line("wiz.f.matter"), multi("wiz.f.process"), line("wiz.f.result")
	w.readBackText = widget.NewLabel("")
	w.readBackText.Wrapping = fyne.TextWrapWord
	w.readBack = widget.NewCheck(w.t("wiz.confirmed"), func(bool) { w.refreshReport() })
	w.missing = widget.NewLabel("")
	w.missing.Wrapping = fyne.TextWrapWord
	w.due = widget.NewLabel("")
	readBackHint := widget.NewLabel(w.t("wiz.readback"))
	readBackHint.Wrapping = fyne.TextWrapWord
	w.pages = []fyne.CanvasObject{
		w.statement,
		container.NewVBox(w.what, w.when, w.where, w.subject, w.want),
		container.NewVBox(w.severity, w.solved),
		container.NewVBox(w.replyHow, w.replySaid, w.accepted),
		container.NewVBox(w.matter, w.process, w.result),
		container.NewVBox(readBackHint, w.readBackText, w.readBack, w.missing, w.due),
	}
	w.body = container.NewStack()
	w.back = widget.NewButton(w.t("btn.back"), w.onBack)
	w.next = widget.NewButton(w.t("btn.next"), w.onNext)
	w.save = widget.NewButton(w.t("btn.save"), w.onSave)
	w.save.Importance = widget.HighImportance
	w.show(0)
	head := container.NewVBox(widget.NewLabel(w.t("wiz.title")), w.title, w.hint)
	return container.NewBorder(head, container.NewHBox(w.back, w.next, w.save), nil, nil, container.NewVScroll(w.body))
}

// start opens a fresh complaint on the first step.
func (w *wizard) start() {
	for _, e := range []*widget.Entry{w.statement, w.what, w.when, w.where, w.subject, w.want,
		w.replyHow, w.replySaid, w.matter, w.process, w.result} {
		e.SetText("")
	}
	for _, c := range []*widget.Check{w.solved, w.accepted, w.readBack} {
		c.SetChecked(false)
	}
	w.severity.SetSelected("")
	w.show(0)
}

func (w *wizard) setCall(c *Call) {
	if c != nil {
		w.callID = c.ID
	}
}

func (w *wizard) show(i int) {
	w.step = i
	w.title.SetText(w.t(wizardSteps[i]))
	hint := ""
	if i < len(wizardSteps)-1 {
		hint = w.t(wizardSteps[i] + ".hint")
	}
	w.hint.SetText(hint)
	w.body.Objects = []fyne.CanvasObject{w.pages[i]}
	w.body.Refresh()
	enable(w.back, i > 0)
	enable(w.next, i < len(wizardSteps)-1)
	if i == len(wizardSteps)-1 {
		w.refreshReport()
	}
}

func (w *wizard) draft() ComplaintDraft {
	txt := func(e *widget.Entry) string { return strings.TrimSpace(e.Text) }
	sev := ""
	for i, o := range w.severity.Options {
		if o == w.severity.Selected {
			sev = severities[i]
		}
	}
	return ComplaintDraft{
		CallID: w.callID, Statement: txt(w.statement),
		What: txt(w.what), When: txt(w.when), Where: txt(w.where), Subject: txt(w.subject), Wants: txt(w.want),
		ReadBack: w.readBack.Checked, Severity: sev, Solved: w.solved.Checked,
		ReplyHow: txt(w.replyHow), ReplySaid: txt(w.replySaid), Accepted: w.accepted.Checked,
		Matter: txt(w.matter), Process: txt(w.process), Result: txt(w.result),
	}
}

// refreshReport shows the read-back text and what the desk says is missing.
func (w *wizard) refreshReport() {
	if w.missing == nil {
		return
	}
	d := w.draft()
	w.readBackText.SetText(strings.Join(nonEmpty(d.Statement, d.What, d.When, d.Where, d.Subject, d.Wants), "\n"))
	w.showCheck(w.shell.backend.CheckComplaint(d))
}

func (w *wizard) showCheck(c ComplaintCheck) {
	if len(c.Missing) == 0 {
		w.missing.Importance = widget.SuccessImportance
		w.missing.SetText(w.t("wiz.complete"))
	} else {
		lines := make([]string, len(c.Missing))
		for i, m := range c.Missing {
			lines[i] = "• " + missingLine(w.shell.lang, m)
		}
		w.missing.Importance = widget.DangerImportance
		w.missing.SetText(w.t("wiz.missing") + "\n" + strings.Join(lines, "\n"))
	}
	if c.Due.IsZero() {
		w.due.SetText("")
	} else {
		w.due.SetText(tr(w.shell.lang, "wiz.deadline", map[string]any{"Due": c.Due.Format("2006-01-02 15:04")}))
	}
}

func (w *wizard) onBack() {
	if w.step > 0 {
		w.show(w.step - 1)
	}
}

func (w *wizard) onNext() {
	if w.step < len(wizardSteps)-1 {
		w.show(w.step + 1)
	}
}

// onSave stores the draft; the desk commits it before we say it is saved.
func (w *wizard) onSave() {
	c, err := w.shell.backend.SaveComplaint(w.draft())
	if err != nil {
		w.shell.log.Warn("save complaint", "error", err)
		w.show(len(wizardSteps) - 1)
		w.shell.warn(w.t("err.save"))
		return
	}
	w.show(len(wizardSteps) - 1)
	w.showCheck(c)
	w.shell.info(w.t("wiz.saved"))
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// fill puts d into the wizard's fields.
func (w *wizard) fill(d ComplaintDraft) {
	for e, s := range map[*widget.Entry]string{w.statement: d.Statement, w.what: d.What, w.when: d.When,
		w.where: d.Where, w.subject: d.Subject, w.want: d.Wants, w.replyHow: d.ReplyHow, w.replySaid: d.ReplySaid,
		w.matter: d.Matter, w.process: d.Process, w.result: d.Result} {
		e.SetText(s)
	}
	w.solved.SetChecked(d.Solved)
	w.accepted.SetChecked(d.Accepted)
	w.readBack.SetChecked(d.ReadBack)
	for i, s := range severities {
		if s == d.Severity {
			w.severity.SetSelected(w.severity.Options[i])
		}
	}
}

// missingLine names what a step lacks in lang: the step, then what it lacks
// when that has a message. The desk's own words are English, so without a
// message only the English window shows them; other languages get the step.
func missingLine(lang string, m Missing) string {
	line := tr(lang, m.Step)
	switch {
	case m.What != "":
		line += "（" + tr(lang, m.What) + "）"
	case m.Detail != "" && i18n.Match(lang) == "en":
		line += "（" + m.Detail + "）"
	}
	return line
}
