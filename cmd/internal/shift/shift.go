// Package shift signs agents in and out of a desk PC for their shift, and
// opens the desk's sealed data file with what the sign-in yields.
//
// Online, the hub checks the agent number and PIN (POST /v1/signin with
// the desk's own token) and answers with the agent's session token, role
// and SIP account, an offline verifier signed by the hub's key, and the
// desk's key. The desk pins the hub's key at the first sign-in, keeps each
// agent's verifier, and opens the data file with the desk key (its hub
// slot) while making the agent's own slot (the PIN, expiring with the
// verifier). When the hub cannot be reached, the PIN is checked against
// the kept verifier (signed by the pinned key, for this desk and agent,
// not expired) and the data file opens through the agent's slot; wrong
// PINs are counted here and slow further tries as the hub would.
//
// What the desk keeps for this lives beside the data file in shift.json
// (mode 0600): the pinned key, and per agent the verifier and the count of
// wrong PINs. It holds no PIN and no key; a verifier holds an argon2id
// hash of the PIN, as the agent's slot in the data file does.
package shift

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
	"agentdesk/agent/upstream"
)

// FileName is the desk's sign-in state, in its data folder.
const FileName = "shift.json"

// signInTimeout bounds the hub's answer to a sign-in; past it the desk
// signs in offline.
const signInTimeout = 10 * time.Second

// Gate signs agents in at one desk PC. It is safe for concurrent use, but
// one sign-in runs at a time.
type Gate struct {
	cfg   desk.Config
	clock agent.Clock
	log   *slog.Logger
	opts  []upstream.ClientOption

	mu sync.Mutex // one sign-in at a time; guards the state file
}

// New makes the gate for cfg, whose hub checks the agents (cfg.Hub.URL is
// required). opts are added to the hub client's.
func New(cfg desk.Config, clock agent.Clock, log *slog.Logger, opts ...upstream.ClientOption) (*Gate, error) {
	if cfg.Hub.URL == "" {
		return nil, errors.New("sign-in needs a hub")
	}
	if clock == nil {
		clock = agent.SystemClock{}
	}
	return &Gate{cfg: cfg, clock: clock, log: log.With("component", "shift"), opts: opts}, nil
}

// Shift is a signed-in agent: who, and what the desk needs for the shift.
type Shift struct {
	desk.Identity
	// Session is the agent's session token ("" offline: the desk then
	// syncs with its own token).
	Session upstream.Secret
	// SIP is the agent's own SIP account, nil when the PC's is used (and
	// always offline).
	SIP *upstream.SIPAccount
	// Desk is the desk's ID (its data file's).
	Desk string

	unlock seal.Unlocker   // opens the data file
	slots  []seal.Unlocker // slots made or renewed once it is open
}

// state is shift.json.
type state struct {
	HubKey ed25519.PublicKey       `json:"hub_key,omitempty"`
	Agents map[string]*agentRecord `json:"agents,omitempty"`
}

type agentRecord struct {
	Verifier    *upstream.OfflineVerifier `json:"verifier,omitempty"`
	Failures    int                       `json:"failures,omitempty"`
	LastFailure time.Time                 `json:"last_failure,omitzero"`
}

// SignIn signs agent number in with pin: at the hub when it answers, else
// offline. It refuses with the desk's sign-in errors (desk.ErrWrongPIN,
// *desk.SignInLockedError, desk.ErrSignInNeedsHub, desk.ErrSignInExpired,
// desk.ErrAgentDisabled, desk.ErrDeskRefused, desk.ErrHubKeyChanged) or a
// *desk.HubError. It waits on the network and hashes the PIN: call it off
// the UI thread.
func (g *Gate) SignIn(ctx context.Context, number, pin string) (*Shift, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if number == "" || pin == "" {
		return nil, fmt.Errorf("sign in: %w", desk.ErrWrongPIN)
	}
	deskID, err := store.PeekDeskID(g.cfg.DataFile())
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	st, err := g.load()
	if err != nil {
		return nil, err
	}
	opts := append([]upstream.ClientOption{upstream.WithDesk(deskID), upstream.WithLogger(g.log),
		upstream.WithCAFile(g.cfg.Hub.CA)}, g.opts...)
	if st.HubKey != nil {
		opts = append(opts, upstream.WithPinnedHubKey(st.HubKey))
	}
	c, err := upstream.NewClient(g.cfg.Hub.URL, string(g.cfg.Hub.Token), nil, nil, opts...)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, signInTimeout)
	res, err := c.SignIn(cctx, number, pin)
	cancel()
	var he *upstream.HTTPError
	switch {
	case err == nil:
		return g.online(st, deskID, number, pin, res)
	case errors.Is(err, upstream.ErrHubKeyChanged):
		g.log.Error("hub signs with another key than the pinned one; sign-in refused", "agent_number", number, "error", err)
		return nil, fmt.Errorf("sign in %s: %w", number, desk.ErrHubKeyChanged)
	case errors.As(err, &he):
		return nil, refusal(number, err, he)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	g.log.Warn("hub unreachable; signing in offline", "agent_number", number, "error", err)
	return g.offline(st, deskID, number, pin)
}

// refusal is the desk's error for a sign-in the hub answered with a refusal.
func refusal(number string, err error, he *upstream.HTTPError) error {
	var locked *upstream.LockedError
	switch {
	case errors.As(err, &locked):
		return fmt.Errorf("sign in %s: %w", number, &desk.SignInLockedError{RetryAfter: locked.RetryAfter})
	case errors.Is(err, upstream.ErrRateLimited):
		return fmt.Errorf("sign in %s: %w", number, &desk.SignInLockedError{RetryAfter: max(he.RetryAfter, time.Second)})
	case errors.Is(err, upstream.ErrWrongPIN):
		return fmt.Errorf("sign in %s: %w", number, desk.ErrWrongPIN)
	case errors.Is(err, upstream.ErrAgentDisabled):
		return fmt.Errorf("sign in %s: %w", number, desk.ErrAgentDisabled)
	case errors.Is(err, upstream.ErrUnauthorized), errors.Is(err, upstream.ErrForbidden):
		return fmt.Errorf("sign in %s: %w: %s", number, desk.ErrDeskRefused, he.Msg)
	}
	return fmt.Errorf("sign in %s: %w", number, &desk.HubError{Err: desk.ErrHubRefused, Detail: he.Msg})
}

// online keeps what a good online sign-in gave: the hub's key (pinned the
// first time), the agent's verifier, no wrong PINs.
func (g *Gate) online(st *state, deskID, number, pin string, res upstream.SignInResult) (*Shift, error) {
	if st.HubKey == nil {
		st.HubKey = res.HubKey
		g.log.Info("hub key pinned", "key_id", upstream.KeyID(res.HubKey))
	}
	v := res.Offline
	st.Agents[number] = &agentRecord{Verifier: &v}
	if err := g.save(st); err != nil {
		return nil, err
	}
	now := g.clock.Now()
	hub := seal.Hub{KeyID: deskKeyID(res.DeskKey), Key: res.DeskKey}
	s := &Shift{
		Identity: desk.Identity{Number: res.Agent.Number, Name: res.Agent.Name, Role: roleOf(res.Agent.Role), Expires: res.Expires},
		Session:  res.Session, SIP: res.SIP, Desk: deskID,
		unlock: seal.Any(hub, seal.Agent{ID: number, Secret: seal.Secret(pin), Now: now}),
		// The agent's slot lives as long as the verifier: past it, the
		// agent must reach the hub again.
		slots: []seal.Unlocker{hub, seal.Agent{ID: number, Secret: seal.Secret(pin), Now: now, NotAfter: v.Expires}},
	}
	g.log.Info("agent signed in", "agent_number", s.Number, "role", s.Role, "until", s.Expires, "sip_own", s.SIP != nil)
	return s, nil
}

// offline checks pin against the agent's kept verifier.
func (g *Gate) offline(st *state, deskID, number, pin string) (*Shift, error) {
	a := st.Agents[number]
	if a == nil || a.Verifier == nil || st.HubKey == nil {
		// Counted too: an unknown number is tried like a wrong PIN.
		return nil, fmt.Errorf("sign in %s offline: %w", number, desk.ErrSignInNeedsHub)
	}
	now := g.clock.Now()
	if wait := upstream.SignInRetryAfter(a.Failures, a.LastFailure, now); wait > 0 {
		return nil, fmt.Errorf("sign in %s offline: %w", number, &desk.SignInLockedError{RetryAfter: wait})
	}
	err := upstream.VerifyOffline(*a.Verifier, st.HubKey, deskID, number, pin, now)
	switch {
	case errors.Is(err, upstream.ErrWrongPIN):
		if now.Sub(a.LastFailure) > upstream.SignInWindow {
			a.Failures = 0
		}
		a.Failures++
		a.LastFailure = now
		if serr := g.save(st); serr != nil {
			return nil, serr
		}
		g.log.Warn("offline sign-in: wrong PIN", "agent_number", number, "failures", a.Failures)
		if wait := upstream.SignInRetryAfter(a.Failures, a.LastFailure, now); wait > 0 {
			return nil, fmt.Errorf("sign in %s offline: %w", number, &desk.SignInLockedError{RetryAfter: wait})
		}
		return nil, fmt.Errorf("sign in %s offline: %w", number, desk.ErrWrongPIN)
	case errors.Is(err, upstream.ErrVerifierExpired):
		return nil, fmt.Errorf("sign in %s offline: %w", number, desk.ErrSignInExpired)
	case err != nil:
		g.log.Error("offline verifier unusable", "agent_number", number, "error", err)
		return nil, fmt.Errorf("sign in %s offline: %w: %v", number, desk.ErrSignInNeedsHub, err)
	}
	if a.Failures > 0 {
		a.Failures, a.LastFailure = 0, time.Time{}
		if err := g.save(st); err != nil {
			return nil, err
		}
	}
	v := a.Verifier
	s := &Shift{
		Identity: desk.Identity{Number: v.Number, Name: v.Name, Role: roleOf(v.Role), Offline: true, Expires: v.Expires},
		Desk:     deskID,
		unlock:   seal.Agent{ID: number, Secret: seal.Secret(pin), Now: now},
	}
	g.log.Info("agent signed in offline", "agent_number", s.Number, "role", s.Role, "until", s.Expires)
	return s, nil
}

// OpenStore opens the desk's data file for the shift: a plain file is
// sealed on the way (behind the hub's desk key and the agent's PIN), a
// sealed one opens with either, and the agent's slot is renewed after an
// online sign-in. An offline agent whose slot is gone or expired gets
// desk.ErrSignInNeedsHub or desk.ErrSignInExpired.
func (g *Gate) OpenStore(s *Shift, opts ...store.Option) (*store.Store, error) {
	unlock := s.unlock
	if len(s.slots) > 0 {
		// Online, a file a desk without a hub sealed for its OS user opens
		// too (and loses that slot below); the OS slot is never made here.
		if ks, err := seal.SystemKeystore(); err == nil {
			if c, ok := ks.(io.Closer); ok {
				defer c.Close()
			}
			unlock = openOnly{open: []seal.Unlocker{s.unlock, seal.OS{Keystore: ks}}, wrap: s.unlock}
		}
	}
	st, err := store.Open(g.cfg.DataFile(), append(opts, store.WithUnlock(unlock))...)
	switch {
	case errors.Is(err, seal.ErrExpired):
		return nil, fmt.Errorf("open data file: %w", desk.ErrSignInExpired)
	case errors.Is(err, seal.ErrNoSlot), errors.Is(err, seal.ErrWrongSecret):
		// The PIN checked out against the verifier but not the slot: the
		// PIN changed on the hub since the slot was made here.
		return nil, fmt.Errorf("open data file: %w: %v", desk.ErrSignInNeedsHub, err)
	case err != nil:
		return nil, err
	}
	for _, u := range s.slots {
		if err := st.AddSlot(u); err != nil {
			st.Close()
			return nil, fmt.Errorf("open data file: renew key slot: %w", err)
		}
	}
	if len(s.slots) > 0 {
		// A desk that ran without a hub kept its key with the OS user;
		// with sign-in per shift, whoever logs in to the PC must not open
		// the file without a PIN.
		slots, err := st.Slots()
		if err == nil {
			for _, sl := range slots {
				if sl.Kind == seal.KindOS {
					err = errors.Join(err, st.RemoveSlot(sl.Kind, sl.Name))
				}
			}
		}
		if err != nil {
			g.log.Warn("remove the OS user's key slot", "error", err)
		}
	}
	return st, nil
}

// openOnly opens with any of its unlockers but makes slots (sealing a
// plain file) only with wrap's.
type openOnly struct {
	open []seal.Unlocker
	wrap seal.Unlocker
}

func (o openOnly) Unlock(slots []seal.Slot) ([]byte, error) { return seal.Any(o.open...).Unlock(slots) }
func (o openOnly) Wrap(dek []byte) ([]seal.Slot, error)     { return o.wrap.Wrap(dek) }

// SignOut ends the shift's session on the hub (best effort: a hub away
// lets the session end at its expiry).
func (g *Gate) SignOut(ctx context.Context, s *Shift) error {
	if s == nil || s.Session == "" {
		return nil
	}
	c, err := upstream.NewClient(g.cfg.Hub.URL, string(g.cfg.Hub.Token), nil, nil,
		append([]upstream.ClientOption{upstream.WithDesk(s.Desk), upstream.WithLogger(g.log), upstream.WithCAFile(g.cfg.Hub.CA)}, g.opts...)...)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, signInTimeout)
	defer cancel()
	if err := c.SignOut(cctx, string(s.Session)); err != nil && !errors.Is(err, upstream.ErrUnauthorized) {
		return err
	}
	g.log.Info("agent signed out", "agent_number", s.Number)
	return nil
}

// roleOf is the hub's role as the desk's.
func roleOf(r upstream.Role) agent.Role {
	if ar := agent.Role(r); ar.Valid() {
		return ar
	}
	return agent.RoleAgent
}

// deskKeyID names the desk key in the data file's hub slot: the first 8
// bytes of its SHA-256, so a new key from the hub gets a slot of its own.
func deskKeyID(key []byte) string {
	h := sha256.Sum256(key)
	return "desk-" + hex.EncodeToString(h[:8])
}

func (g *Gate) path() string { return filepath.Join(g.cfg.Data, FileName) }

func (g *Gate) load() (*state, error) {
	st := &state{}
	raw, err := os.ReadFile(g.path())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", g.path(), err)
	default:
		if err := json.Unmarshal(raw, st); err != nil {
			return nil, fmt.Errorf("read %s: %w", g.path(), err)
		}
	}
	if st.Agents == nil {
		st.Agents = map[string]*agentRecord{}
	}
	return st, nil
}

// save writes the state in one step (a crash leaves the old or the new).
func (g *Gate) save(st *state) error {
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := g.path() + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("save %s: %w", g.path(), err)
	}
	_, werr := f.Write(raw)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("save %s: %w", g.path(), werr)
	}
	if err := os.Rename(tmp, g.path()); err != nil {
		return fmt.Errorf("save %s: %w", g.path(), err)
	}
	return nil
}
