//go:build !unix

package store_test

// cpuTime is unknown here: benchmarks then report 0 cpu-ns/op.
func cpuTime() int64 { return 0 }
