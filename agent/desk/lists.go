package desk

import (
	"errors"
	"sort"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
)

// lists are what the view shows beside the desk's live state, read from
// the store by the loader goroutine (never on the pop path): today's calls,
// the agent's own cases and callbacks, and the names of their customers.
type lists struct {
	at        time.Time
	day       agent.Day
	calls     []agent.Call      // today's, in time order
	cases     []agent.Complaint // the agent's, every state (stats count replies of closed ones)
	callbacks []agent.Callback  // the agent's, every state
	names     map[string]agent.Customer
	// recordings of today's calls, by SIP Call-ID.
	recordings map[string]agent.Recording
	// coaching are the supervisors' notes for the agent of the last
	// CoachingDays, newest first.
	coaching []store.CoachingNote
}

// CoachingDays is how far back the desk lists supervisors' coaching notes.
const CoachingDays = 7

// Reload reads the lists again: records arrived from the hub (callback
// tasks, coaching notes). It never blocks.
func (d *Desk) Reload() { d.reload() }

// reload asks the loader for fresh lists; it never blocks (a reload
// already asked for covers this one too).
func (d *Desk) reload() {
	select {
	case d.reloadCh <- struct{}{}:
	default:
	}
}

// loader reads the lists whenever reload asks, and hands them to the desk
// goroutine, which publishes them with the next view.
func (d *Desk) loader() {
	defer close(d.loaderDone)
	for {
		select {
		case <-d.quit:
			return
		case <-d.reloadCh:
		}
		now := d.clock.Now()
		if _, err := d.planCallbacks(now); err != nil {
			d.log.Warn("plan callbacks", "error", err)
		}
		l, err := d.load(now)
		if err != nil {
			d.log.Error("desk lists failed", "error", err)
		}
		select {
		case d.ops <- func() {
			if err != nil {
				d.notice(NoticeLookupFailed, nil)
			}
			if l.at.Before(d.lists.at) {
				return // a newer load already landed
			}
			d.noticeDue(d.lists, l)
			d.lists = l
			d.publish()
		}:
		case <-d.quit:
			return
		}
	}
}

// load reads today's calls and the agent's cases and callbacks at instant at.
func (d *Desk) load(at time.Time) (lists, error) {
	zone := d.rules().Zone
	l := lists{at: at, day: agent.DayOf(at, zone), names: map[string]agent.Customer{}}
	start, end := l.day.Bounds(zone)
	me := d.me()
	var errs []error
	calls, err := d.st.Calls(start, end)
	errs = append(errs, err)
	for _, c := range calls {
		if c.Agent == me {
			l.calls = append(l.calls, c)
		}
	}
	l.cases, err = d.st.Complaints(store.ComplaintFilter{Owner: me})
	errs = append(errs, err)
	// Cases escalated to this agent, or to their role, wait for them too.
	open, err := d.st.Complaints(store.ComplaintFilter{States: []agent.ComplaintState{agent.StateOpen, agent.StateAwaitingReply, agent.StateReplied}})
	errs = append(errs, err)
	for _, c := range open {
		if c.Owner != me && (c.EscalatedTo(me, d.cfg.UserRole()) || d.cfg.UserRole() == agent.RoleSupervisor && c.Warning != nil) {
			l.cases = append(l.cases, c)
		}
	}
	l.callbacks, err = d.st.Callbacks(store.CallbackFilter{Agent: me})
	errs = append(errs, err)
	l.coaching, err = d.st.CoachingNotes(me, at.AddDate(0, 0, -CoachingDays))
	errs = append(errs, err)
	ids := make([]string, 0, len(l.calls))
	for _, c := range l.calls {
		if c.CallID != "" {
			ids = append(ids, c.CallID)
		}
	}
	if len(ids) > 0 {
		recs, err := d.st.Recordings(ids...)
		errs = append(errs, err)
		l.recordings = map[string]agent.Recording{}
		for _, r := range recs {
			l.recordings[r.CallID] = r
		}
	}
	for _, id := range customerIDs(l) {
		if c, err := d.st.Customer(id); err == nil {
			l.names[id] = c
		} else if !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return l, errors.Join(errs...)
}

// noticeDue tells the agent of each case that fell due soon or overdue
// between two loads (the pre-deadline warning); the window turns these
// notices into desktop notifications. The first load tells nothing: the
// agent sees the list itself.
func (d *Desk) noticeDue(prev, next lists) {
	if prev.at.IsZero() {
		return
	}
	me, role, p := d.me(), d.cfg.UserRole(), d.rules().Warning
	was := map[string]CaseRow{}
	for _, r := range caseRows(prev, prev.at, me, role, p) {
		was[r.ID] = r
	}
	for _, r := range caseRows(next, next.at, me, role, p) {
		old, seen := was[r.ID]
		args := map[string]string{"customer": r.Customer, "what": r.What, "due": r.ReplyDue.In(d.rules().Zone).Format("15:04")}
		switch {
		case r.Overdue && (!seen || !old.Overdue):
			d.notice(NoticeCaseOverdue, args)
		case r.DueSoon && (!seen || !old.DueSoon):
			d.notice(NoticeCaseDue, args)
		}
	}
}

func customerIDs(l lists) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, c := range l.cases {
		if c.State != agent.StateClosed {
			add(c.CustomerID)
		}
	}
	for _, cb := range l.callbacks {
		if cb.State != agent.CallbackDone {
			add(cb.CustomerID)
		}
	}
	return ids
}

// caseRows are the open cases of l at instant at: overdue first (most
// overdue first), then by reply time, then the rest by when they opened.
// me and role say which wait for this agent.
func caseRows(l lists, at time.Time, me string, role agent.Role, p agent.SLAPolicy) []CaseRow {
	var rows []CaseRow
	for _, c := range l.cases {
		if c.State == agent.StateClosed {
			continue
		}
		r := CaseRow{ID: c.ID, Customer: l.names[c.CustomerID].Name, State: c.State, OpenedAt: c.OpenedAt,
			ReplyDue: c.ReplyDue(), Overdue: c.ReplyOverdue(at)}
		if c.Followed != nil {
			r.Severity = c.Followed.Severity
		}
		switch {
		case c.Asked != nil:
			r.What = c.Asked.Facts.What
		case c.Heard != nil:
			r.What = c.Heard.Statement
		}
		r.DueSoon = c.ReplyDueWithin(at, RepliesWarnBefore)
		r.WaitingForMe = c.EscalatedTo(me, role)
		if c.Warning != nil {
			st := p.Status(*c.Warning, at)
			r.Warning = &st
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case a.ReplyDue.IsZero() != b.ReplyDue.IsZero():
			return !a.ReplyDue.IsZero()
		case !a.ReplyDue.Equal(b.ReplyDue):
			return a.ReplyDue.Before(b.ReplyDue)
		}
		return a.OpenedAt.Before(b.OpenedAt)
	})
	return rows
}

// callbackRows are the agent's callback tasks not yet done, soonest due
// first.
func callbackRows(l lists, at time.Time, dialable bool) []CallbackRow {
	var rows []CallbackRow
	for _, cb := range l.callbacks {
		if cb.State == agent.CallbackDone {
			continue
		}
		c := l.names[cb.CustomerID]
		r := CallbackRow{Callback: cb, Customer: c.Name, Overdue: cb.Overdue(at)}
		if len(c.Phones) > 0 {
			r.Number = c.Phones[0]
		}
		r.Dialable = dialable && r.Number != ""
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Due.Before(rows[j].Due) })
	return rows
}
