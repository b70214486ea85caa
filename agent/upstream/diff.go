package upstream

import (
	"bytes"
	"fmt"
	"strings"
)

// diffContext is how many unchanged lines a hunk shows around a change.
const diffContext = 3

// maxDiffEdits bounds the search for the shortest edit: past it (two files
// with thousands of differing lines), the differing middle is shown as
// removed and added whole, which is still a correct diff.
const maxDiffEdits = 1000

// LineDiff is a unified diff of two texts, line by line, with three lines
// of context and the headers "--- aName" and "+++ bName"; "" when the texts
// are the same. A last line without a newline is marked as diff(1) marks
// it, so the diff applies back exactly.
func LineDiff(aName string, a []byte, bName string, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al, bl := splitLines(a), splitLines(b)
	edits := diffLines(al, bl)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	for _, h := range hunks(edits) {
		writeHunk(&out, edits[h[0]:h[1]], al, bl)
	}
	return out.String()
}

// splitLines cuts text into lines, each with its newline (the last one
// may have none).
func splitLines(text []byte) []string {
	var lines []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, string(text))
			break
		}
		lines = append(lines, string(text[:i+1]))
		text = text[i+1:]
	}
	return lines
}

// edit is one line of the edit script: kept (' '), removed from a ('-')
// or added from b ('+'), with its index in a and in b (for an added line,
// ai is where it goes in a; for a removed one, bi where it was in b).
type edit struct {
	op     byte
	ai, bi int
}

// diffLines returns an edit script turning a into b: the common prefix
// and suffix kept, the middle by Myers' shortest edit search.
func diffLines(a, b []string) []edit {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []edit
	for i := range pre {
		out = append(out, edit{' ', i, i})
	}
	for _, e := range myers(a[pre:len(a)-suf], b[pre:len(b)-suf]) {
		out = append(out, edit{e.op, e.ai + pre, e.bi + pre})
	}
	for i := range suf {
		out = append(out, edit{' ', len(a) - suf + i, len(b) - suf + i})
	}
	return out
}

// myers finds a shortest edit script from a to b (E. Myers, "An O(ND)
// difference algorithm and its variations", 1986), keeping each round's
// furthest reaching paths to walk back; after maxDiffEdits rounds it gives
// up and replaces all of a by all of b.
func myers(a, b []string) []edit {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(n, m)
	}
	limit := min(n+m, maxDiffEdits)
	off := limit + 1
	v := make([]int, 2*limit+3) // v[off+k]: furthest x on diagonal k
	var trace [][]int           // trace[d]: v over k in [-d-1, d+1] before round d
	for d := 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: add b[y-1]
			} else {
				x = v[off+k-1] + 1 // right: remove a[x-1]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return walkBack(trace, n, m)
			}
		}
	}
	return replaceAll(n, m)
}

// walkBack turns the kept rounds into the edit script, from (n, m) back
// to (0, 0).
func walkBack(trace [][]int, n, m int) []edit {
	var rev []edit
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		at := func(k int) int { return v[k+d+1] }
		k := x - y
		prevK := k - 1
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		}
		prevX := 0
		if d > 0 {
			prevX = at(prevK)
		}
		prevY := prevX - prevK
		if d == 0 {
			prevY = 0
		}
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			rev = append(rev, edit{' ', x, y})
		}
		if d > 0 {
			if x == prevX {
				rev = append(rev, edit{'+', x, prevY})
			} else {
				rev = append(rev, edit{'-', prevX, y})
			}
		}
		x, y = prevX, prevY
	}
	out := make([]edit, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

func replaceAll(n, m int) []edit {
	out := make([]edit, 0, n+m)
	for i := range n {
		out = append(out, edit{'-', i, 0})
	}
	for j := range m {
		out = append(out, edit{'+', n, j})
	}
	return out
}

// hunks groups the edit script into [from, to) ranges: each change with up
// to diffContext kept lines around it, changes closer than twice that in
// one hunk.
func hunks(edits []edit) [][2]int {
	var out [][2]int
	for i := 0; i < len(edits); {
		if edits[i].op == ' ' {
			i++
			continue
		}
		from := max(0, i-diffContext)
		to := i
		for j := i; j < len(edits); j++ {
			if edits[j].op != ' ' {
				to = j + 1
				continue
			}
			if j-to >= 2*diffContext {
				break
			}
		}
		to = min(len(edits), to+diffContext)
		out = append(out, [2]int{from, to})
		i = to
	}
	return out
}

func writeHunk(out *strings.Builder, h []edit, a, b []string) {
	aStart, bStart, aLen, bLen := -1, -1, 0, 0
	for _, e := range h {
		if e.op != '+' {
			if aStart < 0 {
				aStart = e.ai
			}
			aLen++
		}
		if e.op != '-' {
			if bStart < 0 {
				bStart = e.bi
			}
			bLen++
		}
	}
	// An empty side starts where its lines would have been: at the
	// position of the change, counted as the line before it.
	if aStart < 0 {
		aStart = h[0].ai - 1
	}
	if bStart < 0 {
		bStart = h[0].bi - 1
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aLen), hunkRange(bStart, bLen))
	for _, e := range h {
		line := ""
		switch e.op {
		case '+':
			line = b[e.bi]
		default:
			line = a[e.ai]
		}
		out.WriteByte(e.op)
		out.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange is "start,len" (1-based), "start" for one line, and for no
// lines the line before them.
func hunkRange(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start+1)
	case 1:
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
