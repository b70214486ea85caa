package hub

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
)

// Tokens: every one has an expiry (device tokens upstream.DefaultTokenTTL
// unless told, sessions a shift); only their SHA-256 is stored. A token
// ends when revoked (hub token revoke, an agent disabled), signed out, or
// past its expiry, which a rotation shortens to the grace period. Every
// end is announced on the database ("token:ID"), so each hub closes the
// token's open streams at once (TokenEnded).

// Limits of a token's lifetime.
const (
	minTokenTTL = time.Second
	maxTokenTTL = 10 * 366 * 24 * time.Hour
)

// TokenSpec is a token an administrator makes: role, whom it is for, the
// desk an agent token belongs to ("" = the first desk that pushes with
// it), and its lifetime (0 = upstream.DefaultTokenTTL).
type TokenSpec struct {
	Role upstream.Role
	Name string
	Desk string
	TTL  time.Duration
}

// NewToken makes a device token for name with role and the default
// lifetime; see IssueToken.
func (db *DB) NewToken(ctx context.Context, role upstream.Role, name, desk string) (string, error) {
	tok, _, err := db.IssueToken(ctx, TokenSpec{Role: role, Name: name, Desk: desk})
	return tok, err
}

// IssueToken makes a device token as s says, stores only its hash, audits
// it (token.add) and returns the token and its expiry. desk binds an agent
// token to one desk at once; left empty, the token is bound to the first
// desk that pushes with it. Bad input is refused with upstream.ErrInvalid
// and nothing stored.
func (db *DB) IssueToken(ctx context.Context, s TokenSpec) (string, time.Time, error) {
	if !s.Role.Valid() {
		return "", time.Time{}, fmt.Errorf("%w: unknown role %q (want agent, supervisor, trainer or wallboard)", upstream.ErrInvalid, s.Role)
	}
	if strings.TrimSpace(s.Name) == "" {
		return "", time.Time{}, fmt.Errorf("%w: a token needs a name", upstream.ErrInvalid)
	}
	if s.Desk != "" && s.Role != upstream.RoleAgent {
		return "", time.Time{}, fmt.Errorf("%w: only agent tokens belong to a desk", upstream.ErrInvalid)
	}
	if s.TTL == 0 {
		s.TTL = upstream.DefaultTokenTTL
	}
	if s.TTL < minTokenTTL || s.TTL > maxTokenTTL {
		return "", time.Time{}, fmt.Errorf("%w: a token lasts from %s to %d days, not %s", upstream.ErrInvalid, minTokenTTL, maxTokenTTL/(24*time.Hour), s.TTL)
	}
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("store token: %w", err)
	}
	defer tx.Rollback(ctx)
	var d *string
	if s.Desk != "" {
		d = &s.Desk
	}
	tok, id, exp, err := insertToken(ctx, tx, newToken{role: s.Role, name: s.Name, desk: d, kind: upstream.TokenDevice, ttl: s.TTL, at: now, expires: now.Add(s.TTL)})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("store token: %w", err)
	}
	if err := db.audit(ctx, tx, now, db.adminPrincipal(), upstream.AuditTokenAdd, "token", strconv.FormatInt(id, 10),
		map[string]any{"role": s.Role, "name": s.Name, "desk": s.Desk, "expires": exp}); err != nil {
		return "", time.Time{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return "", time.Time{}, fmt.Errorf("store token: commit: %w", err)
	}
	return tok, exp, nil
}

// newToken is a row of tokens to insert.
type newToken struct {
	role    upstream.Role
	name    string
	desk    *string
	kind    upstream.TokenKind
	agentID *int64
	ttl     time.Duration
	at      time.Time
	expires time.Time
}

// insertToken stores a fresh random token as t says and returns it, its
// ID and its expiry as stored.
func insertToken(ctx context.Context, tx pgx.Tx, t newToken) (string, int64, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", 0, time.Time{}, err
	}
	tok := "adk_" + base64.RawURLEncoding.EncodeToString(raw)
	var id int64
	var exp time.Time
	err := tx.QueryRow(ctx, `INSERT INTO tokens (hash, role, name, desk, kind, agent_id, ttl_seconds, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, expires_at`,
		hashToken(tok), string(t.role), t.name, t.desk, string(t.kind), t.agentID, int64(t.ttl/time.Second), t.at, t.expires).Scan(&id, &exp)
	return tok, id, exp, err
}

// RevokeTokens revokes every live token made with name, ends their
// streams on every hub, audits each (token.revoke) and says how many.
func (db *DB) RevokeTokens(ctx context.Context, name string) (int64, error) {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `UPDATE tokens SET revoked_at = $1, ended = 'revoked'
		WHERE name = $2 AND revoked_at IS NULL AND expires_at > $1 RETURNING id`, now, name)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	for _, id := range ids {
		if err := db.audit(ctx, tx, now, db.adminPrincipal(), upstream.AuditTokenRevoke, "token", strconv.FormatInt(id, 10), map[string]any{"name": name}); err != nil {
			return 0, err
		}
	}
	if err := notifyTokens(ctx, tx, ids); err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("revoke tokens: commit: %w", err)
	}
	return int64(len(ids)), nil
}

// notifyTokens tells every hub (at commit) that these tokens changed.
func notifyTokens(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2 || id) FROM unnest($3::int8[]) AS id`, notifyChannel, tokenNotice, ids)
	return err
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// Authenticate resolves a bearer token: upstream.ErrUnauthorized for an
// unknown or ended one, upstream.ErrTokenExpired for one past its expiry.
func (db *DB) Authenticate(ctx context.Context, token string) (upstream.Principal, error) {
	var p upstream.Principal
	var role, kind string
	var ended bool
	err := db.pool.QueryRow(ctx, `SELECT t.id, t.role, t.name, coalesce(t.desk, ''), t.kind, coalesce(a.number, ''), t.expires_at, t.revoked_at IS NOT NULL
		FROM tokens t LEFT JOIN agents a ON a.id = t.agent_id WHERE t.hash = $1`, hashToken(token)).
		Scan(&p.TokenID, &role, &p.Name, &p.Desk, &kind, &p.Agent, &p.Expires, &ended)
	if errors.Is(err, pgx.ErrNoRows) || ended {
		return upstream.Principal{}, upstream.ErrUnauthorized
	}
	if err != nil {
		return upstream.Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if !db.clock.Now().Before(p.Expires) {
		return upstream.Principal{}, upstream.ErrTokenExpired
	}
	p.Role, p.Kind = upstream.Role(role), upstream.TokenKind(kind)
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

// RotateToken makes a new token for p's principal (same role, name, desk,
// kind and agent) and shortens p's expiry to the grace period. A device
// token's successor gets a fresh lifetime of the same length; a session's
// keeps the shift's end. Rotating a token that was rotated already (its
// answer lost on the way) revokes the successor made before, so one token
// never has two live successors; refused (upstream.ErrConflict) once that
// successor was rotated itself. Audited as token.rotate.
func (db *DB) RotateToken(ctx context.Context, p upstream.Principal) (upstream.TokenRotation, error) {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
	}
	defer tx.Rollback(ctx)
	var t newToken
	var role, kind string
	var ttl int64
	var expires time.Time
	var revoked bool
	var successor *int64
	err = tx.QueryRow(ctx, `SELECT role, name, desk, kind, agent_id, ttl_seconds, expires_at, revoked_at IS NOT NULL, replaced_by
		FROM tokens WHERE id = $1 FOR UPDATE`, p.TokenID).Scan(&role, &t.name, &t.desk, &kind, &t.agentID, &ttl, &expires, &revoked, &successor)
	if errors.Is(err, pgx.ErrNoRows) || revoked || !now.Before(expires) {
		return upstream.TokenRotation{}, upstream.ErrUnauthorized
	}
	if err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
	}
	t.role, t.kind, t.ttl, t.at = upstream.Role(role), upstream.TokenKind(kind), time.Duration(ttl)*time.Second, now
	t.expires = now.Add(t.ttl)
	var notify []int64
	if successor != nil {
		// Only a successor that has not been used to rotate, nor ended,
		// may be replaced: its expiry is then still the chain's.
		var succExp time.Time
		var succRotated, succEnded bool
		if err := tx.QueryRow(ctx, `SELECT expires_at, replaced_by IS NOT NULL, revoked_at IS NOT NULL FROM tokens WHERE id = $1 FOR UPDATE`,
			*successor).Scan(&succExp, &succRotated, &succEnded); err != nil {
			return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
		}
		switch {
		case succEnded:
			return upstream.TokenRotation{}, fmt.Errorf("%w: the token's successor has ended", upstream.ErrUnauthorized)
		case succRotated:
			return upstream.TokenRotation{}, fmt.Errorf("%w: the token was rotated and its successor rotated again", upstream.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET revoked_at = $2, ended = 'rotated' WHERE id = $1`, *successor, now); err != nil {
			return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
		}
		expires = succExp
		notify = append(notify, *successor)
	}
	if t.kind == upstream.TokenSession {
		t.expires = expires // the shift's end
	}
	tok, id, exp, err := insertToken(ctx, tx, t)
	if err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
	}
	var oldUntil time.Time
	if err := tx.QueryRow(ctx, `UPDATE tokens SET replaced_by = $2, expires_at = least(expires_at, $3) WHERE id = $1 RETURNING expires_at`,
		p.TokenID, id, now.Add(db.grace)).Scan(&oldUntil); err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
	}
	if err := db.audit(ctx, tx, now, p, upstream.AuditTokenRotate, "token", strconv.FormatInt(p.TokenID, 10),
		map[string]any{"new_token": id, "expires": exp, "old_until": oldUntil, "again": successor != nil}); err != nil {
		return upstream.TokenRotation{}, err
	}
	if err := notifyTokens(ctx, tx, append(notify, p.TokenID)); err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.TokenRotation{}, fmt.Errorf("rotate token: commit: %w", err)
	}
	return upstream.TokenRotation{Token: upstream.Secret(tok), Expires: exp, OldUntil: oldUntil}, nil
}

// SignOut ends p's session token at once (and a predecessor still in its
// rotation's grace), on every hub; audited as signout.
func (db *DB) SignOut(ctx context.Context, p upstream.Principal) error {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `UPDATE tokens SET revoked_at = $2, ended = 'signed_out'
		WHERE (id = $1 OR replaced_by = $1) AND kind = 'session' AND revoked_at IS NULL AND expires_at > $2 RETURNING id`, p.TokenID, now)
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if len(ids) == 0 {
		return upstream.ErrUnauthorized
	}
	if err := db.audit(ctx, tx, now, p, upstream.AuditSignOut, "agent", p.Agent, map[string]any{"tokens": ids}); err != nil {
		return err
	}
	if err := notifyTokens(ctx, tx, ids); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("sign out: commit: %w", err)
	}
	return nil
}

// tokenWatch is one open stream's watch on its token.
type tokenWatch struct {
	id      int64
	ended   chan string   // gets the reason once
	recheck chan struct{} // the token changed: read it again
}

// TokenEnded delivers why p's token ended as soon as it does: at its
// expiry (a timer), or when any hub revokes, signs out or rotates it (a
// notification, after which the token is read again). After the
// listener reconnects every watched token is read again, since
// notifications may have been missed meanwhile.
func (db *DB) TokenEnded(ctx context.Context, p upstream.Principal) <-chan string {
	w := &tokenWatch{id: p.TokenID, ended: make(chan string, 1), recheck: make(chan struct{}, 1)}
	db.mu.Lock()
	if db.watches[w.id] == nil {
		db.watches[w.id] = map[*tokenWatch]struct{}{}
	}
	db.watches[w.id][w] = struct{}{}
	db.mu.Unlock()
	// Read once now the watch is in place: an end committed between the
	// request's authentication and here sent its notice to nobody.
	w.recheck <- struct{}{}
	go db.watchToken(ctx, w, p.Expires)
	return w.ended
}

func (db *DB) watchToken(ctx context.Context, w *tokenWatch, expires time.Time) {
	defer func() {
		db.mu.Lock()
		delete(db.watches[w.id], w)
		if len(db.watches[w.id]) == 0 {
			delete(db.watches, w.id)
		}
		db.mu.Unlock()
	}()
	timer := time.NewTimer(max(0, expires.Sub(db.clock.Now())))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-w.recheck:
		}
		why, exp, err := db.tokenState(ctx, w.id)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			db.log.Warn("read token state; trying again", "token_id", w.id, "error", err)
			exp = db.clock.Now().Add(time.Second)
		case why != "":
			w.ended <- why
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(0, exp.Sub(db.clock.Now())))
	}
}

// tokenState says why a token ended ("" while it lasts) and its expiry.
func (db *DB) tokenState(ctx context.Context, id int64) (string, time.Time, error) {
	var ended *string
	var exp time.Time
	var rotated bool
	err := db.pool.QueryRow(ctx, `SELECT ended, expires_at, replaced_by IS NOT NULL FROM tokens WHERE id = $1`, id).Scan(&ended, &exp, &rotated)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return upstream.EndRevoked, exp, nil
	case err != nil:
		return "", exp, err
	case ended != nil:
		return *ended, exp, nil
	case !db.clock.Now().Before(exp) && rotated:
		return upstream.EndRotated, exp, nil
	case !db.clock.Now().Before(exp):
		return upstream.EndExpired, exp, nil
	}
	return "", exp, nil
}

// recheckToken makes the watches of token id read it again.
func (db *DB) recheckToken(id int64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for w := range db.watches[id] {
		select {
		case w.recheck <- struct{}{}:
		default:
		}
	}
}

// recheckAllTokens makes every watch read its token again.
func (db *DB) recheckAllTokens() {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, ws := range db.watches {
		for w := range ws {
			select {
			case w.recheck <- struct{}{}:
			default:
			}
		}
	}
}
