package main

import (
	"agentdesk/agent"
)

func init() {
	register(&command{
		name:    "stats",
		usage:   "--day YYYY-MM-DD [--zone ZONE] [--ring-limit 12s] [--data DIR]",
		summary: "one day's figures per agent (《工作统计一览表》, JSON)",
		run:     statsDay,
	})
}

// statsView is what stats prints.
type statsView struct {
	Day              string           `json:"day"`
	Zone             string           `json:"zone"`
	RingLimitSeconds float64          `json:"ring_limit_seconds"`
	Agents           []agent.AgentDay `json:"agents"`
	Totals           agent.AgentDay   `json:"totals"`
}

func statsDay(e *env, args []string) error {
	fs := newCaseFlagSet("stats", e)
	f := addCaseFlags(fs)
	day := fs.String("day", "", "the `YYYY-MM-DD` day, in --zone")
	ring := fs.Duration("ring-limit", 0, "answer within this `DURATION` (default: the config's ring_limit_seconds, 12 s)")
	_, center, _, err := f.parse(fs, args, 0)
	if err != nil {
		return err
	}
	if *day == "" {
		return errUsage
	}
	d, err := agent.ParseDay(*day)
	if err != nil {
		return err
	}
	if *ring <= 0 {
		*ring = center.RingLimit
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()
	start, end := d.Bounds(center.Zone)
	calls, err := s.Calls(start, end)
	if err != nil {
		return err
	}
	// Only the cases and tasks with an event that day, through the day
	// indexes: the statistics count nothing else.
	cases, err := s.ComplaintsBetween(start, end)
	if err != nil {
		return err
	}
	cbs, err := s.CallbacksBetween(start, end)
	if err != nil {
		return err
	}
	v := statsView{Day: d.String(), Zone: center.Zone.String(), RingLimitSeconds: ring.Seconds(),
		Agents: agent.DailyStats(d, center.Zone, *ring, calls, cases, cbs)}
	v.Totals = agent.Totals(d, v.Agents)
	return writeCaseJSON(e.stdout, v)
}
