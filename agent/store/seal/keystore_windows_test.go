//go:build windows

package seal

import (
	"bytes"
	"errors"
	"testing"
)

// TestDPAPI_OSSlot keeps an OS slot's key with DPAPI (user scope): it
// opens again for the same user, and an altered blob does not. Run under
// Wine: GOOS=windows go test -c, then ../shared/tools/wine-go/run.sh.
func TestDPAPI_OSSlot(t *testing.T) {
	ks, err := SystemKeystore()
	if err != nil {
		t.Fatal(err)
	}
	dek, _ := NewKey()
	o := OS{Keystore: ks}
	slots, err := o.Wrap(dek)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(slots[0].Handle, dek) {
		t.Fatal("DPAPI blob holds the data key")
	}
	got, err := o.Unlock(slots)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock = %v", err)
	}
	// An altered blob is refused: by DPAPI, or (Wine's DPAPI gives back
	// other bytes) by the slot's own check.
	slots[0].Handle[len(slots[0].Handle)/2] ^= 1
	if _, err := o.Unlock(slots); !errors.Is(err, ErrKeystore) && !errors.Is(err, ErrWrongSecret) {
		t.Errorf("altered blob: %v, want ErrKeystore or ErrWrongSecret", err)
	}
}
