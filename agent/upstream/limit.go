package upstream

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Failed authentication is slowed per address: each request whose token
// is unknown or expired takes one credit from its address's bucket; a
// bucket refills one credit per interval up to its burst; while an
// address has no credit left, its requests are answered 429 with
// Retry-After before any token is looked up, so an attacker costs the
// database nothing and other addresses are not slowed. IPv6 addresses are
// counted per /64 (what one host usually holds).
//
// Memory is bounded: at most maxAddrs addresses are tracked; full buckets
// hold no information and are dropped first, then arbitrary ones.

// Defaults of the failed-auth limiter.
const (
	DefaultAuthBurst    = 10
	DefaultAuthInterval = time.Second
	maxAddrs            = 10000
)

type addrLimiter struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[netip.Prefix]*bucket
}

type bucket struct {
	credit float64
	at     time.Time
}

func newAddrLimiter(burst int, every time.Duration, now func() time.Time) *addrLimiter {
	if burst <= 0 || every <= 0 {
		return nil
	}
	return &addrLimiter{burst: float64(burst), every: every, now: now, m: map[netip.Prefix]*bucket{}}
}

// key is the unit an address is counted in.
func addrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}

// refill brings b up to now. l.mu is held.
func (l *addrLimiter) refill(b *bucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.credit = min(l.burst, b.credit+float64(d)/float64(l.every))
	}
	b.at = now
}

// wait says how long requests from a must wait: 0 when it has credit.
func (l *addrLimiter) wait(a netip.Addr) time.Duration {
	if l == nil {
		return 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[addrKey(a)]
	if !ok {
		return 0
	}
	l.refill(b, now)
	if b.credit >= 1 {
		return 0
	}
	return time.Duration((1 - b.credit) * float64(l.every))
}

// fail takes one credit from a's bucket.
func (l *addrLimiter) fail(a netip.Addr) {
	if l == nil {
		return
	}
	now := l.now()
	k := addrKey(a)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[k]
	if !ok {
		if len(l.m) >= maxAddrs {
			l.evict(now)
		}
		b = &bucket{credit: l.burst, at: now}
		l.m[k] = b
	}
	l.refill(b, now)
	b.credit = max(0, b.credit-1)
}

// evict drops the buckets that have refilled, and if that frees nothing,
// a tenth of the others. l.mu is held.
func (l *addrLimiter) evict(now time.Time) {
	for k, b := range l.m {
		l.refill(b, now)
		if b.credit >= l.burst {
			delete(l.m, k)
		}
	}
	drop := len(l.m) - maxAddrs*9/10
	for k := range l.m {
		if drop <= 0 {
			break
		}
		delete(l.m, k)
		drop--
	}
}

// clientAddr is the address a request comes from: the connection's peer,
// or, when the peer is one of the trusted proxies, the rightmost address
// of X-Forwarded-For that is not a trusted proxy itself (the one the
// nearest untrusted hop connected from; entries to its left could be
// forged by the client). An unparsable peer (a unix socket) gives the
// zero Addr.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if len(trusted) == 0 || !inAny(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a hop we cannot read: trust nothing left of it
		}
		a = a.Unmap()
		if !inAny(a, trusted) {
			return a
		}
	}
	return peer
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
