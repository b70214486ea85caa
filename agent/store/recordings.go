package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store/seal"
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

// AllRecordings returns every recording filed, oldest first.
func (s *Store) AllRecordings() ([]agent.Recording, error) {
	var out []agent.Recording
	err := s.view(func(t txn) error {
		return eachRecord(t, agent.KindRecording, func(id string, raw []byte) error {
			var r agent.Recording
			if err := json.Unmarshal(raw, &r); err != nil {
				return fmt.Errorf("decode recording %s: %w", id, err)
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list recordings: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out, nil
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

// SealedExt ends the name of a recording file sealed with the data file's
// key (SealRecordingFile).
const SealedExt = ".sealed"

// recordingPlace binds a sealed recording to its file's name.
func recordingPlace(name string) []byte {
	return []byte("recording\x00" + strings.TrimSuffix(filepath.Base(name), SealedExt))
}

// SealRecordingFile seals the recording at path with the data file's key
// into path+SealedExt (mode 0600, synced before the plain file is removed),
// so a copied recordings folder tells no one anything; it returns the
// sealed file's path. A plain data file leaves the recording as it is
// (and returns path).
func (s *Store) SealRecordingFile(path string) (string, error) {
	if s.k == nil {
		return path, nil
	}
	plain, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("seal recording: %w", err)
	}
	dst := path + SealedExt
	if err := writeSynced(dst, s.k.Seal(nil, plain, recordingPlace(path))); err != nil {
		return "", fmt.Errorf("seal recording %s: %w", filepath.Base(path), err)
	}
	if err := os.Remove(path); err != nil {
		return "", fmt.Errorf("seal recording %s: %w", filepath.Base(path), err)
	}
	return dst, nil
}

// ReadRecordingFile reads a recording's file, opening it when sealed
// (a file sealed with another data file's key is ErrCorrupt).
func (s *Store) ReadRecordingFile(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, SealedExt) {
		return raw, nil
	}
	if s.k == nil {
		return nil, fmt.Errorf("recording %s is sealed and this data file is not: %w", filepath.Base(path), seal.ErrCorrupt)
	}
	plain, err := s.k.Open(nil, raw, recordingPlace(path))
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", filepath.Base(path), err)
	}
	return plain, nil
}

// writeSynced writes data to a new file at path (0600) and syncs it; a
// half-written file is removed.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
