package seal_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent/store/seal"
)

func newCipher(t testing.TB) (*seal.Cipher, []byte) {
	t.Helper()
	dek, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := seal.NewCipher(dek)
	if err != nil {
		t.Fatal(err)
	}
	return c, dek
}

func TestCipher_RoundTripAndPlace(t *testing.T) {
	c, _ := newCipher(t)
	plain := []byte(`{"name":"张伟","phones":["+8613800138000"]}`)
	ad := []byte("customer\x00id-1")
	sealed := c.Seal(nil, plain, ad)
	if len(sealed) != len(plain)+seal.Overhead {
		t.Errorf("sealed %d bytes, want %d", len(sealed), len(plain)+seal.Overhead)
	}
	if bytes.Contains(sealed, []byte("张伟")) || bytes.Contains(sealed, []byte("13800138000")) {
		t.Fatal("sealed value shows its plaintext")
	}
	got, err := c.Open(nil, sealed, ad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Moved to another record or bucket: refused.
	for _, other := range [][]byte{[]byte("customer\x00id-2"), []byte("call\x00id-1"), nil} {
		if _, err := c.Open(nil, sealed, other); !errors.Is(err, seal.ErrCorrupt) {
			t.Errorf("Open at %q: %v, want ErrCorrupt", other, err)
		}
	}
	// Altered anywhere: refused.
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := c.Open(nil, bad, ad); !errors.Is(err, seal.ErrCorrupt) {
			t.Fatalf("byte %d altered: %v, want ErrCorrupt", i, err)
		}
	}
	if _, err := c.Open(nil, sealed[:seal.Overhead-1], ad); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("short value: %v", err)
	}
	// Another file's key: refused.
	c2, _ := newCipher(t)
	if _, err := c2.Open(nil, sealed, ad); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("other key: %v, want ErrCorrupt", err)
	}
}

func TestCipher_SameKeyTwoOpens(t *testing.T) {
	_, dek := newCipher(t)
	a, _ := seal.NewCipher(dek)
	b, _ := seal.NewCipher(dek)
	ad := []byte("x")
	s := a.Seal(nil, []byte("v"), ad)
	if got, err := b.Open(nil, s, ad); err != nil || string(got) != "v" {
		t.Fatalf("a value sealed by one open does not open in another: %q, %v", got, err)
	}
	if bytes.Equal(a.Seal(nil, []byte("v"), ad), b.Seal(nil, []byte("v"), ad)) {
		t.Error("two opens sealed the same value identically: nonces repeat")
	}
	if !bytes.Equal(a.Hash(nil, []byte("+8613800138000")), b.Hash(nil, []byte("+8613800138000"))) {
		t.Error("index hash differs between two opens of one key")
	}
}

func TestCipher_NoncesNeverRepeatConcurrently(t *testing.T) {
	c, _ := newCipher(t)
	const workers, each = 4, 2000
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				s := c.Seal(nil, nil, nil)
				mu.Lock()
				seen[string(s[1:13])] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct nonces of %d seals", len(seen), workers*each)
	}
}

func TestCipher_Hash(t *testing.T) {
	c, _ := newCipher(t)
	c2, _ := newCipher(t)
	n := []byte("+8613800138000")
	h := c.Hash(nil, n)
	if len(h) != seal.HashSize {
		t.Fatalf("hash is %d bytes", len(h))
	}
	if !bytes.Equal(h, c.Hash([]byte{}, n)) {
		t.Error("hash not deterministic")
	}
	if bytes.Equal(h, c.Hash(nil, []byte("+8613800138001"))) {
		t.Error("two numbers hash alike")
	}
	if bytes.Equal(h, c2.Hash(nil, n)) {
		t.Error("two files' keys hash a number alike: the hash is not keyed")
	}
	if bytes.Contains(h, []byte("138")) {
		t.Error("hash shows the number")
	}
}

func TestNewCipher_BadKey(t *testing.T) {
	if _, err := seal.NewCipher(make([]byte, 16)); err == nil {
		t.Error("a 128-bit data key was accepted")
	}
}

// testKDF keeps tests fast; the cost is stored with each slot.
var testKDF = seal.KDF{Time: 1, MemoryKiB: 64, Threads: 1}

func TestAgent_WrapUnlock(t *testing.T) {
	_, dek := newCipher(t)
	now := time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC)
	a := seal.Agent{ID: "8001", Secret: "246810", KDF: testKDF, NotAfter: now.Add(72 * time.Hour)}
	slots, err := a.Wrap(dek)
	if err != nil || len(slots) != 1 {
		t.Fatalf("Wrap = %v, %v", slots, err)
	}
	s := slots[0]
	if s.Kind != seal.KindAgent || s.Name != "8001" || s.KDF == nil || *s.KDF != testKDF || len(s.Salt) == 0 {
		t.Errorf("slot = %+v", s)
	}
	if bytes.Contains(s.Wrapped, dek) {
		t.Fatal("slot holds the data key in the clear")
	}
	open := func(id string, secret seal.Secret, at time.Time, slots []seal.Slot) ([]byte, error) {
		return seal.Agent{ID: id, Secret: secret, Now: at}.Unlock(slots)
	}
	if got, err := open("8001", "246810", now, slots); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock = %x, %v", got, err)
	}
	if _, err := open("8001", "246811", now, slots); !errors.Is(err, seal.ErrWrongSecret) {
		t.Errorf("wrong PIN: %v, want ErrWrongSecret", err)
	}
	if _, err := open("8002", "246810", now, slots); !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("other agent: %v, want ErrNoSlot", err)
	}
	if _, err := open("8001", "246810", now.Add(73*time.Hour), slots); !errors.Is(err, seal.ErrExpired) {
		t.Errorf("after NotAfter: %v, want ErrExpired", err)
	}
	if _, err := open("8001", "246810", time.Time{}, slots); err == nil {
		t.Error("an expiring slot opened without an instant to judge it")
	}
	// Editing the slot's expiry (or cost, or salt) breaks it.
	edited := []seal.Slot{s}
	edited[0].NotAfter = now.Add(1000 * time.Hour)
	if _, err := open("8001", "246810", now.Add(73*time.Hour), edited); !errors.Is(err, seal.ErrWrongSecret) {
		t.Errorf("slot with an edited expiry: %v, want ErrWrongSecret", err)
	}
	edited[0] = s
	k := *s.KDF
	k.Time = 2
	edited[0].KDF = &k
	if _, err := open("8001", "246810", now, edited); !errors.Is(err, seal.ErrWrongSecret) {
		t.Errorf("slot with an edited cost: %v, want ErrWrongSecret", err)
	}
	// A file claiming a huge cost is refused before any work.
	edited[0] = s
	edited[0].KDF = &seal.KDF{Time: 1, MemoryKiB: 1 << 30, Threads: 1}
	if _, err := open("8001", "246810", now, edited); err == nil || errors.Is(err, seal.ErrWrongSecret) {
		t.Errorf("slot with a 1 TiB cost: %v", err)
	}
}

func TestAgent_WrapRefusesEmpty(t *testing.T) {
	_, dek := newCipher(t)
	if _, err := (seal.Agent{ID: "8001", KDF: testKDF}).Wrap(dek); err == nil {
		t.Error("a slot with an empty PIN was made")
	}
	if _, err := (seal.Agent{Secret: "1", KDF: testKDF}).Wrap(dek); err == nil {
		t.Error("a slot without an agent was made")
	}
	if _, err := (seal.Agent{ID: "8001", Secret: "1", KDF: seal.KDF{Time: 1, MemoryKiB: 1, Threads: 1}}).Wrap(dek); err == nil {
		t.Error("a slot with a 1 KiB cost was made")
	}
}

func TestAgent_DefaultKDF(t *testing.T) {
	if testing.Short() {
		t.Skip("argon2id at its default cost")
	}
	_, dek := newCipher(t)
	start := time.Now()
	slots, err := seal.Agent{ID: "8001", Secret: "pa55word"}.Wrap(dek)
	if err != nil {
		t.Fatal(err)
	}
	wrapTook := time.Since(start)
	if *slots[0].KDF != seal.DefaultKDF {
		t.Errorf("slot cost = %+v, want the default", *slots[0].KDF)
	}
	start = time.Now()
	if got, err := (seal.Agent{ID: "8001", Secret: "pa55word"}).Unlock(slots); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock = %v", err)
	}
	t.Logf("argon2id %+v: wrap %v, unlock %v", seal.DefaultKDF, wrapTook, time.Since(start))
}

func TestHub_WrapUnlock(t *testing.T) {
	_, dek := newCipher(t)
	key, _ := seal.NewKey()
	h := seal.Hub{KeyID: "k1", Key: key}
	slots, err := h.Wrap(dek)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.Unlock(slots); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock = %v", err)
	}
	other, _ := seal.NewKey()
	if _, err := (seal.Hub{KeyID: "k1", Key: other}).Unlock(slots); !errors.Is(err, seal.ErrWrongSecret) {
		t.Errorf("wrong hub key: %v, want ErrWrongSecret", err)
	}
	if _, err := (seal.Hub{KeyID: "k2", Key: key}).Unlock(slots); !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("unknown key id: %v, want ErrNoSlot", err)
	}
	if _, err := (seal.Hub{KeyID: "k1", Key: key[:16]}).Wrap(dek); err == nil {
		t.Error("a 128-bit hub key was accepted")
	}
}

func TestSecrets_NeverPrint(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)
	a := seal.Agent{ID: "8001", Secret: "246810"}
	h := seal.Hub{KeyID: "k1", Key: key}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", a.Secret, "hub", h)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v %#v", a, a), fmt.Sprint(h), fmt.Sprintf("%+v %#v", h, h), logged.String()} {
		if strings.Contains(s, "246810") || strings.Contains(s, "abab") || strings.Contains(s, "171, 171") || strings.Contains(s, "[171 171") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

// memKeystore is a fake OS keystore for unit tests.
type memKeystore struct {
	m    map[string][]byte
	fail error
}

func (k *memKeystore) Name() string { return "mem" }

func (k *memKeystore) Protect(secret []byte) ([]byte, error) {
	if k.fail != nil {
		return nil, k.fail
	}
	h := fmt.Sprintf("h%d", len(k.m))
	k.m[h] = bytes.Clone(secret)
	return []byte(h), nil
}

func (k *memKeystore) Unprotect(handle []byte) ([]byte, error) {
	v, ok := k.m[string(handle)]
	if !ok {
		return nil, fmt.Errorf("%w: no such item", seal.ErrKeystore)
	}
	return v, nil
}

func (k *memKeystore) Delete(handle []byte) error { delete(k.m, string(handle)); return nil }

func TestOS_WrapUnlockForget(t *testing.T) {
	_, dek := newCipher(t)
	ks := &memKeystore{m: map[string][]byte{}}
	o := seal.OS{Keystore: ks, User: "desk1"}
	slots, err := o.Wrap(dek)
	if err != nil {
		t.Fatal(err)
	}
	if slots[0].Name != "mem:desk1" {
		t.Errorf("slot name %q", slots[0].Name)
	}
	if got, err := o.Unlock(slots); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Unlock = %v", err)
	}
	if _, err := (seal.OS{Keystore: ks, User: "other"}).Unlock(slots); !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("other user: %v, want ErrNoSlot", err)
	}
	if err := o.Forget(slots[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Unlock(slots); !errors.Is(err, seal.ErrKeystore) {
		t.Errorf("after Forget: %v, want ErrKeystore", err)
	}
	ks.fail = errors.New("dbus down")
	if _, err := o.Wrap(dek); err == nil {
		t.Error("Wrap succeeded with a failing keystore")
	}
	if _, err := (seal.OS{}).Wrap(dek); !errors.Is(err, seal.ErrNoKeystore) {
		t.Errorf("no keystore: %v", err)
	}
}

func TestAny(t *testing.T) {
	_, dek := newCipher(t)
	key, _ := seal.NewKey()
	agentU := seal.Agent{ID: "8001", Secret: "1234", KDF: testKDF}
	hubU := seal.Hub{KeyID: "k1", Key: key}
	slots, err := seal.Any(agentU, hubU).Wrap(dek)
	if err != nil || len(slots) != 2 {
		t.Fatalf("Wrap = %d slots, %v", len(slots), err)
	}
	wrongPIN := seal.Agent{ID: "8001", Secret: "9999"}
	if got, err := seal.Any(wrongPIN, hubU).Unlock(slots); err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("Any with a wrong PIN and the hub key: %v", err)
	}
	_, err = seal.Any(wrongPIN, seal.Hub{KeyID: "k9", Key: key}).Unlock(slots)
	if !errors.Is(err, seal.ErrWrongSecret) || !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("Any of a wrong PIN and an unknown key: %v, want both errors", err)
	}
	if _, err := seal.Any().Unlock(slots); !errors.Is(err, seal.ErrNoSlot) {
		t.Errorf("empty Any: %v", err)
	}
	if _, err := seal.Any(agentU, seal.OS{}).Wrap(dek); err == nil {
		t.Error("Any.Wrap succeeded though a member failed")
	}
}
