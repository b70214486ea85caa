package telephony

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	rtpFrame      = 20 * time.Millisecond
	rtpSamples    = 160 // 20 ms at 8 kHz
	rtpHeaderSize = 12
)

// dtmfEvents maps RFC 4733 event codes to keys.
const dtmfEvents = "0123456789*#ABCD"

// rtpSession keeps the media path of one call alive: it sends G.711
// silence every 20 ms (so NATs and the PBX's media timeouts see traffic),
// reads what the peer sends, and sends and receives RFC 4733 DTMF events.
// It plays nothing: audio devices are a later issue.
type rtpSession struct {
	conn   *net.UDPConn
	remote atomic.Pointer[net.UDPAddr]

	mu     sync.Mutex
	pt     uint8
	dtmfPT int
	seq    uint16
	ts     uint32
	ssrc   uint32

	received atomic.Int64
	sent     atomic.Int64
	onDTMF   func(digit string)

	done chan struct{}
	wg   sync.WaitGroup
}

// newRTPSession binds a UDP port on ip for the call's media.
func newRTPSession(ip string) (*rtpSession, error) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		return nil, err
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &rtpSession{
		conn:   conn,
		ssrc:   binary.BigEndian.Uint32(b[:4]),
		seq:    binary.BigEndian.Uint16(b[4:6]),
		dtmfPT: -1,
		done:   make(chan struct{}),
	}, nil
}

// Port is the local RTP port.
func (r *rtpSession) Port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

// setRemote points the stream at the peer's address from its SDP.
func (r *rtpSession) setRemote(s *SDP, codec Format) {
	if addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(s.Addr, strconv.Itoa(s.Port))); err == nil {
		r.remote.Store(addr)
	}
	r.mu.Lock()
	r.pt = uint8(codec.PT)
	r.dtmfPT = s.TelephoneEvent()
	r.mu.Unlock()
}

// supportsRFC4733 says whether the peer accepts telephone-event packets.
func (r *rtpSession) supportsRFC4733() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dtmfPT >= 0
}

// start runs the sender and the reader until close.
func (r *rtpSession) start() {
	r.wg.Add(2)
	go r.readLoop()
	go r.sendLoop()
}

func (r *rtpSession) sendLoop() {
	defer r.wg.Done()
	t := time.NewTicker(rtpFrame)
	defer t.Stop()
	payload := make([]byte, rtpSamples)
	for {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		r.mu.Lock()
		silence := byte(0xFF) // PCMU silence
		if r.pt == ptPCMA {
			silence = 0xD5
		}
		for i := range payload {
			payload[i] = silence
		}
		pkt := r.packetLocked(r.pt, false, payload)
		r.ts += rtpSamples
		r.mu.Unlock()
		r.write(pkt)
	}
}

// packetLocked builds one RTP packet; r.mu must be held.
func (r *rtpSession) packetLocked(pt uint8, marker bool, payload []byte) []byte {
	pkt := make([]byte, rtpHeaderSize+len(payload))
	pkt[0] = 0x80
	pkt[1] = pt & 0x7F
	if marker {
		pkt[1] |= 0x80
	}
	r.seq++
	binary.BigEndian.PutUint16(pkt[2:], r.seq)
	binary.BigEndian.PutUint32(pkt[4:], r.ts)
	binary.BigEndian.PutUint32(pkt[8:], r.ssrc)
	copy(pkt[rtpHeaderSize:], payload)
	return pkt
}

func (r *rtpSession) write(pkt []byte) {
	addr := r.remote.Load()
	if addr == nil {
		return
	}
	if _, err := r.conn.WriteToUDP(pkt, addr); err == nil {
		r.sent.Add(1)
	}
}

func (r *rtpSession) readLoop() {
	defer r.wg.Done()
	buf := make([]byte, 1500)
	var lastEventTS uint32
	haveEvent := false
	for {
		n, _, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n < rtpHeaderSize || buf[0]>>6 != 2 {
			continue
		}
		r.received.Add(1)
		pt := int(buf[1] & 0x7F)
		r.mu.Lock()
		dtmfPT := r.dtmfPT
		r.mu.Unlock()
		if pt != dtmfPT || n < rtpHeaderSize+4 {
			continue
		}
		// One key press is many packets with the same timestamp: report it once.
		ts := binary.BigEndian.Uint32(buf[4:8])
		if haveEvent && ts == lastEventTS {
			continue
		}
		haveEvent, lastEventTS = true, ts
		if ev := int(buf[rtpHeaderSize]); ev < len(dtmfEvents) && r.onDTMF != nil {
			r.onDTMF(string(dtmfEvents[ev]))
		}
	}
}

// sendDTMF sends one key as RFC 4733 events: three updates and three end
// packets, all with one timestamp, interleaved with the silence stream.
func (r *rtpSession) sendDTMF(digit string) error {
	ev := -1
	for i := range len(dtmfEvents) {
		if digit == dtmfEvents[i:i+1] {
			ev = i
		}
	}
	if ev < 0 {
		return ErrBadDigit
	}
	r.mu.Lock()
	pt := uint8(r.dtmfPT)
	ts := r.ts
	r.mu.Unlock()
	for i := range 6 {
		end := i >= 3
		dur := uint16((i + 1) * rtpSamples)
		if end {
			dur = 4 * rtpSamples
		}
		payload := []byte{byte(ev), 10, 0, 0}
		if end {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], dur)
		r.mu.Lock()
		saved := r.ts
		r.ts = ts
		pkt := r.packetLocked(pt, i == 0, payload)
		r.ts = saved
		r.mu.Unlock()
		r.write(pkt)
		if i < 5 {
			select {
			case <-r.done:
				return nil
			case <-time.After(rtpFrame):
			}
		}
	}
	return nil
}

// close stops the stream and frees the port.
func (r *rtpSession) close() {
	select {
	case <-r.done:
		return
	default:
	}
	close(r.done)
	_ = r.conn.Close()
	r.wg.Wait()
}
