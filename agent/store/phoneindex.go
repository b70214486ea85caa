package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketPhoneIndex maps "<normalised number>\x00<customer id>" to nothing, so
// one number can belong to several customers and a prefix scan finds them all.
var bucketPhoneIndex = []byte("idx_phone")

// phoneKey is the index key of one number of one customer.
func phoneKey(number, id string) []byte {
	k := make([]byte, 0, len(number)+1+len(id))
	k = append(k, number...)
	k = append(k, 0)
	return append(k, id...)
}

// reindex moves customer id's index entries from the numbers in old to those
// in new: numbers only in old are removed, numbers only in new are added.
func reindex(tx *bolt.Tx, id string, old, new []string) error {
	b := tx.Bucket(bucketPhoneIndex)
	keep := make(map[string]bool, len(new))
	for _, n := range new {
		keep[n] = true
	}
	for _, n := range old {
		if keep[n] {
			continue
		}
		if err := b.Delete(phoneKey(n, id)); err != nil {
			return fmt.Errorf("unindex %s of %s: %w", n, id, err)
		}
	}
	for _, n := range new {
		if err := b.Put(phoneKey(n, id), nil); err != nil {
			return fmt.Errorf("index %s of %s: %w", n, id, err)
		}
	}
	return nil
}
