package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// supervisorView is the live board: agents and their states, calls in
// progress, queues, major-complaint reports, overdue replies and the day's
// figures, from the hub when there is one and from this desk otherwise.
type supervisorView struct {
	shell                                 *Window
	source                                *widget.Label
	agents, calls, queues, major, overdue *widget.Label
	warnings, report                      *widget.Label
	stats                                 *widget.Label
	refresh                               *widget.Button
	// monitor is the live monitoring card and recs the hub's recordings
	// (supervisors only; nil else).
	monitor *monitorCard
	recs    *recordingsCard
}

func newSupervisorView(s *Window) *supervisorView { return &supervisorView{shell: s} }

func (v *supervisorView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

func (v *supervisorView) buildUI() fyne.CanvasObject {
	lbl := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	v.source = lbl()
	v.agents, v.calls, v.queues, v.major, v.overdue, v.stats = lbl(), lbl(), lbl(), lbl(), lbl(), lbl()
	v.warnings, v.report = lbl(), lbl()
	v.major.Importance = widget.DangerImportance
	v.overdue.Importance = widget.WarningImportance
	v.refresh = widget.NewButton(v.t("sup.report.run"), v.onReport)
	top := []fyne.CanvasObject{v.source}
	if v.shell.role() == agent.RoleSupervisor {
		v.monitor = &monitorCard{shell: v.shell}
		v.recs = &recordingsCard{shell: v.shell}
		top = append(top, container.NewGridWithColumns(2,
			widget.NewCard(v.t("mon.title"), v.t("mon.subtitle"), v.monitor.build()),
			widget.NewCard(v.t("rec.title"), v.t("rec.subtitle"), v.recs.build())))
	}
	box := container.NewVScroll(container.NewVBox(append(top,
		container.NewGridWithColumns(2,
			widget.NewCard(v.t("sup.agents"), "", v.agents),
			widget.NewCard(v.t("sup.calls"), "", container.NewVBox(v.calls, v.queues)),
			widget.NewCard(v.t("sup.major"), "", v.major),
			widget.NewCard(v.t("sup.overdue"), "", v.overdue),
		),
		widget.NewCard(v.t("sup.warnings"), "", v.warnings),
		widget.NewCard(v.t("stats"), "", v.stats),
		widget.NewCard(v.t("sup.report"), v.t("sup.report.week"), container.NewVBox(v.refresh, v.report)))...))

	v.apply(v.shell.view)
	return box
}

func (v *supervisorView) apply(m desk.View) {
	if v.source == nil {
		return // not opened yet
	}
	if v.monitor != nil {
		v.monitor.apply(m)
		v.recs.apply(m)
	}
	b := m.Board
	zone := m.Zone
	if zone == nil {
		zone = time.Local
	}
	if b.FromHub {
		v.source.SetText(v.t("sup.source.hub"))
	} else {
		v.source.SetText(v.t("sup.source.local"))
	}
	list := func(l *widget.Label, xs []string) {
		if len(xs) == 0 {
			l.SetText(v.t("sup.none"))
			return
		}
		l.SetText(strings.Join(xs, "\n"))
	}
	var agents []string
	for _, a := range b.Agents {
		line := orDefault(a.Agent, v.t("sup.me")) + " — " + v.t(stateMessage(a.Status))
		if !a.Since.IsZero() {
			line += " · " + clock(max(0, m.At.Sub(a.Since)))
		}
		if a.OverLimit {
			line += " " + v.t("sup.acw_over")
		}
		agents = append(agents, line)
	}
	list(v.agents, agents)
	var calls []string
	for _, c := range b.Calls {
		calls = append(calls, orDefault(c.Who, c.Number)+" — "+v.t(stateMessage(c.Status.String())))
	}
	list(v.calls, calls)
	var queues []string
	for _, q := range b.Queues {
		line := v.t("sup.queue", map[string]any{"Queue": orDefault(q.Queue, "—"), "Ringing": q.Ringing, "Talking": q.Talking})
		if !q.LongestRinging.IsZero() {
			line += " · " + v.t("sup.longest", map[string]any{"Time": clock(max(0, m.At.Sub(q.LongestRinging)))})
		}
		queues = append(queues, line)
	}
	if len(queues) > 0 || b.FromHub {
		list(v.queues, queues)
	} else {
		v.queues.SetText("")
	}
	var major []string
	for _, a := range b.Alerts {
		line := a.At.In(zone).Format("15:04") + " " + a.Owner + " " + a.Summary
		if a.Kind == agent.AlertEscalation {
			line = a.At.In(zone).Format("15:04") + " " + v.t("sup.escalation", map[string]any{"By": a.Owner, "To": escalationTarget(v.shell.lang, a.To)}) + " " + a.Summary
		}
		major = append(major, line)
	}
	list(v.major, major)
	var overdue []string
	for _, o := range b.Overdue {
		overdue = append(overdue, o.Due.In(zone).Format("01-02 15:04")+" "+o.Owner+" "+shortID(o.ID))
	}
	list(v.overdue, overdue)
	var warnings []string
	for _, w := range b.Warnings {
		st := w.Status
		line := shortID(w.ID) + " " + w.Owner + " — "
		if st.Done {
			line += v.t("sup.warning.done")
		} else {
			line += v.t("sla."+st.StageName) + "（" + v.t("role."+string(st.StageRole)) + "）" + v.t("case.stage_due", map[string]any{"Due": st.StageDue.In(zone).Format("01-02 15:04")})
		}
		if st.Late {
			line += " " + v.t("cases.late")
		}
		line += " · " + v.t("sup.warning.limits", map[string]any{"Handle": st.HandleDue.In(zone).Format("01-02 15:04"), "Close": st.CloseDue.In(zone).Format("01-02 15:04")})
		warnings = append(warnings, line)
	}
	list(v.warnings, warnings)
	var lines []string
	for _, s := range b.Today {
		line := orDefault(s.Agent, v.t("sup.me")) + "  " + v.t("stats.hubline",
			map[string]any{"In": s.Inbound, "Out": s.Outbound, "Answered": s.Answered, "Missed": s.Missed})
		if by := byTypeText(v.shell.lang, s.ByType); by != "" {
			line += "  · " + by
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = append(lines, v.t("sup.none"))
	}
	if len(b.Unsynced) > 0 {
		lines = append(lines, "", v.t("sup.unsynced"))
		for _, d := range b.Unsynced {
			l := fmt.Sprintf("%s: %d", orDefault(d.Agent, d.Desk), d.Pending)
			if !d.Oldest.IsZero() {
				l += " · " + d.Oldest.In(zone).Format("01-02 15:04")
			}
			lines = append(lines, l)
		}
	}
	v.stats.SetText(strings.Join(lines, "\n"))
}

// stateMessage is the message id of an agent or call state code.
func stateMessage(code string) string {
	switch code {
	case "held":
		return "call.held"
	case "on_call", "ringing", "available", "wrap_up", "break", "offline":
		return "agent." + code
	}
	return "agent.unknown"
}

// shortID is the first block of a UUID, enough to tell cases apart on a board.
func shortID(id string) string {
	if i := strings.IndexByte(id, '-'); i > 0 {
		return id[:i]
	}
	return id
}

// onReport computes the 《回访总结报告》 of the last seven days in the
// background (it reads every task).
func (v *supervisorView) onReport() {
	to := v.shell.view.At
	if to.IsZero() {
		to = time.Now()
	}
	from := to.AddDate(0, 0, -7)
	d := v.shell.desk
	var r agent.CallbackReport
	v.refresh.Disable()
	v.shell.run("report", func() error {
		var err error
		r, err = d.CallbackReport(from, to.Add(time.Minute), "")
		return err
	}, func(err error) {
		v.refresh.Enable()
		if err != nil {
			v.shell.warn(errText(v.shell.lang, err))
			return
		}
		lines := []string{v.reportLine(v.t("sup.report.all"), r.CallbackSummary)}
		for _, a := range r.Agents {
			lines = append(lines, v.reportLine(a.Agent, a.CallbackSummary))
		}
		v.report.SetText(strings.Join(lines, "\n"))
	})
}

func (v *supervisorView) reportLine(who string, s agent.CallbackSummary) string {
	return who + "  " + v.t("sup.report.line", map[string]any{"Total": s.Total, "Reached": s.Reached,
		"Satisfied": fmt.Sprintf("%.0f", s.SatisfiedPct), "Complete": fmt.Sprintf("%.0f", s.CompletePct),
		"InTime": fmt.Sprintf("%.0f", s.InTimePct), "Overdue": s.Overdue, "Unsatisfied": s.Unsatisfied})
}
