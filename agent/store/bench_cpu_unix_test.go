//go:build unix

package store_test

import "syscall"

// cpuTime is the process's user+system CPU time so far, in nanoseconds:
// benchmarks report it per operation, a figure that other processes on a
// loaded machine disturb far less than wall time.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
