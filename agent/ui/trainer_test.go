package ui

import (
	"errors"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
	"agentdesk/scripts"
)

// openTrainer shows the trainer tab with the desk's zh-Hans pack loaded
// (the fake desk reads the embedded default; its preview is the desk's
// own computation).
func openTrainer(t *testing.T, opts Options) (*Window, *fakeDesk, fyne.Window, *queue, *trainerView) {
	t.Helper()
	s, d, w, q := newTestWindow(t, opts)
	s.Apply(ringingView()) // the desk's clock: 2026-03-02 09:30
	s.ShowTab(TabTrainer)
	if q.pending() != 1 {
		t.Fatalf("opening the tab queued %d reads, want 1 (the pack is read off the Fyne goroutine)", q.pending())
	}
	q.drain()
	v := s.trainer
	if !v.loaded || v.form == nil {
		t.Fatal("the pack did not load into the form")
	}
	return s, d, w, q, v
}

func fieldAt(t *testing.T, v *trainerView, path string) *widget.Entry {
	t.Helper()
	switch f := v.fields[path].(type) {
	case *field:
		return &f.Entry
	case *tmplField:
		return &f.Entry
	}
	t.Fatalf("no text field at %s (have %d fields)", path, len(v.fields))
	return nil
}

// errorsShown is the text of the error labels at path.
func errorsShown(v *trainerView, path string) string {
	var out []string
	for _, l := range v.errs[path] {
		if l.Visible() {
			out = append(out, l.Text)
		}
	}
	return strings.Join(out, "\n")
}

// button finds a visible button by its text in the window or its top dialog.
func button(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	roots := []fyne.CanvasObject{w.Canvas().Content()}
	if top := w.Canvas().Overlays().Top(); top != nil {
		roots = append([]fyne.CanvasObject{top}, roots...)
	}
	for _, r := range roots {
		for _, o := range test.LaidOutObjects(r) {
			switch b := o.(type) {
			case *widget.Button:
				if b.Text == text && b.Visible() {
					return b
				}
			case *keyButton:
				if b.Text == text && b.Visible() {
					return &b.Button
				}
			}
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

// tapDay taps a day of a month grid where it is drawn.
func tapDay(t *testing.T, g *monthGrid, day int) {
	t.Helper()
	r := test.WidgetRenderer(g)
	if g.cellW == 0 {
		r.Layout(g.MinSize())
	}
	_, off := g.first()
	i := off + day - 1
	pos := fyne.NewPos((float32(i%7)+0.5)*g.cellW, (float32(i/7+2)+0.5)*g.rowH)
	test.TapAt(g, pos)
}

// dayFill is the colour a month grid paints a day in.
func dayFill(g *monthGrid, day int) color.Color {
	r := test.WidgetRenderer(g).(*monthRenderer)
	_, off := g.first()
	return r.cells[off+day-1].FillColor
}

// popupGrid is the month of the date picker that popped up.
func popupGrid(t *testing.T, p *datePicker) *monthGrid {
	t.Helper()
	if p.popup == nil || !p.popup.Visible() || p.grid == nil {
		t.Fatal("the date picker did not pop up")
	}
	return p.grid
}

func sameColour(a, b color.Color) bool {
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	return ar == br && ag == bg && ab == bb && aa == ba
}

func TestTrainerView_LoadsThePackAsAFormAndPreviewsEveryLine(t *testing.T) {
	_, d, _, _, v := openTrainer(t, Options{})
	if got := d.commands(); len(got) != 1 || got[0] != "packtext zh-Hans" {
		t.Errorf("commands = %v", got)
	}
	if got := fieldAt(t, v, "company").Text; got != "XX" {
		t.Errorf("company field = %q", got)
	}
	if got := fieldAt(t, v, "slots[0].greeting").Text; got != "早上好！" {
		t.Errorf("first slot's greeting = %q", got)
	}
	if got := v.opening.String(); got != "早上好！XX欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("opening at 09:30 on 2 March = %q", got)
	}
	if v.status.Text != "话术包有效" {
		t.Errorf("status = %q", v.status.Text)
	}
	lines := v.previewText()
	for _, want := range []string{"开头语", "节日问候", "话术", "投诉受理", "结束语", "回访",
		"呼出（核对资料、回访）：您好，请问是王先生吗？我姓李",
		"在24小时之内给您明确的答复", "国庆节（2026-10-01 – 2026-10-07）：", "请等客户先挂断电话"} {
		if !strings.Contains(lines, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(lines, "{{") || strings.Contains(v.opening.String(), "{{") {
		t.Error("the preview shows template syntax")
	}
}

// The form and the text edit the same file: an edit in one is in the
// other after switching, comments and all.
func TestTrainerView_FormAndTextEditTheSameFile(t *testing.T) {
	_, _, _, _, v := openTrainer(t, Options{})
	company := fieldAt(t, v, "company")
	company.CursorColumn = 2 // after "XX"
	test.Type(company, "物业")
	if got := v.opening.String(); got != "早上好！XX物业欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("opening after typing the company = %q", got)
	}
	v.modeSel.SetSelectedIndex(1)
	if !v.textMode || v.body.Objects[0] != v.editor {
		t.Fatal("the text view is not shown")
	}
	text := v.editor.Text
	for _, want := range []string{`company = "XX物业"`, "# 话术包 · 简体中文 (zh-Hans)", "# 改成贵公司或客服中心的名称"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q", want)
		}
	}
	v.editor.SetText(strings.Replace(text, `greeting = "早上好！"`, `greeting = "上午好！"`, 1))
	if got := v.opening.String(); !strings.HasPrefix(got, "上午好！XX物业") {
		t.Errorf("opening after editing the text = %q", got)
	}
	v.modeSel.SetSelectedIndex(0)
	if v.textMode || v.form == nil {
		t.Fatal("the form is not shown again")
	}
	if got := fieldAt(t, v, "slots[0].greeting").Text; got != "上午好！" {
		t.Errorf("the form's first greeting = %q", got)
	}
	if got := fieldAt(t, v, "company").Text; got != "XX物业" {
		t.Errorf("the form's company = %q", got)
	}
}

// A year's holiday dates set with the pickers change the calendar, the
// preview and the file.
func TestTrainerView_HolidayPeriodWithThePickers(t *testing.T) {
	_, _, _, _, v := openTrainer(t, Options{})
	// The preview day, from the date picker's calendar: 15 February 2026.
	test.Tap(v.date.pick)
	g := popupGrid(t, v.date)
	if g.year != 2026 || g.month != time.March {
		t.Fatalf("the picker opens on %d-%d, want the day previewed (March 2026)", g.year, g.month)
	}
	test.Tap(v.date.prev)
	if g.month != time.February {
		t.Fatalf("after ‹ the picker shows %v", g.month)
	}
	tapDay(t, g, 15)
	if v.date.date != (desk.Date{Year: 2026, Month: time.February, Day: 15}) || v.date.entry.Text != "2026-02-15" || v.date.popup.Visible() {
		t.Fatalf("picked %v (%q)", v.date.date, v.date.entry.Text)
	}
	before := v.opening.String()
	if before != "早上好！XX欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("15 Feb by the default calendar = %q", before)
	}

	v.formTabs.SelectIndex(formHolidays)
	feb := v.hol.months[1]
	if !sameColour(dayFill(feb, 15), color.Transparent) || sameColour(dayFill(feb, 16), color.Transparent) {
		t.Errorf("the default 春节 2026 runs 16–23 Feb: 15 painted %v, 16 painted %v", dayFill(feb, 15), dayFill(feb, 16))
	}
	v.hol.holiday.SetSelected("春节")
	test.Tap(v.hol.from.pick)
	tapDay(t, popupGrid(t, v.hol.from), 15)
	test.Tap(v.hol.to.pick)
	tapDay(t, popupGrid(t, v.hol.to), 23)
	test.Tap(v.hol.set)

	if got := v.opening.String(); got != "新年好！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("15 Feb after the notice = %q", got)
	}
	if !strings.Contains(v.openingNote.Text, "春节（2026-02-15 至 2026-02-23，通知）") {
		t.Errorf("note = %q", v.openingNote.Text)
	}
	feb = v.hol.months[1]
	spring := holidayColour(v.good.HolidayIndex("spring_festival"))
	if !sameColour(dayFill(feb, 15), spring) || !sameColour(dayFill(feb, 23), spring) || !sameColour(dayFill(feb, 24), color.Transparent) {
		t.Errorf("after the notice: 15 %v, 23 %v, 24 %v; want 春节's colour %v on 15–23", dayFill(feb, 15), dayFill(feb, 23), dayFill(feb, 24), spring)
	}
	if c := v.form.Calendar; len(c) != 1 || c[0].Holiday != "spring_festival" || c[0].From != "2026-02-15" || c[0].To != "2026-02-23" {
		t.Errorf("form calendar = %+v", c)
	}
	toml := v.text()
	if !strings.Contains(toml, "[[calendar]]\nholiday = \"spring_festival\"\nfrom = \"2026-02-15\"\nto = \"2026-02-23\"") {
		t.Errorf("the file lacks the notice:\n%s", toml)
	}
	if p, err := scripts.Parse("p.toml", []byte(toml)); err != nil {
		t.Fatal(err)
	} else if h, _ := p.HolidayOn(scripts.Date{Year: 2026, Month: time.February, Day: 15}); h.ID != "spring_festival" {
		t.Errorf("the saved pack's 15 Feb = %q", h.ID)
	}

	// Setting the year again replaces its dates; removing brings back the default.
	test.Tap(v.hol.from.pick)
	tapDay(t, popupGrid(t, v.hol.from), 14)
	test.Tap(v.hol.set)
	if c := v.form.Calendar; len(c) != 1 || c[0].From != "2026-02-14" {
		t.Errorf("after replacing: %+v", c)
	}
	test.Tap(v.hol.del)
	if len(v.form.Calendar) != 0 || v.opening.String() != before {
		t.Errorf("after removing: %+v, opening %q", v.form.Calendar, v.opening.String())
	}
	// A click in the year calendar previews that day.
	tapDay(t, v.hol.months[9], 1)
	if v.date.entry.Text != "2026-10-01" || v.opening.String() != "国庆节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("1 Oct from the calendar: %q, %q", v.date.entry.Text, v.opening.String())
	}
}

// The calendar the editor paints agrees, day by day, with the opening
// greet gives (the desk's packs as LoadPacks finds them), in every
// language; and the preview of a day is greet's line.
func TestTrainerView_CalendarAgreesWithGreet(t *testing.T) {
	packs, err := desk.LoadPacks(desk.Config{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	days := []string{"2026-01-01", "2026-01-03", "2026-02-16", "2026-02-23", "2026-02-24", "2026-05-01", "2026-05-06",
		"2026-09-25", "2026-10-01", "2026-10-07", "2026-10-08", "2026-10-10", "2027-02-06", "2027-09-15", "2028-10-03", "2030-01-01"}
	_, _, _, q, v := openTrainer(t, Options{})
	for _, lang := range Langs {
		v.langSel.SetSelectedIndex(langIndex(lang))
		q.drain()
		if v.lang != lang {
			t.Fatalf("pack language %q, want %q", v.lang, lang)
		}
		v.formTabs.SelectIndex(formHolidays)
		p := packs.Packs[lang]
		for _, day := range days {
			d, err := desk.ParseDate(day)
			if err != nil {
				t.Fatal(err)
			}
			v.date.entry.SetText(day)
			at := time.Date(d.Year, d.Month, d.Day, 9, 30, 0, 0, p.TimeZone())
			_, kind := p.OpeningTemplate(scripts.Request{At: at})
			want := color.Color(color.Transparent)
			if kind != "standard" {
				want = holidayColour(v.good.HolidayIndex(kind))
			}
			if got := dayFill(v.hol.months[d.Month-1], d.Day); v.hol.months[0].year != d.Year || !sameColour(got, want) {
				t.Errorf("%s %s: the calendar (year %d) paints %v, greet says %s (%v)", lang, day, v.hol.months[0].year, got, kind, want)
			}
			line, _ := p.Opening(scripts.Request{At: at})
			if got := v.opening.String(); got != line {
				t.Errorf("%s %s: preview %q, greet %q", lang, day, got, line)
			}
		}
	}
}

func TestTrainerView_VariablePickerInsertsAtTheCursor(t *testing.T) {
	_, _, w, _, v := openTrainer(t, Options{})
	test.Tap(v.insertVar)
	if !strings.Contains(overlayText(w), "请先点一下要插入变量的文字框") {
		t.Errorf("with no field: %q", overlayText(w))
	}
	closeOverlays(w)
	v.formTabs.SelectIndex(formPhrases)
	say := v.fields["phrases[8].say"].(*tmplField) // 无声电话 "您好，{{company}}客服中心，欢迎您的来电。"
	w.Canvas().Focus(say)
	say.CursorRow, say.CursorColumn = 0, 3
	test.Tap(v.insertVar)
	test.Tap(button(t, w, "{{agent_name}}  本人姓名"))
	if got := say.Text; got != "您好，{{agent_name}}{{company}}客服中心，欢迎您的来电。" {
		t.Errorf("after the pick: %q", got)
	}
	if w.Canvas().Focused() != say {
		t.Error("the field does not have the focus back")
	}
	if got := v.form.Phrases[8].Say; got != say.Text {
		t.Errorf("the form holds %q", got)
	}
	if !strings.Contains(v.previewText(), "您好，李娜XX客服中心") {
		t.Errorf("the preview does not render the new variable:\n%s", v.previewText())
	}
}

// Problems show at their fields in the trainer's language, the preview
// keeps the last valid pack, and a click on a problem goes to its field.
func TestTrainerView_ErrorsAtTheirFields(t *testing.T) {
	_, d, w, _, v := openTrainer(t, Options{})
	fieldAt(t, v, "company").SetText("")
	if got := errorsShown(v, "company"); got != "这一项必须填写" {
		t.Errorf("company error = %q", got)
	}
	if v.status.Text != "话术包有 1 个问题（见下方）；预览显示上次有效的内容。" || v.opening.String() != "早上好！XX欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("status %q, opening %q", v.status.Text, v.opening.String())
	}
	if len(v.problems.Objects) != 1 {
		t.Fatalf("%d problems listed", len(v.problems.Objects))
	}
	b := v.problems.Objects[0].(*widget.Button)
	if !strings.Contains(b.Text, "公司名称：这一项必须填写") {
		t.Errorf("problem = %q", b.Text)
	}
	v.formTabs.SelectIndex(formPhrases)
	test.Tap(b)
	if v.formTabs.SelectedIndex() != formBasic || w.Canvas().Focused() != v.fields["company"] {
		t.Error("the click did not go to the company field")
	}
	v.path.SetText("/tmp/x.toml")
	v.onSave()
	if !strings.Contains(overlayText(w), "话术包还有 1 个问题，未保存") || len(d.commands()) != 1 {
		t.Errorf("saving an invalid pack: %q, commands %v", overlayText(w), d.commands())
	}
	closeOverlays(w)
	fieldAt(t, v, "company").SetText("XX")

	// A variable that does not exist, a bad slot time, a range the wrong way round.
	fieldAt(t, v, "opening.standard").SetText("{{greeting}}{{compnay}}欢迎您")
	if got := errorsShown(v, "opening.standard"); got != "没有名为 compnay 的变量，请用“插入变量”选择" {
		t.Errorf("unknown variable = %q", got)
	}
	fieldAt(t, v, "opening.standard").SetText("{{greeting}}{{company")
	if got := errorsShown(v, "opening.standard"); got != "变量写法有误：变量缺少结尾的右括号" {
		t.Errorf("template syntax = %q", got)
	}
	fieldAt(t, v, "opening.standard").SetText("{{greeting}}{{company}}欢迎您")
	v.form.Calendar = append(v.form.Calendar, desk.FormRange{Holiday: "national_day", From: "2026-10-08", To: "2026-10-01"})
	v.reshape()
	v.formTabs.SelectIndex(formHolidays)
	if got := errorsShown(v, "calendar[0].to"); got != "日期范围颠倒：结束（2026-10-01）早于开始（2026-10-08）" {
		t.Errorf("inverted range = %q", got)
	}
	// An unknown code shows the checker's English.
	if got := v.problemText(desk.PackProblem{Code: "new_code", Msg: "something new"}); got != "something new" {
		t.Errorf("unknown code = %q", got)
	}
}

func TestTrainerView_ErrorsInEnglish(t *testing.T) {
	_, _, _, _, v := openTrainer(t, Options{Lang: "en"})
	if v.lang != "en" || fieldAt(t, v, "company").Text != "XX" {
		t.Fatalf("the en pack is not loaded: %q", v.lang)
	}
	fieldAt(t, v, "slots[0].greeting").SetText("")
	v.form.Slots[1].From = "13:00"
	v.reshape()
	if got := errorsShown(v, "slots[0].greeting"); got != "This must be filled in" {
		t.Errorf("required = %q", got)
	}
	if got := errorsShown(v, "slots[1].from"); got != "No greeting from 12:00 to 13:00: the slots must cover the whole day" {
		t.Errorf("slot gap = %q", got)
	}
}

// A holiday added in the form gets its dates from a lunar rule.
func TestTrainerView_AddAHolidayByLunarRule(t *testing.T) {
	_, _, w, _, v := openTrainer(t, Options{})
	v.formTabs.SelectIndex(formHolidays)
	test.Tap(button(t, w, "添加节日"))
	if !strings.Contains(overlayText(w), "节日编号只能用小写英文字母") {
		t.Errorf("an empty id: %q", overlayText(w))
	}
	closeOverlays(w)
	objs := test.LaidOutObjects(v.formTabs)
	var idField, nameField *field
	for _, o := range objs {
		if f, ok := o.(*field); ok && f.PlaceHolder == "dragon_boat" {
			idField = f
		}
	}
	for _, o := range objs {
		if f, ok := o.(*field); ok && f.PlaceHolder == "名称" && f.Text == "" && idField != nil {
			nameField = f
		}
	}
	if idField == nil || nameField == nil {
		t.Fatal("no fields to add a holiday")
	}
	idField.SetText("dragon_boat")
	nameField.SetText("端午节")
	test.Tap(button(t, w, "添加节日"))
	if got := errorsShown(v, "holidays.dragon_boat.greeting"); got != "这一项必须填写" {
		t.Errorf("greeting = %q", got)
	}
	if got := errorsShown(v, "holidays.dragon_boat"); got != "端午节 还没有日期：请选择公历或农历日期规则，或设置某年的放假日期" {
		t.Errorf("no dates = %q", got)
	}
	fieldAt(t, v, "holidays.dragon_boat.greeting").SetText("端午节安康！{{company}}客服中心，请问有什么可以帮您！")
	v.fields["holidays.dragon_boat.rule"].(*selectBox).SetSelected("农历日期")
	fieldAt(t, v, "holidays.dragon_boat.lunar").SetText("05-05")
	if !v.pv.Valid() {
		t.Fatalf("problems: %v", v.pv.Problems)
	}
	v.date.entry.SetText("2026-06-19")
	if got := v.opening.String(); got != "端午节安康！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("端午 2026 = %q", got)
	}
	if got := dayFill(v.hol.months[5], 19); !sameColour(got, holidayColour(v.good.HolidayIndex("dragon_boat"))) {
		t.Errorf("19 June painted %v", got)
	}
}

func TestTrainerView_PhrasesAddMoveRemove(t *testing.T) {
	_, _, w, _, v := openTrainer(t, Options{})
	n := len(v.form.Phrases)
	v.formTabs.SelectIndex(formPhrases)
	test.Tap(button(t, w, "添加话术"))
	if len(v.form.Phrases) != n+1 || errorsShown(v, ix("phrases", n)+".say") != "这一项必须填写" {
		t.Fatalf("after adding: %d phrases, say error %q", len(v.form.Phrases), errorsShown(v, ix("phrases", n)+".say"))
	}
	fieldAt(t, v, ix("phrases", n)+".id").SetText("thanks_wait")
	fieldAt(t, v, ix("phrases", n)+".situation").SetText("让客户久等后")
	fieldAt(t, v, ix("phrases", n)+".say").SetText("感谢您的耐心等待。")
	if !v.pv.Valid() || !strings.Contains(v.previewText(), "让客户久等后：感谢您的耐心等待。") {
		t.Errorf("valid %v; preview:\n%s", v.pv.Valid(), v.previewText())
	}
	first := v.form.Phrases[0].ID
	v.form.Phrases[0], v.form.Phrases[1] = v.form.Phrases[1], v.form.Phrases[0]
	v.reshape()
	if v.form.Phrases[1].ID != first || fieldAt(t, v, "phrases[1].id").Text != first {
		t.Errorf("moved: %q", fieldAt(t, v, "phrases[1].id").Text)
	}
	if !strings.Contains(v.text(), "id = \"thanks_wait\"") {
		t.Error("the new phrase is not in the file")
	}
}

func TestTrainerView_SaveAndPublish(t *testing.T) {
	s, d, w, q, v := openTrainer(t, Options{})
	s.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
	if !strings.Contains(overlayText(w), "请先在上方填写要保存到的文件名") || q.pending() != 0 {
		t.Errorf("saving with no file: %q, %d queued", overlayText(w), q.pending())
	}
	closeOverlays(w)
	fieldAt(t, v, "company").SetText("西太平洋物业")
	v.path.SetText("/tmp/pack.toml")
	s.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
	if v.save.Text != "保存 (Ctrl+S) …" || !v.save.Disabled() || q.pending() != 1 {
		t.Errorf("in flight: %q disabled %v, %d queued", v.save.Text, v.save.Disabled(), q.pending())
	}
	q.drain()
	if v.save.Disabled() || !strings.Contains(overlayText(w), "已保存到 /tmp/pack.toml") || v.dirty {
		t.Errorf("after saving: %q", overlayText(w))
	}
	closeOverlays(w)
	if got := d.commands(); got[len(got)-1] != "savepack /tmp/pack.toml" {
		t.Errorf("commands = %v", got)
	}
	saved := d.packs[0]
	p, err := scripts.Parse("saved.toml", []byte(saved))
	if err != nil || p.Company() != "西太平洋物业" || !strings.Contains(saved, "# 改成贵公司或客服中心的名称") {
		t.Errorf("saved pack: %v, company %q", err, p.Company())
	}
	test.Tap(v.publish)
	q.drain()
	if !strings.Contains(overlayText(w), "已提交第 7 版，等待主管审核") {
		t.Errorf("publish: %q", overlayText(w))
	}
	closeOverlays(w)
	d.fail = desk.ErrNeedsHub
	test.Tap(v.publish)
	q.drain()
	if !strings.Contains(overlayText(w), "发布需要连接中心") {
		t.Errorf("publish without a hub: %q", overlayText(w))
	}
	closeOverlays(w)
	d.fail = &desk.HubError{Err: desk.ErrHubRole}
	test.Tap(v.publish)
	q.drain()
	if !strings.Contains(overlayText(w), "这个令牌不是培训师令牌") {
		t.Errorf("publish with another role's token: %q", overlayText(w))
	}
	closeOverlays(w)
	d.fail = errors.New("disk full")
	v.onSave()
	q.drain()
	if !strings.Contains(overlayText(w), "操作失败") {
		t.Errorf("a failed save: %q", overlayText(w))
	}
}

// In the text view a problem is at its line; a text a form cannot hold
// stays in the text view.
func TestTrainerView_TextViewProblemsAtLines(t *testing.T) {
	_, _, w, _, v := openTrainer(t, Options{})
	v.modeSel.SetSelectedIndex(1)
	lines := strings.Count(v.editor.Text, "\n")
	v.editor.SetText(v.editor.Text + "broken = 1\n")
	if len(v.problems.Objects) != 1 {
		t.Fatalf("%d problems", len(v.problems.Objects))
	}
	b := v.problems.Objects[0].(*widget.Button)
	want := "第 " + strconv.Itoa(lines+1) + " 行 结束语：不认识的设置 closing.broken：请检查拼写（否则会被忽略）"
	if b.Text != want {
		t.Errorf("problem = %q, want %q", b.Text, want)
	}
	test.Tap(b)
	if v.editor.CursorRow != lines || w.Canvas().Focused() != v.editor {
		t.Errorf("cursor row %d, want %d", v.editor.CursorRow, lines)
	}
	v.modeSel.SetSelectedIndex(0)
	if !v.textMode || v.modeSel.SelectedIndex() != 1 || !strings.Contains(overlayText(w), "文本还不能转成表单") {
		t.Errorf("switching to the form: text mode %v, dialog %q", v.textMode, overlayText(w))
	}
}

// Switching the window's language keeps the draft; switching the pack's
// language asks before dropping changes.
func TestTrainerView_LanguageSwitches(t *testing.T) {
	s, d, w, q, v := openTrainer(t, Options{})
	fieldAt(t, v, "company").SetText("西太平洋物业")
	v.date.entry.SetText("2026-10-01")
	s.SetLang("en")
	q.drain()
	nv := s.trainer
	if nv == v || fieldAt(t, nv, "company").Text != "西太平洋物业" || nv.lang != "zh-Hans" || !nv.dirty {
		t.Fatalf("after the switch: company %q, pack %q", fieldAt(t, nv, "company").Text, nv.lang)
	}
	if nv.formTabs.Items[0].Text != "Basics" || nv.opening.String() != "国庆节快乐！西太平洋物业客服中心，请问有什么可以帮您！" {
		t.Errorf("tab %q, opening %q", nv.formTabs.Items[0].Text, nv.opening.String())
	}
	nv.langSel.SetSelectedIndex(langIndex("zh-Hant"))
	if nv.lang != "zh-Hans" || !strings.Contains(overlayText(w), "discards your unsaved changes") {
		t.Fatalf("the pack switched without asking: %q", overlayText(w))
	}
	test.Tap(overlayButton(t, w, "OK"))
	q.drain()
	if nv.lang != "zh-Hant" || fieldAt(t, nv, "company").Text != "XX" || nv.opening.String() != "早安！XX歡迎您的來電，請問有什麼可以為您服務？" {
		t.Errorf("zh-Hant: %q %q %q", nv.lang, fieldAt(t, nv, "company").Text, nv.opening.String())
	}
	if got := d.commands(); got[len(got)-1] != "packtext zh-Hant" {
		t.Errorf("commands = %v", got)
	}
}

// The preview's time and caller come from pickers, not typed RFC 3339.
func TestTrainerView_PreviewTimeAndCaller(t *testing.T) {
	_, _, _, _, v := openTrainer(t, Options{})
	v.hour.SetSelected("15")
	if got := v.opening.String(); got != "您好！XX欢迎您的来电，请问有什么可以帮您？" {
		t.Errorf("15:30 = %q", got)
	}
	v.outbound.SetChecked(true)
	if got := v.opening.String(); !strings.HasPrefix(got, "您好，请问是王先生吗？") || v.openingNote.Text != "呼出电话的开头语" {
		t.Errorf("outbound = %q (%q)", got, v.openingNote.Text)
	}
	v.caller.SetSelectedIndex(3)
	if got := v.opening.String(); strings.Contains(got, "请问是") || !strings.HasPrefix(got, "您好，我姓李") {
		t.Errorf("outbound, anonymous = %q", got)
	}
	if v.pv.Caller != desk.CallerAnonymous {
		t.Errorf("caller = %v", v.pv.Caller)
	}
	v.outbound.SetChecked(false)
	v.silent.SetChecked(true)
	if got := v.opening.String(); got != "您好，XX客服中心，欢迎您的来电。" {
		t.Errorf("silent = %q", got)
	}
	if r := v.request(); r.Hour != 15 || r.Minute != 30 || !r.Silent || r.Date != (desk.Date{Year: 2026, Month: time.March, Day: 2}) {
		t.Errorf("request = %+v", r)
	}
}

// BenchmarkTrainerView_Keystroke is what a keystroke in a form field
// costs on the Fyne goroutine: the form written as TOML, validated and
// previewed, and the preview, problems and calendar painted (test
// driver), for a keystroke in a phrase and one in the company name (which
// is in every line).
func BenchmarkTrainerView_Keystroke(b *testing.B) {
	a := test.NewTempApp(b)
	w := test.NewTempWindow(b, nil)
	w.Resize(fyne.NewSize(1280, 720))
	q := &queue{}
	s := NewWindow(a, w, &fakeDesk{}, Options{Role: "supervisor", Go: q.Go})
	s.Apply(ringingView())
	s.ShowTab(TabTrainer)
	q.drain()
	v := s.trainer
	v.formTabs.SelectIndex(formHolidays)
	for name, set := range map[string]func(i int){
		"phrase":  func(i int) { v.form.Phrases[3].Say = fmt.Sprintf("对不起，让您久等了%d。", i%2) },
		"company": func(i int) { v.form.Company = []string{"XX", "XY"}[i%2] },
	} {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				set(i)
				i++
				v.changed()
			}
		})
	}
}

// previewText is the preview's lines as text, section by section.
func (v *trainerView) previewText() string {
	var b strings.Builder
	for _, o := range v.lines.Objects {
		if rt := o.(*widget.RichText); rt.Visible() {
			b.WriteString(rt.String() + "\n")
		}
	}
	return b.String()
}
