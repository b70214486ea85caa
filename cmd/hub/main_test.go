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
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
)

func TestTokenAdd_PrintsTokenStoresHash(t *testing.T) {
	dsn := pgtest.New(t)
	var out, errb bytes.Buffer
	if code := run([]string{"token", "add", "--pg", dsn, "--role", "supervisor", "--name", "班长"}, &out, &errb, quiet); code != 0 {
		t.Fatalf("token add = %d: %s", code, errb.String())
	}
	tok := strings.TrimSpace(out.String())
	if !strings.HasPrefix(tok, "adk_") || len(tok) < 40 {
		t.Fatalf("token %q", tok)
	}
	db, err := OpenDB(context.Background(), dsn, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.Authenticate(context.Background(), tok)
	if err != nil || p.Role != upstream.RoleSupervisor || p.Name != "班长" {
		t.Fatalf("authenticate = %+v, %v", p, err)
	}
	var stored []byte
	if err := db.pool.QueryRow(context.Background(), "SELECT hash FROM tokens WHERE id = $1", p.TokenID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(tok))
	if !bytes.Equal(stored, want[:]) || bytes.Contains(stored, []byte(tok)) {
		t.Errorf("stored %x, want the SHA-256 of the token only", stored)
	}

	out.Reset()
	if code := run([]string{"token", "revoke", "--pg", dsn, "--name", "班长"}, &out, &errb, quiet); code != 0 || !strings.Contains(out.String(), "revoked 1") {
		t.Fatalf("token revoke = %d %q %q", code, out.String(), errb.String())
	}
	if _, err := db.Authenticate(context.Background(), tok); err != upstream.ErrUnauthorized {
		t.Errorf("revoked token authenticates: %v", err)
	}

	for _, args := range [][]string{
		{"token", "revoke", "--pg", dsn, "--name", "班长"},
		{"token", "add", "--pg", dsn, "--role", "admin", "--name", "x"},
		{"token", "add", "--pg", dsn, "--role", "trainer", "--name", "x", "--desk", "d"},
		{"token", "add", "--pg", dsn, "--role", "agent"},
	} {
		out.Reset()
		errb.Reset()
		if code := run(args, &out, &errb, quiet); code == 0 || out.Len() != 0 || errb.Len() == 0 {
			t.Errorf("%v = %d, stdout %q, stderr %q; want a refusal and no token", args, code, out.String(), errb.String())
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

func startChild(t *testing.T, args ...string) {
	t.Helper()
	cmd := newChildCmd(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
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

// The bench commands run (small) and report their figures.
func TestBench_Small(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "drain", "--pg", pgtest.New(t), "--records", "3000", "--batch", "500"},
		{"bench", "live", "--pg", pgtest.New(t), "--desks", "20", "--every", "200ms", "--for", "1s"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, quiet); code != 0 {
			t.Fatalf("%v = %d: %s", args, code, errb.String())
		}
		if !strings.Contains(out.String(), "records/s") && !strings.Contains(out.String(), "p99") {
			t.Errorf("%v printed %q, want figures", args, out.String())
		}
		if strings.Contains(out.String(), " 0 requests") || strings.Contains(out.String(), "failed; hub") && !strings.Contains(out.String(), " 0 failed") {
			t.Errorf("%v: %s", args, out.String())
		}
	}
}

// SIGTERM stops the hub promptly even while a supervisor's stream is open.
func TestServe_StopsOnSIGTERMWithOpenStream(t *testing.T) {
	h := newTestHub(t, nil)
	sup := h.token(t, upstream.RoleSupervisor, "boss", "")
	addr := freePort(t)
	cmd := newChildCmd("--pg", h.db.pool.Config().ConnString(), "--listen", addr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child hub not up: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	openStream(t, ctx, "http://"+addr, sup)("board")
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
}
