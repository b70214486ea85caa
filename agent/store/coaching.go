package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"agentdesk/agent"
)

// bucketCoachingSeen keeps when the agent saw each coaching note: id →
// RFC 3339 instant. The notes themselves come from the hub (ApplyRemote).
var bucketCoachingSeen = []byte("coaching_seen")

// checkRemoteCoaching refuses a coaching note from the hub that does not
// decode as one or fails its checks.
func checkRemoteCoaching(raw []byte) error {
	var n agent.CoachingNote
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("decode remote coaching note: %w", err)
	}
	return n.Validate()
}

// CoachingNote is a supervisor's note as the desk keeps it: the note and,
// once the agent marked it seen, when.
type CoachingNote struct {
	agent.CoachingNote
	Seen time.Time
}

// CoachingNotes returns the coaching notes for agentNumber written at or
// after since, newest first, each with when it was seen (zero: not yet).
func (s *Store) CoachingNotes(agentNumber string, since time.Time) ([]CoachingNote, error) {
	var out []CoachingNote
	err := s.view(func(t txn) error {
		seen := t.bucket(bucketCoachingSeen)
		return eachRecord(t, agent.KindCoaching, func(id string, raw []byte) error {
			var n CoachingNote
			if err := json.Unmarshal(raw, &n.CoachingNote); err != nil {
				return fmt.Errorf("decode coaching note %s: %w", id, err)
			}
			if n.Agent != agentNumber || n.At.Before(since) {
				return nil
			}
			if seen != nil {
				v, err := seen.get([]byte(id))
				if err != nil {
					return err
				}
				if v != nil {
					n.Seen, _ = time.Parse(time.RFC3339Nano, string(v))
				}
			}
			out = append(out, n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("coaching notes of %s: %w", agentNumber, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// MarkCoachingSeen records that the agent saw note id at at (the first
// time counts).
func (s *Store) MarkCoachingSeen(id string, at time.Time) error {
	err := s.update(func(t txn) error {
		if nb := t.bucket([]byte(agent.KindCoaching)); nb == nil || !nb.has([]byte(id)) {
			return fmt.Errorf("no coaching note %s: %w", id, ErrNotFound)
		}
		b, err := t.ensure(bucketCoachingSeen)
		if err != nil {
			return err
		}
		if b.has([]byte(id)) {
			return nil
		}
		return b.put([]byte(id), []byte(at.UTC().Format(time.RFC3339Nano)))
	})
	if err != nil {
		return fmt.Errorf("mark coaching note seen: %w", err)
	}
	return nil
}
