package scripts

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Form is a pack as the trainer's editor shows it: every setting as a field
// of plain text (times, dates and rules stay as typed, so a wrong one can
// be shown at its field), the lists in file order. ReadForm makes one from
// a pack file, TOML writes it back, and Check validates what TOML writes:
// the form view and the text view edit the same file.
//
// The comments a trainer wrote survive a ReadForm/TOML round trip when they
// stand on the lines above a table header, an array element or a key, or
// at the end of a key's or header's line; they move with their item when
// the form reorders or deletes items (a deleted item's comments go with it;
// those above the first item of a list stay with the list). The file's
// opening comment block and the comments after its last setting stay at
// the top and bottom. Lost are comments inside a multi-line list or after
// the closing quotes of a multi-line text, and the file's own layout:
// TOML writes settings in the order of the default packs, one per line,
// with quoting of its own.
type Form struct {
	Lang       string
	Company    string
	TimeZone   string // "" for Asia/Shanghai
	Vars       []FormVar
	Slots      []FormSlot
	Salutation FormSalutation
	Opening    FormOpening
	// Holidays in file order; Check reports them in priority order.
	Holidays []FormHoliday
	// Calendar is the file's [[calendar]] list: each year's notices. The
	// editor shows a holiday's entries with it; PackError paths index this
	// list (calendar[2].from).
	Calendar  []FormRange
	Phrases   []FormPhrase
	Complaint []FormStep
	Callback  []FormLine
	Closing   FormClosing

	header, trailer []string            // the file's opening comments and what follows its last setting
	n               notes               // top-level keys and single tables, by path
	sections        map[string][]string // comments above the first item of a list
}

// FormVar is one of the pack's own variables.
type FormVar struct {
	Name, Value string
	n           notes
}

// FormSlot is a time-of-day greeting; From and To are HH:MM.
type FormSlot struct {
	From, To, Greeting string
	n                  notes
}

// FormSalutation is how callers are addressed.
type FormSalutation struct {
	Titled, Untitled, TitleOnly, Anonymous string
	Titles                                 map[string]string // 先生/女士 → written form
	BareTitles                             map[string]string // 先生/女士 → said alone (sir/madam)
	n                                      notes
}

// FormOpening holds the opening lines.
type FormOpening struct {
	Standard, Short, Silent, Outbound string
	Never                             []string
	n                                 notes
}

// FormHoliday is a holiday: its greeting and, optionally, the rule giving
// its dates every year: Date (solar MM-DD) or Lunar (lunar MM-DD), with
// Before and After days around it. A built-in holiday (BuiltinHolidays)
// without a rule keeps the default calendar; any holiday's [[calendar]]
// entries replace its dates in their year.
type FormHoliday struct {
	ID, Name, Greeting string
	Date, Lunar        string
	Before, After      int
	n                  notes
}

// Builtin reports whether the default calendar knows the holiday.
func (h FormHoliday) Builtin() bool { return contains(holidayPriority, h.ID) }

// FormRange is one year's notice for a holiday: From and To are YYYY-MM-DD.
type FormRange struct {
	Holiday, From, To string
	n                 notes
}

// FormPhrase is a phrase book entry.
type FormPhrase struct {
	ID, Situation, Say string
	Never              []string
	n                  notes
}

// FormStep is a complaint step's prompt and line; ID is one of
// ComplaintStepIDs.
type FormStep struct {
	ID, Title, Prompt, Say string
	n                      notes
}

// FormLine is a line of the callback script.
type FormLine struct {
	ID, When, Say string
	n             notes
}

// FormClosing holds the end-of-call lines.
type FormClosing struct {
	Reassure        []string
	Thanks, Goodbye string
	HangUpFirst     string
	n               notes
}

// notes are the comments of one table, by key ("" for its header).
type notes map[string]*note

type note struct {
	lead  []string // comment and blank lines above
	trail string   // a comment at the end of the line, with the spaces before it
}

func (n notes) get(k string) *note {
	if n == nil {
		return nil
	}
	return n[k]
}

func (n *notes) set(k string, v *note) {
	if *n == nil {
		*n = notes{}
	}
	(*n)[k] = v
}

// ReadForm reads a pack file into a Form. It fails, with PackErrors, only
// when the form could not hold the file: it is not TOML, a value is of the
// wrong kind, or a setting is unknown (it would be lost). Everything else a
// pack can get wrong is for Check to report, at its field.
func ReadForm(name string, data []byte) (*Form, error) {
	c := &checker{file: name}
	var raw rawPack
	if !c.decode(data, &raw) || len(c.errs) > 0 {
		return nil, c.errs.sorted()
	}
	kl := c.lines
	f := &Form{Lang: raw.Lang, Company: raw.Company, TimeZone: raw.TimeZone, sections: map[string][]string{}}
	for _, n := range sortedByLine(kl, "vars.", keysOf(raw.Vars)) {
		f.Vars = append(f.Vars, FormVar{Name: n, Value: raw.Vars[n]})
	}
	for _, s := range raw.Slots {
		f.Slots = append(f.Slots, FormSlot{From: s.From, To: s.To, Greeting: s.Greeting})
	}
	s := raw.Salutation
	f.Salutation = FormSalutation{Titled: s.Titled, Untitled: s.Untitled, TitleOnly: s.TitleOnly, Anonymous: s.Anonymous,
		Titles: s.Titles, BareTitles: s.BareTitles}
	f.Opening = FormOpening{Standard: raw.Opening.Standard, Short: raw.Opening.Short, Silent: raw.Opening.Silent,
		Outbound: raw.Opening.Outbound, Never: raw.Opening.Never}
	for _, id := range sortedByLine(kl, "holidays.", keysOf(raw.Holidays)) {
		h := raw.Holidays[id]
		f.Holidays = append(f.Holidays, FormHoliday{ID: id, Name: h.Name, Greeting: h.Greeting, Date: h.Date, Lunar: h.Lunar, Before: h.Before, After: h.After})
	}
	for _, r := range raw.Calendar {
		f.Calendar = append(f.Calendar, FormRange{Holiday: r.Holiday, From: r.From, To: r.To})
	}
	for _, ph := range raw.Phrases {
		f.Phrases = append(f.Phrases, FormPhrase{ID: ph.ID, Situation: ph.Situation, Say: ph.Say, Never: ph.Never})
	}
	for _, id := range sortedByLine(kl, "complaint.", keysOf(raw.Complaint)) {
		st := raw.Complaint[id]
		f.Complaint = append(f.Complaint, FormStep{ID: id, Title: st.Title, Prompt: st.Prompt, Say: st.Say})
	}
	for _, l := range raw.Callback {
		f.Callback = append(f.Callback, FormLine{ID: l.ID, When: l.When, Say: l.Say})
	}
	cl := raw.Closing
	f.Closing = FormClosing{Reassure: cl.Reassure, Thanks: cl.Thanks, Goodbye: cl.Goodbye, HangUpFirst: cl.HangUpFirst}
	f.readNotes(data)
	return f, nil
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sortedByLine orders the keys of a table by the line they are on (ties and
// keys without a line by name).
func sortedByLine(kl keyLines, prefix string, keys []string) []string {
	sort.Slice(keys, func(i, j int) bool {
		li, lj := kl.line(prefix+keys[i]), kl.line(prefix+keys[j])
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// readNotes attaches the comments of data to the form's items.
func (f *Form) readNotes(data []byte) {
	var pending []string
	first := true
	walkTOML(data, func(ev tomlEvent) {
		if ev.kind == evLoose {
			if t := strings.TrimSpace(ev.raw); t == "" || strings.HasPrefix(t, "#") {
				pending = append(pending, ev.raw)
			}
			return
		}
		nt := &note{lead: pending, trail: ev.trail}
		pending = nil
		if first {
			f.header, nt.lead = nt.lead, nil
			first = false
		}
		if len(nt.lead) > 0 || nt.trail != "" {
			f.attach(ev.path, nt)
		}
	})
	f.trailer = pending
	// The comments above a list's first item are the list's.
	lift := func(name string, n notes) {
		if nt := n.get(""); nt != nil && len(nt.lead) > 0 {
			f.sections[name] = nt.lead
			nt.lead = nil
		}
	}
	if len(f.Slots) > 0 {
		lift("slots", f.Slots[0].n)
	}
	if len(f.Holidays) > 0 {
		lift("holidays", f.Holidays[0].n)
	}
	if len(f.Calendar) > 0 {
		lift("calendar", f.Calendar[0].n)
	}
	if len(f.Phrases) > 0 {
		lift("phrases", f.Phrases[0].n)
	}
	if len(f.Complaint) > 0 {
		lift("complaint", f.Complaint[0].n)
	}
	if len(f.Callback) > 0 {
		lift("callback", f.Callback[0].n)
	}
}

// attach gives a comment to the item at path (a header's path, or a key's).
// Comments of paths the form does not have are dropped.
func (f *Form) attach(path string, nt *note) {
	head, rest, _ := strings.Cut(path, ".")
	index := func(n int) (int, string, bool) {
		is, key, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(is)
		if err != nil || i < 0 || i >= n {
			return 0, "", false
		}
		return i, key, true
	}
	byID := func(ids []string) (int, string, bool) {
		best, bestKey := -1, ""
		for i, id := range ids {
			if rest == id {
				return i, "", true
			}
			if strings.HasPrefix(rest, id+".") && (best < 0 || len(id) > len(ids[best])) {
				best, bestKey = i, rest[len(id)+1:]
			}
		}
		return best, bestKey, best >= 0
	}
	switch head {
	case "lang", "company", "time_zone":
		if rest == "" {
			f.n.set(head, nt)
		}
	case "vars":
		if rest == "" {
			f.n.set("vars", nt)
			return
		}
		for i := range f.Vars {
			if f.Vars[i].Name == rest {
				f.Vars[i].n.set("", nt)
			}
		}
	case "salutation":
		f.Salutation.n.set(rest, nt)
	case "opening":
		f.Opening.n.set(rest, nt)
	case "closing":
		f.Closing.n.set(rest, nt)
	case "slots":
		if i, k, ok := index(len(f.Slots)); ok {
			f.Slots[i].n.set(k, nt)
		}
	case "calendar":
		if i, k, ok := index(len(f.Calendar)); ok {
			f.Calendar[i].n.set(k, nt)
		}
	case "phrases":
		if i, k, ok := index(len(f.Phrases)); ok {
			f.Phrases[i].n.set(k, nt)
		}
	case "callback":
		if i, k, ok := index(len(f.Callback)); ok {
			f.Callback[i].n.set(k, nt)
		}
	case "holidays":
		ids := make([]string, len(f.Holidays))
		for i, h := range f.Holidays {
			ids[i] = h.ID
		}
		if i, k, ok := byID(ids); ok {
			f.Holidays[i].n.set(k, nt)
		}
	case "complaint":
		ids := make([]string, len(f.Complaint))
		for i, s := range f.Complaint {
			ids[i] = s.ID
		}
		if i, k, ok := byID(ids); ok {
			f.Complaint[i].n.set(k, nt)
		}
	}
}

// Check validates the form as the pack TOML writes; name is the file name
// for errors, whose Path locates the field and Line the line of TOML().
func (f *Form) Check(name string) (*Pack, error) { return Parse(name, f.TOML()) }

// TOML writes the form as a pack file.
func (f *Form) TOML() []byte {
	w := &tomlWriter{}
	w.lines(f.header)
	w.key(f.n, "lang", "lang", f.Lang, true)
	w.key(f.n, "company", "company", f.Company, true)
	w.key(f.n, "time_zone", "time_zone", f.TimeZone, false)
	if len(f.Vars) > 0 || f.n.get("vars") != nil {
		w.header(f.n.get("vars"), "[vars]")
		for _, v := range f.Vars {
			w.key(v.n, "", v.Name, v.Value, true)
		}
	}
	w.lines(f.sections["slots"])
	for _, s := range f.Slots {
		w.header(s.n.get(""), "[[slots]]")
		w.key(s.n, "from", "from", s.From, true)
		w.key(s.n, "to", "to", s.To, true)
		w.key(s.n, "greeting", "greeting", s.Greeting, true)
	}
	sal := f.Salutation
	w.header(sal.n.get(""), "[salutation]")
	w.key(sal.n, "titled", "titled", sal.Titled, true)
	w.key(sal.n, "untitled", "untitled", sal.Untitled, true)
	w.key(sal.n, "title_only", "title_only", sal.TitleOnly, false)
	w.key(sal.n, "anonymous", "anonymous", sal.Anonymous, false)
	for _, t := range []struct {
		table string
		m     map[string]string
	}{{"titles", sal.Titles}, {"bare_titles", sal.BareTitles}} {
		if len(t.m) == 0 && sal.n.get(t.table) == nil {
			continue
		}
		w.header(sal.n.get(t.table), "[salutation."+t.table+"]")
		for _, k := range titleOrder(t.m) {
			w.key(sal.n, t.table+"."+k, k, t.m[k], true)
		}
	}
	o := f.Opening
	w.header(o.n.get(""), "[opening]")
	w.key(o.n, "standard", "standard", o.Standard, true)
	w.key(o.n, "short", "short", o.Short, false)
	w.key(o.n, "silent", "silent", o.Silent, true)
	w.key(o.n, "outbound", "outbound", o.Outbound, true)
	w.list(o.n, "never", o.Never)
	w.lines(f.sections["holidays"])
	for _, h := range f.Holidays {
		w.header(h.n.get(""), "[holidays."+tomlKey(h.ID)+"]")
		w.key(h.n, "name", "name", h.Name, true)
		w.key(h.n, "greeting", "greeting", h.Greeting, true)
		w.key(h.n, "date", "date", h.Date, false)
		w.key(h.n, "lunar", "lunar", h.Lunar, false)
		w.int(h.n, "before", h.Before)
		w.int(h.n, "after", h.After)
	}
	w.lines(f.sections["calendar"])
	for _, r := range f.Calendar {
		w.header(r.n.get(""), "[[calendar]]")
		w.key(r.n, "holiday", "holiday", r.Holiday, true)
		w.key(r.n, "from", "from", r.From, true)
		w.key(r.n, "to", "to", r.To, true)
	}
	w.lines(f.sections["phrases"])
	for _, ph := range f.Phrases {
		w.header(ph.n.get(""), "[[phrases]]")
		w.key(ph.n, "id", "id", ph.ID, true)
		w.key(ph.n, "situation", "situation", ph.Situation, true)
		w.key(ph.n, "say", "say", ph.Say, true)
		w.list(ph.n, "never", ph.Never)
	}
	w.lines(f.sections["complaint"])
	for _, s := range f.Complaint {
		w.header(s.n.get(""), "[complaint."+tomlKey(s.ID)+"]")
		w.key(s.n, "title", "title", s.Title, true)
		w.key(s.n, "prompt", "prompt", s.Prompt, true)
		w.key(s.n, "say", "say", s.Say, false)
	}
	w.lines(f.sections["callback"])
	for _, l := range f.Callback {
		w.header(l.n.get(""), "[[callback]]")
		w.key(l.n, "id", "id", l.ID, true)
		w.key(l.n, "when", "when", l.When, false)
		w.key(l.n, "say", "say", l.Say, true)
	}
	c := f.Closing
	w.header(c.n.get(""), "[closing]")
	w.list(c.n, "reassure", c.Reassure)
	w.key(c.n, "thanks", "thanks", c.Thanks, false)
	w.key(c.n, "goodbye", "goodbye", c.Goodbye, true)
	w.key(c.n, "hang_up_first", "hang_up_first", c.HangUpFirst, false)
	w.lines(trimBlank(f.trailer))
	return w.bytes()
}

// titleOrder lists a titles table's keys: 先生, 女士, then any others.
func titleOrder(m map[string]string) []string {
	var out, rest []string
	for _, k := range []string{"先生", "女士"} {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for k := range m {
		if k != "先生" && k != "女士" {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// tomlWriter writes a pack file line by line.
type tomlWriter struct {
	b    bytes.Buffer
	last string // the last line written
	any  bool
}

func (w *tomlWriter) line(s string) {
	w.b.WriteString(s)
	w.b.WriteByte('\n')
	w.last, w.any = s, true
}

func (w *tomlWriter) lines(ls []string) {
	for _, l := range ls {
		w.line(l)
	}
}

// lead writes the comments above a line.
func (w *tomlWriter) lead(nt *note) {
	if nt != nil {
		w.lines(nt.lead)
	}
}

func withTrail(s string, nt *note) string {
	if nt != nil && nt.trail != "" {
		if !strings.HasPrefix(nt.trail, " ") && !strings.HasPrefix(nt.trail, "\t") {
			return s + " " + nt.trail
		}
		return s + nt.trail
	}
	return s
}

// header writes a table header, after a blank line unless a blank or a
// comment comes right before it.
func (w *tomlWriter) header(nt *note, h string) {
	w.lead(nt)
	if t := strings.TrimSpace(w.last); w.any && t != "" && !strings.HasPrefix(t, "#") {
		w.line("")
	}
	w.line(withTrail(h, nt))
}

// key writes k = "v" when v is set, required, or commented.
func (w *tomlWriter) key(n notes, nk, k, v string, required bool) {
	nt := n.get(nk)
	if v == "" && !required && nt == nil {
		return
	}
	w.lead(nt)
	w.line(withTrail(tomlKey(k)+" = "+tomlString(v), nt))
}

func (w *tomlWriter) int(n notes, k string, v int) {
	nt := n.get(k)
	if v == 0 && nt == nil {
		return
	}
	w.lead(nt)
	w.line(withTrail(k+" = "+strconv.Itoa(v), nt))
}

func (w *tomlWriter) list(n notes, k string, vs []string) {
	nt := n.get(k)
	if len(vs) == 0 && nt == nil {
		return
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = tomlBasic(v)
	}
	w.lead(nt)
	w.line(withTrail(k+" = ["+strings.Join(parts, ", ")+"]", nt))
}

func (w *tomlWriter) bytes() []byte { return w.b.Bytes() }

// tomlKey writes a key bare when it can be, else quoted.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return tomlBasic(k)
		}
	}
	return k
}

// tomlString writes a text: a basic string, or a multi-line one when the
// text has line breaks.
func tomlString(s string) string {
	if !strings.Contains(s, "\n") {
		return tomlBasic(s)
	}
	var b strings.Builder
	b.WriteString("\"\"\"\n")
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
		default:
			writeEscaped(&b, r)
		}
	}
	b.WriteString(`"""`)
	return b.String()
}

// tomlBasic writes s as a TOML basic string.
func tomlBasic(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '\n' {
			b.WriteString(`\n`)
			continue
		}
		writeEscaped(&b, r)
	}
	b.WriteByte('"')
	return b.String()
}

func writeEscaped(b *strings.Builder, r rune) {
	switch {
	case r == '"':
		b.WriteString(`\"`)
	case r == '\\':
		b.WriteString(`\\`)
	case r == '\t':
		b.WriteString(`\t`)
	case r == '\r':
		b.WriteString(`\r`)
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\u%04X`, r)
	default:
		b.WriteRune(r)
	}
}
