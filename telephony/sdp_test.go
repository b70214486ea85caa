package telephony

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const offerLinphone = "v=0\r\n" +
	"o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n" +
	"s=-\r\n" +
	"c=IN IP4 198.51.100.7\r\n" +
	"t=0 0\r\n" +
	"m=audio 49170 RTP/AVP 9 8 0 101\r\n" +
	"a=rtpmap:9 G722/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=fmtp:101 0-15\r\n" +
	"a=sendonly\r\n" +
	"m=video 51372 RTP/AVP 31\r\n" +
	"c=IN IP4 203.0.113.1\r\n"

func TestParseSDP(t *testing.T) {
	s, err := ParseSDP([]byte(offerLinphone))
	if err != nil {
		t.Fatal(err)
	}
	if s.Addr != "198.51.100.7" || s.Port != 49170 || s.Direction != dirSendOnly {
		t.Errorf("parsed %+v", s)
	}
	if c, ok := s.Codec(); !ok || c.Name != "PCMA" || c.PT != 8 {
		t.Errorf("codec %+v %v, want PCMA (first G.711 in the offer's order)", c, ok)
	}
	if te := s.TelephoneEvent(); te != 101 {
		t.Errorf("telephone-event %d", te)
	}
}

// TestParseSDP_LiveAudio: the top-level fields describe the audio stream
// that carries the call, which is not a refused one (port 0) before it.
func TestParseSDP_LiveAudio(t *testing.T) {
	tests := map[string]struct {
		body      string
		port      int
		addr      string
		direction string
	}{
		"refused line first": {
			body: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 0 RTP/AVP 0\r\na=inactive\r\nm=audio 4002 RTP/AVP 8\r\nc=IN IP4 10.0.0.2\r\n",
			port: 4002, addr: "10.0.0.2", direction: dirSendRecv,
		},
		"video, then a live line": {
			body: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 5000 RTP/AVP 96\r\nm=audio 4000 RTP/AVP 0\r\na=recvonly\r\n",
			port: 4000, addr: "10.0.0.1", direction: dirRecvOnly,
		},
		"every audio line refused": {
			body: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 0 RTP/AVP 0\r\na=inactive\r\nm=audio 0 RTP/AVP 8\r\n",
			port: 0, addr: "10.0.0.1", direction: dirInactive,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if s.Port != tc.port || s.Addr != tc.addr || s.Direction != tc.direction {
				t.Errorf("top level %s:%d %s, want %s:%d %s", s.Addr, s.Port, s.Direction, tc.addr, tc.port, tc.direction)
			}
		})
	}
}

func TestParseSDP_Errors(t *testing.T) {
	tests := map[string]string{
		"empty":          "",
		"no audio":       "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 1 RTP/AVP 31\r\n",
		"no address":     "v=0\r\nm=audio 4000 RTP/AVP 0\r\n",
		"bad port":       "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n",
		"port not a num": "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n",
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			if s, err := ParseSDP([]byte(body)); err == nil {
				t.Errorf("ParseSDP(%q) = %+v, want error", body, s)
			}
		})
	}
}

func TestSDP_Answer(t *testing.T) {
	tests := map[string]struct {
		offer   string
		wantErr error
		want    []string // lines the answer must contain
	}{
		"PCMU with DTMF": {
			offer: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
			want:  []string{"m=audio 5004 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=sendrecv", "c=IN IP4 127.0.0.1"},
		},
		"hold offer answered recvonly": {
			offer: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 8\r\na=sendonly\r\n",
			want:  []string{"m=audio 5004 RTP/AVP 8", "a=recvonly"},
		},
		"only G.729": {
			offer:   "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n",
			wantErr: ErrNoCodec,
		},
		"wideband PCMU is not G.711": {
			offer:   "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n",
			wantErr: ErrNoCodec,
		},
		"refused stream": {
			offer:   "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 0 RTP/AVP 0\r\n",
			wantErr: ErrNoCodec,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.offer))
			if err != nil {
				t.Fatal(err)
			}
			ans, _, err := s.Answer("127.0.0.1", 5004, 1, 2)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for _, line := range tc.want {
				if !strings.Contains(string(ans), line+"\r\n") {
					t.Errorf("answer lacks %q:\n%s", line, ans)
				}
			}
		})
	}
}

// TestSDP_Answer_SameMLines: RFC 3264 §6 — one m-line in the answer per
// m-line of the offer, in order, the refused ones with port 0.
func TestSDP_Answer_SameMLines(t *testing.T) {
	tests := map[string]struct {
		offer string
		want  []string // the answer's m-lines, ports as answered
	}{
		"audio and video": {
			offer: offerLinphone,
			want:  []string{"m=audio 5004 RTP/AVP 8 101", "m=video 0 RTP/AVP 31"},
		},
		"video first, then audio": {
			offer: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=video 5000 RTP/AVP 96 97\r\nm=audio 4000 RTP/AVP 0\r\n",
			want:  []string{"m=video 0 RTP/AVP 96 97", "m=audio 5004 RTP/AVP 0"},
		},
		"a second audio stream and a data channel": {
			offer: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\nm=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\n",
			want:  []string{"m=audio 5004 RTP/AVP 0", "m=audio 0 RTP/AVP 8", "m=application 0 UDP/DTLS/SCTP webrtc-datachannel"},
		},
		"G.729 line refused, G.711 line taken": {
			offer: "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 18\r\nm=audio 4002 RTP/AVP 8 0\r\n",
			want:  []string{"m=audio 0 RTP/AVP 18", "m=audio 5004 RTP/AVP 8"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.offer))
			if err != nil {
				t.Fatal(err)
			}
			ans, _, err := s.Answer("127.0.0.1", 5004, 1, 2)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(string(ans), "\r\n") {
				if strings.HasPrefix(line, "m=") {
					got = append(got, line)
				}
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("m-lines %q, want %q\n%s", got, tc.want, ans)
			}
		})
	}
}

const keyA = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" // 30 bytes

func TestSDP_Answer_SRTP(t *testing.T) {
	savp := "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/SAVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" + keyA + "|2^31\r\n"
	avpWithKey := "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + keyA + "\r\n"
	plain := "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n"
	withMKI := "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 4000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + keyA + "|2^20|1:4\r\n"
	tests := map[string]struct {
		offer   string
		need    srtpNeed
		wantErr error
		want    string // the answered m-line
		srtp    bool
	}{
		"SAVP required":            {offer: savp, need: srtpMust, want: "m=audio 5004 RTP/SAVP 0 101", srtp: true},
		"SAVP taken when offered":  {offer: savp, need: srtpIfOffered, want: "m=audio 5004 RTP/SAVP 0 101", srtp: true},
		"SAVP refused when off":    {offer: savp, need: srtpNever, wantErr: ErrMediaEncryption},
		"best-effort SRTP on AVP":  {offer: avpWithKey, need: srtpIfOffered, want: "m=audio 5004 RTP/AVP 0", srtp: true},
		"best-effort offer, off":   {offer: avpWithKey, need: srtpNever, want: "m=audio 5004 RTP/AVP 0"},
		"plain refused when must":  {offer: plain, need: srtpMust, wantErr: ErrMediaEncryption},
		"MKI keys are not usable":  {offer: withMKI, need: srtpMust, wantErr: ErrMediaEncryption},
		"plain taken when offered": {offer: plain, need: srtpIfOffered, want: "m=audio 5004 RTP/AVP 0"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSDP([]byte(tc.offer))
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.answer(answerSpec{ip: "127.0.0.1", port: 5004, sessID: 1, version: 1, srtp: tc.need})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if !strings.Contains(string(a.body), tc.want+"\r\n") {
				t.Errorf("answer lacks %q:\n%s", tc.want, a.body)
			}
			if got := a.ours != nil; got != tc.srtp {
				t.Fatalf("srtp agreed %v, want %v", got, tc.srtp)
			}
			if !tc.srtp {
				if strings.Contains(string(a.body), "a=crypto") {
					t.Errorf("a key in a plain answer:\n%s", a.body)
				}
				return
			}
			back, err := ParseSDP(a.body)
			if err != nil || len(back.Streams[0].Crypto) != 1 {
				t.Fatalf("answer's crypto does not parse: %v\n%s", err, a.body)
			}
			ours := back.Streams[0].Crypto[0]
			if ours.Tag != a.theirs.Tag || ours.Suite != a.theirs.Suite || string(ours.Key) == string(a.theirs.Key) {
				t.Errorf("answered crypto %d %s: want their tag and suite with our own key", ours.Tag, ours.Suite)
			}
		})
	}
}

func FuzzSDP(f *testing.F) {
	f.Add([]byte(offerLinphone))
	f.Add([]byte("v=0\r\nc=IN IP6 ::1\r\nm=audio 1/2 RTP/AVP 0 8\r\na=inactive\r\n"))
	f.Add([]byte("m=audio 1 RTP/AVP 0\nc=IN IP4 x\na=rtpmap:0\na=rtpmap:x y/z\n"))
	// CI's fuzzing found this one: a refused audio line before the live one.
	f.Add([]byte("c=IN IP4 x\nm=audio 0 RTP/AVP 0\nm=audio 1 RTP/AVP 0\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseSDP(body)
		if err != nil {
			return
		}
		if s.Port < 0 || s.Port > 65535 || s.Addr == "" {
			t.Fatalf("parsed impossible %+v", s)
		}
		ans, codec, err := s.Answer("127.0.0.1", 5004, 1, 1)
		if err != nil {
			if !errors.Is(err, ErrNoCodec) && !errors.Is(err, ErrMediaEncryption) {
				t.Fatalf("answer error %v", err)
			}
			return
		}
		if codec.PT != ptPCMU && codec.PT != ptPCMA && codec.Name != "PCMU" && codec.Name != "PCMA" {
			t.Fatalf("answered with %+v", codec)
		}
		// Our own answer must parse back to the same codec on our port.
		back, err := ParseSDP(ans)
		if err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, ans)
		}
		if c, ok := back.Codec(); !ok || c.PT != codec.PT || back.Port != 5004 {
			t.Fatalf("answer round trip: %+v %+v", back, c)
		}
		if len(back.Streams) != len(s.Streams) {
			t.Fatalf("answer has %d m-lines for an offer of %d:\n%s", len(back.Streams), len(s.Streams), ans)
		}
	})
}

func ExampleSDP_Answer() {
	offer, err := ParseSDP([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n" +
		"m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, codec, err := offer.Answer("192.0.2.10", 5004, 42, 1)
	fmt.Println(codec.Name, offer.TelephoneEvent(), err)
	// Output: PCMA 101 <nil>
}
