package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// holidayTab is the form's holidays: the year calendar, day by day in the
// colour of the greeting callers hear (a click previews that day), its
// legend, the pickers that set a year's dates of a holiday, the notices
// the pack has, and the holidays with their greetings and date rules.
type holidayTab struct {
	built     bool
	months    [12]*monthGrid
	year      *widget.Label
	legend    *fyne.Container
	legendKey string // what the legend shows
	days      map[desk.Date]desk.CalendarDay

	holiday  *selectBox
	ids      []string
	from, to *datePicker
	set, del *widget.Button
}

// periodPick is what the period pickers hold, kept across rebuilds of the
// form. Until the trainer picks a date they follow the day previewed.
type periodPick struct {
	holiday  string
	from, to desk.Date
	picked   bool
}

// maxSpan is the largest number of days before or after a holiday's date
// the drop-downs offer.
const maxSpan = 15

func (h *holidayTab) build(v *trainerView) fyne.CanvasObject {
	f := v.form
	h.built = true
	h.year = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	shift := func(n int) func() {
		return func() {
			d := v.date.date
			t := time.Date(d.Year+n, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
			v.date.set(desk.DateOf(t))
			v.onRequest()
		}
	}
	nav := container.NewHBox(widget.NewButtonWithIcon("", theme.NavigateBackIcon(), shift(-1)), h.year,
		widget.NewButtonWithIcon("", theme.NavigateNextIcon(), shift(1)))
	cal := container.NewGridWithColumns(4)
	for m := range h.months {
		h.months[m] = newMonthGrid(v.shell, v.date.date.Year, time.Month(m+1), func(d desk.Date) dayLook { return h.look(v, d) },
			func(d desk.Date) { v.date.set(d); v.onRequest() })
		cal.Add(h.months[m])
	}
	h.legend = container.NewVBox()

	// The pickers of a year's dates.
	names := make([]string, len(f.Holidays))
	h.ids = make([]string, len(f.Holidays))
	for i, hd := range f.Holidays {
		names[i], h.ids[i] = hd.Name, hd.ID
	}
	h.holiday = newSelect(v.shell, names, func(string) {
		if i := h.holiday.SelectedIndex(); i >= 0 {
			v.period.holiday = h.ids[i]
		}
	})
	h.holiday.PlaceHolder = v.t("tr.period.pick")
	if i := slices.Index(h.ids, v.period.holiday); i >= 0 {
		h.holiday.SetSelectedIndex(i)
	}
	from, to := v.period.from, v.period.to
	if from.Year == 0 {
		from, to = v.date.date, v.date.date
	}
	h.from = newDatePicker(v.shell, from, func(d desk.Date) { v.period.from, v.period.picked = d, true })
	h.to = newDatePicker(v.shell, to, func(d desk.Date) { v.period.to, v.period.picked = d, true })
	v.period.from, v.period.to = from, to
	h.set = widget.NewButtonWithIcon(v.t("tr.period.set"), theme.ConfirmIcon(), func() { h.onSet(v) })
	h.set.Importance = widget.HighImportance
	h.del = widget.NewButtonWithIcon(v.t("tr.period.remove"), theme.DeleteIcon(), func() { h.onRemove(v) })
	labelled := func(id string, w fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, widget.NewLabel(v.t(id)), nil, w)
	}
	pickers := container.NewVBox(
		container.NewGridWithColumns(3, labelled("tr.f.holiday", h.holiday), labelled("tr.f.from", h.from.widget()),
			labelled("tr.f.to", h.to.widget())),
		container.NewHBox(h.set, h.del))

	// The pickers come first, so the calendar they change is in sight.
	out := container.NewVBox(v.heading("tr.sec.period"), pickers, v.heading("tr.sec.calendar"), nav, cal, h.legend,
		v.heading("tr.sec.notices"), v.notices(), v.heading("tr.sec.holidays"))
	for i := range f.Holidays {
		out.Add(v.holidayItem(i))
	}
	out.Add(v.addHoliday())
	h.paint(v)
	return out
}

// look is how the year calendar paints a day: in its holiday's colour,
// bold when a notice sets it, outlined when it is the day previewed.
func (h *holidayTab) look(v *trainerView, d desk.Date) dayLook {
	lk := dayLook{outlined: d == v.date.date}
	if cd, ok := h.days[d]; ok && cd.Holiday != "" {
		if i := v.good.HolidayIndex(cd.Holiday); i >= 0 {
			lk.fill = holidayColour(i)
		}
		lk.bold = cd.Source == "notice"
	}
	return lk
}

// paint shows the last valid preview's year.
func (h *holidayTab) paint(v *trainerView) {
	if !h.built {
		return
	}
	g := v.good
	h.days = make(map[desk.Date]desk.CalendarDay, len(g.Days))
	for _, d := range g.Days {
		h.days[d.Date] = d
	}
	year := g.Year
	if year == 0 {
		year = v.date.date.Year
	}
	h.year.SetText(strconv.Itoa(year))
	if !v.period.picked && v.date.date != v.period.from {
		v.period.from, v.period.to = v.date.date, v.date.date
		h.from.set(v.date.date)
		h.to.set(v.date.date)
	}
	for m, grid := range h.months {
		grid.set(year, time.Month(m+1))
	}
	var key strings.Builder
	for _, hd := range g.Holidays {
		fmt.Fprintf(&key, "%s|%s|%v\x00", hd.Name, hd.Greeting, hd.Periods)
	}
	if key.String() == h.legendKey && len(g.Sections) > 0 {
		return // the legend shows this already
	}
	h.legendKey = key.String()
	h.legend.RemoveAll()
	swatch := func(c color.Color) fyne.CanvasObject {
		r := canvas.NewRectangle(c)
		r.StrokeColor, r.StrokeWidth, r.CornerRadius = theme.Color(theme.ColorNameForeground), 0.5, 3
		r.SetMinSize(fyne.NewSize(16, 16))
		return container.NewCenter(r)
	}
	if len(g.Sections) > 0 {
		std := widget.NewLabel(v.t("tr.legend.standard"))
		h.legend.Add(container.NewBorder(nil, nil, swatch(color.Transparent), nil, std))
	}
	for i, hd := range g.Holidays {
		var ps []string
		for _, p := range hd.Periods {
			ps = append(ps, p.From.String()+" – "+p.To.String()+"（"+v.sourceName(p.Source)+"）")
		}
		head := hd.Name
		if len(ps) > 0 {
			head += "  " + strings.Join(ps, "，")
		}
		name := widget.NewLabelWithStyle(head, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		greet := widget.NewLabel(hd.Greeting)
		greet.Wrapping = fyne.TextWrapWord
		h.legend.Add(container.NewBorder(nil, nil, swatch(holidayColour(i)), nil, container.NewVBox(name, greet)))
	}
	h.legend.Refresh()
}

func (h *holidayTab) onSet(v *trainerView) {
	i := h.holiday.SelectedIndex()
	if i < 0 {
		v.shell.warn(v.t("tr.period.pick"))
		return
	}
	if err := desk.SetHolidayPeriod(v.form, h.ids[i], h.from.date, h.to.date); err != nil {
		v.shell.warn(v.errText(err))
		return
	}
	v.reshape()
}

func (h *holidayTab) onRemove(v *trainerView) {
	i := h.holiday.SelectedIndex()
	if i < 0 {
		v.shell.warn(v.t("tr.period.pick"))
		return
	}
	year := h.to.date.Year
	if desk.RemoveHolidayPeriods(v.form, h.ids[i], year) == 0 {
		v.shell.info(v.t("tr.period.none", map[string]any{"Holiday": v.holidayName(h.ids[i]), "Year": year}))
		return
	}
	v.reshape()
}

// notices lists the pack's notices ([[calendar]]): each one's holiday and
// dates, which can be changed or removed here.
func (v *trainerView) notices() fyne.CanvasObject {
	f := v.form
	out := container.NewVBox(v.errorsAt("calendar"))
	if len(f.Calendar) == 0 {
		l := widget.NewLabel(v.t("tr.notices.none"))
		l.Importance = widget.LowImportance
		out.Add(l)
	}
	for i := range f.Calendar {
		item := &f.Calendar[i]
		p := ix("calendar", i)
		from := newDatePickerText(v.shell, item.From, nil, func(s string) { item.From = s; v.changed() })
		to := newDatePickerText(v.shell, item.To, nil, func(s string) { item.To = s; v.changed() })
		v.fields[fp(p, "from")], v.fields[fp(p, "to")] = from.entry, to.entry
		_, _, remove := moves(&f.Calendar, i)
		head := v.itemHead(v.holidayName(item.Holiday), nil, nil, remove)
		dates := container.NewGridWithColumns(2, from.widget(), to.widget())
		out.Add(container.NewVBox(head, dates, v.errorsAt(p, fp(p, "holiday"), fp(p, "from"), fp(p, "to"))))
	}
	return out
}

// ruleKinds are a holiday's choices of date rule: none (the default
// calendar for a built-in holiday, notices only for another), a solar
// month and day, or a lunar one.
const (
	ruleNone = iota
	ruleDate
	ruleLunar
)

func (v *trainerView) holidayItem(i int) fyne.CanvasObject {
	f := v.form
	item := &f.Holidays[i]
	p := fp("holidays", item.ID)
	title := item.Name + " (" + item.ID + ")"
	if item.Builtin() {
		title += " · " + v.t("tr.hol.builtin")
	}
	remove := func() { desk.RemoveHoliday(f, item.ID) }
	var r rows
	v.add(&r, v.t("tr.f.hol.name"), v.line(fp(p, "name"), item.Name, "", func(s string) { item.Name = s }), fp(p, "name"))
	v.add(&r, v.t("tr.f.hol.greeting"), v.tmpl(fp(p, "greeting"), item.Greeting, 2, func(s string) { item.Greeting = s }), fp(p, "greeting"))
	none := "tr.rule.none"
	if item.Builtin() {
		none = "tr.rule.default"
	}
	kind := v.ruleKinds[item.ID] // chosen, with no month and day yet
	switch {
	case item.Lunar != "":
		kind = ruleLunar
	case item.Date != "":
		kind = ruleDate
	}
	rule := newSelect(v.shell, []string{v.t(none), v.t("tr.rule.date"), v.t("tr.rule.lunar")}, nil)
	rule.SetSelectedIndex(kind)
	rule.OnChanged = func(string) {
		md := item.Date + item.Lunar
		v.ruleKinds[item.ID] = rule.SelectedIndex()
		switch rule.SelectedIndex() {
		case ruleNone:
			item.Date, item.Lunar, item.Before, item.After = "", "", 0, 0
		case ruleDate:
			item.Date, item.Lunar = md, ""
		case ruleLunar:
			item.Date, item.Lunar = "", md
		}
		v.reshape()
	}
	v.fields[fp(p, "rule")] = rule
	v.add(&r, v.t("tr.f.hol.rule"), rule)
	if kind != ruleNone {
		key, val := "date", &item.Date
		if kind == ruleLunar {
			key, val = "lunar", &item.Lunar
		}
		v.add(&r, v.t("tr.f.hol.monthday"), v.line(fp(p, key), *val, "05-05", func(s string) { *val = s }), fp(p, key))
		spans := make([]string, maxSpan+1)
		for n := range spans {
			spans[n] = strconv.Itoa(n)
		}
		pick := func(key string, n *int) *selectBox {
			b := v.choice(fp(p, key), spans, strconv.Itoa(*n), func(s string) { *n, _ = strconv.Atoi(s) })
			if *n > maxSpan || *n < 0 {
				b.Options = append(b.Options, strconv.Itoa(*n))
				b.SetSelected(strconv.Itoa(*n))
			}
			return b
		}
		v.add(&r, v.t("tr.f.hol.span"), container.NewHBox(widget.NewLabel(v.t("tr.f.hol.before")), pick("before", &item.Before),
			widget.NewLabel(v.t("tr.f.hol.after")), pick("after", &item.After)), fp(p, "before"), fp(p, "after"))
	}
	return container.NewVBox(v.itemHead(title, nil, nil, remove), v.errorsAt(p), grid(r), widget.NewSeparator())
}

// addHoliday is the row that adds a holiday by its id and name.
func (v *trainerView) addHoliday() fyne.CanvasObject {
	id := newField(v.shell, "dragon_boat")
	name := newField(v.shell, v.t("tr.f.hol.name"))
	add := widget.NewButtonWithIcon(v.t("tr.hol.add"), theme.ContentAddIcon(), func() {
		if err := desk.AddHoliday(v.form, strings.TrimSpace(id.Text), strings.TrimSpace(name.Text), ""); err != nil {
			v.shell.warn(v.errText(err))
			return
		}
		v.reshape()
	})
	var r rows
	v.add(&r, v.t("tr.f.hol.id"), id)
	v.add(&r, v.t("tr.f.hol.name"), name)
	return container.NewVBox(grid(r), container.NewHBox(add))
}
