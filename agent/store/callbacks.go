package store

import (
	"encoding/json"
	"fmt"
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// PutCallback saves a callback task with its outbox entry, refusing a task
// for a customer not on file. It returns after the commit.
func (s *Store) PutCallback(cb *agent.Callback, now time.Time) error {
	return s.PutCallbacks([]*agent.Callback{cb}, now)
}

// PutCallbacks saves several tasks in one transaction (a plan is stored
// whole or not at all).
func (s *Store) PutCallbacks(cbs []*agent.Callback, now time.Time) error {
	next := make([]agent.Callback, len(cbs))
	for i, cb := range cbs {
		if err := recordID(agent.KindCallback, cb.ID); err != nil {
			return fmt.Errorf("save callbacks: %w", err)
		}
		next[i] = *cb
		next[i].Desk = s.desk
		next[i].Touch(now)
	}
	err := s.update(func(tx *bolt.Tx) error {
		for i := range next {
			if err := customerOnFile(tx, next[i].CustomerID); err != nil {
				return fmt.Errorf("callback %s: %w", next[i].ID, err)
			}
			if err := versionAbove(tx, agent.KindCallback, &next[i].Meta); err != nil {
				return err
			}
			if err := putRecord(tx, agent.KindCallback, next[i].Meta, &next[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save callbacks: %w", err)
	}
	for i, cb := range cbs {
		*cb = next[i]
	}
	return nil
}

// Callback returns the task with the given ID, or ErrNotFound.
func (s *Store) Callback(id string) (agent.Callback, error) {
	var cb agent.Callback
	err := s.view(func(tx *bolt.Tx) error { return getRecord(tx, agent.KindCallback, id, &cb) })
	return cb, err
}

// CallbackFilter selects tasks; zero fields select everything.
type CallbackFilter struct {
	Agent       string
	CustomerID  string
	PendingOnly bool
}

// Callbacks returns the tasks matching f, in ID order.
func (s *Store) Callbacks(f CallbackFilter) ([]agent.Callback, error) {
	var out []agent.Callback
	err := s.view(func(tx *bolt.Tx) error {
		return eachRecord(tx, agent.KindCallback, func(id string, raw []byte) error {
			var cb agent.Callback
			if err := json.Unmarshal(raw, &cb); err != nil {
				return fmt.Errorf("decode callback %s: %w", id, err)
			}
			if (f.Agent == "" || cb.Agent == f.Agent) && (f.CustomerID == "" || cb.CustomerID == f.CustomerID) &&
				(!f.PendingOnly || cb.State == agent.CallbackPending) {
				out = append(out, cb)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	return out, nil
}

// MemberCustomers returns every member customer on file, in ID order: the
// customers "must call back 100%" applies to.
func (s *Store) MemberCustomers() ([]agent.Customer, error) {
	var out []agent.Customer
	err := s.view(func(tx *bolt.Tx) error {
		return eachRecord(tx, agent.KindCustomer, func(id string, raw []byte) error {
			var c agent.Customer
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("decode customer %s: %w", id, err)
			}
			if c.Member {
				out = append(out, c)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return out, nil
}
