package telephony

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hostileFlood builds n packets of the kinds scanners and broken peers
// send: OPTIONS floods, INVITEs cut inside their headers, oversized
// headers, bad Content-Length, stray responses and random bytes.
func hostileFlood(n int, target string) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	invite := "INVITE sip:1001@" + target + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5066;branch=z9hG4bK-%d\r\n" +
		"From: \"friendly-scanner\" <sip:100@1.2.3.4>;tag=%d\r\n" +
		"To: <sip:1001@" + target + ">\r\n" +
		"Call-ID: flood-%d\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
		"Contact: <sip:100@127.0.0.1:5066>\r\nContent-Type: application/sdp\r\nContent-Length: 0\r\n\r\n"
	options := "OPTIONS sip:1001@" + target + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5066;branch=z9hG4bK-o%d\r\n" +
		"From: \"sipvicious\" <sip:100@1.2.3.4>;tag=%d\r\nTo: <sip:100@1.2.3.4>\r\n" +
		"Call-ID: opt-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nUser-Agent: friendly-scanner\r\n"
	big := strings.Repeat("X", 60000)
	out := make([][]byte, 0, n)
	for i := range n {
		var p string
		switch i % 8 {
		case 0, 1, 2: // OPTIONS flood
			p = fmt.Sprintf(options, i, i, i) + "Content-Length: 0\r\n\r\n"
		case 3: // INVITE truncated somewhere inside its headers
			full := fmt.Sprintf(invite, i, i, i)
			end := strings.Index(full, "\r\n\r\n")
			p = full[:1+rng.IntN(end)]
		case 4: // oversized header
			p = fmt.Sprintf(options, i, i, i) + "Subject: " + big + "\r\nContent-Length: 0\r\n\r\n"
		case 5: // Content-Length that lies
			cl := []string{"99999", "-5", "abc", "4294967296", ""}[rng.IntN(5)]
			p = fmt.Sprintf(options, i, i, i) + "Content-Length: " + cl + "\r\n\r\nshort"
		case 6: // stray response to nothing
			p = fmt.Sprintf("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-nope%d\r\nCall-ID: x%d\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", target, i, i)
		default: // garbage
			b := make([]byte, 1+rng.IntN(1400))
			for j := range b {
				b[j] = byte(rng.UintN(256))
			}
			p = string(b)
		}
		out = append(out, []byte(p))
	}
	return out
}

// probe sends one good OPTIONS and waits for its 200: the UA's single UDP
// reader has then worked through everything sent before it.
func probe(t *testing.T, c *net.UDPConn, target string, i int) {
	t.Helper()
	id := fmt.Sprintf("probe-%d", i)
	msg := fmt.Sprintf("OPTIONS sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-probe%d\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:1001@%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		target, c.LocalAddr(), i, i, target, id)
	ok := func(res []byte) bool { return bytes.HasPrefix(res, []byte("SIP/2.0 200")) }
	if exchangeUDP(t, c, msg, id, 10*time.Second, ok) == nil {
		t.Fatalf("UA stopped answering OPTIONS after %d packets", i)
	}
}

// exchangeUDP sends msg over c, again every 100 ms (UDP may drop it), until
// a response with Call-ID id that want accepts arrives, and returns it; nil
// when none has by timeout.
func exchangeUDP(t *testing.T, c *net.UDPConn, msg, id string, timeout time.Duration, want func(res []byte) bool) []byte {
	t.Helper()
	buf := make([]byte, 65535)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break // resend
			}
			if bytes.Contains(buf[:n], []byte("Call-ID: "+id)) && want(buf[:n]) {
				return buf[:n]
			}
		}
	}
	return nil
}

func TestUA_Robustness_HostileFlood(t *testing.T) {
	const packets = 10000
	var read atomic.Int64
	pbx, ua, ev, conn := startUAWithUDPPeer(t, withPacketCounter(&read))
	probe(t, conn, ua.Addr(), 0)

	runtime.GC()
	goroutines := runtime.NumGoroutine()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	readBefore := read.Load()
	flood := hostileFlood(packets, ua.Addr())
	// Flow control so the kernel does not drop what the UA is too slow to
	// read: at most 8 small datagrams (or one 60 KB one) in flight.
	for i, p := range flood {
		if _, err := conn.Write(p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		window := int64(8)
		if len(p) > 8000 {
			window = 0
		}
		deadline := time.Now().Add(5 * time.Second)
		for read.Load()-readBefore < int64(i+1)-window {
			if time.Now().After(deadline) {
				t.Fatalf("the UA stopped reading after %d of %d packets", read.Load()-readBefore, i+1)
			}
			time.Sleep(20 * time.Microsecond)
		}
		if i%1000 == 999 {
			probe(t, conn, ua.Addr(), i+1)
			readBefore++ // the probe's own datagram(s) are counted too
		}
	}
	flood = nil
	if got := read.Load() - readBefore; got < packets {
		t.Errorf("the UA read %d packets of the %d sent (plus probes)", got, packets)
	} else {
		t.Logf("the UA read %d packets (%d hostile + probes and their retries)", got, packets)
	}

	// Goroutines must come back to the baseline (truncated INVITEs and
	// floods leave no transaction or call behind).
	waitGoroutinesBack(t, goroutines)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 4<<20 {
		t.Errorf("heap grew by %d KiB after the flood", grow>>10)
	}
	t.Logf("goroutines %d (baseline %d), heap %d KiB (baseline %d KiB)", runtime.NumGoroutine(), goroutines, after.HeapAlloc>>10, before.HeapAlloc>>10)

	if ev.count(EventRinging) != 0 {
		t.Errorf("hostile packets rang the desk %d times", ev.count(EventRinging))
	}
	if !ua.Registered() || ev.count(EventRegisterFailed) != 0 {
		t.Errorf("registration lost: registered=%v events=%v", ua.Registered(), ev.kinds())
	}
	// And it still takes a real call.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answerDialog(t, ctx, pbx.invite(t, ctx, "<sip:13800138000@pbx.test>"), ua, ev)
}

// startUAWithUDPPeer starts a UA registered to a fake PBX and a UDP socket
// connected to the UA's own address, for talking SIP to it directly.
func startUAWithUDPPeer(t *testing.T, opts ...Option) (*fakePBX, *UA, *events, *net.UDPConn) {
	t.Helper()
	pbx := startFakePBX(t, "pw", "MD5")
	ua, ev := startUA(t, pbx, Config{}, opts...)
	pbx.waitRegister(t)
	ev.wait(t, EventRegistered, 5*time.Second)
	conn, err := net.DialUDP("udp", nil, mustUDPAddr(t, ua.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return pbx, ua, ev, conn
}

func mustUDPAddr(t *testing.T, addr string) *net.UDPAddr {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestUA_UnknownDialog_481: an in-dialog BYE, re-INVITE or INFO for a call
// the UA does not have is answered 481 Call/Transaction Does Not Exist.
func TestUA_UnknownDialog_481(t *testing.T) {
	_, ua, _, conn := startUAWithUDPPeer(t)
	target := ua.Addr()
	final := func(res []byte) bool { return !bytes.HasPrefix(res, []byte("SIP/2.0 1")) }
	for i, method := range []string{"BYE", "INVITE", "INFO"} {
		t.Run(method, func(t *testing.T) {
			id := fmt.Sprintf("no-such-call-%d", i)
			msg := fmt.Sprintf("%s sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-gone%d\r\n"+
				"From: <sip:peer@127.0.0.1>;tag=a%d\r\nTo: <sip:1001@%s>;tag=b%d\r\nCall-ID: %s\r\nCSeq: 2 %s\r\n"+
				"Contact: <sip:peer@%s>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
				method, target, conn.LocalAddr(), i, i, target, i, id, method, conn.LocalAddr())
			res := exchangeUDP(t, conn, msg, id, 5*time.Second, final)
			if res == nil {
				t.Fatalf("no answer to %s for an unknown call", method)
			}
			if !bytes.HasPrefix(res, []byte("SIP/2.0 481")) {
				t.Errorf("%s for an unknown call: %q, want 481", method, bytes.SplitN(res, []byte("\r\n"), 2)[0])
			}
		})
	}
}
