package audio

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>

// The start of miniaudio's ma_device (v0.11), up to pUserData. malgo
// installs its Go data callback in onData; the bridge puts its own there.
typedef struct {
	void* pContext;
	int type;            // ma_device_type: 1 playback, 2 capture
	uint32_t sampleRate;
	uint32_t state;      // ma_atomic_device_state
	void (*onData)(void* pDevice, void* pOutput, const void* pInput, uint32_t frameCount);
	void* onNotification;
	void* onStop;
	void* pUserData;
} ad_device_head;

// ad_bridge is a single-producer single-consumer ring in C memory between
// the device's thread and one Go goroutine, and an eventfd that wakes the
// goroutine. w and r count samples ever written and read; the device's
// thread and Go each move only their own, with acquire/release atomics.
typedef struct {
	uint64_t w, r;
	uint64_t lost;       // capture: samples the ring had no room for; playback: silence padded
	uint64_t ahead;      // playback: periods found filled, no wake-up needed
	uint64_t periods;    // device callbacks so far
	uint32_t asked;      // frames the last callback took or gave
	uint32_t seq;        // playback: bumped (and futex-woken) by each fill
	uint32_t mask;       // ring size - 1; the size is a power of two
	int fd;
	void (*prev)(void*, void*, const void*, uint32_t); // malgo's callback, for ad_detach
	int16_t buf[];
} ad_bridge;

static void ad_wake(ad_bridge* b) {
	uint64_t one = 1;
	ssize_t n = write(b->fd, &one, sizeof one);
	(void)n; // EAGAIN: the counter is full, the goroutine is woken anyway
}

// ad_fill_wait bounds how long the earpiece's callback waits for Go to
// fill its period (ns); a later fill is played in the next period.
#define ad_fill_wait 8000000

static int64_t ad_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void ad_on_data(void* pDevice, void* pOutput, const void* pInput, uint32_t frames) {
	ad_bridge* b = ((ad_device_head*)pDevice)->pUserData;
	uint64_t w, r;
	uint32_t n, i, seq;
	int64_t deadline, left;
	struct timespec ts;
	__atomic_add_fetch(&b->periods, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&b->asked, frames, __ATOMIC_RELAXED);
	if (pInput != NULL) {
		const int16_t* in = pInput;
		w = __atomic_load_n(&b->w, __ATOMIC_RELAXED);
		r = __atomic_load_n(&b->r, __ATOMIC_ACQUIRE);
		n = b->mask + 1 - (uint32_t)(w - r);
		if (n > frames) n = frames;
		for (i = 0; i < n; i++) b->buf[(w + i) & b->mask] = in[i];
		__atomic_store_n(&b->w, w + n, __ATOMIC_RELEASE);
		if (n < frames) __atomic_add_fetch(&b->lost, frames - n, __ATOMIC_RELAXED);
		ad_wake(b);
	}
	if (pOutput != NULL) {
		// The period comes from the ring: Go may have filled it already (the
		// call clock hands it over as it ticks). Otherwise wake the goroutine
		// and wait, bounded, for the rest. A fill that comes later stands for
		// the next period; Go never fills beyond one period.
		int16_t* out = pOutput;
		seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
		r = __atomic_load_n(&b->r, __ATOMIC_RELAXED);
		w = __atomic_load_n(&b->w, __ATOMIC_ACQUIRE);
		if (w - r >= frames) {
			__atomic_add_fetch(&b->ahead, 1, __ATOMIC_RELAXED);
		} else {
			ad_wake(b);
			deadline = ad_now() + ad_fill_wait;
			while ((w = __atomic_load_n(&b->w, __ATOMIC_ACQUIRE)) - r < frames) {
				left = deadline - ad_now();
				if (left <= 0) break;
				ts.tv_sec = 0;
				ts.tv_nsec = left;
				syscall(SYS_futex, &b->seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
				seq = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
			}
		}
		n = (uint32_t)(w - r);
		if (n > frames) n = frames;
		for (i = 0; i < n; i++) out[i] = b->buf[(r + i) & b->mask];
		memset(out + n, 0, (frames - n) * sizeof(int16_t));
		__atomic_store_n(&b->r, r + n, __ATOMIC_RELEASE);
		if (n < frames) __atomic_add_fetch(&b->lost, frames - n, __ATOMIC_RELAXED);
	}
}

// ad_attach checks that pDevice starts as miniaudio's ma_device does for
// a device of this type and rate, with a data callback and no user data,
// and only then moves its periods to a new bridge of size samples (a
// power of two). NULL: the layout is not the expected one (or no memory).
static ad_bridge* ad_attach(void* pDevice, void* pContext, int type, uint32_t rate, uint32_t size) {
	ad_device_head* h = pDevice;
	ad_bridge* b;
	if (h->pContext != pContext || h->type != type || h->sampleRate != rate || h->onData == NULL || h->pUserData != NULL) {
		return NULL;
	}
	b = calloc(1, sizeof(ad_bridge) + size * sizeof(int16_t));
	if (b == NULL) {
		return NULL;
	}
	b->mask = size - 1;
	b->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->fd < 0) {
		free(b);
		return NULL;
	}
	b->prev = h->onData;
	h->pUserData = b;
	h->onData = ad_on_data;
	return b;
}

// ad_detach gives the device back to malgo's callback and frees b; only
// before the device starts.
static void ad_detach(void* pDevice, ad_bridge* b) {
	ad_device_head* h = pDevice;
	h->onData = b->prev;
	h->pUserData = NULL;
	close(b->fd);
	free(b);
}

static int16_t* ad_buf(ad_bridge* b) { return b->buf; }
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// On Linux the headset's periods do not call into Go on the device's
// thread. A Go callback entered from a C thread costs the runtime a
// scheduler hand-over and wakes its monitor thread, which then polls every
// 20 µs while the callback runs; a call's 20 ms clock did that 100 times a
// second (BenchmarkVoice). The bridge instead swaps miniaudio's data
// callback for a C one that moves samples through a ring in C memory and
// wakes one goroutine through an eventfd, which the Go poller waits on. The
// goroutine calls the stream's callback as the device's thread did: with
// each capture period's samples, or with the playback period the device's
// callback is waiting for (a futex, bounded at 8 ms).
//
// The earpiece's period is usually in the ring before the device asks:
// the call clock, which has just queued the next 20 ms (Sound.WriteFrame),
// fills it on its own goroutine (prefill) when the ring is empty, so no
// goroutine is woken for it. That is the audio the device's callback would
// have taken a moment later, since nothing is queued for the earpiece
// between two ticks: it adds no delay. The ring never holds more than one
// period.
//
// malgo gives no way to install a C data callback, so the bridge writes
// the callback into miniaudio's device struct. It does so only after
// checking that the struct starts as miniaudio v0.11's does for this very
// device; otherwise the device keeps malgo's Go callback
// (TestBridge_AttachesToMalgoDevices fails on a malgo whose layout moved).

const bridgeSize = 2048 // samples: 256 ms at 8 kHz, a power of two

// bridge is one device's C ring and the goroutine on its Go side.
type bridge struct {
	c    *C.ad_bridge
	buf  []int16
	f    *os.File
	rc   syscall.RawConn
	kind Kind
	cb   func([]int16)
	tmp  []int16

	closing atomic.Bool
	done    chan struct{}

	// mu makes the playback side's two fillers (run's fill and prefill)
	// one producer, and keeps prefill off a released ring.
	mu       sync.Mutex
	released bool
}

// errNoBridge: the device keeps malgo's callback.
var errNoBridge = errors.New("audio: the device's periods stay on malgo's callback")

// attachBridge moves dev's periods to a bridge that calls cb with each
// capture period, or fills playback periods through cb. Call it after
// InitDevice and before Start.
func attachBridge(ctx *malgo.AllocatedContext, dev *malgo.Device, k Kind, cb func([]int16)) (*bridge, error) {
	if unsafe.Sizeof(malgo.Device{}) != unsafe.Sizeof(uintptr(0)) || unsafe.Sizeof(malgo.Context{}) != unsafe.Sizeof(uintptr(0)) {
		return nil, fmt.Errorf("%w: malgo's Device is not a single pointer", errNoBridge)
	}
	// Both hold just a pointer to the C pointer.
	pDev := **(**unsafe.Pointer)(unsafe.Pointer(dev))
	pCtx := **(**unsafe.Pointer)(unsafe.Pointer(&ctx.Context))
	typ := C.int(1) // ma_device_type_playback
	if k == Capture {
		typ = 2 // ma_device_type_capture
	}
	c := C.ad_attach(pDev, pCtx, typ, C.uint32_t(Rate), bridgeSize)
	if c == nil {
		return nil, fmt.Errorf("%w: miniaudio's device struct is not laid out as v0.11's", errNoBridge)
	}
	b := &bridge{c: c, kind: k, cb: cb, done: make(chan struct{}),
		buf: unsafe.Slice((*int16)(unsafe.Pointer(C.ad_buf(c))), bridgeSize), tmp: make([]int16, bridgeSize)}
	f := os.NewFile(uintptr(c.fd), "audio-bridge")
	rc, err := f.SyscallConn()
	if err != nil {
		// Not started yet: the device goes back to malgo's callback.
		_ = f.Close()
		c.fd = -1
		C.ad_detach(pDev, c)
		return nil, fmt.Errorf("%w: %v", errNoBridge, err)
	}
	b.f = f
	b.rc = rc
	go b.run()
	return b, nil
}

func (b *bridge) w() *uint64 { return (*uint64)(unsafe.Pointer(&b.c.w)) }
func (b *bridge) r() *uint64 { return (*uint64)(unsafe.Pointer(&b.c.r)) }

// wait blocks until the device's thread has been through a period (or
// close woke it); false once the bridge is closing. The read is a raw
// system call: the runtime's syscall bookkeeping would wake its monitor
// thread, which is what the bridge is for avoiding.
func (b *bridge) wait() bool {
	var n [8]byte
	_ = b.rc.Read(func(fd uintptr) bool {
		_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&n[0])), uintptr(len(n)))
		return e != syscall.EAGAIN
	})
	return !b.closing.Load()
}

func (b *bridge) run() {
	defer close(b.done)
	for b.wait() {
		if b.kind == Capture {
			b.drain()
		} else {
			b.fill()
		}
	}
}

// drain hands what the microphone captured to the callback.
func (b *bridge) drain() {
	r := atomic.LoadUint64(b.r())
	w := atomic.LoadUint64(b.w())
	n := int(w - r)
	if n == 0 {
		return
	}
	for i := range n {
		b.tmp[i] = b.buf[(r+uint64(i))&(bridgeSize-1)]
	}
	atomic.StoreUint64(b.r(), w)
	b.cb(b.tmp[:n])
}

// fill gives the earpiece's waiting callback the rest of the period it
// asked for.
func (b *bridge) fill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(int(atomic.LoadUint32((*uint32)(unsafe.Pointer(&b.c.asked)))), bridgeSize)
	have := int(atomic.LoadUint64(b.w()) - atomic.LoadUint64(b.r()))
	if n == 0 || have >= n {
		return // already filled: this wake-up was for a period done
	}
	b.put(n - have)
	seq := (*uint32)(unsafe.Pointer(&b.c.seq))
	atomic.AddUint32(seq, 1)
	// FUTEX_WAKE_PRIVATE, raw for the reason wait gives.
	_, _, _ = syscall.RawSyscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(seq)), 1|128, 1, 0, 0, 0)
}

// prefill fills the earpiece's next period now, on the caller's goroutine,
// if the ring is empty; the device's callback then takes it without a
// wake-up. Nothing before the device's first period (its size is unknown
// until then).
func (b *bridge) prefill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released || b.kind != Playback || b.closing.Load() {
		return
	}
	n := min(int(atomic.LoadUint32((*uint32)(unsafe.Pointer(&b.c.asked)))), bridgeSize)
	if n == 0 || atomic.LoadUint64(b.w()) != atomic.LoadUint64(b.r()) {
		return
	}
	b.put(n)
}

// put appends n samples from the callback to the ring; b.mu held.
func (b *bridge) put(n int) {
	w := atomic.LoadUint64(b.w())
	p := b.tmp[:n]
	b.cb(p)
	for i, x := range p {
		b.buf[(w+uint64(i))&(bridgeSize-1)] = x
	}
	atomic.StoreUint64(b.w(), w+uint64(n))
}

// stop ends the goroutine; the device's thread may still call ad_on_data.
func (b *bridge) stop() {
	if b.closing.Swap(true) {
		return
	}
	one := uint64(1)
	_ = b.rc.Write(func(fd uintptr) bool {
		_, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&one)), 8)
		return e != syscall.EAGAIN
	})
	<-b.done
}

// release ends the goroutine and frees the ring; only once the device's
// thread has ended (a device whose thread never ends keeps its ring).
func (b *bridge) release() {
	b.stop()
	b.mu.Lock()
	b.released = true
	b.mu.Unlock()
	_ = b.f.Close()
	C.free(unsafe.Pointer(b.c))
}
