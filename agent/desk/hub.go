package desk

import (
	"context"
	"errors"
	"strings"
	"time"

	"agentdesk/scripts"
)

// Hub is the desk's link to the hub (cmd/internal/hublink implements it on
// agent/upstream's client). The desk calls it from command goroutines,
// never from its own. Refusals come back as a *HubError wrapping one of
// the ErrHub sentinels.
type Hub interface {
	// Publish sends a trainer's pack to the hub: a new version, pending
	// review.
	Publish(ctx context.Context, name string, data []byte) (PackVersion, error)
	// PackHistory lists every version of lang's pack ("" = every
	// language), newest first, without their texts.
	PackHistory(ctx context.Context, lang string) ([]PackVersion, error)
	// PackDiff is a version's text against the live version of its
	// language.
	PackDiff(ctx context.Context, version int64) (PackDiff, error)
	// ReviewPack approves or rejects a pending version (a rejection needs
	// a reason) and returns it reviewed. The hub refuses the version's
	// own author (ErrHubOwnVersion) and a version already reviewed or
	// older than the live one (ErrHubConflict).
	ReviewPack(ctx context.Context, version int64, approve bool, reason string) (PackVersion, error)
	// RollbackPack makes an approved version live again, as a new approved
	// version copying its text, and returns that new version; the hub
	// refuses a version never approved or already live (ErrHubConflict).
	RollbackPack(ctx context.Context, version int64, reason string) (PackVersion, error)
	// Checks are the hub's items of the self-check (reachable, token,
	// outbox, clock).
	Checks(ctx context.Context) []Check
}

// The states of a pack version on the hub (PackVersion.State): published
// pending, then approved or rejected once and for good.
const (
	PackPending  = "pending"
	PackApproved = "approved"
	PackRejected = "rejected"
)

// PackVersion is a pack version as the hub keeps it: who wrote it and when,
// its review, and whether it is the live one desks apply.
type PackVersion struct {
	Version int64
	Lang    string
	Name    string
	// State is PackPending, PackApproved or PackRejected; empty when the
	// hub does not review.
	State string
	// Live marks the newest approved version of Lang: what desks apply.
	Live bool
	// At is when it was published and By who wrote it (hub clock).
	At time.Time
	By string
	// ReviewedBy approved or rejected it at ReviewedAt, saying Reason
	// (always given for a rejection and a rollback).
	ReviewedBy string
	ReviewedAt time.Time
	Reason     string
	// RollbackOf is the version whose text a rollback copies (0 when it is
	// not a rollback).
	RollbackOf int64
	// Size is the file's length in bytes.
	Size int
}

// PackDiff is a version's text against the live version of its language:
// Text is a unified line diff, the live version first ("" when the two are
// the same); Live is 0 when the language has no live version (every line
// is then added).
type PackDiff struct {
	Version int64
	Lang    string
	Live    int64
	Text    string
}

// The kinds of a diff line.
const (
	DiffSame    = "same"    // a line both versions have
	DiffAdded   = "added"   // a line only the version has
	DiffRemoved = "removed" // a line only the live version has
	DiffHunk    = "hunk"    // "@@ -a,b +c,d @@": where the lines below are
	DiffHeader  = "header"  // "--- live" and "+++ version"
	DiffNote    = "note"    // "\\ No newline at end of file"
)

// DiffLine is one line of a diff: its kind and its text without the
// leading mark.
type DiffLine struct {
	Kind string
	Text string
}

// Lines cuts the diff into lines, each with its kind (the headers are the
// lines before the first hunk).
func (d PackDiff) Lines() []DiffLine {
	if d.Text == "" {
		return nil
	}
	var out []DiffLine
	inHunk := false
	for _, l := range strings.Split(strings.TrimSuffix(d.Text, "\n"), "\n") {
		switch {
		case !inHunk && (strings.HasPrefix(l, "--- ") || strings.HasPrefix(l, "+++ ")):
			out = append(out, DiffLine{Kind: DiffHeader, Text: l[4:]})
		case strings.HasPrefix(l, "@@ "):
			inHunk = true
			out = append(out, DiffLine{Kind: DiffHunk, Text: l})
		case strings.HasPrefix(l, "+"):
			out = append(out, DiffLine{Kind: DiffAdded, Text: l[1:]})
		case strings.HasPrefix(l, "-"):
			out = append(out, DiffLine{Kind: DiffRemoved, Text: l[1:]})
		case strings.HasPrefix(l, "\\"):
			out = append(out, DiffLine{Kind: DiffNote, Text: strings.TrimSpace(l[1:])})
		default:
			out = append(out, DiffLine{Kind: DiffSame, Text: strings.TrimPrefix(l, " ")})
		}
	}
	return out
}

// Counts are how many lines the diff adds and removes.
func (d PackDiff) Counts() (added, removed int) {
	for _, l := range d.Lines() {
		switch l.Kind {
		case DiffAdded:
			added++
		case DiffRemoved:
			removed++
		}
	}
	return added, removed
}

// Errors a Hub returns, so the window says what went wrong in the agent's
// language. A *HubError carries the hub's own words.
var (
	ErrHubUnreachable = errors.New("hub unreachable")
	ErrHubToken       = errors.New("hub does not accept the token")
	ErrHubRole        = errors.New("the token's role may not do this")
	ErrHubRefused     = errors.New("hub refused the request")
	// ErrHubOwnVersion: the author of a pack version may not review it; a
	// supervisor or another trainer does.
	ErrHubOwnVersion = errors.New("the author of a pack version may not review it")
	// ErrHubConflict: the version is no longer in a state the request
	// needs (already reviewed, older than the live one, never approved,
	// already live).
	ErrHubConflict = errors.New("the pack version's state does not allow this")
	// ErrHubNoLiveCall: the agent asked for has no call in progress on a
	// desk the hub hears from (or another supervisor is on it:
	// ErrHubMonitored).
	ErrHubNoLiveCall = errors.New("the agent has no live call")
	// ErrHubMonitored: another supervisor is on that call already.
	ErrHubMonitored = errors.New("another supervisor is on that call")
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
