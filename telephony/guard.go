package telephony

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// resolveTimeout bounds each DNS lookup of the PBX and proxy names.
const resolveTimeout = 3 * time.Second

// strayLogEvery bounds how often dropped requests are logged.
const strayLogEvery = 10 * time.Second

// errStray makes sipgo close a stream connection from a stranger.
var errStray = errors.New("telephony: connection from a host that is not the pbx")

// Strays counts what the UA dropped because it came from neither the PBX
// nor the outbound proxy (scanners, "ghost calls" sent straight to the
// desk's port).
type Strays struct {
	// Dropped is the number of datagrams and stream reads dropped.
	Dropped int64 `json:"dropped"`
	// Last is the address the last one came from.
	Last string `json:"last,omitempty"`
	// LastAt is when it came.
	LastAt time.Time `json:"last_at,omitzero"`
}

// guard lets SIP in only from the PBX and the outbound proxy, as resolved
// at start and on each registration. Everything else is dropped before it
// is parsed: no transaction, no ringing, no answer for a scanner.
type guard struct {
	log   *slog.Logger
	now   func() time.Time
	hosts []string // PBX and proxy host names or addresses
	open  bool     // direct calls allowed: let everything in

	mu      sync.RWMutex
	allowed map[netip.Addr]bool
	prev    map[netip.Addr]bool // the resolution before, still allowed

	dropped atomic.Int64
	lastMu  sync.Mutex
	last    string
	lastAt  time.Time
	logged  time.Time
	unshown int64
}

func newGuard(log *slog.Logger, now func() time.Time, open bool, hosts ...string) *guard {
	return &guard{log: log, now: now, hosts: hosts, open: open, allowed: map[netip.Addr]bool{}}
}

// resolve looks the PBX and proxy up again (bounded by resolveTimeout
// each). A name that does not resolve is skipped (with an outbound proxy
// the PBX's domain often names no host); when none resolves, what was
// known is kept and the error returned. The previous resolution stays
// allowed too, so a PBX changing addresses under DNS round-robin is not
// cut off mid-call.
func (g *guard) resolve(ctx context.Context) error {
	next := map[netip.Addr]bool{}
	var errs []error
	for _, h := range g.hosts {
		if a, err := netip.ParseAddr(h); err == nil {
			next[a.Unmap()] = true
			continue
		}
		lctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", h)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, a := range addrs {
			next[a.Unmap()] = true
		}
	}
	if len(errs) > 0 {
		g.log.Debug("pbx lookup", "error", errors.Join(errs...))
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(next) == 0 {
		return errors.Join(errs...)
	}
	g.prev, g.allowed = g.allowed, next
	return nil
}

// ok says whether a packet from addr may be read.
func (g *guard) ok(addr net.Addr) bool {
	if g.open {
		return true
	}
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
			ip = ap.Addr()
		}
	}
	ip = ip.Unmap()
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.allowed[ip] || g.prev[ip]
}

// filter is the transport's read filter: nil data drops a datagram, an
// error closes a stream connection.
func (g *guard) filter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.RemoteAddr == nil || g.ok(p.RemoteAddr) {
		return data, nil
	}
	g.count(p.RemoteAddr.String())
	switch strings.ToLower(p.Transport) {
	case "tcp", "tls", "ws", "wss":
		return nil, errStray
	}
	// A datagram is dropped; an error here would end the UDP listener.
	return nil, nil
}

// count records one dropped read, logging at most once per strayLogEvery.
func (g *guard) count(from string) {
	n := g.dropped.Add(1)
	g.lastMu.Lock()
	defer g.lastMu.Unlock()
	now := g.now()
	g.last, g.lastAt = from, now
	g.unshown++
	if now.Sub(g.logged) < strayLogEvery {
		return
	}
	g.log.Warn("dropped sip from a host that is not the pbx", "from", from, "dropped", g.unshown, "total", n)
	g.logged, g.unshown = now, 0
}

func (g *guard) strays() Strays {
	g.lastMu.Lock()
	defer g.lastMu.Unlock()
	return Strays{Dropped: g.dropped.Load(), Last: g.last, LastAt: g.lastAt}
}
