package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// cheapPIN is a low argon2id cost for tests that sign in many times; the
// end-to-end test signs in at the default cost.
var cheapPIN = upstream.Argon2Params{Time: 1, Memory: 256, Threads: 1}

// stepClock is a hub clock the test moves.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock { return &stepClock{t: time.Now()} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startHub opens a hub on dsn (a fresh database if "") with dbOpts and
// serves it with srvOpts on 127.0.0.1.
func startHub(t *testing.T, dsn string, dbOpts []Option, srvOpts ...upstream.ServerOption) *testHub {
	t.Helper()
	if dsn == "" {
		dsn = pgtest.New(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := Open(ctx, dsn, append([]Option{WithLogger(quiet)}, dbOpts...)...)
	if err != nil {
		t.Fatalf("open hub db: %v", err)
	}
	t.Cleanup(db.Close)
	srv := httptest.NewServer(NewHandler(db, append([]upstream.ServerOption{upstream.WithServerLogger(quiet), upstream.WithStreamRefresh(time.Hour)}, srvOpts...)...))
	t.Cleanup(srv.Close)
	return &testHub{db: db, srv: srv, url: srv.URL}
}

// from is an HTTP client whose connections come from the loopback
// address ip (127.0.0.2: another host, as the hub sees it).
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
}

// deskClient is a desk's client: its own token, bound to desk, connecting
// from ip.
func deskClient(t *testing.T, h *testHub, desk, ip string, opts ...upstream.ClientOption) *upstream.Client {
	t.Helper()
	tok := h.token(t, upstream.RoleAgent, "PC "+desk, desk)
	c, err := upstream.NewClient(h.url, tok, nil, nil, append([]upstream.ClientOption{upstream.WithLogger(quiet), upstream.WithDesk(desk),
		upstream.WithHTTPClient(from(ip))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asClient(t *testing.T, h *testHub, token string) *upstream.Client {
	t.Helper()
	c, err := upstream.NewClient(h.url, token, nil, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addAgent(t *testing.T, h *testHub, a AgentSpec) {
	t.Helper()
	if err := h.db.AddAgent(context.Background(), a); err != nil {
		t.Fatalf("add agent %s: %v", a.Number, err)
	}
}

// auditActions lists the audit's actions, oldest first, with their subject.
func (h *testHub) auditActions(t *testing.T) []string {
	t.Helper()
	page, err := h.db.Audit(context.Background(), upstream.AuditQuery{Limit: upstream.MaxAuditPage})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range page.Entries {
		out = append(out, string(e.Action)+" "+e.Subject)
	}
	return out
}

func hexOf(s string) string { return hex.EncodeToString([]byte(s)) }

func TestSignIn_OnlineThenOffline(t *testing.T) {
	key := bytes.Repeat([]byte{7}, HubKeySize)
	h := startHub(t, "", []Option{WithHubKey(key)})
	ctx := context.Background()
	const pin, sipPass = "pin-2468-李", "sip-pass-8001-secret"
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: pin, SIPUser: "8001", SIPPassword: sipPass})
	addAgent(t, h, AgentSpec{Number: "9001", Name: "张主管", Role: upstream.RoleSupervisor, PIN: "9001-pin"})
	deskA, deskB := agent.NewID(), agent.NewID()
	c := deskClient(t, h, deskA, "127.0.0.1", upstream.WithPinnedHubKey(h.db.SigningKey()))

	began := time.Now()
	res, err := c.SignIn(ctx, "8001", pin)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sign-in at the default argon2id cost took %s", time.Since(began).Round(time.Millisecond))
	if res.Agent != (upstream.AgentInfo{Number: "8001", Name: "李娜", Role: upstream.RoleAgent}) {
		t.Errorf("agent = %+v", res.Agent)
	}
	if res.SIP == nil || res.SIP.User != "8001" || string(res.SIP.Password) != sipPass {
		t.Errorf("SIP account = %+v", res.SIP)
	}
	if d := time.Until(res.Expires); d < upstream.DefaultShift-time.Minute || d > upstream.DefaultShift {
		t.Errorf("session expires in %s, want a shift (%s)", d, upstream.DefaultShift)
	}
	if d := res.Offline.Expires.Sub(res.Offline.Issued); d != upstream.DefaultOfflineTTL {
		t.Errorf("verifier lasts %s, want %s", d, upstream.DefaultOfflineTTL)
	}
	if !bytes.Equal(res.HubKey, h.db.SigningKey()) || res.Offline.KeyID != upstream.KeyID(res.HubKey) {
		t.Errorf("hub key %x (id %s), want the hub's signing key", res.HubKey, res.Offline.KeyID)
	}

	// Offline: the same PIN within the verifier's lifetime, not after.
	pub := ed25519.PublicKey(res.HubKey)
	for _, tt := range []struct {
		pin  string
		at   time.Time
		want error
	}{
		{pin, res.Offline.Issued.Add(6 * 24 * time.Hour), nil},
		{"pin-1357", res.Offline.Issued.Add(time.Hour), upstream.ErrWrongPIN},
		{pin, res.Offline.Issued.Add(7*24*time.Hour + time.Second), upstream.ErrVerifierExpired},
	} {
		if err := upstream.VerifyOffline(res.Offline, pub, deskA, "8001", tt.pin, tt.at); !errors.Is(err, tt.want) && (err != nil || tt.want != nil) {
			t.Errorf("offline %q at +%s = %v, want %v", tt.pin, tt.at.Sub(res.Offline.Issued), err, tt.want)
		}
	}

	// The session: the agent's, at this desk, and it may push for it.
	sess := asClient(t, h, string(res.Session))
	id, err := sess.Whoami(ctx)
	if err != nil || id.Kind != upstream.TokenSession || id.Agent != "8001" || id.Desk != deskA || id.Role != upstream.RoleAgent || id.Name != "李娜" {
		t.Errorf("whoami with the session = %+v, %v", id, err)
	}
	cid := agent.NewID()
	push(t, h, string(res.Session), upstream.PushRequest{Desk: deskA, Records: []upstream.Record{rec(1, agent.KindCustomer, cid, 1, customer(deskA, cid, 1, "甲"))}})
	if code, body := h.call(t, "POST", "/v1/push", string(res.Session), upstream.PushRequest{Desk: deskB}); code != 403 {
		t.Errorf("the session pushes for another desk: %d %s", code, body)
	}

	// The desk key is the desk's: the same for every sign-in there, another
	// desk's is another.
	sup, err := c.SignIn(ctx, "9001", "9001-pin")
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.SignIn(ctx, "8001", pin)
	if err != nil {
		t.Fatal(err)
	}
	other, err := deskClient(t, h, deskB, "127.0.0.1").SignIn(ctx, "8001", pin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.DeskKey, again.DeskKey) || !bytes.Equal(res.DeskKey, sup.DeskKey) || bytes.Equal(res.DeskKey, other.DeskKey) {
		t.Errorf("desk keys: first %x, again %x, supervisor %x, desk B %x", []byte(res.DeskKey), []byte(again.DeskKey), []byte(sup.DeskKey), []byte(other.DeskKey))
	}
	if sup.SIP != nil || sup.Agent.Role != upstream.RoleSupervisor {
		t.Errorf("supervisor's sign-in = %+v", sup)
	}
	// A supervisor signed in at a desk sees the board and takes calls.
	if code, body := h.call(t, "GET", "/v1/board", string(sup.Session), nil); code != 200 {
		t.Errorf("supervisor session reads the board: %d %s", code, body)
	}
	if code, body := h.call(t, "POST", "/v1/live", string(sup.Session), upstream.LiveReport{Desk: deskA, Status: upstream.AgentStatus{Agent: "张主管", State: "ready"}}); code != 200 {
		t.Errorf("supervisor session reports the desk's state: %d %s", code, body)
	}
	if code, _ := h.call(t, "GET", "/v1/board", string(res.Session), nil); code != 403 {
		t.Errorf("an agent's session reads the board: %d", code)
	}

	// No PIN, password, key or token in the database, in any form.
	dump := strings.Join(slicesOf(h.dump(t)), "\n")
	for what, s := range map[string]string{"PIN": pin, "SIP password": sipPass, "desk key": string(res.DeskKey), "session token": string(res.Session)} {
		if strings.Contains(dump, s) || strings.Contains(dump, hexOf(s)) {
			t.Errorf("the database holds the %s", what)
		}
	}
	page, err := h.db.Audit(ctx, upstream.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var oks int
	for _, e := range page.Entries {
		if e.Action == upstream.AuditSignIn {
			oks++
			if e.Addr != "127.0.0.1" || e.Subject == "" || e.Desk == "" || !strings.HasPrefix(e.Actor, "PC ") {
				t.Errorf("sign-in audited as %+v", e)
			}
		}
	}
	if oks != 4 {
		t.Errorf("%d sign-ins audited, want 4", oks)
	}
}

// slicesOf is a dump's texts.
func slicesOf(d map[string]string) []string {
	var out []string
	for k, v := range d {
		out = append(out, k+": "+v)
	}
	slices.Sort(out)
	return out
}

func TestSignIn_WrongPINsSlowedPerNumberAndAddress(t *testing.T) {
	clock := newStepClock()
	h := startHub(t, "", []Option{WithClock(clock), WithPINCost(cheapPIN)})
	ctx := context.Background()
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "2468"})
	addAgent(t, h, AgentSpec{Number: "8002", Name: "王芳", Role: upstream.RoleAgent, PIN: "1357"})
	desk1 := deskClient(t, h, agent.NewID(), "127.0.0.1")
	desk2 := deskClient(t, h, agent.NewID(), "127.0.0.2")

	// A wrong PIN is refused and changes nothing but the audit, which says
	// who, from where, and never the PIN.
	before := h.dump(t)
	if _, err := desk1.SignIn(ctx, "8001", "9753"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Fatalf("wrong PIN = %v", err)
	}
	after := h.dump(t)
	if changed := pgtest.Changed(before, after); !slices.Equal(changed, []string{"audit", "sequence audit_id_seq"}) {
		t.Errorf("a wrong PIN changed %v, want the audit only", changed)
	}
	if strings.Contains(after["audit"], "9753") || !strings.Contains(after["audit"], `"127.0.0.1"`) || !strings.Contains(after["audit"], "signin.fail") {
		t.Errorf("audit after a wrong PIN: %s", after["audit"])
	}
	for i := 2; i <= upstream.SignInFreeTries; i++ {
		if _, err := desk1.SignIn(ctx, "8001", "9753"); !errors.Is(err, upstream.ErrWrongPIN) {
			t.Fatalf("wrong PIN %d = %v", i, err)
		}
	}
	locked := func(c *upstream.Client, number, pin string, want time.Duration) {
		t.Helper()
		_, err := c.SignIn(ctx, number, pin)
		var he *upstream.HTTPError
		if !errors.Is(err, upstream.ErrSignInLocked) || !errors.As(err, &he) || he.RetryAfter < want-2*time.Second || he.RetryAfter > want {
			t.Fatalf("sign-in of %s = %v, want locked for about %s", number, err, want)
		}
	}
	// The number is locked wherever it comes from, even with its PIN; the
	// address is locked for every number; others are not slowed.
	locked(desk1, "8001", "2468", 30*time.Second)
	locked(desk2, "8001", "2468", 30*time.Second)
	locked(desk1, "8002", "1357", 30*time.Second)
	if _, err := desk2.SignIn(ctx, "8002", "1357"); err != nil {
		t.Fatalf("another agent from another address: %v", err)
	}
	// After the lock, the PIN works again and the count starts over.
	clock.Add(31 * time.Second)
	if _, err := desk1.SignIn(ctx, "8001", "2468"); err != nil {
		t.Fatalf("the right PIN after the lock: %v", err)
	}
	for i := 1; i < upstream.SignInFreeTries; i++ {
		if _, err := desk1.SignIn(ctx, "8001", "0000"); !errors.Is(err, upstream.ErrWrongPIN) {
			t.Fatalf("wrong PIN %d after a good sign-in = %v, want ErrWrongPIN (the count started over)", i, err)
		}
	}
	// The lock doubles with each further wrong PIN.
	if _, err := desk1.SignIn(ctx, "8001", "0000"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Fatal(err)
	}
	locked(desk1, "8001", "2468", 30*time.Second)
	clock.Add(31 * time.Second)
	if _, err := desk1.SignIn(ctx, "8001", "0000"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Fatal(err)
	}
	locked(desk1, "8001", "2468", time.Minute)

	// Unknown numbers count like wrong PINs, against the address.
	for range upstream.SignInFreeTries {
		if _, err := desk2.SignIn(ctx, "7777", "0000"); !errors.Is(err, upstream.ErrWrongPIN) {
			t.Fatalf("unknown number = %v", err)
		}
	}
	locked(desk2, "8002", "1357", 30*time.Second)

	got := h.auditActions(t)
	want := map[string]int{"signin.fail 8001": 11, "signin.locked 8001": 4, "signin.locked 8002": 2, "signin.ok 8001": 1, "signin.ok 8002": 1, "signin.fail 7777": 5}
	for k, n := range want {
		c := 0
		for _, a := range got {
			if a == k {
				c++
			}
		}
		if c != n {
			t.Errorf("audit holds %d × %q, want %d (audit: %v)", c, k, n, got)
		}
	}
}

func TestSignIn_DisabledAgentEndsSessionsAndStreams(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addAgent(t, h, AgentSpec{Number: "9001", Name: "张主管", Role: upstream.RoleSupervisor, PIN: "9001-pin"})
	desk := deskClient(t, h, agent.NewID(), "127.0.0.1")
	res, err := desk.SignIn(ctx, "9001", "9001-pin")
	if err != nil {
		t.Fatal(err)
	}
	next := openStream(t, ctx, h.url, string(res.Session))
	next("board")
	if n, err := h.db.DisableAgent(ctx, "9001"); err != nil || n != 1 {
		t.Fatalf("disable = %d, %v", n, err)
	}
	if end := next("end"); !strings.Contains(end, upstream.EndDisabled) {
		t.Errorf("stream ended with %s, want %s", end, upstream.EndDisabled)
	}
	if _, err := asClient(t, h, string(res.Session)).Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("the disabled agent's session = %v", err)
	}
	if _, err := desk.SignIn(ctx, "9001", "9001-pin"); !errors.Is(err, upstream.ErrAgentDisabled) {
		t.Errorf("sign-in of a disabled agent = %v", err)
	}
	if _, err := desk.SignIn(ctx, "9001", "wrong-pin"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Errorf("a wrong PIN of a disabled agent = %v (the PIN is checked first)", err)
	}
	if _, err := h.db.DisableAgent(ctx, "9001"); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("disabling twice = %v", err)
	}
	if _, err := h.db.DisableAgent(ctx, "0000"); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("disabling nobody = %v", err)
	}
}

func TestSignOut_EndsTheSessionAndItsStreamOnEveryHub(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	h2 := startHub(t, h.db.pool.Config().ConnString(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addAgent(t, h, AgentSpec{Number: "9001", Name: "张主管", Role: upstream.RoleSupervisor, PIN: "9001-pin"})
	desk := deskClient(t, h, agent.NewID(), "127.0.0.1")
	res, err := desk.SignIn(ctx, "9001", "9001-pin")
	if err != nil {
		t.Fatal(err)
	}
	next := openStream(t, ctx, h2.url, string(res.Session))
	next("board")
	began := time.Now()
	if err := desk.SignOut(ctx, string(res.Session)); err != nil {
		t.Fatal(err)
	}
	if end := next("end"); !strings.Contains(end, upstream.EndSignedOut) {
		t.Errorf("stream on the other hub ended with %s", end)
	}
	t.Logf("stream on the other hub ended %s after the sign-out was answered", time.Since(began).Round(time.Millisecond))
	if _, err := asClient(t, h, string(res.Session)).Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("whoami after sign-out = %v", err)
	}
	if code, _ := h.call(t, "POST", "/v1/signout", string(res.Session), nil); code != 401 {
		t.Errorf("signing out again = %d", code)
	}
	if got := h.auditActions(t); !slices.Contains(got, "signout 9001") {
		t.Errorf("audit = %v", got)
	}
}

// The figure the issue asks for: a stream open with a token, the token
// revoked through another hub on the same database; how long until the
// stream ends.
func TestStream_RevokedTokenEndsAtOnceOnEveryHub(t *testing.T) {
	h := newTestHub(t, nil)
	h2 := startHub(t, h.db.pool.Config().ConnString(), nil)
	sup := h.token(t, upstream.RoleSupervisor, "revoked-boss", "")
	keep := h.token(t, upstream.RoleSupervisor, "other-boss", "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	next := openStream(t, ctx, h2.url, sup)
	next("board")
	other := openStream(t, ctx, h2.url, keep)
	other("board")
	began := time.Now()
	if n, err := h.db.RevokeTokens(ctx, "revoked-boss"); err != nil || n != 1 {
		t.Fatalf("revoke = %d, %v", n, err)
	}
	if end := next("end"); !strings.Contains(end, upstream.EndRevoked) {
		t.Errorf("end = %s", end)
	}
	t.Logf("revoked token's stream on the other hub ended %s after the revocation committed", time.Since(began).Round(time.Microsecond))
	// Another token's stream goes on: a change still reaches it.
	c := newClient(t, h, upstreamtest.NewDesk(agent.NewID()))
	if err := c.Live(ctx, upstream.AgentStatus{Agent: "小赵", State: "ready"}, nil); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(other("board"), "小赵") {
	}
}

func TestStream_EndsAtExpiryAndAfterRotationGrace(t *testing.T) {
	const grace = 300 * time.Millisecond
	h := startHub(t, "", []Option{WithRotateGrace(grace)})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	short, _, err := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleWallboard, Name: "大屏", TTL: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	next := openStream(t, ctx, h.url, short)
	next("board")
	if end := next("end"); !strings.Contains(end, upstream.EndExpired) {
		t.Errorf("end = %s", end)
	}
	if _, err := asClient(t, h, short).Whoami(ctx); !errors.Is(err, upstream.ErrTokenExpired) {
		t.Errorf("expired token = %v", err)
	}

	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	next = openStream(t, ctx, h.url, sup)
	next("board")
	c := asClient(t, h, sup)
	asked := time.Now()
	if _, _, err := c.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	// The grace is counted on the hub's clock from the moment it rotated,
	// which lies somewhere after asked; a loaded machine may deliver the
	// answer late, so the test compares with the hub's own record of the
	// old token's end, not with when the answer arrived.
	var graceEnds time.Time
	if err := h.db.pool.QueryRow(ctx, `SELECT expires_at FROM tokens WHERE name = 'boss' AND replaced_by IS NOT NULL`).Scan(&graceEnds); err != nil {
		t.Fatal(err)
	}
	if earliest := asked.Add(grace).Truncate(time.Microsecond); graceEnds.Before(earliest) {
		t.Errorf("the old token ends at %s, less than its grace after the rotation was asked (%s)", graceEnds, asked)
	}
	if end := next("end"); !strings.Contains(end, upstream.EndRotated) {
		t.Errorf("end = %s", end)
	}
	if ended := time.Now(); ended.Before(graceEnds) {
		t.Errorf("the old token's stream ended %s before its grace was over", graceEnds.Sub(ended))
	}
	// The client goes on with the new token.
	if _, err := c.Whoami(ctx); err != nil {
		t.Errorf("whoami with the rotated token: %v", err)
	}
}

func TestToken_ExpiryAndRotation(t *testing.T) {
	clock := newStepClock()
	h := startHub(t, "", []Option{WithClock(clock), WithPINCost(cheapPIN)})
	ctx := context.Background()

	tok, exp, err := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleSupervisor, Name: "夜班主管", TTL: time.Hour})
	if err != nil || !exp.Equal(clock.Now().Add(time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("issue = %s, %v", exp, err)
	}
	if _, err := asClient(t, h, tok).Whoami(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	before := h.dump(t)
	code, body := h.call(t, "GET", "/v1/board", tok, nil)
	if code != 401 || !strings.Contains(string(body), `"code":"expired"`) {
		t.Errorf("expired token = %d %s, want 401 expired", code, body)
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("refusing an expired token changed %v", changed)
	}
	if _, _, err := asClient(t, h, tok).Rotate(ctx); !errors.Is(err, upstream.ErrTokenExpired) {
		t.Errorf("rotating an expired token = %v", err)
	}

	// Rotation: a fresh lifetime of the same length; the old token lasts
	// the grace period.
	dev, _, err := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleAgent, Name: "PC-07", Desk: "desk-7", TTL: 90 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(80 * 24 * time.Hour)
	c := asClient(t, h, dev)
	next, nexp, err := c.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := nexp.Sub(clock.Now()); d < 90*24*time.Hour-time.Second || d > 90*24*time.Hour {
		t.Errorf("the new token lasts %s, want 90 days", d)
	}
	if id, err := asClient(t, h, next).Whoami(ctx); err != nil || id.Desk != "desk-7" || id.Role != upstream.RoleAgent || id.Name != "PC-07" {
		t.Errorf("whoami with the new token = %+v, %v", id, err)
	}
	if _, err := asClient(t, h, dev).Whoami(ctx); err != nil {
		t.Errorf("the old token within its grace: %v", err)
	}
	clock.Add(upstream.DefaultRotateGrace)
	if _, err := asClient(t, h, dev).Whoami(ctx); !errors.Is(err, upstream.ErrTokenExpired) {
		t.Errorf("the old token after its grace = %v", err)
	}

	// An answer lost: the old token rotates again within its grace; the
	// successor made first ends, the second works. Once that one rotated
	// itself, the old token cannot rotate again.
	u, _, _ := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleTrainer, Name: "老师"})
	u2, _, err := asClient(t, h, u).Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u3, _, err := asClient(t, h, u).Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asClient(t, h, u2).Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("the first successor after a second rotation = %v", err)
	}
	if _, _, err := asClient(t, h, u3).Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := asClient(t, h, u).Rotate(ctx); !errors.Is(err, upstream.ErrConflict) {
		t.Errorf("rotating once the successor rotated = %v, want ErrConflict", err)
	}

	// A session keeps its shift's end.
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "2468"})
	res, err := deskClient(t, h, "desk-8", "127.0.0.1").SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Hour)
	_, sexp, err := asClient(t, h, string(res.Session)).Rotate(ctx)
	if err != nil || !sexp.Equal(res.Expires) {
		t.Errorf("rotated session ends %s (%v), want the shift's end %s", sexp, err, res.Expires)
	}
	n := 0
	for _, a := range h.auditActions(t) {
		if strings.HasPrefix(a, "token.rotate ") {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d rotations audited, want 5", n)
	}
}

func TestAudit_SupervisorReadsOfPersonalData(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	deskID := agent.NewID()
	d := upstreamtest.NewDesk(deskID)
	ids := []string{agent.NewID(), agent.NewID(), agent.NewID()}
	for i, id := range ids {
		d.Put(agent.KindCustomer, id, 1, t0, customer(deskID, id, 1, []string{"王建国", "李四", "张三"}[i]))
	}
	if err := newClient(t, h, d).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	// A desk's own sync is no supervisor's read.
	if err := newClient(t, h, upstreamtest.NewDesk(agent.NewID())).PullCustomers(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.auditActions(t); slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "customer.") }) {
		t.Errorf("a desk's pull was audited: %v", got)
	}

	supTok := h.token(t, upstream.RoleSupervisor, "班长", "")
	sup, err := upstream.NewClient(h.url, supTok, nil, nil, upstream.WithLogger(quiet), upstream.WithHTTPClient(from("127.0.0.2")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sup.Customer(ctx, ids[0])
	if err != nil || r.ID != ids[0] || r.Version != 1 || !strings.Contains(string(r.Body), "王建国") {
		t.Fatalf("customer = %+v, %v", r, err)
	}
	agentTok := h.token(t, upstream.RoleAgent, "PC", deskID)
	before := h.dump(t)
	if _, err := sup.Customer(ctx, agent.NewID()); !errors.Is(err, upstream.ErrNotFound) {
		t.Errorf("unknown customer = %v", err)
	}
	if _, err := asClient(t, h, agentTok).Customer(ctx, ids[0]); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("an agent reads a customer record: %v", err)
	}
	if _, err := asClient(t, h, agentTok).Audit(ctx, upstream.AuditQuery{}); !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("an agent reads the audit: %v", err)
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("refused reads changed %v", changed)
	}
	if code, body := h.call(t, "GET", "/v1/customers?limit=2", supTok, nil); code != 200 {
		t.Fatalf("supervisor pulls customers: %d %s", code, body)
	}
	// A read that fails after it began records nothing.
	boom := errors.New("disk on fire")
	if err := h.db.ReadAudited(ctx, upstream.Principal{Name: "班长"}, upstream.AuditRecordingRead, "recording", "r1", nil,
		func(context.Context, pgx.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("ReadAudited = %v", err)
	}
	if err := h.db.ReadAudited(ctx, upstream.Principal{Name: "班长", Role: upstream.RoleSupervisor}, upstream.AuditRecordingRead, "recording", "r2",
		map[string]any{"call_id": "c-1"}, func(context.Context, pgx.Tx) error { return nil }); err != nil {
		t.Errorf("ReadAudited = %v", err)
	}

	// The supervisor sees it all in the audit, page by page.
	var entries []upstream.AuditEntry
	for q := (upstream.AuditQuery{Limit: 2}); ; {
		page, err := sup.Audit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) > 2 {
			t.Fatalf("page of %d entries, limit 2", len(page.Entries))
		}
		entries = append(entries, page.Entries...)
		if !page.More {
			break
		}
		q.AfterID = page.Next
	}
	var read, list, rec *upstream.AuditEntry
	for i, e := range entries {
		switch e.Action {
		case upstream.AuditCustomerRead:
			read = &entries[i]
		case upstream.AuditCustomerList:
			list = &entries[i]
		case upstream.AuditRecordingRead:
			rec = &entries[i]
		}
	}
	if read == nil || read.Actor != "班长" || read.Role != upstream.RoleSupervisor || read.Addr != "127.0.0.2" || read.SubjectKind != "customer" || read.Subject != ids[0] || read.At.IsZero() {
		t.Errorf("the customer read is audited as %+v", read)
	}
	if list == nil || !strings.Contains(string(list.Detail), ids[0]) || !strings.Contains(string(list.Detail), ids[1]) || strings.Contains(string(list.Detail), ids[2]) {
		t.Errorf("the page pulled is audited as %+v", list)
	}
	if rec == nil || rec.Subject != "r2" || !strings.Contains(string(rec.Detail), "c-1") {
		t.Errorf("the recording read is audited as %+v", rec)
	}
	for _, e := range entries {
		if e.Subject == "r1" {
			t.Errorf("a failed read was audited: %+v", e)
		}
	}
	if entries[0].Action != upstream.AuditTokenAdd {
		t.Errorf("first entry %+v, want the first token made", entries[0])
	}
	// Since an instant: only what came after.
	page, err := sup.Audit(ctx, upstream.AuditQuery{Since: read.At})
	if err != nil || len(page.Entries) == 0 || page.Entries[0].At.Before(read.At) {
		t.Errorf("audit since %s = %+v, %v", read.At, page, err)
	}

	// The audit is append-only.
	if _, err := h.db.pool.Exec(ctx, `UPDATE audit SET actor = 'nobody'`); err == nil {
		t.Errorf("the audit was updated")
	}
	if _, err := h.db.pool.Exec(ctx, `DELETE FROM audit`); err == nil {
		t.Errorf("the audit was deleted")
	}
}

func TestBoard_CallersMaskedUnlessTheRoleMaySee(t *testing.T) {
	h := startHub(t, "", nil)
	full := startHub(t, h.db.pool.Config().ConnString(), nil, upstream.WithFullNumbers(upstream.RoleSupervisor))
	ctx := context.Background()
	d := upstreamtest.NewDesk(agent.NewID())
	c := newClient(t, h, d)
	if err := c.Live(ctx, upstream.AgentStatus{Agent: "李娜", State: "busy"}, []upstream.CallEvent{
		{Kind: "ringing", CallID: "c1", Direction: "inbound", Caller: "+8613800138000", Queue: "售后", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	sup := h.token(t, upstream.RoleSupervisor, "班长", "")
	wall := h.token(t, upstream.RoleWallboard, "大屏", "")
	for _, tt := range []struct {
		hub   *testHub
		token string
		want  string
	}{
		{h, sup, "138****8000"}, {h, wall, "138****8000"}, {full, sup, "+8613800138000"}, {full, wall, "138****8000"},
	} {
		code, body := tt.hub.call(t, "GET", "/v1/board", tt.token, nil)
		if code != 200 || !strings.Contains(string(body), `"caller":"`+tt.want+`"`) || !strings.Contains(string(body), `"agent":"李娜"`) {
			t.Errorf("board = %d %s, want the caller as %s", code, body, tt.want)
		}
		if tt.want != "+8613800138000" && strings.Contains(string(body), "13800138000") {
			t.Errorf("a full number on a masked board: %s", body)
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if b := openStream(t, sctx, tt.hub.url, tt.token)("board"); !strings.Contains(b, `"caller":"`+tt.want+`"`) {
			t.Errorf("streamed board %s, want the caller as %s", b, tt.want)
		}
		cancel()
	}
}

func TestSeal_SecretsAtRest(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	const sipPass = "sip-pass-plain-then-sealed"

	// Without a key: stored plain, as the warning says.
	h := startHub(t, dsn, []Option{WithPINCost(cheapPIN)})
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "2468", SIPUser: "8001", SIPPassword: sipPass})
	res, err := deskClient(t, h, "desk-1", "127.0.0.1").SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if dump := h.dump(t)["agents"]; !strings.Contains(dump, hexOf(sipPass)) {
		t.Fatalf("without a hub key the SIP password is expected plain (the stated risk); agents: %s", dump)
	}
	signing := h.db.SigningKey()
	h.db.Close()

	// Given a key: sealed at the next start, and still handed out.
	key := bytes.Repeat([]byte{42}, HubKeySize)
	h = startHub(t, dsn, []Option{WithHubKey(key), WithPINCost(cheapPIN)})
	dump := strings.Join(slicesOf(h.dump(t)), "\n")
	for what, s := range map[string]string{"SIP password": sipPass, "desk key": string(res.DeskKey)} {
		if strings.Contains(dump, hexOf(s)) || strings.Contains(dump, s) {
			t.Errorf("the %s is still plain after sealing", what)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM (SELECT private AS v FROM hub_keys UNION ALL SELECT key FROM desk_keys UNION ALL SELECT sip_password FROM agents WHERE sip_password IS NOT NULL) s
		WHERE get_byte(v, 0) <> 1`); n != 0 {
		t.Errorf("%d secrets not sealed", n)
	}
	again, err := deskClient(t, h, "desk-1", "127.0.0.1").SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if string(again.SIP.Password) != sipPass || !bytes.Equal(again.DeskKey, res.DeskKey) || !bytes.Equal(h.db.SigningKey(), signing) {
		t.Errorf("after sealing: SIP %q, desk key same %v, signing key same %v", again.SIP.Password, bytes.Equal(again.DeskKey, res.DeskKey), bytes.Equal(h.db.SigningKey(), signing))
	}
	h.db.Close()

	// A sealed database opens with its key only.
	for name, opts := range map[string][]Option{"no key": nil, "another key": {WithHubKey(bytes.Repeat([]byte{43}, HubKeySize))}} {
		db, err := Open(ctx, dsn, append([]Option{WithLogger(quiet)}, opts...)...)
		if err == nil {
			db.Close()
		}
		if !errors.Is(err, ErrSealed) {
			t.Errorf("%s: Open = %v, want ErrSealed", name, err)
		}
	}
	if _, err := Open(ctx, dsn, WithLogger(quiet), WithHubKey([]byte("short"))); !errors.Is(err, ErrBadHubKey) {
		t.Errorf("a short key: %v", err)
	}
}

func TestAgents_Refusals(t *testing.T) {
	h := startHub(t, "", []Option{WithPINCost(cheapPIN)})
	ctx := context.Background()
	addAgent(t, h, AgentSpec{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "2468"})
	before := h.dump(t)
	for _, tt := range []struct {
		name string
		call func() error
		want error
	}{
		{"number taken", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "8001", Name: "王", Role: upstream.RoleAgent, PIN: "1357"})
		}, upstream.ErrConflict},
		{"short PIN", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "8002", Name: "王", Role: upstream.RoleAgent, PIN: "123"})
		}, upstream.ErrInvalid},
		{"wallboard role", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "8002", Name: "王", Role: upstream.RoleWallboard, PIN: "1357"})
		}, upstream.ErrInvalid},
		{"space in number", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "80 02", Name: "王", Role: upstream.RoleAgent, PIN: "1357"})
		}, upstream.ErrInvalid},
		{"no name", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "8002", Name: " ", Role: upstream.RoleAgent, PIN: "1357"})
		}, upstream.ErrInvalid},
		{"SIP user without password", func() error {
			return h.db.AddAgent(ctx, AgentSpec{Number: "8002", Name: "王", Role: upstream.RoleAgent, PIN: "1357", SIPUser: "8002"})
		}, upstream.ErrInvalid},
		{"PIN with a control character", func() error { return h.db.SetPIN(ctx, "8001", "12\x0034") }, upstream.ErrInvalid},
		{"PIN of nobody", func() error { return h.db.SetPIN(ctx, "9999", "1357") }, upstream.ErrNotFound},
		{"token for a bad role", func() error {
			_, _, err := h.db.IssueToken(ctx, TokenSpec{Role: "admin", Name: "x"})
			return err
		}, upstream.ErrInvalid},
		{"token lasting no time", func() error {
			_, _, err := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleAgent, Name: "x", TTL: -time.Hour})
			return err
		}, upstream.ErrInvalid},
		{"wallboard token for a desk", func() error {
			_, _, err := h.db.IssueToken(ctx, TokenSpec{Role: upstream.RoleWallboard, Name: "x", Desk: "d"})
			return err
		}, upstream.ErrInvalid},
	} {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, err, tt.want)
		}
	}
	if changed := pgtest.Changed(before, h.dump(t)); len(changed) > 0 {
		t.Errorf("refusals changed %v", changed)
	}
	// A new PIN replaces the old one.
	if err := h.db.SetPIN(ctx, "8001", "new-pin"); err != nil {
		t.Fatal(err)
	}
	desk := deskClient(t, h, "desk-1", "127.0.0.1")
	if _, err := desk.SignIn(ctx, "8001", "2468"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Errorf("the old PIN = %v", err)
	}
	if _, err := desk.SignIn(ctx, "8001", "new-pin"); err != nil {
		t.Errorf("the new PIN: %v", err)
	}
}
