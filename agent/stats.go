package agent

import (
	"fmt"
	"sort"
	"time"
)

// Day is a calendar day, read in a center's zone.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	return Day{t.Year(), t.Month(), t.Day()}, nil
}

// DayOf returns the calendar day of instant t in zone.
func DayOf(t time.Time, zone *time.Location) Day {
	l := t.In(zone)
	return Day{l.Year(), l.Month(), l.Day()}
}

// String renders YYYY-MM-DD.
func (d Day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// Bounds returns the day's first instant and the next day's first instant in
// zone: 24 hours long, or 23 or 25 on a DST change.
func (d Day) Bounds(zone *time.Location) (start, end time.Time) {
	start = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, zone)
	end = time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, zone)
	return start, end
}

// AgentDay is one agent's figures for one day (《工作统计一览表》).
type AgentDay struct {
	Agent               string `json:"agent"`
	Day                 string `json:"day"`
	Inbound             int    `json:"inbound"`
	Outbound            int    `json:"outbound"`
	AnsweredWithinLimit int    `json:"answered_within_limit"`
	Missed              int    `json:"missed"`
	ComplaintsOpened    int    `json:"complaints_opened"`
	RepliedOnTime       int    `json:"complaints_replied_on_time"`
	RepliedLate         int    `json:"complaints_replied_late"`
	CallbacksDone       int    `json:"callbacks_done"`     // tries made that day
	CallbacksComplete   int    `json:"callbacks_complete"` // tasks finished with a complete record that day
	// ByType counts the day's calls by wrap-up type: consultation,
	// complaint, other, and "unwrapped" for calls not wrapped up yet.
	ByType map[string]int `json:"by_type"`
}

// Unwrapped is the ByType key of calls not wrapped up yet.
const Unwrapped = "unwrapped"

// DailyStats computes every agent's figures for day in zone: calls by when
// they rang, complaints opened (owner) and replied (owner, by reply time,
// against the reply deadline), callback tries and completions (assigned
// agent). Agents are sorted by name; an agent with nothing that day is absent.
func DailyStats(day Day, zone *time.Location, ringLimit time.Duration, calls []Call, complaints []Complaint, callbacks []Callback) []AgentDay {
	start, end := day.Bounds(zone)
	in := func(t time.Time) bool { return !t.Before(start) && t.Before(end) }
	by := map[string]*AgentDay{}
	get := func(agent string) *AgentDay {
		a, ok := by[agent]
		if !ok {
			a = &AgentDay{Agent: agent, Day: day.String(), ByType: map[string]int{}}
			by[agent] = a
		}
		return a
	}
	for _, c := range calls {
		if !in(c.At) {
			continue
		}
		a := get(c.Agent)
		if c.Wrapped() {
			a.ByType[c.Type.String()]++
		} else {
			a.ByType[Unwrapped]++
		}
		switch c.Direction {
		case Inbound:
			a.Inbound++
			if c.AnsweredWithin(ringLimit) {
				a.AnsweredWithinLimit++
			}
			if c.Missed() {
				a.Missed++
			}
		case Outbound:
			a.Outbound++
		}
	}
	for i := range complaints {
		c := &complaints[i]
		if in(c.OpenedAt) {
			get(c.Owner).ComplaintsOpened++
		}
		if c.Replied != nil && in(c.Replied.RepliedAt) {
			if onTime, _ := c.RepliedOnTime(); onTime {
				get(c.Owner).RepliedOnTime++
			} else {
				get(c.Owner).RepliedLate++
			}
		}
	}
	for _, cb := range callbacks {
		for _, t := range cb.Attempts {
			if in(t.At) {
				get(cb.Agent).CallbacksDone++
			}
		}
		if cb.State == CallbackDone && cb.Outcome != nil && in(cb.Outcome.At) && len(cb.Outcome.Problems()) == 0 {
			get(cb.Agent).CallbacksComplete++
		}
	}
	out := make([]AgentDay, 0, len(by))
	for _, a := range by {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Agent < out[j].Agent })
	return out
}

// Totals adds up every agent's figures of one day (the 《工作统计一览表》's
// total line).
func Totals(day Day, agents []AgentDay) AgentDay {
	t := AgentDay{Day: day.String(), ByType: map[string]int{}}
	for _, a := range agents {
		t.Inbound += a.Inbound
		t.Outbound += a.Outbound
		t.AnsweredWithinLimit += a.AnsweredWithinLimit
		t.Missed += a.Missed
		t.ComplaintsOpened += a.ComplaintsOpened
		t.RepliedOnTime += a.RepliedOnTime
		t.RepliedLate += a.RepliedLate
		t.CallbacksDone += a.CallbacksDone
		t.CallbacksComplete += a.CallbacksComplete
		for k, n := range a.ByType {
			t.ByType[k] += n
		}
	}
	return t
}
