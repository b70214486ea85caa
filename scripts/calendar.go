package scripts

import (
	"fmt"
	"sort"
	"time"
)

// Holiday ids: the legal holidays of DOMAIN.md §2, keys of a pack's [holidays].
const (
	HolidayNewYear        = "new_year"        // 元旦
	HolidaySpringFestival = "spring_festival" // 春节
	HolidayLabourDay      = "labour_day"      // 五一
	HolidayMidAutumn      = "mid_autumn"      // 中秋
	HolidayNationalDay    = "national_day"    // 国庆
)

// holidayPriority decides which greeting a day gets when two holidays cover
// it. 中秋 comes before 国庆 because the festival is one to three days inside
// the week-long national holiday (2020, 2025…): callers hear 中秋节快乐 on the
// festival days and 国庆节快乐 on the others. Holidays a pack adds come after
// these, in id order.
var holidayPriority = []string{
	HolidaySpringFestival,
	HolidayMidAutumn,
	HolidayNationalDay,
	HolidayLabourDay,
	HolidayNewYear,
}

// BuiltinHolidays returns the ids of the holidays the default calendar
// knows, in priority order. A pack that leaves one out of [holidays] has no
// such holiday; one that gives it a date or lunar rule replaces its default
// dates.
func BuiltinHolidays() []string { return append([]string(nil), holidayPriority...) }

// The default calendar covers these years; outside them only a pack's own
// ranges and rules apply.
const (
	DefaultCalendarFirstYear = 2000
	DefaultCalendarLastYear  = 2100
)

// RangeSource says where a holiday period comes from.
type RangeSource int

// The sources of a Range.
const (
	SourceDefault RangeSource = iota // the built-in calendar (DefaultRanges)
	SourceRule                       // the holiday's date or lunar rule in the pack
	SourceNotice                     // a [[calendar]] range in the pack: that year's notice
)

// String returns "default", "rule" or "notice".
func (s RangeSource) String() string {
	switch s {
	case SourceRule:
		return "rule"
	case SourceNotice:
		return "notice"
	}
	return "default"
}

// Range is a holiday period: From and To inclusive, civil dates in the pack's
// time zone. A range belongs to the year of its last day, so a 元旦 break from
// 2023-12-30 to 2024-01-01 is 元旦 2024.
type Range struct {
	Holiday  string
	From, To Date
	Line     int // where the pack sets it (its rule or notice); 0 for the default calendar
	Source   RangeSource
}

// Year is the holiday year the range belongs to.
func (r Range) Year() int { return r.To.Year }

// Contains reports whether d is within r.
func (r Range) Contains(d Date) bool { return !d.Before(r.From) && !r.To.Before(d) }

// Days returns how many days r covers.
func (r Range) Days() int { return int(r.To.utc().Sub(r.From.utc()).Hours()/24) + 1 }

// newYearNotices are the 元旦 breaks of the State Council's yearly notices
// (国务院办公厅关于节假日安排的通知) for the years the default knows;
// other years default to January 1 alone.
var newYearNotices = map[int][2]Date{
	2019: {{2018, time.December, 30}, {2019, time.January, 1}},
	2020: {{2020, time.January, 1}, {2020, time.January, 1}},
	2021: {{2021, time.January, 1}, {2021, time.January, 3}},
	2022: {{2022, time.January, 1}, {2022, time.January, 3}},
	2023: {{2022, time.December, 31}, {2023, time.January, 2}},
	2024: {{2023, time.December, 30}, {2024, time.January, 1}},
	2025: {{2025, time.January, 1}, {2025, time.January, 1}},
	2026: {{2026, time.January, 1}, {2026, time.January, 3}},
}

// springFestivalReform is the first year of the longer 春节 break.
//
// The rule used: 《国务院关于修改〈全国年节及纪念日放假办法〉的决定》
// (国务院令第795号, published 2024-11-12, in force 2025-01-01) makes 春节 a
// holiday of 4 days, 农历除夕 and 正月初一至初三 (除夕 was not one from 2014
// to 2024), and adds that holidays may be joined with weekends into longer
// breaks. The first notice under it (国务院办公厅关于2025年部分节假日安排的通知)
// set 春节 2025 as 1月28日（除夕）至2月4日（初七）, 8 days. From 2025 the
// default is that pattern, 除夕 through 初七; before, it is 除夕 through 初六,
// the 7-day break of the 2015–2023 notices. A year whose notice differs
// (2026: 2月15日（腊月廿八）至23日（初七）, 9 days) is entered as a
// [[calendar]] range, which wins.
const springFestivalReform = 2025

// DefaultRanges returns the default calendar's periods of holiday in year:
//
//	元旦  January 1 (the notice's break for 2019–2026)
//	春节  lunar new year's eve (除夕) through lunar 1/7 (初七) from 2025, 1/6 (初六) before
//	五一  May 1–5
//	中秋  lunar 8/14 through 8/16
//	国庆  October 1–7
//
// Unknown holidays and years outside 2000–2100 have none.
func DefaultRanges(holiday string, year int) []Range {
	if year < DefaultCalendarFirstYear || year > DefaultCalendarLastYear {
		return nil
	}
	mk := func(from, to Date) []Range { return []Range{{Holiday: holiday, From: from, To: to}} }
	switch holiday {
	case HolidayNewYear:
		if n, ok := newYearNotices[year]; ok {
			return mk(n[0], n[1])
		}
		d := Date{year, time.January, 1}
		return mk(d, d)
	case HolidaySpringFestival:
		ny, err := LunarNewYear(year)
		if err != nil {
			return nil
		}
		last := 5 // 初六
		if year >= springFestivalReform {
			last = 6 // 初七
		}
		return mk(ny.AddDays(-1), ny.AddDays(last))
	case HolidayLabourDay:
		return mk(Date{year, time.May, 1}, Date{year, time.May, 5})
	case HolidayMidAutumn:
		d, err := MidAutumn(year)
		if err != nil {
			return nil
		}
		return mk(d.AddDays(-1), d.AddDays(1))
	case HolidayNationalDay:
		return mk(Date{year, time.October, 1}, Date{year, time.October, 7})
	}
	return nil
}

// HolidayRule gives a holiday's dates every year, so a trainer need not type
// them: a solar month and day (国庆日 10-10) or a lunar one (端午 = lunar
// 05-05), with Before and After days around it that greet the same. A day
// beyond the month's end means its last day: lunar 12-30 is 除夕 also in
// years whose twelfth month has 29 days, and 02-29 is February 28 in common
// years. Leap lunar months are never meant. A zero rule (Month 0) means the
// default calendar for a built-in holiday.
type HolidayRule struct {
	Lunar         bool
	Month, Day    int
	Before, After int
	Line          int // where the pack sets it
}

// IsZero reports whether there is no rule.
func (r HolidayRule) IsZero() bool { return r.Month == 0 }

// String describes the rule: "10-10", "lunar 01-01 -2 +2".
func (r HolidayRule) String() string {
	if r.IsZero() {
		return "default"
	}
	s := fmt.Sprintf("%02d-%02d", r.Month, r.Day)
	if r.Lunar {
		s = "lunar " + s
	}
	if r.Before != 0 || r.After != 0 {
		s += fmt.Sprintf(" -%d +%d", r.Before, r.After)
	}
	return s
}

// Ranges returns the periods the rule gives holiday in year (the year of a
// period's last day; a lunar date may fall twice in one year).
func (r HolidayRule) Ranges(holiday string, year int) []Range {
	if r.IsZero() {
		return nil
	}
	var out []Range
	for _, y := range []int{year - 1, year} {
		anchor, ok := r.anchor(y)
		if !ok {
			continue
		}
		rg := Range{Holiday: holiday, From: anchor.AddDays(-r.Before), To: anchor.AddDays(r.After), Line: r.Line, Source: SourceRule}
		if rg.Year() == year {
			out = append(out, rg)
		}
	}
	return out
}

// anchor is the rule's date in (lunar or solar) year y.
func (r HolidayRule) anchor(y int) (Date, bool) {
	if r.Lunar {
		if y < lunarFirstYear || y > lunarLastYear {
			return Date{}, false
		}
		d, err := LunarToSolar(y, r.Month, min(r.Day, lunarMonthDays(y, r.Month)), false)
		return d, err == nil
	}
	if y < 1 || y > 9999 {
		return Date{}, false
	}
	first := Date{y, time.Month(r.Month), 1}
	return Date{y, first.Month, min(r.Day, first.monthDays())}, true
}

// ranges returns the periods of holiday h in year: the pack's [[calendar]]
// ranges when it has any for that holiday and year (a year's notice wins),
// else its rule's, else the default calendar's for a built-in holiday.
func (p *Pack) ranges(h string, year int) []Range {
	if own := p.overrides[h][year]; len(own) > 0 {
		return own
	}
	if hol := p.holidays[h]; hol != nil && !hol.Rule.IsZero() {
		return hol.Rule.Ranges(h, year)
	}
	if contains(holidayPriority, h) {
		return DefaultRanges(h, year)
	}
	return nil
}

// HolidayOn returns the holiday whose greeting applies on d, if any.
func (p *Pack) HolidayOn(d Date) (Holiday, bool) {
	h, _, ok := p.HolidayPeriod(d)
	return h, ok
}

// HolidayPeriod returns the holiday whose greeting applies on d and the
// period that covers d; the period's Source and Line say whether it comes
// from the default calendar, the holiday's rule or a notice.
func (p *Pack) HolidayPeriod(d Date) (Holiday, Range, bool) {
	for _, id := range p.holidayOrder {
		// A range of year Y+1 may start in Y (元旦 from December 30).
		for _, y := range []int{d.Year, d.Year + 1} {
			for _, r := range p.ranges(id, y) {
				if r.Contains(d) {
					return *p.holidays[id], r, true
				}
			}
		}
	}
	return Holiday{}, Range{}, false
}

// HolidayAt returns the holiday at instant t in the pack's time zone.
func (p *Pack) HolidayAt(t time.Time) (Holiday, bool) {
	return p.HolidayOn(DateOf(t.In(p.TimeZone())))
}

// Calendar returns every holiday period of year as the pack resolves it
// (its notices, else its rules, else the default's), sorted by start.
func (p *Pack) Calendar(year int) []Range {
	var out []Range
	for _, id := range p.holidayOrder {
		out = append(out, p.ranges(id, year)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out
}

// Day is what callers hear on one day of the year, for the editor's year
// calendar.
type Day struct {
	Date Date
	// Kind is the opening chosen for an inbound call that day: "standard"
	// (the time-of-day greeting) or the id of the holiday whose greeting
	// replaces it, as Pack.OpeningTemplate says.
	Kind     string
	Holiday  Holiday // the zero Holiday on a standard day
	Period   Range   // the period covering the day; zero on a standard day
	Template string  // the opening line's template that day
}

// YearCalendar returns every day of year with the opening callers hear. It
// is computed from the year's periods (Calendar of year and of year+1, whose
// 元旦 may start in December), painted in reverse priority so that the
// holiday that wins a shared day is the one shown; it agrees day by day with
// Opening.
func (p *Pack) YearCalendar(year int) []Day {
	first := Date{year, time.January, 1}
	n := Date{year + 1, time.January, 1}.utc().Sub(first.utc()).Hours() / 24
	days := make([]Day, int(n))
	for i := range days {
		days[i] = Day{Date: first.AddDays(i), Kind: "standard", Template: p.opening.Standard}
	}
	for i := len(p.holidayOrder) - 1; i >= 0; i-- {
		id := p.holidayOrder[i]
		h := *p.holidays[id]
		// HolidayPeriod takes, within one holiday, the day's own year before
		// the next and a range before the ones after it: paint in the
		// reverse order so the one it takes is painted last.
		for _, y := range []int{year + 1, year} {
			rs := p.ranges(id, y)
			for j := len(rs) - 1; j >= 0; j-- {
				r := rs[j]
				for d := r.From; !r.To.Before(d); d = d.AddDays(1) {
					if d.Year != year {
						continue
					}
					k := int(d.utc().Sub(first.utc()).Hours() / 24)
					days[k] = Day{Date: d, Kind: id, Holiday: h, Period: r, Template: h.Greeting}
				}
			}
		}
	}
	return days
}
