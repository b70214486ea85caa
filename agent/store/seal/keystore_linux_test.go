//go:build linux

package seal

import (
	"bytes"
	"errors"
	"testing"

	"agentdesk/agent/store/seal/sealtest"

	"github.com/godbus/dbus/v5"
)

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
	address := sealtest.StartKeyring(t)
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
	_, address := sealtest.StartBus(t)
	if _, err := secretServiceOn(dial(t, address)); !errors.Is(err, ErrNoKeystore) {
		t.Errorf("secretServiceOn = %v, want ErrNoKeystore", err)
	}
}
