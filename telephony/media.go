package telephony

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

const (
	rtpFrame      = 20 * time.Millisecond
	rtpSamples    = 160 // 20 ms at 8 kHz
	rtcpInterval  = 5 * time.Second
	dtmfPackets   = 5 // 100 ms of tone before the end packets
	dtmfEnds      = 3 // the end packet is sent three times (RFC 4733 §2.5.1.4)
	dtmfTimeout   = 2 * time.Second
	maxRTPPacket  = 1500
	dtmfEventVol  = 10 // −10 dBm0
	portAttempts  = 20
	dtmfEventSize = 4
)

// dtmfEvents maps RFC 4733 event codes to keys.
const dtmfEvents = "0123456789*#ABCD"

// dtmfJob is one key waiting to be sent, or being sent.
type dtmfJob struct {
	event byte
	ts    uint32 // the event's timestamp: the stream's when it started
	sent  int    // packets sent so far
	done  chan struct{}
}

// rtpStream is the media of one call on pion/rtp: it sends what the call
// clock hands it every 20 ms (G.711, or RFC 4733 events while a key is
// pressed), receives into a jitter buffer, reports keys the peer sends,
// and keeps RTCP going on the next port. With SRTP contexts set, RTP and
// RTCP are encrypted and authenticated (pion/srtp).
type rtpStream struct {
	log  *slog.Logger
	conn *net.UDPConn // RTP, even port
	ctrl *net.UDPConn // RTCP, the next port

	remote     atomic.Pointer[net.UDPAddr]
	remoteCtrl atomic.Pointer[net.UDPAddr]
	latched    atomic.Pointer[net.UDPAddr] // where the peer's media comes from, when not its SDP address
	jb         *jitterBuffer
	onDTMF     func(digit string)
	cname      string

	mu       sync.Mutex
	send     codec
	haveSend bool
	sendOK   bool // our direction lets us send
	recv     map[uint8]codec
	dtmfPT   int // telephone-event payload type, -1 if the peer has none
	seq      uint16
	ts       uint32
	ssrc     uint32
	keys     *srtpContexts
	queue    []*dtmfJob
	closed   bool
	started  bool
	rxStats  receiveStats
	txStats  struct{ packets, octets uint32 }
	lastSR   uint32    // middle 32 bits of the peer's last SR NTP time
	lastSRAt time.Time // when it arrived
	peerLoss uint8     // fraction lost the peer reported for us (/256)
	peerJit  uint32    // jitter the peer reported for us (samples)

	received  atomic.Int64
	sent      atomic.Int64
	authFails atomic.Int64

	done     chan struct{}
	ctrlDone chan struct{} // controlLoop has sent its BYE
	wg       sync.WaitGroup

	// While the call clock ticks the stream, the tick takes what waits on
	// the socket itself and readLoop stays away from it: a goroutine woken
	// for every packet costs more CPU than the packet (media_clock_linux.go).
	clocked   atomic.Bool
	lastTick  atomic.Int64  // UnixNano of the clock's last receiveFrame
	byClock   atomic.Int64  // datagrams the clock took off the socket
	unclocked chan struct{} // wakes readLoop when the clock lets go
	fdOnce    sync.Once
	fd        int // the RTP socket's descriptor (Unix), -1 if unknown
	fdMu      sync.RWMutex
	fdGone    bool   // the socket is closing: its descriptor is not ours
	fd6       bool   // the socket is IPv6 (IPv4 peers as mapped addresses)
	tickBuf   []byte // the clock's buffers, under voice.tickMu
	tickDec   []byte
	tickPCM   []int16
}

// receiveStats are the RFC 3550 §A.3 and §A.8 receiver counters.
type receiveStats struct {
	ssrc                         uint32
	init                         bool
	baseSeq, maxSeq              uint16
	cycles                       uint32
	received                     uint32
	expectedPrior, receivedPrior uint32
	jitter                       float64
	lastTransit                  int64
	haveTransit                  bool
	lastEventTS                  uint32
	haveEvent                    bool
}

// newRTPStream binds an even RTP port and the next one for RTCP on ip.
func newRTPStream(ip string, log *slog.Logger) (*rtpStream, error) {
	addr := net.ParseIP(ip)
	var lastErr error
	for range portAttempts {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: addr})
		if err != nil {
			return nil, err
		}
		port := conn.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port == 65535 {
			_ = conn.Close()
			continue
		}
		ctrl, err := net.ListenUDP("udp", &net.UDPAddr{IP: addr, Port: port + 1})
		if err != nil {
			_ = conn.Close()
			lastErr = err
			continue
		}
		var b [10]byte
		_, _ = rand.Read(b[:])
		return &rtpStream{
			log:       log,
			conn:      conn,
			ctrl:      ctrl,
			jb:        newJitterBuffer(),
			cname:     "agentdesk-" + hex.EncodeToString(b[6:]),
			ssrc:      binary.BigEndian.Uint32(b[:4]),
			seq:       binary.BigEndian.Uint16(b[4:6]),
			ts:        binary.BigEndian.Uint32(b[6:10]),
			dtmfPT:    -1,
			recv:      map[uint8]codec{},
			done:      make(chan struct{}),
			ctrlDone:  make(chan struct{}),
			unclocked: make(chan struct{}, 1),
		}, nil
	}
	if lastErr == nil {
		lastErr = errors.New("no even port")
	}
	return nil, lastErr
}

// Port is the local RTP port.
func (r *rtpStream) Port() int { return r.conn.LocalAddr().(*net.UDPAddr).Port }

// configure points the stream at the peer's media line: where to send,
// which codec, whether keys go as RFC 4733, and whether we may send at all
// (our own direction). keys, when set, switch on SRTP.
func (r *rtpStream) configure(st Stream, codecFmt Format, dtmfPT int, ourDir string, keys *srtpContexts) {
	if addr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(st.Addr, strconv.Itoa(st.Port))); err == nil && st.Port > 0 {
		r.remote.Store(addr)
		ctrl := *addr
		ctrl.Port = st.Port + 1
		if st.RTCPPort > 0 {
			ctrl.Port = st.RTCPPort
		}
		r.remoteCtrl.Store(&ctrl)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := codecFor(codecFmt); ok {
		r.send, r.haveSend = c, true
	}
	// The peer may send any G.711 format of its line, under its numbers.
	r.recv = map[uint8]codec{ptPCMU: pcmu, ptPCMA: pcma}
	for _, f := range st.Formats {
		if c, ok := codecFor(f); ok {
			r.recv[uint8(f.PT)] = c
		}
	}
	r.dtmfPT = dtmfPT
	r.sendOK = ourDir == dirSendRecv || ourDir == dirSendOnly
	if keys != nil {
		r.keys = keys
	}
}

// rekeyReceive switches the receive side to the peer's new key (a
// re-INVITE with a fresh a=crypto); the send side keeps its key and its
// rollover state.
func (r *rtpStream) rekeyReceive(ours, theirs Crypto) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil || r.keys.theirs.Suite == theirs.Suite && string(r.keys.theirs.Key) == string(theirs.Key) {
		return nil
	}
	fresh, err := newSRTPContexts(ours, theirs)
	if err != nil {
		return err
	}
	r.keys = &srtpContexts{tx: r.keys.tx, rx: fresh.rx, theirs: theirs}
	return nil
}

// supportsRFC4733 says whether the peer accepts telephone-event packets.
func (r *rtpStream) supportsRFC4733() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dtmfPT >= 0
}

// encrypted says whether the stream runs SRTP.
func (r *rtpStream) encrypted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys != nil
}

// start runs the receivers and RTCP until close.
func (r *rtpStream) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.closed {
		return
	}
	r.started = true
	r.wg.Add(2)
	go r.readLoop()
	go r.readControl()
	go r.controlLoop()
}

// sendFrame sends the next 20 ms: pcm as G.711, or a DTMF event packet
// while a key is being sent. The timestamp advances either way.
func (r *rtpStream) sendFrame(pcm []int16) {
	var buf [12 + rtpSamples + 64]byte
	r.mu.Lock()
	if r.closed || !r.haveSend {
		r.mu.Unlock()
		return
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: r.ssrc, Timestamp: r.ts}}
	var payload [rtpSamples]byte
	if len(r.queue) > 0 && r.dtmfPT >= 0 {
		job := r.queue[0]
		if job.sent == 0 {
			job.ts = r.ts
		}
		end := job.sent >= dtmfPackets
		dur := uint16((job.sent + 1) * rtpSamples)
		if end {
			dur = dtmfPackets * rtpSamples
		}
		payload[0] = job.event
		payload[1] = dtmfEventVol
		if end {
			payload[1] |= 0x80
		}
		binary.BigEndian.PutUint16(payload[2:], dur)
		pkt.PayloadType = uint8(r.dtmfPT)
		pkt.Marker = job.sent == 0
		pkt.Timestamp = job.ts
		pkt.Payload = payload[:dtmfEventSize]
		job.sent++
		if job.sent >= dtmfPackets+dtmfEnds {
			r.queue = r.queue[1:]
			close(job.done)
		}
	} else {
		n := min(len(pcm), rtpSamples)
		r.send.encode(payload[:n], pcm[:n])
		pkt.PayloadType = r.send.pt
		pkt.Payload = payload[:n]
	}
	r.ts += rtpSamples
	if !r.sendOK {
		r.mu.Unlock()
		return
	}
	r.seq++
	pkt.SequenceNumber = r.seq
	n, err := pkt.MarshalTo(buf[:])
	if err != nil {
		r.mu.Unlock()
		return
	}
	out := buf[:n]
	if r.keys != nil {
		enc, err := r.keys.tx.EncryptRTP(nil, out, &pkt.Header)
		if err != nil {
			r.mu.Unlock()
			r.log.Debug("srtp encrypt", "error", err)
			return
		}
		out = enc
	}
	r.txStats.packets++
	r.txStats.octets += uint32(len(pkt.Payload))
	r.mu.Unlock()
	if addr := r.remote.Load(); addr != nil {
		if r.sendNow(out, addr) {
			r.sent.Add(1)
		} else if _, err := r.conn.WriteToUDP(out, addr); err == nil {
			r.sent.Add(1)
		}
	}
}

// receiveFrame is the next 20 ms of the peer's voice (concealed or silent
// when nothing usable came). It is the call clock's: the first one takes
// the socket over from readLoop, and each one takes in every datagram
// waiting there before it pops the jitter buffer.
func (r *rtpStream) receiveFrame(out []int16) {
	r.lastTick.Store(time.Now().UnixNano())
	if canDrain && !r.clocked.Load() {
		r.clocked.Store(true) // readLoop lets go of the socket
	}
	if r.clocked.Load() {
		if r.tickBuf == nil {
			r.tickBuf, r.tickDec, r.tickPCM = make([]byte, maxRTPPacket), make([]byte, maxRTPPacket), make([]int16, maxRTPPacket)
		}
		for range maxDrain {
			n, from, ok := r.readQueued(r.tickBuf)
			if !ok {
				break
			}
			r.byClock.Add(1)
			r.receive(r.tickBuf[:n], from, r.tickDec, r.tickPCM)
		}
	}
	r.jb.pop(out)
}

// maxDrain bounds what one tick takes from the socket (a flood waits).
const maxDrain = 32

// unclock gives the socket back to readLoop: the call is off the clock.
func (r *rtpStream) unclock() {
	if !r.clocked.Swap(false) {
		return
	}
	select {
	case r.unclocked <- struct{}{}:
	default:
	}
}

// sendDTMF sends one key as RFC 4733 events on the next frames of the call
// clock and returns once they are out (or after dtmfTimeout).
func (r *rtpStream) sendDTMF(digit string) error {
	ev := -1
	for i := range len(dtmfEvents) {
		if digit == dtmfEvents[i:i+1] {
			ev = i
		}
	}
	if ev < 0 {
		return ErrBadDigit
	}
	job := &dtmfJob{event: byte(ev), done: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrCallState
	}
	r.queue = append(r.queue, job)
	r.mu.Unlock()
	t := time.NewTimer(dtmfTimeout)
	defer t.Stop()
	select {
	case <-job.done:
		return nil
	case <-r.done:
		return ErrCallState
	case <-t.C:
		return errors.New("telephony: dtmf not sent in time (no media clock)")
	}
}

func (r *rtpStream) readLoop() {
	defer r.wg.Done()
	buf := make([]byte, maxRTPPacket)
	dec := make([]byte, maxRTPPacket)
	pcm := make([]int16, maxRTPPacket)
	// The clock stopped without letting go (the call left it some other
	// way): after this long readLoop takes the socket back.
	const stale = 200 * time.Millisecond
	for {
		if r.clocked.Load() {
			t := time.NewTimer(time.Second)
			select {
			case <-r.done:
				t.Stop()
				return
			case <-r.unclocked:
			case <-t.C:
			}
			t.Stop()
			if r.clocked.Load() && time.Since(time.Unix(0, r.lastTick.Load())) > stale {
				r.unclock()
			}
			continue
		}
		n, from, err := r.readOrYield(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		r.receive(buf[:n], from, dec, pcm)
	}
}

// receive handles one datagram from the RTP port.
func (r *rtpStream) receive(data []byte, from *net.UDPAddr, dec []byte, pcm []int16) {
	if !r.fromPeer(from) {
		return
	}
	r.mu.Lock()
	keys := r.keys
	r.mu.Unlock()
	if keys != nil {
		out, err := keys.rx.DecryptRTP(dec[:0], data, nil)
		if err != nil {
			if r.authFails.Add(1) <= 3 {
				r.log.Debug("srtp packet refused", "from", from.String(), "error", err)
			}
			return
		}
		data = out
	}
	var pkt rtp.Packet
	if err := pkt.Unmarshal(data); err != nil || pkt.Version != 2 {
		return
	}
	r.received.Add(1)
	now := time.Now()
	r.mu.Lock()
	r.account(&pkt, now)
	dtmfPT := r.dtmfPT
	c, isAudio := r.recv[pkt.PayloadType]
	r.mu.Unlock()
	switch {
	case int(pkt.PayloadType) == dtmfPT && dtmfPT >= 0:
		r.receiveEvent(&pkt)
	case isAudio:
		n := min(len(pkt.Payload), len(pcm))
		c.decode(pcm[:n], pkt.Payload[:n])
		r.jb.push(pkt.Timestamp, pcm[:n])
	}
}

// fromPeer says whether a datagram may be the peer's: from the address its
// SDP names, or from the one address its media first came from (a peer
// with several addresses sends from whichever routes, not always from the
// one in its SDP). Nobody else speaks into the agent's ear.
func (r *rtpStream) fromPeer(from *net.UDPAddr) bool {
	want := r.remote.Load()
	if want == nil {
		return false
	}
	if want.IP.Equal(from.IP) {
		return true
	}
	if l := r.latched.Load(); l != nil {
		return l.IP.Equal(from.IP)
	}
	return r.latched.CompareAndSwap(nil, from) || r.latched.Load().IP.Equal(from.IP)
}

// receiveEvent reports a key once per event (its packets share a
// timestamp), reading the event from the payload pion parsed, whatever
// header extensions or CSRCs came before it.
func (r *rtpStream) receiveEvent(pkt *rtp.Packet) {
	if len(pkt.Payload) < dtmfEventSize {
		return
	}
	r.mu.Lock()
	seen := r.rxStats.haveEvent && r.rxStats.lastEventTS == pkt.Timestamp
	r.rxStats.haveEvent, r.rxStats.lastEventTS = true, pkt.Timestamp
	r.mu.Unlock()
	if seen {
		return
	}
	if ev := int(pkt.Payload[0]); ev < len(dtmfEvents) && r.onDTMF != nil {
		r.onDTMF(string(dtmfEvents[ev]))
	}
}

// account updates the receiver counters for RTCP; r.mu held.
func (r *rtpStream) account(pkt *rtp.Packet, now time.Time) {
	s := &r.rxStats
	if !s.init || s.ssrc != pkt.SSRC {
		*s = receiveStats{ssrc: pkt.SSRC, init: true, baseSeq: pkt.SequenceNumber, maxSeq: pkt.SequenceNumber - 1,
			lastEventTS: s.lastEventTS, haveEvent: s.haveEvent}
	}
	if d := pkt.SequenceNumber - s.maxSeq; d < 0x8000 {
		if pkt.SequenceNumber < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = pkt.SequenceNumber
	}
	s.received++
	arrival := now.UnixNano() * 8000 / int64(time.Second)
	transit := arrival - int64(pkt.Timestamp)
	if s.haveTransit {
		d := transit - s.lastTransit
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.lastTransit, s.haveTransit = transit, true
}

// report is our reception report about the peer; r.mu held.
func (r *rtpStream) report() []rtcp.ReceptionReport {
	s := &r.rxStats
	if !s.init {
		return nil
	}
	extMax := s.cycles + uint32(s.maxSeq)
	expected := extMax - uint32(s.baseSeq) + 1
	lost := int64(expected) - int64(s.received)
	expInt := expected - s.expectedPrior
	recInt := s.received - s.receivedPrior
	s.expectedPrior, s.receivedPrior = expected, s.received
	var frac uint8
	if lostInt := int64(expInt) - int64(recInt); expInt > 0 && lostInt > 0 {
		frac = uint8(lostInt * 256 / int64(expInt))
	}
	rr := rtcp.ReceptionReport{
		SSRC:               s.ssrc,
		FractionLost:       frac,
		TotalLost:          uint32(max(0, min(lost, 0x7fffff))),
		LastSequenceNumber: extMax,
		Jitter:             uint32(s.jitter),
		LastSenderReport:   r.lastSR,
	}
	if !r.lastSRAt.IsZero() {
		rr.Delay = uint32(time.Since(r.lastSRAt).Seconds() * 65536)
	}
	return []rtcp.ReceptionReport{rr}
}

// controlLoop sends a sender report (and our CNAME) every rtcpInterval.
func (r *rtpStream) controlLoop() {
	defer close(r.ctrlDone)
	t := time.NewTicker(rtcpInterval)
	defer t.Stop()
	for {
		select {
		case <-r.done:
			r.sendControl(true)
			return
		case <-t.C:
			r.sendControl(false)
		}
	}
}

func (r *rtpStream) sendControl(bye bool) {
	addr := r.remoteCtrl.Load()
	if addr == nil {
		return
	}
	r.mu.Lock()
	now := time.Now()
	pkts := []rtcp.Packet{
		&rtcp.SenderReport{
			SSRC: r.ssrc, NTPTime: ntpTime(now), RTPTime: r.ts,
			PacketCount: r.txStats.packets, OctetCount: r.txStats.octets, Reports: r.report(),
		},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
			Source: r.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: r.cname}},
		}}},
	}
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{r.ssrc}})
	}
	keys := r.keys
	r.mu.Unlock()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return
	}
	if keys != nil {
		r.mu.Lock()
		b, err = keys.tx.EncryptRTCP(nil, b, nil)
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
	_, _ = r.ctrl.WriteToUDP(b, addr)
}

func (r *rtpStream) readControl() {
	defer r.wg.Done()
	buf := make([]byte, maxRTPPacket)
	for {
		n, from, err := r.ctrl.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if !r.fromPeer(from) {
			continue
		}
		data := buf[:n]
		r.mu.Lock()
		keys := r.keys
		r.mu.Unlock()
		if keys != nil {
			if data, err = keys.rx.DecryptRTCP(nil, data, nil); err != nil {
				r.authFails.Add(1)
				continue
			}
		}
		pkts, err := rtcp.Unmarshal(data)
		if err != nil {
			continue
		}
		r.mu.Lock()
		for _, p := range pkts {
			var reports []rtcp.ReceptionReport
			switch p := p.(type) {
			case *rtcp.SenderReport:
				r.lastSR, r.lastSRAt = uint32(p.NTPTime>>16), time.Now()
				reports = p.Reports
			case *rtcp.ReceiverReport:
				reports = p.Reports
			}
			for _, rep := range reports {
				if rep.SSRC == r.ssrc {
					r.peerLoss, r.peerJit = rep.FractionLost, rep.Jitter
				}
			}
		}
		r.mu.Unlock()
	}
}

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// mediaStats are a stream's counters, for logs, tests and benchmarks.
type mediaStats struct {
	Sent, Received, AuthFailures int64
	Jitter                       jitterStats
	PeerLoss                     float64 // fraction the peer reported lost
}

func (r *rtpStream) stats() mediaStats {
	r.mu.Lock()
	loss := float64(r.peerLoss) / 256
	r.mu.Unlock()
	return mediaStats{Sent: r.sent.Load(), Received: r.received.Load(), AuthFailures: r.authFails.Load(), Jitter: r.jb.stats(), PeerLoss: loss}
}

// close stops the stream (sending an RTCP BYE) and frees the ports.
func (r *rtpStream) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	started := r.started
	r.queue = nil
	r.mu.Unlock()
	close(r.done)
	if started {
		<-r.ctrlDone // its BYE is out before the sockets go
	}
	r.fdMu.Lock()
	r.fdGone = true // no tick reads the descriptor once it may be reused
	r.fdMu.Unlock()
	_ = r.conn.Close()
	_ = r.ctrl.Close()
	r.wg.Wait()
}
