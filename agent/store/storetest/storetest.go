// Package storetest opens real stores for tests: a fresh bbolt file in the
// test's temporary directory, checked for consistency (bbolt's check and
// every index against the records) and closed when the test ends.
//
// With SealedEnv set to 1 in the environment, Open and OpenPath open the
// stores sealed (with Unlocker), so a package's tests can run once more
// against sealed files (agent/store does).
package storetest

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// SealedEnv names the environment variable that makes Open and OpenPath
// seal the stores they open.
const SealedEnv = "AGENTDESK_STORETEST_SEALED"

// testHubKey is a fixed key: test files only.
var testHubKey = []byte("storetest-hub-key-32-bytes-long!")

// Unlocker is the key Sealed stores are opened with: a hub slot with a
// fixed test key (no argon2 cost per open).
func Unlocker() seal.Unlocker { return seal.Hub{KeyID: "storetest", Key: testHubKey} }

// Sealed reports whether Open and OpenPath seal (SealedEnv is 1).
func Sealed() bool { return os.Getenv(SealedEnv) == "1" }

// Open opens a new store at desk.db in t.TempDir(). At cleanup it runs the
// store's consistency checks (a problem fails the test) and closes it. Extra
// options are applied after the defaults (a logger that discards, and the
// test key when Sealed).
func Open(t testing.TB, opts ...store.Option) *store.Store {
	t.Helper()
	return OpenPath(t, filepath.Join(t.TempDir(), "desk.db"), opts...)
}

// OpenPath is Open for a given file path, for tests that close and reopen a
// file. If the test closed the store itself, cleanup reopens the file to
// check it.
func OpenPath(t testing.TB, path string, opts ...store.Option) *store.Store {
	t.Helper()
	s, err := store.Open(path, Options(opts...)...)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", path, err)
	}
	t.Cleanup(func() { check(t, s, path) })
	return s
}

// Options returns the options Open uses: the defaults, then extra.
func Options(extra ...store.Option) []store.Option {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := []store.Option{store.WithLogger(quiet)}
	if Sealed() {
		opts = append(opts, store.WithUnlock(Unlocker()))
	}
	return append(opts, extra...)
}

func check(t testing.TB, s *store.Store, path string) {
	t.Helper()
	err := s.Check()
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		// The test closed it (perhaps to reopen it, or to leave a file this
		// build refuses); check the file as left, without migrating it.
		err = checkFile(path)
	} else if err == nil {
		err = s.CheckIndexes()
		if err == nil && Sealed() && !s.Sealed() {
			err = errors.New("the store is not sealed in a sealed run")
		}
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
