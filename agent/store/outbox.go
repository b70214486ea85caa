package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"agentdesk/agent"
)

// OutboxEntry is one change waiting to be synced upstream: the record's kind,
// ID and version and its full JSON at that version.
//
// Deleted marks a tombstone: the record was deleted locally at Version (one
// more than its last saved version) and Body is its last content with that
// version. The hub applies it like any upsert: a newer version wins.
//
// Bulk writes (CSV import) store their entries without a body to halve what
// an import writes; Outbox fills Body in from the record as it is when read,
// with that record's current Version (sync is an idempotent upsert on
// (ID, Version), so sending the newest content early is safe). If the record
// has since been deleted, the entry is returned as a tombstone without a body.
type OutboxEntry struct {
	Seq     uint64          `json:"seq"`
	Kind    agent.Kind      `json:"kind"`
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	At      time.Time       `json:"at"`
	Deleted bool            `json:"deleted,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

func appendOutbox(t txn, e OutboxEntry) error {
	b := t.bucket(bucketOutbox)
	seq, err := b.b.NextSequence()
	if err != nil {
		return fmt.Errorf("outbox sequence: %w", err)
	}
	e.Seq = seq
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode outbox entry: %w", err)
	}
	return b.put(u64(seq), v)
}

// Outbox returns up to limit pending entries in the order they were made.
func (s *Store) Outbox(limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.view(func(t txn) error {
		b := t.bucket(bucketOutbox)
		c := b.cursor()
		for k, raw := c.First(); k != nil && len(out) < limit; k, raw = c.Next() {
			v, err := b.open(k, raw)
			if err != nil {
				return err
			}
			var e OutboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if err := fillBody(t, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// fillBody gives a body-less (bulk) entry the record's current content.
func fillBody(t txn, e *OutboxEntry) error {
	if len(e.Body) > 0 || e.Deleted {
		return nil
	}
	b := t.bucket([]byte(e.Kind))
	if b == nil {
		return fmt.Errorf("outbox entry %d: unknown kind %q", e.Seq, e.Kind)
	}
	raw, err := b.get([]byte(e.ID))
	if err != nil {
		return fmt.Errorf("outbox entry %d: %w", e.Seq, err)
	}
	if raw == nil {
		e.Deleted = true
		return nil
	}
	var m agent.Meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("outbox entry %d: decode %s %s: %w", e.Seq, e.Kind, e.ID, err)
	}
	e.Version = m.Version
	e.Body = append(json.RawMessage(nil), raw...)
	return nil
}

// AckOutbox removes every entry up to and including seq: the hub has stored
// them. Acknowledging twice is harmless.
func (s *Store) AckOutbox(seq uint64) error {
	return s.update(func(t txn) error {
		c := t.tx.Bucket(bucketOutbox).Cursor()
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
	err = s.view(func(t txn) error {
		b := t.bucket(bucketOutbox)
		pending = b.b.Stats().KeyN
		if k, raw := b.cursor().First(); k != nil {
			v, err := b.open(k, raw)
			if err != nil {
				return err
			}
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
