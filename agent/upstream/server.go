package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"agentdesk/agent"
)

// Errors a Backend returns; the handler turns them into 4xx answers (see
// also trust.go's).
var (
	// ErrUnauthorized is returned by Authenticate for a missing, unknown or
	// revoked token (an expired one: ErrTokenExpired, which matches it).
	ErrUnauthorized = errors.New("unknown or missing token")
	// ErrForbidden is returned when a token may not do what it asks (wrong
	// role, or another desk's records).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound is returned when the asked-for thing does not exist (no
	// pack published for a language).
	ErrNotFound = errors.New("not found")
	// ErrInvalid is returned for a request that is well-formed JSON but
	// breaks a rule (a pack that does not validate, a rejection or a
	// rollback without a reason).
	ErrInvalid = errors.New("invalid request")
	// ErrConflict is returned when the thing asked for is in a state that
	// does not allow the request: a pack version already reviewed, a
	// pending version older than the live one approved (it would not go
	// live), a rollback to a version that was never approved or is live.
	ErrConflict = errors.New("conflict")
	// ErrOwnVersion is returned when the author of a pack version tries to
	// review (approve or reject) it. It matches ErrForbidden too.
	ErrOwnVersion = fmt.Errorf("%w: the author of a pack version may not review it", ErrForbidden)
)

// Limits on what the handler accepts.
const (
	MaxPushBytes  = 16 << 20 // one push request
	MaxBatch      = 2000     // records in one push
	MaxRecordSize = 1 << 20  // one record's body
	MaxLiveBytes  = 1 << 20  // one live report
	MaxPackBytes  = 4 << 20  // one script pack file
	maxTextLen    = 256      // desk, agent, queue, call ID, kind, record ID…
	MaxReasonLen  = 2000     // a review's or a rollback's reason, in bytes
	maxReviewBody = 16 << 10 // one review or rollback request
)

// Principal is an authenticated token.
type Principal struct {
	TokenID int64
	Name    string // whom the token was made for; a session's: the agent's name
	Role    Role
	Desk    string // agent tokens: the desk the token is bound to, "" until the first push; sessions: their desk
	Kind    TokenKind
	Agent   string    // sessions: the signed-in agent's work number
	Expires time.Time // hub clock
	// Addr is where the request came from as the hub sees it (the proxy's
	// client with WithTrustedProxies); the handler sets it.
	Addr string
}

// deskWriter reports whether p may push and report for its desk: a desk's
// own token (role agent), or a session signed in at a desk, whatever the
// agent's role (a supervisor may take calls).
func (p Principal) deskWriter() bool {
	return p.Role == RoleAgent || (p.Kind == TokenSession && p.Desk != "")
}

// Change is a notification that the board may have changed. Alert is set
// when an alert record arrived, so streams send it at once. Desk set (and
// Alert not) says only that desk has new events (Backend.DeskEvents): its
// desk streams look, the board does not.
type Change struct {
	Alert bool
	Desk  string
}

// Backend is the hub's storage. The hub implements it over PostgreSQL; every
// method that writes does so in one transaction, all or nothing.
type Backend interface {
	// Authenticate resolves a bearer token, or returns ErrUnauthorized
	// (unknown, revoked) or ErrTokenExpired.
	Authenticate(ctx context.Context, token string) (Principal, error)
	// Push stores a validated batch from an agent's desk, binding the token
	// to req.Desk if it is not bound yet (ErrForbidden if it is bound to
	// another desk).
	Push(ctx context.Context, p Principal, req PushRequest) (PushResponse, error)
	// Live records a desk's state, call events and outbox figures.
	Live(ctx context.Context, p Principal, r LiveReport) error
	// Customers returns up to limit customer records changed after cursor
	// since, for p; a supervisor's page is audited (AuditCustomerList).
	Customers(ctx context.Context, p Principal, since int64, limit int) (CustomerPage, error)
	// Customer returns the newest version of one customer record for p,
	// audited as AuditCustomerRead in the same transaction, or ErrNotFound.
	Customer(ctx context.Context, p Principal, id string) (Record, error)
	// LatestPack returns the live pack of lang (its newest approved
	// version), or ErrNotFound.
	LatestPack(ctx context.Context, lang string) (Pack, error)
	// PublishPack stores a validated pack as a new pending version by p
	// and returns it.
	PublishPack(ctx context.Context, p Principal, pk Pack) (PackVersion, error)
	// Pack returns one version with its text, or ErrNotFound.
	Pack(ctx context.Context, version int64) (PackVersion, error)
	// PackHistory returns every version of lang ("" = every language),
	// newest first, without their text.
	PackHistory(ctx context.Context, lang string) ([]PackVersion, error)
	// ReviewPack approves or rejects a pending version as p at hub instant
	// at, as CheckReview allows (ErrNotFound, ErrOwnVersion, ErrConflict,
	// ErrInvalid otherwise, and nothing changed), and returns it reviewed.
	ReviewPack(ctx context.Context, p Principal, version int64, r PackReview, at time.Time) (PackVersion, error)
	// RollbackPack makes an approved version live again as CheckRollback
	// allows: a new approved version by p at at, copying its text, whose
	// RollbackOf is version. It returns the new version.
	RollbackPack(ctx context.Context, p Principal, version int64, reason string, at time.Time) (PackVersion, error)
	// Board computes the supervisors' board at hub instant now.
	Board(ctx context.Context, now time.Time) (Board, error)
	// Watch delivers changes (from this hub and, through the database,
	// from other hubs) until ctx ends.
	Watch(ctx context.Context) <-chan Change
	// TokenEnded delivers, once, why p's token ended (EndRevoked,
	// EndSignedOut, EndExpired, EndRotated, EndDisabled) as soon as it does,
	// on whichever hub it was ended; nothing if ctx ends first. A stream
	// ends with it.
	TokenEnded(ctx context.Context, p Principal) <-chan string
	// SignIn checks an agent's number and PIN for the desk p belongs to and
	// starts the agent's session there (SignInResult), auditing every
	// attempt. It returns ErrWrongPIN, a *LockedError, ErrAgentDisabled,
	// ErrForbidden (p bound to another desk); only the audit changes then.
	SignIn(ctx context.Context, p Principal, req SignInRequest) (SignInResult, error)
	// SignOut ends p's session token at once.
	SignOut(ctx context.Context, p Principal) error
	// RotateToken makes a new token for p's principal with a fresh expiry
	// and ends p's after the grace period.
	RotateToken(ctx context.Context, p Principal) (TokenRotation, error)
	// Audit returns a page of the audit, oldest first.
	Audit(ctx context.Context, q AuditQuery) (AuditPage, error)
	// Callbacks returns up to limit callback tasks of agent number who
	// changed after cursor since, in change order, for p: a session's own
	// agent's, or, for a desk's own token, an agent signed in at that desk
	// now (ErrForbidden otherwise, and for an agent signed in elsewhere).
	Callbacks(ctx context.Context, p Principal, who string, since int64, limit int) (CallbackPage, error)
	// CallbackReport is the 《回访总结报告》 of q's tasks judged at hub
	// instant at (agent.ReportCallbacks).
	CallbackReport(ctx context.Context, q CallbackReportQuery, at time.Time) (agent.CallbackReport, error)
	// Settings returns the center's settings stored on the hub, or
	// ErrNotFound when none are.
	Settings(ctx context.Context) (Settings, error)
	// Ping checks the database.
	Ping(ctx context.Context) error

	// AuditRefused records in the audit that p was refused action on
	// subject (of kind), with detail: the refusals the protocol promises
	// to audit (monitoring, recordings asked for by a role that may not).
	AuditRefused(ctx context.Context, p Principal, action AuditAction, kind, subject string, detail map[string]any) error
	// StartMonitor sets up supervisor p's monitoring of req.Agent's call
	// in progress at hub instant at, as the package doc says: the
	// session stored, audited (AuditMonitorStart), the agent's desk told
	// (DeskEventMonitor) — all in one transaction — and the grant
	// returned. An agent with no live call gets ErrNoLiveCall (audited
	// as AuditMonitorRefused, nothing else changed).
	StartMonitor(ctx context.Context, p Principal, req MonitorRequest, at time.Time) (MonitorGrant, error)
	// MonitorSession returns a session with its trail as it stands at
	// at, or ErrNotFound.
	MonitorSession(ctx context.Context, id string, at time.Time) (MonitorSession, error)
	// SetMonitorMode records supervisor p's switch of an open session to
	// mode (AuditMonitorMode) and tells the agent's desk
	// (DeskEventMonitorMode); ErrNotFound, or ErrConflict for a session
	// no longer open.
	SetMonitorMode(ctx context.Context, p Principal, id string, mode MonitorMode, at time.Time) (MonitorSession, error)
	// EndMonitor ends an open session for supervisor p (AuditMonitorEnd)
	// and tells the agent's desk (DeskEventMonitorEnd); ending a session
	// already over changes nothing and returns it.
	EndMonitor(ctx context.Context, p Principal, id, reason string, at time.Time) (MonitorSession, error)
	// ReportMonitor records a desk's report on a session
	// (AuditMonitorReport): started makes it active, mode changes its
	// mode, ended ends it. p must be the session's agent desk or a
	// supervisor (ErrForbidden).
	ReportMonitor(ctx context.Context, p Principal, id string, r MonitorReport, at time.Time) (MonitorSession, error)
	// DeskEvents returns desk's events after ID after (0: those made at or
	// after since), oldest first.
	DeskEvents(ctx context.Context, desk string, after int64, since time.Time) ([]DeskEvent, error)
	// AddCoaching files supervisor p's coaching note at hub instant at as
	// a record of kind coaching (its agent, call and recording completed
	// from the hub's records: ErrNotFound when the call is unknown and no
	// agent given), audited (AuditCoachingAdd), and tells the agent's
	// desk (DeskEventCoaching). It returns the record.
	AddCoaching(ctx context.Context, p Principal, n agent.CoachingNote, at time.Time) (Record, error)
	// Coaching returns up to limit coaching notes for agent number who
	// changed after cursor since, for p, as Callbacks does.
	Coaching(ctx context.Context, p Principal, who string, since int64, limit int) (CoachingPage, error)
	// PutRecording stores the audio of recording id read from audio (a
	// checked WAV stream: a read error aborts it all) for desk writer p,
	// which must be the desk of the recording's record (ErrNotFound when
	// the hub has no such record; ErrForbidden for another desk), audited
	// (AuditRecordingUpload). The same audio again changes nothing;
	// different audio for a recording that has some is ErrConflict.
	PutRecording(ctx context.Context, p Principal, id string, audio io.Reader, at time.Time) (RecordingAudio, error)
	// Recording audits supervisor p's fetch of recording id's audio
	// (AuditRecordingRead, committed before any byte is sent) and then
	// calls send with its description and its bytes; ErrNotFound when
	// there is no audio (nothing audited).
	Recording(ctx context.Context, p Principal, id string, send func(RecordingAudio, io.Reader) error) error
	// Recordings lists the recordings (records of kind recording, not
	// deleted) of q.Agent ("" every agent's) that began in [q.From, q.To)
	// (a zero bound: none), only desk's when desk is not "", newest
	// first, at most q.Limit of them, each with whether the hub holds its
	// audio. The handler has checked q and narrowed it to what the
	// caller may see.
	Recordings(ctx context.Context, q RecordingQuery, desk string) (RecordingList, error)
}

// PackValidator checks a script pack file before it is published and
// returns its language. The hub passes one built on scripts.Parse.
type PackValidator func(name string, data []byte) (lang string, err error)

// Server is the hub's HTTP handler.
type Server struct {
	b        Backend
	log      *slog.Logger
	clock    agent.Clock
	validate PackValidator
	refresh  time.Duration
	mux      *http.ServeMux

	trusted   []netip.Prefix
	full      map[Role]bool
	authBurst int
	authEvery time.Duration
	limit     *addrLimiter
	feed      *boardFeed
	maxAudio  int64
}

// ServerOption configures NewServer.
type ServerOption func(*Server)

// WithServerLogger sets the logger (default slog.Default()).
func WithServerLogger(l *slog.Logger) ServerOption { return func(s *Server) { s.log = l } }

// WithServerClock sets the hub's clock (default the system clock).
func WithServerClock(c agent.Clock) ServerOption { return func(s *Server) { s.clock = c } }

// WithPackValidator sets the check run on published packs. Without one a
// pack must name its language with ?lang=.
func WithPackValidator(v PackValidator) ServerOption { return func(s *Server) { s.validate = v } }

// WithStreamRefresh sets how often a stream sends the board even when
// nothing changed, so overdue replies appear as time passes (default 5 s).
func WithStreamRefresh(d time.Duration) ServerOption { return func(s *Server) { s.refresh = d } }

// WithTrustedProxies says the hub is behind proxies at these addresses: a
// request from one of them is taken to come from the address its
// X-Forwarded-For names (see clientAddr). Without it, X-Forwarded-For is
// ignored: anyone can write it.
func WithTrustedProxies(ps ...netip.Prefix) ServerOption {
	return func(s *Server) { s.trusted = append(s.trusted, ps...) }
}

// WithFullNumbers lets the given roles see full phone numbers on the board
// and its stream; every other viewer sees them masked (MaskNumber). A
// wallboard never sees them, even if named. Default: nobody.
func WithFullNumbers(roles ...Role) ServerOption {
	return func(s *Server) {
		for _, r := range roles {
			if r != RoleWallboard {
				s.full[r] = true
			}
		}
	}
}

// WithAuthLimit sets the failed-auth limiter: an address may fail burst
// times at once, then once per every (default DefaultAuthBurst per
// DefaultAuthInterval); burst 0 turns it off.
func WithAuthLimit(burst int, every time.Duration) ServerOption {
	return func(s *Server) { s.authBurst, s.authEvery = burst, every }
}

// WithRecordingLimit sets the largest recording's audio the hub takes, in
// bytes (default MaxRecordingBytes).
func WithRecordingLimit(n int64) ServerOption { return func(s *Server) { s.maxAudio = n } }

// NewServer returns the hub's handler over b.
func NewServer(b Backend, opts ...ServerOption) *Server {
	s := &Server{b: b, log: slog.Default(), clock: agent.SystemClock{}, refresh: 5 * time.Second, full: map[Role]bool{},
		authBurst: DefaultAuthBurst, authEvery: DefaultAuthInterval, maxAudio: MaxRecordingBytes}
	for _, o := range opts {
		o(s)
	}
	s.limit = newAddrLimiter(s.authBurst, s.authEvery, time.Now)
	s.feed = newBoardFeed(s)
	s.log = s.log.With("component", "hub")
	m := http.NewServeMux()
	anyone := []Role{RoleAgent, RoleSupervisor, RoleTrainer, RoleWallboard}
	m.HandleFunc("GET /healthz", s.healthz)
	m.HandleFunc("GET /v1/whoami", s.auth(s.whoami, anyone...))
	m.HandleFunc("POST /v1/push", s.authIf(s.push, Principal.deskWriter))
	m.HandleFunc("POST /v1/live", s.authIf(s.live, Principal.deskWriter))
	m.HandleFunc("POST /v1/signin", s.authIf(s.signIn, func(p Principal) bool { return p.Role == RoleAgent && p.Kind != TokenSession }))
	m.HandleFunc("POST /v1/signout", s.authIf(s.signOut, func(p Principal) bool { return p.Kind == TokenSession }))
	m.HandleFunc("POST /v1/token/rotate", s.auth(s.rotate, anyone...))
	m.HandleFunc("GET /v1/audit", s.auth(s.audit, RoleSupervisor))
	m.HandleFunc("GET /v1/customers", s.auth(s.customers, RoleAgent, RoleSupervisor))
	m.HandleFunc("GET /v1/customers/{id}", s.auth(s.customer, RoleSupervisor))
	m.HandleFunc("GET /v1/packs/latest", s.auth(s.latestPack, RoleAgent, RoleSupervisor, RoleTrainer))
	m.HandleFunc("POST /v1/packs", s.auth(s.publishPack, RoleTrainer))
	m.HandleFunc("GET /v1/packs", s.auth(s.packHistory, RoleSupervisor, RoleTrainer))
	m.HandleFunc("GET /v1/packs/{version}", s.auth(s.packVersion, RoleSupervisor, RoleTrainer))
	m.HandleFunc("GET /v1/packs/{version}/diff", s.auth(s.packDiff, RoleSupervisor, RoleTrainer))
	m.HandleFunc("POST /v1/packs/{version}/review", s.auth(s.reviewPack, RoleSupervisor, RoleTrainer))
	m.HandleFunc("POST /v1/packs/{version}/rollback", s.auth(s.rollbackPack, RoleSupervisor, RoleTrainer))
	m.HandleFunc("GET /v1/callbacks", s.authIf(s.callbacks, Principal.callbackPuller))
	m.HandleFunc("GET /v1/callbacks/report", s.auth(s.callbackReport, RoleSupervisor))
	m.HandleFunc("GET /v1/settings", s.auth(s.settings, anyone...))
	m.HandleFunc("GET /v1/board", s.auth(s.board, RoleSupervisor, RoleWallboard))
	m.HandleFunc("GET /v1/stream", s.auth(s.stream, RoleSupervisor, RoleWallboard))
	m.HandleFunc("GET /v1/desk/stream", s.authIf(s.deskStream, Principal.deskWriter))
	m.HandleFunc("POST /v1/monitor", s.auth(s.startMonitor, anyone...))
	m.HandleFunc("GET /v1/monitor/{session}", s.auth(s.monitorSession, RoleSupervisor))
	m.HandleFunc("POST /v1/monitor/{session}/mode", s.auth(s.monitorMode, anyone...))
	m.HandleFunc("POST /v1/monitor/{session}/end", s.auth(s.endMonitor, anyone...))
	m.HandleFunc("POST /v1/monitor/{session}/event", s.authIf(s.reportMonitor, func(p Principal) bool { return p.mayMonitor() || p.deskWriter() }))
	m.HandleFunc("POST /v1/coaching", s.auth(s.addCoaching, RoleSupervisor))
	m.HandleFunc("GET /v1/coaching", s.authIf(s.coaching, Principal.callbackPuller))
	m.HandleFunc("GET /v1/recordings", s.authIf(s.recordings, Principal.mayListRecordings))
	m.HandleFunc("PUT /v1/recordings/{id}/audio", s.authIf(s.putRecording, Principal.deskWriter))
	m.HandleFunc("GET /v1/recordings/{id}/audio", s.auth(s.recording, anyone...))
	m.HandleFunc("GET /wallboard", s.wallboard)
	m.HandleFunc("GET /wallboard/stream", s.wallboardStream)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.mux = m
	return s
}

// ServeHTTP serves the hub's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) auth(h func(http.ResponseWriter, *http.Request, Principal), roles ...Role) http.HandlerFunc {
	return s.authIf(h, func(p Principal) bool { return slices.Contains(roles, p.Role) })
}

// authIf serves h to the requests whose token resolves to a principal
// allow accepts. Before any lookup, an address that failed too often
// lately is answered 429 (the limiter); each unknown or expired token
// counts against its address.
func (s *Server) authIf(h func(http.ResponseWriter, *http.Request, Principal), allow func(Principal) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.Authenticate(w, r)
		if !ok {
			return
		}
		if !allow(p) {
			what := "role " + string(p.Role)
			if p.Kind == TokenSession {
				what += " (session)"
			}
			writeJSON(w, http.StatusForbidden, ErrorBody{Error: fmt.Sprintf("%s may not %s %s", what, r.Method, r.URL.Path), Code: codeRole})
			return
		}
		h(w, r, p)
	}
}

// Authenticate resolves the request's bearer token as every endpoint of
// the handler does: the failed-auth limiter first, then the backend; it
// answers the refusal itself (401, 429) and returns false. Pages the hub
// serves beside the protocol (the wallboard) call it with the token they
// took from elsewhere put in an Authorization header.
func (s *Server) Authenticate(w http.ResponseWriter, r *http.Request) (Principal, bool) {
	addr := clientAddr(r, s.trusted)
	if d := s.limit.wait(addr); d > 0 {
		writeRetry(w, codeRateLimited, "too many failed authentications from this address", d)
		return Principal{}, false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeError(w, http.StatusUnauthorized, "missing bearer token")
		return Principal{}, false
	}
	p, err := s.b.Authenticate(r.Context(), tok)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			s.limit.fail(addr)
		}
		s.fail(w, r, err)
		return Principal{}, false
	}
	if addr.IsValid() {
		p.Addr = addr.String()
	}
	return p, true
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.b.Ping(ctx); err != nil {
		s.log.Warn("health check failed", "error", err)
		writeError(w, http.StatusServiceUnavailable, "database unreachable")
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", ServerTime: s.clock.Now()})
}

func (s *Server) whoami(w http.ResponseWriter, _ *http.Request, p Principal) {
	writeJSON(w, http.StatusOK, Identity{Name: p.Name, Role: p.Role, Desk: p.Desk, Kind: p.Kind, Agent: p.Agent, Expires: p.Expires})
}

func (s *Server) push(w http.ResponseWriter, r *http.Request, p Principal) {
	var req PushRequest
	if !decodeBody(w, r, MaxPushBytes, &req) {
		return
	}
	if err := checkPush(&req, p); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.b.Push(r.Context(), p, req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp.ServerTime = s.clock.Now()
	writeJSON(w, http.StatusOK, resp)
}

// checkPush validates a batch before anything is written.
func checkPush(req *PushRequest, p Principal) error {
	if err := checkText("desk", req.Desk, true); err != nil {
		return err
	}
	if req.Desk == HubDesk {
		return fmt.Errorf("%w: desk %q is the hub's own", ErrForbidden, HubDesk)
	}
	if p.Desk != "" && req.Desk != p.Desk {
		return fmt.Errorf("%w: token is bound to another desk than %q", ErrForbidden, req.Desk)
	}
	for i, rec := range req.Records {
		if rec.Kind == agent.KindCoaching && !p.mayMonitor() {
			return fmt.Errorf("record %d (seq %d): %w: only a supervisor's desk files coaching notes", i, rec.Seq, ErrWrongRole)
		}
	}
	if len(req.Records) > MaxBatch {
		return fmt.Errorf("%w: %d records in one push (at most %d)", ErrInvalid, len(req.Records), MaxBatch)
	}
	if req.Pending < 0 {
		return fmt.Errorf("%w: negative pending count", ErrInvalid)
	}
	for i, rec := range req.Records {
		if err := checkRecord(rec, req.Desk); err != nil {
			return fmt.Errorf("record %d (seq %d): %w", i, rec.Seq, err)
		}
	}
	return nil
}

func checkRecord(rec Record, desk string) error {
	if rec.Seq == 0 {
		return fmt.Errorf("%w: seq must be positive", ErrInvalid)
	}
	if !validKind(string(rec.Kind)) {
		return fmt.Errorf("%w: kind %q is not a record kind", ErrInvalid, rec.Kind)
	}
	if err := checkText("id", rec.ID, true); err != nil {
		return err
	}
	if rec.Version < 1 {
		return fmt.Errorf("%w: version must be at least 1", ErrInvalid)
	}
	if rec.Deleted && len(bytes.TrimSpace(rec.Body)) == 0 {
		return nil
	}
	if len(rec.Body) > MaxRecordSize {
		return fmt.Errorf("%w: body of %d bytes (at most %d)", ErrInvalid, len(rec.Body), MaxRecordSize)
	}
	var meta struct {
		ID      *string `json:"id"`
		Version *int64  `json:"version"`
		Desk    *string `json:"desk"`
	}
	b := bytes.TrimSpace(rec.Body)
	if len(b) == 0 || b[0] != '{' {
		return fmt.Errorf("%w: body must be a JSON object", ErrInvalid)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return fmt.Errorf("%w: body: %v", ErrInvalid, err)
	}
	if meta.ID != nil && *meta.ID != rec.ID {
		return fmt.Errorf("%w: body id %q differs from record id %q", ErrInvalid, *meta.ID, rec.ID)
	}
	if meta.Version != nil && *meta.Version != rec.Version {
		return fmt.Errorf("%w: body version %d differs from record version %d", ErrInvalid, *meta.Version, rec.Version)
	}
	if meta.Desk != nil && *meta.Desk != "" && *meta.Desk != desk {
		return fmt.Errorf("%w: record belongs to desk %q, not to the pushing desk %q", ErrForbidden, *meta.Desk, desk)
	}
	return nil
}

func validKind(k string) bool {
	if k == "" || len(k) > 32 {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// checkText accepts any valid UTF-8 without control characters up to
// maxTextLen bytes; quotes, semicolons and the like are stored verbatim.
func checkText(field, v string, required bool) error {
	switch {
	case v == "" && required:
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	case len(v) > maxTextLen:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, field, maxTextLen)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not UTF-8", ErrInvalid, field)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s contains a control character", ErrInvalid, field)
		}
	}
	return nil
}

func (s *Server) live(w http.ResponseWriter, r *http.Request, p Principal) {
	var rep LiveReport
	if !decodeBody(w, r, MaxLiveBytes, &rep) {
		return
	}
	err := checkText("desk", rep.Desk, true)
	if err == nil && p.Desk != "" && rep.Desk != p.Desk {
		err = fmt.Errorf("%w: token is bound to another desk than %q", ErrForbidden, rep.Desk)
	}
	for _, f := range []struct{ name, v string }{{"agent", rep.Status.Agent}, {"state", rep.Status.State}, {"queue", rep.Status.Queue}} {
		if err == nil {
			err = checkText(f.name, f.v, false)
		}
	}
	if err == nil && len(rep.Events) > 1000 {
		err = fmt.Errorf("%w: %d call events in one report (at most 1000)", ErrInvalid, len(rep.Events))
	}
	for _, ev := range rep.Events {
		for _, f := range []struct{ name, v string }{{"event kind", ev.Kind}, {"call_id", ev.CallID}, {"queue", ev.Queue}, {"direction", ev.Direction}, {"caller", ev.Caller}} {
			if err == nil {
				err = checkText(f.name, f.v, f.name == "event kind" || f.name == "call_id")
			}
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.b.Live(r.Context(), p, rep); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]time.Time{"server_time": s.clock.Now()})
}

func (s *Server) customers(w http.ResponseWriter, r *http.Request, p Principal) {
	since, err := queryInt(r, "since", 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if limit < 1 || limit > 5000 {
		writeError(w, http.StatusBadRequest, "limit must be between 1 and 5000")
		return
	}
	page, err := s.b.Customers(r.Context(), p, since, int(limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if page.Customers == nil {
		page.Customers = []Record{}
	}
	writeJSON(w, http.StatusOK, page)
}

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s must be a non-negative integer", ErrInvalid, name)
	}
	return n, nil
}

func (s *Server) board(w http.ResponseWriter, r *http.Request, p Principal) {
	b, err := s.b.Board(r.Context(), s.clock.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.boardFor(p, b))
}

// boardFor is b as p may see it: phone numbers masked unless p's role may
// see them (WithFullNumbers).
func (s *Server) boardFor(p Principal, b Board) Board {
	switch s.viewOf(p) {
	case viewFull:
		return b
	case viewWall:
		return WallBoard(b)
	}
	return MaskBoard(b)
}

// viewOf is how p sees the board: a wallboard as WallBoard, a role named
// WithFullNumbers in full, everyone else masked.
func (s *Server) viewOf(p Principal) view {
	switch {
	case p.Role == RoleWallboard:
		return viewWall
	case s.full[p.Role]:
		return viewFull
	}
	return viewMasked
}

// stream sends the board as server-sent events: "board" at once, then on
// every change and every refresh interval, as the board feed computes it
// (feed.go); "alert" for each alert not yet sent, as soon as it is
// stored; "end" and the end of the stream as soon as its token ends
// (revoked, signed out, expired, past its rotation's grace), on whichever
// hub that happened. Numbers are masked as boardFor says.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, p Principal) {
	s.serveBoard(w, r, p, s.viewOf(p))
}

// serveBoard streams the feed's boards in view v to p.
func (s *Server) serveBoard(w http.ResponseWriter, r *http.Request, p Principal, v view) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	ctx := r.Context()
	ended := s.b.TokenEnded(ctx, p)
	sub := s.feed.subscribe()
	defer s.feed.unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set(RefreshHeader, s.refresh.String())
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case why := <-ended:
			_ = writeEvent(w, "end", StreamEnd{Reason: why})
			fl.Flush()
			s.log.Info("stream ended with its token", "token_id", p.TokenID, "reason", why)
			return
		case fr := <-sub.ch:
			if err := fr.encode(v); err != nil {
				s.log.Warn("board stream", "error", err)
				continue
			}
			for _, id := range fr.alertIDs() {
				if !seen[id] {
					seen[id] = true
					if _, err := w.Write(fr.alerts[v][id]); err != nil {
						return
					}
				}
			}
			if _, err := w.Write(fr.event[v]); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// fail answers err with the status and code its kind calls for;
// unexpected errors are logged and answered 500 without detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var locked *LockedError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTokenExpired):
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: err.Error(), Code: codeExpired})
	case errors.Is(err, ErrUnauthorized):
		writeError(w, http.StatusUnauthorized, err.Error())
	case errors.Is(err, ErrWrongPIN):
		writeJSON(w, http.StatusUnauthorized, ErrorBody{Error: err.Error(), Code: codeWrongPIN})
	case errors.As(err, &locked):
		writeRetry(w, codeLocked, err.Error(), locked.RetryAfter)
	case errors.Is(err, ErrOwnVersion):
		writeJSON(w, http.StatusForbidden, ErrorBody{Error: err.Error(), Code: codeOwnVersion})
	case errors.Is(err, ErrAgentDisabled):
		writeJSON(w, http.StatusForbidden, ErrorBody{Error: err.Error(), Code: codeDisabled})
	case errors.Is(err, ErrWrongRole):
		writeJSON(w, http.StatusForbidden, ErrorBody{Error: err.Error(), Code: codeRole})
	case errors.Is(err, ErrNoLiveCall):
		writeJSON(w, http.StatusConflict, ErrorBody{Error: err.Error(), Code: codeNoLiveCall})
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
	case errors.Is(err, ErrForbidden):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	case r.Context().Err() != nil:
		// The client went away; nothing to answer.
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// writeRetry answers 429 with code and Retry-After d, in whole seconds
// rounded up.
func writeRetry(w http.ResponseWriter, code, msg string, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: msg, Code: code})
}

// decodeBody reads exactly one JSON value of at most limit bytes into v,
// answering 413 or 400 itself when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		writeBodyError(w, err)
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "malformed JSON: data after the request object")
		return false
	}
	return true
}

func writeBodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit))
		return
	}
	writeError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
}

// writeError answers a refusal with the code of its status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorBody{Error: msg, Code: statusCodes[status]})
}

var statusCodes = map[int]string{
	http.StatusUnauthorized:          codeUnauthorized,
	http.StatusForbidden:             codeForbidden,
	http.StatusNotFound:              codeNotFound,
	http.StatusBadRequest:            codeInvalid,
	http.StatusRequestEntityTooLarge: codeInvalid,
	http.StatusUnprocessableEntity:   codeInvalid,
	http.StatusConflict:              codeConflict,
	http.StatusTooManyRequests:       codeRateLimited,
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
