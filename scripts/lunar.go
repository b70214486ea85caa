package scripts

import (
	"fmt"
	"time"
)

// The lunar calendar by the classic table method: one 20-bit word per lunar
// year from 1900 to 2100 (the widely published table, as corrected against the
// Hong Kong Observatory's data). In each word:
//
//	bits 0–3   the leap month (0: none)
//	bits 4–15  months 12…1: bit (16-m) set means month m has 30 days, else 29
//	bit 16     the leap month has 30 days
//
// Lunar 1900/1/1 is 1900-01-31.
const (
	lunarFirstYear = 1900
	lunarLastYear  = 2100
)

var lunarInfo = [...]uint32{
	0x04bd8, 0x04ae0, 0x0a570, 0x054d5, 0x0d260, 0x0d950, 0x16554, 0x056a0, 0x09ad0, 0x055d2, // 1900
	0x04ae0, 0x0a5b6, 0x0a4d0, 0x0d250, 0x1d255, 0x0b540, 0x0d6a0, 0x0ada2, 0x095b0, 0x14977, // 1910
	0x04970, 0x0a4b0, 0x0b4b5, 0x06a50, 0x06d40, 0x1ab54, 0x02b60, 0x09570, 0x052f2, 0x04970, // 1920
	0x06566, 0x0d4a0, 0x0ea50, 0x16a95, 0x05ad0, 0x02b60, 0x186e3, 0x092e0, 0x1c8d7, 0x0c950, // 1930
	0x0d4a0, 0x1d8a6, 0x0b550, 0x056a0, 0x1a5b4, 0x025d0, 0x092d0, 0x0d2b2, 0x0a950, 0x0b557, // 1940
	0x06ca0, 0x0b550, 0x15355, 0x04da0, 0x0a5b0, 0x14573, 0x052b0, 0x0a9a8, 0x0e950, 0x06aa0, // 1950
	0x0aea6, 0x0ab50, 0x04b60, 0x0aae4, 0x0a570, 0x05260, 0x0f263, 0x0d950, 0x05b57, 0x056a0, // 1960
	0x096d0, 0x04dd5, 0x04ad0, 0x0a4d0, 0x0d4d4, 0x0d250, 0x0d558, 0x0b540, 0x0b6a0, 0x195a6, // 1970
	0x095b0, 0x049b0, 0x0a974, 0x0a4b0, 0x0b27a, 0x06a50, 0x06d40, 0x0af46, 0x0ab60, 0x09570, // 1980
	0x04af5, 0x04970, 0x064b0, 0x074a3, 0x0ea50, 0x06b58, 0x05ac0, 0x0ab60, 0x096d5, 0x092e0, // 1990
	0x0c960, 0x0d954, 0x0d4a0, 0x0da50, 0x07552, 0x056a0, 0x0abb7, 0x025d0, 0x092d0, 0x0cab5, // 2000
	0x0a950, 0x0b4a0, 0x0baa4, 0x0ad50, 0x055d9, 0x04ba0, 0x0a5b0, 0x15176, 0x052b0, 0x0a930, // 2010
	0x07954, 0x06aa0, 0x0ad50, 0x05b52, 0x04b60, 0x0a6e6, 0x0a4e0, 0x0d260, 0x0ea65, 0x0d530, // 2020
	0x05aa0, 0x076a3, 0x096d0, 0x04afb, 0x04ad0, 0x0a4d0, 0x1d0b6, 0x0d250, 0x0d520, 0x0dd45, // 2030
	0x0b5a0, 0x056d0, 0x055b2, 0x049b0, 0x0a577, 0x0a4b0, 0x0aa50, 0x1b255, 0x06d20, 0x0ada0, // 2040
	0x14b63, 0x09370, 0x049f8, 0x04970, 0x064b0, 0x168a6, 0x0ea50, 0x06aa0, 0x1a6c4, 0x0aae0, // 2050
	0x092e0, 0x0d2e3, 0x0c960, 0x0d557, 0x0d4a0, 0x0da50, 0x05d55, 0x056a0, 0x0a6d0, 0x055d4, // 2060
	0x052d0, 0x0a9b8, 0x0a950, 0x0b4a0, 0x0b6a6, 0x0ad50, 0x055a0, 0x0aba4, 0x0a5b0, 0x052b0, // 2070
	0x0b273, 0x06930, 0x07337, 0x06aa0, 0x0ad50, 0x14b55, 0x04b60, 0x0a570, 0x054e4, 0x0d160, // 2080
	0x0e968, 0x0d520, 0x0daa0, 0x16aa6, 0x056d0, 0x04ae0, 0x0a9d4, 0x0a4d0, 0x0d150, 0x0f252, // 2090
	0x0d520, // 2100
}

// lunarEpoch is lunar 1900/1/1 (civil date, UTC midnight).
var lunarEpoch = time.Date(1900, 1, 31, 0, 0, 0, 0, time.UTC)

func lunarLeapMonth(y int) int { return int(lunarInfo[y-lunarFirstYear] & 0xf) }

func lunarLeapDays(y int) int {
	if lunarLeapMonth(y) == 0 {
		return 0
	}
	if lunarInfo[y-lunarFirstYear]&0x10000 != 0 {
		return 30
	}
	return 29
}

func lunarMonthDays(y, m int) int {
	if lunarInfo[y-lunarFirstYear]&(0x10000>>uint(m)) != 0 {
		return 30
	}
	return 29
}

func lunarYearDays(y int) int {
	n := lunarLeapDays(y)
	for m := 1; m <= 12; m++ {
		n += lunarMonthDays(y, m)
	}
	return n
}

// Date is a civil date without a time or zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date like 2026-10-01", s)
	}
	return DateOf(t), nil
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.utc().Before(e.utc()) }

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// LunarToSolar converts a lunar date (leap selects the intercalary month of
// that number) to its Gregorian date. Years 1900–2100 are supported.
func LunarToSolar(year, month, day int, leap bool) (Date, error) {
	if year < lunarFirstYear || year > lunarLastYear {
		return Date{}, fmt.Errorf("lunar year %d outside %d–%d", year, lunarFirstYear, lunarLastYear)
	}
	if month < 1 || month > 12 {
		return Date{}, fmt.Errorf("lunar month %d outside 1–12", month)
	}
	lm := lunarLeapMonth(year)
	if leap && lm != month {
		return Date{}, fmt.Errorf("lunar year %d has no leap month %d", year, month)
	}
	length := lunarMonthDays(year, month)
	if leap {
		length = lunarLeapDays(year)
	}
	if day < 1 || day > length {
		return Date{}, fmt.Errorf("lunar %d/%d has %d days, not %d", year, month, length, day)
	}
	off := 0
	for y := lunarFirstYear; y < year; y++ {
		off += lunarYearDays(y)
	}
	for m := 1; m < month; m++ {
		off += lunarMonthDays(year, m)
		if m == lm {
			off += lunarLeapDays(year)
		}
	}
	if leap {
		off += lunarMonthDays(year, month)
	}
	off += day - 1
	return DateOf(lunarEpoch.AddDate(0, 0, off)), nil
}

// LunarNewYear returns the Gregorian date of 春节 (lunar 1/1) of year.
func LunarNewYear(year int) (Date, error) { return LunarToSolar(year, 1, 1, false) }

// MidAutumn returns the Gregorian date of 中秋 (lunar 8/15) of year.
func MidAutumn(year int) (Date, error) { return LunarToSolar(year, 8, 15, false) }
