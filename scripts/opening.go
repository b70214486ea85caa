package scripts

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Party is the person on the other end: Title is "先生", "女士" or "" (not
// known); Name is the full name when known. A caller who declines to give a
// name is the zero Party (or has only a Title, when the agent can tell).
type Party struct {
	Surname, Title, Name string
	Phone                string // {{customer.phone}}
	MemberLevel          string // {{customer.member_level}}
}

// CallerKind is what is known of how to address a caller.
type CallerKind int

// The kinds of caller a line must read right for.
const (
	CallerKnown       CallerKind = iota // surname and title: 王先生
	CallerSurnameOnly                   // surname: 王先生/女士
	CallerTitleOnly                     // title: 先生
	CallerAnonymous                     // nothing, or declined: 您
)

// CallerKinds returns every kind, in order.
func CallerKinds() []CallerKind {
	return []CallerKind{CallerKnown, CallerSurnameOnly, CallerTitleOnly, CallerAnonymous}
}

// String returns "known", "surname_only", "title_only" or "anonymous".
func (k CallerKind) String() string {
	switch k {
	case CallerKnown:
		return "known"
	case CallerSurnameOnly:
		return "surname_only"
	case CallerTitleOnly:
		return "title_only"
	}
	return "anonymous"
}

// surname is the party's surname, or the first character of a Han Name.
func (pt Party) surname() string {
	if pt.Surname != "" || pt.Name == "" {
		return pt.Surname
	}
	r, _ := utf8.DecodeRuneInString(pt.Name)
	if r >= 0x2E80 { // a Han name starts with the surname
		return string(r)
	}
	return ""
}

// Kind says which salutation the party gets.
func (pt Party) Kind() CallerKind {
	switch s := pt.surname(); {
	case s != "" && pt.Title != "":
		return CallerKnown
	case s != "":
		return CallerSurnameOnly
	case pt.Title != "":
		return CallerTitleOnly
	}
	return CallerAnonymous
}

// Request is what a line of the pack depends on: the call, the caller, the
// agent and the case being worked on. Each field fills variables (see
// VarInfos for all of them):
//
//	At           {{greeting}}, {{holiday}}; the opening chosen; today/tomorrow in {{reply_by}}
//	Caller       {{salutation}}, {{surname}}, {{title}}, {{customer.…}}
//	AgentName    {{agent_name}}, {{agent_surname}}
//	AgentNumber  {{agent_number}}
//	Service      {{service}}           the callback task's service item
//	ServiceTime  {{service_time}}      when the customer had it (a date: 11月20日 / 20 November)
//	ReplyHours   {{reply_hours}}       the complaint's reply time limit: 2 simple, 24 complex; 0 unknown
//	ReplyBy      {{reply_by}}          the complaint's agreed next reply (今天15:00 / 15:00 today)
//	Vars         any variable by name, as text; they win over the fields above
//
// A zero field is a missing value: lines that need it show a placeholder
// (Placeholder) and report it, and {{if name}} does not hold.
type Request struct {
	At          time.Time // the instant of the call; greetings use the pack's zone
	Silent      bool      // nobody speaks: the silent-call line
	Outbound    bool      // the desk is calling: verification/callback opening
	Caller      Party
	AgentName   string
	AgentNumber string
	Service     string
	ServiceTime time.Time
	ReplyHours  int
	ReplyBy     time.Time
	Vars        map[string]string // values for any variable (customer.phone, service…); they win over the computed ones
}

// OpeningRequest is the former name of Request; existing callers keep
// working.
type OpeningRequest = Request

// ErrNoInstant is returned by Opening when the request has no instant.
var ErrNoInstant = errors.New("opening: no instant given")

// Opening returns the first line of a call: the silent-call line when
// Silent, the outbound opening when Outbound, else the greeting of a holiday
// that covers the day, else the standard opening with the time-of-day
// greeting. Day and time are those of req.At in p.TimeZone(), whatever the
// machine's zone. When a variable has no value the line is still returned,
// with a placeholder, together with an error wrapping a *MissingValueError.
func (p *Pack) Opening(req Request) (string, error) {
	if req.At.IsZero() {
		return "", ErrNoInstant
	}
	tmpl, key := p.OpeningTemplate(req)
	s, err := p.Render(tmpl, req)
	if err != nil {
		return s, fmt.Errorf("opening %s: %w", key, err)
	}
	return s, nil
}

// OpeningTemplate returns the template Opening renders for req and which
// one it is: "silent", "outbound", a holiday id, or "standard".
func (p *Pack) OpeningTemplate(req Request) (tmpl, kind string) {
	switch {
	case req.Silent:
		return p.opening.Silent, "silent"
	case req.Outbound:
		return p.opening.Outbound, "outbound"
	}
	if h, ok := p.HolidayAt(req.At); ok {
		return h.Greeting, h.ID
	}
	return p.opening.Standard, "standard"
}

// Greeting returns the time-of-day greeting (早上好！/您好！) at instant t in
// the pack's zone.
func (p *Pack) Greeting(t time.Time) string {
	lt := t.In(p.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, s := range p.slots {
		if m >= s.From && m < s.To {
			return s.Greeting
		}
	}
	return ""
}

// Salutation returns how to address the party: 王先生 (surname and title),
// 王先生/女士 (surname only), 先生 (title only; en: sir), 您 (nothing known:
// the pack's anonymous word, which may be empty), in the pack's language.
// Without a surname the first character of a Han Name is used.
func (p *Pack) Salutation(who Party) string {
	s, _ := p.salute(who)
	return s
}

// salute returns the salutation and whether it names the caller (false for
// the anonymous word).
func (p *Pack) salute(who Party) (string, bool) {
	surname := who.surname()
	title := who.Title
	if t, ok := p.salutation.Titles[title]; ok {
		title = t
	}
	tmpl, named := p.salutation.Anonymous, false
	switch who.Kind() {
	case CallerKnown:
		tmpl, named = p.salutation.Titled, true
	case CallerSurnameOnly:
		tmpl, named = p.salutation.Untitled, true
	case CallerTitleOnly:
		if p.salutation.TitleOnly != "" {
			tmpl, named = p.salutation.TitleOnly, true
			if t, ok := p.salutation.BareTitles[who.Title]; ok {
				title = t
			}
		}
	}
	segs, err := p.segments(tmpl)
	if err != nil { // validated at parse; only a hand-built Pack gets here
		return p.salutation.Anonymous, false
	}
	s, missing := render(segs, func(n string) (string, valueState) {
		v := map[string]string{"surname": surname, "title": title}[n]
		if v == "" {
			return "", valueNone
		}
		return v, valueSet
	}, func(string) string { return "" })
	if len(missing) > 0 || s == "" {
		return p.salutation.Anonymous, false
	}
	return s, named
}

// segments returns tmpl parsed, from the pack's cache when it is one of its
// lines.
func (p *Pack) segments(tmpl string) ([]segment, error) {
	if segs, ok := p.parsed[tmpl]; ok {
		return segs, nil
	}
	return parseTemplate(tmpl)
}

// Render fills the variables of a line of this pack for req. A variable
// with no value (an agent's surname when no agent name is given) is shown
// as its placeholder, and the error is a *MissingValueError (matching
// ErrMissingValue) naming it; the text is returned either way. A template
// that does not parse (only one not from the pack) returns "" and its
// *TemplateError. The text never contains "{{".
func (p *Pack) Render(tmpl string, req Request) (string, error) {
	return p.renderWith(tmpl, req, nil)
}

// renderWith is Render with extra values that win over the computed ones
// (a holiday's name when previewing its greeting on another day).
func (p *Pack) renderWith(tmpl string, req Request, extra map[string]string) (string, error) {
	segs, err := p.segments(tmpl)
	if err != nil {
		return "", err
	}
	out, missing := render(segs, func(n string) (string, valueState) {
		if v := extra[n]; v != "" {
			return v, valueSet
		}
		return p.value(n, req)
	}, func(n string) string { return Placeholder(p.lang, n) })
	if len(missing) > 0 {
		return out, &MissingValueError{Var: missing[0], Vars: missing}
	}
	return out, nil
}

// value is a variable's text for req.
func (p *Pack) value(n string, req Request) (string, valueState) {
	if v := req.Vars[n]; v != "" {
		return v, valueSet
	}
	if n == "salutation" {
		s, named := p.salute(req.Caller)
		switch {
		case named:
			return s, valueSet
		case s != "":
			return s, valueFallback
		}
		return "", valueNone
	}
	if v := p.builtin(n, req); v != "" {
		return v, valueSet
	}
	if v := p.vars[n]; v != "" {
		return v, valueSet
	}
	return "", valueNone
}

func (p *Pack) builtin(n string, req Request) string {
	title := req.Caller.Title
	if t, ok := p.salutation.Titles[title]; ok {
		title = t
	}
	var now time.Time
	if !req.At.IsZero() {
		now = req.At.In(p.loc)
	}
	switch n {
	case "company":
		return p.company
	case "greeting":
		if req.At.IsZero() {
			return ""
		}
		return p.Greeting(req.At)
	case "holiday":
		if req.At.IsZero() {
			return ""
		}
		h, _ := p.HolidayAt(req.At)
		return h.Name
	case "surname", "customer.surname":
		return req.Caller.surname()
	case "title", "customer.title":
		return title
	case "customer.name":
		return req.Caller.Name
	case "customer.phone":
		return req.Caller.Phone
	case "customer.member_level":
		return req.Caller.MemberLevel
	case "agent_name":
		return req.AgentName
	case "agent_surname":
		if req.AgentName == "" {
			return ""
		}
		r, _ := utf8.DecodeRuneInString(req.AgentName)
		if r < 0x2E80 { // not a Han name: the whole name
			return req.AgentName
		}
		return string(r)
	case "agent_number":
		return req.AgentNumber
	case "service":
		return req.Service
	case "service_time":
		if req.ServiceTime.IsZero() {
			return ""
		}
		return formatDate(p.lang, req.ServiceTime.In(p.loc), now)
	case "reply_hours":
		if req.ReplyHours <= 0 {
			return ""
		}
		return strconv.Itoa(req.ReplyHours)
	case "reply_by":
		if req.ReplyBy.IsZero() {
			return ""
		}
		return formatWhen(p.lang, req.ReplyBy.In(p.loc), now)
	}
	return ""
}
