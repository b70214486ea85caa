package telephony

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"agentdesk/telephony/audio/audiotest"
)

// BenchmarkUA_InviteToRinging measures the UA's share of the pop latency:
// from an INVITE written to the UA's UDP socket to the ringing event
// reaching the Emitter (parsing, transaction, 100/180, caller identity).
// Each call is then cancelled so calls do not pile up. It reports p50 and
// p99 in microseconds.
//
//	go test -run='^$' -bench=BenchmarkUA_InviteToRinging -benchtime=2000x ./telephony
func BenchmarkUA_InviteToRinging(b *testing.B) {
	pbx := startFakePBX(b, "pw", "MD5")
	evs := make(chan Event, 16)
	ua, err := New(Config{PBX: pbx.uri(), User: "1001", Password: "pw", KeepAlive: -1}, EmitterFunc(func(e Event) {
		select {
		case evs <- e:
		default:
		}
	}), WithLogger(quietLogger()), WithListenAddr("127.0.0.1:0"), WithAudioBackend(audiotest.New()))
	if err != nil {
		b.Fatal(err)
	}
	if err := ua.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer ua.Close()
	waitKind := func(kind EventKind, callID string) {
		timeout := time.After(5 * time.Second)
		for {
			select {
			case e := <-evs:
				if e.Kind == kind && (callID == "" || e.CallID == callID) {
					return
				}
			case <-timeout:
				b.Fatalf("no %s for %q", kind, callID)
			}
		}
	}
	waitKind(EventRegistered, "")

	conn, err := net.DialUDP("udp", nil, mustUDPAddrB(b, ua.Addr()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	go func() { // drain the UA's responses
		buf := make([]byte, 4096)
		for {
			if _, err := conn.Read(buf); err != nil {
				return
			}
		}
	}()
	local := conn.LocalAddr().String()
	sdp := string(offerSDP("127.0.0.1", 40000, 1, 1, dirSendRecv))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		id := fmt.Sprintf("bench-%d", i)
		head := func(method string, cseqMethod string) string {
			return fmt.Sprintf("%s sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-b%d\r\n"+
				"From: \"王小明\" <sip:+8613800138000@pbx.test>;tag=f%d\r\nTo: <sip:1001@pbx.test>\r\n"+
				"Call-ID: %s\r\nCSeq: 1 %s\r\nMax-Forwards: 70\r\nContact: <sip:caller@%s>\r\n",
				method, ua.Addr(), local, i, i, id, cseqMethod, local)
		}
		invite := head("INVITE", "INVITE") + fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp)
		cancel := head("CANCEL", "CANCEL") + "Content-Length: 0\r\n\r\n"
		b.StartTimer()
		start := time.Now()
		if _, err := conn.Write([]byte(invite)); err != nil {
			b.Fatal(err)
		}
		waitKind(EventRinging, id)
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if _, err := conn.Write([]byte(cancel)); err != nil {
			b.Fatal(err)
		}
		waitKind(EventMissed, id)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_us")
}

func mustUDPAddrB(b *testing.B, addr string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		b.Fatal(err)
	}
	return a
}
