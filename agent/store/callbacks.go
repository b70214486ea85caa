package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"agentdesk/agent"
)

// Callback indexes, written in the transaction that writes the task.
var (
	// bucketCallbackDay indexes the instants a day's statistics count
	// (each attempt, the outcome): key = 8-byte big-endian Unix nanoseconds
	// + task ID, value empty.
	bucketCallbackDay = []byte("idx_callback_day")
	// bucketCallbackCustomer indexes tasks by customer: key = customer ID +
	// 0x00 + task ID, value empty, so a caller's pending callbacks pop
	// without reading every task.
	bucketCallbackCustomer = []byte("idx_callback_customer")
)

// callbackDays are the instants of cb the day index holds, each once.
func callbackDays(cb *agent.Callback) []time.Time {
	var out []time.Time
	add := func(t time.Time) {
		if !t.IsZero() && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	for _, a := range cb.Attempts {
		add(a.At)
	}
	if cb.Outcome != nil {
		add(cb.Outcome.At)
	}
	return out
}

// indexCallback adds cb's index entries, or with del removes them.
func indexCallback(t txn, cb *agent.Callback, del bool) error {
	return applyEntries(t, callbackEntries(cb), del)
}

// callbackEntries are the index entries of task cb.
func callbackEntries(cb *agent.Callback) []indexEntry {
	es := []indexEntry{{bucketCallbackCustomer, customerKey(cb.CustomerID, cb.ID), nil}}
	for _, d := range callbackDays(cb) {
		es = append(es, indexEntry{bucketCallbackDay, dueKey(d, cb.ID), nil})
	}
	return es
}

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
	err := s.update(func(t txn) error {
		for i := range next {
			if err := customerOnFile(t, next[i].CustomerID); err != nil {
				return fmt.Errorf("callback %s: %w", next[i].ID, err)
			}
			var old agent.Callback
			switch err := getRecord(t, agent.KindCallback, next[i].ID, &old); {
			case err == nil:
				if err := indexCallback(t, &old, true); err != nil {
					return err
				}
			case !errors.Is(err, ErrNotFound):
				return err
			}
			if err := versionAbove(t, agent.KindCallback, &next[i].Meta); err != nil {
				return err
			}
			if err := putRecord(t, agent.KindCallback, next[i].Meta, &next[i], now); err != nil {
				return err
			}
			if err := indexCallback(t, &next[i], false); err != nil {
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
	err := s.view(func(t txn) error { return getRecord(t, agent.KindCallback, id, &cb) })
	return cb, err
}

// CallbackFilter selects tasks; zero fields select everything.
type CallbackFilter struct {
	Agent       string
	CustomerID  string
	PendingOnly bool
}

func (f CallbackFilter) match(cb *agent.Callback) bool {
	return (f.Agent == "" || cb.Agent == f.Agent) && (f.CustomerID == "" || cb.CustomerID == f.CustomerID) &&
		(!f.PendingOnly || cb.State == agent.CallbackPending)
}

// Callbacks returns the tasks matching f, in ID order (a customer's through
// the customer index).
func (s *Store) Callbacks(f CallbackFilter) ([]agent.Callback, error) {
	var out []agent.Callback
	err := s.view(func(t txn) error {
		if f.CustomerID != "" {
			for _, id := range idsUnder(t.bucket(bucketCallbackCustomer), customerKey(f.CustomerID, "")) {
				var cb agent.Callback
				if err := getRecord(t, agent.KindCallback, string(id), &cb); err != nil {
					return err
				}
				if f.match(&cb) {
					out = append(out, cb)
				}
			}
			return nil
		}
		return eachRecord(t, agent.KindCallback, func(id string, raw []byte) error {
			var cb agent.Callback
			if err := json.Unmarshal(raw, &cb); err != nil {
				return fmt.Errorf("decode callback %s: %w", id, err)
			}
			if f.match(&cb) {
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

// CallbacksBetween returns the tasks with an attempt or an outcome in
// [from, to), in ID order, through the day index: what a day's statistics
// (agent.DailyStats) count, without reading every task.
func (s *Store) CallbacksBetween(from, to time.Time) ([]agent.Callback, error) {
	var out []agent.Callback
	err := s.view(func(t txn) error {
		for _, id := range idsBetween(t.bucket(bucketCallbackDay), from, to) {
			var cb agent.Callback
			if err := getRecord(t, agent.KindCallback, id, &cb); err != nil {
				return err
			}
			out = append(out, cb)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("callbacks between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// MemberCustomers returns every member customer on file, in ID order: the
// customers "must call back 100%" applies to.
func (s *Store) MemberCustomers() ([]agent.Customer, error) {
	var out []agent.Customer
	err := s.view(func(t txn) error {
		return eachRecord(t, agent.KindCustomer, func(id string, raw []byte) error {
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
