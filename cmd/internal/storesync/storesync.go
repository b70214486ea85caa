// Package storesync adapts the desk's store to the sync client: the store's
// outbox as upstream.Outbox, its inbound methods as upstream.Inbox. It lives
// under cmd because only commands may import both agent/store and
// agent/upstream; deskctl sync and the agentdesk window share it.
package storesync

import (
	"errors"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
)

// Store is a *store.Store seen by the sync client.
type Store struct{ s *store.Store }

var (
	_ upstream.Outbox = Store{}
	_ upstream.Inbox  = Store{}
)

// New adapts s; the result implements upstream.Outbox and upstream.Inbox.
func New(s *store.Store) Store { return Store{s} }

// Desk is the desk's ID.
func (d Store) Desk() string { return d.s.DeskID() }

// Pending returns up to limit outbox entries, oldest first.
func (d Store) Pending(limit int) ([]upstream.Record, error) {
	es, err := d.s.Outbox(limit)
	if err != nil {
		return nil, err
	}
	out := make([]upstream.Record, len(es))
	for i, e := range es {
		out[i] = upstream.Record{Seq: e.Seq, Kind: e.Kind, ID: e.ID, Version: e.Version, At: e.At, Deleted: e.Deleted, Body: e.Body}
	}
	return out, nil
}

// Ack drops the outbox entries up to and including seq.
func (d Store) Ack(seq uint64) error { return d.s.AckOutbox(seq) }

// Stats counts the outbox and returns its oldest entry's time.
func (d Store) Stats() (int, time.Time, error) { return d.s.OutboxStats() }

// ApplyRemote stores a record from the hub unless the desk holds a newer one.
func (d Store) ApplyRemote(kind agent.Kind, id string, version int64, body []byte) (bool, error) {
	return d.s.ApplyRemote(kind, id, version, body)
}

// RemoveRemote deletes a record the hub deleted, unless the desk holds a newer one.
func (d Store) RemoveRemote(kind agent.Kind, id string, version int64) (bool, error) {
	return d.s.RemoveRemote(kind, id, version)
}

// Cursor returns a saved sync cursor (0 if none).
func (d Store) Cursor(name string) (int64, error) { return d.s.SyncCursor(name) }

// SetCursor saves a sync cursor.
func (d Store) SetCursor(name string, v int64) error { return d.s.SetSyncCursor(name, v) }

// PackID is the ID of the latest stored pack of lang, 0 if none.
func (d Store) PackID(lang string) (int64, error) {
	p, err := d.s.LatestPack(lang)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return p.ID, err
}

// SavePack stores a pack pulled from the hub.
func (d Store) SavePack(p upstream.Pack) error {
	return d.s.SavePack(store.StoredPack{ID: p.ID, Lang: p.Lang, Name: p.Name, Data: p.Data, PublishedAt: p.PublishedAt})
}
