package desk

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"agentdesk/agent"
)

// ErrAnonymous is returned when a complaint is filed for a caller with no
// number and no record: the agent makes a customer record first.
var ErrAnonymous = errors.New("an anonymous caller needs a customer record first")

// ComplaintDraft is what the complaint wizard has gathered, step by step
// ("five clears, one report"). An empty later step is simply not taken yet:
// a case spans several calls. CaseID names the case being worked on; empty
// for a new one, which the first save creates (and returns the ID of).
type ComplaintDraft struct {
	CaseID string
	// CallID is the call the draft was taken on ("" off a call).
	CallID string
	// 听清楚: the caller's words.
	Statement string
	// 问清楚: the facts, and the caller's confirmation of the read-back.
	What, When, Where, Subject, Wants string
	ReadBack                          bool
	// 跟清楚: the severity (simple 2 h, complex 24 h, major reported at
	// once), solved on the call, or the reply time agreed with the caller
	// (zero: the policy's default) and why it differs.
	Severity  agent.Severity
	Solved    bool
	ReplyDue  time.Time
	DueReason string
	// 复清楚: how the caller was told, what was said, whether they accepted.
	ReplyHow, ReplySaid string
	Accepted            bool
	// 记清楚.
	Matter, Process, Result string
}

// ComplaintCheck is the desk's verdict on a draft: what it lacks in wizard
// order (typed codes the window translates) and the reply deadline the
// desk fixed (zero when solved or not followed yet).
type ComplaintCheck struct {
	CaseID  string
	Missing []agent.StepProblem
	Due     time.Time
	State   agent.ComplaintState
}

// CheckComplaint says what a draft lacks, without storing anything.
func (d *Desk) CheckComplaint(dr ComplaintDraft) ComplaintCheck {
	now := d.clock.Now()
	if dr.CaseID != "" {
		c, err := d.st.Complaint(dr.CaseID)
		if err != nil {
			return ComplaintCheck{CaseID: dr.CaseID}
		}
		_, err = d.applyDraft(&c, dr, now)
		chk := checkOf(&c)
		var inc *agent.IncompleteError
		if errors.As(err, &inc) {
			chk.Missing = inc.Problems
		}
		return chk
	}
	custID := "pending" // the record made for an unknown caller at save
	if c, ok := d.State().Current(); ok && c.Customer != nil {
		custID = c.Customer.ID
	}
	c, _, err := agent.BuildComplaint(d.complaintInput(dr, custID, now), d.rules().Reply, now)
	var inc *agent.IncompleteError
	if errors.As(err, &inc) {
		return ComplaintCheck{Missing: inc.Problems}
	}
	if err != nil {
		return ComplaintCheck{}
	}
	return checkOf(c)
}

func checkOf(c *agent.Complaint) ComplaintCheck {
	chk := ComplaintCheck{CaseID: c.ID, Missing: c.Missing(), State: c.State}
	if c.Followed != nil && !c.Followed.SolvedOnCall {
		chk.Due = c.Followed.ReplyDue
	}
	return chk
}

// SaveComplaint stores the draft durably (one bbolt commit with its
// major-complaint alert) before it returns: a new case for a draft without
// CaseID, else the steps that changed on the stored case (each edit keeps
// the replaced content in the case's revisions; no second case is made).
func (d *Desk) SaveComplaint(dr ComplaintDraft) (ComplaintCheck, error) {
	now := d.clock.Now()
	var (
		c      *agent.Complaint
		alerts []*agent.Alert
	)
	if dr.CaseID != "" {
		stored, err := d.st.Complaint(dr.CaseID)
		if err != nil {
			return ComplaintCheck{CaseID: dr.CaseID}, fmt.Errorf("save complaint %s: %w", dr.CaseID, err)
		}
		c = &stored
		if alerts, err = d.applyDraft(c, dr, now); err != nil {
			chk := checkOf(c)
			var inc *agent.IncompleteError
			if errors.As(err, &inc) {
				chk.Missing = inc.Problems
			}
			return chk, fmt.Errorf("save complaint %s: %w", dr.CaseID, err)
		}
	} else {
		custID, err := d.complaintCustomer(now)
		if err != nil {
			return ComplaintCheck{}, fmt.Errorf("save complaint: %w", err)
		}
		c, alerts, err = agent.BuildComplaint(d.complaintInput(dr, custID, now), d.rules().Reply, now)
		if err != nil {
			var inc *agent.IncompleteError
			if errors.As(err, &inc) {
				return ComplaintCheck{Missing: inc.Problems}, fmt.Errorf("save complaint: %w", err)
			}
			return ComplaintCheck{}, fmt.Errorf("save complaint: %w", err)
		}
	}
	if err := d.st.PutComplaint(c, now, alerts...); err != nil {
		return checkOf(c), fmt.Errorf("save complaint: %w", err)
	}
	if dr.CallID != "" {
		id := c.ID
		d.do(func() {
			d.callCases[dr.CallID] = id
			if w := d.work.WrapUp; w != nil && w.CallID == dr.CallID && w.CaseID == "" {
				cp := *w
				cp.CaseID, cp.Type = id, agent.CallComplaint
				d.work.WrapUp = &cp
				d.publish()
			}
		})
	}
	d.reload()
	return checkOf(c), nil
}

func (d *Desk) complaintInput(dr ComplaintDraft, custID string, now time.Time) agent.ComplaintInput {
	in := agent.ComplaintInput{CustomerID: custID, Owner: d.me(), Channel: agent.ChannelPhone, OpenedAt: now}
	in.Listen = &agent.ListenStep{Statement: dr.Statement}
	in.Ask = &agent.AskStep{Facts: factsOf(dr), ReadBack: dr.ReadBack}
	in.Follow = &agent.FollowStepInput{FollowInput: agent.FollowInput{Severity: dr.Severity, SolvedOnCall: dr.Solved,
		ReplyDue: dr.ReplyDue, DueReason: dr.DueReason}}
	if dr.ReplyHow != "" || dr.ReplySaid != "" {
		in.Reply = &agent.ReplyStepInput{ReplyInput: agent.ReplyInput{How: dr.ReplyHow, Said: dr.ReplySaid, Accepted: dr.Accepted}}
	}
	if dr.Matter != "" || dr.Process != "" || dr.Result != "" {
		in.Record = &agent.RecordStep{Matter: dr.Matter, Process: dr.Process, Result: dr.Result}
	}
	return in
}

func factsOf(dr ComplaintDraft) agent.Facts {
	t := strings.TrimSpace
	return agent.Facts{What: t(dr.What), When: t(dr.When), Where: t(dr.Where), Subject: t(dr.Subject), Wants: t(dr.Wants)}
}

// applyDraft takes the steps of dr that differ from the stored case c, in
// order, through the case's own methods. It returns the alert a case that
// became major raises, and an *agent.IncompleteError naming what a changed
// step lacks.
func (d *Desk) applyDraft(c *agent.Complaint, dr ComplaintDraft, now time.Time) ([]*agent.Alert, error) {
	var alerts []*agent.Alert
	fail := func(step agent.Step, err error, codes ...agent.Problem) error {
		if len(codes) == 0 {
			return err
		}
		ps := make([]agent.StepProblem, len(codes))
		for i, p := range codes {
			ps[i] = agent.StepProblem{Step: step, Code: p}
		}
		return &agent.IncompleteError{Problems: ps}
	}
	if st := strings.TrimSpace(dr.Statement); c.Heard == nil || st != c.Heard.Statement {
		if err := c.Listen(st, now); err != nil {
			return nil, fail(agent.StepListen, err, agent.ProblemStatement)
		}
	}
	f := factsOf(dr)
	if c.Asked == nil || f != c.Asked.Facts || dr.ReadBack != c.Asked.ReadBack {
		if err := c.Ask(f, dr.ReadBack, now); err != nil {
			probs := missingFacts(f)
			if len(probs) == 0 && !dr.ReadBack {
				probs = []agent.Problem{agent.ProblemReadBack}
			}
			return nil, fail(agent.StepAsk, err, probs...)
		}
	}
	in := agent.FollowInput{Severity: dr.Severity, SolvedOnCall: dr.Solved, ReplyDue: dr.ReplyDue, DueReason: dr.DueReason}
	fo := c.Followed
	changed := fo == nil || fo.Severity != dr.Severity || fo.SolvedOnCall != dr.Solved
	if changed && fo != nil && dr.ReplyDue.Equal(fo.ReplyDue) {
		in.ReplyDue = time.Time{} // the draft still shows the old time: the new severity's default applies
	}
	switch {
	case changed:
		if dr.Severity == agent.SeverityUnset {
			return nil, fail(agent.StepFollow, nil, agent.ProblemSeverity)
		}
		if !c.Asked.ReadBack {
			return nil, fail(agent.StepAsk, nil, agent.ProblemReadBack)
		}
		a, err := c.Follow(in, now, d.rules().Reply)
		if err != nil {
			return nil, followErr(err, dr, fail)
		}
		if a != nil {
			alerts = append(alerts, a)
		}
	case !dr.ReplyDue.IsZero() && !dr.ReplyDue.Equal(fo.ReplyDue) && c.State == agent.StateAwaitingReply:
		if err := c.SetReplyDue(dr.ReplyDue, dr.DueReason, now); err != nil {
			return nil, followErr(err, dr, fail)
		}
	}
	if dr.ReplyHow != "" || dr.ReplySaid != "" {
		r := c.Replied
		if r == nil || r.How != dr.ReplyHow || r.Said != dr.ReplySaid || r.Accepted != dr.Accepted {
			if err := c.Reply(agent.ReplyInput{How: dr.ReplyHow, Said: dr.ReplySaid, Accepted: dr.Accepted}, now); err != nil {
				var codes []agent.Problem
				if strings.TrimSpace(dr.ReplyHow) == "" {
					codes = append(codes, agent.ProblemHow)
				}
				if strings.TrimSpace(dr.ReplySaid) == "" {
					codes = append(codes, agent.ProblemSaid)
				}
				return nil, fail(agent.StepReply, err, codes...)
			}
		}
	}
	if dr.Matter != "" || dr.Process != "" || dr.Result != "" {
		r := c.Recorded
		if r == nil || r.Matter != dr.Matter || r.Process != dr.Process || r.Result != dr.Result {
			if err := c.Record(dr.Matter, dr.Process, dr.Result, now); err != nil {
				var codes []agent.Problem
				if c.Replied == nil {
					return nil, fail(agent.StepReply, nil, agent.ProblemNotDone)
				}
				for _, x := range []struct {
					v string
					p agent.Problem
				}{{dr.Matter, agent.ProblemMatter}, {dr.Process, agent.ProblemProcess}, {dr.Result, agent.ProblemResult}} {
					if strings.TrimSpace(x.v) == "" {
						codes = append(codes, x.p)
					}
				}
				return nil, fail(agent.StepRecord, err, codes...)
			}
		}
	}
	return alerts, nil
}

func followErr(err error, dr ComplaintDraft, fail func(agent.Step, error, ...agent.Problem) error) error {
	switch {
	case !dr.ReplyDue.IsZero() && strings.TrimSpace(dr.DueReason) == "" && errors.Is(err, agent.ErrEmpty):
		return fail(agent.StepFollow, err, agent.ProblemDueReason)
	case !dr.ReplyDue.IsZero() && !errors.Is(err, agent.ErrEmpty) && !errors.Is(err, agent.ErrClosed) && !errors.Is(err, agent.ErrState):
		return fail(agent.StepFollow, err, agent.ProblemReplyBeforeNow)
	}
	return err
}

func missingFacts(f agent.Facts) []agent.Problem {
	var out []agent.Problem
	for _, x := range []struct {
		v string
		p agent.Problem
	}{{f.What, agent.ProblemWhat}, {f.When, agent.ProblemWhen}, {f.Where, agent.ProblemWhere},
		{f.Subject, agent.ProblemSubject}, {f.Wants, agent.ProblemWants}} {
		if x.v == "" {
			out = append(out, x.p)
		}
	}
	return out
}

// complaintCustomer is the record a new case on the current call is filed
// under: the caller's, or one made from the number for an unknown caller
// (the pop's empty record the agent can fill in later).
func (d *Desk) complaintCustomer(now time.Time) (string, error) {
	c, ok := d.State().Current()
	if !ok {
		return "", ErrNoCall
	}
	if c.Customer != nil {
		return c.Customer.ID, nil
	}
	if c.Number == "" || c.Anonymous {
		return "", ErrAnonymous
	}
	if have, err := d.st.LookupPhone(c.Number); err == nil && len(have) > 0 {
		return have[0].ID, nil // made by an earlier save on this call
	}
	cu := &agent.Customer{Meta: agent.Meta{ID: agent.NewID()}, Name: c.Number, Phones: []string{c.Number}}
	if err := d.st.PutCustomer(cu, now); err != nil {
		return "", fmt.Errorf("record the caller: %w", err)
	}
	return cu.ID, nil
}

// Complaint returns a stored case and the draft that shows it in the
// wizard, for working on it again (a follow-up or the reply call).
func (d *Desk) Complaint(id string) (agent.Complaint, ComplaintDraft, error) {
	c, err := d.st.Complaint(id)
	if err != nil {
		return c, ComplaintDraft{}, fmt.Errorf("open complaint %s: %w", id, err)
	}
	return c, DraftOf(c), nil
}

// DraftOf is the wizard's draft of stored case c.
func DraftOf(c agent.Complaint) ComplaintDraft {
	dr := ComplaintDraft{CaseID: c.ID}
	if c.Heard != nil {
		dr.Statement = c.Heard.Statement
	}
	if c.Asked != nil {
		f := c.Asked.Facts
		dr.What, dr.When, dr.Where, dr.Subject, dr.Wants, dr.ReadBack = f.What, f.When, f.Where, f.Subject, f.Wants, c.Asked.ReadBack
	}
	if c.Followed != nil {
		dr.Severity, dr.Solved = c.Followed.Severity, c.Followed.SolvedOnCall
		dr.ReplyDue = c.Followed.ReplyDue
	}
	if c.Replied != nil {
		dr.ReplyHow, dr.ReplySaid, dr.Accepted = c.Replied.How, c.Replied.Said, c.Replied.Accepted
	}
	if c.Recorded != nil {
		dr.Matter, dr.Process, dr.Result = c.Recorded.Matter, c.Recorded.Process, c.Recorded.Result
	}
	return dr
}
