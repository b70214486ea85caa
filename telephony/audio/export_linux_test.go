package audio

import (
	"sync/atomic"
	"unsafe"
)

// BridgeOf says whether st's periods go through the C bridge, and its
// counters: device callbacks seen, samples lost (capture: no room;
// playback: padded with silence) and playback periods the device found
// filled, with no goroutine to wake.
func BridgeOf(st Stream) (periods, lost, ahead uint64, ok bool) {
	ms, isMalgo := st.(*malgoStream)
	if !isMalgo || ms.br == nil {
		return 0, 0, 0, false
	}
	c := ms.br.c
	load := func(p unsafe.Pointer) uint64 { return atomic.LoadUint64((*uint64)(p)) }
	return load(unsafe.Pointer(&c.periods)), load(unsafe.Pointer(&c.lost)), load(unsafe.Pointer(&c.ahead)), true
}

// Prefill is what Sound.WriteFrame does to the earpiece's stream.
func Prefill(st Stream) {
	if p, ok := st.(prefiller); ok {
		p.prefill()
	}
}
