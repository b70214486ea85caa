package desk

import (
	"errors"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// handle is the pipeline: one telephony event in, one State published and
// one WatchEvent out. It runs on the desk goroutine only.
func (d *Desk) handle(e telephony.Event) {
	at := e.At
	if at.IsZero() {
		at = d.clock.Now()
	}
	var pop *Pop
	switch e.Kind {
	case telephony.EventRegistered:
		d.work.Registration = Registration{Status: RegRegistered, Since: at, Practice: d.work.Registration.Practice}
		if d.work.Agent.Status == agent.StatusOffline {
			d.moveAgent(agent.StatusAvailable, at)
		}
	case telephony.EventRegisterFailed:
		if d.work.Registration.Status != RegFailing || d.work.Registration.Reason != e.Reason {
			d.notice(NoticeRegisterFailed, map[string]string{"reason": e.Reason})
		}
		d.work.Registration = Registration{Status: RegFailing, Reason: e.Reason, Since: at, Practice: d.work.Registration.Practice}
	case telephony.EventUnregistered:
		d.work.Registration = Registration{Status: RegUnregistered, Reason: e.Reason, Since: at, Practice: d.work.Registration.Practice}
	case telephony.EventRinging:
		if i := d.callIndex(e.CallID); i >= 0 {
			pop = &d.work.Calls[i].Pop // a repeated 180: nothing new
			break
		}
		p := d.pop(e, at)
		pop = &p
		d.work.Calls = append(d.work.Calls, Call{Pop: p, Status: CallRinging, RingLimit: d.ringLimit()})
		d.work.LastPop = pop
		if e.Direction != telephony.Outbound {
			d.moveAgent(agent.StatusRinging, at)
		}
	case telephony.EventAnswered:
		i := d.ensureCall(e, at)
		c := &d.work.Calls[i]
		c.Status, c.AnsweredAt = CallOnCall, at
		pop = &c.Pop
		d.moveAgent(agent.StatusOnCall, at)
	case telephony.EventHeld, telephony.EventResumed:
		i := d.ensureCall(e, at)
		c := &d.work.Calls[i]
		if c.Status != CallRinging {
			c.Status = CallOnCall
			if e.Kind == telephony.EventHeld {
				c.Status = CallHeld
			}
		}
		pop = &c.Pop
	case telephony.EventTransferred, telephony.EventDTMF:
		i := d.ensureCall(e, at)
		pop = &d.work.Calls[i].Pop
	case telephony.EventEnded, telephony.EventMissed, telephony.EventAnsweredElsewhere:
		i := d.ensureCall(e, at)
		c := d.work.Calls[i]
		d.work.Calls = append(d.work.Calls[:i:i], d.work.Calls[i+1:]...)
		delete(d.muted, c.CallID)
		pop = &c.Pop
		d.afterCall(c, at)
		d.logCall(c, at)
	case telephony.EventMuted, telephony.EventUnmuted:
		if i := d.callIndex(e.CallID); i >= 0 {
			if e.Kind == telephony.EventMuted {
				d.muted[e.CallID] = true
			} else {
				delete(d.muted, e.CallID)
			}
			pop = &d.work.Calls[i].Pop
		}
	case telephony.EventRecordingPaused, telephony.EventRecordingResumed:
		if i := d.callIndex(e.CallID); i >= 0 {
			d.work.Calls[i].RecordPaused = e.Kind == telephony.EventRecordingPaused
			pop = &d.work.Calls[i].Pop
		}
	case telephony.EventRecording:
		if e.Recording != nil {
			d.recorded(*e.Recording, at)
		}
	case telephony.EventRecordingFailed:
		d.log.Warn("recording failed; the call goes on", "call_id", e.CallID, "reason", e.Reason, "error", e.Err)
		d.notice(NoticeRecordingFailed, map[string]string{"reason": e.Reason})
	case telephony.EventMonitorStarted, telephony.EventMonitorMode, telephony.EventMonitorEnded:
		d.monitorEvent(e, at)
	case telephony.EventAudio:
		next := audioStateOf(e.Audio)
		if next.Problem != "" && next != d.work.Audio {
			d.notice(NoticeAudio, map[string]string{"role": next.Role, "problem": next.Problem})
		}
		d.work.Audio = next
	default:
		d.log.Debug("ignoring telephony event", "event", e.Kind.String(), "call_id", e.CallID)
		return
	}
	d.publish()
	d.logEvent(e)
	d.broadcast(watchEventOf(e.Kind.String(), at, pop, e.Reason, e.Digit))
	if e.Kind == telephony.EventRinging && pop != nil {
		d.loadCard(pop.CallID, at)
	}
}

// logEvent writes a line per call and line event to the desk's log (no
// caller numbers or names: the log leaves the desk with support requests).
func (d *Desk) logEvent(e telephony.Event) {
	switch e.Kind {
	case telephony.EventDTMF:
		d.log.Debug("call event", "event", e.Kind.String(), "call_id", e.CallID)
	case telephony.EventRegistered, telephony.EventRegisterFailed, telephony.EventUnregistered:
		d.log.Info("line event", "event", e.Kind.String(), "reason", e.Reason)
	default:
		d.log.Info("call event", "event", e.Kind.String(), "call_id", e.CallID, "direction", e.Direction.String(), "reason", e.Reason)
	}
}

// loadCard reads the caller's history for the call's card and publishes it.
func (d *Desk) loadCard(callID string, at time.Time) {
	i := d.callIndex(callID)
	if i < 0 || d.work.Calls[i].Card != nil {
		return
	}
	p := d.work.Calls[i].Pop
	card := &Card{}
	var errs []error
	if p.Customer != nil {
		cs, err := d.st.Complaints(store.ComplaintFilter{CustomerID: p.Customer.ID})
		errs = append(errs, err)
		for _, c := range cs {
			if c.State != agent.StateClosed {
				card.OpenComplaints++
			}
		}
		card.OverdueReplies = len(agent.OverdueReplies(cs, at))
		card.Cases = caseRows(lists{cases: cs, names: map[string]agent.Customer{p.Customer.ID: *p.Customer}}, at, d.me(), d.cfg.UserRole(), d.rules().Warning)
		cbs, err := d.st.Callbacks(store.CallbackFilter{CustomerID: p.Customer.ID, PendingOnly: true})
		errs = append(errs, err)
		card.CallbacksPending = len(cbs)
	}
	if !p.Anonymous && p.Number != "" {
		calls, err := d.st.Calls(at.Add(-CardHistory), at)
		errs = append(errs, err)
		for j := len(calls) - 1; j >= 0 && len(card.LastCalls) < CardCalls; j-- {
			if calls[j].Number == p.Number && calls[j].CallID != callID {
				card.LastCalls = append(card.LastCalls, calls[j])
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		d.log.Error("caller card failed", "call_id", callID, "error", err)
		d.notice(NoticeLookupFailed, nil)
	}
	d.work.Calls[i].Card = card
	d.publish()
}

// pop looks the caller up and renders the opening line for them at the
// instant the call began to ring.
func (d *Desk) pop(e telephony.Event, at time.Time) Pop {
	p := Pop{CallID: e.CallID, Direction: e.Direction, Number: e.Caller.Number,
		Anonymous: e.Caller.Anonymous, DisplayName: e.Caller.DisplayName, RingStarted: at}
	if p.Direction == 0 {
		p.Direction = telephony.Inbound
	}
	if !p.Anonymous && p.Number != "" {
		// A number that cannot be normalised (a SIP user name, "unknown")
		// is shown as received and looked up as nothing.
		if n, err := agent.NormalizePhone(p.Number); err == nil {
			p.Number = n
			cs, err := d.st.LookupPhone(n)
			if err != nil {
				d.log.Error("customer lookup failed", "call_id", e.CallID, "error", err)
				d.notice(NoticeLookupFailed, nil)
			}
			if len(cs) > 0 {
				p.Customers = cs
				p.Customer = &cs[0]
			}
		}
	}
	pack := d.pack()
	if pack == nil {
		return p
	}
	who := party(p.Customers)
	p.Salutation = pack.Salutation(who)
	if line, ok := d.callbackOpening(pack, p, at); ok {
		p.Opening = line
		return p
	}
	line, err := pack.Opening(scripts.OpeningRequest{
		At: at, Outbound: p.Direction == telephony.Outbound, Caller: who,
		AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber,
	})
	if err != nil {
		d.log.Error("opening line failed", "call_id", e.CallID, "lang", pack.Lang(), "error", err)
		d.notice(NoticeOpeningFailed, nil)
	}
	p.Opening = line
	return p
}

// party is who the opening line addresses: the customer when the number
// belongs to one, or to several who share surname and title (a family
// line); nobody in particular otherwise.
func party(cs []agent.Customer) scripts.Party {
	if len(cs) == 0 {
		return scripts.Party{}
	}
	first := cs[0]
	for _, c := range cs[1:] {
		if c.Surname != first.Surname || c.Title != first.Title {
			return scripts.Party{}
		}
	}
	pt := scripts.Party{Surname: first.Surname, Title: string(first.Title)}
	if len(cs) == 1 {
		pt.Name = first.Name
	}
	return pt
}

func (d *Desk) ringLimit() time.Duration { return d.rules().RingLimit }

func (d *Desk) callIndex(id string) int {
	for i, c := range d.work.Calls {
		if c.CallID == id {
			return i
		}
	}
	return -1
}

// ensureCall returns the index of the event's call, popping it first when
// the desk never saw it ring (started mid-call, or a dropped event).
func (d *Desk) ensureCall(e telephony.Event, at time.Time) int {
	if i := d.callIndex(e.CallID); i >= 0 {
		return i
	}
	d.work.Calls = append(d.work.Calls, Call{Pop: d.pop(e, at), Status: CallOnCall, RingLimit: d.ringLimit()})
	return len(d.work.Calls) - 1
}

// moveAgent follows the calls with the agent's status where the states
// allow it (an agent on a break stays on break when a call rings).
func (d *Desk) moveAgent(to agent.AgentStatus, at time.Time) {
	if d.work.Agent.Status == to {
		return
	}
	if next, err := d.work.Agent.Move(to, agent.ReasonNone, at); err == nil {
		d.work.Agent = next
	}
}

// afterCall moves the agent on when call c has gone: to wrap-up after a
// conversation, back to available after a ring nobody took here.
func (d *Desk) afterCall(c Call, at time.Time) {
	for _, o := range d.work.Calls {
		if o.Status != CallRinging {
			return // still on another call
		}
	}
	switch {
	case c.Status != CallRinging:
		d.moveAgent(agent.StatusWrapUp, at)
	case d.work.Agent.Status == agent.StatusRinging && len(d.work.Calls) == 0:
		d.moveAgent(agent.StatusAvailable, at)
	}
}

// logCall writes the finished call to the call log, when the desk keeps it.
func (d *Desk) logCall(c Call, at time.Time) {
	if !d.logCalls {
		return
	}
	rec := &agent.Call{
		CallID: c.CallID, At: c.RingStarted, Number: c.Number, Agent: d.me(),
		Direction: agent.Inbound, Answered: !c.AnsweredAt.IsZero(), EndedAt: at,
	}
	if c.Direction == telephony.Outbound {
		rec.Direction = agent.Outbound
	}
	if c.Customer != nil {
		rec.CustomerID = c.Customer.ID
	}
	rec.Area = agent.AreaOf(c.Number, areaLang(d.work.Lang))
	ring := at
	if rec.Answered {
		ring = c.AnsweredAt
	}
	rec.RingSeconds = max(0, ring.Sub(c.RingStarted).Seconds())
	if err := d.st.PutCall(rec, at); err != nil {
		d.log.Error("call log failed", "call_id", c.CallID, "error", err)
		d.notice(NoticeCallLogFailed, nil)
		return
	}
	d.pendWrap(c, rec)
	d.reload()
}
