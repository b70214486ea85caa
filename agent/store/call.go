package store

import (
	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// Call returns the logged call with ID id, or an error wrapping ErrNotFound.
func (s *Store) Call(id string) (agent.Call, error) {
	var c agent.Call
	err := s.view(func(tx *bolt.Tx) error { return getRecord(tx, agent.KindCall, id, &c) })
	return c, err
}
