package seal

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/crypto/argon2"
)

// Secret is an agent's PIN or password. It never prints (fmt or slog).
type Secret string

// String hides the secret from fmt.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "[redacted]" }

// LogValue hides the secret from slog.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// KDF is the argon2id cost of deriving an agent slot's KEK from a secret.
// It is stored with the slot, so a slot opens with the cost it was made
// with whatever the default is later.
type KDF struct {
	Time      uint32 `json:"t"`     // passes
	MemoryKiB uint32 `json:"m_kib"` // memory
	Threads   uint8  `json:"p"`     // lanes
}

// DefaultKDF is the cost of new agent slots: 3 passes over 64 MiB in 2
// lanes (RFC 9106's second recommended setting, with the lanes of a 2-core
// desk PC).
var DefaultKDF = KDF{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// Limits on a slot's stored cost: a file from elsewhere must not make the
// desk allocate without bound.
const (
	maxKDFTime   = 64
	maxKDFMemory = 1 << 20 // KiB: 1 GiB
	maxKDFLanes  = 16
)

func (k KDF) check() error {
	if k.Time < 1 || k.Threads < 1 || k.MemoryKiB < 8*uint32(k.Threads) ||
		k.Time > maxKDFTime || k.MemoryKiB > maxKDFMemory || k.Threads > maxKDFLanes {
		return fmt.Errorf("argon2id cost t=%d m=%dKiB p=%d out of range", k.Time, k.MemoryKiB, k.Threads)
	}
	return nil
}

const saltSize = 16

// Agent opens and makes one agent's slot: the data key wrapped by a KEK
// derived from the agent's PIN or password with argon2id. The sign-in makes
// it at the agent's first online sign-in on a desk and opens it offline.
//
// A PIN is a small secret: whoever holds a copy of the file can try every
// PIN against the slot at the KDF's cost per guess, with no rate limit. An
// agent slot with a short PIN protects against a casual look, not a
// determined thief; a password, or the hub and OS slots, do better.
type Agent struct {
	// ID is the agent's number: the slot's name.
	ID string
	// Secret is the PIN or password.
	Secret Secret
	// Now is the instant Unlock judges the slot's NotAfter by; it must be
	// set when the slot has one.
	Now time.Time
	// NotAfter, when set, bounds the life of slots Wrap makes (the
	// center's offline sign-in lifetime). It is enforced by this code: a
	// thief with the file ignores it, so it does not replace changing the
	// secret.
	NotAfter time.Time
	// KDF is the cost of slots Wrap makes; zero means DefaultKDF.
	KDF KDF
}

// Unlock opens the agent's slot.
func (a Agent) Unlock(slots []Slot) ([]byte, error) {
	s := find(slots, KindAgent, a.ID)
	if s == nil {
		return nil, fmt.Errorf("agent %q: %w", a.ID, ErrNoSlot)
	}
	if !s.NotAfter.IsZero() {
		if a.Now.IsZero() {
			return nil, fmt.Errorf("agent %q: the slot expires and no instant was given to judge it", a.ID)
		}
		if a.Now.After(s.NotAfter) {
			return nil, fmt.Errorf("agent %q: slot expired at %s: %w", a.ID, s.NotAfter.Format(time.RFC3339), ErrExpired)
		}
	}
	if s.KDF == nil || len(s.Salt) != saltSize {
		return nil, fmt.Errorf("agent %q: slot lacks its KDF or salt", a.ID)
	}
	if err := s.KDF.check(); err != nil {
		return nil, fmt.Errorf("agent %q: %w", a.ID, err)
	}
	return s.unwrap(agentKEK(a.Secret, s.Salt, *s.KDF))
}

// Wrap makes the agent's slot for dek.
func (a Agent) Wrap(dek []byte) ([]Slot, error) {
	if a.ID == "" {
		return nil, errors.New("agent slot: no agent ID")
	}
	if a.Secret == "" {
		return nil, fmt.Errorf("agent %q slot: empty PIN or password", a.ID)
	}
	k := a.KDF
	if k == (KDF{}) {
		k = DefaultKDF
	}
	if err := k.check(); err != nil {
		return nil, fmt.Errorf("agent %q slot: %w", a.ID, err)
	}
	s := Slot{Kind: KindAgent, Name: a.ID, KDF: &k, Salt: make([]byte, saltSize)}
	if !a.NotAfter.IsZero() {
		s.NotAfter = a.NotAfter.UTC()
	}
	if _, err := rand.Read(s.Salt); err != nil {
		return nil, fmt.Errorf("agent %q slot: salt: %w", a.ID, err)
	}
	if err := s.wrap(agentKEK(a.Secret, s.Salt, k), dek); err != nil {
		return nil, fmt.Errorf("agent %q slot: %w", a.ID, err)
	}
	return []Slot{s}, nil
}

func agentKEK(secret Secret, salt []byte, k KDF) []byte {
	return argon2.IDKey([]byte(secret), salt, k.Time, k.MemoryKiB, k.Threads, KeySize)
}

// Hub opens and makes the hub's slot: the data key wrapped by a KEK derived
// (HKDF-SHA256) from a 256-bit key the hub keeps for the desk and hands it
// at online sign-in. The desk keeps only the wrapped data key, so a copied
// file opens with the hub's help (a new PC, a restored backup) and not
// without it. KeyID names the hub's key, so the hub can rotate keys: open
// with the old one, add a slot for the new one, remove the old slot.
type Hub struct {
	KeyID string
	Key   []byte
}

// String hides the key from fmt.
func (h Hub) String() string { return fmt.Sprintf("hub key %q [redacted]", h.KeyID) }

// GoString hides the key from %#v.
func (h Hub) GoString() string { return h.String() }

// LogValue hides the key from slog.
func (h Hub) LogValue() slog.Value { return slog.StringValue(h.String()) }

// Unlock opens the slot of the hub's key.
func (h Hub) Unlock(slots []Slot) ([]byte, error) {
	s := find(slots, KindHub, h.KeyID)
	if s == nil {
		return nil, fmt.Errorf("hub key %q: %w", h.KeyID, ErrNoSlot)
	}
	kek, err := h.kek()
	if err != nil {
		return nil, err
	}
	return s.unwrap(kek)
}

// Wrap makes the slot of the hub's key for dek.
func (h Hub) Wrap(dek []byte) ([]Slot, error) {
	kek, err := h.kek()
	if err != nil {
		return nil, err
	}
	s := Slot{Kind: KindHub, Name: h.KeyID}
	if err := s.wrap(kek, dek); err != nil {
		return nil, fmt.Errorf("hub key %q slot: %w", h.KeyID, err)
	}
	return []Slot{s}, nil
}

func (h Hub) kek() ([]byte, error) {
	if h.KeyID == "" {
		return nil, errors.New("hub slot: no key ID")
	}
	if len(h.Key) != KeySize {
		return nil, fmt.Errorf("hub key %q is %d bytes, want %d", h.KeyID, len(h.Key), KeySize)
	}
	return hkdf.Key(sha256.New, h.Key, nil, "agentdesk hub slot v1\x00"+h.KeyID, KeySize)
}
