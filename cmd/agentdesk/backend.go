package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// localDesk adapts the phone, the store and the script pack to the window's
// ui.Backend: telephony event → customer lookup → opening line → ui.Model.
// It is the wiring the window needs until agent/desk publishes its State
// (then this file becomes a State → ui.Model adapter); it decides nothing
// itself: complaints go through agent.BuildComplaint, openings through the
// pack.
type localDesk struct {
	cfg    desk.Config
	st     *store.Store
	phone  desk.Phone
	now    func() time.Time
	log    *slog.Logger
	events chan telephony.Event

	mu       sync.Mutex
	pack     *scripts.Pack
	model    ui.Model
	customer *agent.Customer // the caller on the current call
	subs     map[int]func(ui.Model)
	nextSub  int
	ringAt   time.Time
	req      scripts.OpeningRequest // the current call's, for re-rendering
	saved    int                    // complaints saved this session
}

func (d *localDesk) savedCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.saved
}

func newLocalDesk(cfg desk.Config, st *store.Store, pack *scripts.Pack, practice bool, log *slog.Logger) *localDesk {
	d := &localDesk{cfg: cfg, st: st, pack: pack, now: time.Now, log: log.With("component", "desk"),
		events: make(chan telephony.Event, 64), subs: map[int]func(ui.Model){}}
	d.model = ui.Model{At: d.now(), PBX: "connecting", Sync: "none", Agent: "available"}
	if practice {
		d.model.PBX = "practice"
	}
	if cfg.Hub.URL != "" {
		d.model.Sync = "offline"
	}
	d.model.Phrases = phrases(pack, scripts.OpeningRequest{At: d.now(), AgentName: cfg.AgentName, AgentNumber: cfg.AgentNumber})
	return d
}

// Emit takes a phone event without blocking the phone.
func (d *localDesk) Emit(ev telephony.Event) {
	select {
	case d.events <- ev:
	default:
		d.log.Warn("event dropped: desk busy", "kind", ev.Kind.String(), "call_id", ev.CallID)
	}
}

// run applies events until ctx ends.
func (d *localDesk) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-d.events:
			d.apply(ev)
		}
	}
}

func (d *localDesk) apply(ev telephony.Event) {
	d.mu.Lock()
	m := d.model
	m.At = ev.At
	switch ev.Kind {
	case telephony.EventRegistered:
		if m.PBX != "practice" {
			m.PBX = "registered"
		}
	case telephony.EventRegisterFailed, telephony.EventUnregistered:
		m.PBX = "failed"
	case telephony.EventRinging:
		m.Call, d.customer = d.pop(ev), nil
		if m.Call.Known {
			d.customer = d.lookup(ev.Caller.Number)
		}
		d.ringAt = ev.At
		if ev.Direction == telephony.Inbound {
			m.Agent = "ringing"
		}
		d.req = d.request(ev, d.customer)
		m.Opening = d.render(d.req)
		m.Phrases = phrases(d.pack, d.req)
		m.HangupReminder = false
	case telephony.EventAnswered:
		if c := d.call(m, ev); c != nil {
			c.State, c.Since = "answered", ev.At
			m.Call, m.Agent, m.HangupReminder = c, "on_call", true
			if c.Outbound {
				d.req = d.request(ev, d.customer)
				m.Opening = d.render(d.req)
			}
		}
	case telephony.EventHeld, telephony.EventResumed:
		if c := d.call(m, ev); c != nil {
			c.State = map[bool]string{true: "held", false: "answered"}[ev.Kind == telephony.EventHeld]
			m.Call = c
		}
	case telephony.EventEnded, telephony.EventMissed, telephony.EventAnsweredElsewhere, telephony.EventTransferred:
		if c := m.Call; c != nil && c.ID == ev.CallID {
			dir, result := "in", ev.Kind.String()
			if c.Outbound {
				dir = "out"
			}
			if ev.Reason != "" {
				result += " · " + ev.Reason
			}
			m.Log = append([]ui.LogEntry{{At: d.ringAt, Direction: dir, Caller: callerText(c), Result: result}}, m.Log...)
			m.Stats = countStats(m.Log)
			m.Call, m.Agent, m.HangupReminder, m.Opening = nil, "available", false, ""
		}
	}
	d.model = m
	d.publishLocked()
}

// call returns a copy of the current call if ev is about it.
func (d *localDesk) call(m ui.Model, ev telephony.Event) *ui.Call {
	if m.Call == nil || m.Call.ID != ev.CallID {
		return nil
	}
	c := *m.Call
	return &c
}

// pop builds the caller card for a ringing call.
func (d *localDesk) pop(ev telephony.Event) *ui.Call {
	c := &ui.Call{ID: ev.CallID, Number: ev.Caller.Number, Name: ev.Caller.DisplayName, Anonymous: ev.Caller.Anonymous,
		State: "ringing", Outbound: ev.Direction == telephony.Outbound, Since: ev.At,
		RingLimit: time.Duration(d.cfg.RingLimitSeconds) * time.Second}
	if n, err := agent.NormalizePhone(ev.Caller.Number); err == nil {
		c.Number = n
	}
	cust := d.lookup(ev.Caller.Number)
	if cust == nil {
		return c
	}
	c.Known, c.Name, c.Member = true, cust.Name, cust.Member
	if d.pack != nil {
		c.Salutation = d.pack.Salutation(party(cust))
	}
	cases, err := d.st.Complaints(store.ComplaintFilter{CustomerID: cust.ID,
		States: []agent.ComplaintState{agent.StateOpen, agent.StateAwaitingReply}})
	if err != nil {
		d.log.Warn("complaints for pop", "error", err)
	}
	c.Open = len(cases)
	c.Overdue = len(agent.OverdueReplies(cases, ev.At))
	for _, e := range d.model.Log {
		if e.Caller == c.Number || e.Caller == c.Salutation {
			c.LastCalls = append(c.LastCalls, e.At.Format("01-02 15:04")+" "+e.Result)
		}
	}
	return c
}

func (d *localDesk) lookup(number string) *agent.Customer {
	if number == "" {
		return nil
	}
	cs, err := d.st.LookupPhone(number)
	if err != nil || len(cs) == 0 {
		if err != nil && !errors.Is(err, agent.ErrBadPhone) {
			d.log.Warn("lookup", "error", err)
		}
		return nil
	}
	return &cs[0]
}

func (d *localDesk) render(req scripts.OpeningRequest) string {
	if d.pack == nil {
		return ""
	}
	s, err := d.pack.Opening(req)
	if err != nil {
		d.log.Warn("opening", "error", err)
	}
	return s
}

func (d *localDesk) request(ev telephony.Event, cust *agent.Customer) scripts.OpeningRequest {
	req := scripts.OpeningRequest{At: ev.At, Outbound: ev.Direction == telephony.Outbound,
		AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber}
	if cust != nil {
		req.Caller = party(cust)
	}
	return req
}

func party(c *agent.Customer) scripts.Party {
	return scripts.Party{Surname: c.Surname, Title: string(c.Title), Name: c.Name}
}

// phrases renders the phrase book for the caller; a line whose variables
// cannot be filled yet stays as the trainer wrote it.
func phrases(p *scripts.Pack, req scripts.OpeningRequest) []ui.Phrase {
	if p == nil {
		return nil
	}
	var out []ui.Phrase
	for _, ph := range p.Phrases() {
		say, err := p.Render(ph.Say, req)
		if err != nil {
			say = ph.Say
		}
		out = append(out, ui.Phrase{Situation: ph.Situation, Say: say, Never: strings.Join(ph.Never, "；")})
	}
	return out
}

func callerText(c *ui.Call) string {
	if c.Salutation != "" {
		return c.Salutation + " " + c.Number
	}
	return c.Number
}

func countStats(log []ui.LogEntry) ui.Stats {
	var s ui.Stats
	for _, e := range log {
		switch {
		case e.Direction == "out":
			s.Outbound++
		case strings.HasPrefix(e.Result, "missed"):
			s.Missed++
			s.Inbound++
		default:
			s.Inbound++
		}
	}
	return s
}

func (d *localDesk) publishLocked() {
	m := d.model
	subs := make([]func(ui.Model), 0, len(d.subs))
	for _, fn := range d.subs {
		subs = append(subs, fn)
	}
	d.mu.Unlock()
	for _, fn := range subs {
		fn(m)
	}
}

// Subscribe implements ui.Backend; fn gets the current model at once.
func (d *localDesk) Subscribe(fn func(ui.Model)) func() {
	d.mu.Lock()
	id := d.nextSub
	d.nextSub++
	d.subs[id] = fn
	d.publishLocked()
	return func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

// SetLang swaps the script pack for the agent's new language.
func (d *localDesk) SetLang(lang string) {
	p, err := scripts.Default(lang)
	if err != nil {
		d.log.Warn("pack for language", "lang", lang, "error", err)
		return
	}
	d.mu.Lock()
	d.pack = p
	req := scripts.OpeningRequest{At: d.now(), AgentName: d.cfg.AgentName, AgentNumber: d.cfg.AgentNumber}
	if d.model.Call != nil {
		req = d.req
		d.model.Opening = d.render(req)
		if c := *d.model.Call; d.customer != nil {
			c.Salutation = p.Salutation(party(d.customer))
			d.model.Call = &c
		}
	}
	d.model.Phrases = phrases(p, req)
	d.publishLocked()
}

func (d *localDesk) callID() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.model.Call == nil {
		return "", errors.New("no call")
	}
	return d.model.Call.ID, nil
}

func (d *localDesk) onCall(fn func(id string) error) error {
	id, err := d.callID()
	if err != nil {
		return err
	}
	return fn(id)
}

// Answer implements ui.Backend.
func (d *localDesk) Answer() error { return d.onCall(d.phone.Answer) }

// Hangup implements ui.Backend.
func (d *localDesk) Hangup() error { return d.onCall(d.phone.Hangup) }

// Hold implements ui.Backend.
func (d *localDesk) Hold() error { return d.onCall(d.phone.Hold) }

// Resume implements ui.Backend.
func (d *localDesk) Resume() error { return d.onCall(d.phone.Resume) }

// Transfer implements ui.Backend.
func (d *localDesk) Transfer(target string) error {
	return d.onCall(func(id string) error { return d.phone.Transfer(id, target) })
}

// SendDTMF implements ui.Backend.
func (d *localDesk) SendDTMF(digit string) error {
	return d.onCall(func(id string) error { return d.phone.SendDTMF(id, digit) })
}

// Mute silences our microphone: local media state, nothing is signalled.
func (d *localDesk) Mute(on bool) error {
	d.mu.Lock()
	if d.model.Call == nil {
		d.mu.Unlock()
		return errors.New("no call")
	}
	c := *d.model.Call
	c.Muted = on
	d.model.Call = &c
	d.publishLocked()
	return nil
}

// DialCallback implements ui.Backend; callbacks are not planned on this
// desk yet, so there is nothing to dial.
func (d *localDesk) DialCallback(id string) error {
	return fmt.Errorf("dial callback %s: not planned on this desk", id)
}

// SetAgentState implements ui.Backend.
func (d *localDesk) SetAgentState(state, reason string) error {
	d.mu.Lock()
	if d.model.Call != nil {
		d.mu.Unlock()
		return errors.New("set agent state: on a call")
	}
	d.model.Agent, d.model.BreakReason = state, reason
	d.publishLocked()
	return nil
}

// CheckComplaint implements ui.Backend through the domain's rules.
func (d *localDesk) CheckComplaint(dr ui.ComplaintDraft) ui.ComplaintCheck {
	_, _, chk, _ := d.buildComplaint(dr, false)
	return chk
}

// SaveComplaint stores the case (and its major-complaint alert) in one
// bbolt commit before reporting success.
func (d *localDesk) SaveComplaint(dr ui.ComplaintDraft) (ui.ComplaintCheck, error) {
	c, alerts, chk, err := d.buildComplaint(dr, true)
	if err != nil {
		return chk, err
	}
	if err := d.st.PutComplaint(c, d.now(), alerts...); err != nil {
		return chk, fmt.Errorf("save complaint: %w", err)
	}
	d.mu.Lock()
	d.saved++
	d.model.Stats.Complaints++
	if c.Followed != nil && c.Followed.Severity == agent.SeverityMajor {
		d.model.Supervisor.Major = append(d.model.Supervisor.Major,
			c.OpenedAt.Format("15:04")+" "+dr.What)
	}
	d.publishLocked()
	return chk, nil
}

var stepIDs = map[agent.Step]string{agent.StepListen: "wiz.listen", agent.StepAsk: "wiz.ask",
	agent.StepFollow: "wiz.follow", agent.StepReply: "wiz.reply", agent.StepRecord: "wiz.record",
	agent.StepReport: "wiz.report"}

func (d *localDesk) buildComplaint(dr ui.ComplaintDraft, create bool) (*agent.Complaint, []*agent.Alert, ui.ComplaintCheck, error) {
	now := d.now()
	custID, err := d.complaintCustomer(create)
	if err != nil {
		return nil, nil, ui.ComplaintCheck{}, err
	}
	in := agent.ComplaintInput{CustomerID: custID, Owner: orDefault(d.cfg.AgentNumber, d.cfg.AgentName, "agent"),
		Channel: agent.ChannelPhone, OpenedAt: now}
	in.Listen = &agent.ListenStep{Statement: dr.Statement}
	in.Ask = &agent.AskStep{Facts: agent.Facts{What: dr.What, When: dr.When, Where: dr.Where,
		Subject: dr.Subject, Wants: dr.Wants}, ReadBack: dr.ReadBack}
	var sev agent.Severity
	if dr.Severity != "" {
		if err := sev.UnmarshalText([]byte(dr.Severity)); err != nil {
			return nil, nil, ui.ComplaintCheck{}, err
		}
	}
	in.Follow = &agent.FollowStepInput{FollowInput: agent.FollowInput{Severity: sev, SolvedOnCall: dr.Solved}}
	if dr.ReplyHow != "" || dr.ReplySaid != "" {
		in.Reply = &agent.ReplyStepInput{ReplyInput: agent.ReplyInput{How: dr.ReplyHow, Said: dr.ReplySaid, Accepted: dr.Accepted}}
	}
	if dr.Matter != "" || dr.Process != "" || dr.Result != "" {
		in.Record = &agent.RecordStep{Matter: dr.Matter, Process: dr.Process, Result: dr.Result}
	}
	c, alerts, err := agent.BuildComplaint(in, agent.DefaultReplyPolicy(), now)
	var inc *agent.IncompleteError
	switch {
	case errors.As(err, &inc):
		return nil, nil, ui.ComplaintCheck{Missing: missing(inc.Problems)}, err
	case err != nil:
		return nil, nil, ui.ComplaintCheck{}, err
	}
	chk := ui.ComplaintCheck{Missing: missing(c.Missing())}
	if c.Followed != nil && !c.Followed.SolvedOnCall {
		chk.Due = c.Followed.ReplyDue.In(d.zone())
	}
	return c, alerts, chk, nil
}

func (d *localDesk) zone() *time.Location {
	if d.pack != nil {
		return d.pack.TimeZone()
	}
	return time.Local
}

func missing(ps []agent.StepProblem) []ui.Missing {
	out := make([]ui.Missing, 0, len(ps))
	for _, p := range ps {
		id := stepIDs[p.Step]
		if p.Step == agent.StepAsk && strings.Contains(p.Msg, "read-back") {
			id = "wiz.readback"
		}
		out = append(out, ui.Missing{Step: id, Detail: p.Msg})
	}
	return out
}

// complaintCustomer is the caller's record; an unknown caller gets one
// made from the number (the pop's empty record), when create is set.
func (d *localDesk) complaintCustomer(create bool) (string, error) {
	d.mu.Lock()
	cust, call := d.customer, d.model.Call
	d.mu.Unlock()
	if cust != nil {
		return cust.ID, nil
	}
	if call == nil || call.Number == "" {
		return "", errors.New("complaint: no caller to file it for")
	}
	if !create {
		return "pending", nil
	}
	c := &agent.Customer{Meta: agent.Meta{ID: agent.NewID()}, Name: call.Number, Phones: []string{call.Number}}
	if err := d.st.PutCustomer(c, d.now()); err != nil {
		return "", fmt.Errorf("complaint: record caller: %w", err)
	}
	d.mu.Lock()
	d.customer = c
	d.mu.Unlock()
	return c.ID, nil
}

func orDefault(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
