package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"agentdesk/agent"

	berrors "go.etcd.io/bbolt/errors"
)

// indexEntry is one key an index holds for a record, with its value (nil
// for most indexes; a summary for the complaint summary and deadline
// indexes).
type indexEntry struct {
	bucket []byte
	key    []byte
	value  []byte
}

// applyEntries puts entries through t (creating their buckets), or with del
// deletes their keys.
func applyEntries(t txn, es []indexEntry, del bool) error {
	var errs []error
	for _, e := range es {
		b, err := t.ensure(e.bucket)
		if err != nil {
			return err
		}
		if del {
			errs = append(errs, b.delete(e.key))
		} else {
			errs = append(errs, b.put(e.key, e.value))
		}
	}
	return errors.Join(errs...)
}

// listIndexes are the indexes rebuildListIndexes makes from the records.
var listIndexes = [][]byte{
	bucketComplaintDue, bucketComplaintCustomer, bucketComplaintSummary, bucketComplaintOwner,
	bucketComplaintState, bucketComplaintDay, bucketCallbackDay, bucketCallbackCustomer,
}

// rebuildBatch is how many index keys one write transaction of a rebuild
// puts: bbolt splits nodes only at commit, so one transaction holding
// every key of a large file spends its time moving them.
const rebuildBatch = 20_000

// rebuildListIndexes (schema 1 → 2) drops and rebuilds the complaint and
// callback indexes from the records: every entry is collected, sorted per
// index and written in batches (appending, a few transactions), and the
// schema version is set last, so a process killed part-way leaves schema 1
// and the next Open rebuilds from the start.
func rebuildListIndexes(s *Store) error {
	err := s.update(func(t txn) error {
		for _, name := range listIndexes {
			if err := t.tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
				return fmt.Errorf("drop %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var es []indexEntry
	err = s.view(func(t txn) error {
		err := eachRecord(t, agent.KindComplaint, func(id string, raw []byte) error {
			var c agent.Complaint
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode complaint %s: %w", id, err)
			}
			c.ID = id
			ce, err := complaintEntries(&c)
			es = append(es, ce...)
			return err
		})
		if err != nil {
			return err
		}
		return eachRecord(t, agent.KindCallback, func(id string, raw []byte) error {
			var cb agent.Callback
			if err := json.Unmarshal(raw, &cb); err != nil {
				return fmt.Errorf("decode callback %s: %w", id, err)
			}
			cb.ID = id
			es = append(es, callbackEntries(&cb)...)
			return nil
		})
	})
	if err != nil {
		return err
	}
	slices.SortFunc(es, func(a, b indexEntry) int {
		if c := bytes.Compare(a.bucket, b.bucket); c != 0 {
			return c
		}
		return bytes.Compare(a.key, b.key)
	})
	for start := 0; start < len(es); start += rebuildBatch {
		part := es[start:min(start+rebuildBatch, len(es))]
		err := s.update(func(t txn) error {
			for _, name := range listIndexes {
				b, err := t.ensure(name)
				if err != nil {
					return err
				}
				b.b.FillPercent = 0.9
			}
			return applyEntries(t, part, false)
		})
		if err != nil {
			return fmt.Errorf("rebuild indexes: %w", err)
		}
	}
	return s.update(func(t txn) error {
		for _, name := range listIndexes {
			if _, err := t.ensure(name); err != nil {
				return err
			}
		}
		return nil
	})
}
