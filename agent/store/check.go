package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"agentdesk/agent"
)

// CheckIndexes rebuilds every index from the records, in memory, and
// compares it with the file's: the phone index, the call indexes, the
// complaint indexes (with their summaries) and the callback indexes. It
// reads every record, so it is for tests and repairs, not the self-check.
// Each difference is one joined error naming the index and the key.
func (s *Store) CheckIndexes() error {
	return s.view(func(t txn) error {
		want := map[string]map[string][]byte{}
		add := func(bucket []byte, key, value []byte) {
			m := want[string(bucket)]
			if m == nil {
				m = map[string][]byte{}
				want[string(bucket)] = m
			}
			m[string(key)] = value
		}
		err := eachRecord(t, agent.KindCustomer, func(id string, raw []byte) error {
			var c agent.Customer
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode customer %s: %w", id, err)
			}
			for _, n := range indexedNumbers(c.Phones) {
				add(bucketPhoneIndex, t.phoneKey(n, id), nil)
			}
			return nil
		})
		if err != nil {
			return err
		}
		addAll := func(es []indexEntry) {
			for _, e := range es {
				add(e.bucket, e.key, e.value)
			}
		}
		err = eachRecord(t, agent.KindCall, func(id string, raw []byte) error {
			var c agent.Call
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode call %s: %w", id, err)
			}
			c.ID = id
			addAll(callEntries(&c))
			return nil
		})
		if err != nil {
			return err
		}
		err = eachRecord(t, agent.KindComplaint, func(id string, raw []byte) error {
			var c agent.Complaint
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode complaint %s: %w", id, err)
			}
			c.ID = id
			es, err := complaintEntries(&c)
			addAll(es)
			return err
		})
		if err != nil {
			return err
		}
		err = eachRecord(t, agent.KindCallback, func(id string, raw []byte) error {
			var cb agent.Callback
			if err := json.Unmarshal(raw, &cb); err != nil {
				return fmt.Errorf("decode callback %s: %w", id, err)
			}
			cb.ID = id
			addAll(callbackEntries(&cb))
			return nil
		})
		if err != nil {
			return err
		}
		err = eachRecord(t, agent.KindRecording, func(id string, raw []byte) error {
			var r agent.Recording
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode recording %s: %w", id, err)
			}
			r.ID = id
			addAll(recordingEntries(&r))
			return nil
		})
		if err != nil {
			return err
		}
		var errs []error
		for _, name := range [][]byte{bucketRecordingCall, bucketPhoneIndex, bucketCallAt, bucketCallCustomer, bucketComplaintDue,
			bucketComplaintCustomer, bucketComplaintSummary, bucketComplaintOwner, bucketComplaintState,
			bucketComplaintDay, bucketCallbackDay, bucketCallbackCustomer} {
			errs = append(errs, compareIndex(t, name, want[string(name)]))
		}
		return errors.Join(errs...)
	})
}

func compareIndex(t txn, name []byte, want map[string][]byte) error {
	b := t.bucket(name)
	var errs []error
	seen := map[string]bool{}
	if b != nil {
		err := b.forEach(func(k, v []byte) error {
			seen[string(k)] = true
			w, ok := want[string(k)]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("index %s: stray key %s", name, printable(k)))
			case !bytes.Equal(w, v) && !(len(w) == 0 && len(v) == 0):
				errs = append(errs, fmt.Errorf("index %s: key %s holds %s, the record makes %s", name, printable(k), v, w))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !seen[k] {
			errs = append(errs, fmt.Errorf("index %s: missing key %s", name, printable([]byte(k))))
		}
	}
	return errors.Join(errs...)
}
