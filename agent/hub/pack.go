package hub

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"agentdesk/agent/upstream"
	"agentdesk/scripts"

	"github.com/jackc/pgx/v5"
)

// lockPacks is the advisory lock class that serialises reviews and
// rollbacks of one language (the second key is the language's hash), so
// that "newer than the live version" is judged against the live version
// as it is at commit.
const lockPacks = 0x61646b03

// ValidatePack parses a script pack as the desks will (scripts.Parse) and
// returns its language; a pack with problems is refused with every one of
// them, file:line first. It is the hub's upstream.PackValidator.
func ValidatePack(name string, data []byte) (string, error) {
	p, err := scripts.Parse(name, data)
	if err != nil {
		return "", err
	}
	return p.Lang(), nil
}

// versionColumns are the columns scanVersion reads, in its order; live
// needs the packs table under the alias p.
const versionColumns = `p.id, p.lang, p.name, p.state, p.published_by, p.published_at, coalesce(p.reviewed_by, ''), p.reviewed_at,
	p.reason, coalesce(p.rollback_of, 0), octet_length(p.data),
	p.state = 'approved' AND p.id = (SELECT max(l.id) FROM packs l WHERE l.lang = p.lang AND l.state = 'approved')`

func scanVersion(row pgx.Row, extra ...any) (upstream.PackVersion, error) {
	var v upstream.PackVersion
	var state string
	var reviewed *time.Time
	err := row.Scan(append([]any{&v.Version, &v.Lang, &v.Name, &state, &v.Author, &v.CreatedAt, &v.ReviewedBy, &reviewed,
		&v.Reason, &v.RollbackOf, &v.Size, &v.Live}, extra...)...)
	v.State = upstream.PackState(state)
	if reviewed != nil {
		v.ReviewedAt = *reviewed
	}
	return v, err
}

// LatestPack returns the live pack of lang: its newest approved version.
// Pending and rejected versions are never returned.
func (db *DB) LatestPack(ctx context.Context, lang string) (upstream.Pack, error) {
	var pk upstream.Pack
	err := db.pool.QueryRow(ctx, `SELECT id, lang, name, data, published_at, published_by FROM packs
		WHERE lang = $1 AND state = 'approved' ORDER BY id DESC LIMIT 1`, lang).
		Scan(&pk.ID, &pk.Lang, &pk.Name, &pk.Data, &pk.PublishedAt, &pk.PublishedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return pk, fmt.Errorf("%w: no pack approved for %q", upstream.ErrNotFound, lang)
	}
	if err != nil {
		return pk, fmt.Errorf("latest pack: %w", err)
	}
	return pk, nil
}

// PublishPack stores a validated pack as a new version by p, pending
// review: desks do not see it until it is approved. Audited as
// pack.publish.
func (db *DB) PublishPack(ctx context.Context, p upstream.Principal, pk upstream.Pack) (upstream.PackVersion, error) {
	// Answered as stored: PostgreSQL keeps microseconds.
	v := upstream.PackVersion{Lang: pk.Lang, Name: pk.Name, State: upstream.PackPending, Author: p.Name, CreatedAt: pk.PublishedAt.Truncate(time.Microsecond), Size: len(pk.Data)}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return v, fmt.Errorf("publish pack: %w", err)
	}
	defer tx.Rollback(ctx)
	err = tx.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by, state) VALUES ($1, $2, $3, $4, $5, 'pending') RETURNING id`,
		pk.Lang, pk.Name, pk.Data, pk.PublishedAt, p.Name).Scan(&v.Version)
	if err != nil {
		return v, fmt.Errorf("publish pack: %w", err)
	}
	if err := db.audit(ctx, tx, db.clock.Now(), p, upstream.AuditPackPublish, "pack", strconv.FormatInt(v.Version, 10),
		map[string]any{"lang": v.Lang, "name": v.Name, "size": v.Size}); err != nil {
		return v, err
	}
	if err := tx.Commit(ctx); err != nil {
		return v, fmt.Errorf("publish pack: commit: %w", err)
	}
	return v, nil
}

// Pack returns one version with its text.
func (db *DB) Pack(ctx context.Context, version int64) (upstream.PackVersion, error) {
	var data []byte
	v, err := scanVersion(db.pool.QueryRow(ctx, `SELECT `+versionColumns+`, p.data FROM packs p WHERE p.id = $1`, version), &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, fmt.Errorf("%w: no pack version %d", upstream.ErrNotFound, version)
	}
	if err != nil {
		return v, fmt.Errorf("pack version %d: %w", version, err)
	}
	v.Data = data
	return v, nil
}

// PackHistory returns every version of lang ("" = every language), newest
// first, without their text.
func (db *DB) PackHistory(ctx context.Context, lang string) ([]upstream.PackVersion, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+versionColumns+` FROM packs p WHERE $1 = '' OR p.lang = $1 ORDER BY p.id DESC`, lang)
	if err != nil {
		return nil, fmt.Errorf("pack history: %w", err)
	}
	defer rows.Close()
	var out []upstream.PackVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("pack history: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pack history: %w", err)
	}
	return out, nil
}

// lockedVersion reads a version for review or rollback inside tx: it takes
// its language's lock, then the row, and returns it with the live version
// of its language.
func lockedVersion(ctx context.Context, tx pgx.Tx, version int64) (upstream.PackVersion, int64, error) {
	var lang string
	err := tx.QueryRow(ctx, `SELECT lang FROM packs WHERE id = $1`, version).Scan(&lang)
	if errors.Is(err, pgx.ErrNoRows) {
		return upstream.PackVersion{}, 0, fmt.Errorf("%w: no pack version %d", upstream.ErrNotFound, version)
	}
	if err != nil {
		return upstream.PackVersion{}, 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockPacks, lang); err != nil {
		return upstream.PackVersion{}, 0, fmt.Errorf("lock %s packs: %w", lang, err)
	}
	v, err := scanVersion(tx.QueryRow(ctx, `SELECT `+versionColumns+` FROM packs p WHERE p.id = $1 FOR UPDATE OF p`, version))
	if err != nil {
		return v, 0, err
	}
	var live int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM packs WHERE lang = $1 AND state = 'approved'`, lang).Scan(&live); err != nil {
		return v, 0, err
	}
	return v, live, nil
}

// ReviewPack approves or rejects a pending version as p at at, as
// upstream.CheckReview allows; a refusal changes nothing. Approved, the
// version is live at once: CheckReview refuses to approve one older than
// the live version.
func (db *DB) ReviewPack(ctx context.Context, p upstream.Principal, version int64, r upstream.PackReview, at time.Time) (upstream.PackVersion, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.PackVersion{}, fmt.Errorf("review pack %d: %w", version, err)
	}
	defer tx.Rollback(ctx)
	v, live, err := lockedVersion(ctx, tx, version)
	if err != nil {
		return upstream.PackVersion{}, fmt.Errorf("review pack %d: %w", version, err)
	}
	if err := upstream.CheckReview(v, live, p.Name, r); err != nil {
		return upstream.PackVersion{}, err
	}
	at = at.Truncate(time.Microsecond)
	v.State = upstream.PackRejected
	if r.Approve {
		v.State = upstream.PackApproved
	}
	v.ReviewedBy, v.ReviewedAt, v.Reason, v.Live = p.Name, at, r.Reason, r.Approve
	if _, err := tx.Exec(ctx, `UPDATE packs SET state = $2, reviewed_by = $3, reviewed_at = $4, reason = $5 WHERE id = $1`,
		version, string(v.State), p.Name, at, r.Reason); err != nil {
		return upstream.PackVersion{}, fmt.Errorf("review pack %d: %w", version, err)
	}
	action := upstream.AuditPackReject
	if r.Approve {
		action = upstream.AuditPackApprove
	}
	if err := db.audit(ctx, tx, at, p, action, "pack", strconv.FormatInt(version, 10),
		map[string]any{"lang": v.Lang, "author": v.Author, "reason": r.Reason}); err != nil {
		return upstream.PackVersion{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.PackVersion{}, fmt.Errorf("review pack %d: commit: %w", version, err)
	}
	return v, nil
}

// RollbackPack makes an approved version live again, as
// upstream.CheckRollback allows: it appends a version by p, approved by p
// at at, with the old version's name and text and rollback_of naming it.
// Its number is higher than any before it, so desks take it as the newest.
func (db *DB) RollbackPack(ctx context.Context, p upstream.Principal, version int64, reason string, at time.Time) (upstream.PackVersion, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.PackVersion{}, fmt.Errorf("roll back to pack %d: %w", version, err)
	}
	defer tx.Rollback(ctx)
	old, live, err := lockedVersion(ctx, tx, version)
	if err != nil {
		return upstream.PackVersion{}, fmt.Errorf("roll back to pack %d: %w", version, err)
	}
	if err := upstream.CheckRollback(old, live, reason); err != nil {
		return upstream.PackVersion{}, err
	}
	at = at.Truncate(time.Microsecond)
	v := upstream.PackVersion{Lang: old.Lang, Name: old.Name, State: upstream.PackApproved, Live: true, Author: p.Name, CreatedAt: at,
		ReviewedBy: p.Name, ReviewedAt: at, Reason: reason, RollbackOf: version, Size: old.Size}
	err = tx.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by, state, reviewed_by, reviewed_at, reason, rollback_of)
		SELECT lang, name, data, $2, $3, 'approved', $3, $2, $4, id FROM packs WHERE id = $1 RETURNING id`,
		version, at, p.Name, reason).Scan(&v.Version)
	if err != nil {
		return upstream.PackVersion{}, fmt.Errorf("roll back to pack %d: %w", version, err)
	}
	if err := db.audit(ctx, tx, at, p, upstream.AuditPackRollback, "pack", strconv.FormatInt(v.Version, 10),
		map[string]any{"lang": v.Lang, "rollback_of": version, "reason": reason}); err != nil {
		return upstream.PackVersion{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.PackVersion{}, fmt.Errorf("roll back to pack %d: commit: %w", version, err)
	}
	return v, nil
}
