package upstream

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost of an argon2id PIN hash: passes over memory,
// memory in KiB, and lanes.
type Argon2Params struct {
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultArgon2 is RFC 9106's second recommended choice: 3 passes over
// 64 MiB with 4 lanes (about 0.4 s on one core of the development
// machine). The hub verifies PINs with it, a few at a time.
var DefaultArgon2 = Argon2Params{Time: 3, Memory: 64 << 10, Threads: 4}

// Limits on verifier parameters a desk accepts, so that a verifier cannot
// make it spend unbounded memory or time.
const (
	maxArgonTime   = 16
	maxArgonMemory = 1 << 20 // 1 GiB
	pinHashSize    = 32
	pinSaltSize    = 16
)

// Check says whether p is a usable cost.
func (p Argon2Params) Check() error {
	if p.Time < 1 || p.Time > maxArgonTime || p.Memory < 8*uint32(max(p.Threads, 1)) || p.Memory > maxArgonMemory || p.Threads < 1 {
		return fmt.Errorf("%w: argon2id cost t=%d m=%d KiB p=%d out of range", ErrInvalid, p.Time, p.Memory, p.Threads)
	}
	return nil
}

// HashPIN is the argon2id hash of pin under salt with p, 32 bytes.
func HashPIN(pin string, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey([]byte(pin), salt, p.Time, p.Memory, p.Threads, pinHashSize)
}

// PINSaltSize is the size of a PIN hash's salt.
const PINSaltSize = pinSaltSize

// OfflineVerifier lets a desk check an agent's PIN without the hub: the
// argon2id hash of the PIN (KDF, Salt, Hash) the hub checked at the last
// online sign-in, for whom (Number, Name, Role) at which desk, between
// Issued and Expires (hub clock; the center's bounded lifetime), signed by
// the hub's Ed25519 key (KeyID names it: the first 8 bytes of the SHA-256
// of the public key, in hex). The signature covers every other field, so
// a desk cannot extend it, move it to another desk or agent, or weaken its
// cost. It holds no PIN; like any hash of a short PIN it can be attacked
// by guessing offline, which its lifetime and the cost bound.
type OfflineVerifier struct {
	Version int          `json:"v"`
	Number  string       `json:"number"`
	Name    string       `json:"name"`
	Role    Role         `json:"role"`
	Desk    string       `json:"desk"`
	KDF     Argon2Params `json:"kdf"`
	Salt    []byte       `json:"salt"`
	Hash    []byte       `json:"hash"`
	Issued  time.Time    `json:"issued"`
	Expires time.Time    `json:"expires"`
	KeyID   string       `json:"key_id"`
	Sig     []byte       `json:"sig"`
}

// Errors of VerifyOffline.
var (
	// ErrVerifierSignature: the verifier is not signed by the pinned hub
	// key (forged, altered, or from another hub).
	ErrVerifierSignature = errors.New("offline verifier not signed by this hub")
	// ErrVerifierExpired: the instant is past the verifier's expiry (or
	// well before it was issued: a clock set back). Sign in online.
	ErrVerifierExpired = errors.New("offline verifier expired")
	// ErrVerifierNotFor: the verifier is another agent's or another desk's.
	ErrVerifierNotFor = errors.New("offline verifier is for another agent or desk")
)

// verifierSkew is how far before its issue a desk's clock may put an
// instant and the verifier still count (clocks differ a little).
const verifierSkew = 5 * time.Minute

// KeyID names an Ed25519 public key: the first 8 bytes of its SHA-256, in
// hex. Show it to whoever pins the key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// SignOffline fills in v's KeyID and signs v with the hub's key. The hub
// calls it at each good online sign-in.
func SignOffline(v OfflineVerifier, key ed25519.PrivateKey) OfflineVerifier {
	v.Version = 1
	v.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	v.Sig = ed25519.Sign(key, v.signed())
	return v
}

// VerifyOffline checks pin against v at instant at (the desk's clock), v
// being the verifier kept for agent number at this desk, pub the hub key
// the desk pinned. It returns nil, or the first reason it fails:
// ErrVerifierSignature (not signed by pub, or altered),
// ErrVerifierNotFor (another desk's or agent's), ErrVerifierExpired
// (outside its lifetime), ErrWrongPIN. It is pure and needs no network;
// the PIN is checked last, so a bad verifier costs no hashing.
func VerifyOffline(v OfflineVerifier, pub ed25519.PublicKey, desk, number, pin string, at time.Time) error {
	if err := v.check(pub, desk, number, at); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(HashPIN(pin, v.Salt, v.KDF), v.Hash) != 1 {
		return ErrWrongPIN
	}
	return nil
}

// check is VerifyOffline without the PIN.
func (v OfflineVerifier) check(pub ed25519.PublicKey, desk, number string, at time.Time) error {
	if len(pub) != ed25519.PublicKeySize || v.Version != 1 || !ed25519.Verify(pub, v.signed(), v.Sig) {
		return ErrVerifierSignature
	}
	if v.Desk != desk || v.Number != number {
		return fmt.Errorf("%w: it is agent %s's at desk %s", ErrVerifierNotFor, v.Number, v.Desk)
	}
	if !at.Before(v.Expires) || at.Before(v.Issued.Add(-verifierSkew)) {
		return fmt.Errorf("%w: valid %s to %s", ErrVerifierExpired, v.Issued.Format(time.RFC3339), v.Expires.Format(time.RFC3339))
	}
	if err := v.KDF.Check(); err != nil || len(v.Hash) != pinHashSize {
		return ErrVerifierSignature // signed but unusable: treat as not this hub's
	}
	return nil
}

// signed is what the signature covers: a fixed label, then every field
// length-prefixed, so no two verifiers share their signed bytes.
func (v OfflineVerifier) signed() []byte {
	b := []byte("agentdesk offline verifier\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(v.Version))
	for _, f := range [][]byte{[]byte(v.Number), []byte(v.Name), []byte(v.Role), []byte(v.Desk), v.Salt, v.Hash, []byte(v.KeyID)} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	b = binary.BigEndian.AppendUint32(b, v.KDF.Time)
	b = binary.BigEndian.AppendUint32(b, v.KDF.Memory)
	b = append(b, v.KDF.Threads)
	b = binary.BigEndian.AppendUint64(b, uint64(v.Issued.UnixNano()))
	b = binary.BigEndian.AppendUint64(b, uint64(v.Expires.UnixNano()))
	return b
}
