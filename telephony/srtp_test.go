package telephony

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

func TestParseCrypto(t *testing.T) {
	tests := map[string]struct {
		in    string
		ok    bool
		suite string
	}{
		"80":                {"1 AES_CM_128_HMAC_SHA1_80 inline:" + keyA, true, "AES_CM_128_HMAC_SHA1_80"},
		"with lifetime":     {"2 AES_CM_128_HMAC_SHA1_32 inline:" + keyA + "|2^31", true, "AES_CM_128_HMAC_SHA1_32"},
		"MKI":               {"1 AES_CM_128_HMAC_SHA1_80 inline:" + keyA + "|2^20|1:4", false, ""},
		"session parameter": {"1 AES_CM_128_HMAC_SHA1_80 inline:" + keyA + " UNENCRYPTED_SRTP", false, ""},
		"unknown suite":     {"1 F8_128_HMAC_SHA1_80 inline:" + keyA, false, ""},
		"short key":         {"1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", false, ""},
		"not base64":        {"1 AES_CM_128_HMAC_SHA1_80 inline:!!!", false, ""},
		"bad tag":           {"x AES_CM_128_HMAC_SHA1_80 inline:" + keyA, false, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, ok := parseCrypto(tc.in)
			if ok != tc.ok || (ok && c.Suite != tc.suite) {
				t.Errorf("parseCrypto(%q) = %+v, %v", tc.in, c, ok)
			}
			if ok {
				back, ok := parseCrypto(c.String())
				if !ok || !bytes.Equal(back.Key, c.Key) || back.Tag != c.Tag {
					t.Errorf("round trip of %q: %+v", c.String(), back)
				}
			}
		})
	}
}

func TestSRTPContexts_RoundTripAndTamper(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			a, _ := newCrypto(1, s.name)
			b, _ := newCrypto(1, s.name)
			alice, err := newSRTPContexts(a, b)
			if err != nil {
				t.Fatal(err)
			}
			bob, err := newSRTPContexts(b, a)
			if err != nil {
				t.Fatal(err)
			}
			payload := bytes.Repeat([]byte{0x55}, 160)
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: 7, Timestamp: 160, SSRC: 42}, Payload: payload}
			raw, _ := pkt.Marshal()
			enc, err := alice.tx.EncryptRTP(nil, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(enc, payload[:32]) {
				t.Fatal("the payload is in the clear")
			}
			dec, err := bob.rx.DecryptRTP(nil, enc, nil)
			if err != nil || !bytes.Equal(dec[12:], payload) {
				t.Fatalf("decrypt: %v", err)
			}
			enc[20] ^= 1
			if _, err := bob.rx.DecryptRTP(nil, enc, nil); err == nil {
				t.Error("a tampered packet passed authentication")
			}
		})
	}
	a, _ := newCrypto(1, suites[0].name)
	b, _ := newCrypto(1, suites[1].name)
	if _, err := newSRTPContexts(a, b); err == nil {
		t.Error("contexts of two suites")
	}
}
