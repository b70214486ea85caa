package desk

import (
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
)

// The case commands work on a stored complaint across calls (首问负责制:
// the owner follows it to the end): each loads the case, takes one step
// through the case's own rules, and stores it durably with any alert it
// raises before it returns. An agent works on their own cases and those
// escalated to them; team leads and supervisors on any.

// mayWork reports whether the desk's user may work on case c.
func (d *Desk) mayWork(c *agent.Complaint) error {
	switch r := d.cfg.UserRole(); {
	case r == agent.RoleSupervisor || r == agent.RoleTeamLead:
		return nil
	case c.Owner == d.me() || c.EscalatedTo(d.me(), r):
		return nil
	}
	return fmt.Errorf("case %s of %s: %w", c.ID, c.Owner, ErrNotMine)
}

// caseStep loads case id, applies step and stores the case with the alerts
// step returns.
func (d *Desk) caseStep(id, what string, step func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error)) (agent.Complaint, error) {
	now := d.clock.Now()
	c, err := d.st.Complaint(id)
	if err != nil {
		return c, fmt.Errorf("%s %s: %w", what, id, err)
	}
	if err := d.mayWork(&c); err != nil {
		return c, fmt.Errorf("%s: %w", what, err)
	}
	alerts, err := step(&c, now)
	if err != nil {
		return c, err
	}
	if err := d.st.PutComplaint(&c, now, alerts...); err != nil {
		return c, fmt.Errorf("%s %s: %w", what, id, err)
	}
	d.log.Info("case step", "case_id", id, "step", what, "state", c.State.String())
	d.reload()
	return c, nil
}

// FollowUp adds a follow-up note from a later call (跟清楚: own it to the end).
func (d *Desk) FollowUp(id, note string) (agent.Complaint, error) {
	return d.caseStep(id, "follow up", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.AddFollowUp(strings.TrimSpace(note), now)
	})
}

// SetReplyDue moves the next reply time agreed with the caller; the reason
// is required.
func (d *Desk) SetReplyDue(id string, due time.Time, reason string) (agent.Complaint, error) {
	return d.caseStep(id, "reply time", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.SetReplyDue(due, strings.TrimSpace(reason), now)
	})
}

// CloseCase closes a replied case with nothing missing; a case that lacks
// a step is refused naming it (*agent.IncompleteError).
func (d *Desk) CloseCase(id string) (agent.Complaint, error) {
	return d.caseStep(id, "close", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.Close(now)
	})
}

// ReopenCase takes back a replied or closed case when the caller calls back
// unhappy, with the reason; a new reply time follows from its severity.
func (d *Desk) ReopenCase(id, reason string) (agent.Complaint, error) {
	return d.caseStep(id, "reopen", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.Reopen(strings.TrimSpace(reason), now, d.rules().Reply)
	})
}

// Escalate hands a case to a team lead, a supervisor (role names) or an
// agent (their number) with a note; they see it on the board at once.
func (d *Desk) Escalate(id, to, note string) (agent.Complaint, error) {
	return d.caseStep(id, "escalate", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		a, err := c.Escalate(to, strings.TrimSpace(note), d.me(), now)
		if err != nil {
			return nil, err
		}
		return []*agent.Alert{a}, nil
	})
}

// RaiseWarning starts a case's warning-complaint timeline (预警): a
// supervisor's decision.
func (d *Desk) RaiseWarning(id string) (agent.Complaint, error) {
	return d.caseStep(id, "raise warning", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.RaiseWarning(d.me(), d.cfg.UserRole(), now)
	})
}

// CompleteStage marks the case's current warning stage done, by the desk's
// user if their role may (agent.Role.MayComplete), with what was done.
func (d *Desk) CompleteStage(id, note string) (agent.Complaint, error) {
	return d.caseStep(id, "warning stage", func(c *agent.Complaint, now time.Time) ([]*agent.Alert, error) {
		return nil, c.CompleteStage(d.rules().Warning, d.me(), d.cfg.UserRole(), note, now)
	})
}

// CaseView is one case as the case panel shows it: the case, what it
// lacks, whether its reply is overdue, and its warning timeline.
type CaseView struct {
	Case         agent.Complaint
	Customer     agent.Customer
	Missing      []agent.StepProblem
	ReplyOverdue bool
	Warning      *agent.SLAStatus
	// Stages are the warning's stages with their roles, for the panel.
	Stages []agent.SLAStage
}

// Case returns the case panel's view of case id.
func (d *Desk) Case(id string) (CaseView, error) {
	c, err := d.st.Complaint(id)
	if err != nil {
		return CaseView{}, fmt.Errorf("case %s: %w", id, err)
	}
	at := d.clock.Now()
	v := CaseView{Case: c, Missing: c.Missing(), ReplyOverdue: c.ReplyOverdue(at), Stages: d.rules().Warning.Stages}
	if cu, err := d.st.Customer(c.CustomerID); err == nil {
		v.Customer = cu
	}
	if c.Warning != nil {
		st := d.rules().Warning.Status(*c.Warning, at)
		v.Warning = &st
	}
	return v, nil
}
