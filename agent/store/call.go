package store

import "agentdesk/agent"

// Call returns the logged call with ID id, or an error wrapping ErrNotFound.
func (s *Store) Call(id string) (agent.Call, error) {
	var c agent.Call
	err := s.view(func(t txn) error { return getRecord(t, agent.KindCall, id, &c) })
	return c, err
}
