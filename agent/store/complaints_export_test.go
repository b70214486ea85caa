package store

import (
	"time"

	"agentdesk/agent"

	bolt "go.etcd.io/bbolt"
)

// PutCustomerRecord stores c as a plain record (stamped, with its outbox
// entry, but no validation or phone index), so the complaint, callback and
// call tests can put a customer on file without depending on PutCustomer.
func PutCustomerRecord(s *Store, c *agent.Customer, now time.Time) error {
	c.Touch(now)
	return s.update(func(tx *bolt.Tx) error { return putRecord(tx, agent.KindCustomer, c.Meta, c, now) })
}
