package main

import (
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agentdesk/agent"
)

// sync --ca trusts the CA that signed the hub's certificate; without it,
// a certificate the system does not trust is refused and said so.
func TestSync_Once_TLSWithCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(&syncHub{customer: agent.Customer{Meta: agent.Meta{ID: agent.NewID(), Version: 1}, Name: "周七"}})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if code, _, stderr := runSync(t, "--hub", srv.URL, "--token", "good", "--ca", filepath.Join(dir, "missing.pem"), "--once", "--data", data); code != 1 || !strings.Contains(stderr, "hub ca file") {
		t.Errorf("sync with a missing CA file = %d %q", code, stderr)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused sync made the data dir: %v", err)
	}
	if code, _, stderr := runSync(t, "--hub", srv.URL, "--token", "good", "--once", "--data", data); code != 1 || !strings.Contains(stderr, "certificate not trusted") {
		t.Errorf("sync without the CA = %d %q, want the certificate named untrusted", code, stderr)
	}
	if code, stdout, stderr := runSync(t, "--hub", srv.URL, "--token", "good", "--ca", ca, "--once", "--data", data); code != 0 || !strings.Contains(stdout, `"pulled":1`) {
		t.Errorf("sync trusting the CA = %d %s %s", code, stdout, stderr)
	}
}
