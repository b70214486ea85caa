// Package upstream is the sync protocol between desks and the hub, both
// ends: the wire types; the desk's one hub client (drain the outbox, pull
// customers and packs, report live state, publish, review and roll back
// packs, follow the supervisors' board stream, sign agents in and out,
// rotate its token, read the audit, pull its agents' callback tasks and
// the center's settings, read the callback report, ping, clock offset);
// the HTTP handler the hub mounts over a Backend (package agent/hub, on
// PostgreSQL); and the protocol's decisions as pure functions (Decide,
// CheckReview, CheckRollback, SignInRetryAfter, VerifyOffline,
// MaskNumber).
//
// Endpoints (JSON; every refusal is a 4xx with {"error": "...", "code":
// "..."}, the code naming its kind, see ErrorBody):
//
//	GET  /healthz                      no token; the hub's clock in server_time
//	GET  /v1/whoami                    any role: who the token belongs to, its kind and expiry (Identity)
//	POST /v1/push                      a desk's token (agent), or a session at the desk: a batch of outbox records
//	POST /v1/live                      the same: the desk's state and call events
//	GET  /v1/customers?since=N&limit=M agent, supervisor (a supervisor's pages are audited)
//	GET  /v1/customers/{id}            supervisor: one customer record, audited before it is sent
//	GET  /v1/packs/latest?lang=L       agent, supervisor, trainer: the live pack of L (its newest
//	                                   approved version); pending and rejected ones are never served here
//	POST /v1/packs?name=F[&lang=L]     trainer: publish a script pack (body = the file, validated)
//	                                   as a new version, pending review; 201 with its PackVersion
//	GET  /v1/packs[?lang=L]            supervisor, trainer: every version (of L), newest first, no text
//	GET  /v1/packs/{version}           supervisor, trainer: one version with its text
//	GET  /v1/packs/{version}/diff      supervisor, trainer: the version against the live one (PackDiff)
//	POST /v1/packs/{version}/review    supervisor, trainer who is not its author: approve or reject
//	                                   a pending version (PackReview; a rejection needs a reason)
//	POST /v1/packs/{version}/rollback  supervisor, trainer: make an approved version live again
//	                                   (PackRollback, with a reason); 201 with the new version
//	GET  /v1/callbacks?agent=N&since=R agent N's callback tasks changed after R (CallbackPage): a
//	                                   session's own (agent= optional), or, with a desk's own token,
//	                                   an agent signed in at that desk now (agent= required)
//	GET  /v1/callbacks/report?from=D&to=D[&agent=N]
//	                                   supervisor: the 《回访总结报告》 of the center's tasks made
//	                                   from day D to day D (agent.CallbackReport)
//	GET  /v1/settings                  any role: the center's settings on the hub (Settings); 404
//	                                   when none are stored
//	GET  /v1/board                     supervisor, wallboard: the live board, once (numbers masked)
//	GET  /v1/stream                    supervisor, wallboard: the board as server-sent events
//	                                   (refresh period in the Agentdesk-Stream-Refresh header); a last
//	                                   "end" event when the token ends
//	POST /v1/signin                    a desk's own token: SignInRequest → SignInResult
//	POST /v1/signout                   a session token: ends it; 204
//	POST /v1/token/rotate              any token: TokenRotation, a successor with a fresh expiry
//	GET  /v1/audit?since=&limit=       supervisor: AuditPage (since = an entry ID or an RFC 3339 instant)
//
// Review: a published version is pending until a supervisor, or a trainer
// other than its author, approves or rejects it. The live pack of a
// language is its newest approved version, by version number; desks keep a
// pulled pack only when its number is higher than the one they have. So
// that this stays true, nothing older than the live version can become
// live: approving a pending version older than the live one is refused
// (ErrConflict: publish it again), and a rollback does not revive the old
// row but appends a new approved version copying its text (RollbackOf says
// which), so history is append-only and the rolled-back text reaches
// every desk as the newest version.
//
// # Tokens
//
// Tokens go in "Authorization: Bearer T". Every token expires: a device
// token made by hub token add after its --ttl (DefaultTokenTTL, 90 days),
// a session after one shift (DefaultShift, 12 h; a center setting). An
// expired token is refused like an unknown one, 401 with the code
// "expired" (ErrTokenExpired, which matches ErrUnauthorized too). An agent
// token belongs to one desk: either given when the token is made, or
// bound to the first desk that pushes (or signs in) with it; from then on
// the token can only push, report and sign in for that desk. The roles
// are agent, supervisor, trainer and wallboard (a floor screen that only
// reads the board).
//
// Rotation (Client.Rotate): the token asks for its successor — same name,
// role, desk, kind and agent; a device token's successor lasts as long as
// the token was made to, a session's keeps the shift's end. The old token
// goes on working for DefaultRotateGrace (one minute), so requests and
// streams under way finish, then ends like an expired one; its streams
// close. Rotating the old token again within that minute (an answer lost)
// gives a new successor and ends the one before.
//
// A token that ends — revoked by an administrator, signed out, its agent
// disabled, expired, or rotated and past its grace — closes its open
// streams at once, on every hub sharing the database: the stream sends
// "end" (StreamEnd, with the reason) and closes, and Client.Stream returns
// ErrTokenEnded.
//
// Failed authentication is slowed per address: DefaultAuthBurst unknown
// or expired tokens from one address at once, then one per
// DefaultAuthInterval; beyond that the address is answered 429 with
// Retry-After (ErrRateLimited; HTTPError.RetryAfter) before any lookup,
// while other addresses go on as before. X-Forwarded-For counts only from
// proxies named with WithTrustedProxies.
//
// # Sign-in per shift
//
// A desk signs an agent in with its own token (role agent, bound to the
// desk: the PC's credential) by Client.SignIn(ctx, number, pin). The hub
// checks the PIN against its argon2id hash and answers a SignInResult:
//
//   - a session token for the agent (the agent's role, bound to the desk,
//     ending with the shift; it may push and report for the desk whatever
//     the role, and does what the role may: a supervisor's reads the
//     board). Client.SignOut(ctx, session) ends it at once.
//   - the agent (number, name, role) and, when the center gives agents
//     their own SIP accounts, the agent's (SIPAccount).
//   - an OfflineVerifier: the PIN's argon2id hash with its salt and cost,
//     for this agent at this desk, valid DefaultOfflineTTL (7 days; a
//     center setting), signed with the hub's Ed25519 key, and HubKey, the
//     public key. The desk pins HubKey at its first online sign-in (or is
//     given it: hub key prints it with its KeyID) and passes it to later
//     sign-ins with WithPinnedHubKey, which refuse another key
//     (ErrHubKeyChanged). Without the hub, VerifyOffline(v, pinned,
//     desk, number, pin, now) checks the PIN — pure, no network — and
//     returns ErrVerifierSignature, ErrVerifierNotFor, ErrVerifierExpired
//     or ErrWrongPIN. A changed PIN or a disabled agent reaches a desk's
//     offline check only at the next online sign-in there, or when the
//     verifier expires: that is the bounded lifetime.
//   - DeskKey, the desk's 256-bit key: made at the desk's first sign-in,
//     kept (sealed) by the hub, the same at every sign-in of that desk.
//     The desk wraps its data key with it; it is never logged (Key and
//     Secret print as [redacted]).
//
// Refusals: ErrWrongPIN (a wrong PIN and an unknown number alike; 401
// "wrong_pin", which is not ErrUnauthorized: the desk's token was fine),
// ErrAgentDisabled (403 "disabled", the right PIN of a disabled account),
// ErrSignInLocked (429 "locked" with Retry-After): after SignInFreeTries
// (5) wrong PINs in a row for one agent number, or from one address,
// sign-ins of that number, or from that address, are refused without
// checking the PIN for SignInLockBase (30 s), doubling with each further
// wrong PIN up to SignInLockMax (15 min); a good PIN after the lock works
// and starts the count over. Every attempt is in the audit (who, from
// which desk and address, when, how it went; never the PIN), and a
// refused sign-in changes nothing else.
//
// # Audit and masking
//
// The hub audits, in the transaction of what it records: supervisors'
// reads of personal data (one customer record, a page of customers, a
// recording), sign-ins and sign-outs, tokens made, revoked and rotated,
// agent accounts added, re-PINned and disabled, and pack publishing,
// reviews and rollbacks. Supervisors page through it with Client.Audit.
//
// Phone numbers on the board (its calls' callers, numbers in alert texts)
// are masked like 138****8000 (MaskNumber) for every viewer, unless the
// hub lets the viewer's role see them (WithFullNumbers; hub
// --board-full-numbers for supervisors); a wallboard's always are.
//
// # Callbacks and the center's settings
//
// With a hub, member callbacks are planned once for the whole center, on
// the hub (hub callbacks plan, and the hub by itself each center day):
// each member customer no task covers gets one task, assigned by load to
// one agent. The tasks are records of kind callback made by the hub
// (desk HubDesk, version 1; no desk may push as HubDesk). A desk pulls
// the tasks of its own agents — Client.PullCallbacks, or every round with
// WithAgents — into its Inbox (ApplyRemote of kind callback, one cursor
// per agent, CallbackCursor): with the agent's session token its own, or
// with the desk's own token those of the agents signed in at that desk
// now (GET /v1/callbacks answers 403 for any other agent). A task is the
// task of one agent, so it is on the desks of that agent only. The desk
// records the outcome as the task's next version, which goes up through
// the outbox like any record; pulling it back changes nothing.
//
// The center's settings (agent.CenterSettings: quiet hours, ring limit,
// reply times, after-call-work limit, callback days, warning stages,
// zone) are kept on the hub with a version (Settings; hub settings set).
// The hub's board and plan apply them; desks read them with
// Client.Settings, or every round with OnSettings, which hands each new
// version over once so the desk applies it live. A hub with none answers
// 404 and desks keep their own.
//
// # TLS
//
// The client checks the hub's certificate against the system's roots,
// or only against the center's CA with WithCAFile (the desk's [hub] ca) or
// WithRootCAs. A refused certificate comes back as a *TLSError matching
// ErrCertUntrusted (self-signed, an unknown CA), ErrCertExpired (also not
// yet valid, or the desk's clock far off), ErrCertWrongHost or
// ErrCertInvalid.
package upstream

import (
	"encoding/json"
	"time"

	"agentdesk/agent"
)

// Role is what a token may do.
type Role string

// The roles a hub token can have. Agents, supervisors and trainers are
// people (and the roles an agent account signs in with); a wallboard token
// belongs to a screen on the floor that only reads the board, its phone
// numbers always masked.
const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleTrainer    Role = "trainer"
	RoleWallboard  Role = "wallboard"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r.Person() || r == RoleWallboard
}

// Person reports whether r is the role of a person: one an agent account
// may have and sign in with (agent, supervisor, trainer).
func (r Role) Person() bool {
	return r == RoleAgent || r == RoleSupervisor || r == RoleTrainer
}

// Record is one outbox entry on the wire: a record's kind, ID and version
// and its full JSON at that version. Seq is the desk's outbox sequence (in
// a CustomerPage, the hub's change number). Deleted marks a tombstone: the
// record was deleted at Version; Body may then be empty.
type Record struct {
	Seq     uint64          `json:"seq"`
	Kind    agent.Kind      `json:"kind"`
	ID      string          `json:"id"`
	Version int64           `json:"version"`
	At      time.Time       `json:"at"`
	Deleted bool            `json:"deleted,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// PushRequest is a batch of records from one desk, with how much is still
// waiting on the desk (so supervisors see which desks hold unsynced records).
type PushRequest struct {
	Desk          string    `json:"desk"`
	Records       []Record  `json:"records"`
	Pending       int       `json:"pending"`
	OldestPending time.Time `json:"oldest_pending,omitzero"`
	SentAt        time.Time `json:"sent_at"`
}

// Outcome says what the hub did with one pushed record.
type Outcome string

// Outcomes of a pushed record. All of them are final: the desk may drop the
// record from its outbox.
const (
	OutcomeStored    Outcome = "stored"    // new, or newer than what the hub had
	OutcomeDuplicate Outcome = "duplicate" // the hub already had this exact version
	OutcomeStale     Outcome = "stale"     // the hub has a newer version; refused
	OutcomeConflict  Outcome = "conflict"  // same version, different content or desk; kept aside
)

// Conflict is a record the hub could not reconcile: it has the same kind,
// ID and version as a stored one but a different body or desk. The hub keeps
// both in its conflicts table for a person to decide.
type Conflict struct {
	Seq     uint64     `json:"seq"`
	Kind    agent.Kind `json:"kind"`
	ID      string     `json:"id"`
	Version int64      `json:"version"`
	Reason  string     `json:"reason"`
}

// PushResponse acknowledges a batch. AckSeq is the highest seq the hub has
// stored durably (with the whole batch, in one transaction); the desk calls
// AckOutbox(AckSeq).
type PushResponse struct {
	AckSeq     uint64     `json:"ack_seq"`
	Stored     int        `json:"stored"`
	Duplicates int        `json:"duplicates"`
	Stale      int        `json:"stale"`
	Conflicts  []Conflict `json:"conflicts,omitempty"`
	ServerTime time.Time  `json:"server_time"`
}

// CustomerPage is a page of customer records changed after a cursor, each
// the newest version the hub has, body as stored. Next is the cursor for
// the following page; More says whether to ask again at once.
type CustomerPage struct {
	Customers []Record `json:"customers"`
	Next      int64    `json:"next"`
	More      bool     `json:"more"`
}

// HubDesk is the desk of the records the hub makes itself: the callback
// tasks of the member plan. No desk may push as it.
const HubDesk = "hub"

// CallbackPage is a page of one agent's callback tasks (records of kind
// callback, body an agent.Callback) changed after a cursor, each the
// newest version the hub has: tasks the hub planned (desk HubDesk,
// version 1) and the outcomes desks pushed. Next and More work as in
// CustomerPage.
type CallbackPage struct {
	Callbacks []Record `json:"callbacks"`
	Next      int64    `json:"next"`
	More      bool     `json:"more"`
}

// CallbackReportQuery asks for the 《回访总结报告》 of the tasks made from
// the first instant of From to the end of To, in the center's zone, for
// one agent or (Agent "") all.
type CallbackReportQuery struct {
	From  agent.Day
	To    agent.Day
	Agent string
}

// Settings are the center's settings as the hub keeps them (GET
// /v1/settings): Version grows by one with every change, so a desk applies
// a version once; UpdatedAt is hub clock.
type Settings struct {
	Version   int64                `json:"version"`
	Settings  agent.CenterSettings `json:"settings"`
	UpdatedAt time.Time            `json:"updated_at"`
	UpdatedBy string               `json:"updated_by"`
}

// Pack is a language's live script pack as desks pull it (GET
// /v1/packs/latest): the trainer's file as uploaded, ID its version number
// (a higher ID is a newer live pack), PublishedBy its author.
type Pack struct {
	ID          int64     `json:"id"`
	Lang        string    `json:"lang"`
	Name        string    `json:"name"`
	Data        []byte    `json:"data"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// PackState is where a pack version stands in review.
type PackState string

// The states of a pack version. A version is published pending; a review
// makes it approved or rejected, once and for good.
const (
	PackPending  PackState = "pending"
	PackApproved PackState = "approved"
	PackRejected PackState = "rejected"
)

// Valid reports whether s is one of the known states.
func (s PackState) Valid() bool {
	return s == PackPending || s == PackApproved || s == PackRejected
}

// PackVersion is one published version of a script pack as the hub keeps
// it: who wrote it and when, its review, and whether it is live. A
// rollback is a version of its own, approved by whoever rolled back, whose
// RollbackOf names the version whose text it copies.
type PackVersion struct {
	Version    int64     `json:"version"`
	Lang       string    `json:"lang"`
	Name       string    `json:"name"` // the file name it was published under
	State      PackState `json:"state"`
	Live       bool      `json:"live"` // the newest approved version of Lang: what desks apply
	Author     string    `json:"author"`
	CreatedAt  time.Time `json:"created_at"` // hub clock
	ReviewedBy string    `json:"reviewed_by,omitempty"`
	ReviewedAt time.Time `json:"reviewed_at,omitzero"` // hub clock
	// Reason is the reviewer's note: why a version was rejected (always
	// given), approved (optional) or rolled back to (always given).
	Reason     string `json:"reason,omitempty"`
	RollbackOf int64  `json:"rollback_of,omitempty"`
	Size       int    `json:"size"`           // bytes of the file
	Data       []byte `json:"data,omitempty"` // the file; only from GET /v1/packs/{version}
}

// Pack is the version as desks pull it.
func (v PackVersion) Pack() Pack {
	return Pack{ID: v.Version, Lang: v.Lang, Name: v.Name, Data: v.Data, PublishedAt: v.CreatedAt, PublishedBy: v.Author}
}

// PackReview is the body of POST /v1/packs/{version}/review.
type PackReview struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason,omitempty"` // required to reject
}

// PackRollback is the body of POST /v1/packs/{version}/rollback.
type PackRollback struct {
	Reason string `json:"reason"`
}

// PackDiff is a version's text against the live version of its language,
// as a unified line diff (live first): "" when the texts are the same. Live
// is 0 when the language has no live version; the diff then adds every
// line.
type PackDiff struct {
	Version int64  `json:"version"`
	Lang    string `json:"lang"`
	Live    int64  `json:"live"`
	Diff    string `json:"diff"`
}

// AgentStatus is a desk's current agent state as the supervisor sees it.
//
// Extension, CallID and CallSince are what monitoring needs (POST
// /v1/monitor): the SIP extension a supervisor's desk dials to reach this
// desk through the PBX, and the agent's call in progress now (answered, on
// this desk; "" when none) with the instant it began. A desk that leaves
// them out cannot be monitored.
type AgentStatus struct {
	Agent string    `json:"agent"`           // the agent's name or number
	State string    `json:"state"`           // ready, busy, wrap_up, away, offline…
	Since time.Time `json:"since,omitzero"`  // when the state began (desk clock)
	Queue string    `json:"queue,omitempty"` // the queue the agent serves

	Extension string    `json:"extension,omitempty"` // the desk's SIP extension (user part)
	CallID    string    `json:"call_id,omitempty"`   // SIP Call-ID of the call in progress
	CallSince time.Time `json:"call_since,omitzero"` // when that call began (desk clock)
}

// CallEvent is one call event from a desk (ringing, answered, ended,
// missed…), keyed by the SIP Call-ID.
type CallEvent struct {
	Kind      string    `json:"kind"`
	CallID    string    `json:"call_id"`
	Queue     string    `json:"queue,omitempty"`
	Direction string    `json:"direction,omitempty"` // inbound or outbound
	Caller    string    `json:"caller,omitempty"`
	At        time.Time `json:"at"`
}

// LiveReport is what a desk posts every few seconds and on every change:
// its agent's state, new call events and its outbox figures.
type LiveReport struct {
	Desk          string      `json:"desk"`
	Status        AgentStatus `json:"status"`
	Events        []CallEvent `json:"events,omitempty"`
	Pending       int         `json:"pending"`
	OldestPending time.Time   `json:"oldest_pending,omitzero"`
	SentAt        time.Time   `json:"sent_at"`
}

// Board is the supervisors' live view, computed from the hub's database so
// every hub serving the same database shows the same board. The center's
// settings on the hub (Settings) decide its limits and its day.
type Board struct {
	At        time.Time       `json:"at"`
	Agents    []BoardAgent    `json:"agents"`
	Queues    []BoardQueue    `json:"queues"`
	Calls     []BoardCall     `json:"calls"`
	Alerts    []BoardAlert    `json:"alerts"`
	Overdue   []BoardOverdue  `json:"overdue"`
	Today     []BoardStats    `json:"today"`
	Unsynced  []BoardDesk     `json:"unsynced"`
	Conflicts []BoardConflict `json:"conflicts"`
	// AfterCallWorkSeconds is the after-call-work limit agents are judged
	// by (BoardAgent.OverLimit).
	AfterCallWorkSeconds int `json:"after_call_work_seconds"`
	// CallTypes counts each agent's calls of today by wrap-up type, from
	// the call records desks pushed, as agent.DailyStats counts them (keys
	// consultation, complaint, other and agent.Unwrapped); CallTypesTotal
	// adds them up (agent.Totals).
	CallTypes      []BoardCallTypes `json:"call_types"`
	CallTypesTotal map[string]int   `json:"call_types_total"`
	// Warnings are the warning complaints (预警) whose stages are not all
	// done, soonest stage due first.
	Warnings []BoardWarning `json:"warnings"`
	// Floor sums up the live floor for a glance (and the wallboard).
	Floor BoardFloor `json:"floor"`
	// Monitors are the supervisors' monitoring sessions open now or ended
	// within the last 12 hours, newest first, each with its audit trail.
	Monitors []MonitorSession `json:"monitors"`
}

// BoardFloor is the live floor at the board's instant: calls ringing and in
// progress (and since when the longest-ringing call rings, hub clock),
// agents by state (offline ones too), how many are in after-call work
// over the limit, the alerts (major complaints reported and escalations)
// of the last day, the complaints whose promised reply is overdue, and
// the monitoring sessions open now.
type BoardFloor struct {
	Ringing        int            `json:"ringing"`
	Talking        int            `json:"talking"`
	LongestRinging time.Time      `json:"longest_ringing,omitzero"`
	States         map[string]int `json:"states"`
	OverLimit      int            `json:"over_limit"`
	Alerts         int            `json:"alerts"`
	Overdue        int            `json:"overdue"`
	Monitoring     int            `json:"monitoring"`
}

// BoardCallTypes is one agent's calls of today by wrap-up type.
type BoardCallTypes struct {
	Agent  string         `json:"agent"`
	ByType map[string]int `json:"by_type"`
}

// BoardWarning is a warning complaint where it stands at the board's
// instant: agent.SLAPolicy.Status of its warning under the center's
// stages (the current stage, its role and due time, whether it is late,
// every late stage, the handling and closing limits), and whether those
// two limits (24 h and 48 h by default) have passed with their stage not
// done.
type BoardWarning struct {
	ID       string    `json:"id"` // the complaint
	Desk     string    `json:"desk"`
	Owner    string    `json:"owner,omitempty"`
	RaisedAt time.Time `json:"raised_at"`
	RaisedBy string    `json:"raised_by,omitempty"`
	agent.SLAStatus
	HandleLate bool `json:"handle_late"`
	CloseLate  bool `json:"close_late"`
}

// BoardConflict is a sync conflict the hub kept for a person to settle:
// two different contents (or desks) for the same record version.
type BoardConflict struct {
	Kind       agent.Kind `json:"kind"`
	ID         string     `json:"id"`
	Version    int64      `json:"version"`
	Desk       string     `json:"desk"`        // the desk whose copy was kept aside
	StoredDesk string     `json:"stored_desk"` // the desk whose copy the hub holds
	Reason     string     `json:"reason"`
	Received   time.Time  `json:"received"`
}

// BoardAgent is one desk's agent on the board.
type BoardAgent struct {
	Desk     string    `json:"desk"`
	Agent    string    `json:"agent"`
	State    string    `json:"state"`
	Since    time.Time `json:"since,omitzero"` // hub clock (the desk's, corrected by its skew)
	Queue    string    `json:"queue,omitempty"`
	LastSeen time.Time `json:"last_seen"` // hub clock
	// OverLimit says the agent has been in after-call work (wrap_up)
	// longer than the center's limit (Board.AfterCallWorkSeconds).
	OverLimit bool `json:"over_limit,omitempty"`
	// Number is the agent's work number, what POST /v1/monitor names:
	// the signed-in agent's when the desk reports under a session, else
	// Agent.
	Number string `json:"number,omitempty"`
	// CallID is the agent's call in progress ("" when none), CallSince
	// when it began (hub clock).
	CallID    string    `json:"call_id,omitempty"`
	CallSince time.Time `json:"call_since,omitzero"`
}

// BoardQueue counts the calls of one queue (the number called) that are
// ringing or in progress, and says since when the longest-ringing of them
// rings (hub clock; zero when none rings).
type BoardQueue struct {
	Queue          string    `json:"queue"`
	Ringing        int       `json:"ringing"`
	Talking        int       `json:"talking"`
	LongestRinging time.Time `json:"longest_ringing,omitzero"`
}

// BoardCall is a call ringing or in progress at a desk. Caller is masked
// (MaskNumber: 138****8000) unless the viewer's role may see full numbers
// (a wallboard never may).
type BoardCall struct {
	Desk      string    `json:"desk"`
	Agent     string    `json:"agent,omitempty"`
	CallID    string    `json:"call_id"`
	Queue     string    `json:"queue,omitempty"`
	Direction string    `json:"direction,omitempty"`
	Caller    string    `json:"caller,omitempty"`
	State     string    `json:"state"` // ringing or talking
	Since     time.Time `json:"since"` // when it began (desk clock)
}

// BoardAlert is an alert record: a major complaint reported at once, or a
// case escalated to a team lead, a supervisor or an agent with a note. The
// fields after Body are read from it (agent.Alert); a body the hub cannot
// read leaves them empty.
type BoardAlert struct {
	ID          string          `json:"id"`
	Desk        string          `json:"desk"`
	Received    time.Time       `json:"received"`
	Body        json.RawMessage `json:"body"`
	Kind        agent.AlertKind `json:"kind,omitempty"` // major_complaint or escalation
	ComplaintID string          `json:"complaint_id,omitempty"`
	To          string          `json:"to,omitempty"`   // an escalation's addressee: a role or an agent's number
	By          string          `json:"by,omitempty"`   // who raised it
	Note        string          `json:"note,omitempty"` // the escalation's note, the major complaint's summary
	At          time.Time       `json:"at,omitzero"`    // desk clock
}

// BoardOverdue is a complaint whose promised reply time has passed without
// a reply.
type BoardOverdue struct {
	ID   string    `json:"id"`
	Desk string    `json:"desk"`
	Due  time.Time `json:"due"`
}

// BoardStats is one agent's calls today (the hotline's day, in the hub's zone:
// agent.DefaultZone unless configured).
type BoardStats struct {
	Desk     string `json:"desk"`
	Agent    string `json:"agent"`
	Inbound  int    `json:"inbound"`
	Outbound int    `json:"outbound"`
	Answered int    `json:"answered"`
	Missed   int    `json:"missed"`
}

// BoardDesk is a desk holding records not yet synced, and since when.
type BoardDesk struct {
	Desk     string    `json:"desk"`
	Pending  int       `json:"pending"`
	Oldest   time.Time `json:"oldest,omitzero"` // hub clock (the desk's, corrected by its skew)
	LastSeen time.Time `json:"last_seen"`       // hub clock
}

// Health is the answer of GET /healthz: the database is reachable, and the
// hub's clock at the moment it answered.
type Health struct {
	Status     string    `json:"status"`
	ServerTime time.Time `json:"server_time"`
}

// Identity is the answer of GET /v1/whoami: whom the token belongs to, its
// role, for an agent token the desk it is bound to ("" until the first
// push), its kind, for a session the agent's work number, and when the
// token expires (hub clock).
type Identity struct {
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Desk    string    `json:"desk,omitempty"`
	Kind    TokenKind `json:"kind,omitempty"`
	Agent   string    `json:"agent,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
}

// ErrorBody is the JSON of every refusal: the reason in words, and its
// kind as a code for programs (one per sentinel error): "unauthorized"
// (401), "expired" (401, ErrTokenExpired), "wrong_pin" (401,
// ErrWrongPIN), "forbidden" (403), "own_version" (403, ErrOwnVersion),
// "disabled" (403, ErrAgentDisabled), "role" (403, ErrWrongRole: the
// token's role may not do it), "not_found" (404), "invalid" (400, 413,
// 422), "conflict" (409), "no_live_call" (409, ErrNoLiveCall),
// "rate_limited" (429, ErrRateLimited), "locked" (429, ErrSignInLocked);
// "" for other failures. A 429 also
// carries Retry-After, in whole seconds.
type ErrorBody struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// The codes of ErrorBody, one per sentinel error.
const (
	codeUnauthorized = "unauthorized"
	codeExpired      = "expired"
	codeWrongPIN     = "wrong_pin"
	codeForbidden    = "forbidden"
	codeOwnVersion   = "own_version"
	codeDisabled     = "disabled"
	codeNotFound     = "not_found"
	codeInvalid      = "invalid"
	codeConflict     = "conflict"
	codeRateLimited  = "rate_limited"
	codeLocked       = "locked"
	codeRole         = "role"
	codeNoLiveCall   = "no_live_call"
)
