// Package storetest opens real stores for tests: a fresh bbolt file in the
// test's temporary directory, checked for consistency and closed when the
// test ends.
package storetest

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/store"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Open opens a new store at desk.db in t.TempDir(). At cleanup it runs the
// store's consistency check (a problem fails the test) and closes it. Extra
// options are applied after the defaults (a logger that discards).
func Open(t testing.TB, opts ...store.Option) *store.Store {
	t.Helper()
	return OpenPath(t, filepath.Join(t.TempDir(), "desk.db"), opts...)
}

// OpenPath is Open for a given file path, for tests that close and reopen a
// file. If the test closed the store itself, cleanup reopens the file to
// check it.
func OpenPath(t testing.TB, path string, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(path, options(opts)...)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", path, err)
	}
	t.Cleanup(func() { check(t, s, path) })
	return s
}

func options(extra []store.Option) []store.Option {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	return append([]store.Option{store.WithLogger(quiet)}, extra...)
}

func check(t testing.TB, s *store.Store, path string) {
	t.Helper()
	err := s.Check()
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		// The test closed it (perhaps to reopen it, or to leave a file this
		// build refuses); check the file as left, without migrating it.
		err = checkFile(path)
	}
	if err != nil {
		t.Errorf("storetest: consistency check of %s: %v", path, err)
	}
	if err := s.Close(); err != nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) {
		t.Errorf("storetest: close %s: %v", path, err)
	}
}

// checkFile runs bbolt's consistency check on a closed data file.
func checkFile(path string) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}
