package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// ActiveCallback is the callback task the agent is working on: dialled from
// the callback list, shown with its script until its outcome is recorded.
type ActiveCallback struct {
	Task     agent.Callback
	Customer agent.Customer
	// CallID is the outbound call placed for it ("" until dialled).
	CallID string
}

// ErrCallbackDone is returned when an outcome is recorded for a task that
// is already done.
var ErrCallbackDone = errors.New("callback already done")

// StartCallback dials a callback task's customer and makes the task the one
// the callback script and outcome form are about. It refuses a task that is
// done and the customers' quiet hours ("one avoid"), saying until when.
func (d *Desk) StartCallback(ctx context.Context, id string) (string, error) {
	cb, err := d.st.Callback(id)
	if err != nil {
		return "", fmt.Errorf("callback %s: %w", id, err)
	}
	if err := cb.CanDial(d.clock.Now(), d.rules().Quiet); err != nil {
		return "", fmt.Errorf("callback %s: %w", id, err)
	}
	cu, err := d.st.Customer(cb.CustomerID)
	if err != nil {
		return "", fmt.Errorf("callback %s: %w", id, err)
	}
	if len(cu.Phones) == 0 {
		return "", fmt.Errorf("callback %s: %w", id, agent.ErrNoPhone)
	}
	active := &ActiveCallback{Task: cb, Customer: cu}
	d.do(func() {
		d.work.Callback = active
		d.checkScript(active)
		d.publish()
	})
	d.log.Info("callback started", "callback_id", id)
	callID, err := d.Dial(ctx, cu.Phones[0])
	if err != nil {
		return "", err
	}
	d.do(func() {
		if a := d.work.Callback; a != nil && a.Task.ID == id {
			cp := *a
			cp.CallID = callID
			d.work.Callback = &cp
			d.publish()
		}
	})
	return callID, nil
}

// RecordCallback records an attempt or the outcome of a callback task
// (《回访记录表》): an unreachable try schedules the next one outside quiet
// hours; a reached customer needs every item ("must record every callback
// completely") or the record is refused with an
// *agent.CallbackIncompleteError naming what is missing, nothing stored.
// An unsatisfied customer gets a case opened, linked to the callback, whose
// ID is returned.
func (d *Desk) RecordCallback(id string, o agent.CallbackOutcome) (agent.Callback, string, error) {
	now := d.clock.Now()
	cb, err := d.st.Callback(id)
	if err != nil {
		return cb, "", fmt.Errorf("record callback %s: %w", id, err)
	}
	if cb.State == agent.CallbackDone {
		return cb, "", fmt.Errorf("record callback %s: %w", id, ErrCallbackDone)
	}
	if o.At.IsZero() {
		o.At = now
	}
	if err := cb.Record(o, d.rules().Quiet, d.rules().CallbackRetry); err != nil {
		return cb, "", err
	}
	caseID := ""
	if cb.Unsatisfied() {
		c, err := agent.ComplaintFromCallback(&cb, d.me(), now)
		if err != nil {
			return cb, "", fmt.Errorf("record callback %s: %w", id, err)
		}
		// The case first: should the desk stop between the two writes, the
		// case names its callback and nothing the customer said is lost.
		if err := d.st.PutComplaint(c, now); err != nil {
			return cb, "", fmt.Errorf("record callback %s: open the case: %w", id, err)
		}
		caseID = c.ID
	}
	if err := d.st.PutCallback(&cb, now); err != nil {
		return cb, caseID, fmt.Errorf("record callback %s: %w", id, err)
	}
	d.log.Info("callback recorded", "callback_id", id, "reached", *o.Reached, "state", cb.State.String(), "case_id", caseID)
	d.do(func() {
		if a := d.work.Callback; a != nil && a.Task.ID == id {
			d.work.Callback = nil
			d.publish()
		}
	})
	d.reload()
	return cb, caseID, nil
}

// CallbackLine is one line of the callback script as the window shows it:
// when to say it (the pack's words, e.g. "满意时") and what.
type CallbackLine struct {
	When, Say string
}

// callbackRequest is what the pack's callback script is rendered for: the
// task's customer and service.
func (d *Desk) callbackRequest(a *ActiveCallback, at time.Time) scripts.Request {
	return scripts.Request{At: at, Outbound: true, AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber,
		Caller:  scripts.Party{Surname: a.Customer.Surname, Title: string(a.Customer.Title), Name: a.Customer.Name, MemberLevel: a.Customer.Level},
		Service: a.Task.Service, ServiceTime: a.Task.ServiceAt}
}

// callbackScript renders the pack's callback script for the active task.
// Every view renders it: a line lacking a value is logged once, when the
// callback starts (checkScript).
func (d *Desk) callbackScript(pack *scripts.Pack, a *ActiveCallback, at time.Time) []CallbackLine {
	if pack == nil || a == nil {
		return nil
	}
	var out []CallbackLine
	for _, l := range pack.CallbackScript(d.callbackRequest(a, at)) {
		out = append(out, CallbackLine{When: l.When, Say: l.Say.Text})
	}
	return out
}

// checkScript logs the callback script's lines that lack a value for task
// a (the pack shows a placeholder there); desk goroutine.
func (d *Desk) checkScript(a *ActiveCallback) {
	pack := d.pack()
	if pack == nil {
		return
	}
	for _, l := range pack.CallbackScript(d.callbackRequest(a, d.clock.Now())) {
		if len(l.Say.Missing) > 0 {
			d.log.Warn("callback line not fully rendered", "callback_id", a.Task.ID, "line", l.Say.Path, "missing", l.Say.Missing)
		}
	}
}

// callbackOpening is the opening line of an outbound call placed for the
// callback being worked on — the callback script's first line ("您好，我是
// XX的客服代表，请问您是X先生吗？"), not the verification opening of other
// outbound calls — and false for any other call; desk goroutine.
func (d *Desk) callbackOpening(pack *scripts.Pack, p Pop, at time.Time) (string, bool) {
	a := d.work.Callback
	if a == nil || p.Direction != telephony.Outbound || (a.CallID != "" && a.CallID != p.CallID) || !hasPhone(a.Customer, p.Number) {
		return "", false
	}
	lines := d.callbackScript(pack, a, at)
	if len(lines) == 0 {
		return "", false
	}
	return lines[0].Say, true
}

// hasPhone reports whether number is one of c's phones.
func hasPhone(c agent.Customer, number string) bool {
	n, err := agent.NormalizePhone(number)
	if err != nil {
		return false
	}
	for _, ph := range c.Phones {
		if m, err := agent.NormalizePhone(ph); err == nil && m == n {
			return true
		}
	}
	return false
}

// CallbackReport is the 《回访总结报告》 for tasks made in [from, to): the
// center's and each agent's reached, satisfied, complete, in-time and
// overdue figures, judged now; only agentID's tasks when it is set. A
// supervisor's or team lead's desk with a hub asks the hub, which holds
// every desk's tasks (by whole center days); otherwise the desk reports
// the tasks it holds. It reads every task or waits on the network: call
// it off the UI thread.
func (d *Desk) CallbackReport(from, to time.Time, agentID string) (agent.CallbackReport, error) {
	if rh, ok := d.hub.(reportHub); ok && mayReadFloor(d.cfg.UserRole()) {
		zone := d.rules().Zone
		ctx, cancel := context.WithTimeout(context.Background(), hubReportTimeout)
		defer cancel()
		r, err := rh.CallbackReport(ctx, agent.DayOf(from, zone), agent.DayOf(to.Add(-time.Nanosecond), zone), agentID)
		if err != nil {
			return r, fmt.Errorf("callback report: %w", err)
		}
		return r, nil
	}
	cbs, err := d.st.Callbacks(store.CallbackFilter{})
	if err != nil {
		return agent.CallbackReport{}, fmt.Errorf("callback report: %w", err)
	}
	return agent.ReportCallbacks(cbs, from, to, d.clock.Now(), agentID), nil
}

// reportHub is a hub that reports the whole center's callbacks.
type reportHub interface {
	CallbackReport(ctx context.Context, from, to agent.Day, agentID string) (agent.CallbackReport, error)
}

// hubReportTimeout bounds a report asked of the hub.
const hubReportTimeout = 20 * time.Second

// mayReadFloor says whether role sees the whole floor (board, reports).
func mayReadFloor(r agent.Role) bool { return r == agent.RoleSupervisor || r == agent.RoleTeamLead }
