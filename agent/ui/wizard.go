package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// wizardSteps are the pages in order: the five clears, then the report.
var wizardSteps = []string{"wiz.listen", "wiz.ask", "wiz.follow", "wiz.reply", "wiz.record", "wiz.report"}

// severities are the 跟清楚 choices, in the order of the radio group.
var severities = []agent.Severity{agent.SeveritySimple, agent.SeverityComplex, agent.SeverityMajor}

// dueLayout is how the agreed reply time is typed (in the center's zone).
const dueLayout = "2006-01-02 15:04"

// wizard guides a complaint through 听清楚, 问清楚, 跟清楚, 复清楚, 记清楚
// and the report. It gathers a desk.ComplaintDraft; what is missing and the
// reply deadline come from the desk. A draft keeps the case it was saved as,
// so saving again edits that case.
type wizard struct {
	shell  *Window
	callID string
	caseID string
	step   int
	// checkSeq numbers the desk's checks: only the newest one's verdict is
	// shown.
	checkSeq int

	title, hint *widget.Label
	pages       []fyne.CanvasObject
	body        *fyne.Container

	statement                        *field
	what, when, where, subject, want *field
	severity                         *selectBox
	solved, accepted, readBack       *checkBox
	due, dueReason                   *field
	replyHow, replySaid              *field
	matter, process, result          *field
	readBackText, missing, deadline  *widget.Label
	back, next, save                 *widget.Button
}

func newWizard(s *Window) *wizard { return &wizard{shell: s} }

func (w *wizard) t(id string, data ...map[string]any) string { return tr(w.shell.lang, id, data...) }

func (w *wizard) buildUI() fyne.CanvasObject {
	line := func(ph string) *field { return newField(w.shell, w.t(ph)) }
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.hint = widget.NewLabel("")
	w.hint.Wrapping = fyne.TextWrapWord
	w.statement = newArea(w.shell, w.t("wiz.f.statement"), 4)
	w.what, w.when, w.where = line("wiz.f.what"), line("wiz.f.when"), line("wiz.f.where")
	w.subject, w.want = line("wiz.f.subject"), line("wiz.ask.wish")
	w.severity = newSelect(w.shell, []string{w.t("wiz.simple"), w.t("wiz.complex"), w.t("wiz.major")}, nil)
	w.severity.PlaceHolder = w.t("wiz.severity.pick")
	w.solved = newCheck(w.shell, w.t("wiz.solved"), nil)
	w.due, w.dueReason = line("wiz.f.due"), line("wiz.f.due_reason")
	w.replyHow, w.replySaid = line("wiz.f.how"), newArea(w.shell, w.t("wiz.f.said"), 3)
	w.accepted = newCheck(w.shell, w.t("wiz.accepted"), nil)
	w.matter, w.process, w.result = line("wiz.f.matter"), newArea(w.shell, w.t("wiz.f.process"), 3), line("wiz.f.result")
	w.readBackText = widget.NewLabel("")
	w.readBackText.Wrapping = fyne.TextWrapWord
	w.readBack = newCheck(w.shell, w.t("wiz.confirmed"), func(bool) { w.refreshReport() })
	w.missing = widget.NewLabel("")
	w.missing.Wrapping = fyne.TextWrapWord
	w.deadline = widget.NewLabel("")
	readBackHint := widget.NewLabel(w.t("wiz.readback"))
	readBackHint.Wrapping = fyne.TextWrapWord
	dueHint := widget.NewLabel(w.t("wiz.due.hint"))
	dueHint.Wrapping = fyne.TextWrapWord
	w.pages = []fyne.CanvasObject{
		w.statement,
		container.NewVBox(w.what, w.when, w.where, w.subject, w.want),
		container.NewVBox(w.severity, w.solved, dueHint, w.due, w.dueReason),
		container.NewVBox(w.replyHow, w.replySaid, w.accepted),
		container.NewVBox(w.matter, w.process, w.result),
		container.NewVBox(readBackHint, w.readBackText, w.readBack, w.missing, w.deadline),
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

// start opens a fresh complaint on the first step, the cursor in the
// caller's words.
func (w *wizard) start() {
	w.caseID = ""
	w.fill(desk.ComplaintDraft{})
	w.show(0)
	w.focus(w.statement)
}

// open shows a stored case's draft (working on it again on a later call).
func (w *wizard) open(dr desk.ComplaintDraft) {
	w.caseID = dr.CaseID
	w.fill(dr)
	w.show(len(wizardSteps) - 1)
}

func (w *wizard) focus(o fyne.Focusable) {
	if c := w.shell.win.Canvas(); c != nil {
		c.Focus(o)
	}
}

func (w *wizard) setCall(c *desk.Call) {
	if c != nil {
		w.callID = c.CallID
	}
}

func (w *wizard) show(i int) {
	w.step = i
	w.title.SetText(w.t(wizardSteps[i]))
	w.hint.SetText(w.prompt(i))
	w.body.Objects = []fyne.CanvasObject{w.pages[i]}
	w.body.Refresh()
	enable(w.back, i > 0)
	enable(w.next, i < len(wizardSteps)-1)
	w.showBusy()
	if i == len(wizardSteps)-1 {
		w.refreshReport()
	}
}

// prompt is step i's guidance from the script pack, with the line the
// agent may say (its reply promise following the draft's severity); the
// window's own hint when the pack has none.
func (w *wizard) prompt(i int) string {
	ids := []string{"listen", "ask", "follow", "reply", "record", "report"}
	for _, p := range w.shell.desk.Prompts(w.draft()) {
		if p.ID != ids[i] {
			continue
		}
		text := p.Prompt
		if p.Say != "" {
			text = strings.TrimSpace(text + "\n" + w.t("wiz.say") + p.Say)
		}
		if text != "" {
			return text
		}
	}
	if i < len(wizardSteps)-1 {
		return w.t(wizardSteps[i] + ".hint")
	}
	return ""
}

func (w *wizard) showBusy() {
	if w.shell.busy["complaint"] {
		w.save.SetText(w.t("btn.save") + " …")
		w.save.Disable()
		return
	}
	w.save.SetText(w.t("btn.save"))
	w.save.Enable()
}

// draft is what the fields hold. An agreed reply time that is not a time
// is left out (the check then says the default applies) and flagged.
func (w *wizard) draft() desk.ComplaintDraft {
	txt := func(e *field) string { return strings.TrimSpace(e.Text) }
	d := desk.ComplaintDraft{
		CaseID: w.caseID, CallID: w.callID, Statement: txt(w.statement),
		What: txt(w.what), When: txt(w.when), Where: txt(w.where), Subject: txt(w.subject), Wants: txt(w.want),
		ReadBack: w.readBack.Checked, Solved: w.solved.Checked, DueReason: txt(w.dueReason),
		ReplyHow: txt(w.replyHow), ReplySaid: txt(w.replySaid), Accepted: w.accepted.Checked,
		Matter: txt(w.matter), Process: txt(w.process), Result: txt(w.result),
	}
	if i := w.severity.SelectedIndex(); i >= 0 {
		d.Severity = severities[i]
	}
	if s := txt(w.due); s != "" {
		if t, err := time.ParseInLocation(dueLayout, s, w.zone()); err == nil {
			d.ReplyDue = t
		}
	}
	return d
}

func (w *wizard) zone() *time.Location {
	if z := w.shell.view.Zone; z != nil {
		return z
	}
	return time.Local
}

// refreshReport shows the read-back text and asks the desk what is
// missing (off the Fyne goroutine: a stored case is read from disk).
func (w *wizard) refreshReport() {
	if w.missing == nil {
		return
	}
	d := w.draft()
	w.readBackText.SetText(strings.Join(nonEmpty(d.Statement, d.What, d.When, d.Where, d.Subject, d.Wants), "\n"))
	w.checkSeq++
	seq, dk := w.checkSeq, w.shell.desk
	w.shell.opts.Go(func() {
		chk := dk.CheckComplaint(d)
		fyne.Do(func() {
			if seq == w.checkSeq {
				w.showCheck(chk)
			}
		})
	})
}

func (w *wizard) showCheck(c desk.ComplaintCheck) {
	if len(c.Missing) == 0 {
		w.missing.Importance = widget.SuccessImportance
		w.missing.SetText(w.t("wiz.complete"))
	} else {
		w.missing.Importance = widget.DangerImportance
		w.missing.SetText(w.t("wiz.missing") + "\n" + missingLines(w.shell.lang, c.Missing))
	}
	if c.Due.IsZero() {
		w.deadline.SetText("")
	} else {
		w.deadline.SetText(w.t("wiz.deadline", map[string]any{"Due": c.Due.In(w.zone()).Format(dueLayout)}))
	}
}

func (w *wizard) onBack() {
	if w.step > 0 {
		w.show(w.step - 1)
		w.focusStep()
	}
}

func (w *wizard) onNext() {
	if w.step < len(wizardSteps)-1 {
		w.show(w.step + 1)
		w.focusStep()
	}
}

// focusStep puts the focus on the step's first field, so the agent can go
// on typing (Tab moves on, Ctrl+Enter to the next step).
func (w *wizard) focusStep() {
	first := []fyne.Focusable{w.statement, w.what, w.severity, w.replyHow, w.matter, w.readBack}
	w.focus(first[w.step])
}

// onSave stores the draft in the background; the desk commits it before it
// answers, and only then does the wizard say it is saved.
func (w *wizard) onSave() {
	if w.save == nil {
		return
	}
	d, dk := w.draft(), w.shell.desk
	if strings.TrimSpace(w.due.Text) != "" && d.ReplyDue.IsZero() {
		w.shell.warn(w.t("wiz.due.bad", map[string]any{"Example": time.Now().In(w.zone()).Add(2 * time.Hour).Format(dueLayout)}))
		return
	}
	var chk desk.ComplaintCheck
	w.shell.run("complaint", func() error {
		var err error
		chk, err = dk.SaveComplaint(d)
		return err
	}, func(err error) {
		w.show(len(wizardSteps) - 1)
		w.showCheck(chk)
		if err != nil {
			w.shell.warn(w.t("err.save") + "\n" + errText(w.shell.lang, err))
			return
		}
		w.caseID = chk.CaseID
		w.shell.info(w.t("wiz.saved"))
	})
	w.showBusy()
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
func (w *wizard) fill(d desk.ComplaintDraft) {
	for e, s := range map[*field]string{w.statement: d.Statement, w.what: d.What, w.when: d.When,
		w.where: d.Where, w.subject: d.Subject, w.want: d.Wants, w.replyHow: d.ReplyHow, w.replySaid: d.ReplySaid,
		w.matter: d.Matter, w.process: d.Process, w.result: d.Result, w.dueReason: d.DueReason} {
		e.SetText(s)
	}
	w.due.SetText("")
	if !d.ReplyDue.IsZero() {
		w.due.SetText(d.ReplyDue.In(w.zone()).Format(dueLayout))
	}
	w.solved.SetChecked(d.Solved)
	w.accepted.SetChecked(d.Accepted)
	w.readBack.SetChecked(d.ReadBack)
	w.severity.ClearSelected()
	for i, s := range severities {
		if s == d.Severity {
			w.severity.SetSelectedIndex(i)
		}
	}
}
