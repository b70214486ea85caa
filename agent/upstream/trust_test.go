package upstream_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/upstreamtest"
)

const (
	wallToken  = "wallboard-token"
	deskToken  = "desk-token"
	staleToken = "stale-token"
)

// newTrustHub is newMemHub with a wallboard token, a desk token bound to
// desk-1, an expired token, and agent 8001 (PIN 2468, an own SIP account).
func newTrustHub(t *testing.T, opts ...upstream.ServerOption) (*upstreamtest.Hub, *httptest.Server) {
	t.Helper()
	mem, srv := newMemHub(t, nil, opts...)
	mem.AddToken(wallToken, upstream.Principal{Name: "大屏", Role: upstream.RoleWallboard})
	mem.AddToken(deskToken, upstream.Principal{Name: "PC-07", Role: upstream.RoleAgent, Desk: "desk-1", Kind: upstream.TokenDevice})
	mem.AddToken(staleToken, upstream.Principal{Name: "old", Role: upstream.RoleSupervisor, Expires: time.Now().Add(-time.Minute)})
	mem.AddAgent(upstream.AgentInfo{Number: "8001", Name: "李娜", Role: upstream.RoleAgent}, "2468", &upstream.SIPAccount{User: "8001", Password: "sip-secret-8001"})
	return mem, srv
}

// serve runs one request through h from remote (host:port).
func serve(h http.Handler, method, path, token, remote string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, bytes.NewReader(body))
	r.RemoteAddr = remote
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestServer_FailedAuthSlowedPerAddress(t *testing.T) {
	mem := upstreamtest.NewHub()
	mem.AddToken(supToken, upstream.Principal{Name: "班长", Role: upstream.RoleSupervisor})
	h := upstream.NewServer(mem, upstream.WithServerLogger(quiet), upstream.WithAuthLimit(3, time.Hour))
	const attacker, desk = "127.0.0.2:40000", "127.0.0.1:40001"
	for i := range 3 {
		if w := serve(h, "GET", "/v1/whoami", fmt.Sprintf("guess-%d", i), attacker, nil); w.Code != 401 {
			t.Fatalf("guess %d = %d, want 401", i, w.Code)
		}
	}
	w := serve(h, "GET", "/v1/whoami", supToken, attacker, nil)
	var eb upstream.ErrorBody
	if w.Code != 429 || w.Header().Get("Retry-After") == "" || json.Unmarshal(w.Body.Bytes(), &eb) != nil || eb.Code != "rate_limited" {
		t.Fatalf("the attacker's next request = %d %q %s, want 429 rate_limited with Retry-After", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if w := serve(h, "GET", "/v1/whoami", supToken, desk, nil); w.Code != 200 {
		t.Errorf("another address = %d %s, want 200", w.Code, w.Body)
	}
	if w := serve(h, "GET", "/v1/whoami", "", desk, nil); w.Code != 401 {
		t.Errorf("no token = %d", w.Code)
	}
	// Missing tokens cost nothing and are not counted.
	for range 10 {
		serve(h, "GET", "/v1/whoami", "", desk, nil)
	}
	if w := serve(h, "GET", "/v1/whoami", supToken, desk, nil); w.Code != 200 {
		t.Errorf("after requests without a token = %d, want 200", w.Code)
	}
}

func TestClient_RateLimitedCarriesRetryAfter(t *testing.T) {
	_, srv := newMemHub(t, nil, upstream.WithAuthLimit(1, time.Hour))
	bad := hubClient(t, srv.URL, "guess")
	if _, err := bad.Whoami(context.Background()); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Fatalf("first guess = %v", err)
	}
	_, err := hubClient(t, srv.URL, supToken).Whoami(context.Background())
	var he *upstream.HTTPError
	if !errors.Is(err, upstream.ErrRateLimited) || !errors.As(err, &he) || he.RetryAfter < 59*time.Minute || he.Permanent() {
		t.Fatalf("after the burst, from the same address = %v (%+v), want ErrRateLimited retrying after about an hour", err, he)
	}
}

func TestServer_WhoMayCallTheNewEndpoints(t *testing.T) {
	mem, srv := newTrustHub(t)
	mem.AddToken("session-sup", upstream.Principal{Name: "张主管", Role: upstream.RoleSupervisor, Desk: "desk-1", Kind: upstream.TokenSession, Agent: "9001"})
	signin, _ := json.Marshal(upstream.SignInRequest{Number: "8001", PIN: "0000", Desk: "desk-1"})
	push, _ := json.Marshal(upstream.PushRequest{Desk: "desk-1"})
	for _, tt := range []struct {
		method, path, token string
		body                []byte
		status              int
		code                string
	}{
		{"GET", "/v1/board", wallToken, nil, 200, ""},
		{"GET", "/v1/whoami", wallToken, nil, 200, ""},
		{"POST", "/v1/push", wallToken, push, 403, "role"},
		{"GET", "/v1/customers", wallToken, nil, 403, "role"},
		{"GET", "/v1/audit", wallToken, nil, 403, "role"},
		{"GET", "/v1/customers/x", wallToken, nil, 403, "role"},
		{"GET", "/v1/customers/x", agentToken, nil, 403, "role"},
		{"GET", "/v1/customers/x", supToken, nil, 404, "not_found"},
		{"GET", "/v1/audit", supToken, nil, 200, ""},
		{"GET", "/v1/audit?since=yesterday", supToken, nil, 400, "invalid"},
		{"GET", "/v1/audit?limit=0", supToken, nil, 400, "invalid"},
		{"POST", "/v1/signin", deskToken, signin, 401, "wrong_pin"},
		{"POST", "/v1/signin", supToken, signin, 403, "role"},
		{"POST", "/v1/signin", "session-sup", signin, 403, "role"},
		{"POST", "/v1/signin", deskToken, []byte(`{"number":"8001","pin":"","desk":"desk-1"}`), 400, "invalid"},
		{"POST", "/v1/signin", deskToken, []byte(`{"number":"8001","pin":"2468","desk":"desk-2"}`), 403, "forbidden"},
		{"POST", "/v1/signout", deskToken, nil, 403, "role"},
		{"POST", "/v1/push", "session-sup", push, 200, ""}, // a supervisor signed in at a desk takes calls
		{"GET", "/v1/board", "session-sup", nil, 200, ""},
		{"GET", "/v1/whoami", staleToken, nil, 401, "expired"},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer "+tt.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb upstream.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tt.status || eb.Code != tt.code {
			t.Errorf("%s %s as %s = %d %q (%s), want %d %q", tt.method, tt.path, tt.token, resp.StatusCode, eb.Code, eb.Error, tt.status, tt.code)
		}
	}
}

func TestClient_SignInOfflineAndSignOut(t *testing.T) {
	mem, srv := newTrustHub(t)
	ctx := context.Background()
	c := hubClient(t, srv.URL, deskToken, upstream.WithDesk("desk-1"))
	res, err := c.SignIn(ctx, "8001", "2468")
	if err != nil {
		t.Fatal(err)
	}
	if res.Agent != (upstream.AgentInfo{Number: "8001", Name: "李娜", Role: upstream.RoleAgent}) || res.Session == "" || len(res.DeskKey) != upstream.DeskKeySize ||
		res.SIP == nil || res.SIP.Password != "sip-secret-8001" || !bytes.Equal(res.HubKey, mem.HubKey()) || res.ServerTime.IsZero() {
		t.Fatalf("sign-in = %+v", res)
	}
	if c.Token() != deskToken {
		t.Errorf("SignIn changed the client's token")
	}
	// The verifier, as kept by the desk, opens offline with the PIN.
	if err := upstream.VerifyOffline(res.Offline, res.HubKey, "desk-1", "8001", "2468", time.Now()); err != nil {
		t.Errorf("offline check of the good PIN: %v", err)
	}
	if err := upstream.VerifyOffline(res.Offline, res.HubKey, "desk-1", "8001", "1357", time.Now()); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Errorf("offline check of a wrong PIN: %v", err)
	}
	sess := hubClient(t, srv.URL, string(res.Session))
	if id, err := sess.Whoami(ctx); err != nil || id.Kind != upstream.TokenSession || id.Agent != "8001" || id.Desk != "desk-1" {
		t.Errorf("whoami with the session = %+v, %v", id, err)
	}
	if err := c.SignOut(ctx, string(res.Session)); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("whoami after sign-out = %v", err)
	}
	if err := c.SignOut(ctx, string(res.Session)); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("signing out twice = %v", err)
	}

	pinned := hubClient(t, srv.URL, deskToken, upstream.WithDesk("desk-1"), upstream.WithPinnedHubKey(mem.HubKey()))
	if _, err := pinned.SignIn(ctx, "8001", "2468"); err != nil {
		t.Errorf("sign-in with the right key pinned: %v", err)
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	pinned = hubClient(t, srv.URL, deskToken, upstream.WithDesk("desk-1"), upstream.WithPinnedHubKey(other))
	if _, err := pinned.SignIn(ctx, "8001", "2468"); !errors.Is(err, upstream.ErrHubKeyChanged) {
		t.Errorf("sign-in with another key pinned = %v, want ErrHubKeyChanged", err)
	}
	if _, err := hubClient(t, srv.URL, deskToken).SignIn(ctx, "8001", "2468"); !errors.Is(err, upstream.ErrNoDesk) {
		t.Errorf("sign-in without a desk ID = %v", err)
	}
}

func TestClient_SignInRefusals(t *testing.T) {
	mem, srv := newTrustHub(t)
	ctx := context.Background()
	c := hubClient(t, srv.URL, deskToken, upstream.WithDesk("desk-1"))
	for i := range upstream.SignInFreeTries {
		_, err := c.SignIn(ctx, "8001", "0000")
		if !errors.Is(err, upstream.ErrWrongPIN) || errors.Is(err, upstream.ErrUnauthorized) {
			t.Fatalf("wrong PIN %d = %v, want ErrWrongPIN only", i+1, err)
		}
	}
	_, err := c.SignIn(ctx, "8001", "2468")
	var he *upstream.HTTPError
	if !errors.Is(err, upstream.ErrSignInLocked) || !errors.As(err, &he) || he.RetryAfter < 29*time.Second {
		t.Fatalf("the right PIN after %d wrong ones = %v, want ErrSignInLocked for about 30 s", upstream.SignInFreeTries, err)
	}
	if _, err := c.SignIn(ctx, "9999", "0000"); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Errorf("unknown number = %v, want ErrWrongPIN", err)
	}
	mem.AddAgent(upstream.AgentInfo{Number: "8002", Name: "王芳", Role: upstream.RoleTrainer}, "1111", nil)
	mem.DisableAgent("8002")
	if _, err := c.SignIn(ctx, "8002", "1111"); !errors.Is(err, upstream.ErrAgentDisabled) || !errors.Is(err, upstream.ErrForbidden) {
		t.Errorf("disabled agent = %v", err)
	}
	if _, err := hubClient(t, srv.URL, staleToken, upstream.WithDesk("desk-1")).SignIn(ctx, "8001", "2468"); !errors.Is(err, upstream.ErrTokenExpired) {
		t.Errorf("sign-in with an expired desk token = %v", err)
	}
	var actions []string
	for _, e := range mem.AuditLog() {
		actions = append(actions, string(e.Action))
	}
	if got := strings.Join(actions, " "); got != "signin.fail signin.fail signin.fail signin.fail signin.fail signin.locked signin.fail signin.disabled" {
		t.Errorf("audit = %s", got)
	}
}

func TestClient_RotateSendsTheNewToken(t *testing.T) {
	_, srv := newTrustHub(t)
	ctx := context.Background()
	c := hubClient(t, srv.URL, supToken)
	tok, exp, err := c.Rotate(ctx)
	if err != nil || tok == "" || tok == supToken || time.Until(exp) < 89*24*time.Hour || c.Token() != tok {
		t.Fatalf("Rotate = %q %s %v; client sends %q", tok, exp, err, c.Token())
	}
	if _, err := c.Whoami(ctx); err != nil {
		t.Errorf("whoami with the new token: %v", err)
	}
	if _, err := hubClient(t, srv.URL, supToken).Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("the old token after rotation (the in-memory hub has no grace) = %v", err)
	}
}

func TestStream_EndsWhenItsTokenEnds(t *testing.T) {
	mem, srv := newTrustHub(t)
	mem.SetBoard(sampleBoard(1))
	c := hubClient(t, srv.URL, supToken)
	got := newStreamed()
	done := make(chan error, 1)
	go func() { done <- c.Stream(context.Background(), got.fn) }()
	<-got.boards
	mem.EndToken(supToken, upstream.EndRevoked)
	select {
	case err := <-done:
		if !errors.Is(err, upstream.ErrTokenEnded) || !errors.Is(err, upstream.ErrStreamEnded) || !strings.Contains(err.Error(), "revoked") {
			t.Errorf("Stream = %v, want ErrTokenEnded (revoked)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stream outlived its token")
	}
	if !strings.Contains(got.names(), "end") {
		t.Errorf("events = %s, want an end event", got.names())
	}
	// FollowBoard, told the token ended, tries again and is refused.
	if err := hubClient(t, srv.URL, supToken).FollowBoard(context.Background(), func(*upstream.Board) {}); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("FollowBoard with the ended token = %v", err)
	}
}

func TestBoard_NumbersMaskedByRole(t *testing.T) {
	board := upstream.Board{At: at, Calls: []upstream.BoardCall{{Desk: "desk-1", CallID: "c1", Caller: "+8613800138000", State: "ringing"}}}
	for _, tt := range []struct {
		name  string
		opts  []upstream.ServerOption
		token string
		want  string
	}{
		{"supervisor, default", nil, supToken, "138****8000"},
		{"wallboard, default", nil, wallToken, "138****8000"},
		{"supervisor, full numbers", []upstream.ServerOption{upstream.WithFullNumbers(upstream.RoleSupervisor)}, supToken, "+8613800138000"},
		{"wallboard, full numbers for supervisors", []upstream.ServerOption{upstream.WithFullNumbers(upstream.RoleSupervisor)}, wallToken, "138****8000"},
		{"wallboard named: still masked", []upstream.ServerOption{upstream.WithFullNumbers(upstream.RoleWallboard)}, wallToken, "138****8000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem, srv := newTrustHub(t, tt.opts...)
			mem.SetBoard(board)
			req, _ := http.NewRequest("GET", srv.URL+"/v1/board", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var b upstream.Board
			_ = json.NewDecoder(resp.Body).Decode(&b)
			resp.Body.Close()
			if len(b.Calls) != 1 || b.Calls[0].Caller != tt.want {
				t.Errorf("/v1/board calls = %+v, want caller %s", b.Calls, tt.want)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			boards := make(chan *upstream.Board, 4)
			go func() { _ = hubClient(t, srv.URL, tt.token).FollowBoard(ctx, func(b *upstream.Board) { boards <- b }) }()
			select {
			case b := <-boards:
				if b == nil || len(b.Calls) != 1 || b.Calls[0].Caller != tt.want {
					t.Errorf("streamed board = %+v, want caller %s", b, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no board streamed")
			}
		})
	}
}

func TestSecrets_NeverPrinted(t *testing.T) {
	res := upstream.SignInResult{Session: "adk_session-secret", DeskKey: upstream.Key("0123456789abcdef0123456789abcdef"),
		SIP: &upstream.SIPAccount{User: "8001", Password: "sip-secret"}}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("signed in", "session", res.Session, "desk_key", res.DeskKey, "password", res.SIP.Password)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s %x", res, res, res, res.Session, res.DeskKey), fmt.Sprint(*res.SIP), logged.String()} {
		for _, secret := range []string{"session-secret", "0123456789abcdef", "30313233", "sip-secret"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows a secret", s)
			}
		}
	}
	// On the wire they are themselves.
	b, _ := json.Marshal(res)
	var back upstream.SignInResult
	if err := json.Unmarshal(b, &back); err != nil || back.Session != res.Session || !bytes.Equal(back.DeskKey, res.DeskKey) || back.SIP.Password != "sip-secret" {
		t.Errorf("JSON round trip = %+v, %v", back, err)
	}
}
