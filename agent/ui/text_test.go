package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"agentdesk/agent"
	"agentdesk/i18n"
)

// dynamicIDs completes the ids the views build as "prefix." + code: every
// code the views may pass. A new prefix in a view fails the test until it
// is listed here.
var dynamicIDs = map[string][]string{
	"break.":      {"meal", "rest", "training", "meeting", "coaching", "paperwork"},
	"pbx.":        {"registered", "failed", "practice", "connecting"},
	"agent.":      {"available", "ringing", "on_call", "wrap_up", "break", "offline", "unknown"},
	"check.":      {"pbx", "data", "hub", "outbox", "clock", "audio", "ghosts", "ok", "fail", "skip"},
	"call.type.":  {"consultation", "complaint", "other", "unwrapped"},
	"case.state.": {"open", "awaiting_reply", "replied", "closed"},
	"sla.":        {"pick_up", "send_back", "branch_handling", "manager_guidance", "executive_opinion", "hotline_handling", "close"},
	"sound.":      {"no_device", "not_found", "ambiguous", "failed"},
	"sound.role.": {"input", "output", "ring"},
	"role.":       {"agent", "team_lead", "supervisor", "trainer", "branch", "store_manager", "executive"},
	"wiz.":        {"listen", "ask", "follow", "reply", "record", "report", "readback"},
	"wiz.miss.":   problemCodes(),
	"hint:":       {"wiz.listen.hint", "wiz.ask.hint", "wiz.follow.hint", "wiz.reply.hint", "wiz.record.hint"},
	"others:":     {"sup.me", "sup.unsynced", "stats.hubline", "call.held"},
	// Live monitoring: the modes, the hub's session states, what the
	// agent is shown in each mode.
	"mon.mode.":  {"listen", "whisper", "barge", "unknown"},
	"mon.state.": {"pending", "active", "ended", "expired"},
	"mon.agent.": {"listen", "whisper", "barge", "unknown"},
	// The script pack editor.
	"tr.caller.": {"known", "surname_only", "title_only", "anonymous"},
	"tr.err.":    packErrorCodes,
	"tr.tpl.":    templateProblems,
	"tr.cal.":    ruleCalendars,
	"tr.what.":   dupWhats,
	"tr.pvsec.":  previewSections,
	"tr.line.":   lineKinds,
	"tr.src.":    periodSources,
}

func problemCodes() []string {
	out := make([]string, len(agent.Problems))
	for i, p := range agent.Problems {
		out[i] = string(p)
	}
	return out
}

var (
	idLike   = regexp.MustCompile(`^[a-z]+(\.[a-z_]+)+$`)
	fileName = regexp.MustCompile(`\.(ttf|otf|png|svg|toml|json|csv|db)$`)
)

// uiIDs scans the package's non-test sources for the message ids the views
// use: every string literal given to tr or t, every literal that looks like
// an id ("wiz.listen" in a table), and the completions of "prefix." + code.
func uiIDs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.BasicLit:
				if s, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING && idLike.MatchString(s) && !fileName.MatchString(s) {
					ids[s] = true
				}
			case *ast.CallExpr:
				var arg ast.Expr
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					if fn.Name == "tr" && len(n.Args) > 1 {
						arg = n.Args[1]
					} else if fn.Name == "t" && len(n.Args) > 0 {
						arg = n.Args[0]
					}
				case *ast.SelectorExpr:
					if fn.Sel.Name == "t" && len(n.Args) > 0 {
						arg = n.Args[0]
					}
				}
				switch a := arg.(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(a.Value); err == nil {
						ids[s] = true
					}
				case *ast.BinaryExpr:
					if l, ok := a.X.(*ast.BasicLit); ok {
						p, _ := strconv.Unquote(l.Value)
						codes, ok := dynamicIDs[p]
						if !ok {
							t.Errorf("%s: id built from %q + …: list its codes in dynamicIDs", fset.Position(a.Pos()), p)
						}
						for _, c := range codes {
							ids[p+c] = true
						}
					}
				}
			}
			return true
		})
	}
	for p, codes := range dynamicIDs {
		for _, c := range codes {
			if strings.HasSuffix(p, ":") {
				ids[c] = true
			} else {
				ids[p+c] = true
			}
		}
	}
	out := make([]string, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Every id a view uses is in every language's bundle: a view asking for an
// id the bundles lack fails here rather than showing the bare id.
func TestUIMessageIDs(t *testing.T) {
	ids := uiIDs(t)
	if len(ids) < 150 {
		t.Fatalf("found %d ids in the views, want the window's ~170: is the scan broken?", len(ids))
	}
	for _, id := range ids {
		for _, l := range Langs {
			if got := tr(l, id); got == id || got == "" {
				t.Errorf("%s: view uses %q (bundle id %q), which the i18n bundles lack: tr gives %q", l, id, msgID(id), got)
			}
		}
	}
	for from, to := range aliases {
		if got := tr(i18n.DefaultLang, from); got == from {
			t.Errorf("alias %q → %q: the bundles lack %q", from, to, to)
		}
	}
}

func TestTr(t *testing.T) {
	tests := []struct {
		lang, id string
		data     map[string]any
		want     string
	}{
		{"zh-Hans", "btn.ok", nil, "确定"},
		{"zh-Hant", "btn.save", nil, "儲存"},
		{"en", "app.title", nil, "Agent desk"},
		{"zh-TW", "tab.desk", nil, "接聽"},
		{"en", "sync.pending", map[string]any{"Count": 3}, "3 waiting"},
		{"zh-Hant", "ring.timer", map[string]any{"Elapsed": 4, "Limit": 9}, "振鈴 4 秒 / 9 秒"},
		{"en", "stats.line", statsData(agent.AgentDay{Inbound: 6, Outbound: 2, Missed: 1, AnsweredWithinLimit: 4, ComplaintsOpened: 1}),
			"In 6  Out 2  Missed 1  Answered by 3rd ring 80%  Complaints 1"},
		{"en", "no.such.id", nil, "no.such.id"},
	}
	for _, tt := range tests {
		if got := tr(tt.lang, tt.id, tt.data); got != tt.want {
			t.Errorf("tr(%q, %q) = %q, want %q", tt.lang, tt.id, got, tt.want)
		}
	}
}

func TestMissingLine(t *testing.T) {
	tests := []struct {
		lang string
		p    agent.StepProblem
		want string
	}{
		{"zh-Hans", agent.StepProblem{Step: agent.StepAsk, Code: agent.ProblemWhen}, "2 问清楚（何时）"},
		{"zh-Hant", agent.StepProblem{Step: agent.StepReply, Code: agent.ProblemAccepted}, "4 復清楚（客戶尚未接受答覆）"},
		{"en", agent.StepProblem{Step: agent.StepRecord, Code: agent.ProblemResult}, "5 Record clearly（the result）"},
		{"zh-Hans", agent.StepProblem{Step: agent.StepFollow, Code: agent.ProblemNotDone}, "3 跟清楚"},
		{"en", agent.StepProblem{Step: agent.StepFollow, Code: agent.ProblemNotDone}, "3 Follow clearly"},
	}
	for _, tt := range tests {
		if got := missingLine(tt.lang, tt.p); got != tt.want {
			t.Errorf("missingLine(%q, %+v) = %q, want %q", tt.lang, tt.p, got, tt.want)
		}
	}
}
