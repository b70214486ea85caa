package hub

import (
	"context"
	"errors"
	"fmt"

	"agentdesk/agent/upstream"
	"agentdesk/scripts"

	"github.com/jackc/pgx/v5"
)

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

// LatestPack returns the newest pack published for lang.
func (db *DB) LatestPack(ctx context.Context, lang string) (upstream.Pack, error) {
	var pk upstream.Pack
	err := db.pool.QueryRow(ctx, `SELECT id, lang, name, data, published_at, published_by FROM packs WHERE lang = $1 ORDER BY id DESC LIMIT 1`, lang).
		Scan(&pk.ID, &pk.Lang, &pk.Name, &pk.Data, &pk.PublishedAt, &pk.PublishedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return pk, fmt.Errorf("%w: no pack published for %q", upstream.ErrNotFound, lang)
	}
	if err != nil {
		return pk, fmt.Errorf("latest pack: %w", err)
	}
	return pk, nil
}

// PublishPack stores a validated pack and returns it with its ID; desks
// find it on their next pull.
func (db *DB) PublishPack(ctx context.Context, p upstream.Principal, pk upstream.Pack) (upstream.Pack, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		pk.Lang, pk.Name, pk.Data, pk.PublishedAt, pk.PublishedBy).Scan(&pk.ID)
	if err != nil {
		return pk, fmt.Errorf("publish pack: %w", err)
	}
	return pk, nil
}
