package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// trainerView is the script pack editor with a live preview for any date,
// time, caller and language.
type trainerView struct {
	shell            *Window
	path             *field
	editor           *field
	at, surname      *field
	title            *selectBox
	silent, outbound *checkBox
	preview          *widget.RichText
	errors           *fyne.Container
	save, publish    *widget.Button
}

func newTrainerView(s *Window) *trainerView { return &trainerView{shell: s} }

func (v *trainerView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

// previewLayout is how the preview instant is typed, in the center's zone.
const previewLayout = "2006-01-02 15:04"

func (v *trainerView) buildUI() fyne.CanvasObject {
	v.path = newField(v.shell, "pack.toml")
	v.editor = newArea(v.shell, "", 20)
	v.editor.OnChanged = func(string) { v.onPreview() }
	v.at = newField(v.shell, previewLayout)
	at := v.shell.view.At
	if at.IsZero() {
		at = time.Now()
	}
	v.at.SetText(at.In(v.zone()).Format(previewLayout))
	v.at.OnChanged = func(string) { v.onPreview() }
	v.surname = newField(v.shell, "")
	v.surname.OnChanged = func(string) { v.onPreview() }
	v.title = newSelect(v.shell, []string{"", "先生", "女士"}, func(string) { v.onPreview() })
	v.title.PlaceHolder = "—"
	v.silent = newCheck(v.shell, v.t("tr.silent"), func(bool) { v.onPreview() })
	v.outbound = newCheck(v.shell, v.t("tr.outbound"), func(bool) { v.onPreview() })
	v.preview = widget.NewRichText()
	v.preview.Wrapping = fyne.TextWrapWord
	v.errors = container.NewVBox()
	v.save = widget.NewButton(v.t("btn.save"), v.onSave)
	v.publish = widget.NewButton(v.t("tr.publish"), v.onPublish)
	form := widget.NewForm(
		widget.NewFormItem(v.t("tr.at"), v.at),
		widget.NewFormItem(v.t("tr.surname"), container.NewGridWithColumns(2, v.surname, v.title)),
		widget.NewFormItem("", container.NewHBox(v.silent, v.outbound)),
	)
	side := container.NewVBox(form, widget.NewLabelWithStyle(v.t("tr.preview"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.preview, v.errors)
	edit := container.NewBorder(container.NewBorder(nil, nil, widget.NewLabel(v.t("tr.pack")), container.NewHBox(v.save, v.publish), v.path), nil, nil, nil, v.editor)
	split := container.NewHSplit(edit, container.NewVScroll(side))
	split.Offset = 0.55
	v.load()
	return split
}

// load reads the pack in use for the window's language (a file read: off
// the Fyne goroutine).
func (v *trainerView) load() {
	lang, d := v.shell.lang, v.shell.desk
	var path, text string
	v.shell.run("pack-load", func() error {
		var err error
		path, text, err = d.PackText(lang)
		return err
	}, func(err error) {
		if err != nil {
			v.shell.warn(errText(v.shell.lang, err))
			return
		}
		v.path.SetText(path)
		v.editor.SetText(text)
		v.onPreview()
	})
}

func (v *trainerView) zone() *time.Location {
	if z := v.shell.view.Zone; z != nil {
		return z
	}
	return time.Local
}

func (v *trainerView) apply(desk.View) {
	if v.save == nil {
		return
	}
	for _, b := range []struct {
		w     *widget.Button
		key   string
		label string
	}{{v.save, "pack-save", "btn.save"}, {v.publish, "pack-publish", "tr.publish"}} {
		if v.shell.busy[b.key] {
			b.w.SetText(v.t(b.label) + " …")
			b.w.Disable()
		} else {
			b.w.SetText(v.t(b.label))
			b.w.Enable()
		}
	}
}

func (v *trainerView) request() (desk.PreviewRequest, bool) {
	at, err := time.ParseInLocation(previewLayout, v.at.Text, v.zone())
	return desk.PreviewRequest{At: at, Surname: v.surname.Text, Title: v.title.Selected,
		Silent: v.silent.Checked, Outbound: v.outbound.Checked}, err == nil
}

// onPreview re-renders on every keystroke: trainers see the effect live.
// Parsing and rendering a pack is pure computation, quick enough here.
func (v *trainerView) onPreview() {
	if v.preview == nil || v.errors == nil {
		return
	}
	req, ok := v.request()
	v.errors.RemoveAll()
	if !ok {
		v.errors.Add(errorLabel(v.t("tr.at.bad", map[string]any{"Example": previewLayout})))
		return
	}
	opening, errs := v.shell.desk.PreviewPack(v.editor.Text, req)
	v.setPreview(opening)
	if len(errs) == 0 {
		ok := widget.NewLabel(v.t("tr.valid"))
		ok.Importance = widget.SuccessImportance
		v.errors.Add(ok)
		return
	}
	for _, e := range errs {
		line := e.Line
		b := widget.NewButton(fmt.Sprintf("%d: %s", e.Line, e.Msg), func() { v.gotoLine(line) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.DangerImportance
		v.errors.Add(b)
	}
}

func (v *trainerView) setPreview(s string) {
	v.preview.Segments = []widget.RichTextSegment{&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}}}}
	v.preview.Refresh()
}

// gotoLine puts the editor's cursor on a reported line.
func (v *trainerView) gotoLine(line int) {
	v.editor.CursorRow = max(0, line-1)
	v.editor.CursorColumn = 0
	v.editor.Refresh()
	v.shell.win.Canvas().Focus(v.editor)
}

func (v *trainerView) onSave() {
	if v.save == nil {
		return
	}
	path, text, d := v.path.Text, v.editor.Text, v.shell.desk
	v.shell.run("pack-save", func() error { return d.SavePackFile(path, text) }, func(err error) {
		if err != nil {
			v.shell.warn(v.t("err.save") + "\n" + errText(v.shell.lang, err))
			return
		}
		v.shell.info(v.t("tr.saved", map[string]any{"Path": path}))
	})
}

func (v *trainerView) onPublish() {
	text, d := v.editor.Text, v.shell.desk
	var pv desk.PackVersion
	v.shell.run("pack-publish", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		pv, err = d.PublishPack(ctx, text)
		return err
	}, func(err error) {
		if err != nil {
			v.shell.warn(errText(v.shell.lang, err))
			return
		}
		v.shell.info(v.t("tr.published", map[string]any{"Version": pv.Version}))
	})
}

func errorLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	return l
}
