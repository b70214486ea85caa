package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// monitorCard is the supervisor's part of the board for live monitoring
// (监听): pick an agent on a call, listen, whisper or barge in, switch
// modes and end; after the session, leave the agent a coaching note. It
// also lists the sessions of the floor, the hub's audit of who listened to
// whom.
type monitorCard struct {
	shell *Window

	pick   *selectBox
	picked map[string]string // option → agent number
	// chosen is the agent number picked: options carry a running timer,
	// so the pick is kept by number across refreshes.
	chosen                 string
	listen, whisper, barge *widget.Button
	end, dismiss           *widget.Button
	status                 *widget.Label
	note                   *widget.Entry
	send                   *widget.Button
	sessions               *widget.Label
	// noteBox holds the coaching note's form, shown once there is a
	// session to write about.
	noteBox *fyne.Container
	// working is the command in flight ("" none): its button stays
	// disabled and the others wait.
	working string
	last    desk.View
}

func (c *monitorCard) t(id string, data ...map[string]any) string {
	return tr(c.shell.lang, id, data...)
}

func (c *monitorCard) build() fyne.CanvasObject {
	c.pick = newSelect(c.shell, nil, func(o string) {
		if n := c.picked[o]; n != "" {
			c.chosen = n
		}
	})
	c.pick.PlaceHolder = c.t("mon.pick")
	mode := func(id string, m desk.MonitorMode) *widget.Button {
		return widget.NewButton(c.t(id), func() { c.onMode(m) })
	}
	c.listen = mode("mon.listen", desk.MonitorListen)
	c.whisper = mode("mon.whisper", desk.MonitorWhisper)
	c.barge = mode("mon.barge", desk.MonitorBarge)
	c.end = widget.NewButton(c.t("mon.end"), c.onEnd)
	c.end.Importance = widget.DangerImportance
	c.dismiss = widget.NewButton(c.t("mon.dismiss"), func() { c.shell.desk.DismissMonitor() })
	c.status = widget.NewLabel("")
	c.status.Wrapping = fyne.TextWrapWord
	c.status.TextStyle.Bold = true
	c.note = widget.NewMultiLineEntry()
	c.note.SetPlaceHolder(c.t("mon.note.hint"))
	c.note.SetMinRowsVisible(3)
	c.note.Wrapping = fyne.TextWrapWord
	c.send = widget.NewButton(c.t("mon.note.send"), c.onNote)
	c.sessions = widget.NewLabel("")
	c.sessions.Wrapping = fyne.TextWrapWord
	c.noteBox = container.NewVBox(widget.NewLabel(c.t("mon.note")), c.note, container.NewHBox(c.send, c.dismiss))
	c.noteBox.Hide()
	return container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(c.t("mon.agent")), nil, c.pick),
		container.NewGridWithColumns(4, c.listen, c.whisper, c.barge, c.end),
		c.status,
		c.noteBox,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(c.t("mon.sessions"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		c.sessions)
}

// apply shows m: the agents who may be joined, the session, the audit.
func (c *monitorCard) apply(m desk.View) {
	if c.pick == nil {
		return
	}
	c.last = m
	zone := m.Zone
	if zone == nil {
		zone = time.Local
	}
	// Agents on a call a supervisor may join, by name and number.
	c.picked = map[string]string{}
	var opts []string
	for _, a := range m.Board.Agents {
		if a.CallID == "" || a.Number == "" {
			continue
		}
		o := a.Agent
		if a.Number != a.Agent {
			o += " (" + a.Number + ")"
		}
		// The option's text stays the same while the call lasts (an open
		// drop-down keeps the texts it opened with): the call's start, not
		// its length.
		if !a.CallSince.IsZero() {
			o += " · " + c.t("mon.oncall", map[string]any{"Time": a.CallSince.In(zone).Format("15:04")})
		}
		c.picked[o] = a.Number
		opts = append(opts, o)
	}
	sort.Strings(opts)
	c.pick.SetOptions(opts)
	// Keep the agent picked across refreshes (the time in the option moves
	// on); an agent no longer on a call is no longer picked.
	keep := -1
	for i, o := range opts {
		if c.chosen != "" && c.picked[o] == c.chosen {
			keep = i
		}
	}
	if keep >= 0 {
		c.pick.SetSelectedIndex(keep)
	} else if c.pick.Selected != "" {
		c.chosen = ""
		c.pick.ClearSelected()
	}
	sv := m.Supervision
	up := sv != nil && sv.Up && !sv.Ended
	starting := sv != nil && !sv.Up && !sv.Ended
	canStart := sv == nil || sv.Ended
	for _, b := range []struct {
		w *widget.Button
		m desk.MonitorMode
	}{{c.listen, desk.MonitorListen}, {c.whisper, desk.MonitorWhisper}, {c.barge, desk.MonitorBarge}} {
		on := c.working == "" && (canStart && len(opts) > 0 || up && sv.Mode != b.m)
		b.w.Importance = widget.MediumImportance
		if up && sv.Mode == b.m {
			b.w.Importance = widget.HighImportance
		}
		setEnabled(b.w, on)
		b.w.Refresh()
	}
	setEnabled(c.end, c.working == "" && (up || starting))
	setEnabled(c.send, c.working == "" && sv != nil && !sv.Noted)
	setEnabled(c.dismiss, sv != nil && sv.Ended)
	if sv == nil {
		c.noteBox.Hide()
	} else {
		c.noteBox.Show()
	}
	switch {
	case sv == nil:
		if len(opts) == 0 {
			c.status.SetText(c.t("mon.nobody"))
		} else {
			c.status.SetText("")
		}
	case starting:
		c.status.SetText(c.t("mon.connecting", map[string]any{"Agent": sv.Agent}))
	case up:
		c.status.SetText(c.t("mon.on", map[string]any{"Agent": sv.Agent, "Mode": c.t(modeMessage(sv.Mode)),
			"Time": clock(max(0, m.At.Sub(sv.Since)))}))
	default:
		line := c.t("mon.over", map[string]any{"Agent": sv.Agent})
		if sv.Noted {
			line += " · " + c.t("mon.note.sent")
		}
		c.status.SetText(line)
	}
	var lines []string
	for _, s := range m.Board.Monitors {
		line := s.Created.In(zone).Format("15:04") + " " + c.t("mon.session", map[string]any{
			"By": s.Supervisor, "Agent": s.Agent, "Mode": c.t("mon.mode." + s.Mode)}) + " · " + c.t("mon.state."+s.State)
		if !s.Ended.IsZero() {
			line += " " + s.Ended.In(zone).Format("15:04")
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		lines = []string{c.t("sup.none")}
	}
	c.sessions.SetText(strings.Join(lines, "\n"))
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// modeMessage is the message id of a monitoring mode.
func modeMessage(m desk.MonitorMode) string { return "mon.mode." + m.String() }

// onMode starts a session in mode on the picked agent's call, or switches
// the session on to mode.
func (c *monitorCard) onMode(mode desk.MonitorMode) {
	d := c.shell.desk
	if sv := c.last.Supervision; sv != nil && sv.Up && !sv.Ended {
		c.working = "switch"
		c.apply(c.last)
		c.shell.run("monitor-switch", func() error { return d.SwitchMonitor(context.Background(), mode) }, c.done)
		return
	}
	who := c.chosen
	if who == "" {
		c.shell.warn(c.t("mon.pick"))
		return
	}
	c.working = "start"
	c.apply(c.last)
	c.shell.run("monitor-start", func() error {
		_, err := d.Monitor(context.Background(), who, mode)
		return err
	}, c.done)
}

func (c *monitorCard) onEnd() {
	c.working = "end"
	c.apply(c.last)
	d := c.shell.desk
	c.shell.run("monitor-end", func() error { return d.EndMonitor(context.Background()) }, c.done)
}

func (c *monitorCard) onNote() {
	text := c.note.Text
	c.working = "note"
	c.apply(c.last)
	d := c.shell.desk
	c.shell.run("monitor-note", func() error {
		_, err := d.AddCoaching(context.Background(), text)
		return err
	}, func(err error) {
		if err == nil {
			c.note.SetText("")
		}
		c.done(err)
	})
}

// done ends a command: its message if it failed, the buttons again.
func (c *monitorCard) done(err error) {
	c.working = ""
	if err != nil {
		c.shell.warn(errText(c.shell.lang, err))
	}
	c.apply(c.shell.view)
}

// monitoredText is what the agent's window says while a supervisor is on
// the call (only when the center shows it): the mode, and since when.
func monitoredText(lang string, m *desk.Monitored, at time.Time) string {
	if m == nil {
		return ""
	}
	return tr(lang, "mon.agent."+m.Mode.String(), map[string]any{"Time": clock(max(0, at.Sub(m.Since)))})
}

// coachingText is a coaching note as the agent reads it.
func coachingText(lang string, zone *time.Location, by, text string, at time.Time) string {
	if zone == nil {
		zone = time.Local
	}
	return fmt.Sprintf("%s · %s\n%s", by, at.In(zone).Format("01-02 15:04"), text)
}
