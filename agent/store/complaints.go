package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// bucketComplaintDue indexes the cases awaiting a reply by their reply time:
// key = 8-byte big-endian Unix nanoseconds of the deadline + case ID, value
// the case's DueCase JSON. Overdue lists scan it up to an instant instead of
// reading every case.
var bucketComplaintDue = []byte("idx_complaint_due")

// bucketComplaintCustomer indexes cases by customer: key = customer ID +
// 0x00 + case ID, value empty, so a caller's open cases pop without reading
// every case.
var bucketComplaintCustomer = []byte("idx_complaint_customer")

func customerKey(customer, id string) []byte {
	return append(append([]byte(customer), 0), id...)
}

// ErrUnknownCustomer is returned when a record names a customer the desk
// does not have.
var ErrUnknownCustomer = errors.New("unknown customer")

// PutComplaint saves a case (stamping its Meta with now and this desk) and
// any alerts its last operation raised, with their outbox entries, in one
// transaction. It refuses a case whose customer is not on file. It returns
// after the commit: the case is durable.
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
	err := s.update(func(tx *bolt.Tx) error {
		if err := customerOnFile(tx, next.CustomerID); err != nil {
			return err
		}
		idx, err := dueIndex(tx)
		if err != nil {
			return err
		}
		byCustomer, err := tx.CreateBucketIfNotExists(bucketComplaintCustomer)
		if err != nil {
			return err
		}
		var old agent.Complaint
		switch err := getRecord(tx, agent.KindComplaint, next.ID, &old); {
		case err == nil:
			if err := idx.Delete(dueKey(old.ReplyDue(), old.ID)); err != nil {
				return err
			}
			if err := byCustomer.Delete(customerKey(old.CustomerID, old.ID)); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := byCustomer.Put(customerKey(next.CustomerID, next.ID), nil); err != nil {
			return err
		}
		if err := versionAbove(tx, agent.KindComplaint, &next.Meta); err != nil {
			return err
		}
		if err := putRecord(tx, agent.KindComplaint, next.Meta, &next, now); err != nil {
			return err
		}
		if err := putDue(idx, &next); err != nil {
			return err
		}
		for i := range stamped {
			if err := versionAbove(tx, agent.KindAlert, &stamped[i].Meta); err != nil {
				return err
			}
			if err := putRecord(tx, agent.KindAlert, stamped[i].Meta, &stamped[i], now); err != nil {
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

// versionAbove raises m's version above the stored copy's when that copy is
// as new or newer (the record was changed since the caller read it): the
// last save wins locally and sync sees a strictly growing version.
func versionAbove(tx *bolt.Tx, kind agent.Kind, m *agent.Meta) error {
	raw := tx.Bucket([]byte(kind)).Get([]byte(m.ID))
	if raw == nil {
		return nil
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

func customerOnFile(tx *bolt.Tx, id string) error {
	if tx.Bucket([]byte(agent.KindCustomer)).Get([]byte(id)) == nil {
		return fmt.Errorf("customer %q: %w", id, ErrUnknownCustomer)
	}
	return nil
}

// dueIndex returns the reply-deadline index bucket, creating it in a write
// transaction (files made before it existed get it on their first save).
func dueIndex(tx *bolt.Tx) (*bolt.Bucket, error) {
	if b := tx.Bucket(bucketComplaintDue); b != nil || !tx.Writable() {
		return b, nil
	}
	b, err := tx.CreateBucket(bucketComplaintDue)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", bucketComplaintDue, err)
	}
	return b, nil
}

// DueCase is the deadline index's copy of a case awaiting its reply: enough
// to list overdue replies without reading each case.
type DueCase struct {
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

// putDue indexes c if it awaits a reply.
func putDue(idx *bolt.Bucket, c *agent.Complaint) error {
	d := c.ReplyDue()
	if d.IsZero() {
		return nil
	}
	e := DueCase{ID: c.ID, CustomerID: c.CustomerID, Owner: c.Owner, Channel: c.Channel, State: c.State,
		Severity: c.Followed.Severity, OpenedAt: c.OpenedAt, ReplyDue: d, Missing: []string{}}
	for _, p := range c.Missing() {
		e.Missing = append(e.Missing, p.String())
	}
	v, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("encode due entry %s: %w", c.ID, err)
	}
	return idx.Put(dueKey(d, c.ID), v)
}

// DueCases returns the cases awaiting a reply due at or before the instant,
// soonest first, from the deadline index alone (no case is read).
func (s *Store) DueCases(before time.Time) ([]DueCase, error) {
	var out []DueCase
	err := s.view(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketComplaintDue)
		if idx == nil {
			return nil
		}
		end := uint64(before.UnixNano())
		cur := idx.Cursor()
		for k, v := cur.First(); k != nil && binary.BigEndian.Uint64(k[:8]) <= end; k, v = cur.Next() {
			var e DueCase
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode due entry %s: %w", k[8:], err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list due complaints: %w", err)
	}
	return out, nil
}

func dueKey(due time.Time, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(due.UnixNano()))
	return append(k, id...)
}

// Complaint returns the case with the given ID, or ErrNotFound.
func (s *Store) Complaint(id string) (agent.Complaint, error) {
	var c agent.Complaint
	err := s.view(func(tx *bolt.Tx) error { return getRecord(tx, agent.KindComplaint, id, &c) })
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

func (f ComplaintFilter) match(c *agent.Complaint) bool {
	if f.CustomerID != "" && c.CustomerID != f.CustomerID {
		return false
	}
	if f.Owner != "" && c.Owner != f.Owner {
		return false
	}
	if len(f.States) > 0 {
		ok := false
		for _, s := range f.States {
			ok = ok || c.State == s
		}
		if !ok {
			return false
		}
	}
	if !f.OverdueAt.IsZero() && !c.ReplyOverdue(f.OverdueAt) {
		return false
	}
	if !f.DueBefore.IsZero() && (c.ReplyDue().IsZero() || c.ReplyDue().After(f.DueBefore)) {
		return false
	}
	return true
}

// Complaints returns the cases matching f: by reply time (soonest first)
// when f asks for deadlines, by ID otherwise.
func (s *Store) Complaints(f ComplaintFilter) ([]agent.Complaint, error) {
	var out []agent.Complaint
	err := s.view(func(tx *bolt.Tx) error {
		if f.OverdueAt.IsZero() && f.DueBefore.IsZero() && f.CustomerID != "" {
			return complaintsOf(tx, f, &out)
		}
		if f.OverdueAt.IsZero() && f.DueBefore.IsZero() {
			return eachRecord(tx, agent.KindComplaint, func(id string, raw []byte) error {
				var c agent.Complaint
				if err := json.Unmarshal(raw, &c); err != nil {
					return fmt.Errorf("decode complaint %s: %w", id, err)
				}
				if f.match(&c) {
					out = append(out, c)
				}
				return nil
			})
		}
		idx, err := dueIndex(tx)
		if idx == nil || err != nil {
			return err
		}
		limit := f.DueBefore
		if !f.OverdueAt.IsZero() && (limit.IsZero() || f.OverdueAt.Before(limit)) {
			limit = f.OverdueAt
		}
		end := uint64(limit.UnixNano())
		cur := idx.Cursor()
		for k, _ := cur.First(); k != nil && binary.BigEndian.Uint64(k[:8]) <= end; k, _ = cur.Next() {
			var c agent.Complaint
			if err := getRecord(tx, agent.KindComplaint, string(k[8:]), &c); err != nil {
				return err
			}
			if f.match(&c) {
				out = append(out, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list complaints: %w", err)
	}
	return out, nil
}

// complaintsOf appends the cases of f.CustomerID that match f, through the
// customer index.
func complaintsOf(tx *bolt.Tx, f ComplaintFilter, out *[]agent.Complaint) error {
	b := tx.Bucket(bucketComplaintCustomer)
	if b == nil {
		return nil
	}
	prefix := customerKey(f.CustomerID, "")
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var cs agent.Complaint
		if err := getRecord(tx, agent.KindComplaint, string(k[len(prefix):]), &cs); err != nil {
			return err
		}
		if f.match(&cs) {
			*out = append(*out, cs)
		}
	}
	return nil
}

// reindexRemote keeps this file's own indexes (reply deadlines of cases,
// call times) right when a record arrives from the hub rather than through
// PutComplaint or PutCall: oldRaw is the desk's copy (nil if none), newRaw
// the new JSON (nil when the record is removed). Other kinds are ignored.
// ApplyRemote and RemoveRemote call it inside their transaction.
func reindexRemote(tx *bolt.Tx, kind agent.Kind, id string, oldRaw, newRaw []byte) error {
	switch kind {
	case agent.KindComplaint:
		idx, err := dueIndex(tx)
		if err != nil {
			return err
		}
		byCustomer, err := tx.CreateBucketIfNotExists(bucketComplaintCustomer)
		if err != nil {
			return err
		}
		for i, raw := range [][]byte{oldRaw, newRaw} {
			if raw == nil {
				continue
			}
			var c agent.Complaint
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode complaint %s: %w", id, err)
			}
			if i == 0 {
				err = errors.Join(idx.Delete(dueKey(c.ReplyDue(), id)), byCustomer.Delete(customerKey(c.CustomerID, id)))
			} else {
				err = errors.Join(putDue(idx, &c), byCustomer.Put(customerKey(c.CustomerID, id), nil))
			}
			if err != nil {
				return err
			}
		}
	case agent.KindCall:
		for i, raw := range [][]byte{oldRaw, newRaw} {
			if raw == nil {
				continue
			}
			var c agent.Call
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode call %s: %w", id, err)
			}
			c.ID = id
			if err := indexCall(tx, &c, i == 0); err != nil {
				return err
			}
		}
	}
	return nil
}
