package ui

import (
	"context"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// WorkDesk is the part of Desk that finishes the hotline's procedures:
// wrap-ups, cases across calls, callbacks, and the center's rules. Every
// method may wait on disk and runs off the Fyne goroutine, except Prompts
// (pure computation).
type WorkDesk interface {
	WrapCall(recordID string, w agent.WrapUp) (agent.Call, error)
	LogCall(c agent.Call, w agent.WrapUp) (agent.Call, error)
	Case(id string) (desk.CaseView, error)
	FollowUp(id, note string) (agent.Complaint, error)
	CloseCase(id string) (agent.Complaint, error)
	ReopenCase(id, reason string) (agent.Complaint, error)
	Escalate(id, to, note string) (agent.Complaint, error)
	RaiseWarning(id string) (agent.Complaint, error)
	CompleteStage(id, note string) (agent.Complaint, error)
	StartCallback(ctx context.Context, id string) (string, error)
	RecordCallback(id string, o agent.CallbackOutcome) (agent.Callback, string, error)
	Prompts(dr desk.ComplaintDraft) []desk.StepPrompt
	CallbackReport(from, to time.Time) (agent.CallbackReport, error)
	SetCenter(c agent.Center) error
	PauseRecording(callID string) error
	ResumeRecording(callID string) error
	PlayRecording(ctx context.Context, id string) error
}
