package desk

import (
	"time"

	"agentdesk/agent"
	"agentdesk/scripts"
)

// render computes the view of snapshot s from the desk's lists and board.
// It runs on the desk goroutine only and reads no disk: everything it needs
// is in memory.
func (d *Desk) render(s State) View {
	v := View{Seq: s.Seq, At: s.At, Lang: s.Lang, Zone: d.rules().Zone, Agent: s.Agent, Line: s.Registration, Sync: s.Sync,
		Calls: s.Calls, Notices: s.Notices, Dropped: s.Dropped, Supervision: s.Supervision}
	if m := s.Monitored; m != nil && m.Shown && m.Up {
		v.Monitored = m
	}
	if len(s.Calls) == 0 {
		for _, n := range d.lists.coaching {
			if n.Seen.IsZero() {
				v.Coaching = append(v.Coaching, n.CoachingNote)
			}
		}
	}
	pack := d.packFor(s.Lang)
	v.Pack = d.infoOf(s.Lang)
	who := scripts.Party{}
	if c, ok := s.Current(); ok {
		cc := c
		v.Call = &cc
		v.Muted = d.muted[c.CallID]
		v.Opening = c.Opening
		v.HangupReminder = c.Status != CallRinging
		who = party(c.Customers)
	}
	if pack != nil {
		req := scripts.Request{At: s.At, Silent: true, Caller: who,
			AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber}
		d.replyFor(&req, agent.SeveritySimple, time.Time{})
		if line, err := pack.Opening(req); err == nil {
			v.SilentLine = line
		}
		v.Phrases = d.phrases(pack, who, req)
		if v.Call != nil && v.Call.Status != CallRinging {
			v.Closing = closingOf(pack.ClosingLines(req))
		}
	}
	if q := d.rules().Quiet; q.CanDial(s.At) != nil {
		v.QuietUntil = q.NextDialable(s.At)
	}
	v.Callbacks = callbackRows(d.lists, s.At, v.QuietUntil.IsZero() && len(s.Calls) == 0)
	v.Cases = caseRows(d.lists, s.At, d.me(), d.cfg.UserRole(), d.rules().Warning)
	v.Role = d.cfg.UserRole()
	v.WrapUp = s.WrapUp
	if s.Agent.Status == agent.StatusWrapUp {
		v.ACW = &ACW{Since: s.Agent.Since, Limit: d.rules().AfterCallWork}
	}
	if s.Callback != nil {
		v.Callback = s.Callback
		v.CallbackScript = d.callbackScript(pack, s.Callback, s.At)
	}
	v.Log = make([]agent.Call, len(d.lists.calls))
	for i, c := range d.lists.calls {
		v.Log[len(v.Log)-1-i] = c
	}
	v.Today = d.today(s)
	v.Recordings = d.lists.recordings
	v.Audio = s.Audio
	if d.board != nil {
		v.Board = *d.board
	} else {
		v.Board = d.localBoard(s)
	}
	return v
}

// today is the agent's figures for the center's day, by the same rule as
// deskctl stats (agent.DailyStats).
func (d *Desk) today(s State) agent.AgentDay {
	me := d.me()
	day := agent.DayOf(s.At, d.rules().Zone)
	out := agent.AgentDay{Agent: me, Day: day.String()}
	if d.lists.day != day {
		return out // the lists are of another day: a reload is on its way
	}
	for _, a := range agent.DailyStats(day, d.rules().Zone, d.rules().RingLimit, d.lists.calls, d.lists.cases, d.lists.callbacks) {
		if a.Agent == me {
			return a
		}
	}
	return out
}

// phrases renders the phrase book for who, cached per pack, caller and
// minute: the same lines are asked for with every snapshot of a call.
func (d *Desk) phrases(pack *scripts.Pack, who scripts.Party, req scripts.Request) []Phrase {
	key := phraseKey{pack: pack, who: who, minute: req.At.Truncate(time.Minute).Unix()}
	if d.phraseCache.key == key && d.phraseCache.lines != nil {
		return d.phraseCache.lines
	}
	var out []Phrase
	for _, ph := range pack.PhraseBook(req) {
		if len(ph.Say.Missing) > 0 {
			d.log.Warn("phrase not fully rendered", "line", ph.Say.Path, "missing", ph.Say.Missing)
		}
		out = append(out, Phrase{Situation: ph.Situation, Say: ph.Say.Text, Never: ph.Never})
	}
	d.phraseCache.key, d.phraseCache.lines = key, out
	return out
}

// replyFor fills the reply promise of req ("并在{{reply_hours}}小时之内给您
// 明确的答复"): the center's reply time for the severity, and the agreed
// reply time (due, else counted from req.At).
func (d *Desk) replyFor(req *scripts.Request, sev agent.Severity, due time.Time) {
	r := d.rules().Reply.For(sev)
	if r == 0 {
		r = d.rules().Reply.Simple
	}
	req.ReplyHours = int(r.Hours())
	if due.IsZero() {
		due = req.At.Add(r)
	}
	req.ReplyBy = due
}

// Closing is the end of a call as the pack writes it: reassurance, thanks,
// goodbye, and the reminder to let the caller hang up first.
type Closing struct {
	Reassure        []string
	Thanks, Goodbye string
	HangUpFirst     string
}

func closingOf(c scripts.ClosingLines) *Closing {
	out := &Closing{Thanks: c.Thanks.Text, Goodbye: c.Goodbye.Text, HangUpFirst: c.HangUpFirst}
	for _, r := range c.Reassure {
		out.Reassure = append(out.Reassure, r.Text)
	}
	return out
}

// StepPrompt is one complaint step's guidance and line from the pack.
type StepPrompt struct {
	ID, Title, Prompt, Say string
}

// Prompts renders the pack's complaint prompts for a draft in the desk's
// language: the reply promise follows the draft's severity and agreed time.
// Pure computation (no disk), cheap enough for the window to call directly.
func (d *Desk) Prompts(dr ComplaintDraft) []StepPrompt {
	s := d.State()
	pack := d.packFor(s.Lang)
	if pack == nil {
		return nil
	}
	who := scripts.Party{}
	if c, ok := s.Current(); ok {
		who = party(c.Customers)
	}
	req := scripts.Request{At: s.At, Caller: who, AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber}
	d.replyFor(&req, dr.Severity, dr.ReplyDue)
	var out []StepPrompt
	for _, l := range pack.ComplaintPrompts(req) {
		out = append(out, StepPrompt{ID: l.ID, Title: l.Title, Prompt: l.Prompt.Text, Say: l.Say.Text})
	}
	return out
}

type phraseKey struct {
	pack   *scripts.Pack
	who    scripts.Party
	minute int64 // reply_by moves with the clock
}

// localBoard is the board of a desk without a hub stream: this agent and
// this desk's calls, its major reports and overdue replies.
func (d *Desk) localBoard(s State) Board {
	me := BoardAgent{Agent: s.Agent.Agent, Desk: d.st.DeskID(), Status: s.Agent.Status.String(), Since: s.Agent.Since}
	me.OverLimit = s.Agent.Status == agent.StatusWrapUp && (ACW{Since: s.Agent.Since, Limit: d.rules().AfterCallWork}).Over(s.At)
	b := Board{At: s.At, Agents: []BoardAgent{me}}
	for _, c := range s.Calls {
		who := c.Number
		if c.Customer != nil {
			who = c.Salutation
		}
		b.Calls = append(b.Calls, BoardCall{Who: who, Number: c.Number, Status: c.Status})
	}
	for _, c := range d.lists.cases {
		today := func(t time.Time) bool { return agent.DayOf(t, d.rules().Zone) == agent.DayOf(s.At, d.rules().Zone) }
		if c.Reported != nil && c.Asked != nil && today(c.Reported.At) {
			b.Alerts = append(b.Alerts, BoardAlert{ID: c.Reported.AlertID, Kind: agent.AlertMajorComplaint, At: c.Reported.At,
				Owner: c.Owner, Summary: c.Asked.Facts.What})
		}
		for _, e := range c.Escalations {
			if today(e.At) {
				b.Alerts = append(b.Alerts, BoardAlert{ID: e.AlertID, Kind: agent.AlertEscalation, At: e.At, Owner: e.By, To: e.To, Summary: e.Note})
			}
		}
		if c.Warning != nil && c.State != agent.StateClosed {
			b.Warnings = append(b.Warnings, BoardWarning{ID: c.ID, Owner: c.Owner, Status: d.rules().Warning.Status(*c.Warning, s.At)})
		}
		if c.ReplyOverdue(s.At) {
			b.Overdue = append(b.Overdue, BoardOverdue{ID: c.ID, Owner: c.Owner, Due: c.ReplyDue()})
		}
	}
	t := d.today(s)
	if t.Inbound+t.Outbound > 0 {
		b.Today = []BoardStats{{Agent: t.Agent, Inbound: t.Inbound, Outbound: t.Outbound,
			Answered: t.Inbound - t.Missed, Missed: t.Missed, ByType: t.ByType}}
	}
	return b
}
