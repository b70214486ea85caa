package store

import (
	"fmt"

	"agentdesk/agent"
	"agentdesk/agent/store/seal"
)

// bucketPhoneIndex maps a number and a customer ID to nothing, so one number
// can belong to several customers and a prefix scan finds them all. In a
// plain file the key is "<normalised number>\x00<customer id>"; in a sealed
// one it is the number's keyed hash (seal.HashSize bytes) followed by the
// customer ID, so the file holds no number.
var bucketPhoneIndex = []byte("idx_phone")

// phonePrefix is the part of the index keys of number shared by all its
// customers.
func (t txn) phonePrefix(number string) []byte {
	if t.k == nil {
		return append([]byte(number), 0)
	}
	return t.k.Hash(make([]byte, 0, seal.HashSize+36), []byte(number))
}

// phoneKey is the index key of one number of one customer.
func (t txn) phoneKey(number, id string) []byte {
	return append(t.phonePrefix(number), id...)
}

// indexedNumbers are the numbers of phones the index holds: each that
// normalises, normalised (a record from the hub may hold other forms; the
// desk's own are normalised when saved).
func indexedNumbers(phones []string) []string {
	out := make([]string, 0, len(phones))
	for _, p := range phones {
		if n, err := agent.NormalizePhone(p); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// reindex moves customer id's index entries from the numbers in old to those
// in new: numbers only in old are removed, numbers only in new are added.
func (t txn) reindex(id string, old, new []string) error {
	b := t.tx.Bucket(bucketPhoneIndex)
	keep := make(map[string]bool, len(new))
	for _, n := range new {
		keep[n] = true
	}
	for _, n := range old {
		if keep[n] {
			continue
		}
		if err := b.Delete(t.phoneKey(n, id)); err != nil {
			return fmt.Errorf("unindex a number of %s: %w", id, err)
		}
	}
	for _, n := range new {
		if err := b.Put(t.phoneKey(n, id), nil); err != nil {
			return fmt.Errorf("index a number of %s: %w", id, err)
		}
	}
	return nil
}
