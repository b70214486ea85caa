package seal

import (
	"errors"
	"fmt"
	"os/user"
)

// Keystore keeps a secret for the OS user who runs the desk: Windows DPAPI
// (user scope) or the Linux Secret Service (GNOME Keyring, KWallet…).
type Keystore interface {
	// Name names the keystore in slot names ("dpapi", "secret-service").
	Name() string
	// Protect keeps secret for the current OS user and returns the handle
	// that gives it back (stored in the slot).
	Protect(secret []byte) (handle []byte, err error)
	// Unprotect gives back the secret of a handle, or an error wrapping
	// ErrKeystore.
	Unprotect(handle []byte) ([]byte, error)
}

// ErrNoKeystore is returned by SystemKeystore when this OS, or this
// session, has no keystore the desk can use.
var ErrNoKeystore = errors.New("no OS keystore")

// OS opens and makes the OS user's slot: the data key wrapped by a random
// KEK that the keystore keeps for that user. A copied file does not open on
// another PC, nor for another user of this one.
type OS struct {
	Keystore Keystore
	// User names the OS user (default: the current user's login name); one
	// OS slot per keystore and user.
	User string
}

func (o OS) name() (string, error) {
	if o.Keystore == nil {
		return "", fmt.Errorf("os slot: %w", ErrNoKeystore)
	}
	u := o.User
	if u == "" {
		cur, err := user.Current()
		if err != nil {
			return "", fmt.Errorf("os slot: current user: %w", err)
		}
		u = cur.Username
	}
	return o.Keystore.Name() + ":" + u, nil
}

// Unlock opens the slot of this keystore and user.
func (o OS) Unlock(slots []Slot) ([]byte, error) {
	name, err := o.name()
	if err != nil {
		return nil, err
	}
	s := find(slots, KindOS, name)
	if s == nil {
		return nil, fmt.Errorf("os %q: %w", name, ErrNoSlot)
	}
	kek, err := o.Keystore.Unprotect(s.Handle)
	if err != nil {
		return nil, fmt.Errorf("os %q: %w", name, err)
	}
	if len(kek) != KeySize {
		return nil, fmt.Errorf("os %q: keystore gave back %d bytes: %w", name, len(kek), ErrKeystore)
	}
	return s.unwrap(kek)
}

// Wrap makes the slot of this keystore and user for dek, with a new KEK
// kept by the keystore.
func (o OS) Wrap(dek []byte) ([]Slot, error) {
	name, err := o.name()
	if err != nil {
		return nil, err
	}
	kek, err := NewKey()
	if err != nil {
		return nil, err
	}
	h, err := o.Keystore.Protect(kek)
	if err != nil {
		return nil, fmt.Errorf("os %q slot: %w", name, err)
	}
	s := Slot{Kind: KindOS, Name: name, Handle: h}
	if err := s.wrap(kek, dek); err != nil {
		return nil, fmt.Errorf("os %q slot: %w", name, err)
	}
	return []Slot{s}, nil
}

// Forget deletes what the keystore keeps for an OS slot, when it keeps
// anything (the Secret Service keeps the KEK; a DPAPI blob lives in the slot
// itself). Call it once the slot is removed from the file and its backups
// no longer matter: a backup still holding the slot no longer opens by it.
func (o OS) Forget(s Slot) error {
	if s.Kind != KindOS {
		return fmt.Errorf("forget: %s slot %q is not an OS slot", s.Kind, s.Name)
	}
	d, ok := o.Keystore.(interface{ Delete(handle []byte) error })
	if !ok {
		return nil
	}
	return d.Delete(s.Handle)
}
