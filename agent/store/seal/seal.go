// Package seal keeps a data file unreadable at rest. A random data key per
// file seals every value with AES-256-GCM (the value's place, bucket and key,
// is authenticated with it, so sealed values cannot be moved between
// records), and a keyed hash stands in for phone numbers in index keys.
//
// The data key is never stored in the clear: key slots wrap it for whoever
// may open the file — the OS user (Windows DPAPI, Linux Secret Service), an
// agent's PIN or password (argon2id), or the hub (a 256-bit key it hands the
// desk at online sign-in). An Unlocker opens one kind of slot and makes new
// ones; Any combines several.
//
// The package knows nothing of bbolt or records: agent/store uses it.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
)

// KeySize is the size of a data key and of a hub key: 256 bits.
const KeySize = 32

// HashSize is the length of Cipher.Hash's keyed hashes.
const HashSize = 16

// Overhead is how many bytes sealing adds to a value: a format byte, the
// 12-byte nonce and the 16-byte tag.
const Overhead = 1 + nonceSize + tagSize

const (
	nonceSize = 12
	tagSize   = 16
	// formatV1 is the first byte of every value sealed by this version.
	formatV1 = 1
)

// ErrCorrupt is returned (wrapped) by Cipher.Open when a value does not
// open: it was sealed with another key or at another place, or altered.
var ErrCorrupt = errors.New("sealed value does not open (wrong key, moved or altered)")

// NewKey returns a new random 256-bit key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("make key: %w", err)
	}
	return k, nil
}

// Cipher seals and opens the values of one data file and hashes its index
// keys, with two keys derived from the file's data key (HKDF-SHA256). It is
// safe for concurrent use.
//
// Nonces are a random 4-byte prefix drawn when the Cipher is made and a
// 64-bit counter that starts at a random value (the deterministic
// construction of NIST SP 800-38D §8.2.1): no nonce repeats within one
// Cipher, and two Ciphers over the same key (two opens of the file) collide
// with negligible probability, without a random draw per value.
type Cipher struct {
	aead   cipher.AEAD
	prefix [4]byte
	ctr    atomic.Uint64
	macs   sync.Pool // of hash.Hash, keyed for index hashes
}

// NewCipher makes the Cipher of data key dek (KeySize bytes).
func NewCipher(dek []byte) (*Cipher, error) {
	if len(dek) != KeySize {
		return nil, fmt.Errorf("data key is %d bytes, want %d", len(dek), KeySize)
	}
	ek, err := hkdf.Key(sha256.New, dek, nil, "agentdesk seal v1: values", KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive value key: %w", err)
	}
	ik, err := hkdf.Key(sha256.New, dek, nil, "agentdesk seal v1: index", KeySize)
	if err != nil {
		return nil, fmt.Errorf("derive index key: %w", err)
	}
	aead, err := newGCM(ek)
	if err != nil {
		return nil, err
	}
	c := &Cipher{aead: aead}
	var start [12]byte
	if _, err := rand.Read(start[:]); err != nil {
		return nil, fmt.Errorf("nonce prefix: %w", err)
	}
	copy(c.prefix[:], start[:4])
	c.ctr.Store(binary.BigEndian.Uint64(start[4:]))
	c.macs.New = func() any { return hmac.New(sha256.New, ik) }
	return c, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return g, nil
}

// Seal appends plaintext sealed at place ad (authenticated, not stored) to
// dst and returns the result; len(plaintext)+Overhead bytes are added.
func (c *Cipher) Seal(dst, plaintext, ad []byte) []byte {
	n := c.ctr.Add(1)
	var nonce [nonceSize]byte
	copy(nonce[:4], c.prefix[:])
	binary.BigEndian.PutUint64(nonce[4:], n)
	dst = append(dst, formatV1)
	dst = append(dst, nonce[:]...)
	return c.aead.Seal(dst, nonce[:], plaintext, ad)
}

// Open appends the plaintext of a value Seal made at place ad to dst, or
// returns an error wrapping ErrCorrupt.
func (c *Cipher) Open(dst, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead || sealed[0] != formatV1 {
		return nil, fmt.Errorf("%w: not a sealed value", ErrCorrupt)
	}
	out, err := c.aead.Open(dst, sealed[1:1+nonceSize], sealed[1+nonceSize:], ad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}

// Hash appends the keyed hash of data (HMAC-SHA256 with the file's index
// key, cut to HashSize bytes) to dst: an index key that finds a phone
// number without holding it.
func (c *Cipher) Hash(dst, data []byte) []byte {
	h := c.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(data)
	var sum [sha256.Size]byte
	dst = append(dst, h.Sum(sum[:0])[:HashSize]...)
	c.macs.Put(h)
	return dst
}
