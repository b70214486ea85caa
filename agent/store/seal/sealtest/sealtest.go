// Package sealtest starts real OS keystores for tests: a private D-Bus
// session bus and a GNOME Keyring on it, in a temporary home, stopped when
// the test ends. Without the programs a test is skipped, or fails when
// AGENTDESK_INTEGRATION=1.
package sealtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func need(t testing.TB, prog, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("AGENTDESK_INTEGRATION") == "1" {
			t.Fatalf("%s not installed (Debian %s)", prog, pkg)
		}
		t.Skipf("%s not installed", prog)
	}
}

// lockedBuffer collects a child's stderr while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// StartBus starts a private session bus with no activatable services (the
// system's would start a keyring of their own) and returns its directory
// and address.
func StartBus(t testing.TB) (dir, address string) {
	t.Helper()
	need(t, "dbus-daemon", "dbus-daemon")
	dir = t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	err := os.WriteFile(conf, []byte(`<busconfig><type>session</type><listen>unix:path=`+sock+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	bus := exec.CommandContext(ctx, "dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile")
	var stderr lockedBuffer
	bus.Stderr = &stderr
	if err := bus.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); bus.Wait() })
	address = "unix:path=" + sock
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := dbus.Connect(address); err == nil {
			c.Close()
			return dir, address
		} else if time.Now().After(deadline) {
			t.Fatalf("sealtest: bus did not come up in 10 s: %v: %s", err, stderr.String())
		}
	}
}

// StartKeyring starts a private session bus and a GNOME Keyring on it
// (secrets component, login keyring unlocked with a throwaway password)
// and returns the bus address once the keyring serves
// org.freedesktop.secrets. Set DBUS_SESSION_BUS_ADDRESS to it (t.Setenv)
// for code that finds the keystore by itself (seal.SystemKeystore).
func StartKeyring(t testing.TB) string {
	t.Helper()
	need(t, "gnome-keyring-daemon", "gnome-keyring")
	dir, address := StartBus(t)
	ctx, cancel := context.WithCancel(context.Background())
	home := filepath.Join(dir, "home")
	kr := exec.CommandContext(ctx, "gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	kr.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+address, "HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_RUNTIME_DIR="+dir, "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	kr.Stdin = strings.NewReader("throwaway-login-password")
	var stderr lockedBuffer
	kr.Stderr = &stderr
	if err := kr.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); kr.Wait() })
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has); err == nil && has {
			return address
		}
		if time.Now().After(deadline) {
			t.Fatalf("sealtest: gnome-keyring-daemon did not serve org.freedesktop.secrets in 10 s: %s", stderr.String())
		}
	}
}
