package upstream_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"agentdesk/agent/upstream"
	"agentdesk/scripts"
)

func TestLineDiff(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b string
		want string
	}{
		{"same", "a\nb\n", "a\nb\n", ""},
		{"one line changed in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
			"@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
		{"from nothing", "", "a\nb\n", "@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{"to nothing", "a\n", "", "@@ -1 +0,0 @@\n-a\n"},
		{"newline added at the end", "a\nb", "a\nb\n", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
		{"two changes far apart: two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n",
			"@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n"},
		{"two changes six lines apart: one hunk", "1\n2\n3\n4\n5\n6\n7\n8\n", "x\n2\n3\n4\n5\n6\n7\ny\n",
			"@@ -1,8 +1,8 @@\n-1\n+x\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+y\n"},
		{"insertion", "a\nc\n", "a\nb\nc\n", "@@ -1,2 +1,3 @@\n a\n+b\n c\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := upstream.LineDiff("old", []byte(tt.a), "new", []byte(tt.b))
			want := tt.want
			if want != "" {
				want = "--- old\n+++ new\n" + want
			}
			if got != want {
				t.Errorf("LineDiff =\n%s\nwant\n%s", got, want)
			}
			if back := applyDiff(t, tt.a, got); back != tt.b {
				t.Errorf("the diff applied gives %q, want %q", back, tt.b)
			}
		})
	}
}

// A trainer's edit of a real pack: a line changed, one added 60 lines on.
func TestLineDiff_PackEdit(t *testing.T) {
	a, err := scripts.DefaultPackFile("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(a), "\n")
	lines[40] = "# 春节通知\n"
	b := strings.Join(lines[:100], "") + "# 新增\n" + strings.Join(lines[100:], "")
	d := upstream.LineDiff("v1", a, "v2", []byte(b))
	if n := strings.Count(d, "\n@@ "); n != 2 || !strings.Contains(d, "\n+# 春节通知\n") || !strings.Contains(d, "\n+# 新增\n") {
		t.Errorf("diff has %d hunks, want 2 (the edits are far apart), with both edits:\n%s", n, d)
	}
	if back := applyDiff(t, string(a), d); back != b {
		t.Error("the diff does not apply back")
	}
}

// Random edits of random texts: the diff always applies back to exactly
// the new text, and it is never longer than the edits made.
func TestLineDiff_AppliesBack(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var a []string
		for range r.IntN(40) {
			a = append(a, strconv.Itoa(r.IntN(8))+"\n")
		}
		b := append([]string(nil), a...)
		edits := r.IntN(6)
		for range edits {
			switch j := r.IntN(len(b) + 1); r.IntN(3) {
			case 0:
				b = append(b[:j], append([]string{"new " + strconv.Itoa(r.IntN(8)) + "\n"}, b[j:]...)...)
			case 1:
				if j < len(b) {
					b = append(b[:j], b[j+1:]...)
				}
			case 2:
				if j < len(b) {
					b[j] = "changed\n"
				}
			}
		}
		at, bt := strings.Join(a, ""), strings.Join(b, "")
		if r.IntN(4) == 0 && len(bt) > 0 {
			bt = strings.TrimSuffix(bt, "\n")
		}
		d := upstream.LineDiff("a", []byte(at), "b", []byte(bt))
		if back := applyDiff(t, at, d); back != bt {
			t.Fatalf("case %d: %q → %q: diff\n%s\napplies to %q", i, at, bt, d, back)
		}
		changed := strings.Count(d, "\n+") + strings.Count(d, "\n-") - 2 // minus the headers
		if changed > 2*edits+2 {
			t.Fatalf("case %d: %d lines changed for %d edits:\n%s", i, changed, edits, d)
		}
	}
}

// A very different pair of long files: past the search bound, still a
// correct diff.
func TestLineDiff_Large(t *testing.T) {
	var a, b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	d := upstream.LineDiff("a", []byte(a.String()), "b", []byte(b.String()))
	if back := applyDiff(t, a.String(), d); back != b.String() {
		t.Fatal("the large diff does not apply back")
	}
}

// applyDiff applies a unified diff made by LineDiff to text, checking
// every kept and removed line against text.
func applyDiff(t *testing.T, text, diff string) string {
	t.Helper()
	if diff == "" {
		return text
	}
	src := strings.SplitAfter(text, "\n")
	if src[len(src)-1] == "" {
		src = src[:len(src)-1]
	}
	lines := strings.SplitAfter(diff, "\n")
	if !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		t.Fatalf("no headers:\n%s", diff)
	}
	var out []string
	pos := 0
	for i := 2; i < len(lines) && lines[i] != ""; {
		var aStart int
		h := strings.Fields(lines[i])
		if len(h) != 4 || h[0] != "@@" || h[3] != "@@" {
			t.Fatalf("bad hunk header %q", lines[i])
		}
		aStart, _ = strconv.Atoi(strings.SplitN(strings.TrimPrefix(h[1], "-"), ",", 2)[0])
		if !strings.Contains(h[1], ",0") {
			aStart-- // 1-based line; an empty range names the line before
		}
		for pos < aStart {
			out = append(out, src[pos])
			pos++
		}
		i++
		for i < len(lines) && lines[i] != "" && !strings.HasPrefix(lines[i], "@@") {
			l := lines[i]
			i++
			if i < len(lines) && lines[i] == "\\ No newline at end of file\n" {
				l = strings.TrimSuffix(l, "\n")
				i++
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != l[1:] {
					t.Fatalf("line %d of the old text is not %q", pos+1, l[1:])
				}
				if l[0] == ' ' {
					out = append(out, src[pos])
				}
				pos++
			case '+':
				out = append(out, l[1:])
			default:
				t.Fatalf("bad diff line %q", l)
			}
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

// FuzzLineDiff: whatever the two texts, the diff applies back exactly.
func FuzzLineDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd")
	f.Add("", "x")
	f.Add("同\n一\n", "同\n二\n一\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		d := upstream.LineDiff("a", []byte(a), "b", []byte(b))
		if (d == "") != (a == b) {
			t.Fatalf("diff of %q and %q = %q", a, b, d)
		}
		if back := applyDiff(t, a, d); back != b {
			t.Fatalf("%q → %q: diff\n%s\napplies to %q", a, b, d, back)
		}
	})
}
