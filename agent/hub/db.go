// Package hub is the hub's backend on PostgreSQL: its schema and
// migrations, tokens that expire, rotate and end (token.go), agent
// accounts and their sign-in per shift (agents.go), sealed secrets
// (seal.go), the audit (audit.go), the records desks push (judged by
// upstream.Decide), live desk state and calls, script pack versions with
// their review (pack.go; upstream.CheckReview decides), the center's
// settings (settings.go), member callbacks planned once for the whole
// center and pulled by the agents' desks (callbacks.go), columns computed
// from records by the domain's rules when they are stored (derive.go),
// and the supervisors' board. It implements upstream.Backend; the HTTP
// side is upstream.Server (NewHandler wires the two).
//
// A hub process holds no state of its own but the listeners of its
// streams, so several hubs can serve one database behind a load balancer:
// migrations are applied at start under an advisory lock, and board
// changes and token ends cross hubs through LISTEN/NOTIFY.
package hub

import (
	"context"
	"crypto/ed25519"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
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
// numbers commit in order so a pull cursor never skips a row;
// lockCallbacks does for callback tasks what lockCustomers does for
// customers, and serialises the member callback plans of every hub;
// lockSettings is held shared by pushes that compute columns under the
// center's settings and alone by a change of them, so no push stores
// columns computed under settings already replaced.
const (
	lockMigrate   = 0x61646b01
	lockCustomers = 0x61646b02
	lockCallbacks = 0x61646b05
	lockSettings  = 0x61646b06
	notifyChannel = "agentdesk_board"
	// tokenNotice prefixes a notification that a token changed (ended,
	// rotated): "token:ID".
	tokenNotice = "token:"
	// deskNotice prefixes a notification that a desk has new events:
	// "desk:DESK".
	deskNotice = "desk:"
)

// afterMigration runs Go code in a migration's transaction right after its
// SQL: columns whose values only the domain's rules can compute.
var afterMigration = map[int]func(ctx context.Context, db *DB, tx pgx.Tx) error{
	2: func(ctx context.Context, db *DB, tx pgx.Tx) error { return backfillReplyDue(ctx, tx, db.log) },
	5: func(ctx context.Context, db *DB, tx pgx.Tx) error {
		return db.backfillDerived(ctx, tx, agent.KindComplaint, agent.KindCall, agent.KindCallback)
	},
	7: func(ctx context.Context, db *DB, tx pgx.Tx) error {
		return db.backfillDerived(ctx, tx, agent.KindRecording)
	},
}

// DB is the hub's PostgreSQL backend. Several hubs may share one database:
// it holds no state of its own but the listeners of this process.
type DB struct {
	pool  *pgxpool.Pool
	root  *slog.Logger // as given, for the handler
	log   *slog.Logger
	clock agent.Clock
	zone  *time.Location

	admin   string
	hubKey  []byte
	seal    *sealer
	signKey ed25519.PrivateKey
	shift   time.Duration
	offline time.Duration
	grace   time.Duration
	cost    upstream.Argon2Params
	hashing chan struct{} // bounds PIN hashes at once (each takes cost.Memory)

	planEvery   time.Duration
	retainEvery time.Duration

	centerMu sync.Mutex
	centerAt int64 // the settings version cached, -1 for none yet
	cached   agent.Center

	mu      sync.Mutex
	subs    map[chan upstream.Change]struct{}
	watches map[int64]map[*tokenWatch]struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

var _ upstream.Backend = (*DB)(nil)

// Option configures Open.
type Option func(*DB)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.root = l } }

// WithClock sets the hub's clock: receipt times, liveness, revocations
// (default the system clock).
func WithClock(c agent.Clock) Option { return func(db *DB) { db.clock = c } }

// WithZone sets the center's zone when its settings name none: where the
// hotline's day begins and ends for the board's figures of today and the
// callback plan (default agent.DefaultZone).
func WithZone(loc *time.Location) Option { return func(db *DB) { db.zone = loc } }

// WithHubKey sets the 256-bit hub key that seals the stored secrets (see
// seal.go); without one they are stored plain.
func WithHubKey(key []byte) Option { return func(db *DB) { db.hubKey = key } }

// WithShift sets how long a sign-in's session token lasts (default
// upstream.DefaultShift, 12 h): a center setting.
func WithShift(d time.Duration) Option { return func(db *DB) { db.shift = d } }

// WithOfflineTTL sets how long an offline verifier is good for (default
// upstream.DefaultOfflineTTL, 7 days) unless the center's settings name
// offline_signin_days.
func WithOfflineTTL(d time.Duration) Option { return func(db *DB) { db.offline = d } }

// WithRotateGrace sets how long a rotated token keeps working (default
// upstream.DefaultRotateGrace).
func WithRotateGrace(d time.Duration) Option { return func(db *DB) { db.grace = d } }

// WithPINCost sets the argon2id cost of new PIN hashes (default
// upstream.DefaultArgon2). Stored hashes keep the cost they were made with.
func WithPINCost(p upstream.Argon2Params) Option { return func(db *DB) { db.cost = p } }

// Open connects to the database at dsn, applies pending migrations, opens
// (or makes) the hub's signing key, seals secrets stored plain when given
// a hub key, and starts listening for changes from other hubs.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	db := &DB{root: slog.Default(), clock: agent.SystemClock{}, subs: map[chan upstream.Change]struct{}{},
		watches: map[int64]map[*tokenWatch]struct{}{}, shift: upstream.DefaultShift, offline: upstream.DefaultOfflineTTL,
		grace: upstream.DefaultRotateGrace, cost: upstream.DefaultArgon2, planEvery: time.Minute, retainEvery: time.Hour, centerAt: -1}
	for _, o := range opts {
		o(db)
	}
	db.log = db.root.With("component", "hubdb")
	if err := db.cost.Check(); err != nil {
		return nil, fmt.Errorf("hub: PIN hash cost: %w", err)
	}
	if db.shift <= 0 || db.offline <= 0 || db.grace < 0 {
		return nil, fmt.Errorf("hub: shift %s, offline verifier lifetime %s and rotation grace %s must be positive", db.shift, db.offline, db.grace)
	}
	db.hashing = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	seal, err := newSealer(db.hubKey)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	db.seal = seal
	if db.zone == nil {
		loc, err := time.LoadLocation(agent.DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("hub: the hotline's zone %s: %w", agent.DefaultZone, err)
		}
		db.zone = loc
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database connection string: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	db.pool = pool
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := db.openSecrets(ctx); err != nil {
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

// migrate applies every embedded migration not yet recorded, with its Go
// part if it has one, in one transaction under an advisory lock.
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
		if after := afterMigration[v]; after != nil {
			if err := after(ctx, db, tx); err != nil {
				return fmt.Errorf("migrate %s: %w", base, err)
			}
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
			db.recheckAllTokens()
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
		if id, ok := strings.CutPrefix(n.Payload, tokenNotice); ok {
			if v, err := strconv.ParseInt(id, 10, 64); err == nil {
				db.recheckToken(v)
			}
			continue
		}
		if desk, ok := strings.CutPrefix(n.Payload, deskNotice); ok {
			db.broadcast(upstream.Change{Desk: desk})
			continue
		}
		db.broadcast(upstream.Change{Alert: n.Payload == "alert"})
	}
}
