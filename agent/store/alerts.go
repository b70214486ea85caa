package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"agentdesk/agent"
)

// PutAlert saves an alert with its outbox entry. PutComplaint saves the
// alerts a case raises itself; this is for alerts raised on their own.
func (s *Store) PutAlert(a *agent.Alert, now time.Time) error {
	if err := recordID(agent.KindAlert, a.ID); err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	next := *a
	next.Desk = s.desk
	next.Touch(now)
	err := s.update(func(t txn) error {
		if err := versionAbove(t, agent.KindAlert, &next.Meta); err != nil {
			return err
		}
		return putRecord(t, agent.KindAlert, next.Meta, &next, now)
	})
	if err != nil {
		return fmt.Errorf("save alert %s: %w", next.ID, err)
	}
	*a = next
	return nil
}

// Alerts returns the alerts raised at or after since, oldest first.
func (s *Store) Alerts(since time.Time) ([]agent.Alert, error) {
	var out []agent.Alert
	err := s.view(func(t txn) error {
		return eachRecord(t, agent.KindAlert, func(id string, raw []byte) error {
			var a agent.Alert
			if err := json.Unmarshal(raw, &a); err != nil {
				return fmt.Errorf("decode alert %s: %w", id, err)
			}
			if !a.At.Before(since) {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
