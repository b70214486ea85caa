package store_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/store"
	"agentdesk/agent/store/storetest"

	bolt "go.etcd.io/bbolt"
)

func TestOpen_FileMode0600(t *testing.T) {
	s := storetest.Open(t)
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("data file mode = %o, want 600", got)
	}
	if v, err := s.Schema(); err != nil || v != store.SchemaVersion {
		t.Errorf("Schema() = %d, %v; want %d", v, err, store.SchemaVersion)
	}
	if s.DeskID() == "" {
		t.Error("DeskID() is empty")
	}
}

func TestOpen_KeepsDeskIDAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := storetest.OpenPath(t, path)
	id := s.DeskID()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := storetest.OpenPath(t, path)
	if s2.DeskID() != id {
		t.Errorf("desk id changed on reopen: %q then %q", id, s2.DeskID())
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.db")
	s := storetest.OpenPath(t, path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Pretend a newer agentdesk wrote the file.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		v := make([]byte, 8)
		binary.BigEndian.PutUint64(v, store.SchemaVersion+1)
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), v)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	s2, err := store.Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a newer-schema file succeeded")
	}
	if !errors.Is(err, store.ErrNewerSchema) {
		t.Errorf("Open error = %v, want ErrNewerSchema", err)
	}
	// The refused file was left as it was.
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if got := binary.BigEndian.Uint64(tx.Bucket([]byte("meta")).Get([]byte("schema_version"))); got != store.SchemaVersion+1 {
			t.Errorf("schema after refused open = %d, want %d", got, store.SchemaVersion+1)
		}
		return nil
	})
}

func TestOpen_LockedByAnotherHandle(t *testing.T) {
	s := storetest.Open(t)
	start := time.Now()
	s2, err := store.Open(s.Path(), store.WithLockTimeout(50*time.Millisecond))
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("Open error = %v, want ErrLocked", err)
	}
	// Bounded, not a wall-clock assertion on speed: it must not hang for
	// the default timeout or forever.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v with a 50ms lock timeout", d)
	}
}
