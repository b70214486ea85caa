package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// supervisorView is the live board: agents and their states, calls in
// progress, queues, major-complaint reports, overdue replies and the day's
// figures, from the hub when there is one and from this desk otherwise.
type supervisorView struct {
	shell                                 *Window
	source                                *widget.Label
	agents, calls, queues, major, overdue *widget.Label
	stats                                 *widget.Label
}

func newSupervisorView(s *Window) *supervisorView { return &supervisorView{shell: s} }

func (v *supervisorView) buildUI() fyne.CanvasObject {
	t := func(id string) string { return tr(v.shell.lang, id) }
	lbl := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	v.source = lbl()
	v.agents, v.calls, v.queues, v.major, v.overdue, v.stats = lbl(), lbl(), lbl(), lbl(), lbl(), lbl()
	v.major.Importance = widget.DangerImportance
	v.overdue.Importance = widget.WarningImportance
	return container.NewVScroll(container.NewVBox(v.source,
		container.NewGridWithColumns(2,
			widget.NewCard(t("sup.agents"), "", v.agents),
			widget.NewCard(t("sup.calls"), "", container.NewVBox(v.calls, v.queues)),
			widget.NewCard(t("sup.major"), "", v.major),
			widget.NewCard(t("sup.overdue"), "", v.overdue),
		),
		widget.NewCard(t("stats"), "", v.stats)))
}

func (v *supervisorView) apply(m Model) {
	if v.source == nil {
		return // not opened yet
	}
	t := func(id string) string { return tr(v.shell.lang, id) }
	b := m.Supervisor
	if b.FromHub {
		v.source.SetText(t("sup.source.hub"))
	} else {
		v.source.SetText(t("sup.source.local"))
	}
	list := func(l *widget.Label, xs []string) {
		if len(xs) == 0 {
			l.SetText(t("sup.none"))
			return
		}
		l.SetText(strings.Join(xs, "\n"))
	}
	rows := func(l *widget.Label, rs []BoardRow) {
		xs := make([]string, len(rs))
		for i, r := range rs {
			xs[i] = orDefault(r.Who, t("sup.me")) + " — " + t(stateMessage(r.State))
		}
		list(l, xs)
	}
	rows(v.agents, b.Agents)
	rows(v.calls, b.Calls)
	list(v.queues, b.Queues)
	list(v.major, b.Major)
	list(v.overdue, b.Overdue)
	if b.FromHub {
		v.stats.SetText(hubStatsText(v.shell.lang, b))
		return
	}
	s := m.Stats
	v.stats.SetText(tr(v.shell.lang, "stats.line", statsData(s)))
}

// stateMessage is the message id of an agent or call state code.
func stateMessage(code string) string {
	switch code {
	case "held":
		return "call.held"
	case "on_call", "ringing", "available", "wrap_up", "break", "offline":
		return "agent." + code
	}
	return code
}
