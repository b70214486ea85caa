package upstreamtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
)

// Hub is an in-memory upstream.Backend for tests of clients and of the
// handler: tokens the test adds, pushes judged by upstream.Decide, pack
// versions reviewed by upstream.CheckReview and CheckRollback, a board the
// test sets, and change notices the test sends to open streams. Safe for
// concurrent use.
type Hub struct {
	mu      sync.Mutex
	tokens  map[string]upstream.Principal
	records map[recordKey]upstream.Copy
	revs    map[recordKey]int64
	rev     int64
	live    map[string]upstream.LiveReport
	packs   []upstream.PackVersion // index i holds version i+1
	board   upstream.Board
	subs    map[chan upstream.Change]struct{}
	down    error
}

type recordKey struct {
	kind agent.Kind
	id   string
}

var _ upstream.Backend = (*Hub)(nil)

// NewHub returns a hub with no tokens, no records and an empty board.
func NewHub() *Hub {
	return &Hub{tokens: map[string]upstream.Principal{}, records: map[recordKey]upstream.Copy{}, revs: map[recordKey]int64{},
		live: map[string]upstream.LiveReport{}, subs: map[chan upstream.Change]struct{}{}}
}

// AddToken makes token resolve to p.
func (h *Hub) AddToken(token string, p upstream.Principal) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens[token] = p
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

// Authenticate resolves a token added with AddToken.
func (h *Hub) Authenticate(_ context.Context, token string) (upstream.Principal, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.tokens[token]
	if !ok {
		return p, upstream.ErrUnauthorized
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

// Live keeps the report as the desk's last.
func (h *Hub) Live(_ context.Context, _ upstream.Principal, r upstream.LiveReport) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.live[r.Desk] = r
	return nil
}

// Customers returns stored customers changed after since, in change order.
func (h *Hub) Customers(_ context.Context, since int64, limit int) (upstream.CustomerPage, error) {
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
