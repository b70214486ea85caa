package agent

import (
	"time"

	"github.com/google/uuid"
)

// Kind names a kind of record for storage and sync.
type Kind string

// The kinds of record a desk keeps and syncs upstream.
const (
	KindCustomer   Kind = "customer"
	KindCall       Kind = "call"
	KindComplaint  Kind = "complaint"
	KindCallback   Kind = "callback"
	KindAlert      Kind = "alert"
	KindAgentState Kind = "agent_state"
)

// Meta is carried by every record: a UUID made on the desk, a version that
// grows by one on every change, and the desk that made the change. Sync is an
// idempotent upsert on (ID, Version): an older version never overwrites a
// newer one.
type Meta struct {
	ID        string    `json:"id"`
	Version   int64     `json:"version"`
	Desk      string    `json:"desk,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewID returns a new random record UUID.
func NewID() string { return uuid.NewString() }

// Touch prepares m for a save at instant now: it assigns an ID if there is
// none, sets CreatedAt on first save, UpdatedAt always, and bumps Version.
func (m *Meta) Touch(now time.Time) {
	if m.ID == "" {
		m.ID = NewID()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	m.UpdatedAt = now
	m.Version++
}
