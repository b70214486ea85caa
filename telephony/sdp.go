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

// SDP is the audio part of a session description, as much of it as a
// G.711 phone needs.
type SDP struct {
	// Addr is the connection address (media level, else session level).
	Addr string
	// Port is the audio RTP port; 0 means the stream is refused.
	Port int
	// Formats are the offered payload formats in order of preference.
	Formats []Format
	// Direction is sendrecv, sendonly, recvonly or inactive.
	Direction string
}

// ParseSDP reads the first audio stream of an SDP body.
func ParseSDP(body []byte) (*SDP, error) {
	var (
		s          SDP
		sessAddr   string
		inAudio    bool
		seenAudio  bool
		sessDir    string
		rtpmap     = map[int]Format{}
		order      []int
		mediaLines int
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		key, val := line[0], line[2:]
		switch key {
		case 'm':
			mediaLines++
			inAudio = false
			if seenAudio {
				continue
			}
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "audio" {
				continue
			}
			port, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			if err != nil || port < 0 || port > 65535 {
				return nil, fmt.Errorf("sdp: bad audio port %q", f[1])
			}
			if !strings.HasPrefix(f[2], "RTP/") {
				continue
			}
			s.Port = port
			inAudio, seenAudio = true, true
			for _, p := range f[3:] {
				pt, err := strconv.Atoi(p)
				if err != nil || pt < 0 || pt > 127 {
					continue
				}
				order = append(order, pt)
			}
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" {
				continue
			}
			addr := strings.SplitN(f[2], "/", 2)[0]
			if mediaLines == 0 {
				sessAddr = addr
			} else if inAudio {
				s.Addr = addr
			}
		case 'a':
			name, arg, _ := strings.Cut(val, ":")
			switch name {
			case dirSendRecv, dirSendOnly, dirRecvOnly, dirInactive:
				if mediaLines == 0 {
					sessDir = name
				} else if inAudio {
					s.Direction = name
				}
			case "rtpmap":
				if !inAudio {
					continue
				}
				ptStr, enc, _ := strings.Cut(arg, " ")
				pt, err := strconv.Atoi(ptStr)
				if err != nil {
					continue
				}
				encName, rate, _ := strings.Cut(strings.TrimSpace(enc), "/")
				r, _ := strconv.Atoi(strings.SplitN(rate, "/", 2)[0])
				rtpmap[pt] = Format{PT: pt, Name: strings.ToUpper(encName), Rate: r}
			}
		}
	}
	if !seenAudio {
		return nil, errors.New("sdp: no audio stream")
	}
	if s.Addr == "" {
		s.Addr = sessAddr
	}
	if s.Addr == "" {
		return nil, errors.New("sdp: no connection address")
	}
	if s.Direction == "" {
		s.Direction = sessDir
	}
	if s.Direction == "" {
		s.Direction = dirSendRecv
	}
	for _, pt := range order {
		f, ok := rtpmap[pt]
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
		s.Formats = append(s.Formats, f)
	}
	return &s, nil
}

// Codec is the first G.711 format of the offer, in the offerer's order.
func (s *SDP) Codec() (Format, bool) {
	for _, f := range s.Formats {
		if (f.Name == "PCMU" || f.Name == "PCMA") && (f.Rate == 8000 || f.Rate == 0) {
			return f, true
		}
	}
	return Format{}, false
}

// TelephoneEvent is the payload type the peer uses for RFC 4733 events, or
// -1 if it offered none.
func (s *SDP) TelephoneEvent() int {
	for _, f := range s.Formats {
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

// Answer builds the SDP answer to this offer from ip:port, choosing one
// G.711 codec and, if offered, telephone-event. sessVersion is the o=
// version; it must grow on every new description of the same session.
func (s *SDP) Answer(ip string, port int, sessID, sessVersion uint64) ([]byte, Format, error) {
	codec, ok := s.Codec()
	if !ok || s.Port == 0 {
		return nil, Format{}, ErrNoCodec
	}
	formats := []Format{{PT: codec.PT, Name: codec.Name, Rate: 8000}}
	if te := s.TelephoneEvent(); te >= 0 {
		formats = append(formats, Format{PT: te, Name: "telephone-event", Rate: 8000})
	}
	return buildSDP(ip, port, sessID, sessVersion, formats, answerDirection(s.Direction)), codec, nil
}

// offerSDP is our own offer: PCMU, PCMA and telephone-event.
func offerSDP(ip string, port int, sessID, sessVersion uint64, dir string) []byte {
	return buildSDP(ip, port, sessID, sessVersion, []Format{
		{PT: ptPCMU, Name: "PCMU", Rate: 8000},
		{PT: ptPCMA, Name: "PCMA", Rate: 8000},
		{PT: ptTelephoneEvent, Name: "telephone-event", Rate: 8000},
	}, dir)
}

func buildSDP(ip string, port int, sessID, sessVersion uint64, formats []Format, dir string) []byte {
	ipver := "IP4"
	if strings.Contains(ip, ":") {
		ipver = "IP6"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=agentdesk %d %d IN %s %s\r\ns=agentdesk\r\nc=IN %s %s\r\nt=0 0\r\n",
		sessID, sessVersion, ipver, ip, ipver, ip)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", port)
	for _, f := range formats {
		fmt.Fprintf(&b, " %d", f.PT)
	}
	b.WriteString("\r\n")
	for _, f := range formats {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", f.PT, f.Name, f.Rate)
		if strings.EqualFold(f.Name, "telephone-event") {
			fmt.Fprintf(&b, "a=fmtp:%d 0-16\r\n", f.PT)
		}
	}
	b.WriteString("a=ptime:20\r\n")
	fmt.Fprintf(&b, "a=%s\r\n", dir)
	return []byte(b.String())
}
