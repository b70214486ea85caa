package agent_test

import (
	"fmt"
	"time"

	"agentdesk/agent"
)

func ExampleParseTimeOfDay() {
	t, err := agent.ParseTimeOfDay("21:00")
	fmt.Println(int(t), t, err)
	_, err = agent.ParseTimeOfDay("9pm")
	fmt.Println(err)
	// Output:
	// 1260 21:00 <nil>
	// time of day "9pm": want HH:MM
}

func ExampleParseDay() {
	d, _ := agent.ParseDay("2026-03-29")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	start, end := d.Bounds(berlin)
	fmt.Println(d, end.Sub(start))
	// Output: 2026-03-29 23h0m0s
}

func ExampleQuietHours_CanDial() {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	q := agent.DefaultQuietHours(loc)
	fmt.Println(q.CanDial(time.Date(2026, 5, 6, 12, 30, 0, 0, loc)))
	fmt.Println(q.CanDial(time.Date(2026, 5, 6, 14, 0, 0, 0, loc)))
	// Output:
	// not dialing at 12:30: customer is resting (quiet hours 12:00–14:00 Asia/Shanghai); next allowed 2026-05-06 14:00
	// <nil>
}

func ExampleComplaint_Follow() {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 5, 6, 23, 0, 0, 0, loc)
	c, _ := agent.NewComplaint("customer-id", "8001", agent.ChannelPhone, at)
	_ = c.Listen("热水器装好第二天就漏水了", at)
	_ = c.Ask(agent.Facts{What: "漏水", When: "5月5日", Where: "家中", Subject: "订单 SO-1", Wants: "上门维修"}, true, at)
	alert, _ := c.Follow(agent.FollowInput{Severity: agent.SeveritySimple}, at, agent.DefaultReplyPolicy())
	fmt.Println(c.State, c.ReplyDue().In(loc).Format("2006-01-02 15:04"), alert == nil)
	for _, p := range c.Missing() {
		fmt.Println(p)
	}
	// Output:
	// awaiting_reply 2026-05-07 01:00 true
	// 复清楚 (reply): not done
	// 记清楚 (record): not done
}
