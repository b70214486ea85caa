package main

import (
	"flag"
	"fmt"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// The case steps take a stored case one step on through the desk's own
// commands (agent/desk), as the window's case panel does: the same rules,
// the same checks of who may work on the case. Each prints the stored case.

func init() {
	steps := []struct {
		name, usage, summary string
		npos                 int
		flags                func(fs *flag.FlagSet) caseStep
	}{
		{"follow", "ID --from FILE.json", "a follow-up note and/or a new reply time agreed with the caller (with its reason)", 1, followFlags},
		{"reply", "ID --from FILE.json", "record the reply to the caller (复清楚): how, what was said, accepted", 1, replyFlags},
		{"record", "ID --from FILE.json", "record the case (记清楚): matter, process, result", 1, recordFlags},
		{"close", "ID", "close a replied and recorded case", 1, func(*flag.FlagSet) caseStep {
			return func(_ *env, d *desk.Desk, id string) (agent.Complaint, error) { return d.CloseCase(id) }
		}},
		{"reopen", "ID --reason R", "take a replied or closed case back (the caller is not satisfied)", 1, reopenFlags},
		{"escalate", "ID --to ROLE_OR_AGENT --note N", "hand the case on to a team lead, a supervisor or an agent", 1, escalateFlags},
	}
	for _, st := range steps {
		register(&command{
			name:    "complaints " + st.name,
			usage:   st.usage + " [--agent A] [--role R] [--at RFC3339] [--data DIR]",
			summary: st.summary + " (JSON)",
			run: func(e *env, args []string) error {
				fs := newCaseFlagSet("complaints "+st.name, e)
				f := addDeskFlags(fs)
				step := st.flags(fs)
				d, pos, err := f.openDesk(e, args, fs, st.npos)
				if err != nil {
					return err
				}
				defer d.Close()
				c, err := step(e, d.Desk, pos[0])
				if err != nil {
					return fmt.Errorf("%s refused, nothing changed: %w", st.name, err)
				}
				return writeCaseJSON(e.stdout, c)
			},
		})
	}
}

// caseStep takes case id a step on.
type caseStep func(e *env, d *desk.Desk, id string) (agent.Complaint, error)

// fromFlag adds --from and returns a step reading its JSON into a T.
func fromFlag[T any](fs *flag.FlagSet, step func(d *desk.Desk, id string, v T) (agent.Complaint, error)) caseStep {
	from := fs.String("from", "", "the step as a JSON `FILE` (- for stdin)")
	return func(e *env, d *desk.Desk, id string) (agent.Complaint, error) {
		var v T
		if err := readJSON(e, *from, &v); err != nil {
			return agent.Complaint{}, err
		}
		return step(d, id, v)
	}
}

func followFlags(fs *flag.FlagSet) caseStep {
	return fromFlag(fs, (*desk.Desk).Follow)
}

func replyFlags(fs *flag.FlagSet) caseStep {
	return fromFlag(fs, (*desk.Desk).ReplyCase)
}

func recordFlags(fs *flag.FlagSet) caseStep {
	return fromFlag(fs, (*desk.Desk).RecordCase)
}

func reopenFlags(fs *flag.FlagSet) caseStep {
	reason := fs.String("reason", "", "why the case is taken back (required)")
	return func(_ *env, d *desk.Desk, id string) (agent.Complaint, error) { return d.ReopenCase(id, *reason) }
}

func escalateFlags(fs *flag.FlagSet) caseStep {
	to := fs.String("to", "", "`ROLE_OR_AGENT`: team_lead, supervisor or an agent's work number")
	note := fs.String("note", "", "what the case needs from them (required)")
	return func(_ *env, d *desk.Desk, id string) (agent.Complaint, error) { return d.Escalate(id, *to, *note) }
}
