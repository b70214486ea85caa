// Package agentdesk_test checks the import rules of DESIGN.md as a fact:
// which of our packages each package may import, which outside packages it
// must never reach, and that nothing in a product imports testing.
//
// Every package is held to its own rule: a sub-package does not inherit
// its parent's permissions, so a new package needs its own line here, and
// a package allowed to import agent may not import agent/store or agent/hub
// unless its rule says so. A rule for a package that does not exist yet
// (telephony/audio) checks nothing until it does.
package agentdesk_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "agentdesk"

// rule is one package's line of DESIGN.md's table.
type rule struct {
	// may lists the packages of ours it may import directly; "*" is any.
	may []string
	// except lists, with "*", the packages of ours it still may not import.
	except []string
	// never lists import-path prefixes it must not reach, even indirectly.
	never []string
	// helper marks a <pkg>test helper for tests: it may import testing.
	helper bool
}

var (
	fyne  = "fyne.io/"
	sipgo = "github.com/emiago/sipgo"
	bbolt = "go.etcd.io/bbolt"
	pgx   = "github.com/jackc/pgx"
	ours  = func(p string) string { return module + "/" + p }
)

// rules is DESIGN.md's table. A key ending in "/..." is the rule of every
// package below it (cmd/internal's helpers), said so in the table.
var rules = map[string]rule{
	"agent":       {may: []string{"scripts"}, never: []string{fyne, sipgo, bbolt, pgx}},
	"agent/store": {may: []string{"agent", "agent/store/seal"}, never: []string{fyne, sipgo, pgx}},
	// agent/store/seal: keys and ciphers only; it knows no record.
	"agent/store/seal": {never: []string{fyne, sipgo, bbolt, pgx, ours("agent")}},
	"agent/upstream":   {may: []string{"agent", "scripts"}, never: []string{fyne, sipgo, bbolt, pgx}},
	"agent/hub":        {may: []string{"agent", "agent/upstream", "scripts"}, never: []string{fyne, sipgo, bbolt}},
	// telephony/audio: its types (devices, levels) reach the desk's state.
	"agent/desk": {may: []string{"agent", "agent/store", "scripts", "telephony", "telephony/audio"}, never: []string{fyne, pgx}},
	// agent/ui paints agent/desk's view-model; it imports agent for the
	// domain's types (enums, records shown) only — no rule is called from
	// a view, which this test cannot tell apart and review must.
	"agent/ui":           {may: []string{"agent/desk", "agent", "i18n", "assets"}, never: []string{pgx, ours("agent/hub")}},
	"telephony":          {may: []string{"telephony/audio"}, never: []string{fyne, ours("agent")}},
	"telephony/audio":    {never: []string{fyne, ours("agent")}},
	"telephony/practice": {may: []string{"telephony"}, never: []string{fyne, ours("agent")}},
	"scripts":            {never: []string{fyne, sipgo, bbolt, pgx}},
	"i18n":               {never: []string{fyne}},
	"assets":             {},
	"cmd/agentdesk":      {may: []string{"*"}},
	"cmd/deskctl":        {may: []string{"*"}, except: []string{"agent/ui"}, never: []string{fyne, ours("agent/ui")}},
	"cmd/hub":            {may: []string{"agent/hub", "agent/upstream", "agent", "scripts"}, never: []string{fyne, sipgo, bbolt}},
	"cmd/internal/...":   {may: []string{"*"}, except: []string{"agent/ui"}, never: []string{fyne, ours("agent/ui")}},

	// Test helpers, one rule each.
	"agent/store/storetest":           {may: []string{"agent", "agent/store", "agent/store/seal"}, never: []string{fyne, sipgo}, helper: true},
	"agent/store/seal/sealtest":       {may: []string{"agent/store/seal"}, never: []string{fyne, sipgo, bbolt, pgx}, helper: true},
	"agent/upstream/pgtest":           {never: []string{fyne, sipgo, bbolt}, helper: true},
	"agent/upstream/upstreamtest":     {may: []string{"agent", "agent/upstream"}, never: []string{fyne, sipgo, bbolt}, helper: true},
	"telephony/kamailiotest":          {may: []string{"telephony"}, never: []string{fyne, ours("agent")}, helper: true},
	"telephony/baresiptest":           {never: []string{fyne, ours("agent")}, helper: true},
	"telephony/audio/audiotest":       {may: []string{"telephony/audio"}, never: []string{fyne, ours("agent")}, helper: true},
	"telephony/practice/practicetest": {may: []string{"telephony/practice"}, never: []string{fyne, ours("agent")}, helper: true},
}

// unruled are our packages outside DESIGN.md's table: the root (this
// test) and the developer tools, which may use test helpers.
func unruled(rel string) bool {
	return rel == "" || rel == "tools" || strings.HasPrefix(rel, "tools/")
}

// ruleFor finds the package's own rule: its exact line, or the "/..." line
// of a tree that says it covers everything below.
func ruleFor(rel string) (rule, string, bool) {
	if r, ok := rules[rel]; ok {
		return r, rel, true
	}
	for k, r := range rules {
		if tree, ok := strings.CutSuffix(k, "/..."); ok && strings.HasPrefix(rel, tree+"/") {
			return r, k, true
		}
	}
	return rule{}, "", false
}

type pkg struct {
	ImportPath string
	Name       string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Name,Imports,Deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// mayImport says whether a package under r may import our package target.
func (r rule) mayImport(target string) bool {
	if slices.Contains(r.except, target) {
		return false
	}
	return slices.Contains(r.may, "*") || slices.Contains(r.may, target)
}

func TestLayers_DirectImports(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		if unruled(me) {
			continue
		}
		r, line, ok := ruleFor(me)
		if !ok {
			t.Errorf("%s: package has no rule of its own in DESIGN.md's table; add one here", me)
			continue
		}
		for _, imp := range p.Imports {
			target, ours := strings.CutPrefix(imp, module+"/")
			if !ours || r.mayImport(target) {
				continue
			}
			t.Errorf("%s imports %s; its rule (%s) allows only %v", me, target, line, allowed(r))
		}
	}
}

func allowed(r rule) string {
	s := strings.Join(r.may, ", ")
	if s == "" {
		s = "none of ours"
	}
	if len(r.except) > 0 {
		s += " but " + strings.Join(r.except, ", ")
	}
	return "[" + s + "]"
}

func TestLayers_NeverReached(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		r, line, ok := ruleFor(me)
		if !ok {
			continue
		}
		for _, bad := range r.never {
			for _, d := range p.Deps {
				if strings.HasPrefix(d, bad) || d == strings.TrimSuffix(bad, "/") {
					t.Errorf("%s reaches %s (through its imports); its rule (%s) forbids %s", me, d, line, bad)
					break
				}
			}
		}
	}
}

// No package of ours imports testing outside its tests, except the test
// helpers, and no command under cmd/ links it in at all (a helper used by
// a product would).
func TestLayers_NoTestingInProducts(t *testing.T) {
	for _, p := range listPackages(t) {
		me := rel(p.ImportPath)
		if unruled(me) {
			continue
		}
		r, _, _ := ruleFor(me)
		if slices.Contains(p.Imports, "testing") && !r.helper {
			t.Errorf("%s imports testing outside its tests; only <pkg>test helpers may", me)
		}
		if strings.HasPrefix(me, "cmd/") && p.Name == "main" && slices.Contains(p.Deps, "testing") {
			t.Errorf("the %s binary links testing (go list -deps ./%s)", me, me)
		}
	}
}

// The table only names packages of ours and prefixes that mean something:
// a typo would make a rule check nothing.
func TestLayers_RulesAreWellFormed(t *testing.T) {
	known := map[string]bool{"*": true}
	for _, p := range listPackages(t) {
		known[rel(p.ImportPath)] = true
	}
	for k, r := range rules {
		for _, m := range append(slices.Clone(r.may), r.except...) {
			if !known[m] && !planned[m] {
				t.Errorf("rule %s names %s, which is neither a package nor a planned one", k, m)
			}
		}
		if len(r.except) > 0 && !slices.Contains(r.may, "*") {
			t.Errorf("rule %s has exceptions without \"*\"", k)
		}
		for _, n := range r.never {
			if n == "" {
				t.Errorf("rule %s has an empty never-prefix", k)
			}
		}
	}
}

// planned are packages DESIGN.md's table names that do not exist yet.
var planned = map[string]bool{}
