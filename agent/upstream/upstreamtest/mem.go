// Package upstreamtest has in-memory desks for tests and benchmarks of the
// sync protocol: an Outbox and an Inbox that behave like the store's (ack
// removes up to a seq; remote records apply only when newer) without a file.
package upstreamtest

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
)

// Desk is an in-memory desk: an outbox and an inbox. Safe for concurrent use.
type Desk struct {
	ID string

	mu      sync.Mutex
	seq     uint64
	queue   []upstream.Record
	records map[agent.Kind]map[string][]byte
	cursors map[string]int64
	packs   map[string]upstream.Pack
}

var (
	_ upstream.Outbox = (*Desk)(nil)
	_ upstream.Inbox  = (*Desk)(nil)
)

// NewDesk returns an empty desk with the given ID.
func NewDesk(id string) *Desk {
	return &Desk{ID: id, records: map[agent.Kind]map[string][]byte{}, cursors: map[string]int64{}, packs: map[string]upstream.Pack{}}
}

// Put queues a record change: v is encoded as the body; kind, id and
// version must match what v's JSON says.
func (d *Desk) Put(kind agent.Kind, id string, version int64, at time.Time, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("upstreamtest: encode %s %s: %v", kind, id, err))
	}
	d.PutRaw(kind, id, version, at, body)
}

// PutRaw queues a record change with the given body bytes.
func (d *Desk) PutRaw(kind agent.Kind, id string, version int64, at time.Time, body []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	d.queue = append(d.queue, upstream.Record{Seq: d.seq, Kind: kind, ID: id, Version: version, At: at, Body: body})
	if d.records[kind] == nil {
		d.records[kind] = map[string][]byte{}
	}
	d.records[kind][id] = body
}

// Delete drops the desk's copy of a record and queues a tombstone at
// version (one above the last).
func (d *Desk) Delete(kind agent.Kind, id string, version int64, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	d.queue = append(d.queue, upstream.Record{Seq: d.seq, Kind: kind, ID: id, Version: version, At: at, Deleted: true})
	delete(d.records[kind], id)
}

// Desk returns the desk's ID.
func (d *Desk) Desk() string { return d.ID }

// Pending returns up to limit queued records.
func (d *Desk) Pending(limit int) ([]upstream.Record, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := min(limit, len(d.queue))
	return append([]upstream.Record(nil), d.queue[:n]...), nil
}

// Ack drops queued records up to seq.
func (d *Desk) Ack(seq uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := 0
	for i < len(d.queue) && d.queue[i].Seq <= seq {
		i++
	}
	d.queue = d.queue[i:]
	return nil
}

// Stats reports the queue's length and oldest entry.
func (d *Desk) Stats() (int, time.Time, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.queue) == 0 {
		return 0, time.Time{}, nil
	}
	return len(d.queue), d.queue[0].At, nil
}

// ApplyRemote stores body if version is newer than the desk's copy.
func (d *Desk) ApplyRemote(kind agent.Kind, id string, version int64, body []byte) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.records[kind][id]; ok {
		var m agent.Meta
		if err := json.Unmarshal(old, &m); err != nil {
			return false, err
		}
		if m.Version >= version {
			return false, nil
		}
	}
	if d.records[kind] == nil {
		d.records[kind] = map[string][]byte{}
	}
	d.records[kind][id] = append([]byte(nil), body...)
	return true, nil
}

// RemoveRemote deletes the desk's copy if older than version.
func (d *Desk) RemoveRemote(kind agent.Kind, id string, version int64) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.records[kind][id]
	if !ok {
		return false, nil
	}
	var m agent.Meta
	if err := json.Unmarshal(old, &m); err != nil {
		return false, err
	}
	if m.Version >= version {
		return false, nil
	}
	delete(d.records[kind], id)
	return true, nil
}

// Record returns the desk's copy of a record, nil if none.
func (d *Desk) Record(kind agent.Kind, id string) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.records[kind][id]
}

// Cursor returns a saved pull cursor.
func (d *Desk) Cursor(name string) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cursors[name], nil
}

// SetCursor saves a pull cursor.
func (d *Desk) SetCursor(name string, v int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cursors[name] = v
	return nil
}

// PackID returns the kept pack's ID for lang, 0 if none.
func (d *Desk) PackID(lang string) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.packs[lang].ID, nil
}

// SavePack keeps a pack.
func (d *Desk) SavePack(p upstream.Pack) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.packs[p.Lang] = p
	return nil
}

// Pack returns the kept pack for lang.
func (d *Desk) Pack(lang string) upstream.Pack {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.packs[lang]
}
