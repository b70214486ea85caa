package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
)

// runCLI runs the hub command in-process with stdin and returns its exit
// code, stdout and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, quiet)
	return code, out.String(), errb.String()
}

func writeHubKey(t *testing.T, dir string) string {
	t.Helper()
	k := make([]byte, hub.HubKeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hub.key")
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAgentCommands(t *testing.T) {
	dsn := pgtest.New(t)
	keyFile := writeHubKey(t, t.TempDir())
	const pin, sipPass = "pin-8001-夜班", "sip-pass-of-8001"

	// Refused, and nothing changed: no PIN on stdin, a short PIN, a SIP
	// user without its password line, a bad role, a key file others can
	// read, a stray argument.
	loose := filepath.Join(t.TempDir(), "loose.key")
	if err := os.WriteFile(loose, []byte(strings.Repeat("A", 43)+"=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "", "key", "--pg", dsn, "--key-file", keyFile); code != 0 { // the first start: schema, signing key
		t.Fatalf("hub key = %d %q", code, errs)
	}
	before := pgtest.Dump(t, dsn)
	for _, tt := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜", "--role", "agent"}},
		{"123\n", []string{"agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜", "--role", "agent"}},
		{pin + "\n", []string{"agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜", "--role", "agent", "--sip-user", "8001"}},
		{pin + "\n", []string{"agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜", "--role", "wallboard"}},
		{pin + "\n", []string{"agent", "add", "--pg", dsn, "--key-file", loose, "--number", "8001", "--name", "李娜", "--role", "agent"}},
		{pin + "\n", []string{"agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜", "extra"}},
		{pin + "\n", []string{"agent", "pin", "--pg", dsn, "--key-file", keyFile, "--number", "8001"}},
		{"", []string{"agent", "disable", "--pg", dsn, "--key-file", keyFile, "--number", "8001"}},
		{"", []string{"agent", "frobnicate", "--pg", dsn}},
	} {
		code, out, errs := runCLI(t, tt.stdin, tt.args...)
		if code == 0 || out != "" || errs == "" {
			t.Errorf("%v = %d %q %q, want a refusal", tt.args[:2], code, out, errs)
		}
	}
	if changed := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(changed) > 0 {
		t.Errorf("refusals changed %v", changed)
	}

	code, out, errs := runCLI(t, pin+"\n"+sipPass+"\n", "agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "李娜",
		"--role", "agent", "--sip-user", "8001")
	if code != 0 || !strings.Contains(out, "8001") {
		t.Fatalf("agent add = %d %q %q", code, out, errs)
	}
	if code, _, errs := runCLI(t, "9001-pin\n", "agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "9001", "--name", "张主管", "--role", "supervisor"); code != 0 {
		t.Fatalf("agent add supervisor = %d %q", code, errs)
	}
	if code, _, _ := runCLI(t, "other-pin\n", "agent", "add", "--pg", dsn, "--key-file", keyFile, "--number", "8001", "--name", "重复", "--role", "agent"); code == 0 {
		t.Errorf("a second agent 8001 was added")
	}
	dump := strings.Join(values(pgtest.Dump(t, dsn)), "\n")
	for what, s := range map[string]string{"PIN": pin, "SIP password": sipPass} {
		if strings.Contains(dump, s) || strings.Contains(dump, hex.EncodeToString([]byte(s))) {
			t.Errorf("the database holds the %s", what)
		}
	}
	if !strings.Contains(dump, "agent.add") || !strings.Contains(dump, "hub cli (") {
		t.Errorf("agent add not audited with who ran it")
	}

	// A hub with the same key signs the agent in and hands out the SIP
	// password; the key file's hub key is what opens it.
	addr := freePort(t)
	startChild(t, "--pg", dsn, "--listen", addr, "--key-file", keyFile)
	waitHealthy(t, "http://"+addr)
	deskID := agent.NewID()
	tok := newTokenKey(t, dsn, keyFile, upstream.RoleAgent, "PC-1", deskID)
	c, err := upstream.NewClient("http://"+addr, tok, nil, nil, upstream.WithLogger(quiet), upstream.WithDesk(deskID))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := c.SignIn(ctx, "8001", pin)
	if err != nil {
		t.Fatal(err)
	}
	if res.SIP == nil || string(res.SIP.Password) != sipPass {
		t.Errorf("SIP account = %+v", res.SIP)
	}
	code, out, _ = runCLI(t, "", "key", "--pg", dsn, "--key-file", keyFile)
	if fields := strings.Fields(out); code != 0 || len(fields) != 2 || fields[0] != upstream.KeyID(res.HubKey) || fields[1] != base64.StdEncoding.EncodeToString(res.HubKey) {
		t.Errorf("hub key = %d %q, want %s and the key in base64", code, out, upstream.KeyID(res.HubKey))
	}
	if code, _, errs := runCLI(t, "", "key", "--pg", dsn); code == 0 || !strings.Contains(errs, "sealed") {
		t.Errorf("hub key without the hub key = %d %q, want a refusal naming the sealed secrets", code, errs)
	}

	// A new PIN: the old one is wrong from then on.
	if code, _, errs := runCLI(t, "new-pin-8001\n", "agent", "pin", "--pg", dsn, "--key-file", keyFile, "--number", "8001"); code != 0 {
		t.Fatalf("agent pin = %d %q", code, errs)
	}
	if _, err := c.SignIn(ctx, "8001", pin); !errors.Is(err, upstream.ErrWrongPIN) {
		t.Errorf("the old PIN = %v", err)
	}
	if _, err := c.SignIn(ctx, "8001", "new-pin-8001"); err != nil {
		t.Errorf("the new PIN: %v", err)
	}

	// Disabling ends the agent's session at once.
	sess, err := c.SignIn(ctx, "8001", "new-pin-8001")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "", "agent", "disable", "--pg", dsn, "--key-file", keyFile, "--number", "8001")
	if code != 0 || !strings.Contains(out, "session(s) ended") {
		t.Fatalf("agent disable = %d %q %q", code, out, errs)
	}
	sc, _ := upstream.NewClient("http://"+addr, string(sess.Session), nil, nil, upstream.WithLogger(quiet))
	if _, err := sc.Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("a disabled agent's session = %v", err)
	}
	if _, err := c.SignIn(ctx, "8001", "new-pin-8001"); !errors.Is(err, upstream.ErrAgentDisabled) {
		t.Errorf("a disabled agent signs in: %v", err)
	}
}

func values(d map[string]string) []string {
	var out []string
	for k, v := range d {
		out = append(out, k+" "+v)
	}
	return out
}

func newTokenKey(t *testing.T, dsn, keyFile string, role upstream.Role, name, desk string) string {
	t.Helper()
	args := []string{"token", "add", "--pg", dsn, "--key-file", keyFile, "--role", string(role), "--name", name}
	if desk != "" {
		args = append(args, "--desk", desk)
	}
	code, out, errs := runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("token add = %d %q", code, errs)
	}
	return strings.TrimSpace(out)
}

func waitHealthy(t *testing.T, url string, opts ...upstream.ClientOption) {
	t.Helper()
	c, err := upstream.NewClient(url, "none", nil, nil, append([]upstream.ClientOption{upstream.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.ClockOffset(context.Background()); err == nil {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("hub at %s not healthy: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTokenAdd_TTLAndWallboard(t *testing.T) {
	dsn := pgtest.New(t)
	code, out, errs := runCLI(t, "", "token", "add", "--pg", dsn, "--role", "wallboard", "--name", "大屏", "--ttl", "30d")
	if code != 0 || !strings.Contains(errs, "expires") {
		t.Fatalf("token add = %d %q %q", code, out, errs)
	}
	var days float64
	if err := queryRow(t, dsn, `SELECT extract(epoch FROM expires_at - created_at) / 86400 FROM tokens WHERE name = '大屏'`).Scan(&days); err != nil || days != 30 {
		t.Errorf("wallboard token lasts %v days (%v), want 30", days, err)
	}
	if code, _, _ := runCLI(t, "", "token", "add", "--pg", dsn, "--role", "agent", "--name", "默认"); code != 0 {
		t.Fatal("token add without --ttl")
	}
	if err := queryRow(t, dsn, `SELECT extract(epoch FROM expires_at - created_at) / 86400 FROM tokens WHERE name = '默认'`).Scan(&days); err != nil || days != 90 {
		t.Errorf("default token lasts %v days (%v), want 90", days, err)
	}
	before := pgtest.Dump(t, dsn)
	for _, ttl := range []string{"0d", "-5d", "soon", "3650000d"} {
		if code, out, _ := runCLI(t, "", "token", "add", "--pg", dsn, "--role", "agent", "--name", "x", "--ttl", ttl); code == 0 || out != "" {
			t.Errorf("--ttl %s accepted", ttl)
		}
	}
	if changed := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(changed) > 0 {
		t.Errorf("refused token adds changed %v", changed)
	}
}

// The figure the issue asks for: a supervisor's stream is open on a real
// hub process; `hub token revoke` (another process's connection to the
// database) revokes the token; the stream ends.
func TestRevoke_EndsTheOpenStream(t *testing.T) {
	dsn := pgtest.New(t)
	sup := newToken(t, dsn, upstream.RoleSupervisor, "夜班主管", "")
	addr := freePort(t)
	startChildHub(t, dsn, addr)
	c, err := upstream.NewClient("http://"+addr, sup, nil, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	boards := make(chan struct{}, 10)
	ended := make(chan time.Time, 1)
	errc := make(chan error, 1)
	go func() {
		err := c.Stream(ctx, func(name string, _ []byte) {
			if name == "board" {
				boards <- struct{}{}
			}
		})
		ended <- time.Now()
		errc <- err
	}()
	<-boards
	began := time.Now()
	if code, out, errs := runCLI(t, "", "token", "revoke", "--pg", dsn, "--name", "夜班主管"); code != 0 {
		t.Fatalf("token revoke = %d %q %q", code, out, errs)
	}
	revoked := time.Now()
	select {
	case at := <-ended:
		t.Logf("stream ended %s after `hub token revoke` returned (%s after it started, connecting included)",
			at.Sub(revoked).Round(time.Microsecond), at.Sub(began).Round(time.Millisecond))
	case <-ctx.Done():
		t.Fatal("the revoked token's stream is still open")
	}
	if err := <-errc; !errors.Is(err, upstream.ErrTokenEnded) || !strings.Contains(err.Error(), upstream.EndRevoked) {
		t.Errorf("stream ended with %v, want ErrTokenEnded (revoked)", err)
	}
	if _, err := c.Whoami(ctx); !errors.Is(err, upstream.ErrUnauthorized) {
		t.Errorf("revoked token = %v", err)
	}
}

// The hub serves TLS with a certificate from the center's CA: a desk told
// to trust the CA file connects, a desk with the system's roots is refused
// with ErrCertUntrusted.
func TestServe_TLSWithTheCentersCA(t *testing.T) {
	dsn := pgtest.New(t)
	dir := t.TempDir()
	caFile, certFile, keyFile := centerCA(t, dir)
	tok := newToken(t, dsn, upstream.RoleSupervisor, "班长", "")
	addr := freePort(t)
	startChild(t, "--pg", dsn, "--listen", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	url := "https://" + addr
	waitHealthy(t, url, upstream.WithCAFile(caFile))
	ctx := context.Background()
	trusting, err := upstream.NewClient(url, tok, nil, nil, upstream.WithLogger(quiet), upstream.WithCAFile(caFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := trusting.Ping(ctx); err != nil {
		t.Errorf("a desk trusting the CA: %v", err)
	}
	system, err := upstream.NewClient(url, tok, nil, nil, upstream.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var te *upstream.TLSError
	if err := system.Ping(ctx); !errors.Is(err, upstream.ErrCertUntrusted) || !errors.As(err, &te) {
		t.Errorf("a desk with the system's roots = %v, want ErrCertUntrusted", err)
	}
}

// centerCA writes a CA and a server certificate it signed for 127.0.0.1.
func centerCA(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "center CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "hub"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "hub.pem"), filepath.Join(dir, "hub-key.pem")
	for path, b := range map[string]*pem.Block{caFile: {Type: "CERTIFICATE", Bytes: caDER}, certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kb}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return caFile, certFile, keyFile
}
