package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"agentdesk/agent/store"
)

func TestCallbacksPlan_CoversEveryMember(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	withCaseStore(t, dir, func(s *store.Store) {
		for i := range 4 {
			putCaseCustomer(t, s, i != 3) // three members, one not
		}
	})
	// 12:30 in Shanghai: lunch quiet hours, so the first try is 14:00.
	at := "2026-05-06T12:30:00+08:00"
	code, out, errs := runCaseCmd(t, "callbacks", "plan", "--at", at, "--agents", "8001,8002", "--data", dir)
	if code != 0 {
		t.Fatalf("plan: exit %d: %s", code, errs)
	}
	var v callbackPlanView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if v.Members != 3 || v.Covered != 3 || v.CoveragePct != 100 || len(v.Created) != 3 || !v.Stored {
		t.Fatalf("plan = %+v", v)
	}
	agents := map[string]int{}
	for _, cb := range v.Created {
		agents[cb.Agent]++
		if cb.ID == "" || cb.Version != 1 {
			t.Errorf("task not stored: %+v", cb.Meta)
		}
		if !cb.Due.Equal(time.Date(2026, 5, 9, 4, 30, 0, 0, time.UTC)) {
			t.Errorf("due = %v, want three days later", cb.Due)
		}
		if !cb.NextTry.Equal(time.Date(2026, 5, 6, 6, 0, 0, 0, time.UTC)) {
			t.Errorf("first try = %v, want 14:00 Shanghai", cb.NextTry)
		}
	}
	if agents["8001"] != 2 || agents["8002"] != 1 {
		t.Errorf("round robin = %v", agents)
	}
	code, out, _ = runCaseCmd(t, "callbacks", "plan", "--at", at, "--agents", "8001", "--data", dir)
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || len(v.Created) != 0 || v.Covered != 3 || v.Summary.Total != 3 {
		t.Errorf("second plan: exit %d created %d summary %+v", code, len(v.Created), v.Summary)
	}
}

func TestCallbacksPlan_DryRunAndErrors(t *testing.T) {
	hermeticCaseConfig(t)
	dir := t.TempDir()
	withCaseStore(t, dir, func(s *store.Store) { putCaseCustomer(t, s, true) })
	code, out, errs := runCaseCmd(t, "callbacks", "plan", "--dry-run", "--agents", "a", "--mode", "by_load", "--data", dir)
	var v callbackPlanView
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || len(v.Created) != 1 || v.Stored {
		t.Fatalf("dry run: exit %d %s %s", code, out, errs)
	}
	withCaseStore(t, dir, func(s *store.Store) {
		if cbs, _ := s.Callbacks(store.CallbackFilter{}); len(cbs) != 0 {
			t.Errorf("dry run stored %d tasks", len(cbs))
		}
	})
	if code, _, errs := runCaseCmd(t, "callbacks", "plan", "--agents", "a", "--mode", "random", "--data", dir); code != 1 || !strings.Contains(errs, "assignment mode") {
		t.Errorf("bad mode: exit %d %s", code, errs)
	}
	// A fresh data dir has no members: nothing to plan, coverage vacuous.
	code, out, _ = runCaseCmd(t, "callbacks", "plan", "--agents", "a", "--data", t.TempDir())
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Members != 0 || len(v.Created) != 0 {
		t.Errorf("fresh dir: exit %d %s", code, out)
	}
}
