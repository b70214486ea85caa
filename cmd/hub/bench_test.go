package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"agentdesk/agent/upstream/pgtest"
)

// The bench command runs end to end on a scratch database and prints its
// figures; a database that holds desks is refused. AGENTDESK_BENCH_DESKS
// and AGENTDESK_BENCH_SUPERVISORS make it the full-size run (for a
// profile: go test -run TestBenchBoard -cpuprofile).
func TestBenchBoard_PrintsLatencies(t *testing.T) {
	dsn := pgtest.New(t)
	desks, sups, dur, every := "20", "3", "3s", "1s"
	if v := os.Getenv("AGENTDESK_BENCH_DESKS"); v != "" {
		desks, sups, dur, every = v, os.Getenv("AGENTDESK_BENCH_SUPERVISORS"), "20s", "5s"
	}
	code, out, errs := runHub(t, "bench", "board", "--pg", dsn, "--desks", desks, "--supervisors", sups, "--duration", dur, "--every", every)
	if code != 0 {
		t.Fatalf("bench board = %d: %s%s", code, out, errs)
	}
	t.Log(strings.TrimSpace(out))
	n, _ := strconv.Atoi(desks)
	if !strings.Contains(out, "desks, ") || !strings.Contains(out, "p99") || n < 1 {
		t.Errorf("bench board printed %q, want its figures", out)
	}
	if code, _, errs := runHub(t, "bench", "board", "--pg", dsn, "--desks", "2", "--supervisors", "1", "--duration", "1s"); code != 1 || !strings.Contains(errs, "scratch database") {
		t.Errorf("bench board on a used database = %d %q, want refused", code, errs)
	}
}
