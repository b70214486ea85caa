package desk

import (
	"context"
	"errors"
	"time"

	"agentdesk/scripts"
)

// Hub is the desk's link to the hub (cmd/internal/hublink implements it on
// agent/upstream's client). The desk calls it from command goroutines,
// never from its own.
type Hub interface {
	// Publish sends a trainer's pack to the hub.
	Publish(ctx context.Context, name string, data []byte) (PackVersion, error)
	// Checks are the hub's items of the self-check (reachable, token,
	// outbox, clock).
	Checks(ctx context.Context) []Check
}

// PackVersion is a pack as the hub keeps it.
type PackVersion struct {
	Version int64
	Lang    string
	Name    string
	// State is "pending" (awaiting review), "approved", "rejected" or
	// "live"; empty when the hub does not review.
	State string
	At    time.Time
	By    string
}

// Errors a Hub returns, so the window says what went wrong in the agent's
// language. A *HubError carries the hub's own words.
var (
	ErrHubUnreachable = errors.New("hub unreachable")
	ErrHubToken       = errors.New("hub does not accept the token")
	ErrHubRole        = errors.New("the token's role may not do this")
	ErrHubRefused     = errors.New("hub refused the request")
)

// HubError is a hub refusal: one of the ErrHub sentinels and the hub's reason.
type HubError struct {
	Err    error
	Detail string
}

func (e *HubError) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the sentinel.
func (e *HubError) Unwrap() error { return e.Err }

// SetBoard shows the hub's board (nil: the hub's stream is lost, show this
// desk's own until it is back).
func (d *Desk) SetBoard(b *Board) error {
	var cp *Board
	if b != nil {
		c := *b
		c.FromHub = true
		cp = &c
	}
	if !d.do(func() { d.board = cp; d.publish() }) {
		return ErrClosed
	}
	return nil
}

// SetPack puts p in place of its language's pack (a pack published on the
// hub, pulled by the sync), from the next call on; calls already ringing
// keep the line they popped with.
func (d *Desk) SetPack(p *scripts.Pack, info PackInfo) error {
	if p == nil {
		return errors.New("set pack: no pack")
	}
	info.Lang = p.Lang()
	if !d.do(func() {
		d.packMu.Lock()
		d.packs[p.Lang()] = p
		d.packInfo[p.Lang()] = info
		d.packMu.Unlock()
		d.publish()
	}) {
		return ErrClosed
	}
	return nil
}

// infoOf is the pack info shown for lang.
func (d *Desk) infoOf(lang string) PackInfo {
	d.packMu.Lock()
	defer d.packMu.Unlock()
	if i, ok := d.packInfo[lang]; ok {
		return i
	}
	if p := d.packForLocked(lang); p != nil {
		return PackInfo{Lang: p.Lang(), Name: p.File()}
	}
	return PackInfo{Lang: lang}
}
