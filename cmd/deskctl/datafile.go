package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
)

// openDataFile opens the desk's data file: a plain file as it is (deskctl
// never seals one; the desk does), a sealed one with the OS slot of the
// user running deskctl (Windows DPAPI, the Secret Service on Linux), the
// slot the desk makes for its own OS user.
func openDataFile(path string, log *slog.Logger) (*store.Store, error) {
	s, err := store.Open(path, store.WithLogger(log))
	if !errors.Is(err, store.ErrSealed) {
		return s, err
	}
	ks, kerr := seal.SystemKeystore()
	if kerr != nil {
		return nil, fmt.Errorf("%w (no OS keystore to open it with: %v)", err, kerr)
	}
	if c, ok := ks.(io.Closer); ok {
		defer c.Close() // needed only to open the slot
	}
	return store.Open(path, store.WithLogger(log), store.WithUnlock(seal.OS{Keystore: ks}))
}
