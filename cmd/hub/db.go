package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// lockMigrate and lockCustomers are advisory lock keys: one serialises
// migrations of hubs starting together, the other makes customer change
// numbers commit in order so a pull cursor never skips a row.
const (
	lockMigrate   = 0x61646b01
	lockCustomers = 0x61646b02
	notifyChannel = "agentdesk_board"
)

// DB is the hub's PostgreSQL backend. Several hubs may share one database:
// it holds no state of its own but the listeners of this process.
type DB struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time

	// afterRead, if set, runs in Push between reading the stored versions
	// and writing; tests use it to line pushes up into a race.
	afterRead func()

	mu   sync.Mutex
	subs map[chan upstream.Change]struct{}
	stop context.CancelFunc
	done chan struct{}
}

var _ upstream.Backend = (*DB)(nil)

// OpenDB connects, applies pending migrations and starts listening for
// changes from other hubs.
func OpenDB(ctx context.Context, dsn string, log *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse --pg: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db := &DB{pool: pool, log: log.With("component", "hubdb"), now: time.Now, subs: map[chan upstream.Change]struct{}{}}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	db.stop, db.done = cancel, make(chan struct{})
	listening := make(chan struct{})
	go db.listen(lctx, listening)
	// Changes made before LISTEN runs would reach no stream of this hub.
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		db.log.Warn("not yet listening for board changes; streams refresh on their timer meanwhile")
	}
	return db, nil
}

// Close stops listening and closes the pool.
func (db *DB) Close() {
	db.stop()
	<-db.done
	db.pool.Close()
}

// migrate applies every embedded migration not yet recorded, each in its
// own transaction, under an advisory lock.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockMigrate); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: bad migration name %s", base)
		}
		var done bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", v).Scan(&done); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			continue
		}
		sql, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", v, base); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		db.log.Info("migration applied", "migration", base)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// Ping checks the database.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// NewToken makes a token, stores its hash and returns the token.
func (db *DB) NewToken(ctx context.Context, role upstream.Role, name, desk string) (string, error) {
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (want agent, supervisor or trainer)", role)
	}
	if strings.TrimSpace(name) == "" {
		return "", errors.New("a token needs a --name")
	}
	if desk != "" && role != upstream.RoleAgent {
		return "", errors.New("only agent tokens belong to a desk")
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
	tag, err := db.pool.Exec(ctx, "UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL", db.now(), name)
	if err != nil {
		return 0, fmt.Errorf("revoke tokens: %w", err)
	}
	return tag.RowsAffected(), nil
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// Authenticate resolves a bearer token.
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

type key struct {
	kind agent.Kind
	id   string
}

type stored struct {
	version int64
	desk    string
	deleted bool
	body    []byte
}

// Push stores a batch in one transaction. Per record: a new record or a
// newer version is stored; the same version with the same body and desk is
// a duplicate; an older version is stale; the same version with another
// body or desk is a conflict, kept in the conflicts table. The upsert itself
// refuses to lower a version, so even racing hubs cannot go backwards.
func (db *DB) Push(ctx context.Context, p upstream.Principal, req upstream.PushRequest) (upstream.PushResponse, error) {
	var resp upstream.PushResponse
	now := db.now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return resp, fmt.Errorf("push: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := bindDesk(ctx, tx, p, req.Desk); err != nil {
		return resp, err
	}
	hasCustomer, hasAlert := false, false
	var keys []key
	seen := map[key]bool{}
	for _, r := range req.Records {
		hasCustomer = hasCustomer || r.Kind == agent.KindCustomer
		hasAlert = hasAlert || r.Kind == agent.KindAlert
		if k := (key{r.Kind, r.ID}); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if hasCustomer {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockCustomers); err != nil {
			return resp, fmt.Errorf("push: %w", err)
		}
	}
	have, err := readStored(ctx, tx, keys)
	if err != nil {
		return resp, err
	}
	if db.afterRead != nil {
		db.afterRead()
	}

	// Decide each record against what is stored (and what this batch has
	// already decided), then write the winners in one statement.
	write := map[key]upstream.Record{}
	var order []key
	var conflicts []conflictRow
	for _, r := range req.Records {
		k := key{r.Kind, r.ID}
		cur, ok := have[k]
		switch {
		case !ok || r.Version > cur.version:
			if _, pending := write[k]; !pending {
				order = append(order, k)
			}
			write[k] = r
			have[k] = stored{version: r.Version, desk: req.Desk, deleted: r.Deleted, body: bodyOf(r)}
			resp.Stored++
		default:
			conflicts = classify(&resp, r, req.Desk, cur, conflicts)
		}
		resp.AckSeq = max(resp.AckSeq, r.Seq)
	}
	if len(order) > 0 {
		written, err := upsertRecords(ctx, tx, req.Desk, order, write, now)
		if err != nil {
			return resp, err
		}
		// A key missing from written lost a race: another hub committed the
		// same record after our read. Judge the record again against that.
		var lost []key
		for _, k := range order {
			if !written[k] {
				lost = append(lost, k)
			}
		}
		if len(lost) > 0 {
			again, err := readStored(ctx, tx, lost)
			if err != nil {
				return resp, err
			}
			for _, k := range lost {
				resp.Stored--
				conflicts = classify(&resp, write[k], req.Desk, again[k], conflicts)
			}
		}
	}
	batch := &pgx.Batch{}
	for _, c := range conflicts {
		h := sha256.New()
		h.Write(bodyOf(c.r))
		h.Write([]byte{boolByte(c.r.Deleted)})
		batch.Queue(`INSERT INTO conflicts (kind, id, version, desk, body, body_hash, stored_desk, stored_body, reason, received_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
			string(c.r.Kind), c.r.ID, c.r.Version, req.Desk, bodyOf(c.r), h.Sum(nil), c.cur.desk, c.cur.body, c.reason, now)
	}
	batch.Queue(`INSERT INTO desks (desk, pending, oldest_pending, last_seen) VALUES ($1, $2, $3, $4)
		ON CONFLICT (desk) DO UPDATE SET pending = EXCLUDED.pending, oldest_pending = EXCLUDED.oldest_pending, last_seen = EXCLUDED.last_seen`,
		req.Desk, max(0, req.Pending-len(req.Records)), nullTime(toHubClock(oldestAfter(req), req.SentAt, now)), now)
	what := "push"
	if hasAlert {
		what = "alert"
	}
	batch.Queue("SELECT pg_notify($1, $2)", notifyChannel, what)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return resp, fmt.Errorf("push: write: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return resp, fmt.Errorf("push: commit: %w", err)
	}
	return resp, nil
}

type conflictRow struct {
	r      upstream.Record
	cur    stored
	reason string
}

func bodyOf(r upstream.Record) []byte {
	if r.Body == nil {
		return []byte{}
	}
	return r.Body
}

// classify judges a record that is not newer than the stored copy cur:
// stale, duplicate or conflict (appended to conflicts and reported).
func classify(resp *upstream.PushResponse, r upstream.Record, desk string, cur stored, conflicts []conflictRow) []conflictRow {
	switch {
	case r.Version < cur.version:
		resp.Stale++
	case cur.desk == desk && cur.deleted == r.Deleted && bytes.Equal(cur.body, bodyOf(r)):
		resp.Duplicates++
	default:
		reason := "same version, different content"
		if cur.desk != desk {
			reason = fmt.Sprintf("same version, stored from desk %s", cur.desk)
		}
		conflicts = append(conflicts, conflictRow{r: r, cur: cur, reason: reason})
		resp.Conflicts = append(resp.Conflicts, upstream.Conflict{Seq: r.Seq, Kind: r.Kind, ID: r.ID, Version: r.Version, Reason: reason})
	}
	return conflicts
}

// readStored reads and locks the stored copies of keys, in key order so
// concurrent pushes lock rows in the same order.
func readStored(ctx context.Context, tx pgx.Tx, keys []key) (map[key]stored, error) {
	kinds, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ids[i] = string(k.kind), k.id
	}
	have := map[key]stored{}
	rows, err := tx.Query(ctx, `SELECT r.kind, r.id, r.version, r.desk, r.deleted, r.body FROM records r
		JOIN unnest($1::text[], $2::text[]) AS k(kind, id) ON r.kind = k.kind AND r.id = k.id
		ORDER BY r.kind, r.id FOR UPDATE OF r`, kinds, ids)
	if err != nil {
		return nil, fmt.Errorf("push: read stored versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var s stored
		if err := rows.Scan(&k.kind, &k.id, &s.version, &s.desk, &s.deleted, &s.body); err != nil {
			return nil, fmt.Errorf("push: read stored versions: %w", err)
		}
		have[k] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push: read stored versions: %w", err)
	}
	return have, nil
}

// upsertRecords writes the batch's winning versions in one statement and
// returns the keys it wrote. The statement itself never lowers a version.
func upsertRecords(ctx context.Context, tx pgx.Tx, desk string, order []key, write map[key]upstream.Record, now time.Time) (map[key]bool, error) {
	n := len(order)
	wk, wi, wd, wdoc := make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
	wv, wat := make([]int64, n), make([]time.Time, n)
	wdel, wbody := make([]bool, n), make([][]byte, n)
	for i, k := range order {
		r := write[k]
		wk[i], wi[i], wv[i], wd[i], wdel[i], wat[i] = string(r.Kind), r.ID, r.Version, desk, r.Deleted, r.At
		wbody[i] = bodyOf(r)
		if len(r.Body) > 0 {
			d := jsonbSafe(r.Body)
			wdoc[i] = &d
		}
	}
	rows, err := tx.Query(ctx, `INSERT INTO records (kind, id, version, desk, deleted, body, doc, at, received_at, rev)
		SELECT k, i, v, d, del, b, doc::jsonb, at, $9, nextval('record_rev')
		FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::bool[], $6::bytea[], $7::text[], $8::timestamptz[]) AS t(k, i, v, d, del, b, doc, at)
		ON CONFLICT (kind, id) DO UPDATE SET version = EXCLUDED.version, desk = EXCLUDED.desk, deleted = EXCLUDED.deleted,
			body = EXCLUDED.body, doc = EXCLUDED.doc, at = EXCLUDED.at, received_at = EXCLUDED.received_at, rev = EXCLUDED.rev
		WHERE records.version < EXCLUDED.version
		RETURNING kind, id`,
		wk, wi, wv, wd, wdel, wbody, wdoc, wat, now)
	if err != nil {
		return nil, fmt.Errorf("push: write records: %w", err)
	}
	defer rows.Close()
	written := make(map[key]bool, n)
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.kind, &k.id); err != nil {
			return nil, fmt.Errorf("push: write records: %w", err)
		}
		written[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("push: write records: %w", err)
	}
	return written, nil
}

// oldestAfter is the desk's oldest pending instant once this batch is
// stored: unknown (zero) if the batch empties the outbox, else as reported
// (the desk reports the oldest of the whole outbox, batch included, which
// errs on the side of showing a desk as behind).
func oldestAfter(req upstream.PushRequest) time.Time {
	if req.Pending <= len(req.Records) {
		return time.Time{}
	}
	return req.OldestPending
}

// toHubClock moves a desk-clock instant t onto the hub's clock, using the
// desk's SentAt and the hub's receipt instant to measure the desk's skew
// (network delay is small beside a wrong clock). Zero stays zero.
func toHubClock(t, sentAt, now time.Time) time.Time {
	if t.IsZero() || sentAt.IsZero() {
		return t
	}
	return t.Add(now.Sub(sentAt))
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// jsonbSafe returns body as text PostgreSQL's jsonb accepts: jsonb refuses
// the \u0000 escape, so it becomes U+FFFD in the queryable copy only (the
// body column keeps the original bytes).
func jsonbSafe(body []byte) string {
	s := string(body)
	if !strings.Contains(s, `\u0000`) {
		return s
	}
	// An escaped backslash followed by "u0000" is text, not a NUL: decode
	// and re-encode instead of replacing bytes.
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "null"
	}
	b, _ := json.Marshal(replaceNUL(v))
	return string(b)
}

func replaceNUL(v any) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, "\x00", "\uFFFD")
	case []any:
		for i := range x {
			x[i] = replaceNUL(x[i])
		}
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ReplaceAll(k, "\x00", "\uFFFD")] = replaceNUL(e)
		}
		return out
	}
	return v
}

// Live records a desk's agent state, call events and outbox figures.
func (db *DB) Live(ctx context.Context, p upstream.Principal, r upstream.LiveReport) error {
	now := db.now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := bindDesk(ctx, tx, p, r.Desk); err != nil {
		return err
	}
	b := &pgx.Batch{}
	// Live state is replaced every few seconds: not waiting for the WAL
	// flush keeps the report fast, and a crash loses at most an instant of
	// it. Pushed records (which the desk then drops) keep full durability.
	b.Queue("SET LOCAL synchronous_commit TO off")
	b.Queue(`INSERT INTO desks (desk, agent, state, state_since, queue, pending, oldest_pending, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (desk) DO UPDATE SET agent = EXCLUDED.agent, state = EXCLUDED.state, state_since = EXCLUDED.state_since, queue = EXCLUDED.queue,
			pending = EXCLUDED.pending, oldest_pending = EXCLUDED.oldest_pending, last_seen = EXCLUDED.last_seen`,
		r.Desk, r.Status.Agent, r.Status.State, nullTime(toHubClock(r.Status.Since, r.SentAt, now)), r.Status.Queue, r.Pending,
		nullTime(toHubClock(r.OldestPending, r.SentAt, now)), now)
	for _, ev := range r.Events {
		state, answered := callState(ev.Kind)
		at := ev.At
		if at.IsZero() {
			at = now
		}
		b.Queue(`INSERT INTO calls (desk, call_id, queue, direction, caller, state, answered, started_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (desk, call_id) DO UPDATE SET
				queue = CASE WHEN EXCLUDED.queue <> '' THEN EXCLUDED.queue ELSE calls.queue END,
				direction = CASE WHEN EXCLUDED.direction <> '' THEN EXCLUDED.direction ELSE calls.direction END,
				caller = CASE WHEN EXCLUDED.caller <> '' THEN EXCLUDED.caller ELSE calls.caller END,
				state = CASE WHEN calls.state IN ('ended', 'missed') THEN calls.state ELSE EXCLUDED.state END,
				answered = calls.answered OR EXCLUDED.answered,
				started_at = least(calls.started_at, EXCLUDED.started_at),
				updated_at = EXCLUDED.updated_at`,
			r.Desk, ev.CallID, ev.Queue, ev.Direction, ev.Caller, state, answered, at, now)
	}
	b.Queue("SELECT pg_notify($1, 'live')", notifyChannel)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("live: commit: %w", err)
	}
	return nil
}

// callState maps a telephony event kind to the board's call state.
func callState(kind string) (state string, answered bool) {
	switch kind {
	case "answered", "resumed", "held", "transferred", "dtmf":
		return "talking", true
	case "ended":
		return "ended", false
	case "missed", "answered_elsewhere":
		return "missed", false
	default:
		return "ringing", false
	}
}

// Customers returns customer records changed after since, in change order.
func (db *DB) Customers(ctx context.Context, since int64, limit int) (upstream.CustomerPage, error) {
	page := upstream.CustomerPage{Next: since}
	rows, err := db.pool.Query(ctx, `SELECT rev, id, version, deleted, body, coalesce(at, received_at) FROM records
		WHERE kind = 'customer' AND rev > $1 ORDER BY rev LIMIT $2`, since, limit+1)
	if err != nil {
		return page, fmt.Errorf("customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r upstream.Record
		var rev int64
		var body []byte
		if err := rows.Scan(&rev, &r.ID, &r.Version, &r.Deleted, &body, &r.At); err != nil {
			return page, fmt.Errorf("customers: %w", err)
		}
		if len(page.Customers) == limit {
			page.More = true
			break
		}
		r.Kind, r.Seq = agent.KindCustomer, uint64(rev)
		if len(body) > 0 {
			r.Body = body
		}
		page.Customers = append(page.Customers, r)
		page.Next = rev
	}
	return page, rows.Err()
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

// PublishPack stores a pack and tells the desks through the board channel.
func (db *DB) PublishPack(ctx context.Context, p upstream.Principal, pk upstream.Pack) (upstream.Pack, error) {
	err := db.pool.QueryRow(ctx, `INSERT INTO packs (lang, name, data, published_at, published_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		pk.Lang, pk.Name, pk.Data, pk.PublishedAt, pk.PublishedBy).Scan(&pk.ID)
	if err != nil {
		return pk, fmt.Errorf("publish pack: %w", err)
	}
	return pk, nil
}

// Watch subscribes to board changes until ctx ends.
func (db *DB) Watch(ctx context.Context) <-chan upstream.Change {
	ch := make(chan upstream.Change, 16)
	db.mu.Lock()
	db.subs[ch] = struct{}{}
	db.mu.Unlock()
	go func() {
		<-ctx.Done()
		db.mu.Lock()
		delete(db.subs, ch)
		db.mu.Unlock()
		close(ch)
	}()
	return ch
}

func (db *DB) broadcast(c upstream.Change) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for ch := range db.subs {
		select {
		case ch <- c:
		default: // a slow stream catches up on its next refresh
		}
	}
}

// listen holds one connection in LISTEN and fans notifications (from every
// hub on the database) out to this process's streams, reconnecting with a
// growing wait after errors. It closes listening the first time LISTEN is
// in place; after a reconnect it tells every stream to recompute, since
// notifications may have been missed meanwhile.
func (db *DB) listen(ctx context.Context, listening chan struct{}) {
	defer close(db.done)
	wait := 100 * time.Millisecond
	first := true
	ready := func() {
		if first {
			close(listening)
			first = false
		} else {
			db.broadcast(upstream.Change{Alert: true})
		}
		wait = 100 * time.Millisecond
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, ready)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("listen for board changes", "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

func (db *DB) listenOnce(ctx context.Context, ready func()) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer func() {
		// A connection left in LISTEN must not go back to the pool.
		conn.Hijack().Close(context.Background())
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	ready()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		db.broadcast(upstream.Change{Alert: n.Payload == "alert"})
	}
}
