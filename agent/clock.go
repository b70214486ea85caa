package agent

import "time"

// Clock tells the current instant. The domain takes one as a value so every
// deadline and greeting can be tested for any instant.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock. Only the edges of the program (commands,
// the window) construct it; domain code receives it.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// FixedClock is a Clock that always answers the same instant; tests and
// previews use it.
type FixedClock time.Time

// Now returns the fixed instant.
func (c FixedClock) Now() time.Time { return time.Time(c) }
