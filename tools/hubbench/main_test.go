package main

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"agentdesk/agent/upstream/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// Both figures run (small) and print what the README quotes.
func TestBench_Small(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want *regexp.Regexp
	}{
		{[]string{"drain", "--pg", pgtest.New(t), "--records", "3000", "--batch", "500"},
			regexp.MustCompile(`^drain: 3000 records in batches of 500: \S+ \(\d+ records/s\); hub holds 3000, desk still queues 0\n$`)},
		{[]string{"live", "--pg", pgtest.New(t), "--desks", "20", "--every", "200ms", "--for", "1s"},
			regexp.MustCompile(`^live: 20 desks every 200ms for 1s: [1-9]\d* requests, 0 failed; hub latency p50 \S+ p95 \S+ p99 \S+ max \S+; supervisor stream got [1-9]\d* boards\n$`)},
	} {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != 0 {
			t.Fatalf("%v = %d: %s", tt.args, code, errb.String())
		}
		if !tt.want.MatchString(out.String()) {
			t.Errorf("%v printed %q, want it to match %s", tt.args, out.String(), tt.want)
		}
		t.Log(out.String())
	}
}

func TestBench_Usage(t *testing.T) {
	for _, args := range [][]string{nil, {"nothing"}, {"drain", "extra"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v = %d, stdout %q, stderr %q; want usage", args, code, out.String(), errb.String())
		}
	}
}
