package scripts

import (
	"errors"
	"fmt"
	"strings"
)

// A template is script text with variables written {{name}}: "您好，{{company}}
// 欢迎您的来电". Names are lower-case letters, digits, '_' and '.'.
//
// A part of a line that only reads right when a value is known goes between
// {{if name}} and {{end}}; {{else}} gives what to say otherwise:
//
//	很抱歉，{{if salutation}}{{salutation}}，{{end}}多谢您反映的意见
//	您好，{{if surname}}请问是{{salutation}}吗？{{end}}我姓{{agent_surname}}
//
// {{if name}} holds when the variable has a value for this call; for
// {{salutation}} it holds when the caller gave a surname or a title (the
// pack's word for an anonymous caller, 您, does not count). Ifs may nest.
// There is no other syntax, so a trainer cannot break a line by accident,
// and an unknown name is reported with the line it is on.
//
// A variable with no value is never shown as {{name}}: it renders as a
// placeholder naming what is missing (Placeholder), and the render reports
// it (MissingValueError).

// ErrMissingValue is returned (wrapped) by Opening and Render when a line
// uses a known variable for which no value was given, such as
// {{agent_surname}} without an agent name.
var ErrMissingValue = errors.New("no value for variable")

// MissingValueError is the error for variables with no value; it matches
// ErrMissingValue with errors.Is. The line was still rendered, with a
// placeholder for each of Vars.
type MissingValueError struct {
	Var  string   // the first variable with no value
	Vars []string // every variable with no value, in the order of the line (Var first)
	Path string   // the line of the pack ("phrases[6].say"), when known
}

// Error names the variables and the line.
func (e *MissingValueError) Error() string {
	names := e.Vars
	if len(names) == 0 {
		names = []string{e.Var}
	}
	s := "{{" + strings.Join(names, "}}, {{") + "}}: " + ErrMissingValue.Error()
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

// Is makes errors.Is(err, ErrMissingValue) hold.
func (e *MissingValueError) Is(target error) bool { return target == ErrMissingValue }

// TemplateError is a template that cannot be parsed. Problem is one of the
// Problem… constants.
type TemplateError struct {
	Problem string
	Msg     string
	Line    int // 0-based line inside the template
}

// Error returns the message.
func (e *TemplateError) Error() string { return e.Msg }

type tokKind int

const (
	tokText tokKind = iota
	tokVar
	tokIf
	tokElse
	tokEnd
)

// segment is literal text, a variable, or an if/else/end marker.
type segment struct {
	kind tokKind
	text string // the literal text, or the variable's name (tokVar, tokIf)
	line int    // 0-based line offset inside the template
}

// reserved words cannot be variable names.
var reserved = map[string]bool{"if": true, "else": true, "end": true}

// parseTemplate splits s into segments and checks that ifs are closed.
func parseTemplate(s string) ([]segment, error) {
	var segs []segment
	line := 0
	depth := 0
	elses := []bool{} // per open if: has it had its {{else}}
	ifLine := []int{}
	tmplErr := func(problem string, line int, format string, a ...any) error {
		return &TemplateError{Problem: problem, Msg: fmt.Sprintf(format, a...), Line: line}
	}
	for len(s) > 0 {
		i := strings.Index(s, "{{")
		j := strings.Index(s, "}}")
		if j >= 0 && (i < 0 || j < i) {
			return nil, tmplErr(ProblemLoneClose, line+strings.Count(s[:j], "\n"), "a lone }} without its {{")
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
			return nil, tmplErr(ProblemUnclosed, line, "{{ is not closed with }}")
		}
		inner := rest[:end]
		name := strings.TrimSpace(inner)
		s = rest[end+2:]
		switch {
		case name == "":
			return nil, tmplErr(ProblemEmpty, line, "empty {{ }}: put a variable name inside, like {{company}}")
		case name == "if" || strings.HasPrefix(name, "if ") || strings.HasPrefix(name, "if\t"):
			cond := strings.TrimSpace(name[2:])
			if cond == "" {
				return nil, tmplErr(ProblemIfNoName, line, "{{if}} needs a variable name, like {{if salutation}}")
			}
			if !validVarName(cond) || reserved[cond] {
				return nil, tmplErr(ProblemBadName, line, "{{if %s}}: %q is not a variable name (use letters, digits, _ and .)", cond, cond)
			}
			segs = append(segs, segment{kind: tokIf, text: cond, line: line})
			depth++
			elses = append(elses, false)
			ifLine = append(ifLine, line)
		case name == "else":
			if depth == 0 {
				return nil, tmplErr(ProblemElseAlone, line, "{{else}} outside {{if …}}…{{end}}")
			}
			if elses[depth-1] {
				return nil, tmplErr(ProblemElseTwice, line, "a second {{else}} in one {{if …}}")
			}
			elses[depth-1] = true
			segs = append(segs, segment{kind: tokElse, line: line})
		case name == "end":
			if depth == 0 {
				return nil, tmplErr(ProblemEndAlone, line, "{{end}} without its {{if …}}")
			}
			depth--
			elses = elses[:depth]
			ifLine = ifLine[:depth]
			segs = append(segs, segment{kind: tokEnd, line: line})
		case !validVarName(name):
			return nil, tmplErr(ProblemBadName, line, "{{%s}} is not a variable name (use letters, digits, _ and .)", name)
		default:
			segs = append(segs, segment{kind: tokVar, text: name, line: line})
		}
		line += strings.Count(inner, "\n")
	}
	if depth > 0 {
		return nil, tmplErr(ProblemIfUnclosed, ifLine[depth-1], "{{if …}} is not closed with {{end}}")
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

// valueState is what a variable has for one render.
type valueState int

const (
	valueNone     valueState = iota // no value: a placeholder, and {{if}} is false
	valueFallback                   // a stand-in (您 for an anonymous caller): shown, but {{if}} is false
	valueSet                        // a value: shown, and {{if}} is true
)

// lookupFunc returns a variable's text and state.
type lookupFunc func(name string) (string, valueState)

// render fills the variables of the parsed segments; a variable with no
// value is written as placeholder(name) and listed in missing.
func render(segs []segment, lookup lookupFunc, placeholder func(string) string) (out string, missing []string) {
	var b strings.Builder
	type frame struct{ cond, parent bool }
	var stack []frame
	active := true
	for _, sg := range segs {
		switch sg.kind {
		case tokText:
			if active {
				b.WriteString(sg.text)
			}
		case tokVar:
			if !active {
				continue
			}
			v, st := lookup(sg.text)
			if st == valueNone {
				b.WriteString(placeholder(sg.text))
				if !contains(missing, sg.text) {
					missing = append(missing, sg.text)
				}
				continue
			}
			b.WriteString(v)
		case tokIf:
			cond := false
			if active {
				_, st := lookup(sg.text)
				cond = st == valueSet
			}
			stack = append(stack, frame{cond: cond, parent: active})
			active = cond
		case tokElse:
			f := stack[len(stack)-1]
			active = f.parent && !f.cond
		case tokEnd:
			active = stack[len(stack)-1].parent
			stack = stack[:len(stack)-1]
		}
	}
	return unbrace(b.String()), missing
}

// unbrace spaces apart braces that a value brought in ("{{x}}" typed as a
// customer's name, or a value ending in "{" before a literal "{"), so that
// no line ever shows what looks like a template variable.
func unbrace(s string) string {
	for strings.Contains(s, "{{") {
		s = strings.ReplaceAll(s, "{{", "{ {")
	}
	for strings.Contains(s, "}}") {
		s = strings.ReplaceAll(s, "}}", "} }")
	}
	return s
}
