package scripts

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPack_Opening(t *testing.T) {
	tests := []struct {
		lang, at string
		silent   bool
		want     string
	}{
		{"zh-Hans", "2026-10-01T09:00:00+08:00", false, "国庆节快乐！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2026-11-23T09:30:00+08:00", false, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"zh-Hans", "2026-11-23T15:00:00+08:00", false, "您好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"zh-Hans", "2026-11-23T00:00:00+08:00", false, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"zh-Hans", "2026-11-23T11:59:59+08:00", false, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"zh-Hans", "2026-11-23T12:00:00+08:00", false, "您好！XX欢迎您的来电，请问有什么可以帮您？"},
		{"zh-Hans", "2027-02-06T10:00:00+08:00", false, "新年好！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2026-01-01T15:00:00+08:00", false, "新年好！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2026-05-03T15:00:00+08:00", false, "劳动节快乐！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2026-09-25T15:00:00+08:00", false, "中秋节快乐！XX客服中心，请问有什么可以帮您！"},
		// 2025: 中秋 (Oct 6) inside 国庆: the festival days get 中秋, the others 国庆.
		{"zh-Hans", "2025-10-06T15:00:00+08:00", false, "中秋节快乐！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2025-10-02T15:00:00+08:00", false, "国庆节快乐！XX客服中心，请问有什么可以帮您！"},
		// 01:30 UTC on Nov 23 is 09:30 in Shanghai.
		{"zh-Hans", "2026-11-23T01:30:00Z", false, "早上好！XX欢迎您的来电，请问有什么可以帮您？"},
		// 2026-09-30T20:00 UTC is Oct 1 04:00 in Shanghai: 国庆.
		{"zh-Hans", "2026-09-30T20:00:00Z", false, "国庆节快乐！XX客服中心，请问有什么可以帮您！"},
		{"zh-Hans", "2026-10-01T09:00:00+08:00", true, "您好，XX客服中心，欢迎您的来电。"},
		// Taiwan: 國慶日 is October 10, and October 1 is an ordinary day.
		{"zh-Hant", "2026-10-10T09:00:00+08:00", false, "國慶日快樂！XX客服中心，請問有什麼可以為您服務？"},
		{"zh-Hant", "2026-10-01T09:00:00+08:00", false, "早安！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant", "2026-11-23T09:30:00+08:00", false, "早安！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant", "2026-11-23T15:00:00+08:00", false, "您好！XX歡迎您的來電，請問有什麼可以為您服務？"},
		{"zh-Hant", "2027-02-06T10:00:00+08:00", false, "新年快樂！XX客服中心，請問有什麼可以為您服務？"},
		{"en", "2026-10-01T09:00:00+08:00", false, "Happy National Day! XX customer service center, how may I help you?"},
		{"en", "2026-11-23T09:30:00+08:00", false, "Good morning! Welcome to XX, how may I help you?"},
		{"en", "2026-11-23T15:00:00+08:00", false, "Hello! Welcome to XX, how may I help you?"},
		{"en", "2027-02-06T10:00:00+08:00", false, "Happy Lunar New Year! XX customer service center, how may I help you?"},
		{"en", "2027-01-01T10:00:00+08:00", false, "Happy New Year! XX customer service center, how may I help you?"},
		{"en", "2026-11-23T15:00:00+08:00", true, "Hello, this is the XX customer service center. Thank you for calling."},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.at, func(t *testing.T) {
			p := mustDefault(t, tt.lang)
			got, err := p.Opening(OpeningRequest{At: at(t, tt.at), Silent: tt.silent})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Opening = %q, want %q", got, tt.want)
			}
		})
	}
}

// The machine's zone must not matter: the pack's zone decides.
func TestPack_Opening_IgnoresMachineZone(t *testing.T) {
	for _, tz := range []string{"America/Los_Angeles", "UTC", "Pacific/Kiritimati"} {
		t.Run(tz, func(t *testing.T) {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				t.Fatal(err)
			}
			saved := time.Local
			time.Local = loc
			t.Cleanup(func() { time.Local = saved })
			t.Setenv("TZ", tz)
			p := mustDefault(t, "zh-Hans")
			// Unix instant of 2026-11-23 09:30 in Shanghai, in the machine's zone.
			inst := time.Unix(at(t, "2026-11-23T09:30:00+08:00").Unix(), 0)
			got, err := p.Opening(OpeningRequest{At: inst})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, "早上好！") {
				t.Errorf("Opening at %s (machine zone %s) = %q, want 早上好！…", inst, tz, got)
			}
		})
	}
}

func TestPack_Opening_TimeZoneFromPack(t *testing.T) {
	data := strings.Replace(string(defaultFile(t, "zh-Hans")), `time_zone = "Asia/Shanghai"`, `time_zone = "America/New_York"`, 1)
	p, err := Parse("ny.toml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	// 09:30 in Shanghai is 20:30 the day before in New York.
	got, err := p.Opening(OpeningRequest{At: at(t, "2026-11-23T09:30:00+08:00")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "您好！") {
		t.Errorf("Opening = %q, want 您好！… (evening in New York)", got)
	}
}

func TestPack_Opening_Outbound(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	tests := []struct {
		name   string
		caller Party
		want   string
	}{
		{"surname and title", Party{Surname: "王", Title: "先生"}, "您好，请问是王先生吗？我姓李"},
		{"surname only", Party{Surname: "王"}, "您好，请问是王先生/女士吗？"},
		{"name only", Party{Name: "王芳", Title: "女士"}, "您好，请问是王女士吗？"},
		// Without a surname there is nobody to ask for: the line goes on
		// without the question (it used to say 请问是女士吗 / 请问是您吗).
		{"title only", Party{Title: "女士"}, "您好，我姓李，是XX客服中心打来的"},
		{"nothing", Party{}, "您好，我姓李，是XX客服中心打来的"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Opening(OpeningRequest{At: at(t, "2026-10-01T09:00:00+08:00"), Outbound: true, Caller: tt.caller, AgentName: "李娜"})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tt.want) {
				t.Errorf("Opening = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

func TestPack_Opening_Errors(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	if _, err := p.Opening(OpeningRequest{}); !errors.Is(err, ErrNoInstant) {
		t.Errorf("no instant: err = %v, want ErrNoInstant", err)
	}
	_, err := p.Opening(OpeningRequest{At: at(t, "2026-11-23T09:30:00+08:00"), Outbound: true})
	if !errors.Is(err, ErrMissingValue) || !strings.Contains(err.Error(), "agent_surname") {
		t.Errorf("outbound without agent: err = %v, want ErrMissingValue naming agent_surname", err)
	}
}

func TestPack_Salutation_English(t *testing.T) {
	p := mustDefault(t, "en")
	tests := []struct {
		who  Party
		want string
	}{
		{Party{Surname: "Wang", Title: "先生"}, "Mr. Wang"},
		{Party{Surname: "Wang", Title: "女士"}, "Ms. Wang"},
		{Party{Surname: "Wang"}, "Mr./Ms. Wang"},
		// A title alone is said as sir/madam; nobody gets no salutation
		// (it used to be "sir or madam", which issue 11 calls wrong).
		{Party{Title: "女士"}, "madam"},
		{Party{Title: "先生"}, "sir"},
		{Party{}, ""},
	}
	for _, tt := range tests {
		if got := p.Salutation(tt.who); got != tt.want {
			t.Errorf("Salutation(%+v) = %q, want %q", tt.who, got, tt.want)
		}
	}
}

func TestPack_Render_Vars(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	cb := p.Callback()
	if len(cb) != 5 || cb[1].ID != "ask_satisfaction" {
		t.Fatalf("callback script has %d lines, want 5 with ask_satisfaction second", len(cb))
	}
	req := OpeningRequest{
		Caller: Party{Surname: "张", Title: "女士"},
		Vars:   map[string]string{"service": "上门保洁", "service_time": "11月20日"},
	}
	got, err := p.Render(cb[1].Say, req)
	if err != nil {
		t.Fatal(err)
	}
	want := "感谢您在11月20日接受了我们XX的上门保洁服务项目，请问您对上门保洁服务项目满意吗？"
	if got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	if _, err := p.Render(cb[1].Say, OpeningRequest{}); !errors.Is(err, ErrMissingValue) {
		t.Errorf("Render without service: err = %v, want ErrMissingValue", err)
	}
}

func TestPack_CalendarOverride(t *testing.T) {
	src := string(defaultFile(t, "zh-Hans")) + `
[[calendar]]
holiday = "national_day"
from = "2026-10-01"
to = "2026-10-08"

[[calendar]]
holiday = "new_year"
from = "2026-12-31"
to = "2027-01-02"
`
	p, err := Parse("notice.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date string
		want string // holiday id or ""
	}{
		{"2026-10-08", HolidayNationalDay}, // the notice extends the default Oct 1–7
		{"2026-10-09", ""},
		{"2025-10-08", ""},             // other years keep the default
		{"2026-12-31", HolidayNewYear}, // range of 2027 starting in 2026
		{"2027-01-02", HolidayNewYear},
		{"2027-01-03", ""},
		{"2026-02-16", HolidaySpringFestival}, // 除夕 2026
		{"2026-02-22", HolidaySpringFestival}, // 初六
		{"2026-02-23", HolidaySpringFestival}, // 初七: the break is longer from 2025
		{"2026-02-24", ""},
		{"2024-02-15", HolidaySpringFestival}, // 初六 2024
		{"2024-02-16", ""},                    // before 2025 the default ends on 初六
		{"2025-02-04", HolidaySpringFestival}, // 初七 2025, as the 2025 notice
		{"2023-12-30", HolidayNewYear},        // the 2024 notice's break starts in 2023
		{"2025-01-28", HolidaySpringFestival}, // 除夕 2025
		{"2025-01-02", ""},                    // 2025: January 1 only
		{"2025-10-05", HolidayMidAutumn},      // 中秋 2025 inside 国庆: 中秋 wins
		{"2025-10-07", HolidayMidAutumn},
		{"2025-10-04", HolidayNationalDay},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := p.HolidayOn(d)
		if tt.want == "" && ok || tt.want != "" && h.ID != tt.want {
			t.Errorf("HolidayOn(%s) = %q, %v; want %q", tt.date, h.ID, ok, tt.want)
		}
	}
}

func TestDefaultRanges_Years(t *testing.T) {
	for y := DefaultCalendarFirstYear; y <= DefaultCalendarLastYear; y++ {
		for _, h := range holidayPriority {
			rs := DefaultRanges(h, y)
			if len(rs) == 0 {
				t.Fatalf("no default %s in %d", h, y)
			}
			for _, r := range rs {
				if r.To.Before(r.From) || r.Year() != y {
					t.Errorf("default %s %d: %s–%s", h, y, r.From, r.To)
				}
			}
		}
	}
	if rs := DefaultRanges(HolidayNationalDay, 1999); rs != nil {
		t.Errorf("DefaultRanges(1999) = %v, want none", rs)
	}
}

func defaultFile(t *testing.T, lang string) []byte {
	t.Helper()
	b, err := DefaultPackFile(lang)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The embedded packs are files in packs/ a trainer can copy.
func TestDefaultPackFile_OnDisk(t *testing.T) {
	for _, l := range Langs() {
		disk, err := os.ReadFile("packs/" + l + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		if string(disk) != string(defaultFile(t, l)) {
			t.Errorf("embedded %s differs from packs/%s.toml", l, l)
		}
	}
}
