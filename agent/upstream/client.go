package upstream

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"agentdesk/agent"
)

// Outbox is the desk's side of pushing: the durable queue of changes. The
// store satisfies it through an adapter (see package upstream/local).
type Outbox interface {
	// Desk is this desk's ID.
	Desk() string
	// Pending returns up to limit queued records, oldest first.
	Pending(limit int) ([]Record, error)
	// Ack drops every queued record up to and including seq.
	Ack(seq uint64) error
	// Stats reports how many records wait and when the oldest was made.
	Stats() (pending int, oldest time.Time, err error)
}

// Inbox is the desk's side of pulling: records and packs from the hub are
// applied without queueing them back upstream.
type Inbox interface {
	// ApplyRemote stores a record received from the hub if it is newer than
	// the desk's copy, reporting whether it did.
	ApplyRemote(kind agent.Kind, id string, version int64, body []byte) (bool, error)
	// RemoveRemote deletes a record the hub has a tombstone for, if the
	// desk's copy is older, reporting whether it did.
	RemoveRemote(kind agent.Kind, id string, version int64) (bool, error)
	// Cursor returns the saved position of the named pull ("customers").
	Cursor(name string) (int64, error)
	// SetCursor saves the position of the named pull.
	SetCursor(name string, v int64) error
	// PackID returns the ID of the newest pack stored for lang (0 if none).
	PackID(lang string) (int64, error)
	// SavePack stores a published pack.
	SavePack(p Pack) error
}

// Status is what the desk shows about syncing.
type Status struct {
	LastSync  time.Time `json:"last_sync,omitzero"` // last complete round (desk clock)
	LastTry   time.Time `json:"last_try,omitzero"`
	Pending   int       `json:"pending"`
	Oldest    time.Time `json:"oldest,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Failures  int       `json:"failures"` // consecutive failed rounds
	Pushed    int       `json:"pushed"`   // records the hub confirmed, since start
	Conflicts int       `json:"conflicts"`
	Pulled    int       `json:"pulled"` // customer records applied, since start
	PackID    int64     `json:"pack_id,omitempty"`
	// PulledCallbacks counts the callback tasks applied, since start.
	PulledCallbacks int `json:"pulled_callbacks"`
	// SettingsVersion is the version of the center's settings last
	// delivered to OnSettings (0: none yet).
	SettingsVersion int64 `json:"settings_version,omitempty"`
	// CallbacksRefused is the hub's last refusal of the callback pull
	// (403: the agent is not signed in at this desk with the hub, as after
	// an offline sign-in or with sign-in off); empty once a pull succeeds.
	// It does not fail the round: records still go up and packs come down.
	CallbacksRefused string `json:"callbacks_refused,omitempty"`
	// PulledCoaching counts the coaching notes applied, since start.
	PulledCoaching int `json:"pulled_coaching"`
	// Skipped names the steps of a round the token's role may not do
	// (the hub answered ErrWrongRole): "push", "customers", "packs",
	// "settings", "callbacks", "coaching", "live". They are left out of
	// every round until the token changes, and are no failure.
	Skipped []string `json:"skipped,omitempty"`
}

// HTTPError is a refusal from the hub: the status, the hub's reason, its
// code (ErrorBody) and, for a 429, when to try again. It matches the
// package's sentinels with errors.Is, so callers decide on the kind of
// refusal, never on its text: 401 is ErrUnauthorized (and ErrTokenExpired
// too when the code says "expired"), except the code "wrong_pin", which is
// ErrWrongPIN only; 403 ErrForbidden (and ErrOwnVersion, ErrAgentDisabled
// or ErrWrongRole too when the code says so), 404 ErrNotFound, 409
// ErrConflict (and ErrNoLiveCall for the code "no_live_call"), 400, 413
// and 422 ErrInvalid, 429 ErrRateLimited (and ErrSignInLocked too for the
// code "locked").
type HTTPError struct {
	Status     int
	Msg        string
	Code       string
	RetryAfter time.Duration // from Retry-After; 0 if none
}

func (e *HTTPError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("hub answered %d: %s (retry after %s)", e.Status, e.Msg, e.RetryAfter)
	}
	return fmt.Sprintf("hub answered %d: %s", e.Status, e.Msg)
}

// Is reports whether the refusal is of the kind target names.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized && e.Code != codeWrongPIN
	case ErrTokenExpired:
		return e.Status == http.StatusUnauthorized && e.Code == codeExpired
	case ErrWrongPIN:
		return e.Status == http.StatusUnauthorized && e.Code == codeWrongPIN
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	case ErrOwnVersion:
		return e.Status == http.StatusForbidden && e.Code == codeOwnVersion
	case ErrAgentDisabled:
		return e.Status == http.StatusForbidden && e.Code == codeDisabled
	case ErrWrongRole:
		return e.Status == http.StatusForbidden && e.Code == codeRole
	case ErrNoLiveCall:
		return e.Status == http.StatusConflict && e.Code == codeNoLiveCall
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrInvalid:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusRequestEntityTooLarge || e.Status == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrSignInLocked:
		return e.Status == http.StatusTooManyRequests && e.Code == codeLocked
	}
	return false
}

// Permanent reports whether retrying the same request cannot help (a 4xx
// other than 408 and 429).
func (e *HTTPError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

// ErrNoOutbox is returned by Drain, Live and SyncOnce of a client made
// without an outbox (one that only publishes, pings or reads the board).
var ErrNoOutbox = errors.New("this hub client has no outbox")

// requestTimeout bounds a request whose context has no deadline when the
// HTTP client has no timeout of its own.
const requestTimeout = 30 * time.Second

// Client is the desk's one connection to a hub: it syncs the desk (drains
// its outbox, pulls customers and packs, reports live state), publishes,
// reviews and rolls back packs, reads the supervisors' board stream, and
// checks the hub and its clock.
type Client struct {
	hub      *url.URL
	http     *http.Client
	stream   *http.Client // http without a total timeout: a stream is long
	out      Outbox
	in       Inbox
	clock    agent.Clock
	jitter   func() float64
	sleep    func(ctx context.Context, d time.Duration) error
	batch    int
	minWait  time.Duration
	maxWait  time.Duration
	interval time.Duration
	langs    []string
	onStatus func(Status)
	live     func() (AgentStatus, []CallEvent)
	agents   func() []string
	settings func(Settings)
	coaching bool
	log      *slog.Logger

	streamIdle    time.Duration
	streamFirst   time.Duration
	streamLongest time.Duration

	roots  *x509.CertPool
	optErr error
	desk   string
	pinned ed25519.PublicKey

	mu       sync.Mutex
	status   Status
	token    string
	settingV int64           // the settings version last delivered to c.settings
	skip     map[string]bool // steps the token's role may not do
}

// ClientOption configures NewClient.
type ClientOption func(*Client)

// WithHTTPClient sets the HTTP client (default: 30 s timeout). Its
// transport also carries the board stream, without the timeout. A request
// whose context has no deadline, sent through a client without a timeout,
// is still bounded to 30 s.
func WithHTTPClient(h *http.Client) ClientOption { return func(c *Client) { c.http = h } }

// WithClock sets the desk's clock, used for status times and SentAt.
func WithClock(k agent.Clock) ClientOption { return func(c *Client) { c.clock = k } }

// WithJitter sets the source of jitter, a function returning [0,1).
func WithJitter(f func() float64) ClientOption { return func(c *Client) { c.jitter = f } }

// WithSleep sets how Run waits between rounds and FollowBoard between
// connections (tests make it instant).
func WithSleep(f func(ctx context.Context, d time.Duration) error) ClientOption {
	return func(c *Client) { c.sleep = f }
}

// WithBatch sets how many records go in one push (default 500).
func WithBatch(n int) ClientOption { return func(c *Client) { c.batch = n } }

// WithBackoff sets the first and the longest wait after failures
// (default 1 s and 5 min).
func WithBackoff(first, longest time.Duration) ClientOption {
	return func(c *Client) { c.minWait, c.maxWait = first, longest }
}

// WithInterval sets the wait between successful rounds (default 10 s).
func WithInterval(d time.Duration) ClientOption { return func(c *Client) { c.interval = d } }

// WithLangs sets the languages whose latest pack is pulled (default zh-Hans).
func WithLangs(langs ...string) ClientOption { return func(c *Client) { c.langs = langs } }

// OnStatus sets a callback run (on the sync goroutine; it must not block)
// after every round and every batch.
func OnStatus(f func(Status)) ClientOption { return func(c *Client) { c.onStatus = f } }

// WithLiveSource makes every round end with a live report (a heartbeat
// carrying the outbox figures): f returns the agent's state and the call
// events since its last call. Live events are for the board only; the
// durable account of a call is its record in the outbox.
func WithLiveSource(f func() (AgentStatus, []CallEvent)) ClientOption {
	return func(c *Client) { c.live = f }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) ClientOption { return func(c *Client) { c.log = l } }

// WithStreamIdle sets how long a board stream may stay silent before the
// client drops it, for a hub that does not give its refresh period in the
// RefreshHeader (default 15 s: three of the hub's default 5 s periods).
func WithStreamIdle(d time.Duration) ClientOption { return func(c *Client) { c.streamIdle = d } }

// WithStreamBackoff sets FollowBoard's first and longest pause between
// connections (default 1 s and 1 min).
func WithStreamBackoff(first, longest time.Duration) ClientOption {
	return func(c *Client) { c.streamFirst, c.streamLongest = first, longest }
}

// NewClient returns a client for the hub at base URL hub. in may be nil: the
// client then only pushes. out may be nil too, for a client that only
// publishes, pings or reads the board (Drain, Live and SyncOnce then
// return ErrNoOutbox).
func NewClient(hub, token string, out Outbox, in Inbox, opts ...ClientOption) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(hub, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("hub url %q: want http(s)://host[:port]", hub)
	}
	c := &Client{
		hub: u, token: token, out: out, in: in,
		http:  &http.Client{Timeout: 30 * time.Second},
		clock: agent.SystemClock{}, jitter: rand.Float64, sleep: sleepCtx,
		batch: 500, minWait: time.Second, maxWait: 5 * time.Minute, interval: 10 * time.Second,
		langs: []string{"zh-Hans"}, log: slog.Default(),
		streamIdle: 15 * time.Second, streamFirst: time.Second, streamLongest: time.Minute,
	}
	for _, o := range opts {
		o(c)
	}
	if c.optErr != nil {
		return nil, c.optErr
	}
	if c.roots != nil {
		if c.http, err = withRoots(c.http, c.roots); err != nil {
			return nil, err
		}
	}
	c.stream = &http.Client{Transport: c.http.Transport, CheckRedirect: c.http.CheckRedirect, Jar: c.http.Jar}
	c.log = c.log.With("component", "upstream")
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Status returns the latest sync status.
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *Client) setStatus(f func(*Status)) {
	c.mu.Lock()
	f(&c.status)
	st := c.status
	c.mu.Unlock()
	if c.onStatus != nil {
		c.onStatus(st)
	}
}

// Backoff is the wait before retry number failures (1-based): the first
// wait doubled per failure up to the longest, with "equal jitter" (half
// fixed, half random) so that desks coming back together do not retry in
// step.
func (c *Client) Backoff(failures int) time.Duration {
	return backoff(failures, c.minWait, c.maxWait, c.jitter)
}

func backoff(failures int, first, longest time.Duration, jitter func() float64) time.Duration {
	d := first
	for i := 1; i < failures && d < longest; i++ {
		d *= 2
	}
	d = min(d, longest)
	return d/2 + time.Duration(jitter()*float64(d/2))
}

// Run syncs until ctx ends: a round, then the interval after success or a
// jittered exponential backoff after failure. It returns ctx's error.
func (c *Client) Run(ctx context.Context) error {
	for {
		wait := c.interval
		if err := c.SyncOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			wait = c.Backoff(c.Status().Failures)
			c.log.Warn("sync failed", "error", err, "retry_in", wait)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// SyncOnce runs one round: drain the outbox, then pull customers, packs,
// the center's settings (with OnSettings), the agents' callback tasks
// (with WithAgents) and coaching notes (with WithCoachingPull), and end
// with a live report (with WithLiveSource). The outbox is only
// acknowledged after the hub confirms a batch, so a round cut short by a
// crash or the network is simply repeated. A step the token's role may
// not do (a trainer's desk pulling customers) is skipped from then on, not
// failed (Status.Skipped).
func (c *Client) SyncOnce(ctx context.Context) error {
	if c.out == nil {
		return ErrNoOutbox
	}
	c.setStatus(func(s *Status) { s.LastTry = c.clock.Now() })
	err := c.step(ctx, "push", c.Drain)
	if err == nil && c.in != nil {
		err = c.step(ctx, "customers", c.PullCustomers)
		if err == nil {
			err = c.step(ctx, "packs", c.PullPacks)
		}
	}
	if err == nil && c.settings != nil {
		err = c.step(ctx, "settings", c.PullSettings)
	}
	if err == nil && c.in != nil && c.agents != nil {
		agents := c.agents()
		err = c.step(ctx, "callbacks", func(ctx context.Context) error {
			return c.pullRefusable(ctx, "callbacks", func(ctx context.Context) error { return c.PullCallbacks(ctx, agents...) })
		})
		if err == nil && c.coaching {
			err = c.step(ctx, "coaching", func(ctx context.Context) error {
				return c.pullRefusable(ctx, "coaching", func(ctx context.Context) error { return c.PullCoaching(ctx, agents...) })
			})
		}
	}
	if err == nil && c.live != nil {
		err = c.step(ctx, "live", func(ctx context.Context) error {
			st, evs := c.live()
			return c.Live(ctx, st, evs)
		})
	}
	pending, oldest, serr := c.out.Stats()
	now := c.clock.Now()
	var last time.Time
	if err == nil && c.in != nil {
		// Kept on the desk, so the time of the last sync survives a restart.
		if cerr := c.in.SetCursor(cursorLastSync, now.UnixNano()); cerr != nil {
			c.log.Warn("save last sync time", "error", cerr)
		}
	} else if c.in != nil && c.Status().LastSync.IsZero() {
		if v, cerr := c.in.Cursor(cursorLastSync); cerr == nil && v > 0 {
			last = time.Unix(0, v)
		}
	}
	c.setStatus(func(s *Status) {
		if serr == nil {
			s.Pending, s.Oldest = pending, oldest
		}
		if err != nil {
			s.Failures++
			s.LastError = err.Error()
			if s.LastSync.IsZero() {
				s.LastSync = last
			}
			return
		}
		s.Failures = 0
		s.LastError = ""
		s.LastSync = now
	})
	return err
}

// pullRefusable runs a pull of the desk's agents' records (callbacks,
// coaching); a refusal (403: the hub does not see the agent signed in at
// this desk) is kept in the status and logged when it first appears, not
// returned: such a desk still syncs everything else.
func (c *Client) pullRefusable(ctx context.Context, what string, pull func(context.Context) error) error {
	err := pull(ctx)
	refused := ""
	if errors.Is(err, ErrForbidden) && !errors.Is(err, ErrWrongRole) {
		refused, err = err.Error(), nil
	}
	if err != nil {
		return err
	}
	if refused != "" && c.Status().CallbacksRefused == "" {
		c.log.Info("the hub gives this desk no tasks or notes of its agent until the agent signs in with it", "pull", what, "reason", refused)
	}
	if what == "callbacks" || refused != "" {
		c.setStatus(func(s *Status) { s.CallbacksRefused = refused })
	}
	return nil
}

// step runs one step of a round unless the token's role may not do it; a
// step the hub refuses for the role (ErrWrongRole) is skipped from then on
// until the token changes.
func (c *Client) step(ctx context.Context, name string, f func(context.Context) error) error {
	c.mu.Lock()
	skip := c.skip[name]
	c.mu.Unlock()
	if skip {
		return nil
	}
	err := f(ctx)
	if !errors.Is(err, ErrWrongRole) {
		return err
	}
	c.mu.Lock()
	if c.skip == nil {
		c.skip = map[string]bool{}
	}
	c.skip[name] = true
	skipped := make([]string, 0, len(c.skip))
	for _, n := range syncSteps {
		if c.skip[n] {
			skipped = append(skipped, n)
		}
	}
	c.mu.Unlock()
	c.setStatus(func(s *Status) { s.Skipped = skipped })
	c.log.Info("sync step not for this token's role; skipped", "step", name)
	return nil
}

// syncSteps are the steps of a round, in order.
var syncSteps = []string{"push", "customers", "packs", "settings", "callbacks", "coaching", "live"}

// cursorLastSync is the Inbox cursor that keeps the last successful sync
// (Unix nanoseconds).
const cursorLastSync = "last_sync"

// Drain pushes the outbox in batches until it is empty. A batch the hub
// finds too large (413) is halved and sent again.
func (c *Client) Drain(ctx context.Context) error {
	if c.out == nil {
		return ErrNoOutbox
	}
	size := c.batch
	for {
		recs, err := c.out.Pending(size)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(recs) == 0 {
			return nil
		}
		pending, oldest, err := c.out.Stats()
		if err != nil {
			return fmt.Errorf("outbox stats: %w", err)
		}
		req := PushRequest{Desk: c.out.Desk(), Records: recs, Pending: pending, OldestPending: oldest, SentAt: c.clock.Now()}
		var resp PushResponse
		if err := c.do(ctx, http.MethodPost, "/v1/push", req, &resp); err != nil {
			var he *HTTPError
			if errors.As(err, &he) && he.Status == http.StatusRequestEntityTooLarge && len(recs) > 1 {
				size = len(recs) / 2
				continue
			}
			return fmt.Errorf("push %d records: %w", len(recs), err)
		}
		last := recs[len(recs)-1].Seq
		if resp.AckSeq != last {
			return fmt.Errorf("push: hub acknowledged up to seq %d, sent up to %d", resp.AckSeq, last)
		}
		if err := c.out.Ack(resp.AckSeq); err != nil {
			return fmt.Errorf("ack outbox %d: %w", resp.AckSeq, err)
		}
		for _, cf := range resp.Conflicts {
			c.log.Warn("sync conflict kept by the hub", "kind", cf.Kind, "record_id", cf.ID, "version", cf.Version, "reason", cf.Reason)
		}
		c.setStatus(func(s *Status) {
			s.Pushed += len(recs)
			s.Conflicts += len(resp.Conflicts)
			s.Pending = max(0, pending-len(recs))
		})
	}
}

// PullCustomers applies every customer record changed on the hub since the
// saved cursor, page by page, saving the cursor after each page.
func (c *Client) PullCustomers(ctx context.Context) error {
	since, err := c.in.Cursor("customers")
	if err != nil {
		return fmt.Errorf("read customers cursor: %w", err)
	}
	for {
		var page CustomerPage
		if err := c.do(ctx, http.MethodGet, "/v1/customers?since="+strconv.FormatInt(since, 10), nil, &page); err != nil {
			return fmt.Errorf("pull customers: %w", err)
		}
		applied := 0
		for _, r := range page.Customers {
			var ok bool
			var err error
			if r.Deleted {
				ok, err = c.in.RemoveRemote(agent.KindCustomer, r.ID, r.Version)
			} else {
				ok, err = c.in.ApplyRemote(agent.KindCustomer, r.ID, r.Version, r.Body)
			}
			if err != nil {
				return fmt.Errorf("apply customer %s: %w", r.ID, err)
			}
			if ok {
				applied++
			}
		}
		if page.Next > since {
			if err := c.in.SetCursor("customers", page.Next); err != nil {
				return fmt.Errorf("save customers cursor: %w", err)
			}
			since = page.Next
		}
		c.setStatus(func(s *Status) { s.Pulled += applied })
		if !page.More {
			return nil
		}
	}
}

// PullPacks stores the live pack of each language (its newest approved
// version; the hub never serves a pending or rejected one) if its version
// is higher than the one the desk has.
func (c *Client) PullPacks(ctx context.Context) error {
	for _, lang := range c.langs {
		var pk Pack
		err := c.do(ctx, http.MethodGet, "/v1/packs/latest?lang="+url.QueryEscape(lang), nil, &pk)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pull %s pack: %w", lang, err)
		}
		have, err := c.in.PackID(lang)
		if err != nil {
			return fmt.Errorf("read %s pack id: %w", lang, err)
		}
		if pk.ID <= have {
			continue
		}
		if err := c.in.SavePack(pk); err != nil {
			return fmt.Errorf("save %s pack %d: %w", lang, pk.ID, err)
		}
		c.setStatus(func(s *Status) { s.PackID = pk.ID })
		c.log.Info("script pack updated", "lang", lang, "pack_id", pk.ID)
	}
	return nil
}

// Live posts the desk's current state and call events.
func (c *Client) Live(ctx context.Context, st AgentStatus, events []CallEvent) error {
	if c.out == nil {
		return ErrNoOutbox
	}
	pending, oldest, err := c.out.Stats()
	if err != nil {
		return fmt.Errorf("outbox stats: %w", err)
	}
	rep := LiveReport{Desk: c.out.Desk(), Status: st, Events: events, Pending: pending, OldestPending: oldest, SentAt: c.clock.Now()}
	if err := c.do(ctx, http.MethodPost, "/v1/live", rep, nil); err != nil {
		return fmt.Errorf("live report: %w", err)
	}
	return nil
}

// do sends in as JSON (nil: no body) with the token and decodes a 2xx
// answer into out (nil: discarded).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.send(ctx, method, path, "application/json", body, true, out)
}

// send sends one request, bounded in time, with the client's token when
// auth says so, and decodes a 2xx answer into out; any other answer is an
// *HTTPError with the hub's reason.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader, auth bool, out any) error {
	tok := ""
	if auth {
		tok = c.Token()
	}
	return c.sendAs(ctx, tok, method, path, contentType, body, out)
}

// sendAs is send with token tok ("" for none).
func (c *Client) sendAs(ctx context.Context, tok, method, path, contentType string, body io.Reader, out any) error {
	if _, ok := ctx.Deadline(); !ok && c.http.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	req, err := c.newRequestAs(ctx, tok, method, path, body)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return tlsProblem(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return refusal(resp)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode hub answer to %s: %w", path, err)
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader, auth bool) (*http.Request, error) {
	tok := ""
	if auth {
		tok = c.Token()
	}
	return c.newRequestAs(ctx, tok, method, path, body)
}

// newRequestAs makes a request sent with token tok ("" for none).
func (c *Client) newRequestAs(ctx context.Context, tok, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.hub.String()+path, body)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, nil
}

// Token returns the token the client sends.
func (c *Client) Token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// SetToken makes the client send tok from its next request on (a rotated
// token, or a session token after a sign-in); a board stream already open
// goes on with the token it was opened with.
func (c *Client) SetToken(tok string) {
	c.mu.Lock()
	changed := tok != c.token
	c.token = tok
	if changed {
		c.skip = nil // another token may do what this one may not
	}
	c.mu.Unlock()
	if changed {
		c.setStatus(func(s *Status) { s.Skipped = nil })
	}
}

// refusal reads a non-2xx answer into an *HTTPError.
func refusal(resp *http.Response) error {
	var eb ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
		eb.Error = strings.TrimSpace(string(b))
	}
	he := &HTTPError{Status: resp.StatusCode, Msg: eb.Error, Code: eb.Code}
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n >= 0 {
		he.RetryAfter = time.Duration(n) * time.Second
	}
	return he
}
