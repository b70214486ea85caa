package desk

import (
	"errors"
	"fmt"
	"time"

	"agentdesk/agent"
)

// Who is at the desk: agents sign in for their shift (agent number and
// PIN), checked by the hub when it answers and otherwise against what the
// hub issued at the agent's last online sign-in here. The signing in
// itself lives with the commands (it needs the hub's client and the data
// file's key slots); the desk and the window know the outcome and these
// refusals.

// Identity is the agent signed in at the desk.
type Identity struct {
	Number string
	Name   string
	Role   agent.Role
	// Offline says the hub could not be reached: the PIN was checked
	// against the hub's offline verifier, valid until Expires.
	Offline bool
	// Expires is when the sign-in ends: the end of the shift online, the
	// verifier's end offline.
	Expires time.Time
}

// Refusals of a sign-in.
var (
	// ErrWrongPIN: the agent number or PIN is wrong (not told apart).
	ErrWrongPIN = errors.New("wrong agent number or PIN")
	// ErrSignInNeedsHub: the hub cannot be reached and this agent never
	// signed in online at this desk (or so long ago that nothing is kept).
	ErrSignInNeedsHub = errors.New("the hub cannot be reached and this agent has not signed in here online before")
	// ErrSignInExpired: the hub cannot be reached and the agent's offline
	// sign-in has run out (the center's offline lifetime).
	ErrSignInExpired = errors.New("the offline sign-in has expired: the hub must be reached to sign in")
	// ErrAgentDisabled: the agent's account is disabled on the hub.
	ErrAgentDisabled = errors.New("agent account disabled")
	// ErrDeskRefused: the hub refused this desk's own token (revoked,
	// expired, or bound to another desk).
	ErrDeskRefused = errors.New("the hub refused this desk's token")
	// ErrHubKeyChanged: the hub signs with another key than the one this
	// desk pinned; offline sign-in would not be safe.
	ErrHubKeyChanged = errors.New("the hub's signing key is not the one this desk trusts")
)

// SignInLockedError is a sign-in refused while the agent number (or the
// desk's address) is locked after wrong PINs; RetryAfter says how long.
type SignInLockedError struct {
	RetryAfter time.Duration
}

func (e *SignInLockedError) Error() string {
	return fmt.Sprintf("sign-in locked after wrong PINs: try again in %s", e.RetryAfter.Round(time.Second))
}
