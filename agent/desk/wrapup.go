package desk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
)

// PendingWrap is the call that just ended and waits for its wrap-up
// (《电话接听记录表》): the agent is in after-call work until it is saved.
type PendingWrap struct {
	// RecordID is the call's record in the call log.
	RecordID string
	CallID   string
	Number   string
	Customer string
	// Area is derived from the number (the agent may correct it); CaseID is
	// the complaint saved on the call, if any, and Type the wrap-up type
	// that follows from it.
	Area   string
	CaseID string
	Type   agent.CallType
	Ended  time.Time
}

// ACW is the after-call work as the window shows it.
type ACW struct {
	Since time.Time
	Limit time.Duration
}

// Over reports whether the wrap-up has taken longer than its limit at at.
func (a ACW) Over(at time.Time) bool { return a.Limit > 0 && at.Sub(a.Since) > a.Limit }

// areaLang is the geocoding language for a desk language.
func areaLang(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "zh"
}

// pendWrap makes the wrap-up of logged call rec wait, when the call was
// taken (a call nobody answered has nothing to wrap up); desk goroutine.
func (d *Desk) pendWrap(c Call, rec *agent.Call) {
	caseID := d.callCases[c.CallID]
	delete(d.callCases, c.CallID)
	if !rec.Answered {
		return
	}
	w := &PendingWrap{RecordID: rec.ID, CallID: c.CallID, Number: rec.Number, Area: rec.Area, Ended: rec.EndedAt}
	if c.Customer != nil {
		w.Customer = c.Customer.Name
	}
	if caseID != "" {
		w.CaseID, w.Type = caseID, agent.CallComplaint
	}
	d.work.WrapUp = w
}

// WrapCall records the wrap-up of a logged call (recordID: its record in
// the call log). It is refused, changing nothing, with an
// *agent.WrapIncompleteError naming what is missing. Wrapping the call the
// agent is in after-call work for ends the after-call work: the agent is
// available again.
func (d *Desk) WrapCall(recordID string, w agent.WrapUp) (agent.Call, error) {
	now := d.clock.Now()
	c, err := d.st.Call(recordID)
	if err != nil {
		return c, fmt.Errorf("wrap up call %s: %w", recordID, err)
	}
	if strings.TrimSpace(w.CaseID) != "" {
		if _, err := d.st.Complaint(w.CaseID); err != nil {
			return c, fmt.Errorf("wrap up call %s: case %s: %w", recordID, w.CaseID, err)
		}
	}
	if err := c.Wrap(w, now); err != nil {
		return c, err
	}
	if err := d.st.PutCall(&c, now); err != nil {
		return c, fmt.Errorf("wrap up call %s: %w", recordID, err)
	}
	d.log.Info("call wrapped up", "record_id", recordID, "type", c.Type.String(), "case_id", c.CaseID)
	d.do(func() {
		if p := d.work.WrapUp; p != nil && p.RecordID == recordID {
			d.work.WrapUp = nil
			if d.work.Agent.Status == agent.StatusWrapUp && len(d.work.Calls) == 0 {
				d.moveAgent(agent.StatusAvailable, now)
			}
			d.publish()
		}
	})
	d.reload()
	return c, nil
}

// LogCall adds a call the desk never saw (an after-hours call logged the
// next morning, a walk-in) to the call log, wrapped up at once.
func (d *Desk) LogCall(c agent.Call, w agent.WrapUp) (agent.Call, error) {
	now := d.clock.Now()
	if c.Agent == "" {
		c.Agent = d.me()
	}
	if c.At.IsZero() {
		return c, fmt.Errorf("log call: time: %w", agent.ErrEmpty)
	}
	if c.At.After(now) {
		return c, fmt.Errorf("log call: %s is in the future: %w", c.At.Format(time.RFC3339), agent.ErrState)
	}
	if norm, err := agent.NormalizePhone(c.Number); err == nil {
		c.Number = norm
	}
	if c.CustomerID == "" && c.Number != "" {
		if found, err := d.st.LookupPhone(c.Number); err == nil && len(found) > 0 {
			c.CustomerID = found[0].ID
		}
	}
	if c.Area == "" {
		c.Area = agent.AreaOf(c.Number, areaLang(d.State().Lang))
	}
	c.Later = true
	if err := c.Wrap(w, now); err != nil {
		return c, err
	}
	if err := d.st.PutCall(&c, now); err != nil {
		return c, fmt.Errorf("log call: %w", err)
	}
	d.reload()
	return c, nil
}

// ErrNotMine is returned when an agent acts on a case that is neither theirs
// nor escalated to them, without a role that may.
var ErrNotMine = errors.New("not this agent's case")
