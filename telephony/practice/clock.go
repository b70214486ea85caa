package practice

import "time"

// Clock is the time source the practice phone schedules its callers with.
// RealClock is the wall clock; tests use practicetest.ManualClock so they
// never sleep.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, d from now, on a goroutine of the clock's
	// choosing, unless the returned Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a scheduled call that can be cancelled.
type Timer interface {
	// Stop cancels the call; it reports false if the call already ran or
	// was already stopped.
	Stop() bool
}

// RealClock returns the wall clock, backed by time.AfterFunc.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
