//go:build unix

package telephony

import (
	"errors"
	"net"
	"syscall"
)

// On Unix the call clock takes in RTP itself while it ticks a stream: a
// goroutine woken for every packet costs more CPU than the packet does
// (BenchmarkVoice), and the tick reads the jitter buffer right after.

// canDrain: the call clock can read the RTP socket without blocking.
const canDrain = true

// errYield is readLoop's cue that the call clock has the socket.
var errYield = errors.New("telephony: the call clock reads the socket")

// socketFD is the RTP socket's descriptor, looked up once.
func (r *rtpStream) socketFD() (int, bool) {
	r.fdOnce.Do(func() {
		r.fd = -1
		if rc, err := r.conn.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { r.fd = int(fd) })
		}
	})
	return r.fd, r.fd >= 0
}

// readQueued takes one datagram waiting on the RTP socket, if any, without
// waiting for one. It reads the descriptor directly: Go's own read would
// queue behind readLoop's, which waits for the next datagram.
func (r *rtpStream) readQueued(buf []byte) (int, *net.UDPAddr, bool) {
	r.fdMu.RLock()
	defer r.fdMu.RUnlock()
	fd, ok := r.socketFD()
	if r.fdGone || !ok {
		return 0, nil, false
	}
	n, from, err := syscall.Recvfrom(fd, buf, syscall.MSG_DONTWAIT)
	if err != nil {
		return 0, nil, false // EAGAIN: nothing is queued
	}
	return n, udpAddr(from), true
}

// readOrYield is readLoop's read: it waits for a datagram, and gives up
// (errYield) as soon as it is woken while the clock has the socket.
func (r *rtpStream) readOrYield(buf []byte) (int, *net.UDPAddr, error) {
	rc, err := r.conn.SyscallConn()
	if err != nil {
		return 0, nil, err
	}
	var (
		n       int
		from    syscall.Sockaddr
		rerr    error
		yielded bool
	)
	err = rc.Read(func(fd uintptr) bool {
		if r.clocked.Load() {
			yielded = true
			return true
		}
		n, from, rerr = syscall.Recvfrom(int(fd), buf, 0)
		return !errors.Is(rerr, syscall.EAGAIN) // wait for the socket on EAGAIN
	})
	switch {
	case err != nil:
		return 0, nil, err
	case yielded:
		return 0, nil, errYield
	case rerr != nil:
		return 0, nil, rerr
	}
	return n, udpAddr(from), nil
}

func udpAddr(sa syscall.Sockaddr) *net.UDPAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.UDPAddr{IP: net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.UDPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: a.Port}
	}
	return &net.UDPAddr{}
}
