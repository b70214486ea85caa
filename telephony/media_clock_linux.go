//go:build linux && (amd64 || arm64)

package telephony

import (
	"errors"
	"net"
	"syscall"
	"unsafe"
)

// On Linux the call clock takes in RTP itself while it ticks a stream: a
// goroutine woken for every packet costs more CPU than the packet does
// (BenchmarkVoice), and the tick reads the jitter buffer right after. The
// tick's reads and sends are raw non-blocking system calls: the runtime's
// syscall bookkeeping wakes its monitor thread, which then polls every
// 20 µs while the tick runs (see telephony/audio/bridge_linux.go).

// canDrain: the call clock can read the RTP socket without blocking.
const canDrain = true

// errYield is readLoop's cue that the call clock has the socket.
var errYield = errors.New("telephony: the call clock reads the socket")

// socketFD is the RTP socket's descriptor, looked up once.
func (r *rtpStream) socketFD() (int, bool) {
	r.fdOnce.Do(func() {
		r.fd = -1
		if rc, err := r.conn.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) {
				r.fd = int(fd)
				if sa, err := syscall.Getsockname(int(fd)); err == nil {
					_, r.fd6 = sa.(*syscall.SockaddrInet6)
				}
			})
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
	n, from, e := recvNow(fd, buf)
	if e != 0 {
		return 0, nil, false // EAGAIN: nothing is queued
	}
	return n, from, true
}

// recvNow takes one datagram off fd without waiting (raw recvfrom with
// MSG_DONTWAIT; EAGAIN when none is queued).
func recvNow(fd int, buf []byte) (int, *net.UDPAddr, syscall.Errno) {
	var from syscall.RawSockaddrAny
	fromLen := uint32(unsafe.Sizeof(from))
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
		syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&from)), uintptr(unsafe.Pointer(&fromLen)))
	if e != 0 {
		return 0, nil, e
	}
	return int(n), rawUDPAddr(&from), 0
}

// sendNow sends one datagram to addr with a raw non-blocking sendto;
// false when it could not (the caller then writes through the conn).
func (r *rtpStream) sendNow(out []byte, addr *net.UDPAddr) bool {
	r.fdMu.RLock()
	defer r.fdMu.RUnlock()
	fd, ok := r.socketFD()
	if r.fdGone || !ok || len(out) == 0 {
		return false
	}
	var e syscall.Errno
	if ip4 := addr.IP.To4(); ip4 != nil && !r.fd6 {
		sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET}
		copy(sa.Addr[:], ip4)
		setPort(&sa.Port, addr.Port)
		_, _, e = syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	} else if r.fd6 && len(addr.IP) > 0 && addr.Zone == "" {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_INET6}
		copy(sa.Addr[:], addr.IP.To16()) // an IPv4 peer as ::ffff:a.b.c.d
		setPort(&sa.Port, addr.Port)
		_, _, e = syscall.RawSyscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)),
			syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	} else {
		return false
	}
	return e == 0
}

// setPort stores port in network byte order.
func setPort(p *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

func rawUDPAddr(sa *syscall.RawSockaddrAny) *net.UDPAddr {
	switch sa.Addr.Family {
	case syscall.AF_INET:
		a := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return &net.UDPAddr{IP: net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]), Port: int(p[0])<<8 | int(p[1])}
	case syscall.AF_INET6:
		a := (*syscall.RawSockaddrInet6)(unsafe.Pointer(sa))
		p := (*[2]byte)(unsafe.Pointer(&a.Port))
		return &net.UDPAddr{IP: append(net.IP(nil), a.Addr[:]...), Port: int(p[0])<<8 | int(p[1])}
	}
	return &net.UDPAddr{}
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
		from    *net.UDPAddr
		rerr    syscall.Errno
		yielded bool
	)
	err = rc.Read(func(fd uintptr) bool {
		if r.clocked.Load() {
			yielded = true
			return true
		}
		n, from, rerr = recvNow(int(fd), buf)
		return rerr != syscall.EAGAIN // wait for the socket on EAGAIN
	})
	switch {
	case err != nil:
		return 0, nil, err
	case yielded:
		return 0, nil, errYield
	case rerr != 0:
		return 0, nil, rerr
	}
	return n, from, nil
}
