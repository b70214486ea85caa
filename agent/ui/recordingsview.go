package ui

import (
	"context"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// recordingsCard is the supervisor's list of agents' recordings on the
// hub (监听客服专员的电话录音): pick an agent (or all), list the last
// days' recordings, play one on the headset. The hub audits every play.
type recordingsCard struct {
	shell *Window

	agent  *selectBox
	find   *widget.Button
	status *widget.Label
	list   *fyne.Container
	found  []desk.HubRecording
	// playing is the recording playing ("" none); stop stops it.
	playing string
	stop    func()
}

// recordingDays is how far back the card lists recordings.
const recordingDays = 7

func (c *recordingsCard) t(id string, data ...map[string]any) string {
	return tr(c.shell.lang, id, data...)
}

func (c *recordingsCard) build() fyne.CanvasObject {
	c.agent = newSelect(c.shell, []string{c.t("rec.all")}, nil)
	c.agent.SetSelectedIndex(0)
	c.find = widget.NewButtonWithIcon(c.t("rec.find"), theme.SearchIcon(), c.onFind)
	c.status = widget.NewLabel("")
	c.list = container.NewVBox()
	return container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(c.t("mon.agent")), c.find, c.agent),
		c.status, c.list)
}

// apply keeps the agents to pick from those on the board.
func (c *recordingsCard) apply(m desk.View) {
	if c.agent == nil {
		return
	}
	opts := []string{c.t("rec.all")}
	seen := map[string]bool{}
	var nums []string
	for _, a := range m.Board.Agents {
		n := a.Number
		if n == "" {
			n = a.Agent
		}
		if n != "" && !seen[n] {
			seen[n] = true
			nums = append(nums, n)
		}
	}
	sort.Strings(nums)
	opts = append(opts, nums...)
	sel := c.agent.Selected
	c.agent.SetOptions(opts)
	if !contains(opts, sel) {
		sel = opts[0]
	}
	c.agent.SetSelected(sel)
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// onFind lists the picked agent's recordings of the last days.
func (c *recordingsCard) onFind() {
	who := c.agent.Selected
	if who == c.t("rec.all") {
		who = ""
	}
	to := c.shell.view.At
	if to.IsZero() {
		to = time.Now()
	}
	from := to.AddDate(0, 0, -recordingDays)
	d := c.shell.desk
	var found []desk.HubRecording
	c.find.Disable()
	c.status.SetText(c.t("rec.finding"))
	c.shell.run("hubrec-find", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
		defer cancel()
		var err error
		found, err = d.HubRecordings(ctx, who, from, to.Add(time.Minute))
		return err
	}, func(err error) {
		c.find.Enable()
		if err != nil {
			c.status.SetText("")
			c.shell.warn(errText(c.shell.lang, err))
			return
		}
		c.found = found
		c.status.SetText(c.t("rec.count", map[string]any{"Count": len(found)}))
		c.show()
	})
}

// show lays the found recordings out, one row each.
func (c *recordingsCard) show() {
	zone := c.shell.view.Zone
	if zone == nil {
		zone = time.Local
	}
	c.list.RemoveAll()
	for _, r := range c.found {
		line := widget.NewLabel(r.Started.In(zone).Format("01-02 15:04") + "  " + r.Agent + "  " + clock(r.Duration))
		var right fyne.CanvasObject
		switch {
		case !r.Audio:
			l := widget.NewLabel(c.t("rec.noaudio"))
			l.Importance = widget.LowImportance
			right = l
		default:
			right = c.playButton(r)
		}
		c.list.Add(container.NewBorder(nil, nil, nil, right, line))
	}
	c.list.Refresh()
}

// playButton plays r on the headset, ▶ while idle and ■ while it plays.
func (c *recordingsCard) playButton(r desk.HubRecording) fyne.CanvasObject {
	if c.playing == r.ID {
		return widget.NewButtonWithIcon(c.t("btn.play.stop"), theme.MediaStopIcon(), func() {
			if c.stop != nil {
				c.stop()
			}
		})
	}
	b := widget.NewButtonWithIcon(c.t("rec.play"), theme.MediaPlayIcon(), func() {
		if c.playing != "" {
			return
		}
		id, d := r.ID, c.shell.desk
		ctx, cancel := context.WithTimeout(context.Background(), r.Duration+hubTimeout)
		c.playing, c.stop = id, cancel
		c.show()
		c.shell.run("hubrec-play", func() error { return d.PlayHubRecording(ctx, id) }, func(err error) {
			cancel()
			c.playing, c.stop = "", nil
			c.show()
			if err != nil {
				c.shell.warn(errText(c.shell.lang, err))
			}
		})
	})
	if c.playing != "" || c.shell.view.Call != nil {
		b.Disable() // one at a time, and never over a call in the headset
	}
	return b
}
