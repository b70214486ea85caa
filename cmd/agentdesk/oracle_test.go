package main

import (
	"image"
	"log/slog"
	"path/filepath"
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
)

// oracle lays out the same window the real desk shows, in Fyne's test
// driver, at the real window's size and with the same theme, so a test can
// ask where a widget is before clicking it in the real window. It uses the
// window's public API only: what it finds are widgets as any user sees
// them (a button by its label).
type oracle struct {
	t   *testing.T
	w   fyne.Window
	win *ui.Window
	d   *desk.Desk
}

// windowSize is the desk window's size (cmd/agentdesk's main).
var windowSize = fyne.NewSize(1280, 720)

func newOracle(t *testing.T, lang string) *oracle { return newOracleSeeded(t, lang, nil) }

// newOracleSeeded is newOracle whose data file seed fills first (the rows
// a list of the real window shows, so the oracle lays them out too).
func newOracleSeeded(t *testing.T, lang string, seed func(st *store.Store)) *oracle {
	t.Helper()
	return newOracleWith(t, lang, seed, nil)
}

// newOracleWith is newOracleSeeded with the window's options changed by
// opts (the role, the signed-in agent).
func newOracleWith(t *testing.T, lang string, seed func(st *store.Store), opts func(o *ui.Options)) *oracle {
	t.Helper()
	a := test.NewTempApp(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if seed != nil {
		seed(st)
	}
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
	o := ui.Options{Lang: lang, Config: cfg, Role: agent.RoleSupervisor, SaveConfig: func(desk.Config) error { return nil }}
	if opts != nil {
		opts(&o)
	}
	win := ui.NewWindow(a, w, d, o)
	w.Resize(windowSize)
	return &oracle{t: t, w: w, win: win, d: d}
}

// layout lays the window out again after a change (a tab or page shown).
func (o *oracle) layout() {
	c := o.w.Canvas().Content()
	c.Resize(c.Size().AddWidthHeight(1, 0))
	c.Resize(c.Size().SubtractWidthHeight(1, 0))
	c.Refresh()
}

// key presses a function key in the oracle's window.
func (o *oracle) key(k fyne.KeyName) { o.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }

// placed is a drawn object and where it is, relative to the window.
type placed struct {
	obj  fyne.CanvasObject
	rect image.Rectangle
}

// objects walks the window's content and overlays, visible objects only,
// with their places: each child is placed by its parent's position plus
// its own (widgets through their renderers).
func (o *oracle) objects() []placed {
	o.layout()
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
	walk(o.w.Canvas().Content(), fyne.Position{})
	for _, ov := range o.w.Canvas().Overlays().List() {
		walk(ov, fyne.Position{})
	}
	return out
}

// button is the centre of the visible button labelled text, relative to
// the window's top-left corner.
func (o *oracle) button(text string) image.Point {
	o.t.Helper()
	for _, p := range o.objects() {
		if b, ok := p.obj.(*widget.Button); ok && b.Text == text {
			return centre(p.rect)
		}
	}
	o.t.Fatalf("the oracle window has no button %q", text)
	return image.Point{}
}

// iconButton is the centre of the first visible button showing icon res
// whose label is text, waiting up to within for the desk's lists to load.
func (o *oracle) iconButton(res fyne.Resource, text string, within time.Duration) image.Point {
	o.t.Helper()
	deadline := time.Now().Add(within)
	for {
		o.win.Apply(o.d.View()) // the oracle's window is not subscribed
		for _, p := range o.objects() {
			if b, ok := p.obj.(*widget.Button); ok && b.Text == text && b.Icon != nil && b.Icon.Name() == res.Name() {
				return centre(p.rect)
			}
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("the oracle window has no button %q with icon %s", text, res.Name())
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline for the lists
	}
}

// labelled is the centre of the first visible text that reads text (a
// tab header, a label, a drop-down's choice, a menu item), relative to the
// window.
func (o *oracle) labelled(text string) image.Point {
	o.t.Helper()
	for _, p := range o.objects() {
		if tx, ok := p.obj.(*canvas.Text); ok && tx.Text == text {
			return centre(p.rect)
		}
	}
	o.t.Fatalf("the oracle window shows no %q", text)
	return image.Point{}
}

func centre(r image.Rectangle) image.Point {
	return image.Pt((r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2)
}
