// Package agentdesk_test checks the import rules of DESIGN.md as a fact:
// which of our packages may import which, and which never touch Fyne, sipgo
// or bbolt, directly or through anything they import.
package agentdesk_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "agentdesk"

// mayImport lists, per package, the packages of ours it may import directly.
// A package not listed here may import none of ours; "*" means any.
var mayImport = map[string][]string{
	"agent":              {"scripts"},
	"agent/store":        {"agent"},
	"agent/store/seal":   {},
	"agent/upstream":     {"agent", "scripts"},
	"agent/desk":         {"agent", "agent/store", "scripts", "telephony"},
	"telephony":          {},
	"telephony/practice": {"telephony"},
	"scripts":            {},
	"i18n":               {},
	"assets":             {},
	"agent/ui":           {"agent/desk", "i18n", "assets"},
	"cmd/agentdesk":      {"*"},
	"cmd/deskctl":        {"*"},
	"cmd/hub":            {"agent/upstream", "agent", "scripts"},
	"cmd/internal":       {"*"},
}

// never lists import-path prefixes a package must not reach, even indirectly.
var never = map[string][]string{
	"agent":              {"fyne.io/", "github.com/emiago/sipgo", "go.etcd.io/bbolt"},
	"scripts":            {"fyne.io/", "github.com/emiago/sipgo", "go.etcd.io/bbolt"},
	"agent/store":        {"fyne.io/", "github.com/emiago/sipgo"},
	"agent/store/seal":   {"fyne.io/", "github.com/emiago/sipgo", "go.etcd.io/bbolt", module + "/agent"},
	"agent/upstream":     {"fyne.io/", "github.com/emiago/sipgo"},
	"agent/desk":         {"fyne.io/"},
	"telephony":          {"fyne.io/", module + "/agent"},
	"telephony/practice": {"fyne.io/", module + "/agent"},
	"i18n":               {"fyne.io/"},
	"cmd/deskctl":        {"fyne.io/", module + "/agent/ui"},
	"cmd/hub":            {"fyne.io/", "github.com/emiago/sipgo", "go.etcd.io/bbolt"},
	"cmd/internal":       {"fyne.io/"},
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps=false", "-json=ImportPath,Imports,Deps", "./...").Output()
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

// rulesFor finds the rule of the package itself, or of the package a
// <name>test helper or a sub-tool belongs to (agent/store/storetest → agent/store).
func rulesFor(rel string) (string, bool) {
	for r := rel; r != "." && r != ""; r = parent(r) {
		if _, ok := mayImport[r]; ok {
			return r, true
		}
	}
	return "", false
}

func parent(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

func TestLayers_DirectImports(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if rel == "" || strings.HasPrefix(rel, "tools") {
			continue
		}
		rule, ok := rulesFor(rel)
		if !ok {
			t.Errorf("%s: package has no rule in DESIGN.md's table; add one here", p.ImportPath)
			continue
		}
		allowed := map[string]bool{rule: true}
		for _, a := range mayImport[rule] {
			allowed[a] = true
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			if allowed["*"] || allowedPath(allowed, target) || strings.HasPrefix(target, rule+"/") {
				continue
			}
			t.Errorf("%s imports %s; DESIGN.md allows only %v", rel, target, mayImport[rule])
		}
	}
}

// allowedPath says whether target, or a package it is a sub-package of (a
// <name>test helper, say), is allowed.
func allowedPath(allowed map[string]bool, target string) bool {
	for p := target; p != ""; p = parent(p) {
		if allowed[p] {
			return true
		}
	}
	return false
}

func TestLayers_NeverReached(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rule, ok := rulesFor(rel)
		if !ok {
			continue
		}
		for _, bad := range never[rule] {
			for _, d := range p.Deps {
				if strings.HasPrefix(d, bad) || d == strings.TrimSuffix(bad, "/") {
					t.Errorf("%s reaches %s (through its imports); DESIGN.md forbids it", rel, d)
					break
				}
			}
		}
	}
}
