package hub

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"agentdesk/agent/upstream"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Agent accounts and their sign-in per shift. An account has a work
// number, a name, a role, a PIN (or password) kept as an argon2id hash
// with its own salt, and optionally its own SIP account (the password
// sealed, see seal.go). A desk signs an agent in with its own token; the
// hub checks the PIN, a few hashes at a time, and answers a session token
// for the shift, the offline verifier, the hub's public key and the
// desk's key (upstream.SignInResult).
//
// Wrong PINs are counted from the audit, so every hub on the database
// sees the same count: per agent number and, apart, per address, the
// wrong PINs since the last good sign-in within upstream.SignInWindow.
// upstream.SignInRetryAfter decides the lock; attempts of one number are
// serialised by an advisory lock, so racing attempts cannot overrun it.
// While locked, the PIN is not even checked.

// lockSignIn is the advisory lock class of one agent number's sign-ins.
const lockSignIn = 0x61646b04

// signingKeyName is the hub_keys row of the key that signs verifiers.
const signingKeyName = "offline-verifier"

// Limits of an agent account's fields.
const (
	minPINLen    = 4
	maxNumberLen = 64
)

// AgentSpec is an agent account to make: work number, name, role
// (agent, supervisor or trainer), PIN or password, and, if the agent has
// an own SIP account, its user and password.
type AgentSpec struct {
	Number      string
	Name        string
	Role        upstream.Role
	PIN         string
	SIPUser     string
	SIPPassword string
}

func checkNumber(n string) error {
	if n == "" || len(n) > maxNumberLen {
		return fmt.Errorf("%w: an agent number of 1 to %d bytes is required", upstream.ErrInvalid, maxNumberLen)
	}
	for _, r := range n {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("%w: agent number %q has a space or a control character", upstream.ErrInvalid, n)
		}
	}
	return nil
}

// CheckPIN says whether pin may be an agent's PIN or password: 4 to
// upstream.MaxPINLen bytes of printable text.
func CheckPIN(pin string) error {
	if len(pin) < minPINLen || len(pin) > upstream.MaxPINLen {
		return fmt.Errorf("%w: a PIN has %d to %d characters", upstream.ErrInvalid, minPINLen, upstream.MaxPINLen)
	}
	for _, r := range pin {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: a PIN may not hold control characters", upstream.ErrInvalid)
		}
	}
	return nil
}

func (a AgentSpec) check() error {
	if err := checkNumber(a.Number); err != nil {
		return err
	}
	if strings.TrimSpace(a.Name) == "" || len(a.Name) > 256 {
		return fmt.Errorf("%w: an agent needs a name (at most 256 bytes)", upstream.ErrInvalid)
	}
	if !a.Role.Person() {
		return fmt.Errorf("%w: unknown agent role %q (want agent, supervisor or trainer)", upstream.ErrInvalid, a.Role)
	}
	if err := CheckPIN(a.PIN); err != nil {
		return err
	}
	if (a.SIPUser == "") != (a.SIPPassword == "") {
		return fmt.Errorf("%w: a SIP account needs both its user and its password", upstream.ErrInvalid)
	}
	if strings.ContainsFunc(a.SIPUser+a.SIPPassword, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Errorf("%w: SIP user and password may not hold control characters", upstream.ErrInvalid)
	}
	return nil
}

// hashPIN hashes pin with a fresh salt (or salt, if given) under cost,
// waiting for a free hashing slot (each takes cost.Memory).
func (db *DB) hashPIN(ctx context.Context, pin string, salt []byte, cost upstream.Argon2Params) ([]byte, []byte, error) {
	if salt == nil {
		salt = make([]byte, upstream.PINSaltSize)
		if _, err := rand.Read(salt); err != nil {
			return nil, nil, err
		}
	}
	select {
	case db.hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-db.hashing }()
	return salt, upstream.HashPIN(pin, salt, cost), nil
}

// AddAgent makes an agent account (audited as agent.add, without its PIN
// or password). A number already taken is refused with
// upstream.ErrConflict, bad input with upstream.ErrInvalid; nothing is
// stored then.
func (db *DB) AddAgent(ctx context.Context, a AgentSpec) error {
	if err := a.check(); err != nil {
		return err
	}
	salt, hash, err := db.hashPIN(ctx, a.PIN, nil, db.cost)
	if err != nil {
		return fmt.Errorf("add agent %s: %w", a.Number, err)
	}
	var sipUser *string
	var sipPass []byte
	if a.SIPUser != "" {
		sipUser = &a.SIPUser
		if sipPass, err = db.seal.seal("sip_password:"+a.Number, []byte(a.SIPPassword)); err != nil {
			return fmt.Errorf("add agent %s: %w", a.Number, err)
		}
	}
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("add agent %s: %w", a.Number, err)
	}
	defer tx.Rollback(ctx)
	var taken bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agents WHERE number = $1)`, a.Number).Scan(&taken); err != nil {
		return fmt.Errorf("add agent %s: %w", a.Number, err)
	}
	if taken { // checked first, so a refusal does not even move the ID sequence
		return fmt.Errorf("%w: agent number %s exists", upstream.ErrConflict, a.Number)
	}
	_, err = tx.Exec(ctx, `INSERT INTO agents (number, name, role, pin_salt, pin_hash, pin_time, pin_memory, pin_threads, pin_set_at,
			sip_user, sip_password, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $9, $9)`,
		a.Number, a.Name, string(a.Role), salt, hash, int64(db.cost.Time), int64(db.cost.Memory), int64(db.cost.Threads), now, sipUser, sipPass)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: agent number %s exists", upstream.ErrConflict, a.Number)
	}
	if err != nil {
		return fmt.Errorf("add agent %s: %w", a.Number, err)
	}
	if err := db.audit(ctx, tx, now, db.adminPrincipal(), upstream.AuditAgentAdd, "agent", a.Number,
		map[string]any{"name": a.Name, "role": a.Role, "sip_user": a.SIPUser}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("add agent %s: commit: %w", a.Number, err)
	}
	return nil
}

// SetPIN gives agent number a new PIN (a fresh salt; audited as
// agent.pin). Desks holding a verifier of the old PIN accept it offline
// until that verifier expires or the agent signs in online there again.
// An unknown number gets upstream.ErrNotFound.
func (db *DB) SetPIN(ctx context.Context, number, pin string) error {
	if err := checkNumber(number); err != nil {
		return err
	}
	if err := CheckPIN(pin); err != nil {
		return err
	}
	salt, hash, err := db.hashPIN(ctx, pin, nil, db.cost)
	if err != nil {
		return fmt.Errorf("set PIN of %s: %w", number, err)
	}
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("set PIN of %s: %w", number, err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `UPDATE agents SET pin_salt = $2, pin_hash = $3, pin_time = $4, pin_memory = $5, pin_threads = $6, pin_set_at = $7, updated_at = $7
		WHERE number = $1`, number, salt, hash, int64(db.cost.Time), int64(db.cost.Memory), int64(db.cost.Threads), now)
	if err != nil {
		return fmt.Errorf("set PIN of %s: %w", number, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: no agent number %s", upstream.ErrNotFound, number)
	}
	if err := db.audit(ctx, tx, now, db.adminPrincipal(), upstream.AuditAgentPIN, "agent", number, nil); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("set PIN of %s: commit: %w", number, err)
	}
	return nil
}

// DisableAgent disables agent number: sign-ins are refused from then on
// (upstream.ErrAgentDisabled, with the right PIN), and every session of
// the agent ends at once, its streams closing on every hub. It says how
// many sessions ended; audited as agent.disable. Offline, a desk still
// accepts the agent's verifier until it expires. An unknown number gets
// upstream.ErrNotFound, one disabled already upstream.ErrConflict.
func (db *DB) DisableAgent(ctx context.Context, number string) (int, error) {
	if err := checkNumber(number); err != nil {
		return 0, err
	}
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	defer tx.Rollback(ctx)
	var id int64
	var was *time.Time
	err = tx.QueryRow(ctx, `SELECT id, disabled_at FROM agents WHERE number = $1 FOR UPDATE`, number).Scan(&id, &was)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: no agent number %s", upstream.ErrNotFound, number)
	}
	if err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	if was != nil {
		return 0, fmt.Errorf("%w: agent %s was disabled at %s", upstream.ErrConflict, number, was.Format(time.RFC3339))
	}
	if _, err := tx.Exec(ctx, `UPDATE agents SET disabled_at = $2, updated_at = $2 WHERE id = $1`, id, now); err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	rows, err := tx.Query(ctx, `UPDATE tokens SET revoked_at = $2, ended = 'disabled'
		WHERE agent_id = $1 AND revoked_at IS NULL AND expires_at > $2 RETURNING id`, id, now)
	if err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	if err := db.audit(ctx, tx, now, db.adminPrincipal(), upstream.AuditAgentDisable, "agent", number, map[string]any{"sessions_ended": ids}); err != nil {
		return 0, err
	}
	if err := notifyTokens(ctx, tx, ids); err != nil {
		return 0, fmt.Errorf("disable agent %s: %w", number, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("disable agent %s: commit: %w", number, err)
	}
	return len(ids), nil
}

// storedAgent is an agent account as SignIn reads it.
type storedAgent struct {
	id       int64
	info     upstream.AgentInfo
	salt     []byte
	hash     []byte
	cost     upstream.Argon2Params
	sipUser  *string
	sipPass  []byte
	disabled bool
}

// SignIn signs agent req.Number in at the desk p belongs to (binding an
// unbound desk token to req.Desk, as a push does). Every attempt is
// audited, with p's address: signin.ok, signin.fail (wrong PIN or unknown
// number, answered alike: upstream.ErrWrongPIN), signin.locked
// (*upstream.LockedError; the PIN is not checked) and signin.disabled
// (upstream.ErrAgentDisabled). A refusal changes nothing but the audit.
func (db *DB) SignIn(ctx context.Context, p upstream.Principal, req upstream.SignInRequest) (upstream.SignInResult, error) {
	now := db.clock.Now()
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: %w", err)
	}
	defer tx.Rollback(ctx)
	if p.Desk != "" && p.Desk != req.Desk {
		return upstream.SignInResult{}, fmt.Errorf("%w: token is bound to another desk than %q", upstream.ErrForbidden, req.Desk)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockSignIn, req.Number); err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: %w", err)
	}
	who := p
	who.Desk = req.Desk
	refuse := func(action upstream.AuditAction, detail any, why error) (upstream.SignInResult, error) {
		if err := db.audit(ctx, tx, now, who, action, "agent", req.Number, detail); err != nil {
			return upstream.SignInResult{}, err
		}
		if err := tx.Commit(ctx); err != nil {
			return upstream.SignInResult{}, fmt.Errorf("sign in: commit: %w", err)
		}
		return upstream.SignInResult{}, why
	}

	wait, why, err := db.signInLock(ctx, tx, req.Number, p.Addr, now)
	if err != nil {
		return upstream.SignInResult{}, err
	}
	if wait > 0 {
		return refuse(upstream.AuditSignInLocked, map[string]any{"locked": why, "retry_after_s": int64(wait.Seconds())},
			&upstream.LockedError{RetryAfter: wait, Why: why})
	}

	a, found, err := readAgent(ctx, tx, req.Number)
	if err != nil {
		return upstream.SignInResult{}, err
	}
	if !found {
		// Hash anyway, so an unknown number takes as long as a wrong PIN.
		a.cost = db.cost
	}
	_, got, err := db.hashPIN(ctx, string(req.PIN), a.salt, a.cost)
	if err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: %w", err)
	}
	if !found || subtle.ConstantTimeCompare(got, a.hash) != 1 {
		reason := "wrong_pin"
		if !found {
			reason = "unknown_number"
		}
		return refuse(upstream.AuditSignInFail, map[string]any{"reason": reason}, upstream.ErrWrongPIN)
	}
	if a.disabled {
		return refuse(upstream.AuditSignInOff, nil, fmt.Errorf("%w: agent %s", upstream.ErrAgentDisabled, req.Number))
	}

	if err := bindDesk(ctx, tx, p, req.Desk); err != nil {
		return upstream.SignInResult{}, err
	}
	deskKey, err := db.deskKey(ctx, tx, req.Desk, now)
	if err != nil {
		return upstream.SignInResult{}, err
	}
	desk := req.Desk
	tok, tokID, exp, err := insertToken(ctx, tx, newToken{role: a.info.Role, name: a.info.Name, desk: &desk, kind: upstream.TokenSession,
		agentID: &a.id, ttl: db.shift, at: now, expires: now.Add(db.shift)})
	if err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: session token: %w", err)
	}
	res := upstream.SignInResult{Session: upstream.Secret(tok), Expires: exp, Agent: a.info, DeskKey: deskKey,
		HubKey: db.signKey.Public().(ed25519.PublicKey)}
	offline, err := db.offlineTTL(ctx, tx)
	if err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: %w", err)
	}
	res.Offline = upstream.SignOffline(upstream.OfflineVerifier{Number: a.info.Number, Name: a.info.Name, Role: a.info.Role, Desk: req.Desk,
		KDF: a.cost, Salt: a.salt, Hash: a.hash, Issued: now, Expires: now.Add(offline)}, db.signKey)
	if a.sipUser != nil {
		pw, err := db.seal.open("sip_password:"+a.info.Number, a.sipPass)
		if err != nil {
			return upstream.SignInResult{}, fmt.Errorf("sign in: SIP password of %s: %w", a.info.Number, err)
		}
		res.SIP = &upstream.SIPAccount{User: *a.sipUser, Password: upstream.Secret(pw)}
	}
	if err := db.audit(ctx, tx, now, who, upstream.AuditSignIn, "agent", req.Number,
		map[string]any{"session": tokID, "expires": exp, "offline_until": res.Offline.Expires}); err != nil {
		return upstream.SignInResult{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return upstream.SignInResult{}, fmt.Errorf("sign in: commit: %w", err)
	}
	return res, nil
}

// signInLock says how long sign-ins of number from addr stay refused,
// and whether the number or the address is why.
func (db *DB) signInLock(ctx context.Context, tx pgx.Tx, number, addr string, now time.Time) (time.Duration, string, error) {
	// "Since the last good one" by entry order: several attempts may share
	// an instant.
	const q = `SELECT count(*), coalesce(max(at), 'epoch') FROM audit
		WHERE %[1]s = $1 AND action = 'signin.fail' AND at > $2
		AND id > coalesce((SELECT max(id) FROM audit WHERE %[1]s = $1 AND action = 'signin.ok' AND at > $2), 0)`
	var wait time.Duration
	why := ""
	for _, k := range []struct{ col, val, why string }{{"subject", number, "agent number"}, {"addr", addr, "address"}} {
		if k.val == "" {
			continue
		}
		var n int
		var last time.Time
		if err := tx.QueryRow(ctx, fmt.Sprintf(q, k.col), k.val, now.Add(-upstream.SignInWindow)).Scan(&n, &last); err != nil {
			return 0, "", fmt.Errorf("sign in: count wrong PINs: %w", err)
		}
		if d := upstream.SignInRetryAfter(n, last, now); d > wait {
			wait, why = d, k.why
		}
	}
	return wait, why, nil
}

func readAgent(ctx context.Context, tx pgx.Tx, number string) (storedAgent, bool, error) {
	var a storedAgent
	var role string
	var t, m, th int64
	var disabled *time.Time
	err := tx.QueryRow(ctx, `SELECT id, number, name, role, pin_salt, pin_hash, pin_time, pin_memory, pin_threads, sip_user, sip_password, disabled_at
		FROM agents WHERE number = $1`, number).
		Scan(&a.id, &a.info.Number, &a.info.Name, &role, &a.salt, &a.hash, &t, &m, &th, &a.sipUser, &a.sipPass, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return storedAgent{salt: make([]byte, upstream.PINSaltSize)}, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("sign in: read agent: %w", err)
	}
	a.info.Role = upstream.Role(role)
	a.cost = upstream.Argon2Params{Time: uint32(t), Memory: uint32(m), Threads: uint8(th)}
	a.disabled = disabled != nil
	return a, true, nil
}

// deskKey returns desk's key, making it at the desk's first sign-in.
func (db *DB) deskKey(ctx context.Context, tx pgx.Tx, desk string, now time.Time) (upstream.Key, error) {
	purpose := "desk_key:" + desk
	fresh := make([]byte, upstream.DeskKeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	sealed, err := db.seal.seal(purpose, fresh)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO desk_keys (desk, key, created_at) VALUES ($1, $2, $3) ON CONFLICT (desk) DO NOTHING`, desk, sealed, now); err != nil {
		return nil, fmt.Errorf("sign in: desk key: %w", err)
	}
	var stored []byte
	if err := tx.QueryRow(ctx, `SELECT key FROM desk_keys WHERE desk = $1`, desk).Scan(&stored); err != nil {
		return nil, fmt.Errorf("sign in: desk key: %w", err)
	}
	k, err := db.seal.open(purpose, stored)
	if err != nil {
		return nil, fmt.Errorf("sign in: desk key: %w", err)
	}
	if len(k) != upstream.DeskKeySize {
		return nil, fmt.Errorf("sign in: desk key of %s has %d bytes", desk, len(k))
	}
	return k, nil
}

// openSecrets seals what a hub without a key stored plain (given a key),
// then opens the signing key, making it at the first start; every hub on
// the database shares it. A key that opens nothing is refused here.
func (db *DB) openSecrets(ctx context.Context) error {
	if db.seal.aead == nil {
		db.log.Warn("no hub key given: SIP passwords, desk keys and the signing key are stored unsealed; start the hub with --key-file")
	}
	if n, err := db.resealPlain(ctx); err != nil {
		return fmt.Errorf("hub: seal stored secrets: %w", err)
	} else if n > 0 {
		db.log.Info("secrets stored plain are sealed now", "count", n)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sealed, err := db.seal.seal("hub_key:"+signingKeyName, priv.Seed())
	if err != nil {
		return err
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO hub_keys (name, public, private, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
		signingKeyName, []byte(pub), sealed, db.clock.Now()); err != nil {
		return fmt.Errorf("hub: signing key: %w", err)
	}
	var storedPub, storedPriv []byte
	if err := db.pool.QueryRow(ctx, `SELECT public, private FROM hub_keys WHERE name = $1`, signingKeyName).Scan(&storedPub, &storedPriv); err != nil {
		return fmt.Errorf("hub: signing key: %w", err)
	}
	seed, err := db.seal.open("hub_key:"+signingKeyName, storedPriv)
	if err != nil {
		return fmt.Errorf("hub: signing key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return fmt.Errorf("hub: signing key has %d bytes", len(seed))
	}
	db.signKey = ed25519.NewKeyFromSeed(seed)
	if !db.signKey.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(storedPub)) {
		return fmt.Errorf("hub: the stored signing key's halves do not match")
	}
	return nil
}

// SigningKey is the public key the hub signs offline verifiers with:
// what desks pin (upstream.KeyID names it).
func (db *DB) SigningKey() ed25519.PublicKey { return db.signKey.Public().(ed25519.PublicKey) }
