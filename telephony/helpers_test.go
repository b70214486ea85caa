package telephony

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
)

// StartTestUA builds a UA that reports to em, starts it (bounded by 10 s)
// and closes it at cleanup. The unit tests against the fake PBX and the
// integration tests (package telephony_test, against Kamailio) share it; it
// exists only in the test binary.
func StartTestUA(t *testing.T, cfg Config, em Emitter, opts ...Option) *UA {
	t.Helper()
	ua, err := New(cfg, em, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ua.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ua.Close() })
	return ua
}

// answerDialog answers, on ua, the inbound call the caller's dialog d
// rings, and waits until the call is up: the caller got the 200 and sent
// its ACK, and ua reported EventAnswered. It returns the ringing event.
func answerDialog(t *testing.T, ctx context.Context, d *sipgo.DialogClientSession, ua *UA, ev *events) Event {
	t.Helper()
	ring := ev.wait(t, EventRinging, 5*time.Second)
	go func() { _ = ua.Answer(ring.CallID) }()
	if err := d.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		t.Fatalf("answer %s: %v", ring.CallID, err)
	}
	if err := d.Ack(ctx); err != nil {
		t.Fatalf("ack %s: %v", ring.CallID, err)
	}
	ev.wait(t, EventAnswered, 5*time.Second)
	return ring
}

// waitGoroutinesBack polls (up to 10 s) until the goroutine count is back
// within 2 of base, and fails with every goroutine's stack if it is not.
func waitGoroutinesBack(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines %d, baseline %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// offerSDP is our own plain offer: PCMU, PCMA and telephone-event.
func offerSDP(ip string, port int, sessID, sessVersion uint64, dir string) []byte {
	return offerSDPWith(ip, port, sessID, sessVersion, dir, nil)
}

func buildSDP(ip string, port int, sessID, sessVersion uint64, formats []Format, dir string) []byte {
	return buildSDPWith(ip, port, sessID, sessVersion, formats, dir, nil)
}

// withPacketCounter counts every datagram or stream read the transport
// hands to the SIP parser (tests use it to prove a flood was read).
func withPacketCounter(n *atomic.Int64) Option { return func(u *UA) { u.packets = n } }
