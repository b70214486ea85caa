package scripts

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Party is the person on the other end: Title is "先生", "女士" or "" (not
// known); Name is the full name when known.
type Party struct{ Surname, Title, Name string }

// OpeningRequest is what the opening line depends on. The same request is
// the context of Render for any other line of the pack.
type OpeningRequest struct {
	At          time.Time // the instant of the call; greetings use the pack's zone
	Silent      bool      // nobody speaks: the silent-call line
	Outbound    bool      // the desk is calling: verification/callback opening
	Caller      Party
	AgentName   string
	AgentNumber string
	Vars        map[string]string // values for other variables (customer.phone, service…); they win over the computed ones
}

// ErrNoInstant is returned by Opening when the request has no instant.
var ErrNoInstant = errors.New("opening: no instant given")

// Opening returns the first line of a call: the silent-call line when
// Silent, the outbound opening when Outbound, else the greeting of a holiday
// that covers the day, else the standard opening with the time-of-day
// greeting. Day and time are those of req.At in p.TimeZone(), whatever the
// machine's zone.
func (p *Pack) Opening(req OpeningRequest) (string, error) {
	if req.At.IsZero() {
		return "", ErrNoInstant
	}
	tmpl, key := p.OpeningTemplate(req)
	s, err := p.Render(tmpl, req)
	if err != nil {
		return "", fmt.Errorf("opening %s: %w", key, err)
	}
	return s, nil
}

// OpeningTemplate returns the template Opening renders for req and which
// one it is: "silent", "outbound", a holiday id, or "standard".
func (p *Pack) OpeningTemplate(req OpeningRequest) (tmpl, kind string) {
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
// 王先生/女士 (surname only), 先生 (title only), 您 (nothing known), in the
// pack's language. Without a surname the first character of Name is used.
func (p *Pack) Salutation(who Party) string {
	surname := who.Surname
	if surname == "" && who.Name != "" {
		r, _ := utf8.DecodeRuneInString(who.Name)
		if r >= 0x2E80 { // a Han name starts with the surname
			surname = string(r)
		}
	}
	title := who.Title
	if t, ok := p.salutation.Titles[title]; ok {
		title = t
	}
	tmpl := p.salutation.Anonymous
	switch {
	case surname != "" && title != "":
		tmpl = p.salutation.Titled
	case surname != "":
		tmpl = p.salutation.Untitled
	case title != "" && p.salutation.TitleOnly != "":
		tmpl = p.salutation.TitleOnly
	}
	s, err := render(tmpl, func(n string) (string, bool) {
		switch n {
		case "surname":
			return surname, true
		case "title":
			return title, true
		}
		return "", false
	})
	if err != nil { // validated at parse; only a hand-built Pack gets here
		return p.salutation.Anonymous
	}
	return s
}

// Render fills the variables of a line of this pack for req. A variable
// with no value (an agent's surname when no agent name is given) is an
// error wrapping ErrMissingValue.
func (p *Pack) Render(tmpl string, req OpeningRequest) (string, error) {
	return render(tmpl, func(n string) (string, bool) {
		if v, ok := req.Vars[n]; ok {
			return v, true
		}
		v := p.builtin(n, req)
		if v != "" {
			return v, true
		}
		if v, ok := p.vars[n]; ok {
			return v, true
		}
		return "", false
	})
}

func (p *Pack) builtin(n string, req OpeningRequest) string {
	title := req.Caller.Title
	if t, ok := p.salutation.Titles[title]; ok {
		title = t
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
	case "salutation":
		return p.Salutation(req.Caller)
	case "surname", "customer.surname":
		return req.Caller.Surname
	case "title", "customer.title":
		return title
	case "customer.name":
		return req.Caller.Name
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
	}
	return ""
}
