package scripts

import (
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

// The default calendar covers these years; outside them only a pack's own
// ranges apply.
const (
	DefaultCalendarFirstYear = 2000
	DefaultCalendarLastYear  = 2100
)

// Range is a holiday period: From and To inclusive, civil dates in the pack's
// time zone. A range belongs to the year of its last day, so a 元旦 break from
// 2023-12-30 to 2024-01-01 is 元旦 2024.
type Range struct {
	Holiday  string
	From, To Date
	Line     int // where the pack sets it; 0 for the default calendar
}

// Year is the holiday year the range belongs to.
func (r Range) Year() int { return r.To.Year }

// Contains reports whether d is within r.
func (r Range) Contains(d Date) bool { return !d.Before(r.From) && !r.To.Before(d) }

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

// DefaultRanges returns the default calendar's periods of holiday in year:
//
//	元旦  January 1 (the notice's break for 2019–2026)
//	春节  lunar new year's eve (除夕) through lunar 1/6 (初六)
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
		return mk(ny.AddDays(-1), ny.AddDays(5))
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

// ranges returns the periods of holiday h in year: the pack's own when it
// has any for that holiday and year (a year's official notice wins), else the
// default calendar's.
func (p *Pack) ranges(h string, year int) []Range {
	if own := p.overrides[h][year]; len(own) > 0 {
		return own
	}
	return DefaultRanges(h, year)
}

// HolidayOn returns the holiday whose greeting applies on d, if any.
func (p *Pack) HolidayOn(d Date) (Holiday, bool) {
	h, _, ok := p.HolidayPeriod(d)
	return h, ok
}

// HolidayPeriod returns the holiday whose greeting applies on d and the
// period that covers d; the period's Line is 0 when it comes from the
// default calendar rather than the pack.
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
// (its own ranges, else the default's), sorted by start.
func (p *Pack) Calendar(year int) []Range {
	var out []Range
	for _, id := range p.holidayOrder {
		out = append(out, p.ranges(id, year)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].From.Before(out[j].From) })
	return out
}
