package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// PreviewRequest is the caller and instant a trainer previews a pack for.
type PreviewRequest struct {
	At               time.Time
	Lang             string
	Surname, Title   string
	Silent, Outbound bool
}

// LineError is a pack validation error at its line (1-based).
type LineError struct {
	Line int
	Msg  string
}

// PackTools is what the trainer view needs of the script pack code.
type PackTools interface {
	// Load returns the pack being edited: its file (empty for the embedded
	// default) and its text.
	Load(lang string) (path, text string, err error)
	// Preview parses text and renders the opening for req, or returns the
	// validation errors.
	Preview(text string, req PreviewRequest) (opening string, errs []LineError)
	// Save writes text to path after validating it.
	Save(path, text string) error
	// Publish sends the pack to every desk through the hub; ErrNeedsHub
	// when there is none.
	Publish(text string) error
}

// trainerView is the script pack editor with a live preview for any date,
// time, caller and language.
type trainerView struct {
	shell            *Window
	path             *widget.Entry
	editor           *widget.Entry
	at, surname      *widget.Entry
	title, lang      *widget.Select
	silent, outbound *widget.Check
	preview          *widget.RichText
	errors           *fyne.Container
	save, publish    *widget.Button
}

func newTrainerView(s *Window) *trainerView { return &trainerView{shell: s} }

func (v *trainerView) t(id string) string { return tr(v.shell.lang, id) }

func (v *trainerView) buildUI() fyne.CanvasObject {
	path, text, err := v.shell.opts.Pack.Load(v.shell.lang)
	if err != nil {
		v.shell.log.Warn("load pack", "error", err)
	}
	v.path = widget.NewEntry()
	v.path.SetText(path)
	v.path.SetPlaceHolder("pack.toml")
	v.editor = widget.NewMultiLineEntry()
	v.editor.TextStyle = fyne.TextStyle{Monospace: false}
	v.editor.SetText(text)
	v.editor.OnChanged = func(string) { v.onPreview() }
	v.at = widget.NewEntry()
	v.at.SetText(v.shell.model.At.Format(time.RFC3339))
	if v.shell.model.At.IsZero() {
		v.at.SetText(time.Now().Format(time.RFC3339))
	}
	v.at.OnChanged = func(string) { v.onPreview() }
	v.surname = widget.NewEntry()
	v.surname.OnChanged = func(string) { v.onPreview() }
	v.title = widget.NewSelect([]string{"", "先生", "女士"}, func(string) { v.onPreview() })
	v.title.PlaceHolder = "—"
	names := make([]string, len(Langs))
	for i, l := range Langs {
		names[i] = langNames[l]
	}
	v.lang = widget.NewSelect(names, func(string) { v.onPreview() })
	v.lang.SetSelectedIndex(langIndex(v.shell.lang))
	v.silent = widget.NewCheck("silent", func(bool) { v.onPreview() })
	v.outbound = widget.NewCheck("outbound", func(bool) { v.onPreview() })
	v.preview = widget.NewRichText()
	v.preview.Wrapping = fyne.TextWrapWord
	v.errors = container.NewVBox()
	v.save = widget.NewButton(v.t("btn.save"), v.onSave)
	v.publish = widget.NewButton(v.t("tr.publish"), v.onPublish)
	form := widget.NewForm(
		widget.NewFormItem(v.t("tr.at"), v.at),
		widget.NewFormItem(v.t("tr.surname"), container.NewGridWithColumns(2, v.surname, v.title)),
		widget.NewFormItem(v.t("set.lang"), v.lang),
		widget.NewFormItem("", container.NewHBox(v.silent, v.outbound)),
	)
	side := container.NewVBox(form, widget.NewLabelWithStyle(v.t("tr.preview"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.preview, v.errors)
	edit := container.NewBorder(container.NewBorder(nil, nil, widget.NewLabel(v.t("tr.pack")), container.NewHBox(v.save, v.publish), v.path), nil, nil, nil, v.editor)
	split := container.NewHSplit(edit, container.NewVScroll(side))
	split.Offset = 0.55
	v.onPreview()
	return split
}

func (v *trainerView) request() PreviewRequest {
	at, err := time.Parse(time.RFC3339, v.at.Text)
	if err != nil {
		at = time.Time{}
	}
	return PreviewRequest{At: at, Lang: Langs[max(0, v.lang.SelectedIndex())], Surname: v.surname.Text,
		Title: v.title.Selected, Silent: v.silent.Checked, Outbound: v.outbound.Checked}
}

// onPreview re-renders on every keystroke: trainers see the effect live.
func (v *trainerView) onPreview() {
	if v.preview == nil || v.errors == nil {
		return
	}
	req := v.request()
	v.errors.RemoveAll()
	if req.At.IsZero() {
		v.errors.Add(errorLabel(v.t("tr.at")))
		return
	}
	opening, errs := v.shell.opts.Pack.Preview(v.editor.Text, req)
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
	if c := fyne.CurrentApp().Driver().CanvasForObject(v.editor); c != nil {
		c.Focus(v.editor)
	}
}

func (v *trainerView) onSave() {
	if err := v.shell.opts.Pack.Save(v.path.Text, v.editor.Text); err != nil {
		v.shell.log.Warn("save pack", "error", err)
		v.shell.warn(v.t("err.save"))
		return
	}
	v.shell.info(tr(v.shell.lang, "tr.saved", map[string]any{"Path": v.path.Text}))
}

func (v *trainerView) onPublish() {
	if err := v.shell.opts.Pack.Publish(v.editor.Text); err != nil {
		v.shell.log.Warn("publish pack", "error", err)
		v.shell.warn(publishMessage(v.shell.lang, err))
		return
	}
	v.shell.info(v.t("tr.published"))
}

func errorLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Importance = widget.DangerImportance
	return l
}
