package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/store/seal"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the layout this code reads and writes. Open migrates older
// files up to it and refuses newer ones.
const SchemaVersion = 2

// Errors returned by the store.
var (
	// ErrNotFound is returned when a record with the asked-for ID does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema is returned by Open when the file was written by a newer
	// agentdesk than this one.
	ErrNewerSchema = errors.New("data file was written by a newer agentdesk")
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("data file is in use by another agentdesk")
)

var (
	bucketMeta   = []byte("meta")
	bucketOutbox = []byte("outbox")
	keySchema    = []byte("schema_version")
	keyDeskID    = []byte("desk_id")
)

// recordBuckets are created by the first migration, one per record kind.
var recordBuckets = []agent.Kind{
	agent.KindCustomer, agent.KindCall, agent.KindComplaint,
	agent.KindCallback, agent.KindAlert, agent.KindAgentState,
}

// Store is an open data file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	desk string
	log  *slog.Logger
	o    options
	k    *seal.Cipher // nil: a plain file
	dek  []byte       // a sealed file's data key, to wrap new slots
	nums numberDir    // a sealed file's numbers, for number searches
}

// Option configures Open.
type Option func(*options)

type options struct {
	log     *slog.Logger
	timeout time.Duration
	noSync  bool
	unlock  seal.Unlocker
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithLockTimeout sets how long Open waits for another process to release
// the file (default 1 s).
func WithLockTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithNoSync skips fsync on commit. Only benchmarks and bulk tests use it:
// a write is then not durable when the call returns.
func WithNoSync() Option { return func(o *options) { o.noSync = true } }

// WithUnlock opens the file sealed, with the data key u finds in the
// file's key slots (see "Sealed at rest" in the package doc). A new file is
// created sealed with u's slots; a plain file is sealed with u's slots
// before Open returns (crash-safe: a copy replaces it). Without WithUnlock
// a plain file stays plain, and a sealed one is refused with ErrSealed.
func WithUnlock(u seal.Unlocker) Option { return func(o *options) { o.unlock = u } }

// Open opens (creating if needed, mode 0600) the data file at path and
// migrates it to SchemaVersion.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{log: slog.Default(), timeout: time.Second}
	for _, f := range opts {
		f(&o)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	for attempt := 0; ; attempt++ {
		s, err := open(path, o)
		if errors.Is(err, errReplaced) && attempt < 5 {
			o.log.Info("data file was replaced (sealed by another process) while waiting for it; opening it again",
				"component", "store", "path", path)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		return s, nil
	}
}

// errReplaced means the file this Open locked is no longer the one at the
// path: another process sealed it (wrote a sealed copy and renamed it over)
// while this one waited for the lock. Open then opens the path again.
var errReplaced = errors.New("data file was replaced while waiting for it")

func boltOptions(o options) *bolt.Options {
	bo := &bolt.Options{Timeout: o.timeout, NoSync: o.noSync, FreelistType: bolt.FreelistMapType}
	if runtime.GOOS != "windows" {
		// Only reserves address space (on Windows it would grow the file):
		// spares a growing file the remaps that copy every dirty node, which
		// were a quarter of a bulk import's time.
		bo.InitialMmapSize = 1 << 30
	}
	return bo
}

func open(path string, o options) (*Store, error) {
	before, statErr := os.Stat(path)
	db, err := bolt.Open(path, 0o600, boltOptions(o))
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = ErrLocked
		}
		return nil, err
	}
	s := &Store{db: db, path: path, log: o.log.With("component", "store"), o: o}
	if err := s.start(before, statErr); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// start checks the locked file is the one at the path, finds its data key
// if it is sealed, migrates it, recovers an unfinished import and seals a
// plain file when asked to.
func (s *Store) start(before os.FileInfo, statErr error) error {
	if statErr == nil {
		if after, err := os.Stat(s.path); err != nil || !os.SameFile(before, after) {
			return errReplaced
		}
	}
	st, err := s.readSealState()
	if err != nil {
		return err
	}
	if st.replaced {
		return errReplaced
	}
	var fresh *freshSeal
	switch {
	case st.header != nil:
		if s.o.unlock == nil {
			return fmt.Errorf("%w: open it with a key (WithUnlock)", ErrSealed)
		}
		dek, err := s.o.unlock.Unlock(st.slots)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSealed, err)
		}
		if err := s.useKey(dek, st.header); err != nil {
			return err
		}
	case !st.hasMeta && s.o.unlock != nil:
		if fresh, err = s.newKey(s.o.unlock); err != nil {
			return err
		}
	}
	if err := s.migrate(fresh); err != nil {
		return err
	}
	if err := s.recoverImport(); err != nil {
		return err
	}
	if s.k == nil && s.o.unlock != nil {
		if err := s.sealFile(s.o.unlock); err != nil {
			return err
		}
	}
	s.removeStaleCopies()
	s.o.unlock = nil // holds a PIN or key: not kept past Open
	return nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the data file's path.
func (s *Store) Path() string { return s.path }

// DeskID is this data file's desk identity, a UUID made when the file was
// created. Records carry it so the hub knows whose they are.
func (s *Store) DeskID() string { return s.desk }

// migrations[i] upgrades schema version i to i+1 in transactions of its
// own; migrate sets the version once it returns, so a process killed
// part-way leaves the older version and the step runs again.
var migrations = []func(s *Store) error{
	func(s *Store) error { // 0 → 1: the initial layout
		return s.update(func(t txn) error {
			for _, b := range append([][]byte{bucketMeta, bucketOutbox, bucketPhoneIndex}, kindBuckets()...) {
				if _, err := t.tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			return t.tx.Bucket(bucketMeta).Put(keyDeskID, []byte(agent.NewID()))
		})
	},
	rebuildListIndexes, // 1 → 2: complaint summaries by owner and state, events by day
}

func kindBuckets() [][]byte {
	out := make([][]byte, len(recordBuckets))
	for i, k := range recordBuckets {
		out[i] = []byte(k)
	}
	return out
}

// migrate brings the file to SchemaVersion; fresh, when set, seals a new
// file in the transaction that makes its meta bucket.
func (s *Store) migrate(fresh *freshSeal) error {
	var have int
	tx := s.view // nothing to write on most opens
	if fresh != nil {
		tx = s.update
	}
	err := tx(func(t txn) error {
		m := t.tx.Bucket(bucketMeta)
		if m != nil {
			if v := m.Get(keySchema); len(v) == 8 {
				have = int(binary.BigEndian.Uint64(v))
			}
		}
		if have > SchemaVersion {
			return fmt.Errorf("%w (schema %d, this build reads up to %d)", ErrNewerSchema, have, SchemaVersion)
		}
		if fresh != nil {
			return fresh.write(t)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for v := have; v < SchemaVersion; v++ {
		if err := migrations[v](s); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
		if err := s.update(func(t txn) error { return t.tx.Bucket(bucketMeta).Put(keySchema, u64(uint64(v+1))) }); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
		s.log.Info("migrated data file", "from", v, "to", v+1)
	}
	return s.db.View(func(tx *bolt.Tx) error {
		s.desk = string(tx.Bucket(bucketMeta).Get(keyDeskID))
		return nil
	})
}

// Schema reports the file's schema version.
func (s *Store) Schema() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		v = int(binary.BigEndian.Uint64(tx.Bucket(bucketMeta).Get(keySchema)))
		return nil
	})
	return v, err
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}

// Backup writes a consistent copy of the data file to w while the desk keeps
// working (a read transaction sees one instant). The copy of a sealed file
// is sealed and carries its key slots.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// BackupTo writes a consistent copy to a new file at path (mode 0600),
// replacing it atomically only once the copy is complete and synced.
func (s *Store) BackupTo(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".backup-*")
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if _, err := s.Backup(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// update runs fn in one read-write transaction. Writers use putRecord in it
// so a record, its indexes and its outbox entry commit together.
func (s *Store) update(fn func(t txn) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(txn{tx: tx, k: s.k}) })
}

func (s *Store) view(fn func(t txn) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(txn{tx: tx, k: s.k}) })
}

// putRecord stores v (JSON) under id in kind's bucket and appends an outbox
// entry carrying the same bytes. It is the one way records are written.
func putRecord(t txn, kind agent.Kind, m agent.Meta, v any, at time.Time) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, m.ID, err)
	}
	if err := t.bucket([]byte(kind)).put([]byte(m.ID), body); err != nil {
		return fmt.Errorf("put %s %s: %w", kind, m.ID, err)
	}
	return appendOutbox(t, OutboxEntry{Kind: kind, ID: m.ID, Version: m.Version, At: at, Body: body})
}

// getRecord decodes the record id of kind into v, or returns ErrNotFound.
func getRecord(t txn, kind agent.Kind, id string, v any) error {
	b, err := t.bucket([]byte(kind)).get([]byte(id))
	if err != nil {
		return err
	}
	if b == nil {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return nil
}

// eachRecord calls fn with the JSON of every record of kind, in ID order.
// A kind whose bucket a file does not have yet (made on first write) has
// no records.
func eachRecord(t txn, kind agent.Kind, fn func(id string, raw []byte) error) error {
	b := t.bucket([]byte(kind))
	if b == nil {
		return nil
	}
	return b.forEach(func(k, v []byte) error { return fn(string(k), v) })
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// PeekDeskID reads the desk ID of the data file at path without its key
// (the file's identity is kept in the clear, sealed or not): what a desk
// signs in as before the agent's secret can open the file. A file that
// does not exist yet is made, plain and empty, so the ID exists from the
// first sign-in on. The file must not be open elsewhere.
func PeekDeskID(path string, opts ...Option) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		s, err := Open(path, opts...)
		if err != nil {
			return "", err
		}
		id := s.DeskID()
		return id, s.Close()
	}
	o := options{timeout: time.Second}
	for _, f := range opts {
		f(&o)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: o.timeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = ErrLocked
		}
		return "", fmt.Errorf("read desk id of %s: %w", path, err)
	}
	defer db.Close()
	var id string
	err = db.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bucketMeta); m != nil {
			id = string(m.Get(keyDeskID))
		}
		return nil
	})
	if err == nil && id == "" {
		err = errors.New("the file has no desk id")
	}
	if err != nil {
		return "", fmt.Errorf("read desk id of %s: %w", path, err)
	}
	return id, nil
}
