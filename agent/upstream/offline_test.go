package upstream_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"agentdesk/agent/upstream"
)

// cheap is a low argon2id cost, so the table below runs fast; the cost
// travels in the verifier and is signed with it.
var cheap = upstream.Argon2Params{Time: 1, Memory: 64, Threads: 1}

func newVerifier(t *testing.T, key ed25519.PrivateKey, pin string, issued time.Time) upstream.OfflineVerifier {
	t.Helper()
	salt := make([]byte, upstream.PINSaltSize)
	if _, err := rand.Read(salt); err != nil {
		t.Fatal(err)
	}
	return upstream.SignOffline(upstream.OfflineVerifier{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, Desk: "desk-1",
		KDF: cheap, Salt: salt, Hash: upstream.HashPIN(pin, salt, cheap), Issued: issued, Expires: issued.Add(7 * 24 * time.Hour)}, key)
}

func TestVerifyOffline(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	issued := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	v := newVerifier(t, key, "2468", issued)

	// A verifier survives the trip through JSON (the desk keeps it so).
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var kept upstream.OfflineVerifier
	if err := json.Unmarshal(b, &kept); err != nil {
		t.Fatal(err)
	}
	if v.KeyID != upstream.KeyID(pub) || len(v.KeyID) != 16 {
		t.Errorf("key id %q, want %q", v.KeyID, upstream.KeyID(pub))
	}

	altered := func(f func(*upstream.OfflineVerifier)) upstream.OfflineVerifier {
		c := kept
		c.Salt, c.Hash, c.Sig = append([]byte(nil), c.Salt...), append([]byte(nil), c.Hash...), append([]byte(nil), c.Sig...)
		f(&c)
		return c
	}
	in := issued.Add(3 * 24 * time.Hour)
	for _, tt := range []struct {
		name   string
		v      upstream.OfflineVerifier
		pub    ed25519.PublicKey
		desk   string
		number string
		pin    string
		at     time.Time
		want   error
	}{
		{"good PIN within its lifetime", kept, pub, "desk-1", "8001", "2468", in, nil},
		{"just issued, desk clock a minute behind", kept, pub, "desk-1", "8001", "2468", issued.Add(-time.Minute), nil},
		{"wrong PIN", kept, pub, "desk-1", "8001", "2469", in, upstream.ErrWrongPIN},
		{"at its expiry", kept, pub, "desk-1", "8001", "2468", kept.Expires, upstream.ErrVerifierExpired},
		{"a day after", kept, pub, "desk-1", "8001", "2468", kept.Expires.Add(24 * time.Hour), upstream.ErrVerifierExpired},
		{"desk clock set back a day", kept, pub, "desk-1", "8001", "2468", issued.Add(-24 * time.Hour), upstream.ErrVerifierExpired},
		{"another desk's", kept, pub, "desk-2", "8001", "2468", in, upstream.ErrVerifierNotFor},
		{"another agent's", kept, pub, "desk-1", "8002", "2468", in, upstream.ErrVerifierNotFor},
		{"another hub's key pinned", kept, otherPub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"signed by another hub", newVerifier(t, otherKey, "2468", issued), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"no key pinned", kept, nil, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"expiry extended", altered(func(c *upstream.OfflineVerifier) { c.Expires = c.Expires.Add(30 * 24 * time.Hour) }), pub, "desk-1", "8001", "2468", kept.Expires.Add(time.Hour), upstream.ErrVerifierSignature},
		{"moved to another desk", altered(func(c *upstream.OfflineVerifier) { c.Desk = "desk-2" }), pub, "desk-2", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"role raised", altered(func(c *upstream.OfflineVerifier) { c.Role = upstream.RoleSupervisor }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"cost lowered", altered(func(c *upstream.OfflineVerifier) { c.KDF.Time = 2 }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"hash swapped", altered(func(c *upstream.OfflineVerifier) { c.Hash[0] ^= 1 }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"salt swapped", altered(func(c *upstream.OfflineVerifier) { c.Salt[0] ^= 1 }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"name changed", altered(func(c *upstream.OfflineVerifier) { c.Name = "王" }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"signature cut", altered(func(c *upstream.OfflineVerifier) { c.Sig = c.Sig[:10] }), pub, "desk-1", "8001", "2468", in, upstream.ErrVerifierSignature},
		{"unsigned", upstream.OfflineVerifier{}, pub, "", "", "2468", in, upstream.ErrVerifierSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := upstream.VerifyOffline(tt.v, tt.pub, tt.desk, tt.number, tt.pin, tt.at)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("VerifyOffline = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignInRetryAfter(t *testing.T) {
	last := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		failures int
		since    time.Duration // now - last
		want     time.Duration
	}{
		{0, 0, 0},
		{4, 0, 0},
		{5, 0, 30 * time.Second},
		{5, 10 * time.Second, 20 * time.Second},
		{5, 30 * time.Second, 0},
		{5, time.Hour, 0},
		{6, 0, time.Minute},
		{7, 0, 2 * time.Minute},
		{9, 0, 8 * time.Minute},
		{10, 0, 15 * time.Minute}, // 16 min, capped
		{50, 0, 15 * time.Minute},
		{50, 15 * time.Minute, 0},
	} {
		if got := upstream.SignInRetryAfter(tt.failures, last, last.Add(tt.since)); got != tt.want {
			t.Errorf("SignInRetryAfter(%d, %s later) = %s, want %s", tt.failures, tt.since, got, tt.want)
		}
	}
}

func TestArgon2Params_Check(t *testing.T) {
	for _, p := range []upstream.Argon2Params{upstream.DefaultArgon2, cheap} {
		if err := p.Check(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	for _, p := range []upstream.Argon2Params{{}, {Time: 1, Memory: 64}, {Time: 100, Memory: 64, Threads: 1}, {Time: 1, Memory: 4 << 20, Threads: 1}, {Time: 1, Memory: 8, Threads: 4}} {
		if err := p.Check(); !errors.Is(err, upstream.ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", p, err)
		}
	}
}
