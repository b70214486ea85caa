package audiotest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Proc is what /proc says of a process: its CPU time, resident memory
// and context switches.
type Proc struct {
	CPU      time.Duration
	RSS      int64 // bytes
	Switches int64 // voluntary and involuntary, summed over its threads
}

// ReadProc reads /proc/PID/stat (utime, stime), /proc/PID/status (VmRSS)
// and each thread's /proc/PID/task/TID/status (context switches): on a
// VM, a softphone's CPU follows how often its threads sleep and wake.
func ReadProc(tb testing.TB, pid int) Proc {
	tb.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ on Linux
	p := Proc{CPU: time.Duration(ut+st) * time.Second / hz}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	if kb, ok := statusField(status, "VmRSS"); ok {
		p.RSS = kb * 1024
	}
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue // the thread ended since the listing
		}
		v, _ := statusField(raw, "voluntary_ctxt_switches")
		nv, _ := statusField(raw, "nonvoluntary_ctxt_switches")
		p.Switches += v + nv
	}
	return p
}

// statusField is the number after "name:" in a /proc status file.
func statusField(status []byte, name string) (int64, bool) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, name+":"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				return n, err == nil
			}
		}
	}
	return 0, false
}

// Usage is a process's use of the machine between two readings: CPU in
// % of one core and context switches a second.
func Usage(a, b Proc, over time.Duration) (cpuPct, switches float64) {
	return 100 * float64(b.CPU-a.CPU) / float64(over), float64(b.Switches-a.Switches) / over.Seconds()
}
