//go:build !(linux && (amd64 || arm64))

package telephony

import "net"

// canDrain: on this platform readLoop keeps the RTP socket while the
// call clock ticks.
const canDrain = false

func (r *rtpStream) readQueued([]byte) (int, *net.UDPAddr, bool) { return 0, nil, false }

func (r *rtpStream) sendNow([]byte, *net.UDPAddr) bool { return false }

func (r *rtpStream) readOrYield(buf []byte) (int, *net.UDPAddr, error) {
	return r.conn.ReadFromUDP(buf)
}
