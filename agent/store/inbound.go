package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// Buckets made on demand by the first write that needs them.
var (
	bucketSync  = []byte("sync")  // pull cursors: name → int64
	bucketPacks = []byte("packs") // lang → storedPack JSON
)

// ErrNotPulled is returned by ApplyRemote and RemoveRemote for a kind of
// record the desk does not take from the hub.
var ErrNotPulled = errors.New("records of this kind are not pulled from the hub")

// ApplyRemote stores a record received from the hub, without queueing it
// back upstream, if it is newer than the desk's copy (or the desk has none).
// It reports whether it stored it. Customers, callback tasks (planned by
// the hub for this desk's agents) and supervisors' coaching notes for them
// are pulled; other kinds are not. The
// indexes are kept right: a customer's numbers, a task's list entries, the
// old copy's unindexed and the new copy's indexed.
func (s *Store) ApplyRemote(kind agent.Kind, id string, version int64, body []byte) (bool, error) {
	if kind != agent.KindCustomer && kind != agent.KindCallback && kind != agent.KindCoaching {
		return false, fmt.Errorf("apply remote %s %s: %w", kind, id, ErrNotPulled)
	}
	var m agent.Meta
	if err := json.Unmarshal(body, &m); err != nil {
		return false, fmt.Errorf("apply remote %s %s: decode: %w", kind, id, err)
	}
	if m.ID != id || m.Version != version {
		return false, fmt.Errorf("apply remote %s %s: body says %s version %d, not version %d", kind, id, m.ID, m.Version, version)
	}
	applied := false
	var oldPhones, newPhones []string
	err := s.update(func(t txn) error {
		b, err := t.ensure([]byte(kind))
		if err != nil {
			return err
		}
		old, err := b.get([]byte(id))
		if err != nil {
			return err
		}
		if old != nil {
			var om agent.Meta
			if err := json.Unmarshal(old, &om); err != nil {
				return fmt.Errorf("decode local copy: %w", err)
			}
			if om.Version >= version {
				return nil
			}
		}
		switch kind {
		case agent.KindCoaching:
			err = checkRemoteCoaching(body)
		case agent.KindCallback:
			err = reindexRemoteCallback(t, id, old, body)
		default:
			oldPhones, newPhones, err = reindexRemoteCustomer(t, id, old, body)
		}
		if err != nil {
			return err
		}
		if err := b.put([]byte(id), append([]byte(nil), body...)); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("apply remote %s %s: %w", kind, id, err)
	}
	if applied && kind == agent.KindCustomer {
		s.nums.change(id, oldPhones, newPhones)
	}
	return applied, nil
}

// reindexRemoteCustomer moves the phone-index entries of customer id from
// the numbers of its old JSON (nil if none) to those of its new JSON, with
// the customers code's reindex. Numbers from the hub are normalised again:
// the index holds only E.164 keys.
// It returns the numbers moved from and to.
func reindexRemoteCustomer(t txn, id string, oldRaw, newRaw []byte) (old, new []string, err error) {
	var oldC, newC agent.Customer
	if oldRaw != nil {
		if err := json.Unmarshal(oldRaw, &oldC); err != nil {
			return nil, nil, fmt.Errorf("decode local customer: %w", err)
		}
	}
	if err := json.Unmarshal(newRaw, &newC); err != nil {
		return nil, nil, fmt.Errorf("decode remote customer: %w", err)
	}
	// A number this desk cannot index is left out; the record still stores.
	old, new = indexedNumbers(oldC.Phones), indexedNumbers(newC.Phones)
	return old, new, t.reindex(id, old, new)
}

// reindexRemoteCallback moves a callback task from the hub from its old
// copy's list entries (oldRaw nil if none) to its new copy's, as
// PutCallbacks does; the task must decode as one and name its customer.
func reindexRemoteCallback(t txn, id string, oldRaw, newRaw []byte) error {
	var cb agent.Callback
	if err := json.Unmarshal(newRaw, &cb); err != nil {
		return fmt.Errorf("decode remote callback: %w", err)
	}
	if cb.CustomerID == "" {
		return fmt.Errorf("remote callback %s names no customer", id)
	}
	cb.ID = id
	if oldRaw != nil {
		var old agent.Callback
		if err := json.Unmarshal(oldRaw, &old); err != nil {
			return fmt.Errorf("decode local callback: %w", err)
		}
		old.ID = id
		if err := indexCallback(t, &old, true); err != nil {
			return err
		}
	}
	return indexCallback(t, &cb, false)
}

// RemoveRemote deletes a customer or a callback task that the hub reports
// deleted at version, if the desk's copy is older, with its index entries.
// It reports whether it deleted it.
func (s *Store) RemoveRemote(kind agent.Kind, id string, version int64) (bool, error) {
	if kind != agent.KindCustomer && kind != agent.KindCallback && kind != agent.KindCoaching {
		return false, fmt.Errorf("remove remote %s %s: %w", kind, id, ErrNotPulled)
	}
	removed := false
	var oldPhones []string
	err := s.update(func(t txn) error {
		b := t.bucket([]byte(kind))
		if b == nil {
			return nil // nothing of that kind here yet
		}
		old, err := b.get([]byte(id))
		if err != nil || old == nil {
			return err
		}
		var om agent.Meta
		if err := json.Unmarshal(old, &om); err != nil {
			return fmt.Errorf("decode local copy: %w", err)
		}
		if om.Version >= version {
			return nil
		}
		switch kind {
		case agent.KindCoaching:
		case agent.KindCallback:
			var oc agent.Callback
			if err := json.Unmarshal(old, &oc); err != nil {
				return fmt.Errorf("decode local callback: %w", err)
			}
			oc.ID = id
			if err := indexCallback(t, &oc, true); err != nil {
				return err
			}
		default:
			var oc agent.Customer
			if err := json.Unmarshal(old, &oc); err != nil {
				return fmt.Errorf("decode local customer: %w", err)
			}
			oldPhones = indexedNumbers(oc.Phones)
			if err := t.reindex(id, oldPhones, nil); err != nil {
				return err
			}
		}
		removed = true
		return b.delete([]byte(id))
	})
	if err != nil {
		return false, fmt.Errorf("remove remote %s %s: %w", kind, id, err)
	}
	if removed && kind == agent.KindCustomer {
		s.nums.change(id, oldPhones, nil)
	}
	return removed, nil
}

// SyncCursor returns the saved position of the named pull (0 if none).
func (s *Store) SyncCursor(name string) (int64, error) {
	var v int64
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketSync); b != nil {
			if raw := b.Get([]byte(name)); len(raw) == 8 {
				v = int64(binary.BigEndian.Uint64(raw))
			}
		}
		return nil
	})
	return v, err
}

// SetSyncCursor saves the position of the named pull.
func (s *Store) SetSyncCursor(name string, v int64) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketSync)
		if err != nil {
			return fmt.Errorf("set sync cursor %s: %w", name, err)
		}
		return b.Put([]byte(name), u64(uint64(v)))
	})
}

// StoredPack is a script pack published on the hub and kept on the desk.
type StoredPack struct {
	ID          int64     `json:"id"`
	Lang        string    `json:"lang"`
	Name        string    `json:"name"`
	Data        []byte    `json:"data"`
	PublishedAt time.Time `json:"published_at"`
}

// SavePack keeps p as the latest pack of its language unless the desk
// already has one with the same or a higher ID.
func (s *Store) SavePack(p StoredPack) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketPacks)
		if err != nil {
			return fmt.Errorf("save pack: %w", err)
		}
		if raw := b.Get([]byte(p.Lang)); raw != nil {
			var have StoredPack
			if err := json.Unmarshal(raw, &have); err == nil && have.ID >= p.ID {
				return nil
			}
		}
		v, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("save pack: %w", err)
		}
		return b.Put([]byte(p.Lang), v)
	})
}

// LatestPack returns the newest pack kept for lang, or an error wrapping
// ErrNotFound.
func (s *Store) LatestPack(lang string) (StoredPack, error) {
	var p StoredPack
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPacks)
		var raw []byte
		if b != nil {
			raw = b.Get([]byte(lang))
		}
		if raw == nil {
			return fmt.Errorf("pack %s: %w", lang, ErrNotFound)
		}
		return json.Unmarshal(raw, &p)
	})
	return p, err
}
