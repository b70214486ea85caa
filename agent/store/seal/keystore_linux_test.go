//go:build linux

package seal

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startKeyring starts a private session bus and a GNOME Keyring on it
// (secrets component, login keyring unlocked with a throwaway password), in
// a temporary home, and returns the bus address. Both stop at cleanup.
// Without the programs the test is skipped, or fails under
// AGENTDESK_INTEGRATION=1.
func startKeyring(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		if os.Getenv("AGENTDESK_INTEGRATION") == "1" {
			t.Fatal("gnome-keyring-daemon not installed (Debian gnome-keyring)")
		}
		t.Skip("gnome-keyring-daemon not installed")
	}
	dir, address := startBus(t)
	ctx, cancel := context.WithCancel(context.Background())
	home := filepath.Join(dir, "home")
	env := append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+address, "HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_RUNTIME_DIR="+dir, "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	kr := exec.CommandContext(ctx, "gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	kr.Env = env
	kr.Stdin = strings.NewReader("throwaway-login-password")
	var krErr bytes.Buffer
	kr.Stderr = &krErr
	if err := kr.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); kr.Wait() })
	// Wait until the keyring owns its name on the bus.
	conn := dial(t, address)
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, ssDest).Store(&has); err == nil && has {
			return address
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not take %s in 10 s: %s", ssDest, krErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startBus starts a private session bus with no activatable services (the
// system's would start a keyring of their own) and returns its directory and
// address; it stops at cleanup.
func startBus(t *testing.T) (dir, address string) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		if os.Getenv("AGENTDESK_INTEGRATION") == "1" {
			t.Fatal("dbus-daemon not installed (Debian dbus-daemon)")
		}
		t.Skip("dbus-daemon not installed")
	}
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
	var stderr bytes.Buffer
	bus.Stderr = &stderr
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); bus.Wait() })
	address = "unix:path=" + sock
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := dbus.Connect(address); err == nil {
			c.Close()
			return dir, address
		} else if time.Now().After(deadline) {
			t.Fatalf("bus did not come up in 10 s: %v: %s", err, stderr.String())
		}
	}
}

func dial(t *testing.T, address string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestSecretService_OSSlot keeps an OS slot's key in a real GNOME Keyring:
// one connection makes the slot, another (a later desk start) opens it;
// once forgotten it no longer opens.
func TestSecretService_OSSlot(t *testing.T) {
	address := startKeyring(t)
	ks, err := secretServiceOn(dial(t, address))
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	dek, _ := NewKey()
	o := OS{Keystore: ks, User: "agent-pc"}
	slots, err := o.Wrap(dek)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(slots[0].Handle, dek) || bytes.Contains(slots[0].Wrapped, dek) {
		t.Fatal("slot holds the data key")
	}
	later, err := secretServiceOn(dial(t, address))
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	got, err := OS{Keystore: later, User: "agent-pc"}.Unlock(slots)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock through a second connection: %v", err)
	}
	if err := o.Forget(slots[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := (OS{Keystore: later, User: "agent-pc"}).Unlock(slots); !errors.Is(err, ErrKeystore) {
		t.Errorf("Unlock after Forget: %v, want ErrKeystore", err)
	}
}

// TestSecretService_NoneOnBus: a bus without a Secret Service is reported
// as ErrNoKeystore, not a hang.
func TestSecretService_NoneOnBus(t *testing.T) {
	_, address := startBus(t)
	if _, err := secretServiceOn(dial(t, address)); !errors.Is(err, ErrNoKeystore) {
		t.Errorf("secretServiceOn = %v, want ErrNoKeystore", err)
	}
}
