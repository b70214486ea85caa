package main

import (
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/scripts"
)

// quietScenario rings once, an hour after start: the trainer is not
// interrupted.
const quietScenario = `name = "quiet"
[[caller]]
number = "13800138000"
delay = "1h"
`

// TestTrainerJourney_HolidayNoticeWithThePickers is a trainer entering
// this year's 春节 notice in the real window, by real input: Alt+3 opens
// the pack editor; the company is pasted in Chinese; the preview day is
// picked from the date picker's calendar (15 February 2026, a day the
// default calendar does not count as 春节); on the holidays tab the
// holiday is picked from its drop-down and the notice's first and last
// days from the pickers' calendars; the preview and the year calendar
// change; Ctrl+S saves to a file typed into the path field; the text view
// shows the same file. The file must parse and hold the notice, and greet
// with it must say the 春节 line on 15 February.
func TestTrainerJourney_HolidayNoticeWithThePickers(t *testing.T) {
	x := startX(t)
	bin := desktopBinary(t)
	data := filepath.Join(x.dir, "desk-data")
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(quietScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(bin, nil, "--data", data, "--pbx.scenario", scn, "--lang", "zh-Hans", "--role", "supervisor")
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="window shown"`, 30*time.Second)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	or := newSyncOracle(t, "zh-Hans")
	// The oracle's clock is the real desk's: the pickers open on the same month.
	now := time.Now().In(shanghai)
	or.win.Apply(desk.View{Seq: 1 << 40, At: now, Zone: shanghai, Lang: "zh-Hans"})
	at := func(p image.Point) image.Point { return win.Add(p) }
	// click clicks p in the real window and taps it in the oracle's.
	click := func(p image.Point) {
		t.Helper()
		x.click(at(p))
		or.tapAt(p)
	}
	full := image.Rect(win.X, win.Y, win.X+int(windowSize.Width), win.Y+int(windowSize.Height))
	leftW := int(windowSize.Width * 0.58)
	left := image.Rect(win.X, win.Y+90, win.X+leftW, full.Max.Y)
	right := image.Rect(win.X+int(windowSize.Width*0.62), win.Y+90, full.Max.X, full.Max.Y)

	x.click(at(deskFocusPoint))
	x.key("alt+3")
	or.win.ShowTab(ui.TabTrainer)
	or.wait(t, "公司名称", 10*time.Second)
	// The first paint of a new tab can take a moment on a cold start.
	form := x.shot("trainer-form")
	for deadline := time.Now().Add(15 * time.Second); colours(form, left) < 20; form = x.shot("trainer-form") {
		if time.Now().After(deadline) {
			t.Fatalf("the trainer tab looks blank (%d colours)", colours(form, left))
		}
		time.Sleep(300 * time.Millisecond)
	}

	// The company, in Chinese, through the clipboard.
	x.click(at(or.labelled("XX")))
	x.key("ctrl+a")
	x.paste("东方物业")
	time.Sleep(500 * time.Millisecond)
	company := x.shot("trainer-company")
	if n := changed(form, company, right); n < 500 {
		t.Errorf("the preview did not follow the company (%d pixels changed)", n)
	}

	// The preview day from the date picker: back to February 2026, the 15th.
	today := now.Format("2006-01-02")
	click(or.iconRightOf(t, or.labelled(today)))
	months := (now.Year()-2026)*12 + int(now.Month()) - int(time.February)
	step := 0 // the popup's ‹ button; › when today is before February 2026
	if months < 0 {
		step, months = 1, -months
	}
	for range months {
		click(or.popupButtons(t)[step])
	}
	if _, ok := or.find("2026年2月", true); !ok {
		t.Fatal("the oracle's picker is not on February 2026")
	}
	click(or.overlayText(t, "15"))
	time.Sleep(600 * time.Millisecond)
	feb15 := x.shot("trainer-feb15")
	// The date field reads 2026-02-15 now (the opening is a standard one
	// on both days, so only the date may change).
	if n := changed(company, feb15, image.Rectangle{Min: at(or.iconRightOf(t, or.labelled("2026-02-15")).Sub(image.Pt(400, 15))),
		Max: at(or.iconRightOf(t, or.labelled("2026-02-15")).Add(image.Pt(0, 15)))}); n < 50 {
		t.Errorf("picking the day did not change the date field (%d pixels)", n)
	}

	// The holidays tab: 春节, from the 15th to the 23rd.
	click(or.labelled("节日"))
	time.Sleep(700 * time.Millisecond)
	tab := x.shot("trainer-holidays")
	if n := changed(feb15, tab, left); n < 5000 {
		t.Errorf("the holidays tab did not show (%d pixels)", n)
	}
	click(or.labelled("请先选择节日"))
	time.Sleep(400 * time.Millisecond)
	click(or.overlayText(t, "春节"))
	dates := or.findAll("2026-02-15")
	sort.Slice(dates, func(i, j int) bool { return dates[i].X < dates[j].X })
	if len(dates) < 3 || dates[1].X > leftW {
		t.Fatalf("want the period's two pickers on 2026-02-15 on the left, found %v", dates)
	}
	from, to := dates[0], dates[1]
	click(or.iconRightOf(t, from))
	time.Sleep(300 * time.Millisecond)
	x.shot("trainer-date-picker")
	click(or.overlayText(t, "15"))
	click(or.iconRightOf(t, to))
	time.Sleep(300 * time.Millisecond)
	click(or.overlayText(t, "23"))
	time.Sleep(300 * time.Millisecond)
	picked := x.shot("trainer-period-picked")
	click(or.button("设为该年日期"))
	time.Sleep(800 * time.Millisecond)
	notice := x.shot("trainer-notice")
	if n := changed(picked, notice, right); n < 300 {
		t.Errorf("the notice did not change the preview of 15 February (%d pixels)", n)
	}
	if n := changed(picked, notice, left); n < 300 {
		t.Errorf("the notice did not change the year calendar (%d pixels)", n)
	}

	// Save to a file typed into the path field, with Ctrl+S.
	path := filepath.Join(x.dir, "pack-2026.toml")
	x.click(at(or.labelled("保存到的文件，例如 /home/培训/话术包.toml")))
	x.typeText(path)
	x.key("ctrl+s")
	d.waitLog(`msg="pack saved"`, 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	x.shot("trainer-saved")
	x.key("Return")

	// The text view shows the same file.
	click(or.labelled("表单"))
	time.Sleep(400 * time.Millisecond)
	click(or.overlayText(t, "文本"))
	time.Sleep(700 * time.Millisecond)
	text := x.shot("trainer-text")
	if n := changed(notice, text, left); n < 5000 {
		t.Errorf("the text view did not show (%d pixels)", n)
	}

	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the pack was not saved: %v", err)
	}
	for _, want := range []string{"company = \"东方物业\"", "[[calendar]]\nholiday = \"spring_festival\"\nfrom = \"2026-02-15\"\nto = \"2026-02-23\"",
		"# 话术包 · 简体中文 (zh-Hans)"} {
		if !strings.Contains(string(saved), want) {
			t.Errorf("the saved pack lacks %q", want)
		}
	}
	p, err := scripts.LoadFile(path)
	if err != nil {
		t.Fatalf("the saved pack does not parse: %v", err)
	}
	line, err := p.Opening(scripts.Request{At: time.Date(2026, 2, 15, 10, 0, 0, 0, shanghai)})
	if err != nil || line != "新年好！东方物业客服中心，请问有什么可以帮您！" {
		t.Errorf("greet on 15 Feb with the saved pack = %q, %v", line, err)
	}
	d.stop()
	if n := d.count(`msg="agentdesk stopped"`); n != 1 {
		t.Errorf("the desk did not stop cleanly")
	}
}

// newSyncOracle is newOracle whose commands run at once on the test's
// goroutine: the trainer tab reads its pack in a command, and a command
// on another goroutine would paint the oracle while the test walks it.
func newSyncOracle(t *testing.T, lang string) *oracle {
	t.Helper()
	a := test.NewTempApp(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := desk.Defaults()
	cfg.Lang = lang
	packs, err := desk.LoadPacks(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Practice: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	w := test.NewTempWindow(t, nil)
	w.Resize(windowSize)
	win := ui.NewWindow(a, w, d, ui.Options{Lang: lang, Config: cfg, Role: agent.RoleSupervisor,
		SaveConfig: func(desk.Config) error { return nil }, Go: func(work func()) { work() }})
	w.Resize(windowSize)
	return &oracle{t: t, w: w, win: win}
}

// placedIn walks root as oracle.objects does: visible objects with their
// places relative to the window.
func placedIn(root fyne.CanvasObject) []placed {
	var out []placed
	var walk func(obj fyne.CanvasObject, at fyne.Position)
	walk = func(obj fyne.CanvasObject, at fyne.Position) {
		if obj == nil || !obj.Visible() {
			return
		}
		p := at.Add(obj.Position())
		s := obj.Size()
		out = append(out, placed{obj, image.Rect(int(p.X), int(p.Y), int(p.X+s.Width), int(p.Y+s.Height))})
		switch v := obj.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c, p)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c, p)
			}
		}
	}
	walk(root, fyne.Position{})
	return out
}

// overlay is what the top overlay (a pop-up, a menu) shows.
func (o *oracle) overlay() []placed {
	o.layout()
	top := o.w.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	return placedIn(top)
}

// find is the centre of the first visible text reading text, in the top
// overlay only when inOverlay.
func (o *oracle) find(text string, inOverlay bool) (image.Point, bool) {
	objs := o.objects()
	if inOverlay {
		objs = o.overlay()
	}
	for _, p := range objs {
		if tx, ok := p.obj.(*canvas.Text); ok && tx.Text == text {
			return centre(p.rect), true
		}
	}
	return image.Point{}, false
}

// findAll is the centres of every visible text reading text.
func (o *oracle) findAll(text string) []image.Point {
	var out []image.Point
	for _, p := range o.objects() {
		if tx, ok := p.obj.(*canvas.Text); ok && tx.Text == text {
			out = append(out, centre(p.rect))
		}
	}
	return out
}

// wait waits for the oracle window to show text (a view filled in the
// background).
func (o *oracle) wait(t *testing.T, text string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, ok := o.find(text, false); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the oracle window shows no %q within %v", text, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// overlayText is the centre of text in the top overlay.
func (o *oracle) overlayText(t *testing.T, text string) image.Point {
	t.Helper()
	p, ok := o.find(text, true)
	if !ok {
		t.Fatalf("the oracle's pop-up shows no %q", text)
	}
	return p
}

// popupButtons are the top overlay's buttons without a label, left to
// right (a date picker's ‹ and ›).
func (o *oracle) popupButtons(t *testing.T) []image.Point {
	t.Helper()
	var out []image.Point
	for _, p := range o.overlay() {
		if b, ok := p.obj.(*widget.Button); ok && b.Text == "" {
			out = append(out, centre(p.rect))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].X < out[j].X })
	if len(out) < 2 {
		t.Fatalf("the pop-up has %d icon buttons", len(out))
	}
	return out
}

// iconRightOf is the centre of the nearest button without a label to the
// right of p, on its row (a date field's calendar button).
func (o *oracle) iconRightOf(t *testing.T, p image.Point) image.Point {
	t.Helper()
	best, found := image.Point{}, false
	for _, pl := range o.objects() {
		b, ok := pl.obj.(*widget.Button)
		if !ok || b.Text != "" || pl.rect.Min.X < p.X || p.Y < pl.rect.Min.Y || p.Y > pl.rect.Max.Y {
			continue
		}
		if c := centre(pl.rect); !found || c.X < best.X {
			best, found = c, true
		}
	}
	if !found {
		t.Fatalf("no icon button right of %v", p)
	}
	return best
}

// tapAt taps the smallest tappable object under p in the oracle window
// (its overlays first), as a click there does in the real one.
func (o *oracle) tapAt(p image.Point) {
	if top := o.w.Canvas().Overlays().Top(); top != nil {
		if o.tapIn(o.overlay(), p) {
			return
		}
		o.w.Canvas().Overlays().Remove(top) // a click beside a pop-up closes it
	}
	o.tapIn(o.objects(), p)
}

func (o *oracle) tapIn(objs []placed, p image.Point) bool {
	var hit fyne.Tappable
	var at image.Rectangle
	area := 1 << 30
	for _, pl := range objs {
		if tp, ok := pl.obj.(fyne.Tappable); ok && p.In(pl.rect) && pl.rect.Dx()*pl.rect.Dy() < area {
			hit, at, area = tp, pl.rect, pl.rect.Dx()*pl.rect.Dy()
		}
	}
	if hit == nil {
		return false
	}
	test.TapAt(hit, fyne.NewPos(float32(p.X-at.Min.X), float32(p.Y-at.Min.Y)))
	return true
}
