package upstream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Publish sends a trainer's script pack file to the hub (POST /v1/packs)
// under the file name name, and returns the new version, pending review:
// desks get it only once it is approved. The hub validates it as desks
// parse it: a pack with problems is refused with an error matching
// ErrInvalid whose *HTTPError names every problem, file:line first. A
// token that may not publish (any but a trainer's) gets ErrForbidden.
func (c *Client) Publish(ctx context.Context, name string, data []byte) (PackVersion, error) {
	var v PackVersion
	q := url.Values{"name": {name}}
	if err := c.send(ctx, http.MethodPost, "/v1/packs?"+q.Encode(), "application/toml", bytes.NewReader(data), true, &v); err != nil {
		return v, fmt.Errorf("publish %s: %w", name, err)
	}
	return v, nil
}

// Review approves or rejects a pending pack version (POST
// /v1/packs/{version}/review) and returns it reviewed; approved, it is the
// live pack of its language from the desks' next round. reason is
// required to reject. Refusals, with nothing changed: ErrOwnVersion (which
// also matches ErrForbidden) for the version's author, ErrForbidden for an
// agent's token, ErrNotFound for an unknown version, ErrConflict for a
// version already reviewed or older than the live one, ErrInvalid for a
// rejection without a reason.
func (c *Client) Review(ctx context.Context, version int64, approve bool, reason string) (PackVersion, error) {
	var v PackVersion
	if err := c.do(ctx, http.MethodPost, packPath(version, "/review"), PackReview{Approve: approve, Reason: reason}, &v); err != nil {
		verb := "approve"
		if !approve {
			verb = "reject"
		}
		return v, fmt.Errorf("%s pack version %d: %w", verb, version, err)
	}
	return v, nil
}

// History lists every version of lang's pack ("" = every language), newest
// first, with who wrote and reviewed each and when, and which is live; the
// texts are left out (Pack has them). An agent's token gets ErrForbidden.
func (c *Client) History(ctx context.Context, lang string) ([]PackVersion, error) {
	var vs []PackVersion
	path := "/v1/packs"
	if lang != "" {
		path += "?" + url.Values{"lang": {lang}}.Encode()
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &vs); err != nil {
		return nil, fmt.Errorf("pack history %s: %w", lang, err)
	}
	return vs, nil
}

// Pack returns one pack version with its text (GET /v1/packs/{version}),
// or an error matching ErrNotFound.
func (c *Client) Pack(ctx context.Context, version int64) (PackVersion, error) {
	var v PackVersion
	if err := c.do(ctx, http.MethodGet, packPath(version, ""), nil, &v); err != nil {
		return v, fmt.Errorf("pack version %d: %w", version, err)
	}
	return v, nil
}

// Diff returns a pack version's text against the live version of its
// language as a unified diff (GET /v1/packs/{version}/diff); an unknown
// version gets ErrNotFound.
func (c *Client) Diff(ctx context.Context, version int64) (PackDiff, error) {
	var d PackDiff
	if err := c.do(ctx, http.MethodGet, packPath(version, "/diff"), nil, &d); err != nil {
		return d, fmt.Errorf("diff pack version %d: %w", version, err)
	}
	return d, nil
}

// Rollback makes an approved pack version live again (POST
// /v1/packs/{version}/rollback): the hub appends a new approved version
// copying its text (RollbackOf = version), which desks pull as the newest.
// reason is required. Refusals, with nothing changed: ErrForbidden for an
// agent's token, ErrNotFound for an unknown version, ErrConflict for a
// version never approved or already live, ErrInvalid without a reason or
// for a text that no longer validates.
func (c *Client) Rollback(ctx context.Context, version int64, reason string) (PackVersion, error) {
	var v PackVersion
	if err := c.do(ctx, http.MethodPost, packPath(version, "/rollback"), PackRollback{Reason: reason}, &v); err != nil {
		return v, fmt.Errorf("roll back to pack version %d: %w", version, err)
	}
	return v, nil
}

func packPath(version int64, tail string) string {
	return "/v1/packs/" + strconv.FormatInt(version, 10) + tail
}
