package store

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"agentdesk/agent"
)

// bucketRecordingCall indexes recordings by the SIP Call-ID of their call:
// key = Call-ID + 0x00 + recording ID, value empty, so the day's log finds
// its recordings without reading every recording.
var bucketRecordingCall = []byte("idx_recording_call")

func recordingEntries(r *agent.Recording) []indexEntry {
	return []indexEntry{{bucketRecordingCall, customerKey(r.CallID, r.ID), nil}}
}

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
	err := s.update(func(t txn) error {
		if _, err := t.ensure([]byte(agent.KindRecording)); err != nil {
			return err
		}
		var old agent.Recording
		switch err := getRecord(t, agent.KindRecording, next.ID, &old); {
		case err == nil:
			if err := applyEntries(t, recordingEntries(&old), true); err != nil {
				return err
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if err := versionAbove(t, agent.KindRecording, &next.Meta); err != nil {
			return err
		}
		if err := putRecord(t, agent.KindRecording, next.Meta, &next, now); err != nil {
			return err
		}
		return applyEntries(t, recordingEntries(&next), false)
	})
	if err != nil {
		return fmt.Errorf("save recording %s: %w", next.ID, err)
	}
	*r = next
	return nil
}

// Recording returns the recording with ID id, or an error wrapping
// ErrNotFound.
func (s *Store) Recording(id string) (agent.Recording, error) {
	var r agent.Recording
	err := s.view(func(t txn) error {
		if t.bucket([]byte(agent.KindRecording)) == nil {
			return fmt.Errorf("%s %s: %w", agent.KindRecording, id, ErrNotFound)
		}
		return getRecord(t, agent.KindRecording, id, &r)
	})
	return r, err
}

// Recordings returns the recordings of the calls with the given SIP
// Call-IDs, oldest first.
func (s *Store) Recordings(callIDs ...string) ([]agent.Recording, error) {
	var out []agent.Recording
	err := s.view(func(t txn) error {
		idx := t.bucket(bucketRecordingCall)
		if idx == nil {
			return nil
		}
		for _, call := range callIDs {
			prefix := customerKey(call, "")
			c := idx.cursor()
			for k, _ := c.Seek(prefix); k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
				var r agent.Recording
				if err := getRecord(t, agent.KindRecording, string(k[len(prefix):]), &r); err != nil {
					return err
				}
				out = append(out, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out, nil
}
