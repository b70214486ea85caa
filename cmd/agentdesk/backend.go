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

// deskBackend adapts *desk.Desk to the window's ui.Backend: desk.State →
// ui.Model, widget commands → desk commands on the current call. It adds
// what the window shows beside the desk's state (the caller's open
// complaints, today's call log) from the store, and files complaints
// through agent.BuildComplaint. It decides nothing itself.
type deskBackend struct {
	d     *desk.Desk
	st    *store.Store
	packs map[string]*scripts.Pack
	cfg   desk.Config
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	muted    map[string]bool
	cards    map[string]card // per call ID, looked up once per pop
	customer *agent.Customer // made for an unknown caller's complaint
	saved    int
	major    []string
	notify   func()
	hub      *hubLink // nil without a hub: the supervisor board is this desk's
}

// card is what the pop adds from the store.
type card struct {
	open, overdue int
	callbacks     int // pending callback tasks
	lastCalls     []string
}

func newDeskBackend(d *desk.Desk, st *store.Store, packs map[string]*scripts.Pack, cfg desk.Config, log *slog.Logger) *deskBackend {
	return &deskBackend{d: d, st: st, packs: packs, cfg: cfg, now: time.Now, log: log.With("component", "ui_backend"),
		muted: map[string]bool{}, cards: map[string]card{}}
}

// Subscribe implements ui.Backend.
func (b *deskBackend) Subscribe(fn func(ui.Model)) func() {
	var cur desk.State
	var curMu sync.Mutex
	b.mu.Lock()
	b.notify = func() {
		curMu.Lock()
		s := cur
		curMu.Unlock()
		fn(b.model(s))
	}
	b.mu.Unlock()
	return b.d.Subscribe(func(s desk.State) {
		curMu.Lock()
		cur = s
		curMu.Unlock()
		fn(b.model(s))
	})
}

// refresh republishes the last state with the backend's own changes (mute,
// a saved complaint).
func (b *deskBackend) refresh() {
	b.mu.Lock()
	n := b.notify
	b.mu.Unlock()
	if n != nil {
		n()
	}
}

func (b *deskBackend) pack(lang string) *scripts.Pack {
	if p, ok := b.packs[lang]; ok {
		return p
	}
	return b.packs[scripts.DefaultLang]
}

// model turns a desk snapshot into what the window shows.
func (b *deskBackend) model(s desk.State) ui.Model {
	m := ui.Model{At: s.At, Agent: s.Agent.Status.String(), Sync: "none"}
	if s.Agent.Status == agent.StatusBreak {
		m.BreakReason = s.Agent.Reason.String()
	}
	switch r := s.Registration; {
	case r.Practice:
		m.PBX = "practice"
	case r.Status == desk.RegRegistered:
		m.PBX = "registered"
	case r.Status == desk.RegConnecting:
		m.PBX = "connecting"
	default:
		m.PBX = "failed"
	}
	m.LastSync = s.Sync.LastSync
	switch {
	case !s.Sync.Enabled:
	case s.Sync.Failing:
		m.Sync = "offline"
	case s.Sync.Pending > 0:
		m.Sync, m.Pending = "pending", s.Sync.Pending
	default:
		m.Sync = "ok"
	}
	pack := b.pack(s.Lang)
	req := scripts.OpeningRequest{At: s.At, AgentName: b.cfg.AgentName, AgentNumber: b.cfg.AgentNumber}
	if c, ok := s.Current(); ok {
		m.Call = b.call(c)
		m.Opening = c.Opening
		m.HangupReminder = c.Status == desk.CallOnCall
		if c.Customer != nil {
			req.Caller = party(c.Customer)
		}
	}
	m.Phrases = phrases(pack, req)
	m.Log, m.Stats = b.today(s.At)
	m.Callbacks, m.QuietHours = b.callbacks(s.At)
	b.mu.Lock()
	m.Stats.Complaints = b.saved
	m.Supervisor.Major = append([]string(nil), b.major...)
	b.mu.Unlock()
	m.Supervisor.Agents = []ui.BoardRow{{Who: orDefault(b.cfg.AgentName, b.cfg.AgentNumber), State: m.Agent}}
	for _, c := range s.Calls {
		who := c.Number
		if c.Customer != nil {
			who = c.Salutation + " " + c.Number
		}
		m.Supervisor.Calls = append(m.Supervisor.Calls, ui.BoardRow{Who: who, State: c.Status.String()})
	}
	b.hub.applyBoard(&m)
	return m
}

func (b *deskBackend) call(c desk.Call) *ui.Call {
	u := &ui.Call{ID: c.CallID, Number: c.Number, Name: c.DisplayName, Anonymous: c.Anonymous,
		Outbound: c.Direction == telephony.Outbound, Since: c.RingStarted, RingLimit: c.RingLimit}
	switch c.Status {
	case desk.CallRinging:
		u.State = "ringing"
	case desk.CallHeld:
		u.State, u.Since = "held", c.AnsweredAt
	default:
		u.State, u.Since = "answered", c.AnsweredAt
	}
	b.mu.Lock()
	u.Muted = b.muted[c.CallID]
	b.mu.Unlock()
	if c.Customer == nil {
		return u
	}
	u.Known, u.Name, u.Member, u.Salutation = true, c.Customer.Name, c.Customer.Member, c.Salutation
	cd := b.card(c.CallID, c.Customer, c.RingStarted)
	u.Open, u.Overdue, u.LastCalls = cd.open, cd.overdue, cd.lastCalls
	u.CallbacksDue = cd.callbacks
	return u
}

// card reads the caller's cases and last calls once per call.
func (b *deskBackend) card(callID string, cust *agent.Customer, at time.Time) card {
	b.mu.Lock()
	cd, ok := b.cards[callID]
	b.mu.Unlock()
	if ok {
		return cd
	}
	cases, err := b.st.Complaints(store.ComplaintFilter{CustomerID: cust.ID,
		States: []agent.ComplaintState{agent.StateOpen, agent.StateAwaitingReply}})
	if err != nil {
		b.log.Warn("complaints for pop", "error", err)
	}
	cd.open, cd.overdue = len(cases), len(agent.OverdueReplies(cases, at))
	cd.callbacks = b.callbacksDue(cust.ID)
	if calls, err := b.st.Calls(at.Add(-30*24*time.Hour), at); err == nil {
		for i := len(calls) - 1; i >= 0 && len(cd.lastCalls) < 3; i-- {
			if calls[i].CustomerID == cust.ID {
				cd.lastCalls = append(cd.lastCalls, calls[i].At.In(b.zone()).Format("01-02 15:04")+" "+calls[i].Type.String())
			}
		}
	}
	b.mu.Lock()
	b.cards[callID] = cd
	b.mu.Unlock()
	return cd
}

// today is the day's call log and counts, from the store.
func (b *deskBackend) today(at time.Time) ([]ui.LogEntry, ui.Stats) {
	var st ui.Stats
	z := b.zone()
	local := at.In(z)
	from := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, z)
	calls, err := b.st.Calls(from, at.Add(time.Minute))
	if err != nil {
		return nil, st
	}
	var log []ui.LogEntry
	var answered, within int
	limit := time.Duration(b.cfg.RingLimitSeconds) * time.Second
	for i := len(calls) - 1; i >= 0; i-- {
		c := calls[i]
		e := ui.LogEntry{At: c.At.In(z), Direction: "in", Caller: c.Number, Result: c.Result}
		if c.Direction == agent.Outbound {
			e.Direction = "out"
			st.Outbound++
		} else {
			st.Inbound++
			if c.Missed() {
				st.Missed++
			}
			if c.Answered {
				answered++
				if c.AnsweredWithin(limit) {
					within++
				}
			}
		}
		log = append(log, e)
	}
	if answered > 0 {
		st.WithinRingLimitPct = within * 100 / answered
	}
	return log, st
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

// SetLang switches the desk's script language with the window's.
func (b *deskBackend) SetLang(lang string) {
	if err := b.d.SetLang(lang); err != nil {
		b.log.Warn("set lang", "lang", lang, "error", err)
	}
}

func (b *deskBackend) current() (desk.Call, error) {
	c, ok := b.d.State().Current()
	if !ok {
		return c, errors.New("no call")
	}
	return c, nil
}

func (b *deskBackend) onCall(fn func(id string) error) error {
	c, err := b.current()
	if err != nil {
		return err
	}
	return fn(c.CallID)
}

// Answer implements ui.Backend.
func (b *deskBackend) Answer() error { return b.onCall(b.d.Answer) }

// Hangup implements ui.Backend.
func (b *deskBackend) Hangup() error { return b.onCall(b.d.Hangup) }

// Hold implements ui.Backend.
func (b *deskBackend) Hold() error { return b.onCall(b.d.Hold) }

// Resume implements ui.Backend.
func (b *deskBackend) Resume() error { return b.onCall(b.d.Resume) }

// Transfer implements ui.Backend.
func (b *deskBackend) Transfer(target string) error {
	return b.onCall(func(id string) error { return b.d.Transfer(id, target) })
}

// SendDTMF implements ui.Backend.
func (b *deskBackend) SendDTMF(digit string) error {
	return b.onCall(func(id string) error { return b.d.SendDTMF(id, digit) })
}

// Mute silences our microphone: local media state, nothing is signalled.
func (b *deskBackend) Mute(on bool) error {
	c, err := b.current()
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.muted[c.CallID] = on
	b.mu.Unlock()
	b.refresh()
	return nil
}

// DialCallback dials the callback's customer; the desk refuses during
// quiet hours.
func (b *deskBackend) DialCallback(id string) error {
	cb, err := b.st.Callback(id)
	if err != nil {
		return err
	}
	c, err := b.st.Customer(cb.CustomerID)
	if err != nil {
		return err
	}
	if len(c.Phones) == 0 {
		return fmt.Errorf("dial callback %s: customer has no phone", id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = b.d.Dial(ctx, c.Phones[0])
	return err
}

// callbacks lists the pending callbacks and, in quiet hours, until when
// the desk will not dial.
func (b *deskBackend) callbacks(at time.Time) ([]ui.Callback, string) {
	z := b.zone()
	quiet := ""
	q := agent.DefaultQuietHours(z)
	if q.CanDial(at) != nil {
		quiet = "→ " + q.NextDialable(at).In(z).Format("15:04")
	}
	cbs, err := b.st.Callbacks(store.CallbackFilter{PendingOnly: true})
	if err != nil {
		b.log.Warn("callbacks", "error", err)
		return nil, quiet
	}
	var out []ui.Callback
	for _, cb := range cbs {
		row := ui.Callback{ID: cb.ID, Customer: cb.CustomerID, Due: cb.Due.In(z).Format("01-02 15:04"), Overdue: cb.Overdue(at)}
		if c, err := b.st.Customer(cb.CustomerID); err == nil {
			row.Customer = c.Name
			if len(c.Phones) > 0 {
				row.Number = c.Phones[0]
			}
		}
		out = append(out, row)
	}
	return out, quiet
}

// SetAgentState implements ui.Backend.
func (b *deskBackend) SetAgentState(state, reason string) error {
	var st agent.AgentStatus
	if err := st.UnmarshalText([]byte(state)); err != nil {
		return err
	}
	var r agent.BreakReason
	if reason != "" {
		if err := r.UnmarshalText([]byte(reason)); err != nil {
			return err
		}
	}
	return b.d.SetAgentState(st, r)
}

// CheckComplaint implements ui.Backend through the domain's rules.
func (b *deskBackend) CheckComplaint(dr ui.ComplaintDraft) ui.ComplaintCheck {
	_, _, chk, _ := b.buildComplaint(dr, false)
	return chk
}

// SaveComplaint stores the case (and its major-complaint alert) in one
// bbolt commit before reporting success.
func (b *deskBackend) SaveComplaint(dr ui.ComplaintDraft) (ui.ComplaintCheck, error) {
	c, alerts, chk, err := b.buildComplaint(dr, true)
	if err != nil {
		return chk, err
	}
	if err := b.st.PutComplaint(c, b.now(), alerts...); err != nil {
		return chk, fmt.Errorf("save complaint: %w", err)
	}
	b.mu.Lock()
	b.saved++
	if c.Followed != nil && c.Followed.Severity == agent.SeverityMajor {
		b.major = append(b.major, c.OpenedAt.In(b.zone()).Format("15:04")+" "+dr.What)
	}
	b.mu.Unlock()
	b.refresh()
	return chk, nil
}

func (b *deskBackend) savedCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.saved
}

func (b *deskBackend) zone() *time.Location {
	if z, err := time.LoadLocation(b.cfg.TimeZone); err == nil {
		return z
	}
	return b.pack(b.cfg.Lang).TimeZone()
}

var stepIDs = map[agent.Step]string{agent.StepListen: "wiz.listen", agent.StepAsk: "wiz.ask",
	agent.StepFollow: "wiz.follow", agent.StepReply: "wiz.reply", agent.StepRecord: "wiz.record",
	agent.StepReport: "wiz.report"}

func (b *deskBackend) buildComplaint(dr ui.ComplaintDraft, create bool) (*agent.Complaint, []*agent.Alert, ui.ComplaintCheck, error) {
	now := b.now()
	custID, err := b.complaintCustomer(create)
	if err != nil {
		return nil, nil, ui.ComplaintCheck{}, err
	}
	in := agent.ComplaintInput{CustomerID: custID, Owner: orDefault(b.cfg.AgentNumber, b.cfg.AgentName, "agent"),
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
		chk.Due = c.Followed.ReplyDue.In(b.zone())
	}
	return c, alerts, chk, nil
}

func missing(ps []agent.StepProblem) []ui.Missing {
	// What each of agent's problems lacks, as a message every window
	// language has; "not done" (the whole step) and anything unknown show
	// as the step alone. A "(closing needs it)" tail does not change what.
	type problem struct {
		step agent.Step
		msg  string
	}
	whats := map[problem]string{
		{agent.StepListen, "customer missing"}:                 ui.MissCustomer,
		{agent.StepListen, "owner agent missing"}:              ui.MissOwner,
		{agent.StepListen, "statement missing"}:                ui.MissStatement,
		{agent.StepAsk, "what happened missing"}:               ui.MissWhat,
		{agent.StepAsk, "when missing"}:                        ui.MissWhen,
		{agent.StepAsk, "where missing"}:                       ui.MissWhere,
		{agent.StepAsk, "product/order/address missing"}:       ui.MissSubject,
		{agent.StepAsk, "what the caller wants missing"}:       ui.MissWants,
		{agent.StepFollow, "severity missing"}:                 ui.MissSeverity,
		{agent.StepFollow, "next reply time missing"}:          ui.MissReplyDue,
		{agent.StepReply, "how the caller was told missing"}:   ui.MissHow,
		{agent.StepReply, "what was said missing"}:             ui.MissSaid,
		{agent.StepReply, "caller has not accepted the reply"}: ui.MissAccepted,
		{agent.StepRecord, "matter missing"}:                   ui.MissMatter,
		{agent.StepRecord, "handling process missing"}:         ui.MissProcess,
		{agent.StepRecord, "result missing"}:                   ui.MissResult,
		{agent.StepReport, "major complaint not reported"}:     ui.MissReported,
	}
	out := make([]ui.Missing, 0, len(ps))
	for _, p := range ps {
		id := stepIDs[p.Step]
		if p.Step == agent.StepAsk && strings.Contains(p.Msg, "read-back") {
			id = "wiz.readback"
		}
		msg, _, _ := strings.Cut(p.Msg, " (")
		out = append(out, ui.Missing{Step: id, What: whats[problem{p.Step, msg}], Detail: p.Msg})
	}
	return out
}

// complaintCustomer is the caller's record; an unknown caller gets one
// made from the number (the pop's empty record), when create is set.
func (b *deskBackend) complaintCustomer(create bool) (string, error) {
	c, err := b.current()
	if err != nil {
		return "", errors.New("complaint: no caller to file it for")
	}
	if c.Customer != nil {
		return c.Customer.ID, nil
	}
	b.mu.Lock()
	made := b.customer
	b.mu.Unlock()
	if made != nil && len(made.Phones) > 0 && made.Phones[0] == c.Number {
		return made.ID, nil
	}
	if c.Number == "" || c.Anonymous {
		return "", errors.New("complaint: an anonymous caller needs a record first")
	}
	if !create {
		return "pending", nil
	}
	cu := &agent.Customer{Meta: agent.Meta{ID: agent.NewID()}, Name: c.Number, Phones: []string{c.Number}}
	if err := b.st.PutCustomer(cu, b.now()); err != nil {
		return "", fmt.Errorf("complaint: record caller: %w", err)
	}
	b.mu.Lock()
	b.customer = cu
	b.mu.Unlock()
	return cu.ID, nil
}

func orDefault(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// SearchCustomers implements ui.Backend with the store's search.
func (b *deskBackend) SearchCustomers(q string) ([]ui.CustomerRow, error) {
	cs, err := b.st.SearchCustomers(q, 50)
	if err != nil {
		return nil, err
	}
	rows := make([]ui.CustomerRow, len(cs))
	for i, c := range cs {
		rows[i] = ui.CustomerRow{ID: c.ID, Name: c.Name, Surname: c.Surname, Title: string(c.Title), Member: c.Member}
		if len(c.Phones) > 0 {
			rows[i].Phone = c.Phones[0]
		}
	}
	return rows, nil
}

// SaveCustomer implements ui.Backend: the edited fields over the stored
// record (its other phones and notes are kept); the store validates.
func (b *deskBackend) SaveCustomer(r ui.CustomerRow) error {
	c := agent.Customer{}
	if r.ID != "" {
		var err error
		if c, err = b.st.Customer(r.ID); err != nil {
			return err
		}
	}
	title, err := agent.ParseTitle(r.Title)
	if err != nil {
		return err
	}
	c.Name, c.Surname, c.Title, c.Member = strings.TrimSpace(r.Name), strings.TrimSpace(r.Surname), title, r.Member
	phone := strings.TrimSpace(r.Phone)
	if len(c.Phones) == 0 || c.Phones[0] != phone {
		rest := c.Phones
		if len(rest) > 0 {
			rest = rest[1:]
		}
		c.Phones = append([]string{phone}, rest...)
	}
	return b.st.PutCustomer(&c, b.now())
}
