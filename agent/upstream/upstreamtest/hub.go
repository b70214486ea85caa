package upstreamtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
)

// Hub is an in-memory upstream.Backend for tests of clients and of the
// handler: tokens the test adds (expired ones refused as the hub does),
// pushes judged by upstream.Decide, pack versions reviewed by
// upstream.CheckReview and CheckRollback, a board the test sets, change
// notices the test sends to open streams, agents who sign in (wrong PINs
// counted by upstream.SignInRetryAfter, verifiers signed by a key of its
// own), and an audit of what it served, center settings and callback
// tasks the test puts (pulled per agent as the hub allows). Safe for
// concurrent use.
type Hub struct {
	mu       sync.Mutex
	tokens   map[string]upstream.Principal
	nextTok  int64
	agents   map[string]*memAgent
	key      ed25519.PrivateKey
	desks    map[string]upstream.Key
	audit    []upstream.AuditEntry
	ends     map[int64][]chan string
	records  map[recordKey]upstream.Copy
	revs     map[recordKey]int64
	rev      int64
	live     map[string]upstream.LiveReport
	packs    []upstream.PackVersion // index i holds version i+1
	board    upstream.Board
	subs     map[chan upstream.Change]struct{}
	down     error
	settings *upstream.Settings
	supv     *supervision
}

type recordKey struct {
	kind agent.Kind
	id   string
}

var _ upstream.Backend = (*Hub)(nil)

// NewHub returns a hub with no tokens, no records and an empty board.
func NewHub() *Hub {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return &Hub{tokens: map[string]upstream.Principal{}, records: map[recordKey]upstream.Copy{}, revs: map[recordKey]int64{},
		live: map[string]upstream.LiveReport{}, subs: map[chan upstream.Change]struct{}{},
		agents: map[string]*memAgent{}, key: key, desks: map[string]upstream.Key{}, ends: map[int64][]chan string{}}
}

// AddToken makes token resolve to p. A p without a TokenID gets one; a p
// with Expires is refused after it (ErrTokenExpired).
func (h *Hub) AddToken(token string, p upstream.Principal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextTok++
	if p.TokenID == 0 {
		p.TokenID = 1000 + h.nextTok
	}
	h.tokens[token] = p
}

// EndToken drops token and ends its open streams with reason, as a
// revocation on the hub does.
func (h *Hub) EndToken(token, reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.tokens[token]
	if !ok {
		return
	}
	delete(h.tokens, token)
	h.endLocked(p.TokenID, reason)
}

func (h *Hub) endLocked(id int64, reason string) {
	for _, ch := range h.ends[id] {
		ch <- reason
	}
	delete(h.ends, id)
}

// HubKey is the public key the hub signs offline verifiers with.
func (h *Hub) HubKey() ed25519.PublicKey { return h.key.Public().(ed25519.PublicKey) }

// memAgent is an agent account of the in-memory hub.
type memAgent struct {
	info     upstream.AgentInfo
	pin      string
	sip      *upstream.SIPAccount
	disabled bool
	fails    int
	lastFail time.Time
}

// AddAgent makes an agent account that signs in with pin; sip, if not
// nil, is handed to its desk.
func (h *Hub) AddAgent(a upstream.AgentInfo, pin string, sip *upstream.SIPAccount) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.agents[a.Number] = &memAgent{info: a, pin: pin, sip: sip}
}

// DisableAgent disables an account: its right PIN gets ErrAgentDisabled.
func (h *Hub) DisableAgent(number string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if a := h.agents[number]; a != nil {
		a.disabled = true
	}
}

// AuditLog returns every audit entry, oldest first.
func (h *Hub) AuditLog() []upstream.AuditEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.audit)
}

// memArgon2 is a cheap cost for the in-memory hub's verifiers.
var memArgon2 = upstream.Argon2Params{Time: 1, Memory: 64, Threads: 1}

// newTokenLocked makes a random token for p. h.mu is held.
func (h *Hub) newTokenLocked(p upstream.Principal) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "mem_" + hex.EncodeToString(b)
	h.nextTok++
	p.TokenID = 1000 + h.nextTok
	h.tokens[tok] = p
	return tok
}

func (h *Hub) auditLocked(p upstream.Principal, action upstream.AuditAction, kind, subject string) {
	h.audit = append(h.audit, upstream.AuditEntry{ID: int64(len(h.audit) + 1), At: time.Now(), Action: action, Actor: p.Name, Role: p.Role,
		Agent: p.Agent, Desk: p.Desk, Addr: p.Addr, SubjectKind: kind, Subject: subject})
}

// SignIn checks the agent's PIN and starts a session at p's desk.
func (h *Hub) SignIn(_ context.Context, p upstream.Principal, req upstream.SignInRequest) (upstream.SignInResult, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	a := h.agents[req.Number]
	if a != nil {
		if d := upstream.SignInRetryAfter(a.fails, a.lastFail, now); d > 0 {
			h.auditLocked(p, upstream.AuditSignInLocked, "agent", req.Number)
			return upstream.SignInResult{}, &upstream.LockedError{RetryAfter: d, Why: "agent number"}
		}
	}
	if a == nil || a.pin != string(req.PIN) {
		if a != nil {
			a.fails++
			a.lastFail = now
		}
		h.auditLocked(p, upstream.AuditSignInFail, "agent", req.Number)
		return upstream.SignInResult{}, upstream.ErrWrongPIN
	}
	if a.disabled {
		h.auditLocked(p, upstream.AuditSignInOff, "agent", req.Number)
		return upstream.SignInResult{}, upstream.ErrAgentDisabled
	}
	a.fails = 0
	exp := now.Add(upstream.DefaultShift)
	tok := h.newTokenLocked(upstream.Principal{Name: a.info.Name, Role: a.info.Role, Desk: req.Desk, Kind: upstream.TokenSession, Agent: a.info.Number, Expires: exp})
	key, ok := h.desks[req.Desk]
	if !ok {
		key = make(upstream.Key, upstream.DeskKeySize)
		_, _ = rand.Read(key)
		h.desks[req.Desk] = key
	}
	salt := make([]byte, upstream.PINSaltSize)
	_, _ = rand.Read(salt)
	v := upstream.SignOffline(upstream.OfflineVerifier{Number: a.info.Number, Name: a.info.Name, Role: a.info.Role, Desk: req.Desk,
		KDF: memArgon2, Salt: salt, Hash: upstream.HashPIN(a.pin, salt, memArgon2), Issued: now, Expires: now.Add(upstream.DefaultOfflineTTL)}, h.key)
	h.auditLocked(p, upstream.AuditSignIn, "agent", req.Number)
	return upstream.SignInResult{Session: upstream.Secret(tok), Expires: exp, Agent: a.info, SIP: a.sip, Offline: v,
		HubKey: h.HubKey(), DeskKey: slices.Clone(key)}, nil
}

// SignOut ends p's session.
func (h *Hub) SignOut(_ context.Context, p upstream.Principal) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for tok, q := range h.tokens {
		if q.TokenID == p.TokenID {
			delete(h.tokens, tok)
		}
	}
	h.auditLocked(p, upstream.AuditSignOut, "token", fmt.Sprint(p.TokenID))
	h.endLocked(p.TokenID, upstream.EndSignedOut)
	return nil
}

// RotateToken gives p's principal a new token and drops p's at once (the
// in-memory hub has no grace period).
func (h *Hub) RotateToken(_ context.Context, p upstream.Principal) (upstream.TokenRotation, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for tok, q := range h.tokens {
		if q.TokenID == p.TokenID {
			delete(h.tokens, tok)
		}
	}
	np := p
	np.Addr = ""
	if p.Kind != upstream.TokenSession {
		np.Expires = time.Now().Add(upstream.DefaultTokenTTL)
	}
	tok := h.newTokenLocked(np)
	h.auditLocked(p, upstream.AuditTokenRotate, "token", fmt.Sprint(p.TokenID))
	h.endLocked(p.TokenID, upstream.EndRotated)
	return upstream.TokenRotation{Token: upstream.Secret(tok), Expires: np.Expires, OldUntil: time.Now()}, nil
}

// TokenEnded delivers EndToken's, SignOut's and RotateToken's reason.
func (h *Hub) TokenEnded(ctx context.Context, p upstream.Principal) <-chan string {
	ch := make(chan string, 1)
	h.mu.Lock()
	h.ends[p.TokenID] = append(h.ends[p.TokenID], ch)
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		defer h.mu.Unlock()
		h.ends[p.TokenID] = slices.DeleteFunc(h.ends[p.TokenID], func(c chan string) bool { return c == ch })
	}()
	return ch
}

// Customer returns a stored customer, audited.
func (h *Hub) Customer(_ context.Context, p upstream.Principal, id string) (upstream.Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := recordKey{agent.KindCustomer, id}
	c, ok := h.records[k]
	if !ok || c.Deleted {
		return upstream.Record{}, fmt.Errorf("%w: no customer %s", upstream.ErrNotFound, id)
	}
	h.auditLocked(p, upstream.AuditCustomerRead, "customer", id)
	return upstream.Record{Seq: uint64(h.revs[k]), Kind: agent.KindCustomer, ID: id, Version: c.Version, Body: c.Body}, nil
}

// Audit returns the audit entries after q.AfterID or from q.Since.
func (h *Hub) Audit(_ context.Context, q upstream.AuditQuery) (upstream.AuditPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	page := upstream.AuditPage{Next: q.AfterID}
	limit := q.Limit
	if limit == 0 {
		limit = 100
	}
	for _, e := range h.audit {
		if e.ID <= q.AfterID || e.At.Before(q.Since) {
			continue
		}
		if len(page.Entries) == limit {
			page.More = true
			break
		}
		page.Entries = append(page.Entries, e)
		page.Next = e.ID
	}
	return page, nil
}

// SetBoard replaces the board and tells every open stream (as an alert
// would, so the stream sends it at once).
func (h *Hub) SetBoard(b upstream.Board) {
	h.mu.Lock()
	h.board = b
	h.mu.Unlock()
	h.Notify(upstream.Change{Alert: true})
}

// Notify sends c to every open stream.
func (h *Hub) Notify(c upstream.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- c:
		default:
		}
	}
}

// SetDown makes Ping (and so /healthz) fail with err; nil brings it back.
func (h *Hub) SetDown(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.down = err
}

// Packs returns every pack version, oldest first, with its text.
func (h *Hub) Packs() []upstream.PackVersion {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]upstream.PackVersion, len(h.packs))
	for i := range h.packs {
		out[i] = h.withLive(h.packs[i])
	}
	return out
}

// LastLive returns the last live report of desk.
func (h *Hub) LastLive(desk string) (upstream.LiveReport, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.live[desk]
	return r, ok
}

// Stored returns the hub's copy of a record.
func (h *Hub) Stored(kind agent.Kind, id string) (upstream.Copy, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := h.records[recordKey{kind, id}]
	return c, ok
}

// Authenticate resolves a token added with AddToken or made by a sign-in.
func (h *Hub) Authenticate(_ context.Context, token string) (upstream.Principal, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.tokens[token]
	if !ok {
		return p, upstream.ErrUnauthorized
	}
	if !p.Expires.IsZero() && !time.Now().Before(p.Expires) {
		return upstream.Principal{}, upstream.ErrTokenExpired
	}
	return p, nil
}

// Push judges each record with upstream.Decide and stores the winners.
func (h *Hub) Push(_ context.Context, p upstream.Principal, req upstream.PushRequest) (upstream.PushResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var resp upstream.PushResponse
	if p.Desk != "" && p.Desk != req.Desk {
		return resp, fmt.Errorf("%w: token is bound to another desk than %q", upstream.ErrForbidden, req.Desk)
	}
	for _, r := range req.Records {
		k := recordKey{r.Kind, r.ID}
		in := upstream.CopyOf(r, req.Desk)
		var stored *upstream.Copy
		if c, ok := h.records[k]; ok {
			stored = &c
		}
		switch o, reason := upstream.Decide(in, stored); o {
		case upstream.OutcomeStored:
			h.rev++
			h.records[k], h.revs[k] = in, h.rev
			resp.Stored++
		case upstream.OutcomeDuplicate:
			resp.Duplicates++
		case upstream.OutcomeStale:
			resp.Stale++
		case upstream.OutcomeConflict:
			resp.Conflicts = append(resp.Conflicts, upstream.Conflict{Seq: r.Seq, Kind: r.Kind, ID: r.ID, Version: r.Version, Reason: reason})
		}
		resp.AckSeq = max(resp.AckSeq, r.Seq)
	}
	return resp, nil
}

// Live keeps the report as the desk's last (and, under a session, the
// agent signed in at the desk).
func (h *Hub) Live(_ context.Context, p upstream.Principal, r upstream.LiveReport) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live[r.Desk] = r
	if p.Kind == upstream.TokenSession {
		h.sup().liveAgent[r.Desk] = p.Agent
	}
	return nil
}

// Customers returns stored customers changed after since, in change order.
func (h *Hub) Customers(_ context.Context, _ upstream.Principal, since int64, limit int) (upstream.CustomerPage, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	page := upstream.CustomerPage{Next: since}
	var keys []recordKey
	for k, rev := range h.revs {
		if k.kind == agent.KindCustomer && rev > since {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b recordKey) int { return int(h.revs[a] - h.revs[b]) })
	for i, k := range keys {
		if i == limit {
			page.More = true
			break
		}
		c := h.records[k]
		page.Customers = append(page.Customers, upstream.Record{Seq: uint64(h.revs[k]), Kind: k.kind, ID: k.id, Version: c.Version, Deleted: c.Deleted, Body: c.Body})
		page.Next = h.revs[k]
	}
	return page, nil
}

// liveVersion is the live version of lang, 0 if none. h.mu is held.
func (h *Hub) liveVersion(lang string) int64 {
	for i := len(h.packs) - 1; i >= 0; i-- {
		if v := h.packs[i]; v.Lang == lang && v.State == upstream.PackApproved {
			return v.Version
		}
	}
	return 0
}

func (h *Hub) withLive(v upstream.PackVersion) upstream.PackVersion {
	v.Live = v.State == upstream.PackApproved && h.liveVersion(v.Lang) == v.Version
	return v
}

// version finds a version. h.mu is held.
func (h *Hub) version(id int64) (*upstream.PackVersion, error) {
	if id < 1 || id > int64(len(h.packs)) {
		return nil, fmt.Errorf("%w: no pack version %d", upstream.ErrNotFound, id)
	}
	return &h.packs[id-1], nil
}

// LatestPack returns the live pack of lang: its newest approved version.
func (h *Hub) LatestPack(_ context.Context, lang string) (upstream.Pack, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id := h.liveVersion(lang); id != 0 {
		return h.packs[id-1].Pack(), nil
	}
	return upstream.Pack{}, fmt.Errorf("%w: no pack approved for %q", upstream.ErrNotFound, lang)
}

// PublishPack keeps pk as the next version, pending.
func (h *Hub) PublishPack(_ context.Context, p upstream.Principal, pk upstream.Pack) (upstream.PackVersion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v := upstream.PackVersion{Version: int64(len(h.packs) + 1), Lang: pk.Lang, Name: pk.Name, State: upstream.PackPending,
		Author: p.Name, CreatedAt: pk.PublishedAt, Size: len(pk.Data), Data: slices.Clone(pk.Data)}
	h.packs = append(h.packs, v)
	v.Data = nil
	return v, nil
}

// Pack returns one version with its text.
func (h *Hub) Pack(_ context.Context, id int64) (upstream.PackVersion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := h.version(id)
	if err != nil {
		return upstream.PackVersion{}, err
	}
	return h.withLive(*v), nil
}

// PackHistory returns the versions of lang ("" = all), newest first.
func (h *Hub) PackHistory(_ context.Context, lang string) ([]upstream.PackVersion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []upstream.PackVersion
	for i := len(h.packs) - 1; i >= 0; i-- {
		if v := h.packs[i]; lang == "" || v.Lang == lang {
			v.Data = nil
			out = append(out, h.withLive(v))
		}
	}
	return out, nil
}

// ReviewPack reviews a pending version as upstream.CheckReview allows.
func (h *Hub) ReviewPack(_ context.Context, p upstream.Principal, id int64, r upstream.PackReview, at time.Time) (upstream.PackVersion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := h.version(id)
	if err != nil {
		return upstream.PackVersion{}, err
	}
	if err := upstream.CheckReview(*v, h.liveVersion(v.Lang), p.Name, r); err != nil {
		return upstream.PackVersion{}, err
	}
	v.State = upstream.PackRejected
	if r.Approve {
		v.State = upstream.PackApproved
	}
	v.ReviewedBy, v.ReviewedAt, v.Reason = p.Name, at, r.Reason
	out := h.withLive(*v)
	out.Data = nil
	return out, nil
}

// RollbackPack appends an approved copy of an approved version, as
// upstream.CheckRollback allows.
func (h *Hub) RollbackPack(_ context.Context, p upstream.Principal, id int64, reason string, at time.Time) (upstream.PackVersion, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old, err := h.version(id)
	if err != nil {
		return upstream.PackVersion{}, err
	}
	if err := upstream.CheckRollback(*old, h.liveVersion(old.Lang), reason); err != nil {
		return upstream.PackVersion{}, err
	}
	v := upstream.PackVersion{Version: int64(len(h.packs) + 1), Lang: old.Lang, Name: old.Name, State: upstream.PackApproved,
		Author: p.Name, CreatedAt: at, ReviewedBy: p.Name, ReviewedAt: at, Reason: reason, RollbackOf: id,
		Size: old.Size, Data: old.Data}
	h.packs = append(h.packs, v)
	v.Live, v.Data = true, nil
	return v, nil
}

// Board returns the board set with SetBoard, as it was set.
func (h *Hub) Board(context.Context, time.Time) (upstream.Board, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.board, nil
}

// Watch delivers Notify's changes until ctx ends.
func (h *Hub) Watch(ctx context.Context) <-chan upstream.Change {
	ch := make(chan upstream.Change, 16)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
		close(ch)
	}()
	return ch
}

// Ping fails with the error given to SetDown.
func (h *Hub) Ping(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down != nil {
		return errors.Join(errors.New("hub down"), h.down)
	}
	return nil
}
