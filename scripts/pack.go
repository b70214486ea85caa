package scripts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // desks on Windows have no zoneinfo; Asia/Shanghai must load anywhere

	"github.com/BurntSushi/toml"
)

//go:embed packs/*.toml
var packFS embed.FS

// DefaultLang is the language of the desk unless configured otherwise.
const DefaultLang = "zh-Hans"

// DefaultTimeZone is the zone greetings are chosen in when a pack names none.
const DefaultTimeZone = "Asia/Shanghai"

// Langs returns the languages of the embedded default packs.
func Langs() []string { return []string{"zh-Hans", "zh-Hant", "en"} }

// DefaultPackFile returns the embedded default pack of lang as a file, for a
// trainer to copy and edit ("" means zh-Hans).
func DefaultPackFile(lang string) ([]byte, error) {
	if lang == "" {
		lang = DefaultLang
	}
	for _, l := range Langs() {
		if l == lang {
			return packFS.ReadFile("packs/" + l + ".toml")
		}
	}
	return nil, fmt.Errorf("no default script pack for language %q (have %s)", lang, strings.Join(Langs(), ", "))
}

// Default returns the embedded default pack of lang: "zh-Hans" (also for
// ""), "zh-Hant" or "en". Packs are immutable, so each is parsed once and
// shared.
func Default(lang string) (*Pack, error) {
	if lang == "" {
		lang = DefaultLang
	}
	data, err := DefaultPackFile(lang)
	if err != nil {
		return nil, err
	}
	v, _ := defaults.LoadOrStore(lang, sync.OnceValues(func() (*Pack, error) {
		return Parse("packs/"+lang+".toml", data)
	}))
	return v.(func() (*Pack, error))()
}

var defaults sync.Map // lang → func() (*Pack, error)

// LoadFile reads, parses and validates the pack at path. Problems in the
// pack are returned as PackErrors naming path.
func LoadFile(path string) (*Pack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script pack: %w", err)
	}
	return Parse(path, data)
}

// Pack is a validated script pack: what agents say, in one language.
// It is immutable and safe for concurrent use.
type Pack struct {
	file         string
	lang         string
	company      string
	loc          *time.Location
	vars         map[string]string
	slots        []Slot
	salutation   Salutation
	opening      Openings
	holidays     map[string]*Holiday
	holidayOrder []string
	overrides    map[string]map[int][]Range // holiday → year → ranges
	phrases      []Phrase
	steps        []Step
	callback     []Line
	closing      Closing
	parsed       map[string][]segment // every template of the pack, parsed once
}

// Slot is a time-of-day greeting: from From (inclusive) to To (exclusive),
// minutes after midnight, 0–1440.
type Slot struct {
	From, To int
	Greeting string
}

// Salutation says how to address a caller; see DOMAIN.md §3.
type Salutation struct {
	Titled    string // surname and title: "{{surname}}{{title}}" → 王先生
	Untitled  string // surname only: "{{surname}}先生/女士"
	TitleOnly string // title only: "{{title}}"; empty: use Anonymous
	// Anonymous is the word for a caller who gave no name (您), shown on
	// the caller card and by {{salutation}} outside an {{if salutation}};
	// empty: none, so a line must put {{salutation}} inside an if.
	Anonymous  string
	Titles     map[string]string // 先生/女士 → how this language writes them before or after a surname
	BareTitles map[string]string // 先生/女士 → how a title alone is said (en: sir, madam); default Titles
}

// Openings are the first lines of a call (DOMAIN.md §2).
type Openings struct {
	Standard string   // time-of-day greeting + welcome
	Short    string   // the short form
	Silent   string   // 无声电话
	Outbound string   // verification / callback calls
	Never    []string // never open like this
}

// Holiday is a holiday and its greeting, which replaces the time-of-day
// opening during its periods.
type Holiday struct {
	ID       string
	Name     string
	Greeting string
	Rule     HolidayRule // zero: the default calendar (built-in holidays) or notices only
}

// Phrase is a line of the phrase book: what to say in a situation, and
// what never to say.
type Phrase struct {
	ID        string
	Situation string
	Say       string
	Never     []string
}

// Step is one step of complaint intake, "five clears, one report"
// (DOMAIN.md §4): listen, ask, follow, reply, record, report.
type Step struct {
	ID     string
	Title  string
	Prompt string // guidance for the agent
	Say    string // what the agent may say; may be empty
}

// ComplaintStepIDs are the steps of complaint intake, in order.
var ComplaintStepIDs = []string{"listen", "ask", "follow", "reply", "record", "report"}

// Line is one line of the callback script (DOMAIN.md §5).
type Line struct {
	ID   string
	When string // when to say it, for the agent: "开始", "满意时"
	Say  string
}

// Closing holds the reassurance and closing lines (DOMAIN.md §3).
type Closing struct {
	Reassure []string
	Thanks   string
	Goodbye  string
	// HangUpFirst reminds the agent to let the caller hang up first; it is
	// guidance, not said. A pack without one gets its language's default.
	HangUpFirst string
}

// defaultHangUpFirst is the reminder for packs that have none.
var defaultHangUpFirst = [3]string{"请等客户先挂断电话，再挂机。", "請等客戶先掛斷電話，再掛電話。", "Let the caller hang up first."}

// Lang returns the pack's language tag.
func (p *Pack) Lang() string { return p.lang }

// File returns the name the pack was parsed from.
func (p *Pack) File() string { return p.file }

// Company returns the company or center name ({{company}}).
func (p *Pack) Company() string { return p.company }

// TimeZone returns the zone greetings are chosen in (default Asia/Shanghai).
func (p *Pack) TimeZone() *time.Location { return p.loc }

// Slots returns the time-of-day greetings, in order.
func (p *Pack) Slots() []Slot { return append([]Slot(nil), p.slots...) }

// Openings returns the opening line templates.
func (p *Pack) Openings() Openings {
	o := p.opening
	o.Never = append([]string(nil), o.Never...)
	return o
}

// Holidays returns the pack's holidays in priority order.
func (p *Pack) Holidays() []Holiday {
	out := make([]Holiday, len(p.holidayOrder))
	for i, id := range p.holidayOrder {
		out[i] = *p.holidays[id]
	}
	return out
}

// Phrases returns the phrase book.
func (p *Pack) Phrases() []Phrase {
	out := make([]Phrase, len(p.phrases))
	for i, ph := range p.phrases {
		ph.Never = append([]string(nil), ph.Never...)
		out[i] = ph
	}
	return out
}

// Phrase returns the phrase with id.
func (p *Pack) Phrase(id string) (Phrase, bool) {
	for _, ph := range p.phrases {
		if ph.ID == id {
			ph.Never = append([]string(nil), ph.Never...)
			return ph, true
		}
	}
	return Phrase{}, false
}

// ComplaintSteps returns the complaint intake steps in ComplaintStepIDs order.
func (p *Pack) ComplaintSteps() []Step { return append([]Step(nil), p.steps...) }

// Callback returns the callback script, in order.
func (p *Pack) Callback() []Line { return append([]Line(nil), p.callback...) }

// Closing returns the reassurance and closing lines.
func (p *Pack) Closing() Closing {
	c := p.closing
	c.Reassure = append([]string(nil), c.Reassure...)
	return c
}

// The file format. Field names are what trainers type.
type rawPack struct {
	Lang       string                `toml:"lang"`
	Company    string                `toml:"company"`
	TimeZone   string                `toml:"time_zone"`
	Vars       map[string]string     `toml:"vars"`
	Slots      []rawSlot             `toml:"slots"`
	Salutation rawSalutation         `toml:"salutation"`
	Opening    rawOpening            `toml:"opening"`
	Holidays   map[string]rawHoliday `toml:"holidays"`
	Calendar   []rawRange            `toml:"calendar"`
	Phrases    []rawPhrase           `toml:"phrases"`
	Complaint  map[string]rawStep    `toml:"complaint"`
	Callback   []rawLine             `toml:"callback"`
	Closing    rawClosing            `toml:"closing"`
}

type rawSlot struct {
	From     string `toml:"from"`
	To       string `toml:"to"`
	Greeting string `toml:"greeting"`
}

type rawSalutation struct {
	Titled     string            `toml:"titled"`
	Untitled   string            `toml:"untitled"`
	TitleOnly  string            `toml:"title_only"`
	Anonymous  string            `toml:"anonymous"`
	Titles     map[string]string `toml:"titles"`
	BareTitles map[string]string `toml:"bare_titles"`
}

type rawOpening struct {
	Standard string   `toml:"standard"`
	Short    string   `toml:"short"`
	Silent   string   `toml:"silent"`
	Outbound string   `toml:"outbound"`
	Never    []string `toml:"never"`
}

type rawHoliday struct {
	Name     string `toml:"name"`
	Greeting string `toml:"greeting"`
	Date     string `toml:"date"`
	Lunar    string `toml:"lunar"`
	Before   int    `toml:"before"`
	After    int    `toml:"after"`
}

type rawRange struct {
	Holiday string `toml:"holiday"`
	From    string `toml:"from"`
	To      string `toml:"to"`
}

type rawPhrase struct {
	ID        string   `toml:"id"`
	Situation string   `toml:"situation"`
	Say       string   `toml:"say"`
	Never     []string `toml:"never"`
}

type rawStep struct {
	Title  string `toml:"title"`
	Prompt string `toml:"prompt"`
	Say    string `toml:"say"`
}

type rawLine struct {
	ID   string `toml:"id"`
	When string `toml:"when"`
	Say  string `toml:"say"`
}

type rawClosing struct {
	Reassure    []string `toml:"reassure"`
	Thanks      string   `toml:"thanks"`
	Goodbye     string   `toml:"goodbye"`
	HangUpFirst string   `toml:"hang_up_first"`
}

// zones caches loaded time zones: loading one from the embedded database
// costs about a millisecond, and desks parse packs often (preview, publish).
var zones sync.Map // name → *time.Location

func loadLocation(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// checker collects problems with their lines and fields.
type checker struct {
	file  string
	lines keyLines
	errs  PackErrors
}

// args builds a PackError's Args from name, value pairs.
func args(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// at reports a problem with key (internal form, "phrases.3.say") at its line.
func (c *checker) at(key string, code ErrorCode, a map[string]string, format string, fa ...any) {
	c.atLine(c.lines.line(key), key, code, a, format, fa...)
}

// atLine reports a problem with key at line.
func (c *checker) atLine(line int, key string, code ErrorCode, a map[string]string, format string, fa ...any) {
	if a == nil {
		a = map[string]string{}
	}
	if key != "" {
		a["key"] = key
	}
	c.errs = append(c.errs, &PackError{File: c.file, Line: line, Msg: fmt.Sprintf(format, fa...),
		Path: pathOf(key), Code: code, Args: a})
}

// uniqueID reports id at key+".id" when an earlier entry recorded in seen
// (id → line) already used it; an empty id is left to required.
func (c *checker) uniqueID(seen map[string]int, key, what, id string) {
	if id == "" {
		return
	}
	if first, dup := seen[id]; dup {
		c.at(key+".id", CodeDuplicateID, args("what", what, "id", id, "first_line", strconv.Itoa(first)),
			"%s id %q is used twice (first on line %d)", what, id, first)
	} else {
		seen[id] = c.lines.line(key + ".id")
	}
}

// required reports a missing line when v is blank.
func (c *checker) required(key, v string) {
	if strings.TrimSpace(v) == "" {
		c.at(key, CodeRequired, nil, "missing required line %s", key)
	}
}

// decode reads data into raw, recording syntax errors, values of the wrong
// kind and unknown settings. It reports whether the file decoded.
func (c *checker) decode(data []byte, raw *rawPack) bool {
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(raw)
	if err != nil {
		c.decodeError(err)
		return false
	}
	c.lines = scanKeyLines(data)
	var reported []string
	for _, k := range md.Undecoded() {
		name := k.String()
		if slices.ContainsFunc(reported, func(r string) bool { return strings.HasPrefix(name, r+".") }) {
			continue // inside an unknown table already reported
		}
		reported = append(reported, name)
		c.atLine(c.lines.undecoded(k), strings.Join(k, "."), CodeUnknownSetting, nil,
			"unknown setting %q: check its spelling (it would be ignored)", k.String())
	}
	return true
}

// Parse parses and validates a pack; name is the file name used in errors.
// The error, when not nil, is a PackErrors listing every problem found.
func Parse(name string, data []byte) (*Pack, error) {
	c := &checker{file: name}
	var raw rawPack
	if !c.decode(data, &raw) {
		return nil, c.errs
	}
	p := &Pack{file: name, parsed: map[string][]segment{}}
	p.check(c, &raw)
	if len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	return p, nil
}

// typeErr matches the decoder's error for a value of the wrong kind, which
// is not a toml.ParseError.
var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]*)"\): incompatible types: TOML value has type ([^;]+); destination has type (.+)$`)

// kinds names TOML value kinds for trainers.
var kinds = map[string]string{
	"string": "text in quotes", "int64": "a number", "float64": "a number", "int": "a whole number",
	"bool": "true or false", "slice": "a list", "time.Time": "a date or time", "[]string": "a list of texts",
	"[]interface {}": "a list", "map[string]interface {}": "a table",
}

func kindName(t string) string {
	if k, ok := kinds[t]; ok {
		return k
	}
	if strings.HasPrefix(t, "[]") {
		return "a list"
	}
	if strings.HasPrefix(t, "map") || strings.HasPrefix(t, "scripts.raw") {
		return "a table"
	}
	return t
}

// decodeError records a TOML syntax or type error at its line.
func (c *checker) decodeError(err error) {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		line := max(pe.Position.Line, 1)
		c.atLine(line, "", CodeTOMLSyntax, args("detail", pe.Message), "the file is not valid TOML: %s", pe.Message)
		return
	}
	if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		want, got := kindName(m[4]), kindName(m[3])
		c.atLine(max(line, 1), m[2], CodeWrongKind, args("want", want, "got", got), "%s must be %s, not %s", m[2], want, got)
		return
	}
	c.atLine(1, "", CodeUnreadable, args("detail", err.Error()), "the file cannot be read as a script pack: %v", err)
}

// undecoded returns the line of a key the decoder did not use. The decoder
// leaves out the index of array-of-table elements, so the first scanned key
// that matches without indexes is taken.
func (kl keyLines) undecoded(k toml.Key) int {
	want := strings.Join(k, ".")
	best := 0
	for path, line := range kl {
		var parts []string
		for _, part := range strings.Split(path, ".") {
			if _, err := strconv.Atoi(part); err != nil {
				parts = append(parts, part)
			}
		}
		if strings.Join(parts, ".") == want && (best == 0 || line < best) {
			best = line
		}
	}
	if best == 0 {
		return kl.line(want)
	}
	return best
}

func (p *Pack) check(c *checker, raw *rawPack) {
	p.lang = strings.TrimSpace(raw.Lang)
	c.required("lang", p.lang)
	p.company = raw.Company
	c.required("company", p.company)

	tz := raw.TimeZone
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, err := loadLocation(tz)
	if err != nil || tz == "Local" {
		c.at("time_zone", CodeUnknownTimeZone, args("zone", raw.TimeZone), "unknown time zone %q: use a name like Asia/Shanghai", raw.TimeZone)
		loc, _ = loadLocation(DefaultTimeZone)
	}
	p.loc = loc

	known := map[string]bool{}
	for n := range builtinVars {
		known[n] = true
	}
	p.vars = map[string]string{}
	for n, v := range raw.Vars {
		switch {
		case !validVarName(n):
			c.at("vars."+n, CodeBadVariableName, args("var", n), "variable name %q may only use letters, digits, _ and .", n)
		case builtinVars[n].from != "" || reserved[n]:
			c.at("vars."+n, CodeBuiltinVariable, args("var", n), "variable %q is built in and cannot be set in [vars]", n)
		default:
			p.vars[n] = v
			known[n] = true
		}
	}

	p.checkSlots(c, raw.Slots)

	s := raw.Salutation
	p.salutation = Salutation{Titled: s.Titled, Untitled: s.Untitled, TitleOnly: s.TitleOnly, Anonymous: s.Anonymous,
		Titles: map[string]string{}, BareTitles: map[string]string{}}
	c.required("salutation.titled", s.Titled)
	c.required("salutation.untitled", s.Untitled)
	for _, t := range []struct {
		table string
		m     map[string]string
		into  map[string]string
	}{{"titles", s.Titles, p.salutation.Titles}, {"bare_titles", s.BareTitles, p.salutation.BareTitles}} {
		for k, v := range t.m {
			if k != "先生" && k != "女士" {
				c.at("salutation."+t.table+"."+k, CodeUnknownTitle, args("title", k), "title %q: only 先生 and 女士 can be translated here", k)
			}
			t.into[k] = v
		}
	}
	salVars := map[string]bool{"surname": true, "title": true}
	for _, f := range []struct{ key, text string }{
		{"salutation.titled", s.Titled}, {"salutation.untitled", s.Untitled},
		{"salutation.title_only", s.TitleOnly}, {"salutation.anonymous", s.Anonymous},
	} {
		p.template(c, f.key, f.text, salVars, CodeSalutationVariable, "in a salutation only {{surname}} and {{title}} can be used")
	}

	o := raw.Opening
	if len(o.Never) == 0 {
		o.Never = nil
	}
	p.opening = Openings(o)
	c.required("opening.standard", o.Standard)
	c.required("opening.silent", o.Silent)
	c.required("opening.outbound", o.Outbound)
	for _, f := range []struct{ key, text string }{
		{"opening.standard", o.Standard}, {"opening.short", o.Short},
		{"opening.silent", o.Silent}, {"opening.outbound", o.Outbound},
	} {
		p.template(c, f.key, f.text, known, CodeUnknownVariable, "")
	}

	p.checkHolidays(c, raw, known)

	seen := map[string]int{}
	for i, ph := range raw.Phrases {
		key := "phrases." + strconv.Itoa(i)
		c.required(key+".id", ph.ID)
		c.required(key+".situation", ph.Situation)
		c.required(key+".say", ph.Say)
		p.template(c, key+".say", ph.Say, known, CodeUnknownVariable, "")
		c.uniqueID(seen, key, "phrase", ph.ID)
		if len(ph.Never) == 0 {
			ph.Never = nil // never = [] is no list
		}
		p.phrases = append(p.phrases, Phrase(ph))
	}
	if len(raw.Phrases) == 0 {
		c.atLine(1, "phrases", CodeRequired, nil, "missing required section [[phrases]]: the phrase book is empty")
	}

	for _, id := range ComplaintStepIDs {
		st, ok := raw.Complaint[id]
		key := "complaint." + id
		if !ok {
			c.atLine(c.lines.line("complaint"), key, CodeRequired, nil, "missing required complaint step [complaint.%s]", id)
			continue
		}
		c.required(key+".title", st.Title)
		c.required(key+".prompt", st.Prompt)
		p.template(c, key+".prompt", st.Prompt, known, CodeUnknownVariable, "")
		p.template(c, key+".say", st.Say, known, CodeUnknownVariable, "")
		p.steps = append(p.steps, Step{ID: id, Title: st.Title, Prompt: st.Prompt, Say: st.Say})
	}
	var unknownSteps []string
	for id := range raw.Complaint {
		if !contains(ComplaintStepIDs, id) {
			unknownSteps = append(unknownSteps, id)
		}
	}
	sort.Strings(unknownSteps)
	for _, id := range unknownSteps {
		steps := strings.Join(ComplaintStepIDs, ", ")
		c.at("complaint."+id, CodeUnknownStep, args("step", id, "steps", steps), "unknown complaint step %q (the steps are %s)", id, steps)
	}

	seen = map[string]int{}
	for i, l := range raw.Callback {
		key := "callback." + strconv.Itoa(i)
		c.required(key+".id", l.ID)
		c.required(key+".say", l.Say)
		p.template(c, key+".say", l.Say, known, CodeUnknownVariable, "")
		c.uniqueID(seen, key, "callback line", l.ID)
		p.callback = append(p.callback, Line(l))
	}
	if len(raw.Callback) == 0 {
		c.atLine(1, "callback", CodeRequired, nil, "missing required section [[callback]]: the callback script is empty")
	}

	if len(raw.Closing.Reassure) == 0 {
		raw.Closing.Reassure = nil
	}
	p.closing = Closing{Reassure: raw.Closing.Reassure, Thanks: raw.Closing.Thanks, Goodbye: raw.Closing.Goodbye, HangUpFirst: raw.Closing.HangUpFirst}
	if strings.TrimSpace(p.closing.HangUpFirst) == "" {
		p.closing.HangUpFirst = defaultHangUpFirst[family(p.lang)]
	}
	c.required("closing.goodbye", raw.Closing.Goodbye)
	p.template(c, "closing.thanks", raw.Closing.Thanks, known, CodeUnknownVariable, "")
	p.template(c, "closing.goodbye", raw.Closing.Goodbye, known, CodeUnknownVariable, "")
	for i, r := range raw.Closing.Reassure {
		p.template(c, "closing.reassure."+strconv.Itoa(i), r, known, CodeUnknownVariable, "")
	}
}

// template checks the variables of a template line and keeps it parsed.
func (p *Pack) template(c *checker, key, text string, known map[string]bool, code ErrorCode, hint string) {
	if text == "" {
		return
	}
	base := c.lines.line(key) + c.lines[key+bodySuffix]
	segs, err := parseTemplate(text)
	if err != nil {
		var te *TemplateError
		problem, line := ProblemBadName, 0
		if errors.As(err, &te) {
			problem, line = te.Problem, te.Line
		}
		c.atLine(base+line, key, CodeTemplateSyntax, args("problem", problem, "detail", err.Error()), "%s: %v", key, err)
		return
	}
	p.parsed[text] = segs
	for _, s := range segs {
		if (s.kind != tokVar && s.kind != tokIf) || known[s.text] {
			continue
		}
		msg := hint
		if msg == "" {
			msg = "known variables: " + strings.Join(knownList(known), ", ")
		}
		c.atLine(base+s.line, key, code, args("var", s.text), "unknown variable {{%s}} in %s (%s)", s.text, key, msg)
	}
}

func knownList(known map[string]bool) []string {
	out := make([]string, 0, len(known))
	for n := range known {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseClock parses HH:MM into minutes after midnight; 24:00 is allowed as
// the end of the day.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("%q is not a time like 09:30", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 {
		return 0, fmt.Errorf("%q is not a time like 09:30", s)
	}
	if hh > 24 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 24:00)", s)
	}
	return hh*60 + mm, nil
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

func (p *Pack) checkSlots(c *checker, raw []rawSlot) {
	if len(raw) == 0 {
		c.atLine(1, "slots", CodeRequired, nil, "missing required section [[slots]]: the time-of-day greetings (早上好！ from 00:00 to 12:00…)")
		return
	}
	var slots []Slot
	keys := map[int]string{} // From → key, for the checks below
	for i, s := range raw {
		key := "slots." + strconv.Itoa(i)
		from, errF := parseClock(s.From)
		if errF != nil {
			c.at(key+".from", CodeBadSlotTime, args("value", s.From), "bad time slot: %v", errF)
		}
		to, errT := parseClock(s.To)
		if errT != nil {
			c.at(key+".to", CodeBadSlotTime, args("value", s.To), "bad time slot: %v", errT)
		}
		c.required(key+".greeting", s.Greeting)
		if errF != nil || errT != nil {
			continue
		}
		if from == 24*60 {
			c.at(key+".from", CodeSlotStartsAt24, nil, "bad time slot: a slot cannot start at 24:00")
			continue
		}
		if to <= from {
			c.at(key+".to", CodeSlotInverted, args("from", s.From, "to", s.To), "bad time slot: it ends (%s) before it starts (%s); split a slot that crosses midnight in two", s.To, s.From)
			continue
		}
		if _, dup := keys[from]; !dup {
			keys[from] = key + ".from"
		}
		slots = append(slots, Slot{From: from, To: to, Greeting: s.Greeting})
	}
	if len(slots) != len(raw) {
		return // a bad slot: gaps and overlaps would only repeat it
	}
	sort.SliceStable(slots, func(a, b int) bool { return slots[a].From < slots[b].From })
	end := 0
	ok := true
	for _, s := range slots {
		switch {
		case s.From < end:
			c.at(keys[s.From], CodeSlotOverlap, args("from", clock(s.From), "to", clock(s.To), "end", clock(end)),
				"bad time slot: %s–%s overlaps the slot before it, which ends at %s", clock(s.From), clock(s.To), clock(end))
			ok = false
		case s.From > end:
			c.at(keys[s.From], CodeSlotGap, args("from", clock(end), "to", clock(s.From)),
				"bad time slot: no greeting from %s to %s; the slots must cover the whole day", clock(end), clock(s.From))
			ok = false
		}
		end = max(end, s.To)
	}
	if end < 24*60 {
		c.at("slots", CodeSlotGap, args("from", clock(end), "to", "24:00"), "bad time slot: no greeting from %s to 24:00; the slots must cover the whole day", clock(end))
		ok = false
	}
	if ok {
		p.slots = slots
	}
}

// maxRangeDays bounds a holiday period; a longer one is almost always a
// mistyped year or month.
const maxRangeDays = 31

// parseMonthDay parses a rule's MM-DD; lunar days go to 30, solar ones to
// the month's length in a leap year.
func parseMonthDay(s string, lunar bool) (month, day int, err error) {
	m, d, ok := strings.Cut(s, "-")
	if ok && len(m) == 2 && len(d) == 2 {
		month, err1 := strconv.Atoi(m)
		day, err2 := strconv.Atoi(d)
		limit := 30
		if !lunar && err1 == nil && month >= 1 && month <= 12 {
			limit = Date{2000, time.Month(month), 1}.monthDays()
		}
		if err1 == nil && err2 == nil && month >= 1 && month <= 12 && day >= 1 && day <= limit {
			return month, day, nil
		}
	}
	if lunar {
		return 0, 0, fmt.Errorf("%q is not a lunar month and day like 05-05 (months 01–12, days 01–30)", s)
	}
	return 0, 0, fmt.Errorf("%q is not a month and day like 10-10", s)
}

// monthDays returns the number of days of d's month.
func (d Date) monthDays() int {
	next := Date{d.Year, d.Month, 1}.AddDays(32)
	return Date{next.Year, next.Month, 1}.AddDays(-1).Day
}

// rule checks a holiday's date rule.
func (c *checker) rule(key string, h rawHoliday) HolidayRule {
	var r HolidayRule
	switch {
	case h.Date != "" && h.Lunar != "":
		c.at(key+".lunar", CodeRuleDateAndLunar, nil, "%s has both date and lunar: give one", key)
		return r
	case h.Date != "" || h.Lunar != "":
		field, v := "date", h.Date
		if h.Lunar != "" {
			field, v, r.Lunar = "lunar", h.Lunar, true
		}
		m, d, err := parseMonthDay(v, r.Lunar)
		if err != nil {
			c.at(key+"."+field, CodeBadRuleDate, args("value", v, "calendar", field), "bad holiday %s: %v", field, err)
			return HolidayRule{}
		}
		r.Month, r.Day, r.Line = m, d, c.lines.line(key+"."+field)
	case h.Before != 0 || h.After != 0:
		k := key + ".before"
		if h.Before == 0 {
			k = key + ".after"
		}
		c.at(k, CodeSpanWithoutDate, nil, "%s: before and after count days around a date; give date or lunar too", key)
		return r
	default:
		return r
	}
	if h.Before < 0 || h.After < 0 || h.Before+h.After+1 > maxRangeDays {
		k := key + ".before"
		if h.After < 0 || h.Before >= 0 && h.After > h.Before {
			k = key + ".after"
		}
		c.at(k, CodeBadRuleSpan, args("before", strconv.Itoa(h.Before), "after", strconv.Itoa(h.After), "max", strconv.Itoa(maxRangeDays)),
			"%s: before and after must be 0 or more, for at most %d days in all", key, maxRangeDays)
		return HolidayRule{}
	}
	r.Before, r.After = h.Before, h.After
	return r
}

func (p *Pack) checkHolidays(c *checker, raw *rawPack, known map[string]bool) {
	p.holidays = map[string]*Holiday{}
	var extra []string
	for id := range raw.Holidays {
		if !contains(holidayPriority, id) {
			extra = append(extra, id)
		}
	}
	sort.Strings(extra)
	for _, id := range append(append([]string(nil), holidayPriority...), extra...) {
		h, ok := raw.Holidays[id]
		if !ok {
			continue // a built-in holiday the pack removed
		}
		key := "holidays." + id
		c.required(key+".name", h.Name)
		c.required(key+".greeting", h.Greeting)
		p.template(c, key+".greeting", h.Greeting, known, CodeUnknownVariable, "")
		p.holidays[id] = &Holiday{ID: id, Name: h.Name, Greeting: h.Greeting, Rule: c.rule(key, h)}
		p.holidayOrder = append(p.holidayOrder, id)
	}

	p.overrides = map[string]map[int][]Range{}
	var all []Range
	for i, r := range raw.Calendar {
		key := "calendar." + strconv.Itoa(i)
		line := c.lines.line(key + ".from")
		if _, ok := raw.Holidays[r.Holiday]; !ok {
			if r.Holiday == "" {
				c.at(key+".holiday", CodeRequired, nil, "missing required line %s.holiday", key)
			} else {
				ids := strings.Join(holidayIDs(raw.Holidays), ", ")
				c.at(key+".holiday", CodeUnknownHoliday, args("holiday", r.Holiday, "holidays", ids), "unknown holiday %q: add it under [holidays] or use one of %s", r.Holiday, ids)
			}
		}
		from, errF := ParseDate(r.From)
		if errF != nil {
			c.at(key+".from", CodeBadDate, args("value", r.From), "bad holiday date: %v", errF)
		}
		to, errT := ParseDate(r.To)
		if errT != nil {
			c.at(key+".to", CodeBadDate, args("value", r.To), "bad holiday date: %v", errT)
		}
		if errF != nil || errT != nil {
			continue
		}
		if to.Before(from) {
			c.at(key+".to", CodeRangeInverted, args("from", from.String(), "to", to.String()), "holiday range is inverted: it ends (%s) before it starts (%s)", to, from)
			continue
		}
		rg := Range{Holiday: r.Holiday, From: from, To: to, Line: line, Source: SourceNotice}
		if n := rg.Days(); n > maxRangeDays {
			c.at(key+".to", CodeRangeTooLong, args("from", from.String(), "to", to.String(), "days", strconv.Itoa(n), "max", strconv.Itoa(maxRangeDays)),
				"holiday range %s to %s lasts %d days (at most %d): is a year or month mistyped?", from, to, n, maxRangeDays)
			continue
		}
		for _, o := range all {
			if !rg.To.Before(o.From) && !o.To.Before(rg.From) {
				c.atLine(line, key, CodeRangeOverlap, args("holiday", r.Holiday, "from", from.String(), "to", to.String(),
					"other", o.Holiday, "other_from", o.From.String(), "other_to", o.To.String(), "other_line", strconv.Itoa(o.Line)),
					"holiday range %s %s to %s overlaps %s %s to %s (line %d): a day can have only one holiday greeting", r.Holiday, from, to, o.Holiday, o.From, o.To, o.Line)
			}
		}
		all = append(all, rg)
		if p.overrides[r.Holiday] == nil {
			p.overrides[r.Holiday] = map[int][]Range{}
		}
		p.overrides[r.Holiday][rg.Year()] = append(p.overrides[r.Holiday][rg.Year()], rg)
	}
	for _, id := range extra {
		if p.holidays[id].Rule.IsZero() && len(p.overrides[id]) == 0 {
			key := "holidays." + id
			c.at(key, CodeHolidayWithoutDate, args("holiday", id),
				"holiday %q has no dates: give it date = \"MM-DD\" or lunar = \"MM-DD\", or ranges in [[calendar]]", id)
		}
	}
}

// holidayIDs returns the ids of a pack's holidays, sorted.
func holidayIDs(m map[string]rawHoliday) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
