package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// OutboxEntry is one change waiting to be synced upstream: the record's kind,
// ID and version and its full JSON at that version.
type OutboxEntry struct {
	Seq     uint64          `json:"seq"`
	Kind    agent.Kind      `json:"kind"`
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	At      time.Time       `json:"at"`
	Body    json.RawMessage `json:"body"`
}

func appendOutbox(tx *bolt.Tx, e OutboxEntry) error {
	b := tx.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("outbox sequence: %w", err)
	}
	e.Seq = seq
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode outbox entry: %w", err)
	}
	return b.Put(u64(seq), v)
}

// Outbox returns up to limit pending entries in the order they were made.
func (s *Store) Outbox(limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var e OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AckOutbox removes every entry up to and including seq: the hub has stored
// them. Acknowledging twice is harmless.
func (s *Store) AckOutbox(seq uint64) error {
	return s.update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return fmt.Errorf("ack outbox %d: %w", seq, err)
			}
		}
		return nil
	})
}

// OutboxStats reports how many entries wait and when the oldest was made
// (zero when none wait).
func (s *Store) OutboxStats() (pending int, oldest time.Time, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		pending = b.Stats().KeyN
		if _, v := b.Cursor().First(); v != nil {
			var e OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry: %w", err)
			}
			oldest = e.At
		}
		return nil
	})
	return pending, oldest, err
}
