package upstream

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// fakeNow is a clock the limiter's tests move by hand.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

func TestAddrLimiter_SlowsOneAddressNotOthers(t *testing.T) {
	clock := &fakeNow{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	l := newAddrLimiter(3, time.Second, clock.now)
	bad, good := netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")
	for i := range 3 {
		if d := l.wait(bad); d != 0 {
			t.Fatalf("failure %d: wait %s before the burst is spent", i, d)
		}
		l.fail(bad)
	}
	if d := l.wait(bad); d != time.Second {
		t.Fatalf("after the burst: wait %s, want 1s", d)
	}
	if d := l.wait(good); d != 0 {
		t.Errorf("another address waits %s", d)
	}
	clock.t = clock.t.Add(400 * time.Millisecond)
	if d := l.wait(bad); d != 600*time.Millisecond {
		t.Errorf("0.4 s later: wait %s, want 0.6s", d)
	}
	clock.t = clock.t.Add(600 * time.Millisecond)
	if d := l.wait(bad); d != 0 {
		t.Errorf("a credit later: wait %s", d)
	}
	l.fail(bad)
	if d := l.wait(bad); d == 0 {
		t.Errorf("the refilled credit is spent, yet no wait")
	}
	clock.t = clock.t.Add(time.Hour)
	if d := l.wait(bad); d != 0 {
		t.Errorf("an hour later: wait %s", d)
	}
}

func TestAddrLimiter_IPv6CountedPer64(t *testing.T) {
	l := newAddrLimiter(1, time.Minute, (&fakeNow{t: time.Unix(0, 0)}).now)
	l.fail(netip.MustParseAddr("2001:db8:1:2::1"))
	if d := l.wait(netip.MustParseAddr("2001:db8:1:2:ffff::9")); d == 0 {
		t.Errorf("another address of the same /64 is not slowed")
	}
	if d := l.wait(netip.MustParseAddr("2001:db8:1:3::1")); d != 0 {
		t.Errorf("another /64 waits %s", d)
	}
	l.fail(netip.MustParseAddr("::ffff:10.0.0.1"))
	if d := l.wait(netip.MustParseAddr("10.0.0.1")); d == 0 {
		t.Errorf("an IPv4-mapped address is not the IPv4 address")
	}
}

func TestAddrLimiter_BoundedMemory(t *testing.T) {
	clock := &fakeNow{t: time.Unix(0, 0)}
	l := newAddrLimiter(2, time.Second, clock.now)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	for i := range 3 * maxAddrs {
		l.fail(addr(i))
	}
	if n := l.tracked(); n > maxAddrs {
		t.Errorf("%d addresses tracked, at most %d", n, maxAddrs)
	}
	// The newest offender is still held to its count.
	last := addr(3*maxAddrs - 1)
	l.fail(last)
	if d := l.wait(last); d == 0 {
		t.Errorf("the newest offender was forgotten")
	}
}

func TestAddrLimiter_Off(t *testing.T) {
	l := newAddrLimiter(0, time.Second, time.Now)
	l.fail(netip.MustParseAddr("127.0.0.2"))
	if d := l.wait(netip.MustParseAddr("127.0.0.2")); d != 0 {
		t.Errorf("a limiter turned off waits %s", d)
	}
}

func TestClientAddr(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"plain peer", "192.0.2.7:5555", nil, nil, "192.0.2.7"},
		{"XFF ignored without trusted proxies", "192.0.2.7:5555", []string{"203.0.113.9"}, nil, "192.0.2.7"},
		{"XFF ignored from an untrusted peer", "192.0.2.7:5555", []string{"203.0.113.9"}, proxy, "192.0.2.7"},
		{"trusted proxy: its client", "10.1.1.1:443", []string{"203.0.113.9"}, proxy, "203.0.113.9"},
		{"trusted proxy: the rightmost untrusted hop, not a forged one", "10.1.1.1:443", []string{"198.51.100.1, 203.0.113.9"}, proxy, "203.0.113.9"},
		{"two trusted proxies", "10.1.1.1:443", []string{"203.0.113.9, 10.2.2.2"}, proxy, "203.0.113.9"},
		{"several headers", "10.1.1.1:443", []string{"198.51.100.1", "203.0.113.9"}, proxy, "203.0.113.9"},
		{"garbage hop: the peer", "10.1.1.1:443", []string{"203.0.113.9, bogus"}, proxy, "10.1.1.1"},
		{"only proxies: the peer", "10.1.1.1:443", []string{"10.3.3.3"}, proxy, "10.1.1.1"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, nil, "2001:db8::1"},
		{"unix socket", "@", nil, nil, "invalid IP"},
	} {
		r := httptest.NewRequest("GET", "/v1/whoami", nil)
		r.RemoteAddr = tt.remote
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, tt.trusted).String(); got != tt.want {
			t.Errorf("%s: clientAddr = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// tracked is how many addresses the limiter holds (for tests).
func (l *addrLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
