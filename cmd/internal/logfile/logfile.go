// Package logfile is the desk's log file: an io.Writer appending to a file
// in the data folder (mode 0600), rotated by size so a desk that runs for
// months keeps a bounded history (agentdesk.log, agentdesk.log.1, …).
// Windows users have no console, so this is where a failure is read.
package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Defaults: rotate at 5 MiB, keep three old files.
const (
	DefaultMaxBytes = 5 << 20
	DefaultKeep     = 3
)

// File is a size-rotated log file. It is safe for concurrent use.
type File struct {
	path     string
	maxBytes int64
	keep     int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (or creates) path for appending, rotating when a write would
// take it past maxBytes and keeping keep old files (0: the defaults).
func Open(path string, maxBytes int64, keep int) (*File, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	l := &File{path: path, maxBytes: maxBytes, keep: keep}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("log file %s: %w", l.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log file %s: %w", l.path, err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Path is the current log file.
func (l *File) Path() string { return l.path }

// Write appends p, rotating first when the file would grow past its limit.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate shifts agentdesk.log.N-1 → .N …, the current file → .1, and
// starts a new one. On Windows an open file cannot be renamed, so it is
// closed first.
func (l *File) rotate() error {
	l.f.Close()
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.keep))
	for i := l.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil && !os.IsNotExist(err) {
		// Keep logging into the old file rather than lose lines.
		if oerr := l.open(); oerr != nil {
			return oerr
		}
		return nil
	}
	return l.open()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
