package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
)

// openDataFile opens the desk's data file: a plain file as it is (deskctl
// never seals one; the desk does), a sealed one with the OS slot of the
// user running deskctl (Windows DPAPI, the Secret Service on Linux), the
// slot a desk without sign-in makes for its own OS user, or with extra
// (a signed-in agent's PIN: a desk that agents sign in to has no OS slot).
func openDataFile(path string, log *slog.Logger, extra ...seal.Unlocker) (*store.Store, error) {
	s, err := store.Open(path, store.WithLogger(log))
	if !errors.Is(err, store.ErrSealed) {
		return s, err
	}
	us := extra
	ks, kerr := seal.SystemKeystore()
	if kerr == nil {
		if c, ok := ks.(io.Closer); ok {
			defer c.Close() // needed only to open the slot
		}
		us = append(us, seal.OS{Keystore: ks})
	}
	if len(us) == 0 {
		return nil, fmt.Errorf("%w (no OS keystore to open it with: %v; a desk agents sign in to opens with --as AGENT --pin-file FILE)", err, kerr)
	}
	s, err = store.Open(path, store.WithLogger(log), store.WithUnlock(seal.Any(us...)))
	if errors.Is(err, seal.ErrWrongSecret) {
		return nil, fmt.Errorf("%w: wrong PIN for --as", err)
	}
	return s, err
}

// readPIN reads a PIN: the first line of file (- for stdin).
func readPIN(e *env, file string) (string, error) {
	var raw []byte
	var err error
	if file == "-" {
		raw, err = io.ReadAll(io.LimitReader(e.stdin, 1024))
	} else {
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		return "", fmt.Errorf("read PIN: %w", err)
	}
	pin := strings.TrimRight(strings.SplitN(string(raw), "\n", 2)[0], "\r")
	if pin == "" {
		return "", fmt.Errorf("read PIN: %s is empty", file)
	}
	return pin, nil
}
