package scripts

import (
	"strconv"
	"strings"
)

// keyLines maps each key of a TOML document to the line it is set on, so
// problems found after decoding can name their line. Keys are dotted paths;
// elements of arrays of tables carry their index: "calendar.2.from".
// The TOML decoder does not expose key positions, hence this small scanner;
// it understands what packs use (tables, arrays of tables, dotted and quoted
// keys, comments, multi-line strings and arrays) and ignores the rest.
type keyLines map[string]int

// bodySuffix marks the entry holding how many lines below its key a
// multi-line string's text starts.
const bodySuffix = "\x00body"

// tomlEvent is one line of a TOML document outside any value: a table
// header, a key, or a loose line (a comment or a blank line).
type tomlEvent struct {
	kind  tomlEventKind
	path  string // the table's or key's path (array elements indexed); "" for loose lines
	array string // for an array-of-tables header, its path without the index
	line  int    // 1-based
	raw   string // the line as written, without a trailing \r
	trail string // a comment at the end of a header or key line ("   # …", with its spaces), else ""
	// bodyNext is set on a key whose multi-line string starts right after
	// its delimiter, so its text begins on the next line.
	bodyNext bool
}

type tomlEventKind int

const (
	evLoose tomlEventKind = iota
	evHeader
	evKey
)

// walkTOML calls f for each line of data that is a header, a key or a loose
// line; the continuation lines of multi-line strings and arrays are skipped.
func walkTOML(data []byte, f func(tomlEvent)) {
	counts := map[string]int{} // array-of-tables path → elements so far
	prefix := ""
	lines := strings.Split(string(data), "\n")
	inMulti := "" // the closing delimiter of a multi-line string being skipped
	depth := 0    // open [ of a multi-line array value
	for i, raw := range lines {
		raw = strings.TrimSuffix(raw, "\r")
		lineNo := i + 1
		if inMulti != "" {
			if strings.Contains(raw, inMulti) {
				inMulti = ""
			}
			continue
		}
		code := stripComment(raw)
		trail := "" // the comment with the spaces before it, to keep its column
		if len(code) < len(raw) {
			trail = strings.TrimRight(raw[len(strings.TrimRight(code, " \t")):], " \t")
		}
		line := strings.TrimSpace(code)
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		if line == "" {
			f(tomlEvent{kind: evLoose, line: lineNo, raw: raw})
			continue
		}
		switch {
		case strings.HasPrefix(line, "[["):
			end := strings.Index(line, "]]")
			if end < 0 {
				continue
			}
			p := normKey(line[2:end])
			n := counts[p]
			counts[p] = n + 1
			// Nested tables under an earlier element reset with the new one.
			for k := range counts {
				if strings.HasPrefix(k, p+".") {
					delete(counts, k)
				}
			}
			prefix = resolveArrays(p, counts) + "." + strconv.Itoa(n)
			f(tomlEvent{kind: evHeader, path: prefix, array: p, line: lineNo, raw: raw, trail: trail})
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			if end < 0 {
				continue
			}
			prefix = resolveArrays(normKey(line[1:end]), counts)
			f(tomlEvent{kind: evHeader, path: prefix, line: lineNo, raw: raw, trail: trail})
		default:
			eq := strings.Index(line, "=")
			if eq <= 0 {
				continue
			}
			key := normKey(line[:eq])
			full := key
			if prefix != "" {
				full = prefix + "." + key
			}
			ev := tomlEvent{kind: evKey, path: full, line: lineNo, raw: raw, trail: trail}
			val := strings.TrimSpace(line[eq+1:])
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(val, q) && !strings.Contains(val[3:], q) {
					inMulti = q
					ev.trail = ""
					// TOML drops the newline right after the
					// delimiter: the text starts on the next line.
					ev.bodyNext = strings.TrimSpace(val[3:]) == ""
				}
			}
			if strings.HasPrefix(val, "[") {
				depth = bracketDelta(val)
			}
			f(ev)
		}
	}
}

func scanKeyLines(data []byte) keyLines {
	kl := keyLines{}
	walkTOML(data, func(ev tomlEvent) {
		switch ev.kind {
		case evHeader:
			kl[ev.path] = ev.line
			if ev.array != "" {
				kl[ev.array] = minLine(kl[ev.array], ev.line)
			}
		case evKey:
			if _, dup := kl[ev.path]; !dup {
				kl[ev.path] = ev.line
				if ev.bodyNext {
					kl[ev.path+bodySuffix] = 1
				}
			}
		}
	})
	return kl
}

// resolveArrays turns "holidays.x" into "arr.3.x" when a prefix of p is an
// array of tables, pointing at its latest element.
func resolveArrays(p string, counts map[string]int) string {
	parts := strings.Split(p, ".")
	var out []string
	for i := range parts {
		out = append(out, parts[i])
		if i == len(parts)-1 {
			break
		}
		if n, ok := counts[strings.Join(parts[:i+1], ".")]; ok && n > 0 {
			out = append(out, strconv.Itoa(n-1))
		}
	}
	return strings.Join(out, ".")
}

func minLine(a, b int) int {
	if a == 0 || b < a {
		return b
	}
	return a
}

// normKey removes spaces and quotes around the parts of a dotted key; a
// dot inside quotes does not split.
func normKey(k string) string {
	var parts []string
	var cur strings.Builder
	var quote byte
	flush := func() {
		p := strings.TrimSpace(cur.String())
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		}
		parts = append(parts, p)
		cur.Reset()
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' && i+1 < len(k) {
				cur.WriteByte(c)
				i++
				c = k[i]
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			flush()
			continue
		}
		cur.WriteByte(c)
	}
	flush()
	return strings.Join(parts, ".")
}

// stripComment cuts a # comment that is not inside a string.
func stripComment(s string) string {
	end := len(s)
	eachUnquoted(s, func(i int, c byte) bool {
		if c == '#' {
			end = i
			return false
		}
		return true
	})
	return s[:end]
}

// bracketDelta counts [ minus ] outside strings.
func bracketDelta(s string) int {
	n := 0
	eachUnquoted(s, func(_ int, c byte) bool {
		switch c {
		case '[':
			n++
		case ']':
			n--
		}
		return true
	})
	return n
}

// eachUnquoted calls f with each byte of s that stands outside a TOML
// string (the quotes themselves excluded; \ escapes count only in "..."),
// until f returns false. stripComment and bracketDelta share it so they
// agree on where strings are.
func eachUnquoted(s string, f func(i int, c byte) bool) {
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		default:
			if !f(i, c) {
				return
			}
		}
	}
}

// line returns the line of key, or of its closest enclosing table, or 1.
func (kl keyLines) line(key string) int {
	for key != "" {
		if n, ok := kl[key]; ok {
			return n
		}
		i := strings.LastIndex(key, ".")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 1
}
