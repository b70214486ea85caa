package telephony

import (
	"net"
	"testing"
	"time"
)

// clockPair is stream a sending PCMU to stream b, both started.
func clockPair(t *testing.T) (a, b *rtpStream) {
	t.Helper()
	pcmuFmt := Format{PT: ptPCMU, Name: "PCMU", Rate: 8000}
	mk := func() *rtpStream {
		s, err := newRTPStream("127.0.0.1", quietLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.close)
		return s
	}
	a, b = mk(), mk()
	a.configure(Stream{Addr: "127.0.0.1", Port: b.Port(), Formats: []Format{pcmuFmt}}, pcmuFmt, -1, dirSendRecv, nil)
	b.configure(Stream{Addr: "127.0.0.1", Port: a.Port(), Formats: []Format{pcmuFmt}}, pcmuFmt, -1, dirSendRecv, nil)
	a.start()
	b.start()
	return a, b
}

// waitReceived waits until b has received want datagrams in all.
func waitReceived(t *testing.T, b *rtpStream, want int64, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.received.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d datagrams received", what, b.received.Load(), want)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}
}

// TestRTPStream_ClockTakesTheSocket: while the call clock ticks a stream,
// the tick takes the peer's datagrams off the socket (its reader stays
// away); off the clock, the reader takes them again, also when the clock
// stopped without letting go.
func TestRTPStream_ClockTakesTheSocket(t *testing.T) {
	if !canDrain {
		t.Skip("this platform's reader keeps the socket")
	}
	a, b := clockPair(t)
	frame := make([]int16, rtpSamples)
	out := make([]int16, rtpSamples)

	// Off the clock: the reader.
	for range 5 {
		a.sendFrame(frame)
	}
	waitReceived(t, b, 5, "before the clock")
	if n := b.byClock.Load(); n != 0 {
		t.Fatalf("the clock took %d datagrams before it ticked", n)
	}

	// On the clock: every datagram sent between ticks is the tick's.
	b.receiveFrame(out)
	time.Sleep(50 * time.Millisecond) // the reader's one wake-up to notice
	before, byClock := b.received.Load(), b.byClock.Load()
	for range 20 {
		a.sendFrame(frame)
		time.Sleep(2 * time.Millisecond)
		b.receiveFrame(out)
	}
	time.Sleep(20 * time.Millisecond)
	b.receiveFrame(out)
	got, took := b.received.Load()-before, b.byClock.Load()-byClock
	if got < 19 || took < got-1 {
		t.Fatalf("on the clock: %d received, %d of them by the tick", got, took)
	}

	// Let go: the reader again, without a tick.
	b.unclock()
	before, byClock = b.received.Load(), b.byClock.Load()
	for range 5 {
		a.sendFrame(frame)
	}
	waitReceived(t, b, before+5, "after the clock let go")
	if n := b.byClock.Load() - byClock; n != 0 {
		t.Errorf("the clock took %d datagrams after it let go", n)
	}

	// A clock that stops without letting go: the reader takes over.
	b.receiveFrame(out)
	before = b.received.Load()
	for range 5 {
		a.sendFrame(frame)
	}
	waitReceived(t, b, before+5, "after the clock stopped")
}

// TestRTPStream_CloseWhileClocked: closing a stream the clock holds ends
// its reader, and a tick after close reads nothing.
func TestRTPStream_CloseWhileClocked(t *testing.T) {
	_, b := clockPair(t)
	out := make([]int16, rtpSamples)
	b.receiveFrame(out)
	done := make(chan struct{})
	go func() { b.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close waited on the reader of a clocked stream")
	}
	b.receiveFrame(out) // must not read a descriptor that is no longer the stream's
	if _, _, ok := b.readQueued(make([]byte, maxRTPPacket)); ok {
		t.Error("a closed stream's socket was read")
	}
}

// TestRTPStream_SendNow: the raw send reaches the peer from an IPv4
// socket and from a dual-stack IPv6 one (an IPv4 peer as a mapped
// address), with the peer's port in network byte order, and reports
// false where it cannot send so the conn's own write takes over.
func TestRTPStream_SendNow(t *testing.T) {
	if !canDrain {
		t.Skip("this platform sends through the conn")
	}
	peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	to := peer.LocalAddr().(*net.UDPAddr)
	for _, tc := range []struct {
		name, network, local string
		to                   *net.UDPAddr
		want                 bool
	}{
		{"ipv4 socket", "udp4", "127.0.0.1:0", to, true},
		{"dual-stack socket", "udp", "[::]:0", to, true},
		{"ipv4 socket, ipv6 peer", "udp4", "127.0.0.1:0", &net.UDPAddr{IP: net.IPv6loopback, Port: to.Port}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			la, err := net.ResolveUDPAddr(tc.network, tc.local)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := net.ListenUDP(tc.network, la)
			if err != nil {
				t.Skipf("no %s socket here: %v", tc.network, err)
			}
			defer conn.Close()
			r := &rtpStream{conn: conn}
			msg := []byte("rtp " + tc.name)
			if got := r.sendNow(msg, tc.to); got != tc.want {
				t.Fatalf("sendNow = %v, want %v", got, tc.want)
			}
			if !tc.want {
				return
			}
			_ = peer.SetReadDeadline(time.Now().Add(2 * time.Second))
			buf := make([]byte, 64)
			n, from, err := peer.ReadFromUDP(buf)
			if err != nil || string(buf[:n]) != string(msg) {
				t.Fatalf("peer got %q, %v", buf[:n], err)
			}
			if from.Port != conn.LocalAddr().(*net.UDPAddr).Port {
				t.Errorf("from port %d, socket's %d", from.Port, conn.LocalAddr().(*net.UDPAddr).Port)
			}
		})
	}
}
