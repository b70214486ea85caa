package practice_test

import (
	"fmt"
	"strings"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/practice"
	"agentdesk/telephony/practice/practicetest"
)

func ExampleParse() {
	sc, err := practice.Parse("drill.toml", []byte(`
name = "drill"
[[caller]]
number = "13800138000"
delay = "5s"
ring = "10s"
outcome = "answered_elsewhere"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	clk := practicetest.NewManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	p := practice.New(sc, telephony.EmitterFunc(func(e telephony.Event) {
		fmt.Println(strings.TrimSpace(e.At.Format("15:04:05") + " " + e.Kind.String() + " " + e.Caller.Number))
	}), practice.WithClock(clk))
	p.Start()
	clk.Advance(time.Minute)
	// Output:
	// 09:00:00 registered
	// 09:00:05 ringing 13800138000
	// 09:00:15 answered_elsewhere 13800138000
}
