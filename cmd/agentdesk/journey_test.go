package main

import (
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
)

// practiceScenario rings once, 3 s after start, a known member who waits
// for the agent to end the call.
const practiceScenario = `name = "e2e"
[[caller]]
number = "13800138000"
display_name = "王建国"
delay = "3s"
ring = "120s"
says = "我上周买的冰箱还没送到"
[caller.customer]
name = "王建国"
surname = "王"
title = "先生"
member = true
level = "金卡"
`

// TestJourney_RingAnswerComplaintSaveHangup is the agent's whole journey in
// the real window, by real input: the practice call rings, F2 answers (the
// talk timer keeps ticking), F9 opens the complaint wizard, the agent types
// (Chinese through the clipboard) and moves on with Ctrl+Enter and Tab,
// picks the severity with the arrow keys, confirms the read-back with
// Space, clicks Save, closes the confirmation with Return, hangs up with F3
// and Return, switches tabs with Alt+2…4 and the language by clicking the
// settings' drop-down. Each step's screenshot must show what it should, and
// the data file must hold the complaint and the call afterwards.
func TestJourney_RingAnswerComplaintSaveHangup(t *testing.T) {
	x := startX(t)
	bin := desktopBinary(t)
	data := filepath.Join(x.dir, "desk-data")
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(practiceScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(bin, nil, "--data", data, "--pbx.scenario", scn, "--lang", "zh-Hans", "--role", "supervisor")
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="window shown"`, 30*time.Second)
	or := newOracle(t, "zh-Hans")
	at := func(p image.Point) image.Point { return win.Add(p) }
	full := image.Rect(win.X, win.Y, win.X+int(windowSize.Width), win.Y+int(windowSize.Height))
	left := image.Rect(win.X, win.Y+90, win.X+int(windowSize.Width*0.5), win.Y+int(windowSize.Height))
	right := image.Rect(win.X+int(windowSize.Width*0.6), win.Y+90, full.Max.X, full.Max.Y)

	idle := x.shot("desk-idle")
	if n := colours(idle, full); n < 20 {
		t.Fatalf("the window looks blank (%d colours)", n)
	}
	d.waitLog(`msg="call event".* event=ringing`, 60*time.Second)
	time.Sleep(700 * time.Millisecond) // the caller card follows the pop
	ringing := x.shot("desk-ringing")
	if n := changed(idle, ringing, left); n < 2000 {
		t.Errorf("ringing: the caller card area changed by %d pixels only", n)
	}

	// Focus the window (a click on the opening line), then answer with F2.
	x.click(at(deskFocusPoint))
	x.key("F2")
	d.waitLog(`msg="call event".* event=answered`, 20*time.Second)
	time.Sleep(500 * time.Millisecond) // the view of the answered call is painted
	a1 := x.shot("desk-answered")
	time.Sleep(2200 * time.Millisecond)
	a2 := x.shot("desk-answered-later")
	if n := changed(a1, a2, left); n == 0 {
		t.Errorf("on the call the talk timer should tick: no pixel changed in 2 s")
	}

	x.key("F9")
	x.paste("你好，我上周买的冰箱到现在还没送到。")
	x.key("ctrl+Return")
	x.paste("冰箱未送达")
	x.key("Tab")
	x.typeText("last week")
	x.key("Tab")
	x.paste("上海")
	x.key("Tab")
	x.typeText("order 8812")
	x.key("Tab")
	x.paste("尽快送货")
	x.key("ctrl+Return", "Right", "ctrl+Return", "ctrl+Return", "ctrl+Return", "space")
	report := x.shot("complaint-report")
	if n := changed(a2, report, right); n < 2000 {
		t.Errorf("the wizard's report page did not show (%d pixels changed)", n)
	}
	or.key(fyne.KeyF9) // the oracle opens the wizard too, to find its Save
	x.click(at(or.button("保存")))
	d.waitLog(`msg="call event".* event=answered`, time.Second) // still on the call
	time.Sleep(700 * time.Millisecond)
	saved := x.shot("complaint-saved")
	if n := changed(report, saved, full); n < 1000 {
		t.Errorf("no confirmation after Save (%d pixels changed)", n)
	}
	x.key("Return")
	x.key("F3")
	x.key("Return")
	d.waitLog(`msg="call event".* event=ended`, 20*time.Second)
	ended := x.shot("desk-after-call")
	if n := changed(saved, ended, left); n < 2000 {
		t.Errorf("the caller card did not clear after the call (%d pixels changed)", n)
	}

	prev := ended
	for _, tab := range []struct{ key, name string }{{"alt+2", "supervisor"}, {"alt+3", "trainer"}, {"alt+4", "settings"}} {
		x.key(tab.key)
		time.Sleep(500 * time.Millisecond)
		img := x.shot(tab.name)
		if n := changed(prev, img, full); n < 5000 {
			t.Errorf("%s: the tab did not change the window (%d pixels)", tab.key, n)
		}
		prev = img
	}

	// The language, by mouse: open the drop-down, pick English.
	or.win.ShowTab(ui.TabSettings)
	x.click(at(or.labelled("简体中文")))
	or.tapSelect("简体中文")
	x.click(at(or.labelled("English")))
	x.waitWindow("Agent desk", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	en := x.shot("settings-en")
	if n := changed(prev, en, full); n < 5000 {
		t.Errorf("the language switch did not redraw the window (%d pixels)", n)
	}
	x.key("alt+1")
	time.Sleep(500 * time.Millisecond)
	x.shot("desk-en")

	d.stop()
	if n := d.count(`msg="agentdesk stopped"`); n != 1 {
		t.Errorf("the desk did not stop cleanly on SIGTERM")
	}
	log, err := os.ReadFile(filepath.Join(data, logName))
	if err != nil || !strings.Contains(string(log), `msg="window shown"`) {
		t.Errorf("the desk's log file: %v", err)
	}
	st, err := store.Open(filepath.Join(data, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Complaints(store.ComplaintFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("complaints in the data file: %d, %v", len(cs), err)
	}
	c := cs[0]
	if c.Heard == nil || c.Heard.Statement != "你好，我上周买的冰箱到现在还没送到。" || c.Asked == nil ||
		c.Asked.Facts != (agent.Facts{What: "冰箱未送达", When: "last week", Where: "上海", Subject: "order 8812", Wants: "尽快送货"}) ||
		!c.Asked.ReadBack || c.Followed == nil || c.Followed.Severity != agent.SeveritySimple || c.State != agent.StateAwaitingReply {
		t.Errorf("stored complaint = %+v (heard %+v, asked %+v, followed %+v)", c, c.Heard, c.Asked, c.Followed)
	}
	calls, err := st.Calls(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(calls) != 1 || !calls[0].Answered || calls[0].Number != "+8613800138000" {
		t.Errorf("calls in the data file: %+v, %v", calls, err)
	}
}

// tapSelect opens the drop-down showing text in the oracle window, so its
// menu's items can be found.
func (o *oracle) tapSelect(text string) {
	o.t.Helper()
	p := o.labelled(text)
	var hit fyne.Tappable
	area := 1 << 30
	for _, pl := range o.objects() {
		if tp, ok := pl.obj.(fyne.Tappable); ok && p.In(pl.rect) && pl.rect.Dx()*pl.rect.Dy() < area {
			hit, area = tp, pl.rect.Dx()*pl.rect.Dy()
		}
	}
	if hit == nil {
		o.t.Fatalf("nothing to tap at %q", text)
	}
	test.Tap(hit)
}
