package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent/hub"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/scripts"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// realHub is agent/hub on a fresh pgtest database, served on loopback.
type realHub struct {
	db  *hub.DB
	dsn string
	url string
}

func newRealHub(t *testing.T) *realHub {
	t.Helper()
	dsn := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := hub.Open(ctx, dsn, hub.WithLogger(quiet))
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	t.Cleanup(db.Close)
	srv := httptest.NewServer(hub.NewHandler(db))
	t.Cleanup(srv.Close)
	// No config file of the machine's may give these commands a hub or token.
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AGENTDESK_HUB_TOKEN", "")
	return &realHub{db: db, dsn: dsn, url: srv.URL}
}

func (h *realHub) token(t *testing.T, role upstream.Role, name string) string {
	t.Helper()
	tok, err := h.db.NewToken(context.Background(), role, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// deskctl runs a hub command in-process as the holder of tok.
func (h *realHub) deskctl(t *testing.T, tok string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--hub", h.url, "--data", t.TempDir())
	if tok != "" {
		args = append(args, "--token", tok)
	}
	code := run(args, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")})
	return code, out.String(), errb.String()
}

// ok runs a command that must succeed and decodes its JSON into v.
func (h *realHub) ok(t *testing.T, v any, tok string, args ...string) string {
	t.Helper()
	code, out, errOut := h.deskctl(t, tok, args...)
	if code != 0 {
		t.Fatalf("deskctl %v = %d, stderr %s", args, code, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("deskctl %v printed %q: %v", args, out, err)
		}
	}
	return out
}

// refused runs a command that must fail naming msg and change nothing on
// the hub: every table and sequence dumped before and after.
func (h *realHub) refused(t *testing.T, msg, tok string, args ...string) {
	t.Helper()
	before := pgtest.Dump(t, h.dsn)
	code, out, errOut := h.deskctl(t, tok, args...)
	if code == 0 || out != "" || !strings.Contains(errOut, msg) {
		t.Errorf("deskctl %v = %d, stdout %q, stderr %q; want a refusal naming %q", args, code, out, errOut, msg)
	}
	if changed := pgtest.Changed(before, pgtest.Dump(t, h.dsn)); len(changed) > 0 {
		t.Errorf("refused deskctl %v changed %v", args, changed)
	}
}

// packWith writes the en default pack with another company name.
func packWith(t *testing.T, dir, file, company string) string {
	t.Helper()
	b, err := scripts.DefaultPackFile("en")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(`company = "XX"`), []byte(`company = "`+company+`"`), 1)
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// deskPack syncs a desk's data file with the hub (deskctl sync --once, as
// an agent) and returns the pack it keeps for en.
func (h *realHub) deskPack(t *testing.T, data, agentTok string) store.StoredPack {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"sync", "--hub", h.url, "--token", agentTok, "--once", "--lang", "en", "--data", data}, &env{stdout: &out, stderr: &errb, stdin: strings.NewReader("")}); code != 0 {
		t.Fatalf("sync = %d: %s", code, errb.String())
	}
	s, err := store.Open(filepath.Join(data, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.LatestPack("en")
	if err != nil {
		return store.StoredPack{}
	}
	return p
}

// Issue 11's review before publishing with deskctl against a real hub: a
// desk keeps the live pack while a new version is pending, takes it once a
// second trainer approves, never sees a rejected one, and gets the old
// text back after a rollback. The author's own approval and an agent's are
// refused with nothing changed.
func TestScriptsHub_PublishReviewHistoryRollback(t *testing.T) {
	h := newRealHub(t)
	li, wang := h.token(t, upstream.RoleTrainer, "李老师"), h.token(t, upstream.RoleTrainer, "王老师")
	sup, agentTok := h.token(t, upstream.RoleSupervisor, "班长"), h.token(t, upstream.RoleAgent, "小王")
	dir, data := t.TempDir(), t.TempDir()
	start := time.Now()

	one := packWith(t, dir, "hotline.toml", "一号物业")
	oneText, _ := os.ReadFile(one) // the next version is written over it
	if out := h.ok(t, nil, li, "scripts", "publish", one); out != "{\"version\": 1, \"state\": \"pending\"}\n" {
		t.Fatalf("publish printed %q", out)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 0 {
		t.Fatalf("desk took pending version %d", p.ID)
	}
	var v upstream.PackVersion
	h.ok(t, &v, sup, "scripts", "review", "1", "--approve")
	if v.Version != 1 || v.State != upstream.PackApproved || !v.Live || v.ReviewedBy != "班长" {
		t.Fatalf("review printed %+v", v)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 1 {
		t.Fatalf("desk has pack %d, want 1", p.ID)
	}

	two := packWith(t, dir, "hotline.toml", "二号物业")
	if out := h.ok(t, nil, li, "scripts", "publish", two); out != "{\"version\": 2, \"state\": \"pending\"}\n" {
		t.Fatalf("publish printed %q", out)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 1 {
		t.Fatalf("desk has pack %d while version 2 is pending, want 1", p.ID)
	}
	h.refused(t, "may not review it: 李老师 wrote version 2", li, "scripts", "review", "2", "--approve")
	h.refused(t, "role agent may not", agentTok, "scripts", "review", "2", "--approve")
	h.refused(t, "role agent may not", agentTok, "scripts", "publish", two)
	h.refused(t, "role agent may not", agentTok, "scripts", "rollback", "1", "--reason", "x")
	h.refused(t, "role agent may not", agentTok, "scripts", "history", "--lang", "en")
	if diff := h.ok(t, nil, wang, "scripts", "diff", "2"); !strings.HasPrefix(diff, "--- v1 hotline.toml (live)\n+++ v2 hotline.toml\n") ||
		!strings.Contains(diff, "\n-company = \"一号物业\"") || !strings.Contains(diff, "\n+company = \"二号物业\"") {
		t.Errorf("diff printed:\n%s", diff)
	}
	h.ok(t, &v, wang, "scripts", "review", "2", "--approve", "--reason", "核对过")
	if v.State != upstream.PackApproved || v.ReviewedBy != "王老师" || v.Reason != "核对过" {
		t.Fatalf("second trainer's review printed %+v", v)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 2 || !bytes.Contains(p.Data, []byte("二号物业")) {
		t.Fatalf("desk has pack %d, want 2", p.ID)
	}
	h.refused(t, "already approved by 王老师", sup, "scripts", "review", "2", "--reject", "--reason", "late")

	three := packWith(t, dir, "typo.toml", "三号物")
	h.ok(t, nil, wang, "scripts", "publish", three)
	h.refused(t, "reason is required", li, "scripts", "review", "3", "--reject")
	h.ok(t, &v, li, "scripts", "review", "3", "--reject", "--reason", "公司名少了一个字")
	if v.State != upstream.PackRejected || v.Live || v.Reason != "公司名少了一个字" || v.ReviewedBy != "李老师" {
		t.Fatalf("reject printed %+v", v)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 2 {
		t.Fatalf("desk has pack %d after a rejection, want 2", p.ID)
	}

	h.refused(t, "reason is required", li, "scripts", "rollback", "1")
	h.refused(t, "is rejected", li, "scripts", "rollback", "3", "--reason", "x")
	h.ok(t, &v, li, "scripts", "rollback", "1", "--reason", "二号的通知还没定稿")
	if v.Version != 4 || v.RollbackOf != 1 || !v.Live || v.Author != "李老师" || v.Name != "hotline.toml" {
		t.Fatalf("rollback printed %+v, want version 4 copying 1", v)
	}
	if p := h.deskPack(t, data, agentTok); p.ID != 4 || !bytes.Equal(p.Data, oneText) {
		t.Fatalf("desk has pack %d after the rollback, want 4 with version 1's text", p.ID)
	}

	var hist []upstream.PackVersion
	h.ok(t, &hist, sup, "scripts", "history", "--lang", "en")
	var got []string
	for _, v := range hist {
		got = append(got, fmt.Sprintf("%d %s %s/%s live=%v", v.Version, v.State, v.Author, v.ReviewedBy, v.Live))
		if v.CreatedAt.Before(start.Add(-time.Second)) || v.ReviewedAt.Before(v.CreatedAt) || v.ReviewedAt.After(time.Now()) {
			t.Errorf("version %d written %s, reviewed %s", v.Version, v.CreatedAt, v.ReviewedAt)
		}
	}
	if g, w := strings.Join(got, "; "), "4 approved 李老师/李老师 live=true; 3 rejected 王老师/李老师 live=false; 2 approved 李老师/王老师 live=false; 1 approved 李老师/班长 live=false"; g != w {
		t.Errorf("history = %s\nwant      %s", g, w)
	}
	var none []upstream.PackVersion
	if out := h.ok(t, &none, sup, "scripts", "history", "--lang", "zh-Hant"); len(none) != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("history of a language with no versions printed %q", out)
	}
}

// A pack with problems is refused before anything is sent, each problem
// named at its file:line; a missing file and bad arguments are refused too.
func TestScriptsHub_Refusals(t *testing.T) {
	h := newRealHub(t)
	li := h.token(t, upstream.RoleTrainer, "李老师")
	h.refused(t, "testdata/scripts/broken.toml:28: bad time slot", li, "scripts", "publish", "testdata/scripts/broken.toml")
	h.refused(t, "testdata/scripts/broken.toml:43: unknown variable {{compnay}}", li, "scripts", "publish", "testdata/scripts/broken.toml")
	h.refused(t, "missing.toml", li, "scripts", "publish", filepath.Join(t.TempDir(), "missing.toml"))
	h.refused(t, "unknown or missing token", "adk_wrong", "scripts", "publish", "testdata/scripts/good.toml")
	h.refused(t, "no hub token", "", "scripts", "history")
	h.refused(t, "no pack version 7", li, "scripts", "diff", "7")
	for _, args := range [][]string{
		{"scripts", "publish"},
		{"scripts", "review", "1"},
		{"scripts", "review", "1", "--approve", "--reject"},
		{"scripts", "review", "--approve"},
		{"scripts", "rollback"},
		{"scripts", "history", "extra"},
	} {
		code, _, errOut := h.deskctl(t, li, args...)
		if code != 2 || !strings.Contains(errOut, "usage: deskctl "+strings.Join(args[:2], " ")) {
			t.Errorf("deskctl %v = %d %q, want the usage", args, code, errOut)
		}
	}
	h.refused(t, `pack version "x": want a positive number`, li, "scripts", "review", "x", "--approve")
}

// The token may come from $AGENTDESK_HUB_TOKEN, kept out of the process list.
func TestScriptsHub_TokenFromEnvironment(t *testing.T) {
	h := newRealHub(t)
	t.Setenv("AGENTDESK_HUB_TOKEN", h.token(t, upstream.RoleTrainer, "李老师"))
	if out := h.ok(t, nil, "", "scripts", "publish", "testdata/scripts/good.toml"); out != "{\"version\": 1, \"state\": \"pending\"}\n" {
		t.Errorf("publish printed %q", out)
	}
}
