package upstream

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// The hub as a trust boundary: tokens that expire and rotate, agents who
// sign in per shift at a desk, and the audit of who read what. The wire
// types and sentinels are here; the offline verifier in offline.go; the
// handlers in server_trust.go; the client in client_trust.go.

// TokenKind says how a token was made.
type TokenKind string

// The kinds of token.
const (
	// TokenDevice is a token made by an administrator (hub token add): a
	// desk PC's credential (role agent, bound to its desk), a supervisor's
	// or trainer's tool, a wallboard screen.
	TokenDevice TokenKind = "device"
	// TokenSession is a token made by a sign-in at a desk: the signed-in
	// agent's, with the agent's role, bound to that desk, ending at the end
	// of the shift, at sign-out, or when revoked.
	TokenSession TokenKind = "session"
)

// Token lifetimes the hub uses unless told otherwise.
const (
	// DefaultTokenTTL is how long a token made by hub token add lasts.
	DefaultTokenTTL = 90 * 24 * time.Hour
	// DefaultShift is how long a session token lasts: one shift.
	DefaultShift = 12 * time.Hour
	// DefaultOfflineTTL is how long an offline verifier lets a desk check
	// an agent's PIN without the hub.
	DefaultOfflineTTL = 7 * 24 * time.Hour
	// DefaultRotateGrace is how long a rotated token keeps working beside
	// its successor, so requests and streams already under way finish.
	DefaultRotateGrace = time.Minute
)

// Errors of tokens and sign-in. The handler answers each with its own
// code (ErrorBody); the client's *HTTPError matches them with errors.Is.
var (
	// ErrTokenExpired is returned by Authenticate for a token past its
	// expiry. It matches ErrUnauthorized too: an expired token is refused
	// like an unknown one, with the code "expired".
	ErrTokenExpired = fmt.Errorf("%w: token expired", ErrUnauthorized)
	// ErrWrongPIN is returned by a sign-in whose agent number or PIN is
	// wrong (the two are not told apart), and by VerifyOffline for a PIN
	// that is not the verifier's. It does not match ErrUnauthorized: the
	// desk's own token was fine.
	ErrWrongPIN = errors.New("wrong agent number or PIN")
	// ErrAgentDisabled is returned by a sign-in with the right PIN of an
	// agent account that is disabled. It matches ErrForbidden too.
	ErrAgentDisabled = fmt.Errorf("%w: agent account disabled", ErrForbidden)
	// ErrRateLimited is returned when the hub refuses a request from an
	// address that failed to authenticate too often lately (429); the
	// *HTTPError's RetryAfter says when to try again.
	ErrRateLimited = errors.New("too many failed attempts; slowed down")
	// ErrSignInLocked is returned by a sign-in while the agent number, or
	// the address it comes from, is locked after SignInFreeTries wrong
	// PINs in a row (429 with Retry-After; see SignInRetryAfter). It
	// matches ErrRateLimited too. The server returns it as a *LockedError.
	ErrSignInLocked = fmt.Errorf("%w: sign-in locked after wrong PINs", ErrRateLimited)
	// ErrTokenEnded is returned by Stream when the hub ended the stream
	// because its token ended: revoked, signed out, expired, or rotated and
	// past its grace period. It matches ErrStreamEnded too.
	ErrTokenEnded = fmt.Errorf("%w: its token ended", ErrStreamEnded)
)

// LockedError is a refused sign-in while locked: how long until the next
// attempt is heard. It matches ErrSignInLocked.
type LockedError struct {
	RetryAfter time.Duration
	Why        string // "agent number" or "address"
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v: this %s is locked for %s", ErrSignInLocked, e.Why, e.RetryAfter.Round(time.Second))
}

// Is reports whether target is ErrSignInLocked or ErrRateLimited.
func (e *LockedError) Is(target error) bool {
	return target == ErrSignInLocked || target == ErrRateLimited
}

// Secret is a credential in text form (a token, a PIN, a SIP password). It
// travels in JSON as itself, but prints as [redacted] through fmt and
// log/slog, so it cannot reach a log by accident; string(s) is the
// secret.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (Secret) GoString() string { return "[redacted]" }

// LogValue returns "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Key is secret key material (a desk key). It travels in JSON as base64 but
// prints as [redacted] through fmt and log/slog.
type Key []byte

// String returns "[redacted]".
func (Key) String() string { return "[redacted]" }

// GoString returns "[redacted]".
func (Key) GoString() string { return "[redacted]" }

// LogValue returns "[redacted]".
func (Key) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Format prints "[redacted]" for every verb, so %x cannot leak the bytes.
func (Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("[redacted]")) }

// DeskKeySize is the size of a desk key: 256 bits.
const DeskKeySize = 32

// SignInRequest is the body of POST /v1/signin, sent with the desk's own
// token: the agent's work number and PIN (or password), and the desk.
type SignInRequest struct {
	Number string `json:"number"`
	PIN    Secret `json:"pin"`
	Desk   string `json:"desk"`
}

// AgentInfo is an agent account as a desk sees it.
type AgentInfo struct {
	Number string `json:"number"`
	Name   string `json:"name"`
	Role   Role   `json:"role"`
}

// SIPAccount is an agent's own SIP registration, when the center gives
// each agent one (otherwise the desk registers with the PC's).
type SIPAccount struct {
	User     string `json:"user"`
	Password Secret `json:"password"`
}

// SignInResult is the answer of a good sign-in.
//
//   - Session is the agent's token for this shift: the agent's role, bound
//     to this desk, ending at Expires (one shift), at sign-out, or when
//     revoked. It may also push and report for the desk, whatever the role.
//   - SIP is the agent's own SIP account, nil when the PC's is used.
//   - Offline lets the desk check the same PIN later without the hub
//     (VerifyOffline), until its own expiry; HubKey is the hub's Ed25519
//     public key that signed it. A desk pins HubKey at its first online
//     sign-in (or is given it: hub key prints it) and refuses verifiers
//     signed by any other key.
//   - DeskKey is this desk's 256-bit key, kept by the hub and the same at
//     every sign-in of the desk: the desk unwraps its data key with it. It
//     is never logged, by either end.
type SignInResult struct {
	Session    Secret            `json:"session"`
	Expires    time.Time         `json:"expires"`
	Agent      AgentInfo         `json:"agent"`
	SIP        *SIPAccount       `json:"sip,omitempty"`
	Offline    OfflineVerifier   `json:"offline"`
	HubKey     ed25519.PublicKey `json:"hub_key"`
	DeskKey    Key               `json:"desk_key"`
	ServerTime time.Time         `json:"server_time"`
}

// TokenRotation is the answer of POST /v1/token/rotate: the new token, its
// expiry, and until when the old one keeps working (its grace period).
type TokenRotation struct {
	Token    Secret    `json:"token"`
	Expires  time.Time `json:"expires"`
	OldUntil time.Time `json:"old_until"`
}

// StreamEnd is the data of the stream's last event, "end", sent when the
// stream's token ends: Reason is "revoked", "signed_out", "expired",
// "rotated" or "disabled" (the agent account was disabled).
type StreamEnd struct {
	Reason string `json:"reason"`
}

// The reasons a token ends, as StreamEnd says them.
const (
	EndRevoked   = "revoked"
	EndSignedOut = "signed_out"
	EndExpired   = "expired"
	EndRotated   = "rotated"
	EndDisabled  = "disabled"
)

// Sign-in slows after wrong PINs: SignInFreeTries in a row are free; each
// further one locks the agent number (and, counted apart, the address)
// for SignInLockBase, doubled per further wrong PIN up to SignInLockMax.
// A good PIN ends the run.
const (
	SignInFreeTries = 5
	SignInLockBase  = 30 * time.Second
	SignInLockMax   = 15 * time.Minute
	// SignInWindow is how far back wrong PINs count.
	SignInWindow = 24 * time.Hour
)

// SignInRetryAfter decides how long sign-ins stay refused after failures
// wrong PINs in a row (since the last good one, within SignInWindow), the
// last of them at last: 0 below SignInFreeTries; else the lock
// SignInLockBase << (failures-SignInFreeTries), at most SignInLockMax,
// counted from last, less what has passed by now (0 once over).
func SignInRetryAfter(failures int, last, now time.Time) time.Duration {
	if failures < SignInFreeTries {
		return 0
	}
	lock := SignInLockBase
	for i := SignInFreeTries; i < failures && lock < SignInLockMax; i++ {
		lock *= 2
	}
	lock = min(lock, SignInLockMax)
	return max(0, last.Add(lock).Sub(now))
}

// AuditAction is what an audit entry records.
type AuditAction string

// The actions the hub audits. A handler that serves recordings records
// each fetch as AuditRecordingRead, subject kind "recording", subject the
// recording's ID, in the same transaction as the read (hub.DB.ReadAudited).
const (
	AuditCustomerRead  AuditAction = "customer.read"  // a supervisor read one customer record
	AuditCustomerList  AuditAction = "customer.list"  // a supervisor pulled a page of customers (detail: ids)
	AuditRecordingRead AuditAction = "recording.read" // a supervisor fetched a call recording
	AuditSignIn        AuditAction = "signin.ok"
	AuditSignInFail    AuditAction = "signin.fail"     // wrong PIN or unknown number (detail says which)
	AuditSignInLocked  AuditAction = "signin.locked"   // refused while locked, PIN not checked
	AuditSignInOff     AuditAction = "signin.disabled" // right PIN, account disabled
	AuditSignOut       AuditAction = "signout"
	AuditTokenAdd      AuditAction = "token.add"
	AuditTokenRevoke   AuditAction = "token.revoke"
	AuditTokenRotate   AuditAction = "token.rotate"
	AuditAgentAdd      AuditAction = "agent.add"
	AuditAgentPIN      AuditAction = "agent.pin"
	AuditAgentDisable  AuditAction = "agent.disable"
	AuditPackPublish   AuditAction = "pack.publish"
	AuditPackApprove   AuditAction = "pack.approve"
	AuditPackReject    AuditAction = "pack.reject"
	AuditPackRollback  AuditAction = "pack.rollback"
	AuditSettingsSet   AuditAction = "settings.set"   // the center's settings changed (detail: them; subject: the version)
	AuditCallbackPlan  AuditAction = "callbacks.plan" // member callbacks planned (detail: the figures; subject: the center day)

	// Monitoring: subject kind "monitor" and the session's ID, or (a
	// refusal, nothing set up) "agent" and the agent's work number.
	AuditMonitorStart   AuditAction = "monitor.start"   // a supervisor began monitoring (detail: agent, desk, call_id, mode, expires)
	AuditMonitorRefused AuditAction = "monitor.refused" // refused: the role may not, or the agent has no live call (detail: reason)
	AuditMonitorMode    AuditAction = "monitor.mode"    // the supervisor switched modes (detail: mode)
	AuditMonitorEnd     AuditAction = "monitor.end"     // ended by the supervisor or with the call (detail: reason)
	AuditMonitorReport  AuditAction = "monitor.report"  // a desk reported the session started, its mode, or ended (detail: kind, mode, reason, at)

	AuditRecordingUpload  AuditAction = "recording.upload"  // a desk uploaded a recording's audio (detail: size, sha256)
	AuditRecordingRefused AuditAction = "recording.refused" // a role other than supervisor asked for a recording
	AuditRecordingPurge   AuditAction = "recording.purge"   // audio deleted after the retention period (detail: ids, days)
	AuditCoachingAdd      AuditAction = "coaching.add"      // a supervisor filed a coaching note (subject: the note; detail: agent, call_id)
)

// AuditEntry is one line of the hub's audit: who (Actor: the token's name,
// or the signed-in agent's; "hub cli" for administrative commands, with
// the system user in Detail), in which role, as which agent number, from
// which desk and address, did what (Action) to what (SubjectKind and
// Subject: "customer" and its ID, "agent" and a work number, "token" and
// a token ID, "pack" and a version, "recording" and its ID), when (hub
// clock). Detail holds what else the action says, as a JSON object. No
// entry ever holds a PIN, a token or a key.
type AuditEntry struct {
	ID          int64           `json:"id"`
	At          time.Time       `json:"at"`
	Action      AuditAction     `json:"action"`
	Actor       string          `json:"actor"`
	Role        Role            `json:"role,omitempty"`
	Agent       string          `json:"agent,omitempty"`
	Desk        string          `json:"desk,omitempty"`
	Addr        string          `json:"addr,omitempty"`
	SubjectKind string          `json:"subject_kind,omitempty"`
	Subject     string          `json:"subject,omitempty"`
	Detail      json.RawMessage `json:"detail,omitempty"`
}

// AuditQuery selects audit entries: those after entry AfterID, or at or
// after Since (zero: from the start), oldest first, at most Limit (1 to
// MaxAuditPage; 0 means 100).
type AuditQuery struct {
	AfterID int64
	Since   time.Time
	Limit   int
}

// MaxAuditPage is the most entries one audit page holds.
const MaxAuditPage = 1000

// AuditPage is a page of audit entries, oldest first. Next is the ID to
// ask after for the following page; More says whether there are more now.
type AuditPage struct {
	Entries []AuditEntry `json:"entries"`
	Next    int64        `json:"next"`
	More    bool         `json:"more"`
}
