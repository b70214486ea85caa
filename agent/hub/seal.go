package hub

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Secrets the hub must hand out again (agents' SIP passwords, desk keys,
// its own signing key) are stored sealed: AES-256-GCM under the hub key,
// with what the value is for as additional data, so a sealed value copied
// to another row or column does not open. The hub key is given to every
// hub process (hub --key-file, or AGENTDESK_HUB_KEY) and never stored in
// the database, so a copy of the database or of its backups holds none of
// these secrets in the clear.
//
// Without a hub key the values are stored plain (marked so), and Open
// warns at every start: anyone who can read the database or a backup then
// reads every agent's SIP password and every desk key, and can sign
// offline verifiers. Given a key later, Open seals what was stored plain.
// A hub without a key refuses a database holding sealed values, and a
// wrong key is found at once (the signing key does not open).

// HubKeySize is the size of the hub key: 256 bits.
const HubKeySize = 32

// Markers: the first byte of a stored secret.
const (
	sealPlain = 0x00
	sealGCM   = 0x01
)

// Errors of sealing.
var (
	// ErrSealed is returned by Open when the database holds sealed secrets
	// and the hub was given no key, or a key that does not open them.
	ErrSealed = errors.New("the hub's stored secrets are sealed with another hub key")
	// ErrBadHubKey is returned by ParseHubKey for text that is not a
	// 256-bit key.
	ErrBadHubKey = errors.New("hub key must be 32 bytes, given as base64 (or raw in a file)")
)

// ParseHubKey reads a hub key: 32 bytes as standard or URL base64 (a
// trailing newline ignored), or 32 raw bytes.
func ParseHubKey(b []byte) ([]byte, error) {
	if len(b) == HubKeySize {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == HubKeySize {
			return k, nil
		}
	}
	return nil, ErrBadHubKey
}

// ReadHubKeyFile reads a hub key from a file, which must not be readable
// by group or others.
func ReadHubKeyFile(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("hub key: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("hub key %s: mode %v lets others read it; chmod 600", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hub key: %w", err)
	}
	k, err := ParseHubKey(b)
	if err != nil {
		return nil, fmt.Errorf("hub key %s: %w", path, err)
	}
	return k, nil
}

// sealer seals and opens stored secrets; a nil aead stores them plain.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if key == nil {
		return &sealer{}, nil
	}
	if len(key) != HubKeySize {
		return nil, ErrBadHubKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns v sealed for purpose (what it is and whose: "desk_key:D").
func (s *sealer) seal(purpose string, v []byte) ([]byte, error) {
	if s.aead == nil {
		return append([]byte{sealPlain}, v...), nil
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealGCM}, nonce...)
	return s.aead.Seal(out, nonce, v, []byte(purpose)), nil
}

// open returns the value sealed for purpose.
func (s *sealer) open(purpose string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("stored %s is empty", purpose)
	}
	switch b[0] {
	case sealPlain:
		return b[1:], nil
	case sealGCM:
		if s.aead == nil {
			return nil, fmt.Errorf("%w: %s is sealed and the hub was given no key", ErrSealed, purpose)
		}
		n := s.aead.NonceSize()
		if len(b) < 1+n {
			return nil, fmt.Errorf("stored %s is cut short", purpose)
		}
		v, err := s.aead.Open(nil, b[1:1+n], b[1+n:], []byte(purpose))
		if err != nil {
			return nil, fmt.Errorf("%w: %s does not open", ErrSealed, purpose)
		}
		return v, nil
	}
	return nil, fmt.Errorf("stored %s has an unknown seal %#x", purpose, b[0])
}

// plain reports whether a stored secret is plain.
func plain(b []byte) bool { return len(b) > 0 && b[0] == sealPlain }

// resealPlain seals, under the hub key, every secret stored plain (by a
// hub without a key), in one transaction; it says how many.
func (db *DB) resealPlain(ctx context.Context) (int, error) {
	if db.seal.aead == nil {
		return 0, nil
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	n := 0
	type target struct {
		query, update string
		purpose       func(key string) string
	}
	for _, t := range []target{
		{`SELECT name, private FROM hub_keys WHERE get_byte(private, 0) = 0 FOR UPDATE`, `UPDATE hub_keys SET private = $2 WHERE name = $1`,
			func(k string) string { return "hub_key:" + k }},
		{`SELECT desk, key FROM desk_keys WHERE get_byte(key, 0) = 0 FOR UPDATE`, `UPDATE desk_keys SET key = $2 WHERE desk = $1`,
			func(k string) string { return "desk_key:" + k }},
		{`SELECT number, sip_password FROM agents WHERE get_byte(sip_password, 0) = 0 FOR UPDATE`, `UPDATE agents SET sip_password = $2 WHERE number = $1`,
			func(k string) string { return "sip_password:" + k }},
	} {
		rows, err := tx.Query(ctx, t.query)
		if err != nil {
			return 0, err
		}
		type row struct {
			key string
			val []byte
		}
		var todo []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.key, &r.val); err != nil {
				rows.Close()
				return 0, err
			}
			if plain(r.val) {
				todo = append(todo, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		b := &pgx.Batch{}
		for _, r := range todo {
			sealed, err := db.seal.seal(t.purpose(r.key), r.val[1:])
			if err != nil {
				return 0, err
			}
			b.Queue(t.update, r.key, sealed)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return 0, err
		}
		n += len(todo)
	}
	return n, tx.Commit(ctx)
}
