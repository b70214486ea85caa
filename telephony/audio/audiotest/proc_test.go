package audiotest

import (
	"os"
	"testing"
	"time"
)

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tdeskctl\nVmRSS:\t   30412 kB\nvoluntary_ctxt_switches:\t812\nnonvoluntary_ctxt_switches:\t33\n")
	for _, tc := range []struct {
		name string
		want int64
		ok   bool
	}{
		{"VmRSS", 30412, true},
		{"voluntary_ctxt_switches", 812, true},
		{"nonvoluntary_ctxt_switches", 33, true}, // not confused with the voluntary line
		{"VmSwap", 0, false},
		{"Name", 0, false}, // not a number
	} {
		got, ok := statusField(status, tc.name)
		if got != tc.want || ok != tc.ok {
			t.Errorf("statusField(%q) = %d, %v; want %d, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestReadProc reads this very process: it holds memory, and between two
// readings it sleeps (its threads switch) and spins (it uses CPU).
func TestReadProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc here")
	}
	a := ReadProc(t, os.Getpid())
	if a.RSS <= 0 {
		t.Errorf("RSS %d, want > 0", a.RSS)
	}
	for range 20 {
		time.Sleep(time.Millisecond)
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	b := ReadProc(t, os.Getpid())
	if b.Switches <= a.Switches {
		t.Errorf("context switches %d then %d over 20 sleeps", a.Switches, b.Switches)
	}
	if b.CPU <= a.CPU {
		t.Errorf("CPU %v then %v over 100 ms of spinning", a.CPU, b.CPU)
	}
}
