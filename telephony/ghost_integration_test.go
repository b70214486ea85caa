package telephony_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/kamailiotest"
)

// strangerRequests are what a SIP scanner sends straight to a desk's port:
// well-formed INVITEs (the "ghost calls"), other methods, and garbage.
func strangerRequests(target, from string) []string {
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"
	req := func(method string, i int, body string) string {
		ct := ""
		if body != "" {
			ct = "Content-Type: application/sdp\r\n"
		}
		return fmt.Sprintf("%s sip:%s@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-stranger%d\r\n"+
			"From: \"100\" <sip:100@%s>;tag=s%d\r\nTo: <sip:%s@%s>\r\nCall-ID: stranger-%d@%s\r\nCSeq: 1 %s\r\n"+
			"Contact: <sip:100@%s>\r\nMax-Forwards: 70\r\nUser-Agent: friendly-scanner\r\n%sContent-Length: %d\r\n\r\n%s",
			method, itUser, target, from, i, from, i, itUser, target, i, from, method, from, ct, len(body), body)
	}
	var out []string
	for i := range 3 {
		out = append(out, req("INVITE", i, sdp))
	}
	out = append(out, req("INVITE", 10, ""), req("OPTIONS", 11, ""), req("BYE", 12, ""), req("REGISTER", 13, ""), req("CANCEL", 14, ""))
	full := req("INVITE", 15, sdp)
	out = append(out, full[:len(full)/3], "\x00\x01garbage\xff\xfe", "INVITE sip:x SIP/2.0\r\nContent-Length: 99999\r\n\r\nv=0")
	return out
}

// TestIntegration_NoGhostCalls sends scanners' requests straight to the
// registered desk from 127.0.0.2, which is not its PBX: nothing rings, the
// desk stays registered, the drops are counted, and a call through
// Kamailio right after pops normally.
func TestIntegration_NoGhostCalls(t *testing.T) {
	kamailiotest.Gate(t)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			k := startKamailio(t, "MD5", "")
			ua, rec := startIntegrationUA(t, k, telephony.Config{Transport: transport})
			rec.wait(t, telephony.EventRegistered, 10*time.Second)
			msgs := strangerRequests(ua.Addr(), "127.0.0.2:5099")
			switch transport {
			case "udp":
				c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, udpAddr(t, ua.Addr()))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, m := range msgs {
					if _, err := c.Write([]byte(m)); err != nil {
						t.Fatal(err)
					}
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				if n, err := c.Read(make([]byte, 4096)); err == nil {
					t.Errorf("the desk answered a stranger (%d bytes)", n)
				}
			case "tcp":
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 2 * time.Second}
				c, err := d.Dial("tcp", ua.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, m := range msgs[:3] {
					_, _ = c.Write([]byte(m))
				}
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				// Closed by the desk: a FIN (EOF), or a reset when the
				// stranger's later bytes were still unread as it closed.
				if n, err := c.Read(make([]byte, 4096)); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("the stranger's connection: read %d bytes, %v; want it closed (EOF or reset)", n, err)
				}
			}
			time.Sleep(300 * time.Millisecond)
			if n := countKind(rec, telephony.EventRinging); n != 0 {
				t.Fatalf("strangers rang the desk %d times", n)
			}
			strays := ua.Strays()
			if strays.Dropped == 0 || strays.Last == "" || strays.Last[:10] != "127.0.0.2:" {
				t.Errorf("strays %+v", strays)
			}
			if transport == "udp" && strays.Dropped != int64(len(msgs)) {
				t.Errorf("%d datagrams dropped, %d sent", strays.Dropped, len(msgs))
			}
			if !ua.Registered() || !k.Reachable(itUser) {
				t.Fatalf("after the strangers: registered %v, reachable through kamailio %v", ua.Registered(), k.Reachable(itUser))
			}

			// A real call through the PBX right after.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			sipp := kamailiotest.StartSipp(t, k.Addr(), "testdata/caller_bye.xml", kamailiotest.FreePort(t),
				"-s", itUser, "-key", "from", "<sip:13800138000@127.0.0.1>", "-key", "extra", "X-Test: 1")
			ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
			if ring.Caller.Number != "13800138000" {
				t.Errorf("ringing %+v", ring)
			}
			if err := ua.Answer(ring.CallID); err != nil {
				t.Fatal(err)
			}
			sipp.Wait(t, ctx)
			if end := rec.wait(t, telephony.EventEnded, 10*time.Second); end.CallID != ring.CallID {
				t.Errorf("ended %+v", end)
			}
			t.Logf("%s: %d requests from 127.0.0.2 dropped, none rang; the PBX's call popped", transport, strays.Dropped)
		})
	}
}

func countKind(r *recorder, kind telephony.EventKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.all {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func udpAddr(t *testing.T, addr string) *net.UDPAddr {
	t.Helper()
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
