package scripts

import (
	"errors"
	"sort"
	"strconv"
	"time"
)

// Rendered is one line of the pack filled in for a call.
type Rendered struct {
	// Path is where the line is in the pack, as PackError.Path writes it:
	// "opening.outbound", "holidays.mid_autumn.greeting", "phrases[6].say",
	// "complaint.follow.say", "closing.reassure[1]", "callback[0].say".
	Path string
	// Text is what to say. It never contains "{{": a variable with no value
	// shows as its Placeholder.
	Text string
	// Missing lists the variables that had no value, in line order; empty
	// when the line is complete.
	Missing []string
}

// Err returns nil for a complete line, else a *MissingValueError (matching
// ErrMissingValue) naming the line and its missing variables, for the
// caller to log.
func (r Rendered) Err() error {
	if len(r.Missing) == 0 {
		return nil
	}
	return &MissingValueError{Var: r.Missing[0], Vars: append([]string(nil), r.Missing...), Path: r.Path}
}

// String returns Text.
func (r Rendered) String() string { return r.Text }

// line renders the template at key (internal form) for req.
func (p *Pack) line(key, tmpl string, req Request, extra map[string]string) Rendered {
	if tmpl == "" {
		return Rendered{} // the pack has no such line
	}
	r := Rendered{Path: pathOf(key)}
	text, err := p.renderWith(tmpl, req, extra)
	var mv *MissingValueError
	switch {
	case errors.As(err, &mv):
		r.Missing = mv.Vars
	case err != nil: // only a hand-built Pack has an unparsed line
		text = Placeholder(p.lang, "")
	}
	r.Text = text
	return r
}

// OpeningLines are the pack's openings rendered for one call.
type OpeningLines struct {
	Chosen Rendered // the line Opening returns for the request
	Kind   string   // which: "silent", "outbound", a holiday id or "standard"
	// The four openings (Short has an empty Path when the pack has none),
	// e.g. for the silent-call control and the outbound line on dial.
	Standard, Short, Silent, Outbound Rendered
	Never                             []string // never open like this
}

// OpeningLines renders every opening for req; Chosen is the one the call
// opens with (req.At must be set for the holiday and time of day).
func (p *Pack) OpeningLines(req Request) OpeningLines {
	o := OpeningLines{
		Standard: p.line("opening.standard", p.opening.Standard, req, nil),
		Short:    p.line("opening.short", p.opening.Short, req, nil),
		Silent:   p.line("opening.silent", p.opening.Silent, req, nil),
		Outbound: p.line("opening.outbound", p.opening.Outbound, req, nil),
		Never:    append([]string(nil), p.opening.Never...),
	}
	tmpl, kind := p.OpeningTemplate(req)
	o.Kind = kind
	switch kind {
	case "silent":
		o.Chosen = o.Silent
	case "outbound":
		o.Chosen = o.Outbound
	case "standard":
		o.Chosen = o.Standard
	default:
		o.Chosen = p.line("holidays."+kind+".greeting", tmpl, req, nil)
	}
	return o
}

// HolidayGreeting is a holiday's greeting rendered, with the period it is
// used in.
type HolidayGreeting struct {
	Holiday  Holiday
	Period   Range // the period covering req.At, else the holiday's next one (or last one) of that year
	Greeting Rendered
}

// HolidayGreetingAt returns the holiday greeting that replaces the opening
// at req.At, if a holiday covers that day.
func (p *Pack) HolidayGreetingAt(req Request) (HolidayGreeting, bool) {
	if req.At.IsZero() {
		return HolidayGreeting{}, false
	}
	h, r, ok := p.HolidayPeriod(DateOf(req.At.In(p.loc)))
	if !ok {
		return HolidayGreeting{}, false
	}
	return HolidayGreeting{Holiday: h, Period: r, Greeting: p.line("holidays."+h.ID+".greeting", h.Greeting, req, nil)}, true
}

// HolidayGreetings renders every holiday's greeting as callers would hear
// it on one of its days ({{holiday}} is its name), in priority order, each
// with its period in req.At's year (the one covering req.At, else the next,
// else the last; zero when it has none that year).
func (p *Pack) HolidayGreetings(req Request) []HolidayGreeting {
	var today Date
	if !req.At.IsZero() {
		today = DateOf(req.At.In(p.loc))
	}
	out := make([]HolidayGreeting, 0, len(p.holidayOrder))
	for _, id := range p.holidayOrder {
		h := *p.holidays[id]
		g := HolidayGreeting{Holiday: h, Greeting: p.line("holidays."+id+".greeting", h.Greeting, req, map[string]string{"holiday": h.Name})}
		if today.Year != 0 {
			g.Period = periodNear(append(p.ranges(id, today.Year), p.ranges(id, today.Year+1)...), today)
		}
		out = append(out, g)
	}
	return out
}

// periodNear returns the range covering today, else the next one starting
// in today's year, else the last one ending in it; zero when none touches
// the year.
func periodNear(rs []Range, today Date) Range {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].From.Before(rs[j].From) })
	var last Range
	for _, r := range rs {
		if r.To.Year < today.Year || r.From.Year > today.Year {
			continue
		}
		if !r.To.Before(today) {
			return r // covers today or is the next one
		}
		last = r
	}
	return last
}

// PhraseLine is a phrase book entry rendered.
type PhraseLine struct {
	ID, Situation string
	Say           Rendered
	Never         []string
}

// PhraseBook renders the phrase book for req.
func (p *Pack) PhraseBook(req Request) []PhraseLine {
	out := make([]PhraseLine, len(p.phrases))
	for i, ph := range p.phrases {
		out[i] = PhraseLine{ID: ph.ID, Situation: ph.Situation, Never: append([]string(nil), ph.Never...),
			Say: p.line("phrases."+strconv.Itoa(i)+".say", ph.Say, req, nil)}
	}
	return out
}

// StepLine is one complaint step's prompt and line rendered.
type StepLine struct {
	ID, Title string
	Prompt    Rendered // guidance for the agent
	Say       Rendered // what the agent may say; empty Path when the step has none
}

// ComplaintPrompts renders the complaint steps in ComplaintStepIDs order,
// one per step of "five clears, one report".
func (p *Pack) ComplaintPrompts(req Request) []StepLine {
	out := make([]StepLine, len(p.steps))
	for i, s := range p.steps {
		out[i] = p.stepLine(s, req)
	}
	return out
}

// ComplaintPrompt renders one step by id ("listen" … "report").
func (p *Pack) ComplaintPrompt(id string, req Request) (StepLine, bool) {
	for _, s := range p.steps {
		if s.ID == id {
			return p.stepLine(s, req), true
		}
	}
	return StepLine{}, false
}

func (p *Pack) stepLine(s Step, req Request) StepLine {
	key := "complaint." + s.ID
	return StepLine{ID: s.ID, Title: s.Title, Prompt: p.line(key+".prompt", s.Prompt, req, nil), Say: p.line(key+".say", s.Say, req, nil)}
}

// ClosingLines are the end-of-call lines rendered.
type ClosingLines struct {
	Reassure []Rendered
	Thanks   Rendered // empty Path when the pack has none
	Goodbye  Rendered
	// HangUpFirst is the reminder shown with the goodbye: let the caller
	// hang up first (guidance, not said).
	HangUpFirst string
}

// ClosingLines renders the reassurance and closing lines for req.
func (p *Pack) ClosingLines(req Request) ClosingLines {
	c := ClosingLines{
		Thanks:      p.line("closing.thanks", p.closing.Thanks, req, nil),
		Goodbye:     p.line("closing.goodbye", p.closing.Goodbye, req, nil),
		HangUpFirst: p.closing.HangUpFirst,
	}
	for i, r := range p.closing.Reassure {
		c.Reassure = append(c.Reassure, p.line("closing.reassure."+strconv.Itoa(i), r, req, nil))
	}
	return c
}

// CallbackLine is one line of the callback script rendered.
type CallbackLine struct {
	ID, When string
	Say      Rendered
}

// CallbackScript renders the callback script in order (opening,
// satisfaction question, suggestions…) for req, whose Caller is the
// customer called back and whose Service and ServiceTime are the task's.
func (p *Pack) CallbackScript(req Request) []CallbackLine {
	out := make([]CallbackLine, len(p.callback))
	for i, l := range p.callback {
		out[i] = CallbackLine{ID: l.ID, When: l.When, Say: p.line("callback."+strconv.Itoa(i)+".say", l.Say, req, nil)}
	}
	return out
}

// Preview is every line of the pack rendered for one instant, caller and
// case: what the trainer's preview panel and deskctl scripts preview show.
type Preview struct {
	Lang       string
	At         time.Time  // in the pack's zone
	Caller     CallerKind // of req.Caller
	Salutation string     // as the caller card shows it
	Greeting   string     // the time-of-day greeting at At

	// Holiday is the holiday greeting that replaces the opening at At.
	Holiday   *HolidayGreeting
	Opening   OpeningLines
	Holidays  []HolidayGreeting
	Phrases   []PhraseLine
	Complaint []StepLine
	Closing   ClosingLines
	Callback  []CallbackLine
}

// Preview renders every section of the pack for req.
func (p *Pack) Preview(req Request) Preview {
	pv := Preview{Lang: p.lang, Caller: req.Caller.Kind(), Salutation: p.Salutation(req.Caller)}
	if !req.At.IsZero() {
		pv.At = req.At.In(p.loc)
		pv.Greeting = p.Greeting(req.At)
		if g, ok := p.HolidayGreetingAt(req); ok {
			pv.Holiday = &g
		}
	}
	pv.Opening = p.OpeningLines(req)
	pv.Holidays = p.HolidayGreetings(req)
	pv.Phrases = p.PhraseBook(req)
	pv.Complaint = p.ComplaintPrompts(req)
	pv.Closing = p.ClosingLines(req)
	pv.Callback = p.CallbackScript(req)
	return pv
}

// Lines returns every rendered line of the preview once, in the pack's
// order: openings, holiday greetings, phrases, complaint prompts and lines,
// closing, callback. (Opening.Chosen and Holiday repeat one of them and are
// left out.)
func (pv Preview) Lines() []Rendered {
	var out []Rendered
	add := func(rs ...Rendered) {
		for _, r := range rs {
			if r.Path != "" {
				out = append(out, r)
			}
		}
	}
	o := pv.Opening
	add(o.Standard, o.Short, o.Silent, o.Outbound)
	for _, h := range pv.Holidays {
		add(h.Greeting)
	}
	for _, ph := range pv.Phrases {
		add(ph.Say)
	}
	for _, s := range pv.Complaint {
		add(s.Prompt, s.Say)
	}
	add(pv.Closing.Reassure...)
	add(pv.Closing.Thanks, pv.Closing.Goodbye)
	for _, l := range pv.Callback {
		add(l.Say)
	}
	return out
}

// Problems returns the lines with missing values, as errors to log or show.
func (pv Preview) Problems() []*MissingValueError {
	var out []*MissingValueError
	for _, r := range pv.Lines() {
		if err := r.Err(); err != nil {
			out = append(out, err.(*MissingValueError))
		}
	}
	return out
}

// samples are the example values of SampleRequest by language family.
var samples = [3]struct {
	surname, agent, service string
}{
	{"王", "李娜", "上门保洁"},
	{"王", "李娜", "到府清潔"},
	{"Wang", "Li Na", "home cleaning"},
}

// SampleRequest is a request with example values for a preview in lang at
// at, for a caller of kind: 王先生 / 王 / 先生 / nobody, agent 李娜 (1024),
// a callback about a service three days before, and a complaint with a
// 24-hour reply due at the same time the next day. A preview that wants to
// show placeholders clears the fields it wants missing.
func SampleRequest(lang string, at time.Time, kind CallerKind) Request {
	s := samples[family(lang)]
	req := Request{At: at, AgentName: s.agent, AgentNumber: "1024", Service: s.service, ReplyHours: 24}
	if !at.IsZero() {
		req.ServiceTime = at.AddDate(0, 0, -3)
		req.ReplyBy = at.Add(24 * time.Hour)
	}
	switch kind {
	case CallerKnown:
		req.Caller = Party{Surname: s.surname, Title: "先生"}
	case CallerSurnameOnly:
		req.Caller = Party{Surname: s.surname}
	case CallerTitleOnly:
		req.Caller = Party{Title: "先生"}
	}
	return req
}
