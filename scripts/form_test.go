package scripts

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// canon is p without what depends on the file's layout (its name, the
// lines of its rules and notices), for comparing packs.
func canon(p *Pack) Pack {
	c := *p
	c.file, c.parsed = "", nil
	c.holidays = map[string]*Holiday{}
	for id, h := range p.holidays {
		hh := *h
		hh.Rule.Line = 0
		c.holidays[id] = &hh
	}
	c.overrides = map[string]map[int][]Range{}
	for id, years := range p.overrides {
		c.overrides[id] = map[int][]Range{}
		for y, rs := range years {
			for _, r := range rs {
				r.Line = 0
				c.overrides[id][y] = append(c.overrides[id][y], r)
			}
		}
	}
	return c
}

func samePack(t *testing.T, a, b *Pack) {
	t.Helper()
	if ca, cb := canon(a), canon(b); !reflect.DeepEqual(ca, cb) {
		t.Errorf("packs differ:\n%+v\n%+v", ca, cb)
	}
}

// An unchanged form writes the default packs back byte for byte, comments
// and all.
func TestForm_DefaultPacksWriteUnchanged(t *testing.T) {
	for _, l := range Langs() {
		f, err := DefaultForm(l)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(f.TOML()), string(defaultFile(t, l)); got != want {
			t.Errorf("%s: TOML() differs from the file:\n%s", l, firstDiff(got, want))
		}
		p, err := f.Check(l + ".toml")
		if err != nil {
			t.Fatal(err)
		}
		samePack(t, p, mustDefault(t, l))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n got " + x + "\nwant " + y
		}
	}
	return ""
}

// richPack uses every setting, in an order of its own, with text that needs
// quoting.
const richPack = `# my pack
# second line

company = 'Acme "A" \ B'   # literal string
lang = "zh-Hans"
time_zone = "Asia/Taipei"

[vars]
hotline = "400-000-0000"
"web.site" = "acme.example"

[[slots]]
from = "00:00"
to = "12:00"
greeting = "早上好！"
[[slots]]
from = "12:00"
to = "24:00"
greeting = """
您好！
欢迎\t"来电"\
"""

[salutation]
titled = "{{surname}}{{title}}"
untitled = "{{surname}}先生/女士"
anonymous = "您"
[salutation.titles]
"女士" = "小姐"
[salutation.bare_titles]
"先生" = "先生"

[opening]
standard = "{{greeting}}{{company}}，{{hotline}}{{web.site}}"
silent = "您好"
outbound = "{{if surname}}请问是{{salutation}}吗？{{end}}我姓{{agent_surname}}"
never = ["喂", "a\"b"]

[holidays.store_day]
name = "店庆"
greeting = "店庆快乐！"
date = "02-29"
before = 1

[holidays.national_day]
name = "国庆"
greeting = "国庆快乐！"
lunar = "08-15"
after = 3

[[calendar]]
holiday = "store_day"
from = "2026-03-01"
to = "2026-03-02"

[[phrases]]
id = "a"
situation = "s"
say = "x"
never = []

[complaint.report]
title = "报告"
prompt = "p"
[complaint.listen]
title = "听清楚"
prompt = "p"
say = "{{if salutation}}{{salutation}}，{{end}}您请讲"
[complaint.ask]
title = "问清楚"
prompt = "p"
[complaint.follow]
title = "跟清楚"
prompt = "{{if reply_by}}{{reply_by}}{{else}}{{reply_hours}}小时{{end}}"
[complaint.reply]
title = "复清楚"
prompt = "p"
[complaint.record]
title = "记清楚"
prompt = "p"

[[callback]]
say = "打扰了"
id = "start"

[closing]
goodbye = "再见"
hang_up_first = "等客户先挂"
reassure = ["一", "二"]
# the end
`

// parse → form → TOML → parse gives the same pack, and the form of that
// TOML writes the same TOML again.
func TestForm_RoundTrip(t *testing.T) {
	srcs := map[string]string{"rich": richPack, "minimal": minimalPack}
	for _, l := range Langs() {
		srcs[l] = string(defaultFile(t, l))
	}
	srcs["old pack"] = string(testOldPack)
	for name, src := range srcs {
		t.Run(name, func(t *testing.T) {
			want := mustParse(t, src)
			f, err := ReadForm("in.toml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			out := f.TOML()
			got, err := Parse("out.toml", out)
			if err != nil {
				t.Fatalf("written pack does not parse: %v\n%s", err, out)
			}
			samePack(t, want, got)
			f2, err := ReadForm("out.toml", out)
			if err != nil {
				t.Fatal(err)
			}
			if again := f2.TOML(); string(again) != string(out) {
				t.Errorf("TOML not stable:\n%s", firstDiff(string(again), string(out)))
			}
		})
	}
}

// testOldPack is a pack as published before issue 11: its anonymous
// caller is 您 and its holidays have no rules. It still parses and
// round-trips.
var testOldPack = []byte(strings.Replace(minimalPack, "[closing]", "[closing]\nthanks = \"谢谢\"", 1))

func TestForm_RichValues(t *testing.T) {
	f, err := ReadForm("rich.toml", []byte(richPack))
	if err != nil {
		t.Fatal(err)
	}
	if f.Company != `Acme "A" \ B` || f.TimeZone != "Asia/Taipei" || len(f.Vars) != 2 || f.Vars[1].Name != "web.site" {
		t.Errorf("top: %q %q %+v", f.Company, f.TimeZone, f.Vars)
	}
	if f.Slots[1].Greeting != "您好！\n欢迎\t\"来电\"" {
		t.Errorf("multi-line greeting %q", f.Slots[1].Greeting)
	}
	if h := f.Holidays[0]; h.ID != "store_day" || h.Date != "02-29" || h.Before != 1 || h.Builtin() {
		t.Errorf("holiday 0 = %+v", h)
	}
	if h := f.Holidays[1]; h.ID != "national_day" || h.Lunar != "08-15" || h.After != 3 || !h.Builtin() {
		t.Errorf("holiday 1 = %+v", h)
	}
	if f.Complaint[0].ID != "report" || f.Callback[0].ID != "start" || f.Closing.HangUpFirst != "等客户先挂" {
		t.Errorf("order or values lost: %+v %+v", f.Complaint[0], f.Callback[0])
	}
	out := string(f.TOML())
	for _, want := range []string{"# my pack\n# second line\n\nlang = ", `company = "Acme \"A\" \\ B"   # literal string`, "# the end\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("TOML() lacks %q:\n%s", want, out)
		}
	}
}

// Edits through the form: comments move with their items, a deleted item's
// comments go, a list's own comments stay.
func TestForm_EditsKeepComments(t *testing.T) {
	src := strings.NewReplacer(
		"[[phrases]]\nid = \"too_quiet\"", "# quiet callers\n[[phrases]]\nid = \"too_quiet\"",
		"[[phrases]]\nid = \"too_slow\"", "# slow agents\n[[phrases]]\nid = \"too_slow\"",
		`say = "请问您贵姓？"`, `say = "请问您贵姓？"  # ask early`,
	).Replace(string(defaultFile(t, "zh-Hans")))
	f, err := ReadForm("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	// Delete too_quiet (index 2), move too_slow first, add a holiday with a
	// lunar rule and a notice, change the company.
	ph := f.Phrases
	f.Phrases = append([]FormPhrase{ph[3]}, append(append([]FormPhrase{}, ph[:2]...), ph[4:]...)...)
	f.Holidays = append(f.Holidays, FormHoliday{ID: "dragon_boat", Name: "端午节", Greeting: "端午节快乐！{{company}}客服中心", Lunar: "05-05", After: 2})
	f.Calendar = append(f.Calendar, FormRange{Holiday: "dragon_boat", From: "2027-06-08", To: "2027-06-10"})
	f.Company = "西太平洋物业"
	out := string(f.TOML())
	p, err := Parse("p.toml", []byte(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "# quiet callers") || strings.Contains(out, `id = "too_quiet"`) {
		t.Error("the deleted phrase or its comment is still there")
	}
	if !strings.Contains(out, "# slow agents\n[[phrases]]\nid = \"too_slow\"") {
		t.Error("the moved phrase lost its comment")
	}
	if i, j := strings.Index(out, "# 话术：情境"), strings.Index(out, `id = "too_slow"`); i < 0 || j < i {
		t.Error("the phrase book's comment did not stay above the first phrase")
	}
	for _, want := range []string{`say = "请问您贵姓？"  # ask early`, `company = "西太平洋物业"                 # 改成贵公司`, "[holidays.dragon_boat]\nname = \"端午节\"", "lunar = \"05-05\"\nafter = 2\n", "[[calendar]]\nholiday = \"dragon_boat\""} {
		if !strings.Contains(out, want) {
			t.Errorf("TOML() lacks %q", want)
		}
	}
	if p.Phrases()[0].ID != "too_slow" || len(p.Phrases()) != 10 {
		t.Errorf("phrases %v", p.Phrases()[0].ID)
	}
	if got := holidayOn(t, p, "2026-06-20"); got != "dragon_boat" {
		t.Errorf("端午 2026: %q", got)
	}
	if got := holidayOn(t, p, "2027-06-10"); got != "dragon_boat" {
		t.Errorf("端午 notice 2027: %q", got)
	}
}

// Errors of a form's pack name the field (for the form) and the line (for
// the text view) with a stable code.
func TestForm_CheckLocatesErrors(t *testing.T) {
	f, err := DefaultForm("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	f.Slots[1].To = "25:00"
	for i := range f.Holidays {
		if f.Holidays[i].ID == HolidayMidAutumn {
			f.Holidays[i].Greeting = "中秋节快乐！{{compnay}}"
		}
	}
	f.Phrases[3].Say = ""
	f.Calendar = append(f.Calendar, FormRange{Holiday: "national_day", From: "2026-10-07", To: "2026-10-01"})
	_, err = f.Check("p.toml")
	var pes PackErrors
	if !errors.As(err, &pes) {
		t.Fatalf("err = %v", err)
	}
	text := string(f.TOML())
	tests := []struct {
		path   string
		code   ErrorCode
		lineAt string
		arg    [2]string
	}{
		{"slots[1].to", CodeBadSlotTime, `to = "25:00"`, [2]string{"value", "25:00"}},
		{"holidays.mid_autumn.greeting", CodeUnknownVariable, "{{compnay}}", [2]string{"var", "compnay"}},
		{"phrases[3].say", CodeRequired, "", [2]string{"key", "phrases.3.say"}},
		{"calendar[0].to", CodeRangeInverted, `to = "2026-10-01"`, [2]string{"from", "2026-10-07"}},
	}
	for _, tt := range tests {
		got := pes.At(tt.path)
		if len(got) != 1 {
			t.Errorf("At(%s) = %v", tt.path, got)
			continue
		}
		pe := got[0]
		if pe.Code != tt.code || pe.Args[tt.arg[0]] != tt.arg[1] || pe.Msg == "" {
			t.Errorf("%s: %+v", tt.path, pe)
		}
		if tt.lineAt != "" && pe.Line != lineOf(t, text, tt.lineAt) {
			t.Errorf("%s at line %d, want %d", tt.path, pe.Line, lineOf(t, text, tt.lineAt))
		}
	}
	if len(pes.At("phrases[3]")) != 1 || len(pes.At("holidays")) != 1 {
		t.Errorf("At of a parent: %v / %v", pes.At("phrases[3]"), pes.At("holidays"))
	}
}

func TestReadForm_Refuses(t *testing.T) {
	base := string(defaultFile(t, "zh-Hans"))
	tests := map[string]struct {
		src  string
		code ErrorCode
	}{
		"syntax":          {strings.Replace(base, `company = "XX"`, `company = "XX`, 1), CodeTOMLSyntax},
		"wrong kind":      {strings.Replace(base, `company = "XX"`, `company = 5`, 1), CodeWrongKind},
		"unknown setting": {strings.Replace(base, "time_zone = ", "timezone = ", 1), CodeUnknownSetting},
		"wrong kind int":  {base + "\n[holidays.x]\nname = \"x\"\ngreeting = \"y\"\nbefore = \"one\"\n", CodeWrongKind},
	}
	for name, tt := range tests {
		f, err := ReadForm("p.toml", []byte(tt.src))
		var pes PackErrors
		if f != nil || !errors.As(err, &pes) || pes[0].Code != tt.code {
			t.Errorf("%s: ReadForm = %v, %v; want %s", name, f, err, tt.code)
		}
	}
	// A pack with mistakes the form can show still reads.
	if _, err := ReadForm("p.toml", []byte(strings.Replace(base, `to = "24:00"`, `to = "25:00"`, 1))); err != nil {
		t.Errorf("a bad slot time: %v", err)
	}
}

func FuzzReadForm(f *testing.F) {
	f.Add([]byte(minimalPack))
	f.Add([]byte("# c\nlang = \"x\" # t\n[[phrases]]\n# p\nid = 'a'\n[holidays.'a.b']\nname = \"\"\"\nx\"\"\"\n"))
	f.Add([]byte("[vars]\n\"a b\" = \"\\u0001\"\n[salutation.titles]\n\"x\" = \"y\"\n[[calendar]]\nholiday = \"q\"\n"))
	f.Add([]byte("[closing]\nreassure = [\n\"a\", # x\n]\n[holidays.x]\nlunar = \"05-05\"\nafter = 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		form, err := ReadForm("fuzz.toml", data)
		if err != nil {
			var pes PackErrors
			if !errors.As(err, &pes) || len(pes) == 0 || form != nil {
				t.Fatalf("ReadForm error is not a PackErrors: %v", err)
			}
			return
		}
		out := form.TOML()
		form2, err := ReadForm("out.toml", out)
		if err != nil {
			t.Fatalf("written form does not read back: %v\n%s", err, out)
		}
		if again := form2.TOML(); string(again) != string(out) {
			t.Fatalf("TOML not stable:\n%s\n---\n%s", out, again)
		}
		orig, errOrig := Parse("in.toml", data)
		got, errGot := Parse("out.toml", out)
		if (errOrig == nil) != (errGot == nil) {
			t.Fatalf("Parse of the input: %v; of the written form: %v\n%s", errOrig, errGot, out)
		}
		if errOrig == nil && !reflect.DeepEqual(canon(orig), canon(got)) {
			t.Fatalf("written form is another pack:\n%s", out)
		}
	})
}

// DefaultForm returns the form of lang's embedded default pack.
func DefaultForm(lang string) (*Form, error) {
	data, err := DefaultPackFile(lang)
	if err != nil {
		return nil, err
	}
	if lang == "" {
		lang = DefaultLang
	}
	return ReadForm("packs/"+lang+".toml", data)
}
