package scripts

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// lineOf returns the 1-based line of the first line of src containing s.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in source", s)
	return 0
}

func TestParse_Problems(t *testing.T) {
	base := string(defaultFile(t, "zh-Hans"))
	tests := []struct {
		name    string
		edit    func(string) string
		lineAt  string // the problem's line is the (edited) line containing this
		wantMsg string
		path    string    // the field, as the editor's form finds it
		code    ErrorCode // stable, for a translated message
	}{
		{
			name: "unknown variable",
			edit: func(s string) string {
				return strings.Replace(s, "{{greeting}}{{company}}欢迎", "{{greeting}}{{compnay}}欢迎", 1)
			},
			lineAt:  "{{compnay}}",
			wantMsg: "unknown variable {{compnay}} in opening.standard",
			path:    "opening.standard",
			code:    CodeUnknownVariable,
		},
		{
			name: "unknown variable in phrase",
			edit: func(s string) string {
				return strings.Replace(s, `say = "请问您贵姓？"`, `say = "请问您贵姓？{{foo}}"`, 1)
			},
			lineAt:  "{{foo}}",
			wantMsg: "unknown variable {{foo}} in phrases.0.say",
			path:    "phrases[0].say",
			code:    CodeUnknownVariable,
		},
		{
			name: "unclosed variable",
			edit: func(s string) string {
				return strings.Replace(s, "{{company}}客服中心，欢迎", "{{company客服中心，欢迎", 1)
			},
			lineAt:  "{{company客服中心",
			wantMsg: "not closed",
			path:    "opening.silent",
			code:    CodeTemplateSyntax,
		},
		{
			name: "unknown variable in a multi-line string",
			edit: func(s string) string {
				return strings.Replace(s, `thanks = "感谢您的来电，感谢您对我们的信任。"`, "thanks = \"\"\"\n感谢您的来电，\n感谢{{custmer.name}}对我们的信任。\"\"\"", 1)
			},
			lineAt:  "{{custmer.name}}",
			wantMsg: "unknown variable {{custmer.name}} in closing.thanks",
			path:    "closing.thanks",
			code:    CodeUnknownVariable,
		},
		{
			name:    "slot hour 25",
			edit:    func(s string) string { return strings.Replace(s, `to = "24:00"`, `to = "25:00"`, 1) },
			lineAt:  `to = "25:00"`,
			wantMsg: "bad time slot",
			path:    "slots[1].to",
			code:    CodeBadSlotTime,
		},
		{
			name: "slot ends before it starts",
			edit: func(s string) string {
				return strings.Replace(s, "from = \"12:00\"\nto = \"24:00\"", "from = \"12:00\"\nto = \"06:00\"", 1)
			},
			lineAt:  `to = "06:00"`,
			wantMsg: "ends (06:00) before it starts (12:00)",
			path:    "slots[1].to",
			code:    CodeSlotInverted,
		},
		{
			name: "slots overlap",
			edit: func(s string) string {
				return strings.Replace(s, "from = \"12:00\"\nto = \"24:00\"", "from = \"11:00\"\nto = \"24:00\"", 1)
			},
			lineAt:  `from = "11:00"`,
			wantMsg: "overlaps",
			path:    "slots[1].from",
			code:    CodeSlotOverlap,
		},
		{
			name: "slots leave a gap",
			edit: func(s string) string {
				return strings.Replace(s, "from = \"12:00\"\nto = \"24:00\"", "from = \"13:00\"\nto = \"24:00\"", 1)
			},
			lineAt:  `from = "13:00"`,
			wantMsg: "no greeting from 12:00 to 13:00",
			path:    "slots[1].from",
			code:    CodeSlotGap,
		},
		{
			name: "missing silent line",
			edit: func(s string) string {
				return strings.Replace(s, `silent = "您好，{{company}}客服中心，欢迎您的来电。"`, `silent = ""`, 1)
			},
			lineAt:  `silent = ""`,
			wantMsg: "missing required line opening.silent",
			path:    "opening.silent",
			code:    CodeRequired,
		},
		{
			name: "inverted holiday range",
			edit: func(s string) string {
				return s + "\n[[calendar]]\nholiday = \"national_day\"\nfrom = \"2026-10-07\"\nto = \"2026-10-01\"\n"
			},
			lineAt:  `to = "2026-10-01"`,
			wantMsg: "inverted",
			path:    "calendar[0].to",
			code:    CodeRangeInverted,
		},
		{
			name: "overlapping holiday ranges",
			edit: func(s string) string {
				return s + "\n[[calendar]]\nholiday = \"national_day\"\nfrom = \"2025-10-01\"\nto = \"2025-10-08\"\n" +
					"\n[[calendar]]\nholiday = \"mid_autumn\"\nfrom = \"2025-10-06\"\nto = \"2025-10-06\"\n"
			},
			lineAt:  `from = "2025-10-06"`,
			wantMsg: "overlaps national_day 2025-10-01 to 2025-10-08",
			path:    "calendar[1]",
			code:    CodeRangeOverlap,
		},
		{
			name: "unknown holiday",
			edit: func(s string) string {
				return s + "\n[[calendar]]\nholiday = \"xmas\"\nfrom = \"2026-12-25\"\nto = \"2026-12-25\"\n"
			},
			lineAt:  `holiday = "xmas"`,
			wantMsg: `unknown holiday "xmas"`,
			path:    "calendar[0].holiday",
			code:    CodeUnknownHoliday,
		},
		{
			name: "bad date",
			edit: func(s string) string {
				return s + "\n[[calendar]]\nholiday = \"labour_day\"\nfrom = \"2026-02-30\"\nto = \"2026-05-05\"\n"
			},
			lineAt:  `from = "2026-02-30"`,
			wantMsg: "bad holiday date",
			path:    "calendar[0].from",
			code:    CodeBadDate,
		},
		{
			name:    "misspelt setting",
			edit:    func(s string) string { return strings.Replace(s, "time_zone = ", "timezone = ", 1) },
			lineAt:  "timezone = ",
			wantMsg: `unknown setting "timezone"`,
			path:    "timezone",
			code:    CodeUnknownSetting,
		},
		{
			name:    "misspelt setting in an array of tables",
			edit:    func(s string) string { return strings.Replace(s, `greeting = "您好！"`, `greting = "您好！"`, 1) },
			lineAt:  `greting = "您好！"`,
			wantMsg: `unknown setting "slots.greting"`,
			path:    "slots.greting",
			code:    CodeUnknownSetting,
		},
		{
			name:    "bad time zone",
			edit:    func(s string) string { return strings.Replace(s, `"Asia/Shanghai"`, `"Asia/Beijing"`, 1) },
			lineAt:  `"Asia/Beijing"`,
			wantMsg: "unknown time zone",
			path:    "time_zone",
			code:    CodeUnknownTimeZone,
		},
		{
			name:    "TOML syntax",
			edit:    func(s string) string { return strings.Replace(s, `company = "XX"`, `company = "XX`, 1) },
			lineAt:  `company = "XX`,
			wantMsg: "not valid TOML",
			path:    "",
			code:    CodeTOMLSyntax,
		},
		{
			name:    "missing complaint step",
			edit:    func(s string) string { return strings.Replace(s, "[complaint.report]", "[complaint.reporting]", 1) },
			lineAt:  "[complaint.reporting]",
			wantMsg: `unknown complaint step "reporting"`,
			path:    "complaint.reporting",
			code:    CodeUnknownStep,
		},
		{
			name: "salutation with a foreign variable",
			edit: func(s string) string {
				return strings.Replace(s, `untitled = "{{surname}}先生/女士"`, `untitled = "{{company}}先生/女士"`, 1)
			},
			lineAt:  `untitled = "{{company}}`,
			wantMsg: "only {{surname}} and {{title}}",
			path:    "salutation.untitled",
			code:    CodeSalutationVariable,
		},
		{
			name: "phrase id used twice",
			edit: func(s string) string {
				return strings.Replace(s, `id = "cannot_understand"`, `id = "ask_surname" # "again" [x]`, 1)
			},
			lineAt:  `# "again"`,
			wantMsg: `phrase id "ask_surname" is used twice (first on line`,
			path:    "phrases[1].id",
			code:    CodeDuplicateID,
		},
		{
			name: "callback line id used twice",
			edit: func(s string) string {
				return strings.Replace(s, `id = "ask_satisfaction"`, `id = "start" # again`, 1)
			},
			lineAt:  `id = "start" # again`,
			wantMsg: `callback line id "start" is used twice (first on line`,
			path:    "callback[1].id",
			code:    CodeDuplicateID,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.edit(base)
			if src == base {
				t.Fatal("edit changed nothing")
			}
			_, err := Parse("pack.toml", []byte(src))
			var pes PackErrors
			if !errors.As(err, &pes) {
				t.Fatalf("Parse err = %v, want PackErrors", err)
			}
			want := lineOf(t, src, tt.lineAt)
			for _, pe := range pes {
				if strings.Contains(pe.Msg, tt.wantMsg) {
					if pe.Line != want || pe.File != "pack.toml" {
						t.Errorf("%s at %s:%d, want line %d", pe.Msg, pe.File, pe.Line, want)
					}
					if pe.Path != tt.path || pe.Code != tt.code {
						t.Errorf("%s: path %q code %q, want %q %q", pe.Msg, pe.Path, pe.Code, tt.path, tt.code)
					}
					return
				}
			}
			t.Errorf("no problem mentioning %q; got:\n%v", tt.wantMsg, err)
		})
	}
}

func TestParse_ReportsEveryProblem(t *testing.T) {
	src := strings.NewReplacer(
		`to = "12:00"`, `to = "12:60"`,
		"{{greeting}}{{company}}", "{{greeting}}{{nope}}",
		`goodbye = "再见！"`, `goodbye = ""`,
	).Replace(string(defaultFile(t, "zh-Hans")))
	_, err := Parse("p.toml", []byte(src))
	var pes PackErrors
	if !errors.As(err, &pes) {
		t.Fatalf("err = %v", err)
	}
	if len(pes) < 3 {
		t.Fatalf("got %d problems, want at least 3:\n%v", len(pes), err)
	}
	for i := 1; i < len(pes); i++ {
		if pes[i].Line < pes[i-1].Line {
			t.Errorf("problems not in line order:\n%v", err)
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(pes) || !strings.HasPrefix(lines[0], "p.toml:") {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestParse_EmptyFile(t *testing.T) {
	_, err := Parse("empty.toml", nil)
	var pes PackErrors
	if !errors.As(err, &pes) {
		t.Fatalf("err = %v", err)
	}
	// Holidays are not required: a pack may remove the built-in ones.
	for _, want := range []string{"lang", "company", "opening.standard", "[[slots]]", "[[phrases]]", "[[callback]]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("empty pack: no problem mentions %s", want)
		}
	}
}

func TestPackError_Error(t *testing.T) {
	if got := (&PackError{File: "a.toml", Line: 3, Msg: "x"}).Error(); got != "a.toml:3: x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		in      string
		vars    []string
		wantErr bool
	}{
		{"您好", nil, false},
		{"{{a}}{{ b.c }}x", []string{"a", "b.c"}, false},
		{"{{", nil, true},
		{"}}", nil, true},
		{"{{}}", nil, true},
		{"{{a b}}", nil, true},
		{"{{a}}\n{{b}}", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		segs, err := parseTemplate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseTemplate(%q) err = %v", tt.in, err)
			continue
		}
		var vars []string
		for _, s := range segs {
			if s.kind == tokVar {
				vars = append(vars, s.text)
			}
		}
		if fmt.Sprint(vars) != fmt.Sprint(tt.vars) {
			t.Errorf("parseTemplate(%q) vars = %v, want %v", tt.in, vars, tt.vars)
		}
	}
}

// minimalPack is the smallest valid pack.
const minimalPack = `lang = "zh-Hans"
company = "XX"
[[slots]]
from = "00:00"
to = "12:00"
greeting = "早上好！"
[[slots]]
from = "12:00"
to = "24:00"
greeting = "您好！"
[salutation]
titled = "{{surname}}{{title}}"
untitled = "{{surname}}先生/女士"
anonymous = "您"
[opening]
standard = "{{greeting}}{{company}}欢迎您的来电"
silent = "您好，{{company}}客服中心"
outbound = "您好，请问是{{salutation}}吗？我姓{{agent_surname}}"
[holidays.new_year]
name = "元旦"
greeting = "新年好！"
[holidays.spring_festival]
name = "春节"
greeting = "新年好！"
[holidays.labour_day]
name = "五一"
greeting = "劳动节快乐！"
[holidays.mid_autumn]
name = "中秋"
greeting = "中秋节快乐！"
[holidays.national_day]
name = "国庆"
greeting = "国庆节快乐！"
[[calendar]]
holiday = "national_day"
from = "2026-10-01"
to = "2026-10-08"
[[phrases]]
id = "a"
situation = "b"
say = "请问您贵姓？"
[complaint.listen]
title = "听清楚"
prompt = "p"
[complaint.ask]
title = "问清楚"
prompt = "p"
[complaint.follow]
title = "跟清楚"
prompt = "p"
[complaint.reply]
title = "复清楚"
prompt = "p"
[complaint.record]
title = "记清楚"
prompt = "p"
[complaint.report]
title = "报告"
prompt = "p"
[[callback]]
id = "start"
say = "打扰您了"
[closing]
goodbye = "再见"
`

func TestParse_MinimalPack(t *testing.T) {
	p, err := Parse("min.toml", []byte(minimalPack))
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Opening(OpeningRequest{At: fuzzInstant})
	if err != nil || got != "国庆节快乐！" {
		t.Errorf("Opening = %q, %v", got, err)
	}
}

var fuzzInstant = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input byte by byte, which
	// takes minutes on a full default pack. The default packs are tested in
	// TestDefault_AllLangsValid.
	f.Add([]byte(minimalPack))
	f.Add([]byte("lang = \"x\"\n[[slots]]\nfrom = \"25:00\"\n"))
	f.Add([]byte("[[calendar]]\nholiday='new_year'\nfrom='2026-01-02'\nto='2026-01-01'\n"))
	f.Add([]byte("a = \"\"\"\n{{x\n\"\"\"\n[t]\nb = [\n1,\n]\n"))
	f.Add([]byte("[holidays.x]\nname='x'\ngreeting='{{if surname}}a{{else}}b{{end}}'\nlunar='12-30'\nbefore=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.toml", data)
		if err != nil {
			var pes PackErrors
			if !errors.As(err, &pes) || len(pes) == 0 {
				t.Fatalf("error is not a non-empty PackErrors: %v", err)
			}
			for _, pe := range pes {
				if pe.File != "fuzz.toml" || pe.Line <= 0 || pe.Msg == "" {
					t.Fatalf("bad PackError %+v", pe)
				}
			}
			return
		}
		// A valid pack must produce openings without panicking.
		for _, req := range []OpeningRequest{
			{At: fuzzInstant},
			{At: fuzzInstant, Silent: true},
			{At: fuzzInstant, Outbound: true, AgentName: "李娜", Caller: Party{Surname: "王"}},
		} {
			_, _ = p.Opening(req)
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add("{{greeting}}{{company}}欢迎您的来电")
	f.Add("{{ salutation }}，{{reply_hours}}小时")
	f.Add("{{}}}}{{")
	f.Add("{{if salutation}}{{salutation}}，{{else}}{{if surname}}x{{end}}{{end}}您")
	f.Add("{{if}}{{else}}{{end}}{{end}}")
	p, err := Default("zh-Hans")
	if err != nil {
		f.Fatal(err)
	}
	req := OpeningRequest{At: fuzzInstant, Caller: Party{Surname: "王"}, AgentName: "李娜", Vars: map[string]string{"service": "s"}}
	f.Fuzz(func(t *testing.T, tmpl string) {
		if out, _ := p.Render(tmpl, req); strings.Contains(out, "{{") {
			t.Fatalf("%q rendered as %q", tmpl, out)
		}
		_, perr := parseTemplate(tmpl)
		out, err := p.Render(tmpl, req)
		if (perr != nil) != (err != nil) && !errors.Is(err, ErrMissingValue) {
			t.Fatalf("parse err %v, render err %v", perr, err)
		}
		if perr == nil && !strings.Contains(tmpl, "{{") && out != tmpl {
			t.Fatalf("plain text %q rendered as %q", tmpl, out)
		}
	})
}

func TestParse_WrongKindOfValue(t *testing.T) {
	src := strings.Replace(string(defaultFile(t, "zh-Hans")), `company = "XX"`, `company = 5`, 1)
	_, err := Parse("p.toml", []byte(src))
	want := fmt.Sprintf("p.toml:%d: company must be text in quotes, not a number", lineOf(t, src, "company = 5"))
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestParse_UnknownTableReportedOnce(t *testing.T) {
	src := strings.Replace(string(defaultFile(t, "zh-Hans")), "[opening]", "[openings]\nx = 1\n[opening]", 1)
	_, err := Parse("p.toml", []byte(src))
	if err == nil || strings.Count(err.Error(), "openings") != 1 {
		t.Errorf("err = %v, want one problem naming openings", err)
	}
}

func TestStripComment_BracketDelta(t *testing.T) {
	tests := []struct {
		in        string
		stripped  string
		bracketed int
	}{
		{`a = 1 # note`, `a = 1 `, 0},
		{`a = "x # y" # note`, `a = "x # y" `, 0},
		{`a = 'x # [y' # z`, `a = 'x # [y' `, 0},
		{`a = "q \" # [" # ]`, `a = "q \" # [" `, -1},
		{`[[phrases]]`, `[[phrases]]`, 0},
		{`b = [ "]", '[' ,`, `b = [ "]", '[' ,`, 1},
		{`# whole line [`, ``, 1},
	}
	for _, tt := range tests {
		if got := stripComment(tt.in); got != tt.stripped {
			t.Errorf("stripComment(%q) = %q, want %q", tt.in, got, tt.stripped)
		}
		if got := bracketDelta(tt.in); got != tt.bracketed {
			t.Errorf("bracketDelta(%q) = %d, want %d", tt.in, got, tt.bracketed)
		}
	}
}
