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

func scanKeyLines(data []byte) keyLines {
	kl := keyLines{}
	counts := map[string]int{} // array-of-tables path → elements so far
	prefix := ""
	lines := strings.Split(string(data), "\n")
	inMulti := "" // the closing delimiter of a multi-line string being skipped
	depth := 0    // open [ of a multi-line array value
	for i, raw := range lines {
		lineNo := i + 1
		if inMulti != "" {
			if strings.Contains(raw, inMulti) {
				inMulti = ""
			}
			continue
		}
		line := strings.TrimSpace(stripComment(raw))
		if depth > 0 {
			depth += bracketDelta(line)
			continue
		}
		if line == "" {
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
			kl[prefix] = lineNo
			kl[p] = minLine(kl[p], lineNo)
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			if end < 0 {
				continue
			}
			prefix = resolveArrays(normKey(line[1:end]), counts)
			kl[prefix] = lineNo
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
			if _, dup := kl[full]; !dup {
				kl[full] = lineNo
			}
			val := strings.TrimSpace(line[eq+1:])
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(val, q) && !strings.Contains(val[3:], q) {
					inMulti = q
					if strings.TrimSpace(val[3:]) == "" {
						// TOML drops the newline right after the
						// delimiter: the text starts on the next line.
						kl[full+bodySuffix] = 1
					}
				}
			}
			if strings.HasPrefix(val, "[") {
				depth = bracketDelta(val)
			}
		}
	}
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

// normKey removes spaces and quotes around the parts of a dotted key.
func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' || p[0] == '\'') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
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
