package main

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"time"

	"fyne.io/fyne/v2"

	"agentdesk/agent/desk"
	"agentdesk/agent/ui"
)

// drive is the smoke test's hand on the desk (AGENTDESK_DRIVE=1): it waits
// for the practice call, answers it through the same backend command the
// Answer button uses, fills the complaint wizard and saves it through the
// wizard's Save,
// then switches language and tabs, printing a progress line per step
// ("drive: ringing", "drive: answered", "drive: complaint saved", …,
// "drive: done") on stderr for the smoke test to take its screenshots on.
func drive(ctx context.Context, d *deskBackend, win *ui.Window, log *slog.Logger) {
	wait := func(pred func(desk.Call, bool) bool) bool {
		for {
			if pred(d.d.State().Current()) {
				return true
			}
			select {
			case <-ctx.Done():
				return false
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	// Each step is announced on stderr; the driver then waits for a line on
	// stdin (the smoke test's "screenshot taken") before the next one.
	in := bufio.NewReader(os.Stdin)
	say := func(s string) {
		os.Stderr.WriteString("drive: " + s + "\n")
		in.ReadString('\n')
	}
	if !wait(func(c desk.Call, ok bool) bool { return ok && c.Status == desk.CallRinging }) {
		return
	}
	say("ringing")
	if err := d.Answer(); err != nil {
		log.Error("drive answer", "error", err)
		return
	}
	if !wait(func(c desk.Call, ok bool) bool { return ok && c.Status == desk.CallOnCall }) {
		return
	}
	say("answered")
	draft := ui.ComplaintDraft{
		Statement: "你好，我上周买的冰箱到现在还没送到，想问一下怎么回事。",
		What:      "冰箱未送达", When: "上周", Where: "上海", Subject: "冰箱订单", Wants: "尽快送货",
		ReadBack: true, Severity: "simple",
	}
	done := make(chan struct{})
	fyne.Do(func() { win.ShowComplaint(draft); close(done) })
	<-done
	before := d.savedCount()
	fyne.Do(win.SubmitComplaint)
	if !wait(func(desk.Call, bool) bool { return d.savedCount() > before }) {
		return
	}
	say("complaint saved")
	for _, step := range []struct {
		name string
		fn   func()
	}{
		{"lang zh-Hant", func() { win.SetLang("zh-Hant") }},
		{"lang en", func() { win.SetLang("en") }},
		{"trainer", func() { win.ShowTab(2) }},
		{"settings", func() { win.ShowTab(3) }},
		{"supervisor", func() { win.SetLang("zh-Hans"); win.ShowTab(1) }},
	} {
		fyne.Do(step.fn)
		say(step.name)
	}
	say("done")
}
