package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
)

// bucketCallAt indexes the call log by time: key = 8-byte big-endian Unix
// nanoseconds of Call.At + call ID, value empty.
var bucketCallAt = []byte("idx_call_at")

// bucketCallCustomer indexes calls by customer and time: key = customer ID +
// 0x00 + 8-byte big-endian Unix nanoseconds + call ID, value empty, so a
// caller's last calls pop at once.
var bucketCallCustomer = []byte("idx_call_customer")

func callCustomerKey(c *agent.Call) []byte {
	return append(customerKey(c.CustomerID, ""), dueKey(c.At, c.ID)...)
}

// indexCall adds (or, with del, removes) c's index entries.
func indexCall(t txn, c *agent.Call, del bool) error {
	return applyEntries(t, callEntries(c), del)
}

// callEntries are the index entries of call c.
func callEntries(c *agent.Call) []indexEntry {
	es := []indexEntry{{bucketCallAt, dueKey(c.At, c.ID), nil}}
	if c.CustomerID != "" {
		es = append(es, indexEntry{bucketCallCustomer, callCustomerKey(c), nil})
	}
	return es
}

// PutCall logs a call (validated, number normalised where it can be) with
// its outbox entry. Calls from unknown numbers have no customer; a customer
// ID that is given must be on file.
func (s *Store) PutCall(c *agent.Call, now time.Time) error {
	if err := recordID(agent.KindCall, c.ID); err != nil {
		return fmt.Errorf("save call: %w", err)
	}
	next := *c
	if err := next.Validate(); err != nil {
		return fmt.Errorf("save call: %w", err)
	}
	next.Desk = s.desk
	next.Touch(now)
	err := s.update(func(t txn) error {
		if next.CustomerID != "" {
			if err := customerOnFile(t, next.CustomerID); err != nil {
				return err
			}
		}
		var old agent.Call
		switch err := getRecord(t, agent.KindCall, next.ID, &old); {
		case err == nil:
			if err := indexCall(t, &old, true); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := versionAbove(t, agent.KindCall, &next.Meta); err != nil {
			return err
		}
		if err := putRecord(t, agent.KindCall, next.Meta, &next, now); err != nil {
			return err
		}
		return indexCall(t, &next, false)
	})
	if err != nil {
		return fmt.Errorf("save call %s: %w", next.ID, err)
	}
	*c = next
	return nil
}

// Calls returns the calls that began in [from, to), oldest first.
func (s *Store) Calls(from, to time.Time) ([]agent.Call, error) {
	var out []agent.Call
	err := s.view(func(t txn) error {
		idx := t.tx.Bucket(bucketCallAt)
		if idx == nil {
			return nil
		}
		cur := idx.Cursor()
		end := uint64(to.UnixNano())
		for k, _ := cur.Seek(u64(uint64(from.UnixNano()))); k != nil && binary.BigEndian.Uint64(k[:8]) < end; k, _ = cur.Next() {
			var c agent.Call
			if err := getRecord(t, agent.KindCall, string(k[8:]), &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	return out, nil
}

// RecentCalls returns up to limit calls of a customer, newest first: the
// last calls the desk shows when the customer rings.
func (s *Store) RecentCalls(customerID string, limit int) ([]agent.Call, error) {
	var out []agent.Call
	err := s.view(func(t txn) error {
		b := t.tx.Bucket(bucketCallCustomer)
		if b == nil || customerID == "" {
			return nil
		}
		prefix := customerKey(customerID, "")
		cur := b.Cursor()
		// Start after the last key with the prefix: 0x01 sorts after every time.
		k, _ := cur.Seek(customerKey(customerID+"\x01", ""))
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Prev() {
			var c agent.Call
			if err := getRecord(t, agent.KindCall, string(k[len(prefix)+8:]), &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent calls of %s: %w", customerID, err)
	}
	return out, nil
}
