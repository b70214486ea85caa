package upstream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Errors of the client's sign-in.
var (
	// ErrNoDesk is returned by SignIn of a client that knows no desk ID
	// (neither WithDesk nor an outbox).
	ErrNoDesk = errors.New("this hub client has no desk ID")
	// ErrHubKeyChanged is returned by SignIn when the hub's key is not the
	// one pinned with WithPinnedHubKey: the offline verifier it sent is
	// not to be kept (another hub, or someone in between).
	ErrHubKeyChanged = errors.New("hub signing key differs from the pinned one")
	// ErrBadSignIn is returned by SignIn when the hub's answer is not a
	// usable sign-in (a desk key of the wrong size, a verifier its own key
	// did not sign).
	ErrBadSignIn = errors.New("hub answered an unusable sign-in")
)

// WithDesk sets the desk ID a client without an outbox signs in for.
func WithDesk(id string) ClientOption { return func(c *Client) { c.desk = id } }

// WithPinnedHubKey makes SignIn refuse (ErrHubKeyChanged) a hub whose
// signing key is not pub: the key the desk pinned at its first online
// sign-in, or was given (hub key prints it).
func WithPinnedHubKey(pub ed25519.PublicKey) ClientOption {
	return func(c *Client) { c.pinned = pub }
}

func (c *Client) deskID() string {
	if c.desk != "" {
		return c.desk
	}
	if c.out != nil {
		return c.out.Desk()
	}
	return ""
}

// SignIn signs agent number in at this desk with pin (POST /v1/signin,
// sent with the client's token: the desk's own, role agent, bound to the
// desk). The result holds the session token, the agent, the SIP account
// when the agent has one, the offline verifier, the hub's public key and
// the desk key (see SignInResult); the client's own token is not changed
// (SetToken makes it send the session's).
//
// Before answering, SignIn checks that the desk key has 256 bits and that
// the verifier is this desk's and this agent's and signed by the hub key
// it came with, and by the pinned one (WithPinnedHubKey) if any.
//
// Refusals: ErrWrongPIN (number or PIN wrong; the two are not told apart),
// ErrSignInLocked (too many wrong PINs: the *HTTPError's RetryAfter says
// for how long), ErrAgentDisabled, ErrUnauthorized or ErrTokenExpired (the
// desk's token), ErrForbidden (a token that is no desk's, or another
// desk's), ErrRateLimited, ErrHubKeyChanged, ErrBadSignIn, ErrNoDesk, a
// *TLSError; and network errors, after which VerifyOffline with the
// verifier kept from the last sign-in is the desk's way in.
func (c *Client) SignIn(ctx context.Context, number, pin string) (SignInResult, error) {
	var res SignInResult
	desk := c.deskID()
	if desk == "" {
		return res, ErrNoDesk
	}
	req := SignInRequest{Number: number, PIN: Secret(pin), Desk: desk}
	if err := c.do(ctx, http.MethodPost, "/v1/signin", req, &res); err != nil {
		return SignInResult{}, fmt.Errorf("sign in %s: %w", number, err)
	}
	switch {
	case c.pinned != nil && !bytes.Equal(c.pinned, res.HubKey):
		return SignInResult{}, fmt.Errorf("sign in %s: %w: hub key %s, pinned %s", number, ErrHubKeyChanged, KeyID(res.HubKey), KeyID(c.pinned))
	case len(res.DeskKey) != DeskKeySize:
		return SignInResult{}, fmt.Errorf("sign in %s: %w: desk key of %d bytes", number, ErrBadSignIn, len(res.DeskKey))
	case res.Session == "":
		return SignInResult{}, fmt.Errorf("sign in %s: %w: no session token", number, ErrBadSignIn)
	}
	// The PIN is known good (the hub just said so): no hashing here.
	if err := res.Offline.check(res.HubKey, desk, number, res.Offline.Issued); err != nil {
		return SignInResult{}, fmt.Errorf("sign in %s: %w: offline verifier: %v", number, ErrBadSignIn, err)
	}
	return res, nil
}

// SignOut ends a session at once (POST /v1/signout, sent with the session
// token itself): the token is refused from then on and its streams close,
// on every hub. A session token already ended gets ErrUnauthorized, which
// a desk signing out may take as done.
func (c *Client) SignOut(ctx context.Context, session string) error {
	if err := c.sendAs(ctx, session, http.MethodPost, "/v1/signout", "", nil, nil); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// Rotate asks the hub for a new token for the client's own (POST
// /v1/token/rotate): the same principal (name, role, desk, agent) with a
// fresh expiry (a session keeps its shift's end), and from then on the
// client sends the new one. The old token keeps working for the hub's
// grace period (DefaultRotateGrace) and then ends; its streams close. Save
// the new token before dropping the old one. Rotating a token again
// within its grace period (an answer lost on the way) gives another new
// token and ends the one given before.
func (c *Client) Rotate(ctx context.Context) (newToken string, expires time.Time, err error) {
	var rot TokenRotation
	if err := c.do(ctx, http.MethodPost, "/v1/token/rotate", nil, &rot); err != nil {
		return "", time.Time{}, fmt.Errorf("rotate token: %w", err)
	}
	if rot.Token == "" {
		return "", time.Time{}, fmt.Errorf("rotate token: the hub answered no token")
	}
	c.SetToken(string(rot.Token))
	return string(rot.Token), rot.Expires, nil
}

// Customer reads one customer record, the hub's newest version (GET
// /v1/customers/{id}; supervisors only). The hub records the read in its
// audit before answering. An unknown ID gets ErrNotFound, any other role
// ErrForbidden.
func (c *Client) Customer(ctx context.Context, id string) (Record, error) {
	var r Record
	if err := c.do(ctx, http.MethodGet, "/v1/customers/"+url.PathEscape(id), nil, &r); err != nil {
		return r, fmt.Errorf("customer %s: %w", id, err)
	}
	return r, nil
}

// Audit reads a page of the hub's audit (GET /v1/audit; supervisors only):
// the entries after q.AfterID, or from q.Since, oldest first. Page on
// with AuditQuery{AfterID: page.Next} while page.More.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (AuditPage, error) {
	var page AuditPage
	v := url.Values{}
	switch {
	case q.AfterID > 0:
		v.Set("since", strconv.FormatInt(q.AfterID, 10))
	case !q.Since.IsZero():
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	path := "/v1/audit"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	if err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
		return page, fmt.Errorf("audit: %w", err)
	}
	return page, nil
}
