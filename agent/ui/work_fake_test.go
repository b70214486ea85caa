package ui

import (
	"context"
	"fmt"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// The fake desk's side of WorkDesk: it records each command and answers
// with what the view needs to show.

func (f *fakeDesk) WrapCall(id string, w agent.WrapUp) (agent.Call, error) {
	if p := w.Check(); len(p) > 0 {
		return agent.Call{}, &agent.WrapIncompleteError{Problems: p}
	}
	return agent.Call{}, f.rec(fmt.Sprintf("wrap %s %s %s %s %s", id, w.Type, w.Area, w.Department, w.Result))
}
func (f *fakeDesk) LogCall(c agent.Call, w agent.WrapUp) (agent.Call, error) {
	return c, f.rec(fmt.Sprintf("logcall %s %s %s %s", c.At.Format("01-02 15:04"), c.Number, w.Type, w.Result))
}
func (f *fakeDesk) Case(id string) (desk.CaseView, error) {
	f.rec("case " + id)
	if f.caseView != nil {
		return *f.caseView, nil
	}
	return desk.CaseView{Case: agent.Complaint{Meta: agent.Meta{ID: id}}}, nil
}
func (f *fakeDesk) FollowUp(id, note string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("follow " + id + " " + note)
}
func (f *fakeDesk) CloseCase(id string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("close " + id)
}
func (f *fakeDesk) ReopenCase(id, reason string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("reopen " + id + " " + reason)
}
func (f *fakeDesk) Escalate(id, to, note string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("escalate " + id + " " + to + " " + note)
}
func (f *fakeDesk) RaiseWarning(id string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("warn " + id)
}
func (f *fakeDesk) CompleteStage(id, note string) (agent.Complaint, error) {
	return agent.Complaint{}, f.rec("stage " + id + " " + note)
}
func (f *fakeDesk) StartCallback(_ context.Context, id string) (string, error) {
	return "out-1", f.rec("dial " + id)
}
func (f *fakeDesk) RecordCallback(id string, o agent.CallbackOutcome) (agent.Callback, string, error) {
	if p := o.Problems(); len(p) > 0 {
		return agent.Callback{}, "", &agent.CallbackIncompleteError{ID: id, Problems: p}
	}
	reached := o.Reached != nil && *o.Reached
	err := f.rec(fmt.Sprintf("callback %s reached=%v %s", id, reached, o.Suggestions))
	if reached && o.Satisfied != nil && !*o.Satisfied {
		return agent.Callback{}, "case-9", err
	}
	return agent.Callback{}, "", err
}
func (f *fakeDesk) Prompts(dr desk.ComplaintDraft) []desk.StepPrompt {
	hours := 2
	if dr.Severity == agent.SeverityComplex {
		hours = 24
	}
	var out []desk.StepPrompt
	for _, id := range []string{"listen", "ask", "follow", "reply", "record", "report"} {
		out = append(out, desk.StepPrompt{ID: id, Prompt: "提示 " + id, Say: fmt.Sprintf("在%d小时之内答复", hours)})
	}
	return out
}
func (f *fakeDesk) CallbackReport(from, to time.Time) (agent.CallbackReport, error) {
	f.rec("report " + from.Format("01-02") + " " + to.Format("01-02"))
	return agent.CallbackReport{CallbackSummary: agent.CallbackSummary{Total: 10, Done: 8, Reached: 7, Satisfied: 6, SatisfiedPct: 85.7,
		Complete: 8, CompletePct: 80, InTime: 7, InTimePct: 70, Overdue: 1, Unsatisfied: 1},
		Agents: []agent.AgentCallbacks{{Agent: "8001", CallbackSummary: agent.CallbackSummary{Total: 10, Done: 8}}}}, nil
}
func (f *fakeDesk) SetCenter(c agent.Center) error {
	return f.rec(fmt.Sprintf("center ring=%v acw=%v", c.RingLimit, c.AfterCallWork))
}
func (f *fakeDesk) PauseRecording(id string) error  { return f.rec("pause " + id) }
func (f *fakeDesk) ResumeRecording(id string) error { return f.rec("resume-rec " + id) }
func (f *fakeDesk) PlayRecording(_ context.Context, id string) error {
	return f.rec("play " + id)
}
