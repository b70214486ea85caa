package main

import (
	"cmp"
	"fmt"
	"slices"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

func init() {
	register(&command{
		name:    "callbacks list",
		usage:   "[--agent A] [--state pending|done|overdue] [--at RFC3339] [--data DIR]",
		summary: "callback tasks (JSON), soonest due first",
		run:     callbacksList,
	})
	register(&command{
		name:    "callbacks record",
		usage:   "ID --from FILE.json [--agent A] [--at RFC3339] [--data DIR]",
		summary: "record a callback: an attempt not reached, or the complete outcome (《回访记录表》, JSON)",
		run:     callbacksRecord,
	})
	register(&command{
		name:    "callbacks report",
		usage:   "--from YYYY-MM-DD --to YYYY-MM-DD [--agent A] [--at RFC3339] [--data DIR]",
		summary: "the callback summary report (《回访总结报告》) for tasks made in the days (JSON)",
		run:     callbacksReport,
	})
}

// callbackRow is one task of callbacks list, with whether it is overdue.
type callbackRow struct {
	agent.Callback
	Overdue bool `json:"overdue"`
}

func callbacksList(e *env, args []string) error {
	fs := newCaseFlagSet("callbacks list", e)
	f := addCaseFlags(fs)
	who := fs.String("agent", "", "only the tasks of `AGENT`")
	state := fs.String("state", "", "only tasks that are `STATE`: pending, done or overdue (pending past due)")
	_, center, at, err := f.parse(fs, args, 0)
	if err != nil {
		return err
	}
	switch *state {
	case "", "pending", "done", "overdue":
	default:
		return fmt.Errorf("--state %q: want pending, done or overdue", *state)
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()
	cbs, err := s.Callbacks(store.CallbackFilter{Agent: *who, PendingOnly: *state == "pending" || *state == "overdue"})
	if err != nil {
		return err
	}
	out := []callbackRow{}
	for _, cb := range cbs {
		r := callbackRow{Callback: cb, Overdue: cb.State == agent.CallbackPending && cb.Overdue(at)}
		if (*state == "done" && cb.State != agent.CallbackDone) || (*state == "overdue" && !r.Overdue) {
			continue
		}
		r.Due = r.Due.In(center.Zone)
		out = append(out, r)
	}
	sortCallbacks(out)
	return writeCaseJSON(e.stdout, out)
}

// sortCallbacks orders tasks by due time, then ID.
func sortCallbacks(rows []callbackRow) {
	slices.SortFunc(rows, func(a, b callbackRow) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ID, b.ID))
	})
}

// callbackRecordView is what callbacks record prints: the stored task and,
// when the customer was not satisfied, the case opened for them.
type callbackRecordView struct {
	Callback    agent.Callback `json:"callback"`
	ComplaintID string         `json:"complaint_id,omitempty"`
}

func callbacksRecord(e *env, args []string) error {
	fs := newCaseFlagSet("callbacks record", e)
	f := addDeskFlags(fs)
	from := fs.String("from", "", "the attempt or outcome as a JSON `FILE` (- for stdin)")
	d, pos, err := f.openDesk(e, args, fs, 1)
	if err != nil {
		return err
	}
	defer d.Close()
	var o agent.CallbackOutcome
	if err := readJSON(e, *from, &o); err != nil {
		return err
	}
	cb, caseID, err := d.RecordCallback(pos[0], o)
	if err != nil {
		return fmt.Errorf("callback record refused, nothing stored: %w", err)
	}
	return writeCaseJSON(e.stdout, callbackRecordView{Callback: cb, ComplaintID: caseID})
}

// callbackReportView is what callbacks report prints.
type callbackReportView struct {
	From string `json:"from"`
	To   string `json:"to"`
	Zone string `json:"zone"`
	agent.CallbackReport
}

func callbacksReport(e *env, args []string) error {
	fs := newCaseFlagSet("callbacks report", e)
	f := addDeskFlags(fs)
	fromDay := fs.String("from", "", "first `YYYY-MM-DD` day (tasks made from its start)")
	toDay := fs.String("to", "", "last `YYYY-MM-DD` day (included)")
	d, _, err := f.openDesk(e, args, fs, 0)
	if err != nil {
		return err
	}
	defer d.Close()
	if *fromDay == "" || *toDay == "" {
		return errUsage
	}
	from, err := agent.ParseDay(*fromDay)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := agent.ParseDay(*toDay)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	zone := d.Center().Zone
	start, _ := from.Bounds(zone)
	_, end := to.Bounds(zone)
	if !end.After(start) {
		return fmt.Errorf("--to %s is before --from %s", to, from)
	}
	r, err := d.CallbackReport(start, end, f.agent)
	if err != nil {
		return err
	}
	return writeCaseJSON(e.stdout, callbackReportView{From: from.String(), To: to.String(), Zone: zone.String(), CallbackReport: r})
}
