package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"agentdesk/agent"

	"github.com/google/uuid"
)

// Complaint indexes. Each is written in the transaction that writes the
// case; their keys hold case and customer IDs, agent numbers, states and
// instants, never customer content; their values (summaries) are sealed in
// a sealed file like records.
var (
	// bucketComplaintDue indexes the cases awaiting a reply by their reply
	// time: key = 8-byte big-endian Unix nanoseconds of the deadline + case
	// ID, value the case's CaseSummary JSON. Overdue lists scan it up to an
	// instant instead of reading every case.
	bucketComplaintDue = []byte("idx_complaint_due")
	// bucketComplaintCustomer indexes cases by customer: key = customer ID
	// + 0x00 + case ID, value empty, so a caller's open cases pop without
	// reading every case.
	bucketComplaintCustomer = []byte("idx_complaint_customer")
	// bucketComplaintSummary holds every case's CaseSummary JSON by case
	// ID: lists read it instead of the cases.
	bucketComplaintSummary = []byte("idx_complaint_summary")
	// bucketComplaintOwner indexes cases by owner: key = owner + 0x00 +
	// case ID, value empty.
	bucketComplaintOwner = []byte("idx_complaint_owner")
	// bucketComplaintState indexes cases by state: key = 1 state byte +
	// case ID, value empty.
	bucketComplaintState = []byte("idx_complaint_state")
	// bucketComplaintDay indexes the instants a day's statistics count
	// (opened, replied, closed): key = 8-byte big-endian Unix nanoseconds +
	// case ID, value empty.
	bucketComplaintDay = []byte("idx_complaint_day")
)

func customerKey(customer, id string) []byte {
	return append(append([]byte(customer), 0), id...)
}

// ErrUnknownCustomer is returned when a record names a customer the desk
// does not have.
var ErrUnknownCustomer = errors.New("unknown customer")

// PutComplaint saves a case (stamping its Meta with now and this desk) and
// any alerts its last operation raised, with their outbox entries and the
// case's index entries, in one transaction. It refuses a case whose
// customer is not on file. It returns after the commit: the case is durable.
func (s *Store) PutComplaint(c *agent.Complaint, now time.Time, alerts ...*agent.Alert) error {
	if err := recordID(agent.KindComplaint, c.ID); err != nil {
		return fmt.Errorf("save complaint: %w", err)
	}
	next := *c
	next.Desk = s.desk
	next.Touch(now)
	stamped := make([]agent.Alert, len(alerts))
	for i, a := range alerts {
		stamped[i] = *a
		stamped[i].Desk = s.desk
		stamped[i].Touch(now)
	}
	err := s.update(func(t txn) error {
		if err := customerOnFile(t, next.CustomerID); err != nil {
			return err
		}
		var old agent.Complaint
		switch err := getRecord(t, agent.KindComplaint, next.ID, &old); {
		case err == nil:
			if err := indexComplaint(t, &old, true); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := versionAbove(t, agent.KindComplaint, &next.Meta); err != nil {
			return err
		}
		if err := putRecord(t, agent.KindComplaint, next.Meta, &next, now); err != nil {
			return err
		}
		if err := indexComplaint(t, &next, false); err != nil {
			return err
		}
		for i := range stamped {
			if err := versionAbove(t, agent.KindAlert, &stamped[i].Meta); err != nil {
				return err
			}
			if err := putRecord(t, agent.KindAlert, stamped[i].Meta, &stamped[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save complaint %s: %w", next.ID, err)
	}
	*c = next
	for i, a := range alerts {
		*a = stamped[i]
	}
	return nil
}

// indexComplaint adds c's entries to every complaint index, or with del
// removes them (c is then the stored copy being replaced).
func indexComplaint(t txn, c *agent.Complaint, del bool) error {
	es, err := complaintEntries(c)
	if err != nil {
		return err
	}
	return applyEntries(t, es, del)
}

// complaintEntries are the index entries of case c.
func complaintEntries(c *agent.Complaint) ([]indexEntry, error) {
	id := c.ID
	sum, err := json.Marshal(summarize(c))
	if err != nil {
		return nil, fmt.Errorf("encode summary of %s: %w", id, err)
	}
	es := []indexEntry{
		{bucketComplaintCustomer, customerKey(c.CustomerID, id), nil},
		{bucketComplaintSummary, []byte(id), sum},
		{bucketComplaintOwner, customerKey(c.Owner, id), nil},
		{bucketComplaintState, stateKey(c.State, id), nil},
	}
	if d := c.ReplyDue(); !d.IsZero() {
		es = append(es, indexEntry{bucketComplaintDue, dueKey(d, id), sum})
	}
	for _, d := range complaintDays(c) {
		es = append(es, indexEntry{bucketComplaintDay, dueKey(d, id), nil})
	}
	return es, nil
}

// complaintDays are the instants of c the day index holds: opened,
// replied, closed (each once).
func complaintDays(c *agent.Complaint) []time.Time {
	out := []time.Time{c.OpenedAt}
	add := func(t time.Time) {
		if !t.IsZero() && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	if c.Replied != nil {
		add(c.Replied.RepliedAt)
	}
	add(c.ClosedAt)
	return out
}

func stateKey(st agent.ComplaintState, id string) []byte {
	return append([]byte{byte(st)}, id...)
}

// versionAbove raises m's version above the stored copy's when that copy is
// as new or newer (the record was changed since the caller read it): the
// last save wins locally and sync sees a strictly growing version.
func versionAbove(t txn, kind agent.Kind, m *agent.Meta) error {
	raw, err := t.bucket([]byte(kind)).get([]byte(m.ID))
	if err != nil || raw == nil {
		return err
	}
	var old agent.Meta
	if err := json.Unmarshal(raw, &old); err != nil {
		return fmt.Errorf("decode stored %s %s: %w", kind, m.ID, err)
	}
	if old.Version >= m.Version {
		m.Version = old.Version + 1
	}
	return nil
}

// recordID accepts an empty ID (Touch makes one) or a UUID: every record
// has a UUID made on a desk.
func recordID(kind agent.Kind, id string) error {
	if id == "" {
		return nil
	}
	if _, err := uuid.Parse(id); err != nil {
		return fmt.Errorf("%s id %q is not a UUID", kind, id)
	}
	return nil
}

func customerOnFile(t txn, id string) error {
	if !t.bucket(bucketCustomers).has([]byte(id)) {
		return fmt.Errorf("customer %q: %w", id, ErrUnknownCustomer)
	}
	return nil
}

// CaseSummary is a case's line in lists, kept in the summary and deadline
// indexes so lists read no case: who, how, where it stands, its reply time
// (zero unless it awaits a reply) and what it lacks (agent.StepProblem
// strings).
type CaseSummary struct {
	ID         string               `json:"id"`
	CustomerID string               `json:"customer_id"`
	Owner      string               `json:"owner"`
	Channel    agent.Channel        `json:"channel"`
	State      agent.ComplaintState `json:"state"`
	Severity   agent.Severity       `json:"severity"`
	OpenedAt   time.Time            `json:"opened_at"`
	ReplyDue   time.Time            `json:"reply_due"`
	Missing    []string             `json:"missing"`
}

// DueCase is the deadline index's copy of a case awaiting its reply.
type DueCase = CaseSummary

// Overdue reports whether the case awaits a reply past its time at instant
// at (as agent.Complaint.ReplyOverdue).
func (c *CaseSummary) Overdue(at time.Time) bool { return !c.ReplyDue.IsZero() && at.After(c.ReplyDue) }

func summarize(c *agent.Complaint) *CaseSummary {
	e := &CaseSummary{ID: c.ID, CustomerID: c.CustomerID, Owner: c.Owner, Channel: c.Channel, State: c.State,
		OpenedAt: c.OpenedAt, ReplyDue: c.ReplyDue(), Missing: []string{}}
	if c.Followed != nil {
		e.Severity = c.Followed.Severity
	}
	for _, p := range c.Missing() {
		e.Missing = append(e.Missing, p.String())
	}
	return e
}

// DueCases returns the cases awaiting a reply due at or before the instant,
// soonest first, from the deadline index alone (no case is read).
func (s *Store) DueCases(before time.Time) ([]DueCase, error) {
	var out []DueCase
	err := s.view(func(t txn) error {
		return eachDue(t, before, func(_ []byte, e *CaseSummary) error {
			out = append(out, *e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list due complaints: %w", err)
	}
	return out, nil
}

// eachDue calls fn with every deadline-index entry due at or before the
// instant, soonest first.
func eachDue(t txn, before time.Time, fn func(id []byte, e *CaseSummary) error) error {
	idx := t.bucket(bucketComplaintDue)
	if idx == nil {
		return nil
	}
	end := uint64(before.UnixNano())
	cur := idx.cursor()
	for k, raw := cur.First(); k != nil && binary.BigEndian.Uint64(k[:8]) <= end; k, raw = cur.Next() {
		v, err := idx.open(k, raw)
		if err != nil {
			return err
		}
		var e CaseSummary
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode due entry %s: %w", k[8:], err)
		}
		if err := fn(k[8:], &e); err != nil {
			return err
		}
	}
	return nil
}

func dueKey(due time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(due.UnixNano()))
	return append(k, id...)
}

// Complaint returns the case with the given ID, or ErrNotFound.
func (s *Store) Complaint(id string) (agent.Complaint, error) {
	var c agent.Complaint
	err := s.view(func(t txn) error { return getRecord(t, agent.KindComplaint, id, &c) })
	return c, err
}

// ComplaintFilter selects cases. Zero fields select everything.
type ComplaintFilter struct {
	CustomerID string
	Owner      string
	States     []agent.ComplaintState
	// OverdueAt, when set, selects only cases awaiting a reply whose reply
	// time passed before it (read through the deadline index).
	OverdueAt time.Time
	// DueBefore, when set, selects only cases awaiting a reply due at or
	// before it (overdue ones included).
	DueBefore time.Time
}

func (f ComplaintFilter) deadlines() bool { return !f.OverdueAt.IsZero() || !f.DueBefore.IsZero() }

// match says whether a case's summary passes every field of f.
func (f ComplaintFilter) match(c *CaseSummary) bool {
	if f.CustomerID != "" && c.CustomerID != f.CustomerID {
		return false
	}
	if f.Owner != "" && c.Owner != f.Owner {
		return false
	}
	if len(f.States) > 0 && !slices.Contains(f.States, c.State) {
		return false
	}
	if !f.OverdueAt.IsZero() && !c.Overdue(f.OverdueAt) {
		return false
	}
	if !f.DueBefore.IsZero() && (c.ReplyDue.IsZero() || c.ReplyDue.After(f.DueBefore)) {
		return false
	}
	return true
}

// Complaints returns the cases matching f: by reply time (soonest first)
// when f asks for deadlines, by ID otherwise. The indexes choose the cases;
// only those are read.
func (s *Store) Complaints(f ComplaintFilter) ([]agent.Complaint, error) {
	var out []agent.Complaint
	err := s.view(func(t txn) error {
		return eachSummary(t, f, func(e *CaseSummary) error {
			var c agent.Complaint
			if err := getRecord(t, agent.KindComplaint, e.ID, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list complaints: %w", err)
	}
	return out, nil
}

// ComplaintSummaries returns the list lines of the cases matching f, in the
// order Complaints would return the cases, from the indexes alone: no case
// is read (what complaints list prints).
func (s *Store) ComplaintSummaries(f ComplaintFilter) ([]CaseSummary, error) {
	out := []CaseSummary{}
	err := s.view(func(t txn) error {
		return eachSummary(t, f, func(e *CaseSummary) error {
			out = append(out, *e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list complaint summaries: %w", err)
	}
	return out, nil
}

// eachSummary calls fn with the summary of every case matching f, by reply
// time when f asks for deadlines, else by ID, through the narrowest index:
// deadlines, customer, owner, state, or all summaries.
func eachSummary(t txn, f ComplaintFilter, fn func(*CaseSummary) error) error {
	pass := func(e *CaseSummary) error {
		if !f.match(e) {
			return nil
		}
		return fn(e)
	}
	if f.deadlines() {
		limit := f.DueBefore
		if !f.OverdueAt.IsZero() && (limit.IsZero() || f.OverdueAt.Before(limit)) {
			limit = f.OverdueAt
		}
		return eachDue(t, limit, func(_ []byte, e *CaseSummary) error { return pass(e) })
	}
	summaries := t.bucket(bucketComplaintSummary)
	if summaries == nil {
		return nil
	}
	var ids [][]byte
	switch {
	case f.CustomerID != "":
		ids = idsUnder(t.bucket(bucketComplaintCustomer), customerKey(f.CustomerID, ""))
	case f.Owner != "":
		ids = idsUnder(t.bucket(bucketComplaintOwner), customerKey(f.Owner, ""))
	case len(f.States) > 0:
		for _, st := range f.States {
			ids = append(ids, idsUnder(t.bucket(bucketComplaintState), []byte{byte(st)})...)
		}
		slices.SortFunc(ids, bytes.Compare)
		ids = slices.CompactFunc(ids, bytes.Equal)
	default:
		cur := summaries.cursor()
		for k, raw := cur.First(); k != nil; k, raw = cur.Next() {
			e, err := decodeSummary(summaries, k, raw)
			if err != nil {
				return err
			}
			if err := pass(e); err != nil {
				return err
			}
		}
		return nil
	}
	for _, id := range ids {
		raw := summaries.b.Get(id)
		if raw == nil {
			return fmt.Errorf("complaint index names case %s, which has no summary", id)
		}
		e, err := decodeSummary(summaries, id, raw)
		if err != nil {
			return err
		}
		if err := pass(e); err != nil {
			return err
		}
	}
	return nil
}

func decodeSummary(b *bucket, k, raw []byte) (*CaseSummary, error) {
	v, err := b.open(k, raw)
	if err != nil {
		return nil, err
	}
	var e CaseSummary
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("decode summary of %s: %w", k, err)
	}
	return &e, nil
}

// idsUnder returns the record IDs that follow prefix in b's keys, in key
// order (copies, valid after the transaction).
func idsUnder(b *bucket, prefix []byte) [][]byte {
	if b == nil {
		return nil
	}
	var out [][]byte
	c := b.cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, bytes.Clone(k[len(prefix):]))
	}
	return out
}

// idsBetween returns the distinct record IDs of a time index's keys (8-byte
// Unix nanoseconds + ID) in [from, to), in ID order.
func idsBetween(b *bucket, from, to time.Time) []string {
	if b == nil {
		return nil
	}
	var out []string
	end := uint64(to.UnixNano())
	c := b.cursor()
	for k, _ := c.Seek(u64(uint64(from.UnixNano()))); k != nil && binary.BigEndian.Uint64(k[:8]) < end; k, _ = c.Next() {
		out = append(out, string(k[8:]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ComplaintsBetween returns the cases opened, replied to or closed in
// [from, to), in ID order, through the day index: what a day's statistics
// (agent.DailyStats) count, without reading every case.
func (s *Store) ComplaintsBetween(from, to time.Time) ([]agent.Complaint, error) {
	var out []agent.Complaint
	err := s.view(func(t txn) error {
		for _, id := range idsBetween(t.bucket(bucketComplaintDay), from, to) {
			var c agent.Complaint
			if err := getRecord(t, agent.KindComplaint, id, &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("complaints between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}
