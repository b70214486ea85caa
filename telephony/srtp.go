package telephony

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pion/srtp/v3"
)

// SRTPPolicy says when the media of a call is encrypted (SRTP keyed by
// SDES, RFC 4568: the keys travel in the SDP, so they are only as secret
// as the signalling).
type SRTPPolicy int

// SRTP policies.
const (
	// SRTPAuto requires SRTP when the signalling is TLS and offers plain
	// RTP otherwise (accepting an encrypted offer too).
	SRTPAuto SRTPPolicy = iota
	// SRTPRequired always offers RTP/SAVP and refuses calls without SRTP.
	SRTPRequired
	// SRTPOff never encrypts and refuses offers that require it.
	SRTPOff
)

// String is "auto", "required" or "off".
func (p SRTPPolicy) String() string {
	switch p {
	case SRTPRequired:
		return "required"
	case SRTPOff:
		return "off"
	}
	return "auto"
}

// ErrMediaEncryption is returned when an offer's media encryption does not
// meet the policy (plain RTP where SRTP is required, or the reverse), or
// offers only crypto suites this phone does not speak.
var ErrMediaEncryption = errors.New("sdp: media encryption does not meet the policy")

// suite is one SRTP crypto suite of RFC 4568 and its pion profile.
type suite struct {
	name    string
	profile srtp.ProtectionProfile
	keyLen  int // master key + salt
}

// suites this phone speaks, in order of preference for its own offers.
var suites = []suite{
	{"AES_CM_128_HMAC_SHA1_80", srtp.ProtectionProfileAes128CmHmacSha1_80, 30},
	{"AES_CM_128_HMAC_SHA1_32", srtp.ProtectionProfileAes128CmHmacSha1_32, 30},
	{"AEAD_AES_128_GCM", srtp.ProtectionProfileAeadAes128Gcm, 28},
	{"AES_256_CM_HMAC_SHA1_80", srtp.ProtectionProfileAes256CmHmacSha1_80, 46},
}

// Crypto is one a=crypto attribute (RFC 4568): tag, suite and the inline
// key (master key and salt).
type Crypto struct {
	Tag   int
	Suite string
	Key   []byte
}

// String is the attribute value, "1 AES_CM_128_HMAC_SHA1_80 inline:…".
func (c Crypto) String() string {
	return fmt.Sprintf("%d %s inline:%s", c.Tag, c.Suite, base64.StdEncoding.EncodeToString(c.Key))
}

// parseCrypto reads an a=crypto value. It accepts one inline key without
// MKI (a lifetime is ignored) and no session parameters: an offer that
// wants unencrypted or unauthenticated SRTP is not one we take.
func parseCrypto(v string) (Crypto, bool) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return Crypto{}, false
	}
	tag, err := strconv.Atoi(f[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return Crypto{}, false
	}
	s, ok := suiteNamed(f[1])
	if !ok {
		return Crypto{}, false
	}
	key, ok := strings.CutPrefix(f[2], "inline:")
	if !ok || strings.Contains(key, ";") {
		return Crypto{}, false
	}
	parts := strings.Split(key, "|")
	for _, p := range parts[1:] {
		if strings.Contains(p, ":") {
			return Crypto{}, false // MKI
		}
	}
	raw, err := base64.StdEncoding.DecodeString(parts[0])
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(parts[0])
	}
	if err != nil || len(raw) != s.keyLen {
		return Crypto{}, false
	}
	return Crypto{Tag: tag, Suite: s.name, Key: raw}, true
}

func suiteNamed(name string) (suite, bool) {
	for _, s := range suites {
		if s.name == name {
			return s, true
		}
	}
	return suites[0], false
}

// newCrypto makes a fresh random key for suite with tag.
func newCrypto(tag int, suite string) (Crypto, error) {
	s, ok := suiteNamed(suite)
	if !ok {
		return Crypto{}, fmt.Errorf("srtp: unknown suite %s", suite)
	}
	key := make([]byte, s.keyLen)
	if _, err := rand.Read(key); err != nil {
		return Crypto{}, fmt.Errorf("srtp: key: %w", err)
	}
	return Crypto{Tag: tag, Suite: s.name, Key: key}, nil
}

// srtpContexts are the send and receive contexts of one call.
type srtpContexts struct {
	tx, rx *srtp.Context
	theirs Crypto // the key rx was made from
}

// newSRTPContexts keys the send side with ours and the receive side with
// theirs (the same suite on both, as RFC 4568 negotiates it).
func newSRTPContexts(ours, theirs Crypto) (*srtpContexts, error) {
	s, ok := suiteNamed(ours.Suite)
	if !ok || ours.Suite != theirs.Suite {
		return nil, fmt.Errorf("%w: suites %s and %s", ErrMediaEncryption, ours.Suite, theirs.Suite)
	}
	ctx := func(c Crypto) (*srtp.Context, error) {
		key, salt := split(c.Key, s.profile)
		return srtp.CreateContext(key, salt, s.profile, srtp.SRTPReplayProtection(256), srtp.SRTCPReplayProtection(256))
	}
	tx, err := ctx(ours)
	if err != nil {
		return nil, fmt.Errorf("srtp send context: %w", err)
	}
	rx, err := ctx(theirs)
	if err != nil {
		return nil, fmt.Errorf("srtp receive context: %w", err)
	}
	return &srtpContexts{tx: tx, rx: rx, theirs: theirs}, nil
}

func split(key []byte, p srtp.ProtectionProfile) ([]byte, []byte) {
	n, _ := p.KeyLen()
	return key[:n], key[n:]
}
