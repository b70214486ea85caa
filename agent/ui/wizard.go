package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// wizardSteps are the pages in order: the five clears, then the report.
var wizardSteps = []string{"wiz.listen", "wiz.ask", "wiz.follow", "wiz.reply", "wiz.record", "wiz.report"}

// wizard guides a complaint through 听清楚, 问清楚, 跟清楚, 复清楚, 记清楚
// and the report. It gathers a ComplaintDraft; what is missing and the
// reply deadline come from the desk.
type wizard struct {
	shell  *Window
	callID string
	step   int

	title                      *widget.Label
	hint                       *widget.Label
	pages                      []fyne.CanvasObject
	body                       *fyne.Container
	statement, facts, wish     *widget.Entry
	kind                       *widget.RadioGroup
	solved, major, readBack    *widget.Check
	reply, handling, result    *widget.Entry
	readBackText, missing, due *widget.Label
	back, next, save           *widget.Button
}

func newWizard(s *Window) *wizard { return &wizard{shell: s} }

func (w *wizard) t(id string) string { return tr(w.shell.lang, id) }

func (w *wizard) buildUI() fyne.CanvasObject {
	multi := func() *widget.Entry {
		e := widget.NewMultiLineEntry()
		e.Wrapping = fyne.TextWrapWord
		e.SetMinRowsVisible(3)
		return e
	}
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.hint = widget.NewLabel("")
	w.hint.Wrapping = fyne.TextWrapWord
	w.statement, w.facts, w.wish = multi(), multi(), widget.NewEntry()
	w.wish.SetPlaceHolder(w.t("wiz.ask.wish"))
	w.kind = widget.NewRadioGroup([]string{w.t("wiz.simple"), w.t("wiz.complex")}, nil)
	w.kind.SetSelected(w.t("wiz.simple"))
	w.solved = widget.NewCheck(w.t("wiz.solved"), nil)
	w.reply, w.handling, w.result = multi(), multi(), multi()
	w.readBackText = widget.NewLabel("")
	w.readBackText.Wrapping = fyne.TextWrapWord
	w.readBack = widget.NewCheck(w.t("wiz.confirmed"), func(bool) { w.refreshReport() })
	w.major = widget.NewCheck(w.t("wiz.major"), func(bool) { w.refreshReport() })
	w.missing = widget.NewLabel("")
	w.missing.Wrapping = fyne.TextWrapWord
	w.due = widget.NewLabel("")
	readBackHint := widget.NewLabel(w.t("wiz.readback"))
	readBackHint.Wrapping = fyne.TextWrapWord
	w.pages = []fyne.CanvasObject{
		w.statement,
		container.NewVBox(w.facts, w.wish),
		container.NewVBox(w.kind, w.solved),
		w.reply,
		container.NewVBox(w.handling, w.result),
		container.NewVBox(readBackHint, w.readBackText, w.readBack, w.major, w.missing, w.due),
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
	for _, e := range []*widget.Entry{w.statement, w.facts, w.wish, w.reply, w.handling, w.result} {
		e.SetText("")
	}
	w.solved.SetChecked(false)
	w.major.SetChecked(false)
	w.readBack.SetChecked(false)
	w.kind.SetSelected(w.t("wiz.simple"))
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
	return ComplaintDraft{
		CallID:    w.callID,
		Statement: strings.TrimSpace(w.statement.Text),
		Facts:     strings.TrimSpace(w.facts.Text),
		Wish:      strings.TrimSpace(w.wish.Text),
		Complex:   w.kind.Selected == w.t("wiz.complex"),
		Solved:    w.solved.Checked,
		Reply:     strings.TrimSpace(w.reply.Text),
		Handling:  strings.TrimSpace(w.handling.Text),
		Result:    strings.TrimSpace(w.result.Text),
		Major:     w.major.Checked,
		ReadBack:  w.readBack.Checked,
	}
}

// refreshReport shows the read-back text and what the desk says is missing.
func (w *wizard) refreshReport() {
	if w.missing == nil {
		return
	}
	d := w.draft()
	w.readBackText.SetText(strings.Join(nonEmpty(d.Statement, d.Facts, d.Wish), "\n"))
	w.showCheck(w.shell.backend.CheckComplaint(d))
}

func (w *wizard) showCheck(c ComplaintCheck) {
	if len(c.Missing) == 0 {
		w.missing.Importance = widget.SuccessImportance
		w.missing.SetText(w.t("wiz.complete"))
	} else {
		names := make([]string, len(c.Missing))
		for i, id := range c.Missing {
			names[i] = w.t(id)
		}
		w.missing.Importance = widget.DangerImportance
		w.missing.SetText(w.t("wiz.missing") + strings.Join(names, "、"))
	}
	if c.Due.IsZero() {
		w.due.SetText("")
	} else {
		w.due.SetText(fmt.Sprintf(w.t("wiz.deadline"), c.Due.Format("2006-01-02 15:04")))
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
