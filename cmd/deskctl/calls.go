package main

import (
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
)

func init() {
	register(&command{
		name:    "calls list",
		usage:   "--day YYYY-MM-DD [--agent A] [--unwrapped] [--zone ZONE] [--data DIR]",
		summary: "one day's call log (《电话接听记录表》, JSON)",
		run:     callsList,
	})
	register(&command{
		name:    "calls add",
		usage:   "--from FILE.json [--agent A] [--at RFC3339] [--data DIR]",
		summary: "log a call the desk never saw (after hours), wrapped up at once (JSON in and out)",
		run:     callsAdd,
	})
	register(&command{
		name:    "calls wrap",
		usage:   "ID --from FILE.json [--agent A] [--at RFC3339] [--data DIR]",
		summary: "wrap up a call of the log: type, area, department, feedback, result (JSON in and out)",
		run:     callsWrap,
	})
}

// callsList prints the calls that began on --day (in the center's zone),
// oldest first.
func callsList(e *env, args []string) error {
	fs := newCaseFlagSet("calls list", e)
	f := addCaseFlags(fs)
	day := fs.String("day", "", "the `YYYY-MM-DD` day, in the center's zone")
	who := fs.String("agent", "", "only the calls of `AGENT`")
	unwrapped := fs.Bool("unwrapped", false, "only answered calls not wrapped up yet")
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
	out := []agent.Call{}
	for _, c := range calls {
		if (*who != "" && c.Agent != *who) || (*unwrapped && (c.Wrapped() || !c.Answered)) {
			continue
		}
		c.At = c.At.In(center.Zone)
		out = append(out, c)
	}
	return writeCaseJSON(e.stdout, out)
}

// callInput is a call logged after the fact: when, who called, and its
// wrap-up (the 《电话接听记录表》 fields).
type callInput struct {
	At     time.Time `json:"at"`
	Number string    `json:"number"`
	// Answered defaults to true: a call logged by hand was taken.
	Answered *bool `json:"answered,omitempty"`
	agent.WrapUp
}

func callsAdd(e *env, args []string) error {
	fs := newCaseFlagSet("calls add", e)
	f := addDeskFlags(fs)
	from := fs.String("from", "", "the call as a JSON `FILE` (- for stdin)")
	d, _, err := f.openDesk(e, args, fs, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	var in callInput
	if err := readJSON(e, *from, &in); err != nil {
		return err
	}
	var problems []string
	if in.At.IsZero() {
		problems = append(problems, `"at": the time of the call is required (RFC3339)`)
	}
	if strings.TrimSpace(in.Number) == "" {
		problems = append(problems, `"number": the caller's number is required`)
	}
	if len(problems) > 0 {
		return fmt.Errorf("call refused, nothing stored:\n  %s", strings.Join(problems, "\n  "))
	}
	c := agent.Call{At: in.At, Number: in.Number, Answered: in.Answered == nil || *in.Answered, Direction: agent.Inbound}
	stored, err := d.LogCall(c, in.WrapUp)
	if err != nil {
		return fmt.Errorf("call refused, nothing stored: %w", err)
	}
	return writeCaseJSON(e.stdout, stored)
}

func callsWrap(e *env, args []string) error {
	fs := newCaseFlagSet("calls wrap", e)
	f := addDeskFlags(fs)
	from := fs.String("from", "", "the wrap-up as a JSON `FILE` (- for stdin)")
	d, pos, err := f.openDesk(e, args, fs, 1)
	if err != nil {
		return err
	}
	defer d.Close()
	var w agent.WrapUp
	if err := readJSON(e, *from, &w); err != nil {
		return err
	}
	c, err := d.WrapCall(pos[0], w)
	if err != nil {
		return fmt.Errorf("wrap-up refused, nothing stored: %w", err)
	}
	return writeCaseJSON(e.stdout, c)
}
