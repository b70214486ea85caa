// Package kamailiotest runs a real Kamailio and sipp for telephony's
// integration tests: loopback only, ports picked at run time, everything
// stopped at test cleanup.
//
// Tests using it are gated by AGENTDESK_INTEGRATION=1; when it is set, a
// missing kamailio or sipp binary fails the test instead of skipping it
// (Debian packages: kamailio, sip-tester).
package kamailiotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binaries, as Debian 12 installs them.
const (
	KamailioBin = "/usr/sbin/kamailio"
	SippBin     = "/usr/bin/sipp"
)

// Gate skips the test unless AGENTDESK_INTEGRATION=1, and then fails it if
// kamailio or sipp is missing.
func Gate(t testing.TB) {
	t.Helper()
	if os.Getenv("AGENTDESK_INTEGRATION") != "1" {
		t.Skip("integration test: set AGENTDESK_INTEGRATION=1 (needs kamailio and sipp)")
	}
	for _, bin := range []string{KamailioBin, SippBin} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("integration test needs %s (apt-get install kamailio sip-tester): %v", bin, err)
		}
	}
}

// Options configure the Kamailio under test.
type Options struct {
	// Template is the path of the kamailio.cfg template.
	Template string
	// User and Password are the one account the registrar accepts.
	User, Password string
	// Algorithm is the digest algorithm, "MD5" (default) or "SHA-256".
	Algorithm string
	// UAS is host:port where calls to unregistered numbers go (a sipp UAS).
	UAS string
	// Port to listen on (UDP and TCP); 0 picks a free one.
	Port int
	// TLS, when set, makes Kamailio listen for SIP over TLS too.
	TLS *TLS
}

// TLS is Kamailio's TLS listener: its certificate and key (PEM files) and
// port (0 picks a free one).
type TLS struct {
	CertFile, KeyFile string
	Port              int
}

// Kamailio is a running kamailio process.
type Kamailio struct {
	t    testing.TB
	opts Options
	dir  string
	cfg  string

	defines []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *syncBuffer
}

// Start renders the template and runs kamailio in the foreground
// (`kamailio -f CFG -DD -E -Y DIR -P DIR/kamailio.pid`), waiting until it
// answers OPTIONS. It is stopped at cleanup; its log is printed if the
// test failed.
func Start(t testing.TB, opts Options) *Kamailio {
	t.Helper()
	if opts.Algorithm == "" {
		opts.Algorithm = "MD5"
	}
	if opts.Port == 0 {
		opts.Port = FreePort(t)
	}
	tmpl, err := os.ReadFile(opts.Template)
	if err != nil {
		t.Fatalf("kamailio template: %v", err)
	}
	k := &Kamailio{t: t, opts: opts, dir: t.TempDir()}
	k.cfg = filepath.Join(k.dir, "kamailio.cfg")
	tlsPort, tlsCfg := "", ""
	if opts.TLS != nil {
		if opts.TLS.Port == 0 {
			opts.TLS.Port = FreePort(t)
		}
		tlsPort, tlsCfg = strconv.Itoa(opts.TLS.Port), filepath.Join(k.dir, "tls.cfg")
		conf := fmt.Sprintf("[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"+
			"private_key = %s\ncertificate = %s\n\n[client:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n",
			opts.TLS.KeyFile, opts.TLS.CertFile)
		if err := os.WriteFile(tlsCfg, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		k.defines = []string{"-A", "WITH_TLS"}
	}
	cfg := strings.NewReplacer(
		"{{TLS_PORT}}", tlsPort,
		"{{TLS_CFG}}", tlsCfg,
		"{{PORT}}", strconv.Itoa(opts.Port),
		"{{USER}}", opts.User,
		"{{PASSWORD}}", opts.Password,
		"{{ALGORITHM}}", opts.Algorithm,
		"{{UAS}}", opts.UAS,
		"{{DEBUG}}", "2",
	).Replace(string(tmpl))
	if err := os.WriteFile(k.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	k.start()
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("kamailio log:\n%s", k.Log())
		}
	})
	return k
}

// Addr is "127.0.0.1:PORT".
func (k *Kamailio) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.opts.Port)) }

// URI is "sip:127.0.0.1:PORT".
func (k *Kamailio) URI() string { return "sip:" + k.Addr() }

// TLSAddr is "127.0.0.1:TLSPORT" (empty without TLS).
func (k *Kamailio) TLSAddr() string {
	if k.opts.TLS == nil {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(k.opts.TLS.Port))
}

// Log is what kamailio wrote so far.
func (k *Kamailio) Log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.log == nil {
		return ""
	}
	return k.log.String()
}

func (k *Kamailio) start() {
	k.t.Helper()
	log := &syncBuffer{}
	args := append([]string{"-f", k.cfg, "-DD", "-E", "-Y", k.dir, "-P", filepath.Join(k.dir, "kamailio.pid")}, k.defines...)
	cmd := exec.Command(KamailioBin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		k.t.Fatalf("start kamailio: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	k.mu.Lock()
	k.cmd, k.done, k.log = cmd, done, log
	k.mu.Unlock()

	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(k.Addr()); err == nil {
			return
		}
		select {
		case <-done:
			k.t.Fatalf("kamailio exited at start:\n%s", log.String())
		default:
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("kamailio not answering OPTIONS on %s:\n%s", k.Addr(), log.String())
		}
	}
}

// Stop kills kamailio (its whole process group) and waits for it.
func (k *Kamailio) Stop() {
	k.mu.Lock()
	cmd, done := k.cmd, k.done
	k.cmd = nil
	k.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		k.t.Errorf("kamailio pid %d did not exit", cmd.Process.Pid)
	}
}

// Restart stops kamailio and starts it again on the same port, with its
// registrations lost (usrloc keeps them in memory only).
func (k *Kamailio) Restart() {
	k.t.Helper()
	k.Stop()
	k.start()
}

// ping sends one OPTIONS to Kamailio itself and waits briefly for any
// response.
func ping(addr string) error {
	_, err := options(addr, "")
	return err
}

// Reachable sends OPTIONS for user through Kamailio: true when the
// registrar has a binding for user and the registered UA answers 200.
func (k *Kamailio) Reachable(user string) bool {
	status, err := options(k.Addr(), user)
	return err == nil && status == 200
}

// options sends one OPTIONS to sip:[user@]addr and returns the status of
// the first response.
func options(addr, user string) (int, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	ruri := "sip:" + addr
	if user != "" {
		ruri = "sip:" + user + "@" + addr
	}
	nonce := strconv.FormatInt(time.Now().UnixNano(), 36)
	msg := "OPTIONS " + ruri + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-ping" + nonce + "\r\n" +
		"From: <sip:ping@127.0.0.1>;tag=ping\r\nTo: <" + ruri + ">\r\n" +
		"Call-ID: ping-" + nonce + "\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(msg)); err != nil {
		return 0, err
	}
	_ = c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return 0, err
		}
		var code int
		if _, err := fmt.Sscanf(string(buf[:n]), "SIP/2.0 %d", &code); err != nil {
			return 0, errors.New("not a sip response")
		}
		if code >= 200 {
			return code, nil
		}
	}
}

// FreePort finds a port free for both UDP and TCP on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		_ = u.Close()
		if err != nil {
			continue
		}
		_ = l.Close()
		return port
	}
	t.Fatal("no free port")
	return 0
}

// Sipp is a sipp run.
type Sipp struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// StartSipp runs one sipp call: `sipp REMOTE -sf SCENARIO -m 1 -i 127.0.0.1
// -p PORT -nostdin -timeout 30s -timeout_error` plus args (e.g. -s 1001,
// -key from '"Name" <sip:…>'). remote may be "" for a UAS. It is killed at
// cleanup.
func StartSipp(t testing.TB, remote, scenario string, port int, args ...string) *Sipp {
	t.Helper()
	dir := t.TempDir()
	if abs, err := filepath.Abs(scenario); err == nil {
		scenario = abs
	}
	all := []string{}
	if remote != "" {
		all = append(all, remote)
	}
	all = append(all, "-sf", scenario, "-m", "1", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-mp", strconv.Itoa(FreePort(t)), "-nostdin", "-timeout", "30s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"))
	all = append(all, args...)
	s := &Sipp{out: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(SippBin, all...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	go func() {
		s.err = s.cmd.Wait()
		if b, err := os.ReadFile(filepath.Join(dir, "errors.log")); err == nil {
			s.out.Write(b)
		}
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("sipp %s output:\n%s", filepath.Base(scenario), tail(s.out.String(), 4000))
		}
	})
	return s
}

// Wait waits for sipp to finish; it fails the test if sipp reported a
// failed call or ctx ended first.
func (s *Sipp) Wait(t testing.TB, ctx context.Context) {
	t.Helper()
	select {
	case <-s.done:
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		<-s.done
		t.Fatalf("sipp did not finish: %v\n%s", ctx.Err(), s.out.String())
	}
	if s.err != nil {
		t.Fatalf("sipp failed: %v\n%s", s.err, tail(s.out.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for a process's output and a reader.
type syncBuffer struct {
	mu sync.Mutex
	// Not embedded: an embedded bytes.Buffer would lend its ReadFrom to
	// io.Copy (os/exec uses it), which writes without the lock.
	b bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
