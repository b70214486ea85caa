package scripts

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentences issue 11 found agents saying, and their kin: none may come out
// of any default pack for any caller.
var badSentences = []string{
	"{{", "}}",
	"您是您", "请问是您吗", "請問是您嗎", "是您吗", "是您嗎",
	"是先生吗", "是女士吗", "是先生嗎", "是女士嗎", "是小姐嗎", // an identity question with no name
	"sir or madam", "with sir", "with madam", "with Mr.?", "with Ms.?", "with ?", "with [",
	"您，您", "，您，", "您您",
	"，，", "，。", "。，", "，？", "，！", "、，",
	",,", " ,", "  ", ", .", ",.", " .", " ?", " !", "? ?",
}

// midSentenceCapital finds a sentence's first word after a comma, as when
// an {{if}} drops the start of a sentence ("Hello, This is").
var midSentenceCapital = regexp.MustCompile(`, (This|That|The|We|Is|Are|Am|Let|Please|Thank|Sorry|How|May|Could|Do|Were|Hello|And|Within|By)\b`)

// renderContexts are the variants of what the desk knows about the case.
var renderContexts = []struct {
	name  string
	edit  func(*Request)
	whole bool // every line must be complete
}{
	{"everything", func(*Request) {}, true},
	{"no case", func(r *Request) { r.ReplyHours, r.ReplyBy, r.Service, r.ServiceTime = 0, time.Time{}, "", time.Time{} }, false},
	{"reply hours only", func(r *Request) { r.ReplyBy = time.Time{} }, false},
	{"reply_by only", func(r *Request) { r.ReplyHours = 0 }, false},
	{"no service", func(r *Request) { r.Service, r.ServiceTime = "", time.Time{} }, false},
	{"no agent", func(r *Request) { r.AgentName, r.AgentNumber = "", "" }, false},
	{"nothing", func(r *Request) { *r = Request{At: r.At, Caller: r.Caller} }, false},
}

// The render-every-line test of issue 11: every line of every default pack,
// for every kind of caller, with and without the case's values, on holiday
// and ordinary days.
func TestDefault_EveryLineReadsRight(t *testing.T) {
	instants := []string{"2026-10-01T09:00:00", "2026-10-10T15:00:00", "2026-11-23T09:30:00", "2027-02-06T15:00:00", "2027-02-06T23:59:00"}
	checked := 0
	for _, lang := range Langs() {
		p := mustDefault(t, lang)
		for _, kind := range CallerKinds() {
			for _, ctx := range renderContexts {
				for _, inst := range instants {
					at, err := time.ParseInLocation("2006-01-02T15:04:05", inst, p.TimeZone())
					if err != nil {
						t.Fatal(err)
					}
					req := SampleRequest(lang, at, kind)
					ctx.edit(&req)
					pv := p.Preview(req)
					lines := pv.Lines()
					if len(lines) == 0 {
						t.Fatalf("%s: no lines", lang)
					}
					for _, r := range lines {
						where := fmt.Sprintf("%s %s %s %s %s", lang, kind, ctx.name, inst, r.Path)
						checkLine(t, where, p, req, r)
						if ctx.whole && len(r.Missing) > 0 {
							t.Errorf("%s: missing %v with everything given: %q", where, r.Missing, r.Text)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d rendered lines checked", checked)
}

func checkLine(t *testing.T, where string, p *Pack, req Request, r Rendered) {
	t.Helper()
	text := r.Text
	if text == "" {
		t.Errorf("%s: empty line", where)
		return
	}
	for _, bad := range badSentences {
		if strings.Contains(text, bad) {
			t.Errorf("%s: %q contains %q", where, text, bad)
		}
	}
	kind := req.Caller.Kind()
	if s := p.Salutation(req.Caller); s != "" && kind != CallerAnonymous && strings.Count(text, s) > 1 {
		t.Errorf("%s: salutation %q twice in %q", where, s, text)
	}
	if strings.HasPrefix(text, "您，") {
		t.Errorf("%s: 您 used as a name in %q", where, text)
	}
	if family(p.Lang()) == famEn {
		if m := midSentenceCapital.FindString(text); m != "" {
			t.Errorf("%s: %q has a capital after a comma: %q", where, text, m)
		}
		if first, _ := utf8.DecodeRuneInString(text); !unicode.IsUpper(first) && first != '[' {
			t.Errorf("%s: %q does not start with a capital", where, text)
		}
	}
	for _, v := range r.Missing {
		if ph := Placeholder(p.Lang(), v); !strings.Contains(text, ph) {
			t.Errorf("%s: missing %s but no placeholder %s in %q", where, v, ph, text)
		}
	}
	if len(r.Missing) == 0 && (strings.Contains(text, "【") || strings.Contains(text, "[")) {
		t.Errorf("%s: complete line with a placeholder: %q", where, text)
	}
	if err := r.Err(); (err != nil) != (len(r.Missing) > 0) || err != nil && !errors.Is(err, ErrMissingValue) {
		t.Errorf("%s: Err() = %v for missing %v", where, err, r.Missing)
	}
}

// What the lines say for each kind of caller, in each language.
func TestDefault_SalutationsReadRight(t *testing.T) {
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		lang string
		kind CallerKind
		line string // path
		want string
	}{
		{"zh-Hans", CallerKnown, "opening.outbound", "您好，请问是王先生吗？我姓李，是XX客服中心打来的，感谢您对我公司的支持和信任，来电与您核对您的资料。"},
		{"zh-Hans", CallerSurnameOnly, "opening.outbound", "您好，请问是王先生/女士吗？我姓李，"},
		{"zh-Hans", CallerTitleOnly, "opening.outbound", "您好，我姓李，是XX客服中心打来的"},
		{"zh-Hans", CallerAnonymous, "opening.outbound", "您好，我姓李，是XX客服中心打来的"},
		{"zh-Hans", CallerKnown, "callback[0].say", "您好，我是XX的客服代表，请问您是王先生吗？打扰您了。"},
		{"zh-Hans", CallerAnonymous, "callback[0].say", "您好，我是XX的客服代表，打扰您了。"},
		{"zh-Hans", CallerKnown, "phrases[5].say", "王先生，您反映的是这样的：……，是这样的吗？"},
		{"zh-Hans", CallerTitleOnly, "phrases[5].say", "先生，您反映的是这样的：……，是这样的吗？"},
		{"zh-Hans", CallerAnonymous, "phrases[5].say", "您反映的是这样的：……，是这样的吗？"},
		{"zh-Hans", CallerAnonymous, "phrases[6].say", "很抱歉，多谢您反映的意见，我们会尽快向上级部门反映，并在24小时之内给您明确的答复，再见！"},
		{"zh-Hans", CallerKnown, "complaint.follow.say", "我们会尽快向上级部门反映，并在明天15:00之前给您明确的答复。"},
		{"zh-Hans", CallerKnown, "callback[1].say", "感谢您在11月20日接受了我们XX的上门保洁服务项目，请问您对上门保洁服务项目满意吗？"},
		{"zh-Hant", CallerKnown, "opening.outbound", "您好，請問是王先生嗎？這裡是XX客服中心，敝姓李，"},
		{"zh-Hant", CallerAnonymous, "callback[0].say", "您好，我是XX的客服人員，不好意思打擾您了。"},
		{"zh-Hant", CallerSurnameOnly, "callback[0].say", "您好，我是XX的客服人員，請問您是王先生/小姐嗎？不好意思打擾您了。"},
		{"en", CallerKnown, "opening.outbound", "Hello, am I speaking with Mr. Wang? This is Li Na calling from the XX customer service center."},
		{"en", CallerAnonymous, "opening.outbound", "Hello, this is Li Na calling from the XX customer service center."},
		{"en", CallerTitleOnly, "opening.outbound", "Hello, this is Li Na calling"},
		{"en", CallerKnown, "phrases[5].say", "Let me read that back to you, Mr. Wang: … Is that right?"},
		{"en", CallerTitleOnly, "phrases[5].say", "Let me read that back to you, sir: … Is that right?"},
		{"en", CallerAnonymous, "phrases[5].say", "Let me read that back to you: … Is that right?"},
		{"en", CallerAnonymous, "phrases[6].say", "I'm very sorry, and thank you for letting us know. I'll raise this with our management team, and we'll give you a clear answer within 24 hours. Goodbye!"},
		{"en", CallerKnown, "complaint.follow.say", "I'll raise this with our management team, and we'll give you a clear answer by 15:00 tomorrow."},
		{"en", CallerAnonymous, "callback[0].say", "Hello, this is XX customer service. Sorry to bother you."},
		{"en", CallerKnown, "callback[1].say", "Thank you for choosing our home cleaning service on 20 November. Were you happy with the home cleaning service?"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.kind.String()+" "+tt.line, func(t *testing.T) {
			p := mustDefault(t, tt.lang)
			for _, r := range p.Preview(SampleRequest(tt.lang, at, tt.kind)).Lines() {
				if r.Path == tt.line {
					if !strings.HasPrefix(r.Text, tt.want) {
						t.Errorf("%s = %q, want %q…", tt.line, r.Text, tt.want)
					}
					return
				}
			}
			t.Fatalf("no line %s", tt.line)
		})
	}
}

func TestPack_Render_Placeholders(t *testing.T) {
	at := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		lang, tmpl string
		want       string
		missing    []string
	}{
		{"zh-Hans", "我姓{{agent_surname}}，在{{reply_hours}}小时之内", "我姓【本人姓氏】，在【答复时限】小时之内", []string{"agent_surname", "reply_hours"}},
		{"zh-Hant", "{{salutation}}，您好", "【客戶稱呼】，您好", nil}, // zh-Hant has 您 for nobody: not missing
		{"en", "Hello {{salutation}}, within {{reply_hours}} hours", "Hello [caller's name], within [reply hours] hours", []string{"salutation", "reply_hours"}},
		{"en", "{{reply_hours}}{{reply_hours}}", "[reply hours][reply hours]", []string{"reply_hours"}},
		{"en", "{{if reply_by}}by {{reply_by}}{{else}}soon{{end}}", "soon", nil},
	}
	for _, tt := range tests {
		p := mustDefault(t, tt.lang)
		got, err := p.Render(tt.tmpl, Request{At: at})
		if tt.lang == "zh-Hant" {
			// 您 is the pack's word for an anonymous caller: shown, not missing.
			if got != "您，您好" || err != nil {
				t.Errorf("zh-Hant anonymous {{salutation}} = %q, %v", got, err)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.tmpl, got, tt.want)
		}
		var mv *MissingValueError
		if len(tt.missing) == 0 {
			if err != nil {
				t.Errorf("Render(%q) err = %v", tt.tmpl, err)
			}
			continue
		}
		if !errors.As(err, &mv) || !errors.Is(err, ErrMissingValue) || fmt.Sprint(mv.Vars) != fmt.Sprint(tt.missing) || mv.Var != tt.missing[0] {
			t.Errorf("Render(%q) err = %#v, want missing %v", tt.tmpl, err, tt.missing)
		}
	}
	// Opening hands back the line with its placeholder and the error.
	p := mustDefault(t, "zh-Hans")
	got, err := p.Opening(Request{At: at, Outbound: true, Caller: Party{Surname: "王", Title: "先生"}})
	if !errors.Is(err, ErrMissingValue) || !strings.Contains(got, "我姓【本人姓氏】") || strings.Contains(got, "{{") {
		t.Errorf("outbound without agent = %q, %v", got, err)
	}
	// A line of a section names itself in its error.
	for _, l := range p.PhraseBook(Request{}) {
		if l.ID == "cannot_answer_now" {
			var mv *MissingValueError
			if !errors.As(l.Say.Err(), &mv) || mv.Path != "phrases[6].say" || !strings.Contains(mv.Error(), "phrases[6].say: {{reply_hours}}") {
				t.Errorf("phrase error = %v", l.Say.Err())
			}
		}
	}
}

// Values come from people (a customer's name, a note): they cannot bring a
// template's braces into a line.
func TestPack_Render_ValuesWithBraces(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	req := Request{Caller: Party{Surname: "{{王", Title: "先生}}"}, Service: "a{", Vars: map[string]string{"hotline": "{{{x}}}"}}
	for _, tmpl := range []string{"{{salutation}}", "{{service}}{x", "{{customer.surname}}}", "{{hotline}}"} {
		got, _ := p.Render(tmpl, req)
		if strings.Contains(got, "{{") || strings.Contains(got, "}}") {
			t.Errorf("Render(%q) = %q", tmpl, got)
		}
	}
	for _, r := range p.Preview(req).Lines() {
		if strings.Contains(r.Text, "{{") {
			t.Errorf("%s = %q", r.Path, r.Text)
		}
	}
}

func TestPlaceholder(t *testing.T) {
	tests := []struct{ lang, name, want string }{
		{"zh-Hans", "reply_by", "【答复时间】"},
		{"zh-Hant", "reply_by", "【答覆時間】"},
		{"zh-TW", "service", "【服務項目】"},
		{"en", "service", "[service]"},
		{"fr", "service", "[service]"},
		{"zh-Hans", "hotline", "【hotline】"},
	}
	for _, tt := range tests {
		if got := Placeholder(tt.lang, tt.name); got != tt.want {
			t.Errorf("Placeholder(%s, %s) = %q, want %q", tt.lang, tt.name, got, tt.want)
		}
	}
	for _, n := range Variables() {
		for _, l := range Langs() {
			if ph := Placeholder(l, n); strings.Contains(ph, "{{") || utf8.RuneCountInString(ph) < 3 {
				t.Errorf("Placeholder(%s, %s) = %q", l, n, ph)
			}
		}
	}
}

func TestPack_Render_Times(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, sh) // a Monday
	tests := []struct {
		lang   string
		by     time.Time
		want   string
		served time.Time
		wantSv string
	}{
		{"zh-Hans", now.Add(2 * time.Hour), "今天17:00", now.AddDate(0, 0, -3), "11月20日"},
		{"zh-Hans", now.Add(24 * time.Hour), "明天15:00", now.AddDate(-1, 0, 0), "2025年11月23日"},
		{"zh-Hans", now.Add(72 * time.Hour), "11月26日（周四）15:00", now, "11月23日"},
		{"zh-Hant", now.Add(72 * time.Hour), "11月26日（週四）15:00", now, "11月23日"},
		{"zh-Hans", time.Date(2027, 1, 4, 9, 0, 0, 0, sh), "2027年1月4日（周一）09:00", now, "11月23日"},
		{"en", now.Add(2 * time.Hour), "17:00 today", now.AddDate(0, 0, -3), "20 November"},
		{"en", now.Add(24 * time.Hour), "15:00 tomorrow", now.AddDate(-1, 0, 0), "23 November 2025"},
		{"en", now.Add(72 * time.Hour), "15:00 on Thursday 26 November", now, "23 November"},
		// The zone is the pack's, not the instant's: 23:30 UTC is the next morning in Shanghai.
		{"en", time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), "07:30 tomorrow", now, "23 November"},
	}
	for _, tt := range tests {
		p := mustDefault(t, tt.lang)
		req := Request{At: now, ReplyBy: tt.by, ReplyHours: 2, ServiceTime: tt.served}
		if got, err := p.Render("{{reply_by}}|{{service_time}}|{{reply_hours}}", req); err != nil || got != tt.want+"|"+tt.wantSv+"|2" {
			t.Errorf("%s reply_by %s = %q, %v; want %q", tt.lang, tt.by, got, err, tt.want+"|"+tt.wantSv+"|2")
		}
	}
	// Vars win over the typed fields.
	p := mustDefault(t, "zh-Hans")
	got, _ := p.Render("{{reply_by}}", Request{At: now, ReplyBy: now, Vars: map[string]string{"reply_by": "周五前"}})
	if got != "周五前" {
		t.Errorf("Vars reply_by = %q", got)
	}
}

func TestTemplate_Conditionals(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	req := Request{Caller: Party{Surname: "王"}}
	tests := []struct{ tmpl, want string }{
		{"{{if surname}}有{{end}}", "有"},
		{"{{if title}}有{{else}}无{{end}}", "无"},
		{"{{if surname}}{{if title}}甲{{else}}乙{{end}}{{else}}丙{{end}}", "乙"},
		{"{{ if  salutation }}{{salutation}}{{end}}", "王先生/女士"},
		{"{{if reply_by}}{{reply_by}}{{end}}x", "x"}, // no placeholder where the if is false
		{"{{if service}}{{else}}{{if surname}}{{surname}}{{end}}{{end}}", "王"},
	}
	for _, tt := range tests {
		got, err := p.Render(tt.tmpl, req)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
	// The anonymous word is shown but does not make {{if salutation}} hold.
	got, _ := p.Render("{{if salutation}}有{{else}}{{salutation}}{{end}}", Request{})
	if got != "您" {
		t.Errorf("anonymous = %q, want 您", got)
	}
}

func TestParseTemplate_Problems(t *testing.T) {
	tests := []struct {
		in      string
		problem string
		line    int
	}{
		{"{{if a}}x", ProblemIfUnclosed, 0},
		{"a\n{{if b}}\nc", ProblemIfUnclosed, 1},
		{"{{else}}", ProblemElseAlone, 0},
		{"{{if a}}{{else}}{{else}}{{end}}", ProblemElseTwice, 0},
		{"x\n\n{{end}}", ProblemEndAlone, 2},
		{"{{if}}", ProblemIfNoName, 0},
		{"{{if a b}}{{end}}", ProblemBadName, 0},
		{"{{if end}}{{end}}", ProblemBadName, 0},
		{"{{a", ProblemUnclosed, 0},
		{"a\n}}", ProblemLoneClose, 1},
		{"{{ }}", ProblemEmpty, 0},
	}
	for _, tt := range tests {
		_, err := parseTemplate(tt.in)
		var te *TemplateError
		if !errors.As(err, &te) || te.Problem != tt.problem || te.Line != tt.line {
			t.Errorf("parseTemplate(%q) = %#v, want %s on line %d", tt.in, err, tt.problem, tt.line)
		}
	}
}

// A problem in a conditional is reported at its line, with its code.
func TestParse_ConditionalProblems(t *testing.T) {
	base := string(defaultFile(t, "zh-Hans"))
	src := strings.Replace(base, `say = "请问您贵姓？"`, "say = \"\"\"\n请问\n{{if surname}}您贵姓？\"\"\"", 1)
	_, err := Parse("p.toml", []byte(src))
	var pes PackErrors
	if !errors.As(err, &pes) || len(pes) != 1 {
		t.Fatalf("err = %v", err)
	}
	pe := pes[0]
	if pe.Code != CodeTemplateSyntax || pe.Args["problem"] != ProblemIfUnclosed || pe.Path != "phrases[0].say" || pe.Line != lineOf(t, src, "{{if surname}}您贵姓") {
		t.Errorf("problem = %+v", pe)
	}
	src = strings.Replace(base, `say = "请问您贵姓？"`, `say = "{{if surnme}}请问您贵姓？{{end}}"`, 1)
	_, err = Parse("p.toml", []byte(src))
	if !errors.As(err, &pes) || pes[0].Code != CodeUnknownVariable || pes[0].Args["var"] != "surnme" {
		t.Errorf("unknown if variable: %v", err)
	}
	src = strings.Replace(base, "[vars]\n", "[vars]\nend = \"x\"\n", 1)
	_, err = Parse("p.toml", []byte(src))
	if !errors.As(err, &pes) || pes[0].Code != CodeBuiltinVariable || pes[0].Path != "vars.end" {
		t.Errorf("reserved var: %v", err)
	}
}

func TestPack_Sections(t *testing.T) {
	for _, lang := range Langs() {
		p := mustDefault(t, lang)
		req := SampleRequest(lang, time.Date(2026, 11, 23, 9, 0, 0, 0, p.TimeZone()), CallerKnown)
		steps := p.ComplaintPrompts(req)
		if len(steps) != len(ComplaintStepIDs) {
			t.Fatalf("%s: %d complaint steps", lang, len(steps))
		}
		for i, s := range steps {
			if s.ID != ComplaintStepIDs[i] || s.Prompt.Text == "" || s.Prompt.Path != "complaint."+s.ID+".prompt" {
				t.Errorf("%s step %d = %+v", lang, i, s)
			}
		}
		if s, ok := p.ComplaintPrompt("follow", req); !ok || s.Say.Text == "" {
			t.Errorf("%s: ComplaintPrompt(follow) = %+v, %v", lang, s, ok)
		}
		c := p.ClosingLines(req)
		if c.HangUpFirst == "" || c.Goodbye.Text == "" || len(c.Reassure) != 2 || c.Reassure[1].Path != "closing.reassure[1]" {
			t.Errorf("%s closing = %+v", lang, c)
		}
		cb := p.CallbackScript(req)
		if len(cb) < 3 || cb[0].ID != "start" || cb[1].ID != "ask_satisfaction" || cb[2].ID != "satisfied" {
			t.Errorf("%s callback = %+v", lang, cb)
		}
		o := p.OpeningLines(Request{At: req.At, Silent: true})
		if o.Kind != "silent" || o.Chosen.Text != o.Silent.Text || o.Silent.Text == "" {
			t.Errorf("%s silent = %+v", lang, o)
		}
		o = p.OpeningLines(Request{At: req.At, Outbound: true, AgentName: "李娜", Caller: req.Caller})
		if o.Kind != "outbound" || o.Chosen.Text != o.Outbound.Text || len(o.Outbound.Missing) != 0 {
			t.Errorf("%s outbound = %+v", lang, o)
		}
		pv := p.Preview(req)
		want := 4 + len(p.Holidays()) + len(p.Phrases()) + len(p.Callback()) + 2 + len(c.Reassure)
		for _, s := range p.ComplaintSteps() {
			want++
			if s.Say != "" {
				want++
			}
		}
		if got := len(pv.Lines()); got != want {
			t.Errorf("%s: Preview has %d lines, want %d (every template of the pack)", lang, got, want)
		}
		if len(pv.Problems()) != 0 {
			t.Errorf("%s: sample preview has problems %v", lang, pv.Problems())
		}
		if len(p.Preview(Request{At: req.At}).Problems()) == 0 {
			t.Errorf("%s: an empty request has no problems", lang)
		}
	}
}

func TestPack_HolidayGreetings(t *testing.T) {
	p := mustDefault(t, "zh-Hans")
	at := time.Date(2026, 9, 1, 10, 0, 0, 0, p.TimeZone())
	gs := p.HolidayGreetings(Request{At: at})
	if len(gs) != 5 {
		t.Fatalf("%d greetings", len(gs))
	}
	byID := map[string]HolidayGreeting{}
	for _, g := range gs {
		byID[g.Holiday.ID] = g
		if len(g.Greeting.Missing) != 0 || g.Greeting.Path != "holidays."+g.Holiday.ID+".greeting" {
			t.Errorf("%s greeting = %+v", g.Holiday.ID, g.Greeting)
		}
	}
	// Next period in the year, else the last one of the year.
	if r := byID[HolidayNationalDay].Period; r.From.String() != "2026-10-01" {
		t.Errorf("national day period %s", r.From)
	}
	if r := byID[HolidayLabourDay].Period; r.From.String() != "2026-05-01" {
		t.Errorf("labour day period %s", r.From)
	}
	if _, ok := p.HolidayGreetingAt(Request{At: at}); ok {
		t.Error("a holiday greeting on 2026-09-01")
	}
	g, ok := p.HolidayGreetingAt(Request{At: at.AddDate(0, 1, 0)})
	if !ok || g.Holiday.ID != HolidayNationalDay || g.Greeting.Text != "国庆节快乐！XX客服中心，请问有什么可以帮您！" {
		t.Errorf("greeting at 2026-10-01 = %+v, %v", g, ok)
	}
}

func TestVarInfos(t *testing.T) {
	for _, lang := range Langs() {
		infos := VarInfos(lang)
		if len(infos) != len(Variables()) {
			t.Fatalf("%s: %d infos", lang, len(infos))
		}
		for _, v := range infos {
			if v.Label == "" || v.Description == "" || v.Example == "" || v.From == "" || v.Key != "scripts.var."+v.Name {
				t.Errorf("%s: %+v", lang, v)
			}
		}
	}
	src := strings.Replace(string(defaultFile(t, "zh-Hans")), `# hotline = "400-000-0000"`, `hotline = "400-000-0000"`, 1)
	p, err := Parse("p.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	infos := p.VarInfos()
	if last := infos[len(infos)-1]; last.Name != "hotline" || last.From != "own" || last.Example != "400-000-0000" {
		t.Errorf("own var = %+v", last)
	}
	if VarInfos("zh-Hant")[0].Description == VarInfos("zh-Hans")[0].Description {
		t.Error("zh-Hant descriptions are the zh-Hans ones")
	}
}

func TestParty_Kind(t *testing.T) {
	tests := []struct {
		p    Party
		want CallerKind
	}{
		{Party{Surname: "王", Title: "先生"}, CallerKnown},
		{Party{Name: "王芳", Title: "女士"}, CallerKnown},
		{Party{Surname: "王"}, CallerSurnameOnly},
		{Party{Title: "女士"}, CallerTitleOnly},
		{Party{Name: "Alice"}, CallerAnonymous},
		{Party{}, CallerAnonymous},
	}
	for _, tt := range tests {
		if got := tt.p.Kind(); got != tt.want {
			t.Errorf("%+v.Kind() = %s, want %s", tt.p, got, tt.want)
		}
		if k, err := ParseCallerKind(tt.want.String()); err != nil || k != tt.want {
			t.Errorf("ParseCallerKind(%s) = %v, %v", tt.want, k, err)
		}
	}
	if _, err := ParseCallerKind("vip"); err == nil {
		t.Error("ParseCallerKind(vip) = nil error")
	}
}

// ParseCallerKind is the inverse of String.
func ParseCallerKind(s string) (CallerKind, error) {
	for _, k := range CallerKinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("unknown caller kind %q (known, surname_only, title_only, anonymous)", s)
}
