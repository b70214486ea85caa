package seal

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// SlotKind says who a key slot opens for.
type SlotKind string

// The kinds of key slot.
const (
	// KindOS slots open for one OS user through the OS keystore.
	KindOS SlotKind = "os"
	// KindAgent slots open with one agent's PIN or password.
	KindAgent SlotKind = "agent"
	// KindHub slots open with a key the hub hands the desk.
	KindHub SlotKind = "hub"
)

// Errors of unlocking. Store wraps them in its ErrSealed.
var (
	// ErrNoSlot is returned when the file has no slot the unlocker could
	// open: the agent never signed in online on this file, the hub key is
	// not one the file knows, no OS slot for this user.
	ErrNoSlot = errors.New("no key slot for this unlocker")
	// ErrWrongSecret is returned when the slot is there but the PIN,
	// password or key does not open it (a sign-in counts these).
	ErrWrongSecret = errors.New("wrong PIN, password or key")
	// ErrExpired is returned when an agent slot's NotAfter has passed.
	ErrExpired = errors.New("key slot expired")
	// ErrKeystore is returned when the OS keystore cannot give a slot's
	// key back (not running, locked, or the item is gone).
	ErrKeystore = errors.New("OS keystore could not give the key back")
)

// Slot is one wrapped copy of a data key: the data key sealed with
// AES-256-GCM under a key-encryption key (KEK) that Kind's unlocker derives
// or fetches, with every other field of the slot authenticated with it (so
// its cost, salt or expiry cannot be edited without breaking it).
type Slot struct {
	Kind SlotKind `json:"kind"`
	// Name tells slots of one kind apart: the agent ID, the hub key ID, or
	// keystore:user for OS slots.
	Name string `json:"name"`
	// NotAfter, when set (agent slots), is when the slot stops opening.
	NotAfter time.Time `json:"not_after,omitzero"`
	// KDF and Salt derive an agent slot's KEK from the secret.
	KDF  *KDF   `json:"kdf,omitempty"`
	Salt []byte `json:"salt,omitempty"`
	// Handle is what an OS keystore needs to give the KEK back (a DPAPI
	// blob, a Secret Service item's attribute).
	Handle  []byte `json:"handle,omitempty"`
	Nonce   []byte `json:"nonce"`
	Wrapped []byte `json:"wrapped"`
}

// ad is the slot's authenticated data: everything but the wrapped key.
func (s *Slot) ad() []byte {
	b := []byte("agentdesk slot v1\x00")
	field := func(p []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	field([]byte(s.Kind))
	field([]byte(s.Name))
	var na int64
	if !s.NotAfter.IsZero() {
		na = s.NotAfter.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(na))
	if s.KDF != nil {
		b = binary.BigEndian.AppendUint32(b, s.KDF.Time)
		b = binary.BigEndian.AppendUint32(b, s.KDF.MemoryKiB)
		b = append(b, s.KDF.Threads)
	}
	field(s.Salt)
	field(s.Handle)
	return b
}

// wrap seals dek into s under kek.
func (s *Slot) wrap(kek, dek []byte) error {
	g, err := newGCM(kek)
	if err != nil {
		return err
	}
	s.Nonce = make([]byte, nonceSize)
	if _, err := rand.Read(s.Nonce); err != nil {
		return fmt.Errorf("slot nonce: %w", err)
	}
	s.Wrapped = g.Seal(nil, s.Nonce, dek, s.ad())
	return nil
}

// unwrap opens s's data key with kek, or returns ErrWrongSecret.
func (s *Slot) unwrap(kek []byte) ([]byte, error) {
	g, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != nonceSize {
		return nil, fmt.Errorf("%s slot %q: bad nonce", s.Kind, s.Name)
	}
	dek, err := g.Open(nil, s.Nonce, s.Wrapped, s.ad())
	if err != nil {
		return nil, fmt.Errorf("%s slot %q: %w", s.Kind, s.Name, ErrWrongSecret)
	}
	if len(dek) != KeySize {
		return nil, fmt.Errorf("%s slot %q: wrapped key is %d bytes", s.Kind, s.Name, len(dek))
	}
	return dek, nil
}

// An Unlocker opens a data file's data key from one of its key slots, and
// wraps a data key in new slots of its own (when a file is sealed, or a
// slot is added to an open one).
type Unlocker interface {
	// Unlock returns the data key from the first of slots it can open, or
	// an error wrapping ErrNoSlot, ErrWrongSecret, ErrExpired or
	// ErrKeystore.
	Unlock(slots []Slot) ([]byte, error)
	// Wrap returns new slots holding dek.
	Wrap(dek []byte) ([]Slot, error)
}

// Any is an Unlocker made of several: Unlock tries each in turn and returns
// the first data key found (else every member's error, joined, so
// errors.Is finds ErrWrongSecret if any member had it); Wrap makes the
// slots of every member and fails if any member fails.
func Any(us ...Unlocker) Unlocker { return anyOf(us) }

type anyOf []Unlocker

func (a anyOf) Unlock(slots []Slot) ([]byte, error) {
	if len(a) == 0 {
		return nil, ErrNoSlot
	}
	var errs []error
	for _, u := range a {
		dek, err := u.Unlock(slots)
		if err == nil {
			return dek, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (a anyOf) Wrap(dek []byte) ([]Slot, error) {
	var out []Slot
	for _, u := range a {
		s, err := u.Wrap(dek)
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// find returns the slot of kind and name, or nil.
func find(slots []Slot, kind SlotKind, name string) *Slot {
	for i := range slots {
		if slots[i].Kind == kind && slots[i].Name == name {
			return &slots[i]
		}
	}
	return nil
}
