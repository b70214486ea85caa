package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

// The test binary doubles as a hub child process, so a test can run the
// real command, kill it with SIGKILL in the middle of a batch, or stop it
// with SIGTERM.
func init() {
	if os.Getenv("AGENTDESK_HUB_CHILD") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, quiet))
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

// queryRow runs one query on its own short connection to dsn.
func queryRow(t *testing.T, dsn, sql string, args ...any) pgx.Row {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn.QueryRow(ctx, sql, args...)
}

func count(t *testing.T, dsn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := queryRow(t, dsn, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// newToken makes a token through the backend, as `hub token add` does.
func newToken(t *testing.T, dsn string, role upstream.Role, name, desk string) string {
	t.Helper()
	db, err := hub.Open(context.Background(), dsn, hub.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tok, err := db.NewToken(context.Background(), role, name, desk)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenAdd_PrintsTokenStoresHash(t *testing.T) {
	dsn := pgtest.New(t)
	var out, errb bytes.Buffer
	if code := run([]string{"token", "add", "--pg", dsn, "--role", "supervisor", "--name", "班长"}, nil, &out, &errb, quiet); code != 0 {
		t.Fatalf("token add = %d: %s", code, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if !strings.HasPrefix(tok, "adk_") || len(tok) < 40 {
		t.Fatalf("token %q", tok)
	}
	db, err := hub.Open(context.Background(), dsn, hub.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.Authenticate(context.Background(), tok)
	if err != nil || p.Role != upstream.RoleSupervisor || p.Name != "班长" {
		t.Fatalf("authenticate = %+v, %v", p, err)
	}
	var stored []byte
	if err := queryRow(t, dsn, "SELECT hash FROM tokens WHERE id = $1", p.TokenID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(tok))
	if !bytes.Equal(stored, want[:]) || bytes.Contains(stored, []byte(tok)) {
		t.Errorf("stored %x, want the SHA-256 of the token only", stored)
	}

	out.Reset()
	if code := run([]string{"token", "revoke", "--pg", dsn, "--name", "班长"}, nil, &out, &errb, quiet); code != 0 || !strings.Contains(out.String(), "revoked 1") {
		t.Fatalf("token revoke = %d %q %q", code, out.String(), errb.String())
	}
	if _, err := db.Authenticate(context.Background(), tok); err != upstream.ErrUnauthorized {
		t.Errorf("revoked token authenticates: %v", err)
	}

	for _, args := range [][]string{
		{"token", "revoke", "--pg", dsn, "--name", "班长"},
		{"token", "revoke", "--pg", dsn, "--name", "nobody"},
		{"token", "add", "--pg", dsn, "--role", "admin", "--name", "x"},
		{"token", "add", "--pg", dsn, "--role", "trainer", "--name", "x", "--desk", "d"},
		{"token", "add", "--pg", dsn, "--role", "agent"},
		{"token", "add", "--pg", dsn, "--role", "agent", "--name", "   "},
		{"token", "add", "--pg", dsn, "--role", "agent", "--name", "x", "extra"},
	} {
		out.Reset()
		errb.Reset()
		before := pgtest.Dump(t, dsn)
		if code := run(args, nil, &out, &errb, quiet); code == 0 || out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v = %d, stdout %q, stderr %q; want a refusal and no token", args, code, out.String(), errb.String())
		}
		if changed := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(changed) > 0 {
			t.Errorf("%v was refused but changed %v", args, changed)
		}
	}
}

// The hub serves TLS when given a certificate and key.
func TestServe_TLS(t *testing.T) {
	dsn := pgtest.New(t)
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	addr := freePort(t)
	startChild(t, "--pg", dsn, "--listen", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := hc.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("healthz over TLS = %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TLS health answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP answered 200 on the TLS port")
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// newChildCmd runs this test binary as a hub with args.
func newChildCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "AGENTDESK_HUB_CHILD=1")
	cmd.Stderr = io.Discard
	return cmd
}

func startChild(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := newChildCmd(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// startChildHub runs the hub command on addr and waits until it is healthy.
func startChildHub(t *testing.T, dsn, addr string) *exec.Cmd {
	t.Helper()
	cmd := startChild(t, "--pg", dsn, "--listen", addr)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("child hub not healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hub.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "hub.crt"), filepath.Join(dir, "hub.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// SIGTERM stops the hub promptly even while a supervisor's stream is open.
func TestServe_StopsOnSIGTERMWithOpenStream(t *testing.T) {
	dsn := pgtest.New(t)
	sup := newToken(t, dsn, upstream.RoleSupervisor, "boss", "")
	addr := freePort(t)
	cmd := startChildHub(t, dsn, addr)
	c, err := upstream.NewClient("http://"+addr, sup, nil, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	boards := make(chan struct{}, 10)
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- c.Stream(ctx, func(name string, _ []byte) {
			if name == "board" {
				boards <- struct{}{}
			}
		})
	}()
	select {
	case <-boards:
	case <-ctx.Done():
		t.Fatal("no board from the hub")
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hub exited with %v", err)
		}
		t.Logf("stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(5 * time.Second):
		t.Fatal("hub still running 5 s after SIGTERM")
	}
	if err := <-streamDone; !errors.Is(err, upstream.ErrStreamEnded) {
		t.Errorf("the supervisor's stream ended with %v, want ErrStreamEnded", err)
	}
}

// stored is what a resend must not change in a stored record.
type stored struct {
	version  int64
	body     string
	rev      int64
	received time.Time
}

// snapshotAfter waits until no connection named app is left on the
// database (a killed hub's backends have finished what it sent them:
// committed or rolled back), then reads every stored record.
func snapshotAfter(t *testing.T, dsn, app string) map[string]stored {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); count(t, dsn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("connections of %s still open", app)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT kind || ' ' || id, version, body, rev, received_at FROM records")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]stored{}
	for rows.Next() {
		var k string
		var s stored
		var body []byte
		if err := rows.Scan(&k, &s.version, &body, &s.rev, &s.received); err != nil {
			t.Fatal(err)
		}
		s.body = string(body)
		out[k] = s
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A real hub process is killed (SIGKILL) while the desk drains; a new one
// starts on the same address; the desk's client carries on. Every record
// arrives exactly once, and the records the killed hub had stored are not
// touched by the desk's resends: same rev, same receipt, no conflict.
func TestFault_HubProcessKilledMidDrain(t *testing.T) {
	dsn := pgtest.New(t)
	child := dsn + " application_name=hubchild"
	addr := freePort(t)
	proc := startChildHub(t, child, addr)

	d := upstreamtest.NewDesk(agent.NewID())
	const n = 20000
	for i := range n {
		id := agent.NewID()
		d.Put(agent.KindCustomer, id, 1, t0, &agent.Customer{Meta: agent.Meta{ID: id, Version: 1, Desk: d.ID, CreatedAt: t0, UpdatedAt: t0},
			Name: fmt.Sprintf("客户%d", i), Phones: []string{"+8613800138000"}})
	}
	tok := newToken(t, dsn, upstream.RoleAgent, "desk", d.ID)
	var acked atomic.Int64
	c, err := upstream.NewClient("http://"+addr, tok, d, nil, upstream.WithBatch(200), upstream.WithLogger(quiet),
		upstream.WithBackoff(20*time.Millisecond, 200*time.Millisecond), upstream.WithInterval(20*time.Millisecond),
		upstream.OnStatus(func(s upstream.Status) { acked.Store(int64(s.Pushed)) }))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	for acked.Load() < 2000 {
		if ctx.Err() != nil {
			t.Fatal("drain never started")
		}
		time.Sleep(time.Millisecond)
	}
	proc.Process.Kill() // mid-drain, likely mid-batch
	proc.Wait()
	killedAt := acked.Load()
	before := snapshotAfter(t, dsn, "hubchild")
	startChildHub(t, child, addr)
	for {
		if pending, _, _ := d.Stats(); pending == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("desk never finished draining; status %+v", c.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if killedAt >= n {
		t.Fatalf("the hub was killed after the drain finished; the test proves nothing")
	}
	t.Logf("killed after %d of %d records were acknowledged; %d stored by then", killedAt, n, len(before))
	if got := count(t, dsn, "SELECT count(*) FROM records WHERE desk = $1 AND version = 1", d.ID); got != n {
		t.Errorf("hub holds %d of the desk's %d records", got, n)
	}
	after := snapshotAfter(t, dsn, "hubchild-none")
	changed := 0
	for k, was := range before {
		if after[k] != was {
			changed++
		}
	}
	if changed > 0 {
		t.Errorf("%d of the %d records stored before the kill changed after the resends", changed, len(before))
	}
	if n := count(t, dsn, "SELECT count(*) FROM conflicts"); n != 0 {
		t.Errorf("resends left %d conflicts", n)
	}
}
