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

// callbackPanel is the callback being made: the pack's callback script for
// this customer, and the callback record (《回访记录表》) to fill in —
// reached or not, satisfied, suggestions, the next contact agreed, or for a
// customer not reached when to try again.
type callbackPanel struct {
	shell  *Window
	taskID string

	box                      *fyne.Container
	title                    *widget.Label
	script                   *fyne.Container
	reached, satisfied       *selectBox
	suggestions, note        *field
	nextContact, nextTry     *field
	noNext                   *checkBox
	reachedBox, unreachedBox *fyne.Container
	save                     *widget.Button
}

func (p *callbackPanel) t(id string, data ...map[string]any) string {
	return tr(p.shell.lang, id, data...)
}

func (p *callbackPanel) buildUI() fyne.CanvasObject {
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.script = container.NewVBox()
	p.reached = newSelect(p.shell, []string{p.t("cb.reached"), p.t("cb.unreached")}, func(string) { p.showParts() })
	p.reached.PlaceHolder = p.t("cb.reached.pick")
	p.satisfied = newSelect(p.shell, []string{p.t("cb.satisfied"), p.t("cb.unsatisfied")}, nil)
	p.satisfied.PlaceHolder = p.t("cb.satisfied.pick")
	p.suggestions = newArea(p.shell, p.t("cb.suggestions"), 2)
	p.nextContact = newField(p.shell, p.t("cb.next_contact"))
	p.noNext = newCheck(p.shell, p.t("cb.no_next"), nil)
	p.nextTry = newField(p.shell, p.t("cb.next_try"))
	p.note = newField(p.shell, p.t("cb.note"))
	p.save = widget.NewButton(p.t("cb.save"), p.onSave)
	p.save.Importance = widget.HighImportance
	p.reachedBox = container.NewVBox(p.satisfied, p.suggestions, p.nextContact, p.noNext)
	p.unreachedBox = container.NewVBox(p.nextTry)
	p.box = container.NewVBox(p.title, p.script, widget.NewSeparator(), p.reached, p.reachedBox, p.unreachedBox, p.note,
		container.NewHBox(p.save), widget.NewSeparator())
	p.box.Hide()
	return p.box
}

func (p *callbackPanel) showParts() {
	p.reachedBox.Hide()
	p.unreachedBox.Hide()
	switch p.reached.SelectedIndex() {
	case 0:
		p.reachedBox.Show()
	case 1:
		p.unreachedBox.Show()
	}
}

// apply shows the active callback of v; a new task clears the form.
func (p *callbackPanel) apply(v desk.View) {
	if p.box == nil {
		return
	}
	a := v.Callback
	if a == nil {
		p.box.Hide()
		p.taskID = ""
		return
	}
	if a.Task.ID != p.taskID {
		p.taskID = a.Task.ID
		p.reached.ClearSelected()
		p.satisfied.ClearSelected()
		for _, f := range []*field{p.suggestions, p.nextContact, p.nextTry, p.note} {
			f.SetText("")
		}
		p.noNext.SetChecked(false)
		p.showParts()
	}
	p.title.SetText(p.t("cb.title", map[string]any{"Customer": a.Customer.Name}))
	p.script.RemoveAll()
	for _, l := range v.CallbackScript {
		if l.When != "" {
			w := widget.NewLabelWithStyle(l.When, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
			p.script.Add(w)
		}
		say := widget.NewLabel(l.Say)
		say.Wrapping = fyne.TextWrapWord
		p.script.Add(say)
	}
	if p.shell.busy["callback"] {
		p.save.SetText(p.t("cb.save") + " …")
		p.save.Disable()
	} else {
		p.save.SetText(p.t("cb.save"))
		p.save.Enable()
	}
	p.box.Show()
}

// outcome is the record as filled in; a time that is not a time is
// reported (bad) and left out.
func (p *callbackPanel) outcome(zone *time.Location) (o agent.CallbackOutcome, bad bool) {
	yes, no := true, false
	switch p.reached.SelectedIndex() {
	case 0:
		o.Reached = &yes
		switch p.satisfied.SelectedIndex() {
		case 0:
			o.Satisfied = &yes
		case 1:
			o.Satisfied = &no
		}
		o.Suggestions = strings.TrimSpace(p.suggestions.Text)
		o.NoNextContact = p.noNext.Checked
		if s := strings.TrimSpace(p.nextContact.Text); s != "" {
			t, err := time.ParseInLocation(dueLayout, s, zone)
			o.NextContact, bad = t, err != nil
		}
	case 1:
		o.Reached = &no
		if s := strings.TrimSpace(p.nextTry.Text); s != "" {
			t, err := time.ParseInLocation(dueLayout, s, zone)
			o.NextTry, bad = t, err != nil
		}
	}
	o.Note = strings.TrimSpace(p.note.Text)
	return o, bad
}

func (p *callbackPanel) onSave() {
	if p.taskID == "" {
		return
	}
	zone := p.shell.view.Zone
	if zone == nil {
		zone = time.Local
	}
	o, bad := p.outcome(zone)
	if bad {
		p.shell.warn(p.t("wiz.due.bad", map[string]any{"Example": p.shell.view.At.In(zone).Add(24 * time.Hour).Format(dueLayout)}))
		return
	}
	id, d := p.taskID, p.shell.desk
	var caseID string
	p.shell.run("callback", func() error {
		var err error
		_, caseID, err = d.RecordCallback(id, o)
		return err
	}, func(err error) {
		switch {
		case err != nil:
			p.shell.warn(p.t("err.save") + "\n" + errText(p.shell.lang, err))
		case caseID != "":
			p.shell.info(p.t("cb.case_opened", map[string]any{"Case": shortID(caseID)}))
			p.shell.openCase(caseID)
		default:
			p.shell.info(p.t("cb.saved"))
		}
	})
}
