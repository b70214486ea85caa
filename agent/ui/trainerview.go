package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// trainerView is the script pack editor. The pack is edited as a form
// (company, time slots, holidays on a year calendar, phrases, complaint
// prompts, closing lines, callback script) or as its TOML text; both edit
// the same file, and switching between them goes through the desk's
// PackForm (ReadPackForm, TOML), which keeps the trainer's comments. Every
// change is validated and previewed at once: every line of the pack for
// the chosen day, time, caller and language, with problems shown at their
// fields. Saving and publishing run off the Fyne goroutine.
type trainerView struct {
	shell *Window
	// carry is the view this one replaces on a language switch: its draft
	// is kept.
	carry *trainerView

	lang     string // the pack's language
	form     *desk.PackForm
	textMode bool
	dirty    bool
	loaded   bool
	// pv is the preview of the text as it is; good the last one of a text
	// that validated, which the preview and calendar keep showing while the
	// trainer is in the middle of a change.
	pv, good desk.PackPreview
	painting bool // widgets are being set from the model: their callbacks do nothing

	path                     *field
	editor                   *tmplField
	langSel, modeSel         *selectBox
	save, publish, insertVar *widget.Button
	body                     *fyne.Container
	formTabs                 *container.AppTabs

	date                 *datePicker
	hour, minute, caller *selectBox
	silent, outbound     *checkBox
	status               *widget.Label
	opening              *widget.RichText
	openingNote          *widget.Label
	lines                *fyne.Container // a text per section
	sectionKeys          []string        // what each section's text shows
	problems             *fyne.Container

	// The form's fields and error labels by field path, and the template
	// field that last had the focus (where the variable picker inserts).
	fields   map[string]fyne.Focusable
	errs     map[string][]*widget.Label
	lastTmpl *tmplField

	hol    holidayTab
	period periodPick
	// ruleKinds are the date rules picked for holidays that have no month
	// and day yet, by holiday id.
	ruleKinds map[string]int

	// subTabs are the editor and the versions on the hub (vers).
	subTabs *container.AppTabs
	vers    *versionsPanel
}

func newTrainerView(s *Window) *trainerView {
	v := &trainerView{shell: s}
	if old := s.trainer; old != nil && old.loaded {
		v.carry = old
	}
	return v
}

func (v *trainerView) t(id string, data ...map[string]any) string {
	return tr(v.shell.lang, id, data...)
}

// minuteStep is the preview time's minute step.
const minuteStep = 5

func (v *trainerView) buildUI() fyne.CanvasObject {
	v.fields, v.errs, v.ruleKinds = map[string]fyne.Focusable{}, map[string][]*widget.Label{}, map[string]int{}
	v.lang = v.shell.lang
	if v.lang == "" {
		v.lang = Langs[0]
	}
	v.path = newField(v.shell, v.t("tr.path.hint"))
	v.editor = newTmplField(v, true, 20)
	v.editor.OnChanged = func(string) {
		if !v.painting {
			v.dirty = true
			v.check()
		}
	}
	names := make([]string, len(Langs))
	for i, l := range Langs {
		names[i] = langNames[l]
	}
	v.langSel = newSelect(v.shell, names, func(string) { v.onPackLang() })
	v.modeSel = newSelect(v.shell, []string{v.t("tr.mode.form"), v.t("tr.mode.text")}, func(string) { v.onMode() })
	v.insertVar = widget.NewButtonWithIcon(v.t("tr.var.insert"), theme.ContentAddIcon(), v.onInsertVar)
	v.save = widget.NewButtonWithIcon(v.t("btn.save")+" (Ctrl+S)", theme.DocumentSaveIcon(), v.onSave)
	v.publish = widget.NewButtonWithIcon(v.t("tr.publish"), theme.UploadIcon(), v.onPublish)
	v.body = container.NewStack()

	day, hour, minute := v.startInstant()
	v.date = newDatePicker(v.shell, day, func(desk.Date) { v.onRequest() })
	hours := make([]string, 24)
	for i := range hours {
		hours[i] = fmt.Sprintf("%02d", i)
	}
	minutes := make([]string, 60/minuteStep)
	for i := range minutes {
		minutes[i] = fmt.Sprintf("%02d", i*minuteStep)
	}
	v.hour = newSelect(v.shell, hours, func(string) { v.onRequest() })
	v.minute = newSelect(v.shell, minutes, func(string) { v.onRequest() })
	kinds := desk.CallerKinds()
	callers := make([]string, len(kinds))
	for i, k := range kinds {
		callers[i] = v.t("tr.caller." + k.String())
	}
	v.caller = newSelect(v.shell, callers, func(string) { v.onRequest() })
	v.silent = newCheck(v.shell, v.t("tr.silent"), func(bool) { v.onRequest() })
	v.outbound = newCheck(v.shell, v.t("tr.outbound"), func(bool) { v.onRequest() })
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.opening = widget.NewRichText()
	v.opening.Wrapping = fyne.TextWrapWord
	v.openingNote = widget.NewLabel("")
	v.openingNote.Wrapping = fyne.TextWrapWord
	v.lines = container.NewVBox()
	v.problems = container.NewVBox()

	v.painting = true
	v.hour.SetSelectedIndex(hour)
	v.minute.SetSelectedIndex(minute / minuteStep)
	v.caller.SetSelectedIndex(0)
	v.modeSel.SetSelectedIndex(0)
	v.langSel.SetSelectedIndex(langIndex(v.lang))
	v.painting = false

	settings := widget.NewForm(
		widget.NewFormItem(v.t("tr.packlang"), v.langSel),
		widget.NewFormItem(v.t("tr.pv.date"), v.date.widget()),
		widget.NewFormItem(v.t("tr.pv.time"), container.NewHBox(v.hour, widget.NewLabel(":"), v.minute)),
		widget.NewFormItem(v.t("tr.pv.caller"), v.caller),
		widget.NewFormItem("", container.NewHBox(v.silent, v.outbound)),
	)
	bold := func(id string) *widget.Label {
		return widget.NewLabelWithStyle(v.t(id), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	side := container.NewVBox(settings, v.status, bold("tr.pv.opening"), v.opening, v.openingNote,
		widget.NewSeparator(), bold("tr.preview"), v.lines, bold("tr.pv.problems"), v.problems)
	bar := container.NewBorder(nil, nil, widget.NewLabel(v.t("tr.pack")),
		container.NewHBox(v.modeSel, v.insertVar, v.save, v.publish), v.path)
	split := container.NewHSplit(v.body, container.NewVScroll(side))
	split.Offset = 0.6
	v.vers = newVersionsPanel(v)
	v.subTabs = container.NewAppTabs(
		container.NewTabItemWithIcon(v.t("tr.tab.edit"), theme.DocumentCreateIcon(), container.NewBorder(bar, nil, nil, nil, split)),
		container.NewTabItemWithIcon(v.t("tr.tab.versions"), theme.HistoryIcon(), v.vers.build()))
	v.subTabs.OnSelected = func(*container.TabItem) {
		if v.subTabs.SelectedIndex() == versionsTab {
			v.vers.open()
		}
	}
	if c := v.carry; c != nil {
		v.carry = nil
		v.resume(c)
	} else {
		v.load(v.lang)
	}
	return v.subTabs
}

// versionsTab is the position of the versions among the trainer tab's
// own tabs.
const versionsTab = 1

// showVersions shows the versions on the hub (loading them the first
// time).
func (v *trainerView) showVersions() {
	if v.subTabs != nil {
		v.subTabs.SelectIndex(versionsTab)
		v.vers.open()
	}
}

// startInstant is the preview's first day and time: the desk's clock in
// the center's zone.
func (v *trainerView) startInstant() (desk.Date, int, int) {
	at := v.shell.view.At
	if at.IsZero() {
		at = time.Now()
	}
	if z := v.shell.view.Zone; z != nil {
		at = at.In(z)
	}
	return desk.DateOf(at), at.Hour(), at.Minute() / minuteStep * minuteStep
}

// resume takes over the draft of the view this one replaces (the window
// was rebuilt in another language).
func (v *trainerView) resume(old *trainerView) {
	v.lang, v.form, v.textMode, v.dirty, v.loaded = old.lang, old.form, old.textMode, old.dirty, true
	v.period, v.ruleKinds = old.period, old.ruleKinds
	v.painting = true
	v.path.SetText(old.path.Text)
	if v.textMode || v.form == nil {
		v.editor.SetText(old.editor.Text)
	}
	v.langSel.SetSelectedIndex(langIndex(v.lang))
	v.date.set(old.date.date)
	v.hour.SetSelectedIndex(old.hour.SelectedIndex())
	v.minute.SetSelectedIndex(old.minute.SelectedIndex())
	v.caller.SetSelectedIndex(old.caller.SelectedIndex())
	v.silent.SetChecked(old.silent.Checked)
	v.outbound.SetChecked(old.outbound.Checked)
	if v.textMode || v.form == nil {
		v.modeSel.SetSelectedIndex(1)
	}
	v.painting = false
	v.showBody()
	v.check()
	if old.vers != nil && old.subTabs != nil && old.subTabs.SelectedIndex() == versionsTab {
		v.vers.sel = old.vers.sel
		v.showVersions()
	}
}

// load reads the pack the desk uses for lang (a file or store read: off
// the Fyne goroutine) and shows it.
func (v *trainerView) load(lang string) {
	d := v.shell.desk
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
		v.lang, v.loaded, v.dirty = lang, true, false
		v.painting = true
		v.path.SetText(path)
		v.langSel.SetSelectedIndex(langIndex(lang))
		v.painting = false
		v.setText(text)
		if v.subTabs != nil && v.subTabs.SelectedIndex() == versionsTab {
			v.vers.open()
		}
	})
}

// setText shows text: in the form when a form can hold it, else (or in
// the text view) as text.
func (v *trainerView) setText(text string) {
	f, probs := desk.ReadPackForm(text)
	v.form = f
	v.painting = true
	// The text view gets the text when it is shown: laying out 10 KB of
	// wrapped text for a hidden view would only cost.
	v.editor.SetText("")
	if probs != nil || v.textMode {
		v.textMode = true
		v.editor.SetText(text)
		v.modeSel.SetSelectedIndex(1)
	}
	v.painting = false
	v.showBody()
	v.check()
}

// text is the pack as it is now.
func (v *trainerView) text() string {
	if v.textMode || v.form == nil {
		return v.editor.Text
	}
	return string(v.form.TOML())
}

// showBody shows the form or the text view.
func (v *trainerView) showBody() {
	if v.textMode || v.form == nil {
		v.body.Objects = []fyne.CanvasObject{v.editor}
		v.formTabs = nil
	} else {
		v.buildForm()
		v.body.Objects = []fyne.CanvasObject{v.formTabs}
	}
	v.body.Refresh()
}

// onMode switches between the form and the text, through the form: the
// text view shows what the form writes, and the form reads the text back.
func (v *trainerView) onMode() {
	if v.painting || !v.loaded {
		return
	}
	toText := v.modeSel.SelectedIndex() == 1
	if toText == v.textMode && (toText || v.form != nil) {
		return
	}
	if toText {
		text := v.text()
		v.textMode = true
		v.painting = true
		v.editor.SetText(text)
		v.painting = false
		v.showBody()
		v.check()
		return
	}
	f, probs := desk.ReadPackForm(v.editor.Text)
	if probs != nil {
		v.painting = true
		v.modeSel.SetSelectedIndex(1)
		v.painting = false
		v.shell.warn(v.t("tr.toform.fail") + "\n" + v.problemLines(probs))
		return
	}
	v.form, v.textMode = f, false
	v.showBody()
	v.check()
}

// onPackLang opens the pack of another language (asking first when the
// draft has changes).
func (v *trainerView) onPackLang() {
	if v.painting {
		return
	}
	lang := Langs[max(0, v.langSel.SelectedIndex())]
	if lang == v.lang {
		return
	}
	if !v.dirty {
		v.load(lang)
		return
	}
	v.painting = true
	v.langSel.SetSelectedIndex(langIndex(v.lang))
	v.painting = false
	v.shell.confirm(v.t("tr.packlang"), v.t("tr.lang.discard"), func() { v.load(lang) })
}

// changed is called after every edit of the form.
func (v *trainerView) changed() {
	if v.painting {
		return
	}
	v.dirty = true
	v.check()
}

func (v *trainerView) onRequest() {
	if !v.painting && v.loaded {
		v.check()
	}
}

// request is the preview's instant and caller.
func (v *trainerView) request() desk.PreviewRequest {
	return desk.PreviewRequest{Date: v.date.date, Hour: max(0, v.hour.SelectedIndex()),
		Minute: max(0, v.minute.SelectedIndex()) * minuteStep, Caller: desk.CallerKinds()[max(0, v.caller.SelectedIndex())],
		Silent: v.silent.Checked, Outbound: v.outbound.Checked}
}

// check validates and previews the pack as it is now. Parsing and
// rendering a pack is pure computation, about a millisecond: it runs on
// every keystroke.
func (v *trainerView) check() {
	v.pv = v.shell.desk.PreviewPack(v.text(), v.request())
	if v.pv.Valid() {
		v.good = v.pv
	}
	v.paintPreview()
	v.paintErrors()
	v.hol.paint(v)
}

func (v *trainerView) apply(desk.View) {
	if v.save == nil {
		return
	}
	v.vers.apply()
	for _, b := range []struct {
		w     *widget.Button
		key   string
		label string
	}{{v.save, "pack-save", v.t("btn.save") + " (Ctrl+S)"}, {v.publish, "pack-publish", v.t("tr.publish")}} {
		if v.shell.busy[b.key] {
			b.w.SetText(b.label + " …")
			b.w.Disable()
		} else {
			b.w.SetText(b.label)
			b.w.Enable()
		}
	}
}

func (v *trainerView) onSave() {
	if v.save == nil || !v.loaded {
		return
	}
	path, text, d := strings.TrimSpace(v.path.Text), v.text(), v.shell.desk
	if path == "" {
		v.shell.warn(v.t("tr.save.nopath"))
		return
	}
	if !v.pv.Valid() {
		v.shell.warn(v.t("tr.save.invalid", map[string]any{"Count": len(v.pv.Problems)}) + "\n" + v.problemLines(v.pv.Problems))
		return
	}
	v.shell.run("pack-save", func() error { return d.SavePackFile(path, text) }, func(err error) {
		if err != nil {
			v.shell.warn(v.t("err.save") + "\n" + v.errText(err))
			return
		}
		v.dirty = false
		v.shell.info(v.t("tr.saved", map[string]any{"Path": path}))
	})
}

// publishTimeout bounds a publish on a slow hub.
const publishTimeout = 30 * time.Second

func (v *trainerView) onPublish() {
	if !v.loaded {
		return
	}
	if !v.pv.Valid() {
		v.shell.warn(v.t("tr.publish.invalid", map[string]any{"Count": len(v.pv.Problems)}) + "\n" + v.problemLines(v.pv.Problems))
		return
	}
	text, d := v.text(), v.shell.desk
	var pv desk.PackVersion
	v.shell.run("pack-publish", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
		defer cancel()
		var err error
		pv, err = d.PublishPack(ctx, text)
		return err
	}, func(err error) {
		if err != nil {
			v.shell.warn(v.errText(err))
			return
		}
		msg := v.t("tr.published", map[string]any{"Version": pv.Version})
		if pv.State == desk.PackPending {
			msg = v.t("tr.published.pending", map[string]any{"Version": pv.Version})
		}
		v.shell.info(msg)
		v.vers.published(pv)
	})
}

// errText is what the editor says about a failed command.
func (v *trainerView) errText(err error) string {
	switch {
	case errors.Is(err, desk.ErrNoPackFile):
		return v.t("tr.save.nopath")
	case errors.Is(err, desk.ErrPeriodInverted):
		return v.t("tr.period.inverted")
	case errors.Is(err, desk.ErrHolidayID):
		return v.t("tr.hol.badid")
	case errors.Is(err, desk.ErrHolidayExists):
		return v.t("tr.hol.exists")
	case errors.Is(err, desk.ErrNoSuchHoliday):
		return v.t("tr.period.pick")
	}
	return errText(v.shell.lang, err)
}

// onInsertVar offers the variables a line may use and puts the one picked
// at the cursor of the template field that last had the focus.
func (v *trainerView) onInsertVar() {
	target := v.lastTmpl
	if target == nil || !target.Visible() {
		v.shell.info(v.t("tr.var.nofield"))
		return
	}
	list := container.NewVBox()
	d := dialog.NewCustomWithoutButtons(v.t("tr.var.title"), container.NewVScroll(list), v.shell.win)
	var first fyne.Focusable
	for _, pv := range desk.PackVars(v.shell.lang, v.form) {
		name := pv.Name
		b := newKeyButton(v.shell, "{{"+name+"}}  "+pv.Label, func() {
			d.Hide()
			target.insert("{{" + name + "}}")
			v.shell.win.Canvas().Focus(target)
		}, d.Hide)
		b.Alignment = widget.ButtonAlignLeading
		desc := widget.NewLabel(pv.Description)
		desc.Wrapping = fyne.TextWrapWord
		desc.Importance = widget.LowImportance
		list.Add(b)
		list.Add(desc)
		if first == nil {
			first = b
		}
	}
	d.SetButtons([]fyne.CanvasObject{newKeyButton(v.shell, v.t("btn.close"), d.Hide, d.Hide)})
	d.Resize(fyne.NewSize(620, 560))
	d.Show()
	if first != nil {
		v.shell.win.Canvas().Focus(first)
	}
}

// tmplField is a field holding a template line: the variable picker
// inserts into the one that last had the focus.
type tmplField struct {
	field
	view *trainerView
}

func newTmplField(v *trainerView, multi bool, rows int) *tmplField {
	f := &tmplField{view: v}
	f.shell = v.shell
	f.ExtendBaseWidget(f)
	if multi {
		f.MultiLine = true
		f.Wrapping = fyne.TextWrapWord
		f.SetMinRowsVisible(rows)
	}
	return f
}

// FocusGained makes the field the variable picker's target.
func (f *tmplField) FocusGained() {
	f.view.lastTmpl = f
	f.field.FocusGained()
}

// insert puts s at the cursor, as a paste would (without touching the
// clipboard).
func (f *tmplField) insert(s string) {
	f.Entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: textClipboard(s)})
}

// textClipboard is a clipboard holding one text, for insert.
type textClipboard string

func (c textClipboard) Content() string   { return string(c) }
func (c textClipboard) SetContent(string) {}

// errorLabel is a field's problem, hidden while it has none.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}
