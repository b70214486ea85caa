package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// PutRecording files a call's recording (validated) with its outbox entry.
func (s *Store) PutRecording(r *agent.Recording, now time.Time) error {
	if err := recordID(agent.KindRecording, r.ID); err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	next := *r
	if err := next.Validate(); err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	next.Desk = s.desk
	next.Touch(now)
	err := s.update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(agent.KindRecording)); err != nil {
			return err
		}
		if err := versionAbove(tx, agent.KindRecording, &next.Meta); err != nil {
			return err
		}
		return putRecord(tx, agent.KindRecording, next.Meta, &next, now)
	})
	if err != nil {
		return fmt.Errorf("save recording %s: %w", next.ID, err)
	}
	*r = next
	return nil
}

// Recordings returns the recordings of the calls with the given SIP
// Call-IDs (none given: all), oldest first.
func (s *Store) Recordings(callIDs ...string) ([]agent.Recording, error) {
	want := map[string]bool{}
	for _, id := range callIDs {
		want[id] = true
	}
	var out []agent.Recording
	err := s.view(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(agent.KindRecording)) == nil {
			return nil
		}
		return eachRecord(tx, agent.KindRecording, func(id string, raw []byte) error {
			var r agent.Recording
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode recording %s: %w", id, err)
			}
			if len(want) == 0 || want[r.CallID] {
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out, nil
}
