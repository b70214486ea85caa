package ui

import (
	"errors"
	"strings"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// errText is what the window says about a failed command, in lang: a
// message chosen by the error's type (never by its text), with the hub's or
// the rule's own detail where it helps.
func errText(lang string, err error) string {
	var quiet *agent.QuietError
	var hub *desk.HubError
	var inc *agent.IncompleteError
	var cbInc *agent.CallbackIncompleteError
	var wrapInc *agent.WrapIncompleteError
	switch {
	case errors.As(err, &wrapInc):
		return tr(lang, "err.incomplete") + "\n" + problemLines(lang, wrapInc.Problems)
	case errors.As(err, &quiet):
		return tr(lang, "err.quiet.until", map[string]any{"Window": quiet.Window.String(), "Next": quiet.Next.Format("15:04")})
	case errors.As(err, &inc):
		return tr(lang, "err.incomplete") + "\n" + missingLines(lang, inc.Problems)
	case errors.As(err, &cbInc):
		return tr(lang, "err.incomplete") + "\n" + problemLines(lang, cbInc.Problems)
	case errors.Is(err, desk.ErrNoCall):
		return tr(lang, "err.nocall")
	case errors.Is(err, desk.ErrNoPhone):
		return tr(lang, "err.nophone")
	case errors.Is(err, desk.ErrCallState):
		return tr(lang, "err.callstate")
	case errors.Is(err, desk.ErrTimeout):
		return tr(lang, "err.timeout")
	case errors.Is(err, desk.ErrAnonymous):
		return tr(lang, "err.anonymous")
	case errors.Is(err, desk.ErrNeedsHub):
		return tr(lang, "tr.needshub")
	case errors.Is(err, desk.ErrNoMonitorPhone):
		return tr(lang, "err.mon.phone")
	case errors.Is(err, desk.ErrSupervising):
		return tr(lang, "err.mon.busy")
	case errors.Is(err, desk.ErrNotSupervising):
		return tr(lang, "err.mon.none")
	case errors.Is(err, desk.ErrMonitorTaken):
		return tr(lang, "err.mon.taken")
	case errors.Is(err, desk.ErrMonitorDial):
		return tr(lang, "err.mon.dial")
	case errors.As(err, &hub):
		id := "tr.refused.other"
		switch {
		case errors.Is(hub, desk.ErrHubNoLiveCall):
			id = "err.mon.nolive"
		case errors.Is(hub, desk.ErrHubMonitored):
			id = "err.mon.taken"
		case errors.Is(hub, desk.ErrHubUnreachable):
			id = "tr.hubdown"
		case errors.Is(hub, desk.ErrHubToken):
			id = "tr.refused.auth"
		case errors.Is(hub, desk.ErrHubRole):
			id = "tr.refused.role"
		}
		if hub.Detail != "" {
			return tr(lang, id) + "\n" + hub.Detail
		}
		return tr(lang, id)
	case errors.Is(err, desk.ErrPackInvalid):
		return tr(lang, "tr.refused.invalid")
	case errors.Is(err, agent.ErrBadPhone), errors.Is(err, agent.ErrNoPhone):
		return tr(lang, "customers.invalid")
	case errors.Is(err, agent.ErrEmpty):
		return tr(lang, "err.empty")
	case errors.Is(err, agent.ErrState), errors.Is(err, agent.ErrClosed), errors.Is(err, agent.ErrTransition):
		return tr(lang, "err.state")
	case errors.Is(err, desk.ErrNoPlayer):
		return tr(lang, "err.noplayer")
	case errors.Is(err, desk.ErrRecordingMissing):
		return tr(lang, "err.recording.missing")
	case errors.Is(err, desk.ErrSoundDevice):
		return tr(lang, "err.sound")
	case errors.Is(err, desk.ErrClosed):
		return tr(lang, "err.closing")
	}
	return tr(lang, "err.generic")
}

// missingLines names, one per line, what each step lacks.
func missingLines(lang string, ps []agent.StepProblem) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "• " + missingLine(lang, p)
	}
	return strings.Join(lines, "\n")
}

func problemLines(lang string, ps []agent.Problem) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "• " + tr(lang, problemID(p))
	}
	return strings.Join(lines, "\n")
}

// stepIDs are the wizard's step titles by step.
var stepIDs = map[agent.Step]string{agent.StepListen: "wiz.listen", agent.StepAsk: "wiz.ask",
	agent.StepFollow: "wiz.follow", agent.StepReply: "wiz.reply", agent.StepRecord: "wiz.record",
	agent.StepReport: "wiz.report"}

// problemID is the message id of what a step lacks.
func problemID(p agent.Problem) string { return "wiz.miss." + string(p) }

// missingLine names a step and what it lacks in lang: "2 问清楚（何时）";
// a step not done at all shows as the step alone.
func missingLine(lang string, p agent.StepProblem) string {
	line := tr(lang, stepIDs[p.Step])
	if p.Code != agent.ProblemNotDone {
		line += "（" + tr(lang, problemID(p.Code)) + "）"
	}
	return line
}
