package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// NewToken makes a token for name with role, stores only its hash, and
// returns the token. desk binds an agent token to one desk at once; left
// empty, the token is bound to the first desk that pushes with it. Bad
// input is refused with upstream.ErrInvalid and nothing stored.
func (db *DB) NewToken(ctx context.Context, role upstream.Role, name, desk string) (string, error) {
	if !role.Valid() {
		return "", fmt.Errorf("%w: unknown role %q (want agent, supervisor or trainer)", upstream.ErrInvalid, role)
	}
	if strings.TrimSpace(name) == "" {
		return "", fmt.Errorf("%w: a token needs a name", upstream.ErrInvalid)
	}
	if desk != "" && role != upstream.RoleAgent {
		return "", fmt.Errorf("%w: only agent tokens belong to a desk", upstream.ErrInvalid)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := "adk_" + base64.RawURLEncoding.EncodeToString(raw)
	var d *string
	if desk != "" {
		d = &desk
	}
	if _, err := db.pool.Exec(ctx, "INSERT INTO tokens (hash, role, name, desk) VALUES ($1, $2, $3, $4)", hashToken(tok), string(role), name, d); err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return tok, nil
}

// RevokeTokens revokes every live token made with name and says how many.
func (db *DB) RevokeTokens(ctx context.Context, name string) (int64, error) {
	tag, err := db.pool.Exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL", db.clock.Now(), name)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	return tag.RowsAffected(), nil
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// Authenticate resolves a bearer token, or returns upstream.ErrUnauthorized
// for an unknown or revoked one.
func (db *DB) Authenticate(ctx context.Context, token string) (upstream.Principal, error) {
	var p upstream.Principal
	var role string
	err := db.pool.QueryRow(ctx, "SELECT id, role, name, coalesce(desk, '') FROM tokens WHERE hash = $1 AND revoked_at IS NULL", hashToken(token)).
		Scan(&p.TokenID, &role, &p.Name, &p.Desk)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, upstream.ErrUnauthorized
	}
	if err != nil {
		return p, fmt.Errorf("authenticate: %w", err)
	}
	p.Role = upstream.Role(role)
	return p, nil
}

// bindDesk binds an unbound agent token to desk, or checks the binding.
func bindDesk(ctx context.Context, tx pgx.Tx, p upstream.Principal, desk string) error {
	if p.Desk == desk {
		return nil
	}
	var bound string
	err := tx.QueryRow(ctx, `UPDATE tokens SET desk = coalesce(desk, $2) WHERE id = $1 RETURNING desk`, p.TokenID, desk).Scan(&bound)
	if err != nil {
		return fmt.Errorf("bind token to desk: %w", err)
	}
	if bound != desk {
		return fmt.Errorf("%w: token is bound to another desk than %q", upstream.ErrForbidden, desk)
	}
	return nil
}
