package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// openCase reads case id in the background and shows its panel: the five
// clears so far, what is missing, the warning timeline, and what the agent
// can do next (continue in the wizard, note a follow-up, close, reopen,
// hand it on; a supervisor raises a warning; whoever owns the current stage
// completes it).
func (s *Window) openCase(id string) {
	d := s.desk
	var v desk.CaseView
	s.run("case:"+id, func() error {
		var err error
		v, err = d.Case(id)
		return err
	}, func(err error) {
		if err != nil {
			s.warn(errText(s.lang, err))
			return
		}
		s.showCase(v)
	})
}

func (s *Window) showCase(v desk.CaseView) {
	t := func(id string, data ...map[string]any) string { return tr(s.lang, id, data...) }
	zone := s.view.Zone
	if zone == nil {
		zone = time.Local
	}
	at := func(x time.Time) string { return x.In(zone).Format("01-02 15:04") }
	c := v.Case
	var lines []string
	add := func(label, text string) {
		if strings.TrimSpace(text) != "" {
			lines = append(lines, label+"："+text)
		}
	}
	add(t("case.customer"), strings.TrimSpace(v.Customer.Name+" "+strings.Join(v.Customer.Phones, " ")))
	add(t("case.state"), t("case.state."+c.State.String()))
	if c.CallbackID != "" {
		add(t("case.source"), t("case.from_callback", map[string]any{"Callback": shortID(c.CallbackID)}))
	}
	if c.Followed != nil {
		add(t("case.severity"), t("wiz."+c.Followed.Severity.String()))
	}
	if due := c.ReplyDue(); !due.IsZero() {
		text := at(due)
		if v.ReplyOverdue {
			text += " " + t("cases.late")
		}
		add(t("case.reply_due"), text)
	}
	if c.Heard != nil {
		add(t("wiz.listen"), c.Heard.Statement)
	}
	if c.Asked != nil {
		f := c.Asked.Facts
		add(t("wiz.ask"), strings.Join(nonEmpty(f.What, f.When, f.Where, f.Subject, f.Wants), " / "))
	}
	if f := c.Followed; f != nil {
		// The reply time agreed with the caller, and why it differs from
		// the default, stay on the case after the reply.
		switch {
		case f.SolvedOnCall:
			add(t("wiz.follow"), t("wiz.solved"))
		case !f.ReplyDue.IsZero():
			text := t("case.agreed", map[string]any{"Due": at(f.ReplyDue)})
			if n := len(f.DueChanges); n > 0 && f.DueChanges[n-1].Reason != "" {
				text += "（" + f.DueChanges[n-1].Reason + "）"
			}
			add(t("wiz.follow"), text)
		}
		for _, e := range f.Entries {
			add(t("case.followup")+" "+at(e.At), e.Note)
		}
	}
	if r := c.Replied; r != nil {
		add(t("wiz.reply")+" "+at(r.RepliedAt), r.How+"："+r.Said)
	}
	if r := c.Recorded; r != nil {
		add(t("wiz.record")+" "+at(r.At), strings.Join(nonEmpty(r.Matter, r.Process, r.Result), " / "))
	}
	if !c.ClosedAt.IsZero() {
		add(t("case.closed_at"), at(c.ClosedAt))
	}
	for _, e := range c.Escalations {
		add(t("case.escalated")+" "+at(e.At), e.By+" → "+escalationTarget(s.lang, e.To)+"："+e.Note)
	}
	if len(v.Missing) > 0 {
		lines = append(lines, "", t("wiz.missing"), missingLines(s.lang, v.Missing))
	}
	if w := v.Warning; w != nil {
		lines = append(lines, "", t("case.warning"))
		for i, st := range v.Stages {
			mark := "○"
			switch {
			case i < len(c.Warning.Done):
				mark = "✓ " + at(c.Warning.Done[i])
			case i == w.Stage:
				mark = "▶ " + t("case.stage_due", map[string]any{"Due": at(w.StageDue)})
			}
			late := ""
			for _, l := range w.LateStages {
				if l == st.Name {
					late = " " + t("cases.late")
				}
			}
			lines = append(lines, fmt.Sprintf("%s %s（%s）%s", mark, t("sla."+st.Name), t("role."+string(st.Role)), late))
		}
	}
	body := widget.NewLabel(strings.Join(lines, "\n"))
	body.Wrapping = fyne.TextWrapWord

	var d *dialog.CustomDialog
	act := func(key string, fn func() error) {
		d.Hide()
		s.run(key, fn, func(err error) {
			if err != nil {
				s.warn(errText(s.lang, err))
				return
			}
			s.openCase(c.ID)
		})
	}
	dk, id := s.desk, c.ID
	var buttons []fyne.CanvasObject
	if c.State != agent.StateClosed {
		// A closed case takes no more steps until it is reopened.
		buttons = append(buttons,
			widget.NewButton(t("case.continue"), func() { d.Hide(); s.continueCase(id) }),
			widget.NewButton(t("case.followup"), func() {
				s.askText(t("case.followup"), t("case.followup.note"), func(note string) {
					act("case-follow", func() error { _, err := dk.FollowUp(id, note); return err })
				})
			}))
	}
	if c.State == agent.StateReplied {
		buttons = append(buttons, widget.NewButton(t("case.close"), func() {
			act("case-close", func() error { _, err := dk.CloseCase(id); return err })
		}))
	}
	if c.State == agent.StateReplied || c.State == agent.StateClosed {
		buttons = append(buttons, widget.NewButton(t("case.reopen"), func() {
			s.askText(t("case.reopen"), t("case.reopen.reason"), func(reason string) {
				act("case-reopen", func() error { _, err := dk.ReopenCase(id, reason); return err })
			})
		}))
	}
	if c.State != agent.StateClosed {
		buttons = append(buttons, widget.NewButton(t("case.escalate"), func() { s.escalateForm(id, act) }))
	}
	role := s.view.Role
	if c.Warning == nil && role == agent.RoleSupervisor && c.State != agent.StateClosed {
		buttons = append(buttons, widget.NewButton(t("case.raise_warning"), func() {
			act("case-warn", func() error { _, err := dk.RaiseWarning(id); return err })
		}))
	}
	if w := v.Warning; w != nil && !w.Done && role.MayComplete(w.StageRole) {
		buttons = append(buttons, widget.NewButton(t("case.complete_stage", map[string]any{"Stage": t("sla." + w.StageName)}), func() {
			s.askText(t("sla."+w.StageName), t("case.stage.note"), func(note string) {
				act("case-stage", func() error { _, err := dk.CompleteStage(id, note); return err })
			})
		}))
	}
	closeBtn := newKeyButton(s, t("btn.close"), nil, nil)
	content := container.NewBorder(nil, container.NewVBox(container.NewGridWithColumns(3, buttons...)), nil, nil,
		container.NewVScroll(body))
	title := t("case.title", map[string]any{"Case": shortID(c.ID)})
	d = dialog.NewCustomWithoutButtons(title, content, s.win)
	closeBtn.OnTapped, closeBtn.cancel = d.Hide, d.Hide
	d.SetButtons([]fyne.CanvasObject{closeBtn})
	d.Resize(fyne.NewSize(720, 560))
	d.Show()
	s.win.Canvas().Focus(closeBtn)
}

// continueCase opens case id in the complaint wizard, on its report page,
// to take the next step (the reply call, the record).
func (s *Window) continueCase(id string) {
	d := s.desk
	var dr desk.ComplaintDraft
	s.run("case-open", func() error {
		var err error
		_, dr, err = d.Complaint(id)
		return err
	}, func(err error) {
		if err != nil {
			s.warn(errText(s.lang, err))
			return
		}
		s.ShowTab(TabDesk)
		s.deskV.right.Select(s.deskV.wizardTab)
		s.deskV.wizard.open(dr)
	})
}

// escalationTarget names where an escalation went: a role, or an agent.
func escalationTarget(lang, to string) string {
	if r := agent.Role(to); r.Valid() {
		return tr(lang, "role."+to)
	}
	return to
}

// escalateForm asks whom to hand the case to and why.
func (s *Window) escalateForm(id string, act func(string, func() error)) {
	t := func(key string) string { return tr(s.lang, key) }
	targets := []agent.Role{agent.RoleTeamLead, agent.RoleSupervisor}
	names := []string{t("role.team_lead"), t("role.supervisor"), t("case.escalate.agent")}
	to := newSelect(s, names, nil)
	to.SetSelectedIndex(0)
	number := newField(s, t("case.escalate.number"))
	note := newArea(s, t("case.escalate.note"), 3)
	form := widget.NewForm(widget.NewFormItem(t("case.escalate.to"), to), widget.NewFormItem("", number),
		widget.NewFormItem(t("case.escalate.why"), note))
	s.form(t("case.escalate"), form, note, func() {
		target := strings.TrimSpace(number.Text)
		if i := to.SelectedIndex(); i >= 0 && i < len(targets) {
			target = string(targets[i])
		}
		text, dk := strings.TrimSpace(note.Text), s.desk
		act("case-escalate", func() error { _, err := dk.Escalate(id, target, text); return err })
	})
}

// askText asks for one line of text; ok gets it (empty when the agent
// typed nothing: the desk then says what is missing).
func (s *Window) askText(title, placeholder string, ok func(string)) {
	e := newArea(s, placeholder, 3)
	s.form(title, widget.NewForm(widget.NewFormItem("", e)), e, func() { ok(strings.TrimSpace(e.Text)) })
}
