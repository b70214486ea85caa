package telephony

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// G.711 and RFC 4733 payload types this phone speaks.
const (
	ptPCMU           = 0
	ptPCMA           = 8
	ptTelephoneEvent = 101
)

// Media directions (RFC 3264).
const (
	dirSendRecv = "sendrecv"
	dirSendOnly = "sendonly"
	dirRecvOnly = "recvonly"
	dirInactive = "inactive"
)

// ErrNoCodec is returned by SDP.Answer when the offer has no G.711 codec.
var ErrNoCodec = errors.New("sdp: no common codec (PCMU/PCMA)")

// Format is one RTP payload format of an SDP media line.
type Format struct {
	PT   int
	Name string // upper case, e.g. "PCMU", "TELEPHONE-EVENT"
	Rate int
}

// Stream is one media line (m=) of a session description.
type Stream struct {
	// Type is the media type: audio, video, application…
	Type string
	// Port is the RTP port; 0 means the stream is refused.
	Port int
	// Proto is the transport: RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF…
	Proto string
	// Fmts is the format list as offered (payload types for RTP).
	Fmts []string
	// Addr is the connection address (media level, else session level).
	Addr string
	// Formats are the RTP payload formats in order of preference.
	Formats []Format
	// Direction is sendrecv, sendonly, recvonly or inactive.
	Direction string
	// Crypto are the SDES keys offered (a=crypto) that this phone can use.
	Crypto []Crypto
	// RTCPPort is the a=rtcp port, 0 when RTCP is on Port+1.
	RTCPPort int
}

// isRTP says whether the stream is RTP over UDP (AVP or SAVP).
func (st *Stream) isRTP() bool { return strings.HasPrefix(st.Proto, "RTP/") }

// live says whether the stream is RTP audio that is not refused.
func (st *Stream) live() bool { return st.Type == "audio" && st.isRTP() && st.Port != 0 }

// secure says whether the stream asks for SRTP.
func (st *Stream) secure() bool { return strings.Contains(st.Proto, "SAVP") }

// SDP is a session description, as much of it as a G.711 phone needs: every
// media line (for an answer with as many), and in the top-level fields the
// first live RTP audio stream (port not 0), or the first refused one when
// none is live.
type SDP struct {
	// Addr is that audio stream's connection address.
	Addr string
	// Port is that audio stream's port; 0 means every audio stream is refused.
	Port int
	// Formats are its payload formats in order of preference.
	Formats []Format
	// Direction is its direction: sendrecv, sendonly, recvonly or inactive.
	Direction string
	// Streams are all media lines, in order.
	Streams []Stream
}

// ParseSDP reads a session description. It fails when there is no RTP
// audio stream, or that stream has no address or a bad port.
func ParseSDP(body []byte) (*SDP, error) {
	var (
		s        SDP
		sessAddr string
		sessDir  string
		rtpmaps  []map[int]Format
		orders   [][]int
		audio    = -1
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		key, val := line[0], line[2:]
		cur := len(s.Streams) - 1
		switch key {
		case 'm':
			f := strings.Fields(val)
			st := Stream{}
			if len(f) > 0 {
				st.Type = f[0]
			}
			if len(f) > 2 {
				st.Proto = f[2]
				st.Fmts = f[3:]
			}
			port := -1
			if len(f) > 1 {
				p, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
				if err == nil && p >= 0 && p <= 65535 {
					port = p
				}
			}
			if st.Type == "audio" && st.isRTP() && audio < 0 {
				if port < 0 {
					return nil, fmt.Errorf("sdp: bad audio port %q", f[1])
				}
				audio = len(s.Streams)
			}
			st.Port = max(port, 0)
			s.Streams = append(s.Streams, st)
			rtpmaps = append(rtpmaps, map[int]Format{})
			var order []int
			if st.isRTP() {
				for _, p := range st.Fmts {
					if pt, err := strconv.Atoi(p); err == nil && pt >= 0 && pt <= 127 {
						order = append(order, pt)
					}
				}
			}
			orders = append(orders, order)
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" {
				continue
			}
			addr := strings.SplitN(f[2], "/", 2)[0]
			if cur < 0 {
				sessAddr = addr
			} else {
				s.Streams[cur].Addr = addr
			}
		case 'a':
			name, arg, _ := strings.Cut(val, ":")
			switch name {
			case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
				if cur < 0 {
					sessDir = name
				} else {
					s.Streams[cur].Direction = name
				}
			case "rtpmap":
				if cur < 0 {
					continue
				}
				ptStr, enc, _ := strings.Cut(arg, " ")
				pt, err := strconv.Atoi(ptStr)
				if err != nil {
					continue
				}
				encName, rate, _ := strings.Cut(strings.TrimSpace(enc), "/")
				r, _ := strconv.Atoi(strings.SplitN(rate, "/", 2)[0])
				rtpmaps[cur][pt] = Format{PT: pt, Name: strings.ToUpper(encName), Rate: r}
			case "crypto":
				if cur < 0 {
					continue
				}
				if c, ok := parseCrypto(arg); ok {
					s.Streams[cur].Crypto = append(s.Streams[cur].Crypto, c)
				}
			case "rtcp":
				if cur < 0 {
					continue
				}
				if p, err := strconv.Atoi(strings.Fields(arg + " ")[0]); err == nil && p > 0 && p <= 65535 {
					s.Streams[cur].RTCPPort = p
				}
			}
		}
	}
	if audio < 0 {
		return nil, errors.New("sdp: no audio stream")
	}
	for i := range s.Streams {
		st := &s.Streams[i]
		if st.Addr == "" {
			st.Addr = sessAddr
		}
		if st.Direction == "" {
			st.Direction = sessDir
		}
		if st.Direction == "" {
			st.Direction = dirSendRecv
		}
		for _, pt := range orders[i] {
			f, ok := rtpmaps[i][pt]
			if !ok {
				// Static payload types need no rtpmap (RFC 3551).
				switch pt {
				case ptPCMU:
					f = Format{PT: pt, Name: "PCMU", Rate: 8000}
				case ptPCMA:
					f = Format{PT: pt, Name: "PCMA", Rate: 8000}
				default:
					f = Format{PT: pt}
				}
			}
			st.Formats = append(st.Formats, f)
		}
	}
	a := s.Streams[audio]
	if live := s.liveAudio(); live != nil {
		a = *live
	}
	if a.Addr == "" {
		return nil, errors.New("sdp: no connection address")
	}
	s.Addr, s.Port, s.Formats, s.Direction = a.Addr, a.Port, a.Formats, a.Direction
	return &s, nil
}

// liveAudio is the first RTP audio stream that is not refused, or nil.
func (s *SDP) liveAudio() *Stream {
	for i := range s.Streams {
		if st := &s.Streams[i]; st.live() {
			return st
		}
	}
	return nil
}

// Codec is the first G.711 format of the offer, in the offerer's order.
func (s *SDP) Codec() (Format, bool) { return g711Of(s.Formats) }

// TelephoneEvent is the payload type the peer uses for RFC 4733 events, or
// -1 if it offered none.
func (s *SDP) TelephoneEvent() int { return telephoneEventOf(s.Formats) }

func g711Of(formats []Format) (Format, bool) {
	for _, f := range formats {
		if (f.Name == "PCMU" || f.Name == "PCMA") && (f.Rate == 8000 || f.Rate == 0) {
			return f, true
		}
	}
	return Format{}, false
}

func telephoneEventOf(formats []Format) int {
	for _, f := range formats {
		if f.Name == "TELEPHONE-EVENT" && f.Rate == 8000 {
			return f.PT
		}
	}
	return -1
}

// answerDirection mirrors an offered direction (RFC 3264 §6.1).
func answerDirection(offered string) string {
	switch offered {
	case dirSendOnly:
		return dirRecvOnly
	case dirRecvOnly:
		return dirSendOnly
	case dirInactive:
		return dirInactive
	}
	return dirSendRecv
}

// Answer builds a plain-RTP answer to this offer from ip:port: one G.711
// codec and, if offered, telephone-event on the first usable audio
// stream, and every other media line refused with port 0, so the answer
// has as many m-lines as the offer (RFC 3264 §6). sessVersion is the o=
// version; it must grow on every new description of the same session.
func (s *SDP) Answer(ip string, port int, sessID, sessVersion uint64) ([]byte, Format, error) {
	a, err := s.answer(answerSpec{ip: ip, port: port, sessID: sessID, version: sessVersion, srtp: srtpNever})
	return a.body, a.codec, err
}

// srtpNeed is what an answer does about SRTP.
type srtpNeed int

const (
	srtpNever     srtpNeed = iota // plain RTP only; refuse RTP/SAVP
	srtpIfOffered                 // SRTP when the offer has usable keys
	srtpMust                      // SRTP only
)

// answerSpec is what an answer is built from.
type answerSpec struct {
	ip      string
	port    int
	sessID  uint64
	version uint64
	srtp    srtpNeed
	// key is our key from earlier in the call: kept when the offer's suite
	// is the same, so a re-INVITE does not re-key the stream.
	key *Crypto
}

// answered is an answer and what it agreed.
type answered struct {
	body   []byte
	stream Stream // the offer's stream taken
	codec  Format
	dtmfPT int
	theirs *Crypto // their key when SRTP was agreed
	ours   *Crypto
}

// answer picks the first audio stream that has a G.711 codec and meets the
// SRTP need, and answers it; the rest get port 0.
func (s *SDP) answer(a answerSpec) (answered, error) {
	var (
		out      answered
		chosen   = -1
		errFound = ErrNoCodec
	)
	for i := range s.Streams {
		st := &s.Streams[i]
		if !st.live() {
			continue
		}
		codec, ok := g711Of(st.Formats)
		if !ok {
			continue
		}
		useSRTP := false
		switch {
		case a.srtp == srtpNever && st.secure():
			errFound = ErrMediaEncryption
			continue
		case a.srtp == srtpMust && len(st.Crypto) == 0:
			errFound = ErrMediaEncryption
			continue
		case st.secure() && len(st.Crypto) == 0:
			errFound = ErrMediaEncryption // SAVP without a key we can use
			continue
		case a.srtp != srtpNever && len(st.Crypto) > 0:
			useSRTP = true
		}
		if useSRTP {
			theirs := st.Crypto[0]
			ours := Crypto{}
			if a.key != nil && a.key.Suite == theirs.Suite {
				ours = *a.key
				ours.Tag = theirs.Tag
			} else {
				var err error
				if ours, err = newCrypto(theirs.Tag, theirs.Suite); err != nil {
					return out, err
				}
			}
			out.theirs, out.ours = &theirs, &ours
		}
		chosen, out.codec, out.dtmfPT, out.stream = i, codec, telephoneEventOf(st.Formats), *st
		break
	}
	if chosen < 0 {
		return out, errFound
	}
	var b strings.Builder
	writeSessionHeader(&b, a.ip, a.sessID, a.version)
	for i, st := range s.Streams {
		if i != chosen {
			fmts := st.Fmts
			if len(fmts) == 0 {
				fmts = []string{"0"}
			}
			proto := st.Proto
			if proto == "" {
				proto = "RTP/AVP"
			}
			typ := st.Type
			if typ == "" {
				typ = "audio"
			}
			fmt.Fprintf(&b, "m=%s 0 %s %s\r\n", typ, proto, strings.Join(fmts, " "))
			continue
		}
		formats := []Format{{PT: out.codec.PT, Name: out.codec.Name, Rate: 8000}}
		if out.dtmfPT >= 0 {
			formats = append(formats, Format{PT: out.dtmfPT, Name: "telephone-event", Rate: 8000})
		}
		proto := st.Proto
		if out.ours == nil {
			proto = "RTP/AVP"
		}
		writeMedia(&b, a.port, proto, formats, out.ours, answerDirection(st.Direction))
	}
	out.body = []byte(b.String())
	return out, nil
}

// offerSDPWith is our offer, RTP/SAVP with key when key is set.
func offerSDPWith(ip string, port int, sessID, sessVersion uint64, dir string, key *Crypto) []byte {
	return buildSDPWith(ip, port, sessID, sessVersion, []Format{
		{PT: ptPCMU, Name: "PCMU", Rate: 8000},
		{PT: ptPCMA, Name: "PCMA", Rate: 8000},
		{PT: ptTelephoneEvent, Name: "telephone-event", Rate: 8000},
	}, dir, key)
}

func buildSDPWith(ip string, port int, sessID, sessVersion uint64, formats []Format, dir string, key *Crypto) []byte {
	var b strings.Builder
	writeSessionHeader(&b, ip, sessID, sessVersion)
	proto := "RTP/AVP"
	if key != nil {
		proto = "RTP/SAVP"
	}
	writeMedia(&b, port, proto, formats, key, dir)
	return []byte(b.String())
}

func writeSessionHeader(b *strings.Builder, ip string, sessID, sessVersion uint64) {
	ipver := "IP4"
	if strings.Contains(ip, ":") {
		ipver = "IP6"
	}
	fmt.Fprintf(b, "v=0\r\no=agentdesk %d %d IN %s %s\r\ns=agentdesk\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessID, sessVersion, ipver, ip, ipver, ip)
}

func writeMedia(b *strings.Builder, port int, proto string, formats []Format, key *Crypto, dir string) {
	fmt.Fprintf(b, "m=audio %d %s", port, proto)
	for _, f := range formats {
		fmt.Fprintf(b, " %d", f.PT)
	}
	b.WriteString("\r\n")
	for _, f := range formats {
		fmt.Fprintf(b, "a=rtpmap:%d %s/%d\r\n", f.PT, f.Name, f.Rate)
		if strings.EqualFold(f.Name, "telephone-event") {
			fmt.Fprintf(b, "a=fmtp:%d 0-16\r\n", f.PT)
		}
	}
	b.WriteString("a=ptime:20\r\n")
	if key != nil {
		fmt.Fprintf(b, "a=crypto:%s\r\n", key.String())
	}
	fmt.Fprintf(b, "a=%s\r\n", dir)
}
