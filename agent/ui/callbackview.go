package ui

import (
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// callbackPanel is the callback being made: the pack's callback script for
// this customer, and the callback record (《回访记录表》) to fill in —
// reached or not, satisfied, suggestions, the next contact agreed, or for a
// customer not reached when to try again. While a callback is worked on it
// takes the place of the task list (no other task can be dialled on a
// call), and its Save stays in view below the record.
type callbackPanel struct {
	shell  *Window
	taskID string

	list                 fyne.CanvasObject
	box                  *fyne.Container
	title                *widget.Label
	script               *fyne.Container
	reached, satisfied   *selectBox
	suggestions, note    *field
	nextContact, nextTry *field
	noNext               *checkBox
	// reachedRows and unreachedRows are the record's rows (label and
	// field) shown for a customer reached, or not reached.
	reachedRows, unreachedRows []fyne.CanvasObject
	save                       *widget.Button
}

func (p *callbackPanel) t(id string, data ...map[string]any) string {
	return tr(p.shell.lang, id, data...)
}

// buildUI returns the callback tab's content: list (the tasks), or the
// callback being made.
func (p *callbackPanel) buildUI(list fyne.CanvasObject) fyne.CanvasObject {
	p.list = list
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.title.Truncation = fyne.TextTruncateEllipsis
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
	label := func(id string) fyne.CanvasObject {
		if id == "" {
			return widget.NewLabel("")
		}
		return widget.NewLabelWithStyle(p.t(id), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	}
	p.reachedRows = []fyne.CanvasObject{label("cb.f.satisfied"), p.satisfied, label("cb.f.suggestions"), p.suggestions,
		label("cb.f.next"), p.nextContact, label(""), p.noNext}
	p.unreachedRows = []fyne.CanvasObject{label("cb.f.next_try"), p.nextTry}
	rows := []fyne.CanvasObject{label("cb.f.reached"), p.reached}
	rows = append(append(append(rows, p.reachedRows...), p.unreachedRows...), label("cb.f.note"), p.note)
	record := container.New(layout.NewFormLayout(), rows...)
	body := container.NewVBox(p.script, widget.NewSeparator(), record)
	p.box = container.NewBorder(p.title, container.NewHBox(p.save), nil, nil, container.NewVScroll(body))
	p.box.Hide()
	p.showParts()
	return container.NewStack(list, p.box)
}

// showParts shows the rows that belong to the answer to "reached?".
func (p *callbackPanel) showParts() {
	show := func(objs []fyne.CanvasObject, on bool) {
		for _, o := range objs {
			if on {
				o.Show()
			} else {
				o.Hide()
			}
		}
	}
	show(p.reachedRows, p.reached.SelectedIndex() == 0)
	show(p.unreachedRows, p.reached.SelectedIndex() == 1)
}

// apply shows the active callback of v; a new task clears the form.
func (p *callbackPanel) apply(v desk.View) {
	if p.box == nil {
		return
	}
	a := v.Callback
	if a == nil {
		p.box.Hide()
		p.list.Show()
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
	who := strings.TrimSpace(a.Customer.Name)
	if len(a.Customer.Phones) > 0 {
		who = strings.TrimSpace(who + " " + a.Customer.Phones[0])
	}
	p.title.SetText(p.t("cb.title", map[string]any{"Customer": who}))
	p.script.RemoveAll()
	for _, l := range v.CallbackScript {
		line := widget.NewRichText()
		if l.When != "" {
			line.Segments = append(line.Segments, &widget.TextSegment{Text: l.When + "　", Style: widget.RichTextStyleStrong})
		}
		line.Segments = append(line.Segments, &widget.TextSegment{Text: l.Say, Style: widget.RichTextStyleInline})
		line.Wrapping = fyne.TextWrapWord
		p.script.Add(line)
	}
	if p.shell.busy["callback"] {
		p.save.SetText(p.t("cb.save") + " …")
		p.save.Disable()
	} else {
		p.save.SetText(p.t("cb.save"))
		p.save.Enable()
	}
	p.list.Hide()
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
			p.shell.warn(saveFailed(p.shell.lang, err))
		case caseID != "":
			// The case next, once the agent has read that it was opened.
			p.infoThen(p.t("cb.case_opened", map[string]any{"Case": shortID(caseID)}), func() { p.shell.openCase(caseID) })
		default:
			p.shell.info(p.t("cb.saved"))
		}
	})
}

// infoThen shows msg as the window's messages are shown (OK has the
// focus; Return or Escape closes it) and runs then once it is closed.
func (p *callbackPanel) infoThen(msg string, then func()) {
	s := p.shell
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(tr(s.lang, "app.title"), l, s.win)
	done := func() { d.Hide(); then() }
	ok := newKeyButton(s, tr(s.lang, "btn.ok"), done, done)
	d.SetButtons([]fyne.CanvasObject{ok})
	d.Resize(fyne.NewSize(420, 160))
	d.Show()
	s.win.Canvas().Focus(ok)
}

// saveFailed is what the window says when a record was not saved: what it
// lacks (which says it was not saved), or that saving failed and why.
func saveFailed(lang string, err error) string {
	var cbInc *agent.CallbackIncompleteError
	var wrapInc *agent.WrapIncompleteError
	var inc *agent.IncompleteError
	if errors.As(err, &cbInc) || errors.As(err, &wrapInc) || errors.As(err, &inc) {
		return errText(lang, err)
	}
	return tr(lang, "err.save") + "\n" + errText(lang, err)
}
