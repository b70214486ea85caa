package ui

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// callTypes are the wrap-up types in the order of the type drop-down.
var callTypes = []agent.CallType{agent.CallConsultation, agent.CallComplaint, agent.CallOther}

// wrapUpView is the wrap-up form (《电话接听记录表》) the desk opens after
// every call taken, and for any call of the log not wrapped up yet.
type wrapUpView struct {
	shell    *Window
	recordID string
	caseID   string

	title                             *widget.Label
	kind                              *selectBox
	area, contact, department, result *field
	feedback                          *field
	readBack                          *checkBox
	caseName, caseLabel               *widget.Label
	save                              *widget.Button
}

func (v *wrapUpView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

func (v *wrapUpView) buildUI() fyne.CanvasObject {
	v.title = widget.NewLabelWithStyle(v.t("wrap.none"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Wrapping = fyne.TextWrapWord
	names := make([]string, len(callTypes))
	for i, ct := range callTypes {
		names[i] = v.t("call.type." + ct.String())
	}
	v.kind = newSelect(v.shell, names, nil)
	v.kind.PlaceHolder = v.t("wrap.type.pick")
	v.area = newField(v.shell, "")
	v.contact = newField(v.shell, v.t("wrap.contact"))
	v.department = newField(v.shell, "")
	v.feedback = newArea(v.shell, "", 2)
	v.result = newArea(v.shell, "", 2)
	v.readBack = newCheck(v.shell, v.t("wrap.readback"), nil)
	v.caseLabel = widget.NewLabel("")
	v.save = widget.NewButton(v.t("btn.save"), v.onSave)
	v.save.Importance = widget.HighImportance
	// The 《电话接听记录表》's items, each with its name: a filled field
	// no longer shows its placeholder.
	label := func(id string) *widget.Label {
		if id == "" {
			return widget.NewLabel("")
		}
		return widget.NewLabelWithStyle(v.t(id), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	}
	v.caseName = label("wrap.f.case")
	form := container.New(layout.NewFormLayout(),
		label("wrap.type"), v.kind, v.caseName, v.caseLabel,
		label("wrap.area"), v.area, label("wrap.f.contact"), v.contact, label("wrap.department"), v.department,
		label("wrap.feedback"), v.feedback, label("wrap.result"), v.result, label(""), v.readBack)
	v.showCase("")
	v.enable(false)
	return container.NewBorder(v.title, container.NewHBox(v.save), nil, nil, container.NewVScroll(form))
}

// showCase shows the complaint the call is linked to; the row is hidden
// for a call with none.
func (v *wrapUpView) showCase(caseID string) {
	if caseID == "" {
		v.caseLabel.SetText("")
		v.caseName.Hide()
		v.caseLabel.Hide()
		return
	}
	v.caseLabel.SetText(shortID(caseID))
	v.caseName.Show()
	v.caseLabel.Show()
}

func (v *wrapUpView) enable(on bool) {
	for _, w := range []disableable{v.kind, v.area, v.contact, v.department, v.feedback, v.result, v.readBack} {
		enable(w, on)
	}
	enable(v.save, on && !v.shell.busy["wrap"])
}

// focus puts the keyboard on the type: the agent picks it with ← →, and
// Tab moves on through the form.
func (v *wrapUpView) focus() {
	if c := v.shell.win.Canvas(); c != nil && v.kind != nil && !v.kind.Disabled() {
		c.Focus(v.kind)
	}
}

// pending fills the form for the call the desk is waiting on, once per
// call: what the agent typed is kept while new views arrive.
func (v *wrapUpView) pending(w *desk.PendingWrap, zone *time.Location) {
	if v.title == nil || w == nil || w.RecordID == v.recordID {
		return
	}
	v.fill(w.RecordID, w.Number, w.Customer, w.Area, w.CaseID, w.Type, w.Ended, zone)
}

// call fills the form for a logged call not wrapped up yet.
func (v *wrapUpView) call(c agent.Call, zone *time.Location) {
	v.fill(c.ID, c.Number, "", c.Area, c.CaseID, c.Type, c.At, zone)
}

func (v *wrapUpView) fill(recordID, number, customer, area, caseID string, kind agent.CallType, at time.Time, zone *time.Location) {
	v.recordID, v.caseID = recordID, caseID
	who := strings.TrimSpace(customer + " " + number)
	if who == "" {
		who = v.t("caller.unknown")
	}
	v.title.SetText(v.t("wrap.title", map[string]any{"Who": who, "At": at.In(zone).Format("01-02 15:04")}))
	v.kind.ClearSelected()
	if caseID != "" || kind == agent.CallComplaint {
		v.kind.SetSelectedIndex(1)
	}
	v.showCase(caseID)
	v.area.SetText(area)
	for _, f := range []*field{v.contact, v.department, v.feedback, v.result} {
		f.SetText("")
	}
	v.readBack.SetChecked(false)
	v.enable(true)
}

func (v *wrapUpView) wrapUp() agent.WrapUp {
	w := agent.WrapUp{Area: strings.TrimSpace(v.area.Text), Contact: strings.TrimSpace(v.contact.Text),
		Department: strings.TrimSpace(v.department.Text), Feedback: strings.TrimSpace(v.feedback.Text),
		Result: strings.TrimSpace(v.result.Text), ReadBack: v.readBack.Checked, CaseID: v.caseID}
	if i := v.kind.SelectedIndex(); i >= 0 {
		w.Type = callTypes[i].String()
	}
	return w
}

func (v *wrapUpView) onSave() {
	if v.recordID == "" || v.save.Disabled() {
		return
	}
	id, w, d := v.recordID, v.wrapUp(), v.shell.desk
	v.shell.run("wrap", func() error { _, err := d.WrapCall(id, w); return err }, func(err error) {
		v.save.SetText(v.t("btn.save"))
		if err != nil {
			v.shell.warn(saveFailed(v.shell.lang, err))
			v.enable(true)
			return
		}
		v.recordID = ""
		v.title.SetText(v.t("wrap.saved"))
		v.enable(false)
	})
	v.save.SetText(v.t("btn.save") + " …")
	v.enable(false)
}

// logCallForm asks for a call the desk never saw (an after-hours call
// logged the next morning) and logs it, wrapped up.
func (s *Window) logCallForm() {
	t := func(id string) string { return tr(s.lang, id) }
	zone := s.view.Zone
	if zone == nil {
		zone = time.Local
	}
	when := newField(s, dueLayout)
	when.SetText(s.view.At.In(zone).Format(dueLayout))
	number := newField(s, "13800138000")
	names := make([]string, len(callTypes))
	for i, ct := range callTypes {
		names[i] = t("call.type." + ct.String())
	}
	kind := newSelect(s, names, nil)
	kind.PlaceHolder = t("wrap.type.pick")
	department, result := newField(s, ""), newArea(s, "", 2)
	form := widget.NewForm(
		widget.NewFormItem(t("logcall.when"), when),
		widget.NewFormItem(t("customers.phone"), number),
		widget.NewFormItem(t("wrap.type"), kind),
		widget.NewFormItem(t("wrap.department"), department),
		widget.NewFormItem(t("wrap.result"), result),
	)
	s.form(t("logcall.title"), form, when, func() {
		at, err := time.ParseInLocation(dueLayout, strings.TrimSpace(when.Text), zone)
		if err != nil {
			s.warn(tr(s.lang, "wiz.due.bad", map[string]any{"Example": s.view.At.In(zone).Format(dueLayout)}))
			return
		}
		w := agent.WrapUp{Department: strings.TrimSpace(department.Text), Result: strings.TrimSpace(result.Text)}
		if i := kind.SelectedIndex(); i >= 0 {
			w.Type = callTypes[i].String()
		}
		c := agent.Call{At: at, Number: strings.TrimSpace(number.Text), Direction: agent.Inbound}
		d := s.desk
		s.run("logcall", func() error { _, err := d.LogCall(c, w); return err }, func(err error) {
			if err != nil {
				s.warn(tr(s.lang, "err.save") + "\n" + errText(s.lang, err))
				return
			}
			s.info(tr(s.lang, "logcall.saved"))
		})
	})
}
