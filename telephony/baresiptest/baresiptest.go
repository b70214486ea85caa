// Package baresiptest runs a real baresip (Debian's baresip 1.0) as the
// far end of a call in telephony's integration tests: on a veth holding a
// 127.x address of its own (baresip will not put media on lo), with its
// ausine tone as the microphone and its sndfile module recording both
// directions, or with real audio on a PulseAudio server. Everything is
// removed at test cleanup.
package baresiptest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
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

// Bin is Debian's baresip.
const Bin = "/usr/bin/baresip"

// Gate skips the test unless AGENTDESK_INTEGRATION=1, and then fails it if
// baresip or ip(8) is missing.
func Gate(t testing.TB) {
	t.Helper()
	if os.Getenv("AGENTDESK_INTEGRATION") != "1" {
		t.Skip("integration test: set AGENTDESK_INTEGRATION=1 (needs baresip)")
	}
	for _, bin := range []string{Bin, "/usr/sbin/ip"} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("integration test needs %s (apt-get install baresip iproute2): %v", bin, err)
		}
	}
}

// Veth makes a veth pair whose first end holds a free 127.0.9.x/32
// address, for baresip's media to stay on loopback; it is deleted at
// cleanup. It returns the interface and the address.
func Veth(t testing.TB) (iface, ip string) {
	t.Helper()
	var b [2]byte
	_, _ = rand.Read(b[:])
	iface = "bsv" + hex.EncodeToString(b[:])
	out, _ := exec.Command("ip", "-4", "addr", "show").Output()
	for n := 2 + int(b[0])%200; ; n++ {
		ip = "127.0.9." + strconv.Itoa(n)
		if !bytes.Contains(out, []byte(" "+ip+"/")) {
			break
		}
		if n > 254 {
			t.Fatal("no free 127.0.9.x address")
		}
	}
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("link", "add", iface, "type", "veth", "peer", "name", iface+"p")
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", iface).Run() })
	run("addr", "add", ip+"/32", "dev", iface)
	run("link", "set", iface, "up")
	run("link", "set", iface+"p", "up")
	return iface, ip
}

// Options configure one baresip.
type Options struct {
	// User and Password are its account; it registers through Proxy.
	User, Password string
	// Domain is the account's domain (the PBX's host, "127.0.0.1").
	Domain string
	// Proxy is the PBX, "sip:127.0.0.1:PORT" (";transport=tls" for TLS).
	Proxy string
	// Codec forces one codec: "PCMU" or "PCMA".
	Codec string
	// ToneHz is the sine baresip sends as its microphone (ausine); its
	// sndfile module writes what it sends and receives as WAV files.
	// Ignored with Pulse.
	ToneHz int
	// Pulse, when set, gives baresip real audio through ALSA's PulseAudio
	// plugin: it plays on PulseSink and records from PulseSource.
	Pulse                  []string
	PulseSink, PulseSource string
	// MediaEnc is baresip's mediaenc, e.g. "srtp-mand" (SDES).
	MediaEnc string
	// CAFile is trusted for the PBX's TLS certificate.
	CAFile string
	// Certificate is baresip's own TLS certificate and key (one PEM
	// file), so the PBX can open TLS connections to it (a BYE from the
	// other side arrives that way).
	Certificate string
	// AnswerMode is "auto" (default) or "manual".
	AnswerMode string
	// JitterBuffer is jitter_buffer_delay in frames (default "1-4").
	JitterBuffer string
	// Commands run at start (-e), e.g. "/dial sip:1001@127.0.0.1".
	Commands []string
}

// Baresip is a running baresip.
type Baresip struct {
	t    testing.TB
	Dir  string
	IP   string
	Port int
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// Start writes baresip's config into a temporary folder and runs it on
// a fresh veth. It is stopped at cleanup; its output is printed if the
// test failed.
func Start(t testing.TB, o Options) *Baresip {
	t.Helper()
	iface, ip := Veth(t)
	dir, err := os.MkdirTemp("", "baresip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	port := freeUDPPort(t, ip)
	if o.AnswerMode == "" {
		o.AnswerMode = "auto"
	}
	if o.JitterBuffer == "" {
		o.JitterBuffer = "1-4"
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "poll_method epoll\nsip_listen %s:%d\ncall_local_timeout 60\n", ip, port)
	fmt.Fprintf(&cfg, "jitter_buffer_delay %s\nrtcp_mux no\nrtp_ports 20000-60000\n", o.JitterBuffer)
	cfg.WriteString("module_path /usr/lib/baresip/modules\nmodule stdio.so\nmodule g711.so\n")
	if o.Pulse != nil {
		cfg.WriteString("module alsa.so\naudio_player alsa,pulse\naudio_source alsa,pulse\naudio_alert alsa,pulse\n")
		cfg.WriteString("ausrc_srate 8000\nauplay_srate 8000\nausrc_channels 1\nauplay_channels 1\naudio_buffer 20-60\n")
	} else {
		cfg.WriteString("module ausine.so\nmodule aufile.so\nmodule sndfile.so\n")
		fmt.Fprintf(&cfg, "audio_source ausine,%d\naudio_player aufile,/dev/null\naudio_alert aufile,/dev/null\n", o.ToneHz)
		fmt.Fprintf(&cfg, "ausrc_srate 48000\nausrc_channels 2\nsnd_path %s\n", dir)
	}
	if o.MediaEnc != "" {
		cfg.WriteString("module srtp.so\n")
	}
	if o.CAFile != "" {
		fmt.Fprintf(&cfg, "sip_cafile %s\n", o.CAFile)
	}
	if o.Certificate != "" {
		fmt.Fprintf(&cfg, "sip_certificate %s\n", o.Certificate)
	}
	cfg.WriteString("module_tmp account.so\nmodule_app menu.so\n")
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	acc := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;outbound=\"%s\";regint=60;answermode=%s", o.User, o.Domain, o.Password, o.Proxy, o.AnswerMode)
	if o.Codec != "" {
		acc += ";audio_codecs=" + o.Codec
	}
	if o.MediaEnc != "" {
		acc += ";mediaenc=" + o.MediaEnc
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts"), []byte(acc+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "contacts"), nil, 0o600)
	args := []string{"-4", "-n", iface, "-f", dir}
	for _, c := range o.Commands {
		args = append(args, "-e", c)
	}
	b := &Baresip{t: t, Dir: dir, IP: ip, Port: port, out: &syncBuffer{}, done: make(chan struct{})}
	b.cmd = exec.Command(Bin, args...)
	b.cmd.Dir = dir
	b.cmd.Env = os.Environ()
	if o.Pulse != nil {
		b.cmd.Env = append(o.Pulse, "PULSE_SINK="+o.PulseSink, "PULSE_SOURCE="+o.PulseSource)
	}
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	go func() { _ = b.cmd.Wait(); close(b.done) }()
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("baresip %s output:\n%s", o.User, tail(b.out.String(), 6000))
		}
	})
	return b
}

// Pid is baresip's process id.
func (b *Baresip) Pid() int { return b.cmd.Process.Pid }

// Output is what baresip printed so far.
func (b *Baresip) Output() string { return b.out.String() }

// WaitOutput waits until baresip printed s (up to timeout).
func (b *Baresip) WaitOutput(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.out.String(), s) {
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-b.done:
			return strings.Contains(b.out.String(), s)
		case <-time.After(20 * time.Millisecond): // polling with a deadline
		}
	}
	return true
}

// Stop ends baresip (SIGTERM, so it hangs up and closes its recordings;
// SIGKILL after 5 s) and waits for it.
func (b *Baresip) Stop() {
	select {
	case <-b.done:
		return
	default:
	}
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-b.done
	}
}

// Recordings are the sndfile dumps: what baresip sent (enc) and what it
// received and decoded (dec). Call after Stop.
func (b *Baresip) Recordings() (enc, dec string) {
	m, _ := filepath.Glob(filepath.Join(b.Dir, "dump-*-enc.wav"))
	if len(m) > 0 {
		enc = m[0]
	}
	m, _ = filepath.Glob(filepath.Join(b.Dir, "dump-*-dec.wav"))
	if len(m) > 0 {
		dec = m[0]
	}
	return enc, dec
}

func freeUDPPort(t testing.TB, ip string) int {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

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
