package ui

import (
	"image/color"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
)

// monthNames and weekdayNames are the calendar's message ids; weeks start
// on Monday.
var (
	monthNames = [12]string{"tr.month.jan", "tr.month.feb", "tr.month.mar", "tr.month.apr", "tr.month.may", "tr.month.jun",
		"tr.month.jul", "tr.month.aug", "tr.month.sep", "tr.month.oct", "tr.month.nov", "tr.month.dec"}
	weekdayNames = [7]string{"tr.wd.mon", "tr.wd.tue", "tr.wd.wed", "tr.wd.thu", "tr.wd.fri", "tr.wd.sat", "tr.wd.sun"}
)

// holidayColours colour the calendar's days by the holiday whose greeting
// callers hear, in the order of the pack's holidays (its priority).
var holidayColours = []color.NRGBA{
	{0xD3, 0x2F, 0x2F, 0xff}, {0xEF, 0x6C, 0x00, 0xff}, {0x7B, 0x1F, 0xA2, 0xff}, {0x2E, 0x7D, 0x32, 0xff},
	{0x15, 0x65, 0xC0, 0xff}, {0x00, 0x79, 0x6B, 0xff}, {0x5D, 0x40, 0x37, 0xff}, {0xC2, 0x18, 0x5B, 0xff},
}

// holidayColour is the colour of the holiday at index i of the legend.
func holidayColour(i int) color.Color { return holidayColours[i%len(holidayColours)] }

// dayLook is how a day cell is painted: its fill (nil: none), and whether
// its text is bold (a day from a notice) or it is outlined (the day
// previewed, or the day picked).
type dayLook struct {
	fill     color.Color
	bold     bool
	outlined bool
}

// monthGrid paints one month as a grid of days, Monday first; tapping a
// day reports it. The year calendar shows twelve, coloured by holiday; the
// date picker one, with the picked day outlined.
type monthGrid struct {
	widget.BaseWidget
	shell       *Window
	year        int
	month       time.Month
	withYear    bool // the title says the year too (the picker)
	big         bool // body-size text (the picker) instead of captions
	look        func(desk.Date) dayLook
	onTapped    func(desk.Date)
	cellW, rowH float32
}

func newMonthGrid(s *Window, year int, month time.Month, look func(desk.Date) dayLook, tapped func(desk.Date)) *monthGrid {
	g := &monthGrid{shell: s, year: year, month: month, look: look, onTapped: tapped}
	g.ExtendBaseWidget(g)
	return g
}

// set shows another month.
func (g *monthGrid) set(year int, month time.Month) {
	g.year, g.month = year, month
	g.Refresh()
}

func (g *monthGrid) title() string {
	m := tr(g.shell.lang, monthNames[g.month-1])
	if g.withYear {
		return tr(g.shell.lang, "tr.monthyear", map[string]any{"Year": g.year, "Month": m})
	}
	return m
}

// first is the month's first day and the column it is in (0 Monday).
func (g *monthGrid) first() (time.Time, int) {
	t := time.Date(g.year, g.month, 1, 12, 0, 0, 0, time.UTC)
	return t, (int(t.Weekday()) + 6) % 7
}

// dayAt is the day under a point of the grid.
func (g *monthGrid) dayAt(p fyne.Position) (desk.Date, bool) {
	if g.cellW <= 0 || g.rowH <= 0 {
		return desk.Date{}, false
	}
	row := int(p.Y/g.rowH) - 2 // the title and the weekdays come first
	col := int(p.X / g.cellW)
	if row < 0 || col < 0 || col > 6 {
		return desk.Date{}, false
	}
	first, off := g.first()
	n := row*7 + col - off
	d := desk.DateOf(first.AddDate(0, 0, n))
	if n < 0 || d.Month != g.month {
		return desk.Date{}, false
	}
	return d, true
}

// Tapped reports the day tapped.
func (g *monthGrid) Tapped(e *fyne.PointEvent) {
	if d, ok := g.dayAt(e.Position); ok && g.onTapped != nil {
		g.onTapped(d)
	}
}

// CreateRenderer makes the month's texts and cells.
func (g *monthGrid) CreateRenderer() fyne.WidgetRenderer {
	r := &monthRenderer{g: g, title: canvas.NewText("", theme.Color(theme.ColorNameForeground))}
	r.title.TextStyle.Bold = true
	for i := range r.wd {
		r.wd[i] = canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
		r.wd[i].Alignment = fyne.TextAlignCenter
	}
	for i := range r.cells {
		r.cells[i] = canvas.NewRectangle(color.Transparent)
		r.cells[i].CornerRadius = 3
		r.nums[i] = canvas.NewText("", theme.Color(theme.ColorNameForeground))
		r.nums[i].Alignment = fyne.TextAlignCenter
	}
	r.Refresh()
	return r
}

type monthRenderer struct {
	g     *monthGrid
	title *canvas.Text
	wd    [7]*canvas.Text
	cells [42]*canvas.Rectangle
	nums  [42]*canvas.Text
}

func (r *monthRenderer) textSize() float32 {
	if r.g.big {
		return theme.Size(theme.SizeNameText)
	}
	return theme.Size(theme.SizeNameCaptionText)
}

func (r *monthRenderer) MinSize() fyne.Size {
	ts := r.textSize()
	cell := fyne.MeasureText("30", ts, fyne.TextStyle{Bold: true})
	w := max(cell.Width+8, 20)
	h := cell.Height + 4
	return fyne.NewSize(w*7, h*8)
}

func (r *monthRenderer) Layout(size fyne.Size) {
	r.g.cellW, r.g.rowH = size.Width/7, size.Height/8
	cw, rh := r.g.cellW, r.g.rowH
	r.title.Move(fyne.NewPos(2, 0))
	r.title.Resize(fyne.NewSize(size.Width, rh))
	for i, t := range r.wd {
		t.Move(fyne.NewPos(float32(i)*cw, rh))
		t.Resize(fyne.NewSize(cw, rh))
	}
	for i := range r.cells {
		col, row := i%7, i/7
		pos := fyne.NewPos(float32(col)*cw+1, float32(row+2)*rh+1)
		r.cells[i].Move(pos)
		r.cells[i].Resize(fyne.NewSize(cw-2, rh-2))
		r.nums[i].Move(pos)
		r.nums[i].Resize(fyne.NewSize(cw-2, rh-2))
	}
}

func (r *monthRenderer) Refresh() {
	g, ts := r.g, r.textSize()
	fg := theme.Color(theme.ColorNameForeground)
	r.title.Text, r.title.TextSize, r.title.Color = g.title(), ts+1, fg
	r.title.Refresh()
	for i, t := range r.wd {
		t.Text, t.TextSize = tr(g.shell.lang, weekdayNames[i]), ts
		t.Color = theme.Color(theme.ColorNamePlaceHolder)
		t.Refresh()
	}
	first, off := g.first()
	for i := range r.cells {
		n := i - off
		d := desk.DateOf(first.AddDate(0, 0, n))
		cell, num := r.cells[i], r.nums[i]
		if n < 0 || d.Month != g.month {
			cell.Hide()
			num.Hide()
			continue
		}
		var lk dayLook
		if g.look != nil {
			lk = g.look(d)
		}
		cell.FillColor, cell.StrokeWidth = color.Transparent, 0
		num.Color, num.TextStyle = fg, fyne.TextStyle{}
		if lk.fill != nil {
			cell.FillColor = lk.fill
			num.Color = color.White
		}
		if lk.outlined {
			cell.StrokeColor, cell.StrokeWidth = theme.Color(theme.ColorNamePrimary), 2
		}
		num.TextStyle.Bold = lk.bold
		num.Text, num.TextSize = strconv.Itoa(d.Day), ts
		cell.Show()
		num.Show()
		cell.Refresh()
		num.Refresh()
	}
}

func (r *monthRenderer) Objects() []fyne.CanvasObject {
	out := []fyne.CanvasObject{r.title}
	for _, t := range r.wd {
		out = append(out, t)
	}
	for i := range r.cells {
		out = append(out, r.cells[i], r.nums[i])
	}
	return out
}

func (r *monthRenderer) Destroy() {}

// datePicker is a date field with a calendar: the date can be typed
// (YYYY-MM-DD) or picked from a month that pops up under the field.
type datePicker struct {
	shell     *Window
	entry     *field
	pick      *widget.Button
	date      desk.Date
	onChanged func(desk.Date)
	// onText, when set, gets the field's text on every change, also when it
	// is not a date yet (a notice's field, whose bad date the pack's check
	// reports at the field).
	onText     func(string)
	popup      *widget.PopUp
	grid       *monthGrid
	prev, next *widget.Button // the popup's months before and after
	setting    bool
}

func newDatePicker(s *Window, d desk.Date, changed func(desk.Date)) *datePicker {
	p := &datePicker{shell: s, date: d}
	p.entry = newField(s, "2026-10-01")
	p.entry.SetText(d.String())
	p.entry.OnChanged = func(text string) {
		if p.setting {
			return
		}
		if p.onText != nil {
			p.onText(text)
		}
		if nd, err := desk.ParseDate(text); err == nil && nd != p.date {
			p.date = nd
			if p.onChanged != nil {
				p.onChanged(nd)
			}
		}
	}
	p.pick = widget.NewButtonWithIcon("", theme.Icon(theme.IconNameCalendar), p.open)
	p.onChanged = changed
	return p
}

// newDatePickerText is a picker showing text as it is (a date as the pack
// writes it, which may not read as one yet).
func newDatePickerText(s *Window, text string, changed func(desk.Date), onText func(string)) *datePicker {
	d, _ := desk.ParseDate(text)
	p := newDatePicker(s, d, changed)
	p.set(d)
	p.setting = true
	p.entry.SetText(text)
	p.setting = false
	p.onText = onText
	return p
}

// widget is the field with its calendar button.
func (p *datePicker) widget() fyne.CanvasObject {
	return container.NewBorder(nil, nil, nil, p.pick, p.entry)
}

// set shows d without reporting it.
func (p *datePicker) set(d desk.Date) {
	p.date = d
	p.setting = true
	p.entry.SetText(d.String())
	p.setting = false
}

// open pops up the picked date's month under the field.
func (p *datePicker) open() {
	c := p.shell.win.Canvas()
	shown := p.date
	if shown.Year == 0 {
		shown = desk.DateOf(time.Now())
	}
	p.grid = newMonthGrid(p.shell, shown.Year, shown.Month, func(d desk.Date) dayLook {
		return dayLook{outlined: d == p.date}
	}, func(d desk.Date) {
		p.popup.Hide()
		// Through the field, so onText and onChanged hear of it.
		p.entry.SetText(d.String())
	})
	p.grid.withYear, p.grid.big = true, true
	step := func(n int) func() {
		return func() {
			t := time.Date(p.grid.year, p.grid.month+time.Month(n), 1, 12, 0, 0, 0, time.UTC)
			p.grid.set(t.Year(), t.Month())
		}
	}
	p.prev = widget.NewButtonWithIcon("", theme.Icon(theme.IconNameNavigateBack), step(-1))
	p.next = widget.NewButtonWithIcon("", theme.Icon(theme.IconNameNavigateNext), step(1))
	content := container.NewBorder(nil, nil, p.prev, p.next, p.grid)
	p.popup = widget.NewPopUp(content, c)
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(p.entry)
	p.popup.ShowAtPosition(pos.Add(fyne.NewPos(0, p.entry.Size().Height)))
	p.popup.Resize(content.MinSize().AddWidthHeight(60, 40))
}
