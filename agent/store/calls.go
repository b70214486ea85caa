package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// bucketCallAt indexes the call log by time: key = 8-byte big-endian Unix
// nanoseconds of Call.At + call ID, value empty.
var bucketCallAt = []byte("idx_call_at")

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
	err := s.update(func(tx *bolt.Tx) error {
		if next.CustomerID != "" {
			if err := customerOnFile(tx, next.CustomerID); err != nil {
				return err
			}
		}
		idx, err := tx.CreateBucketIfNotExists(bucketCallAt)
		if err != nil {
			return fmt.Errorf("create %s: %w", bucketCallAt, err)
		}
		var old agent.Call
		switch err := getRecord(tx, agent.KindCall, next.ID, &old); {
		case err == nil:
			if err := idx.Delete(dueKey(old.At, old.ID)); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := versionAbove(tx, agent.KindCall, &next.Meta); err != nil {
			return err
		}
		if err := putRecord(tx, agent.KindCall, next.Meta, &next, now); err != nil {
			return err
		}
		return idx.Put(dueKey(next.At, next.ID), nil)
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
	err := s.view(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bucketCallAt)
		if idx == nil {
			return nil
		}
		cur := idx.Cursor()
		end := uint64(to.UnixNano())
		for k, _ := cur.Seek(u64(uint64(from.UnixNano()))); k != nil && binary.BigEndian.Uint64(k[:8]) < end; k, _ = cur.Next() {
			var c agent.Call
			if err := getRecord(tx, agent.KindCall, string(k[8:]), &c); err != nil {
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
