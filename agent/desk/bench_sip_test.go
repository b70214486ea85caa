package desk

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// sipHeaders returns the header lines of a raw SIP message by lower-case
// name (full names only: the UA under test does not send compact forms).
func sipHeaders(msg string) (first string, h map[string][]string) {
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	h = map[string][]string{}
	for _, l := range lines[1:] {
		if name, _, ok := strings.Cut(l, ":"); ok {
			h[strings.ToLower(strings.TrimSpace(name))] = append(h[strings.ToLower(strings.TrimSpace(name))], l)
		}
	}
	return lines[0], h
}

// rawRegistrar answers every request on conn with 200 OK (REGISTER,
// OPTIONS…), so a UA can register without digest round trips.
func rawRegistrar(conn net.PacketConn) {
	buf := make([]byte, 65535)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			return
		}
		first, h := sipHeaders(string(buf[:n]))
		if strings.HasPrefix(first, "SIP/2.0") {
			continue
		}
		var b strings.Builder
		b.WriteString("SIP/2.0 200 OK\r\n")
		for _, name := range []string{"via", "from", "call-id", "cseq", "contact"} {
			for _, l := range h[name] {
				b.WriteString(l + "\r\n")
			}
		}
		for _, l := range h["to"] {
			b.WriteString(l + ";tag=registrar\r\n")
		}
		b.WriteString("Expires: 3600\r\nContent-Length: 0\r\n\r\n")
		_, _ = conn.WriteTo([]byte(b.String()), from)
	}
}

// BenchmarkPopFromInvite measures the pop latency from an INVITE written to
// the SIP UA's UDP socket over loopback to the State carrying the pop at a
// subscriber: telephony.UA (sipgo) parses it, the desk looks the caller up
// among 1,000,000 customers and renders the opening line. Each call is then
// cancelled (CANCEL, 487, ACK) outside the timed section. It reports p50 and
// p99 over the b.N calls.
//
//	go test -run '^$' -bench '^BenchmarkPopFromInvite$' -benchtime 2000x ./agent/desk
func BenchmarkPopFromInvite(b *testing.B) {
	path := benchFixture(b)
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(path, store.WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pack, err := scripts.Default("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	d, err := New(Options{Store: st, Packs: map[string]*scripts.Pack{"zh-Hans": pack}, Logger: quiet,
		Config: Config{TimeZone: "Asia/Shanghai"}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()

	reg, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer reg.Close()
	go rawRegistrar(reg)
	ua, err := telephony.New(telephony.Config{PBX: "sip:" + reg.LocalAddr().String(), User: "1001", Password: "x", KeepAlive: -1, CallWaiting: true},
		d, telephony.WithLogger(quiet), telephony.WithListenAddr("127.0.0.1:0"))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ua.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer ua.Close()
	d.SetPhone(ua)

	type seen struct {
		id string
		at time.Time
	}
	popped := make(chan seen, 16)
	idle := make(chan struct{}, 16)
	var last, ended string
	d.Subscribe(func(s State) {
		if s.LastPop != nil && s.LastPop.CallID != last {
			last = s.LastPop.CallID
			popped <- seen{id: last, at: time.Now()}
		}
		if s.LastPop != nil && len(s.Calls) == 0 && s.LastPop.CallID != ended {
			ended = s.LastPop.CallID // once per call, so idle never fills
			idle <- struct{}{}
		}
	})
	for deadline := time.Now().Add(10 * time.Second); d.State().Registration.Status != RegRegistered; {
		if time.Now().After(deadline) {
			b.Fatalf("UA did not register: %+v", d.State().Registration)
		}
		time.Sleep(5 * time.Millisecond) // polling with a deadline
	}

	caller, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer caller.Close()
	uaAddr, err := net.ResolveUDPAddr("udp", ua.Addr())
	if err != nil {
		b.Fatal(err)
	}
	me := caller.LocalAddr().String()
	target := "sip:1001@" + ua.Addr()
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
	buf := make([]byte, 65535)
	// await reads the caller socket until a response starting with prefix.
	await := func(prefix string) string {
		_ = caller.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			n, _, err := caller.ReadFrom(buf)
			if err != nil {
				b.Fatalf("waiting for %q: %v", prefix, err)
			}
			if msg := string(buf[:n]); strings.HasPrefix(msg, prefix) {
				return msg
			}
		}
	}
	for len(idle) > 0 {
		<-idle
	}

	rng := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		callID := fmt.Sprintf("bench-%d-%d@127.0.0.1", time.Now().UnixNano(), i)
		common := fmt.Sprintf("Via: SIP/2.0/UDP %s;branch=z9hG4bK-%d-%d;rport\r\nMax-Forwards: 70\r\n"+
			"From: <sip:%s@127.0.0.1>;tag=c%d\r\nCall-ID: %s\r\n", me, i, time.Now().UnixNano(), benchNumber(rng.IntN(benchCustomers)), i, callID)
		invite := fmt.Sprintf("INVITE %s SIP/2.0\r\n%sTo: <%s>\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@%s>\r\n"+
			"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", target, common, target, me, len(sdp), sdp)
		start := time.Now()
		if _, err := caller.WriteTo([]byte(invite), uaAddr); err != nil {
			b.Fatal(err)
		}
		got := <-popped
		lat = append(lat, got.at.Sub(start))
		b.StopTimer()
		if got.id != callID {
			b.Fatalf("popped %s, want %s", got.id, callID)
		}
		await("SIP/2.0 180")
		cancelReq := fmt.Sprintf("CANCEL %s SIP/2.0\r\n%sTo: <%s>\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n", target, common, target)
		if _, err := caller.WriteTo([]byte(cancelReq), uaAddr); err != nil {
			b.Fatal(err)
		}
		_, h := sipHeaders(await("SIP/2.0 487"))
		if len(h["to"]) == 0 {
			b.Fatal("487 without To")
		}
		ack := fmt.Sprintf("ACK %s SIP/2.0\r\n%s%s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", target, common, h["to"][0])
		if _, err := caller.WriteTo([]byte(ack), uaAddr); err != nil {
			b.Fatal(err)
		}
		<-idle
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
