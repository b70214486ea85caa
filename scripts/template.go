package scripts

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// A template is script text with variables written {{name}}: "您好，{{company}}
// 欢迎您的来电". Names are lower-case letters, digits, '_' and '.'. There is no
// other syntax, so a trainer cannot break a line by accident, and an unknown
// name is reported with the line it is on.

// Variables the scripts may use, with what each one is. A pack's [vars] table
// adds its own.
var builtinVars = map[string]string{
	"company":               "the company or center name (company = … in the pack)",
	"greeting":              "早上好！ or 您好！ by time of day (the pack's slots)",
	"holiday":               "the name of today's holiday, if any",
	"salutation":            "王先生 / 王先生/女士 / 您, from the caller's surname and title",
	"surname":               "the caller's surname",
	"title":                 "the caller's title (先生/女士)",
	"agent_name":            "the agent's name",
	"agent_surname":         "the agent's surname (first character of the name)",
	"agent_number":          "the agent's work number",
	"customer.name":         "the customer's full name",
	"customer.surname":      "the customer's surname",
	"customer.title":        "the customer's title",
	"customer.phone":        "the customer's phone number",
	"customer.member_level": "the customer's member level",
	"service":               "the service item a callback is about",
	"service_time":          "when the customer received that service",
	"reply_hours":           "hours within which a complaint gets its answer (2 or 24)",
	"reply_by":              "the agreed time of the next reply",
}

// Variables returns the names every pack may use, sorted.
func Variables() []string {
	names := make([]string, 0, len(builtinVars))
	for n := range builtinVars {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrMissingValue is returned (wrapped) by Opening and Render when a line
// uses a known variable for which no value was given, such as
// {{agent_surname}} without an agent name.
var ErrMissingValue = errors.New("no value for variable")

// MissingValueError is the error for a variable with no value; it matches
// ErrMissingValue with errors.Is.
type MissingValueError struct{ Var string }

// Error names the variable.
func (e *MissingValueError) Error() string { return fmt.Sprintf("{{%s}}: %v", e.Var, ErrMissingValue) }

// Is makes errors.Is(err, ErrMissingValue) hold.
func (e *MissingValueError) Is(target error) bool { return target == ErrMissingValue }

// segment is literal text, or a variable when isVar.
type segment struct {
	text  string
	isVar bool
	line  int // 0-based line offset inside the template
}

// parseTemplate splits s into literal text and variables.
func parseTemplate(s string) ([]segment, error) {
	var segs []segment
	line := 0
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		j := strings.Index(s, "}}")
		if j >= 0 && (i < 0 || j < i) {
			return nil, fmt.Errorf("a lone }} without its {{")
		}
		if i < 0 {
			segs = append(segs, segment{text: s, line: line})
			break
		}
		if i > 0 {
			segs = append(segs, segment{text: s[:i], line: line})
			line += strings.Count(s[:i], "\n")
		}
		rest := s[i+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return nil, fmt.Errorf("{{ is not closed with }}")
		}
		name := strings.TrimSpace(rest[:end])
		if name == "" {
			return nil, fmt.Errorf("empty {{ }}: put a variable name inside, like {{company}}")
		}
		if !validVarName(name) {
			return nil, fmt.Errorf("{{%s}} is not a variable name (use letters, digits, _ and .)", name)
		}
		segs = append(segs, segment{text: name, isVar: true, line: line})
		s = rest[end+2:]
	}
	return segs, nil
}

func validVarName(n string) bool {
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return n != ""
}

// render fills the variables of s from lookup.
func render(s string, lookup func(string) (string, bool)) (string, error) {
	segs, err := parseTemplate(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, sg := range segs {
		if !sg.isVar {
			b.WriteString(sg.text)
			continue
		}
		v, ok := lookup(sg.text)
		if !ok {
			return "", &MissingValueError{Var: sg.text}
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
