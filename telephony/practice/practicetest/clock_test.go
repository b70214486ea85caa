package practicetest

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestManualClock_StopAndOrder(t *testing.T) {
	clk := NewManualClock(t0)
	var got []int
	clk.AfterFunc(2*time.Second, func() { got = append(got, 2) })
	stopped := clk.AfterFunc(time.Second, func() { got = append(got, 99) })
	clk.AfterFunc(time.Second, func() {
		got = append(got, 1)
		clk.AfterFunc(500*time.Millisecond, func() { got = append(got, 15) })
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Error("Stop should report true once")
	}
	clk.Advance(3 * time.Second)
	if len(got) != 3 || got[0] != 1 || got[1] != 15 || got[2] != 2 {
		t.Errorf("fired %v, want [1 15 2]", got)
	}
	if !clk.Now().Equal(t0.Add(3 * time.Second)) {
		t.Errorf("now = %v", clk.Now())
	}
}
