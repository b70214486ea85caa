package scripts

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The editor's year calendar says, day by day, the opening callers hear;
// it must agree with the opening the ringing path chooses, morning and
// afternoon, every day of 2026–2030 in every default pack, and in a pack
// whose rules and notices cross years.
func TestYearCalendar_AgreesWithOpening(t *testing.T) {
	packs := map[string]*Pack{}
	for _, l := range Langs() {
		packs[l] = mustDefault(t, l)
	}
	packs["rules and notices"] = mustParse(t, string(defaultFile(t, "zh-Hans"))+`
[holidays.dragon_boat]
name = "端午节"
greeting = "端午节快乐！"
lunar = "05-05"
after = 2

[holidays.store_day]
name = "店庆"
greeting = "店庆快乐！"
date = "12-31"
after = 1

[[calendar]]
holiday = "new_year"
from = "2027-12-30"
to = "2028-01-01"

[[calendar]]
holiday = "dragon_boat"
from = "2028-05-27"
to = "2028-05-30"
`)
	for name, p := range packs {
		t.Run(name, func(t *testing.T) {
			holidayDays := 0
			for year := 2026; year <= 2030; year++ {
				days := p.YearCalendar(year)
				if want := (Date{year + 1, time.January, 1}).utc().Sub((Date{year, time.January, 1}).utc()).Hours() / 24; len(days) != int(want) {
					t.Fatalf("%d: %d days", year, len(days))
				}
				for i, d := range days {
					if want := (Date{year, time.January, 1}).AddDays(i); d.Date != want {
						t.Fatalf("day %d is %s, want %s", i, d.Date, want)
					}
					if d.Kind != "standard" {
						holidayDays++
						if !d.Period.Contains(d.Date) || d.Holiday.ID != d.Kind {
							t.Errorf("%s: %s period %s–%s", d.Date, d.Kind, d.Period.From, d.Period.To)
						}
					}
					for _, hour := range []int{9, 15} {
						at := time.Date(d.Date.Year, d.Date.Month, d.Date.Day, hour, 0, 0, 0, p.TimeZone())
						req := Request{At: at}
						if _, kind := p.OpeningTemplate(req); kind != d.Kind {
							t.Fatalf("%s: calendar says %s, opening chooses %s", d.Date, d.Kind, kind)
						}
						want, err := p.Opening(req)
						if err != nil {
							t.Fatal(err)
						}
						if got, _ := p.Render(d.Template, req); got != want {
							t.Fatalf("%s %02d:00: calendar line %q, opening %q", d.Date, hour, got, want)
						}
					}
				}
			}
			if holidayDays < 5*5 {
				t.Errorf("only %d holiday days in 5 years", holidayDays)
			}
		})
	}
}

func mustParse(t *testing.T, src string) *Pack {
	t.Helper()
	p, err := Parse("test.toml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func holidayOn(t *testing.T, p *Pack, date string) string {
	t.Helper()
	d, err := ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := p.HolidayOn(d)
	return h.ID
}

// Taiwan's holidays: 國慶日 10-10, 春節 小年夜 through 初三, 中秋 one day.
func TestDefault_TaiwanCalendar(t *testing.T) {
	p := mustDefault(t, "zh-Hant")
	tests := map[string]string{
		"2026-10-10": HolidayNationalDay,
		"2026-10-01": "",
		"2026-10-09": "",
		"2026-02-14": "",
		"2026-02-15": HolidaySpringFestival, // 小年夜 (除夕 is Feb 16)
		"2026-02-19": HolidaySpringFestival, // 初三
		"2026-02-20": "",
		"2027-02-04": HolidaySpringFestival, // 小年夜 2027 (初一 Feb 6)
		"2027-02-08": HolidaySpringFestival, // 初三
		"2027-02-09": "",
		"2026-09-25": HolidayMidAutumn, // lunar 8/15
		"2026-09-24": "",
		"2026-09-26": "",
		"2026-05-01": HolidayLabourDay,
		"2026-05-02": "",
		"2026-01-01": HolidayNewYear,
		"2026-01-02": "",
	}
	for date, want := range tests {
		if got := holidayOn(t, p, date); got != want {
			t.Errorf("zh-Hant HolidayOn(%s) = %q, want %q", date, got, want)
		}
	}
	if p.TimeZone().String() != "Asia/Taipei" {
		t.Errorf("zone %s", p.TimeZone())
	}
	_, r, _ := p.HolidayPeriod(Date{2026, time.October, 10})
	if r.Source != SourceRule || r.Line != lineOf(t, string(defaultFile(t, "zh-Hant")), `date = "10-10"`) {
		t.Errorf("國慶日 period %+v: want the pack's rule and its line", r)
	}
}

func TestPack_HolidayRules(t *testing.T) {
	base := string(defaultFile(t, "zh-Hans"))
	// Remove 五一, move 国庆 to one day, add 端午 by its lunar date.
	src := strings.Replace(base, "[holidays.labour_day]\nname = \"五一劳动节\"\ngreeting = \"劳动节快乐！{{company}}客服中心，请问有什么可以帮您！\"\n", "", 1)
	src = strings.Replace(src, "name = \"国庆节\"\n", "name = \"国庆节\"\ndate = \"10-08\"\n", 1)
	src += `
[holidays.dragon_boat]
name = "端午节"
greeting = "端午节快乐！{{company}}客服中心，请问有什么可以帮您！"
lunar = "05-05"
after = 2

[[calendar]]
holiday = "dragon_boat"
from = "2027-06-08"
to = "2027-06-08"
`
	p := mustParse(t, src)
	tests := map[string]string{
		"2026-05-03": "",                 // 五一 removed
		"2026-10-01": "",                 // 国庆 replaced…
		"2026-10-08": HolidayNationalDay, // …by its rule
		"2026-10-09": "",
		"2026-06-19": "dragon_boat", // lunar 5/5 2026
		"2026-06-21": "dragon_boat", // after = 2
		"2026-06-22": "",
		"2026-06-18": "",
		"2025-05-31": "dragon_boat", // lunar 5/5 2025
		"2025-06-02": "dragon_boat",
		"2027-06-08": "dragon_boat", // 2027's notice wins over the rule…
		"2027-06-09": "",            // …which would say June 9–11
		"2028-05-28": "dragon_boat", // and other years keep the rule
		"2026-02-16": HolidaySpringFestival,
	}
	for date, want := range tests {
		if got := holidayOn(t, p, date); got != want {
			t.Errorf("HolidayOn(%s) = %q, want %q", date, got, want)
		}
	}
	got, err := p.Opening(Request{At: time.Date(2026, 6, 20, 10, 0, 0, 0, p.TimeZone())})
	if err != nil || got != "端午节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("Opening on 端午 = %q, %v", got, err)
	}
	ids := ""
	for _, h := range p.Holidays() {
		ids += h.ID + " "
	}
	if ids != "spring_festival mid_autumn national_day new_year dragon_boat " {
		t.Errorf("holidays %q", ids)
	}
	for _, tt := range []struct {
		date   string
		source RangeSource
	}{{"2026-06-19", SourceRule}, {"2027-06-08", SourceNotice}, {"2026-02-16", SourceDefault}} {
		d, _ := ParseDate(tt.date)
		if _, r, ok := p.HolidayPeriod(d); !ok || r.Source != tt.source {
			t.Errorf("%s: source %v, want %v", tt.date, r.Source, tt.source)
		}
	}
}

func TestHolidayRule_Ranges(t *testing.T) {
	// Lunar 12-30 is the last day of the twelfth month: always 除夕.
	eve := HolidayRule{Lunar: true, Month: 12, Day: 30}
	for y := 2001; y <= 2100; y++ {
		ny, err := LunarNewYear(y)
		if err != nil {
			t.Fatal(err)
		}
		rs := eve.Ranges("eve", ny.Year)
		if len(rs) != 1 || rs[0].From != ny.AddDays(-1) {
			t.Fatalf("lunar 12-30 in %d = %v, want %s", y, rs, ny.AddDays(-1))
		}
	}
	// February 29 falls on February 28 in common years.
	leap := HolidayRule{Month: 2, Day: 29}
	if rs := leap.Ranges("x", 2027); len(rs) != 1 || rs[0].From.String() != "2027-02-28" {
		t.Errorf("02-29 in 2027 = %v", rs)
	}
	if rs := leap.Ranges("x", 2028); len(rs) != 1 || rs[0].From.String() != "2028-02-29" {
		t.Errorf("02-29 in 2028 = %v", rs)
	}
	// A range belongs to the year of its last day.
	nye := HolidayRule{Month: 12, Day: 31, After: 1}
	if rs := nye.Ranges("x", 2027); len(rs) != 1 || rs[0].From.String() != "2026-12-31" || rs[0].To.String() != "2027-01-01" {
		t.Errorf("12-31 +1 in 2027 = %v", rs)
	}
	if rs := nye.Ranges("x", 2026); len(rs) != 1 || rs[0].From.String() != "2025-12-31" {
		t.Errorf("12-31 +1 in 2026 = %v", rs)
	}
	if s := (HolidayRule{Lunar: true, Month: 1, Day: 1, Before: 2, After: 2}).String(); s != "lunar 01-01 -2 +2" {
		t.Errorf("String = %q", s)
	}
}

func TestParse_HolidayRuleProblems(t *testing.T) {
	base := string(defaultFile(t, "zh-Hans"))
	add := func(body string) string { return base + "\n[holidays.extra]\nname = \"x\"\ngreeting = \"y\"\n" + body }
	tests := []struct {
		name   string
		src    string
		lineAt string
		code   ErrorCode
		path   string
	}{
		{"both", add("date = \"06-01\"\nlunar = \"05-06\"\n"), `lunar = "05-06"`, CodeRuleDateAndLunar, "holidays.extra.lunar"},
		{"bad date", add("date = \"13-01\"\n"), `date = "13-01"`, CodeBadRuleDate, "holidays.extra.date"},
		{"february 30", add("date = \"02-30\"\n"), `date = "02-30"`, CodeBadRuleDate, "holidays.extra.date"},
		{"lunar day 31", add("lunar = \"05-31\"\n"), `lunar = "05-31"`, CodeBadRuleDate, "holidays.extra.lunar"},
		{"span too long", add("date = \"06-01\"\nafter = 31\n"), `after = 31`, CodeBadRuleSpan, "holidays.extra.after"},
		{"negative span", add("date = \"06-01\"\nbefore = -1\n"), `before = -1`, CodeBadRuleSpan, "holidays.extra.before"},
		{"span without date", add("after = 3\n"), `after = 3`, CodeSpanWithoutDate, "holidays.extra.after"},
		{"no dates", add(""), `[holidays.extra]`, CodeHolidayWithoutDate, "holidays.extra"},
		{"calendar for a removed holiday",
			strings.Replace(base, "[holidays.labour_day]\nname = \"五一劳动节\"\ngreeting = \"劳动节快乐！{{company}}客服中心，请问有什么可以帮您！\"\n", "", 1) +
				"\n[[calendar]]\nholiday = \"labour_day\"\nfrom = \"2026-05-01\"\nto = \"2026-05-05\"\n",
			`holiday = "labour_day"`, CodeUnknownHoliday, "calendar[0].holiday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.toml", []byte(tt.src))
			var pes PackErrors
			if !errors.As(err, &pes) {
				t.Fatalf("err = %v", err)
			}
			for _, pe := range pes {
				if pe.Code == tt.code {
					if pe.Path != tt.path || pe.Line != lineOf(t, tt.src, tt.lineAt) || pe.Args["key"] == "" {
						t.Errorf("%+v, want path %s line %d", pe, tt.path, lineOf(t, tt.src, tt.lineAt))
					}
					return
				}
			}
			t.Errorf("no %s in %v", tt.code, err)
		})
	}
	// An added holiday with only notices is fine.
	mustParse(t, add("")+"\n[[calendar]]\nholiday = \"extra\"\nfrom = \"2026-06-01\"\nto = \"2026-06-01\"\n")
}

func TestDefaultRanges_SpringFestivalRule(t *testing.T) {
	tests := []struct {
		year     int
		from, to string
	}{
		{2024, "2024-02-09", "2024-02-15"}, // 除夕 through 初六 before the reform
		{2025, "2025-01-28", "2025-02-04"}, // the 2025 notice: 除夕 through 初七, 8 days
		{2026, "2026-02-16", "2026-02-23"},
		{2030, "2030-02-02", "2030-02-09"},
	}
	for _, tt := range tests {
		rs := DefaultRanges(HolidaySpringFestival, tt.year)
		if len(rs) != 1 || rs[0].From.String() != tt.from || rs[0].To.String() != tt.to || rs[0].Source != SourceDefault {
			t.Errorf("春节 %d = %v, want %s to %s", tt.year, rs, tt.from, tt.to)
		}
		if tt.year >= 2025 && rs[0].Days() != 8 {
			t.Errorf("春节 %d lasts %d days, want 8", tt.year, rs[0].Days())
		}
	}
}
