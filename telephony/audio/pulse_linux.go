package audio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <malloc.h>
#include <stdint.h>
#include <stddef.h>

// pa_buffer_attr, as libpulse defines it.
typedef struct { uint32_t maxlength, tlength, prebuf, minreq, fragsize; } ad_pa_buffer_attr;
typedef int (*ad_connect_playback_fn)(void*, const char*, const ad_pa_buffer_attr*, int, const void*, void*);

static ad_connect_playback_fn ad_pa_connect_playback;

// ad_connect_playback is libpulse's pa_stream_connect_playback with the
// request size (minreq) 8 bytes under half the stream's target length:
// the server keeps the target at least two requests and 8 bytes long, so
// any more and it doubles the target, and miniaudio its period.
static int ad_connect_playback(void* s, const char* dev, const ad_pa_buffer_attr* attr, int flags, const void* vol, void* sync) {
	ad_pa_buffer_attr a;
	if (attr == NULL) {
		return ad_pa_connect_playback(s, dev, attr, flags, vol, sync);
	}
	a = *attr;
	a.minreq = a.tlength / 2 - 8;
	return ad_pa_connect_playback(s, dev, &a, flags, vol, sync);
}

// ad_tune_pulse finds, in the miniaudio context at pContext (PulseAudio
// backend), its pointer to libpulse's pa_stream_connect_playback, known by
// its value and by its neighbours' (miniaudio loads pa_stream_unref,
// pa_stream_connect_playback and pa_stream_connect_record one after the
// other), and points it at ad_connect_playback. It reads no further than
// the context's allocation. 0: done; -1: libpulse or one of the three
// is not loaded; -2: no such slot.
static int ad_tune_pulse(void* pContext) {
	void *h, *unref, *conn, *rec;
	void** p = pContext;
	size_t n, i;
	h = dlopen("libpulse.so.0", RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL) {
		return -1;
	}
	unref = dlsym(h, "pa_stream_unref");
	conn = dlsym(h, "pa_stream_connect_playback");
	rec = dlsym(h, "pa_stream_connect_record");
	dlclose(h); // libpulse stays loaded: miniaudio holds it
	if (unref == NULL || conn == NULL || rec == NULL) {
		return -1;
	}
	n = malloc_usable_size(pContext) / sizeof(void*);
	for (i = 1; i + 1 < n; i++) {
		if (p[i] == conn && p[i - 1] == unref && p[i + 1] == rec) {
			__atomic_store_n(&ad_pa_connect_playback, (ad_connect_playback_fn)conn, __ATOMIC_RELEASE);
			p[i] = (void*)ad_connect_playback;
			return 0;
		}
	}
	return -2;
}
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// PulseAudio asks a playback stream for more audio whenever minreq bytes
// of its buffer are free. miniaudio leaves minreq to the server, which
// makes it a quarter of the target length: with the desk's 20 ms period
// the earpiece's thread woke every 5 ms, and on a sound server running
// short blocks (the test rig's) more often, for a quarter period each
// time. tunePlayback makes the server ask twice a period, by giving the
// context's playback streams just under half a period as minreq, for a
// server-side buffer about 2 ms longer (the README has the figures of
// BenchmarkDeviceWakeups; TestPulse_PlaybackAsksTwicePerPeriod checks
// what the server granted).
//
// miniaudio offers no setting for it, so tunePlayback rewrites the
// context's pointer to libpulse's connect function, found by its value;
// without such a pointer the context stays as it is.
func tunePlayback(ctx *malgo.AllocatedContext, be malgo.Backend) error {
	if be != malgo.BackendPulseaudio {
		return nil
	}
	pCtx := **(**unsafe.Pointer)(unsafe.Pointer(&ctx.Context))
	switch C.ad_tune_pulse(pCtx) {
	case 0:
		return nil
	case -1:
		return errors.New("libpulse or its stream functions are not loaded")
	default:
		return errors.New("no pa_stream_connect_playback pointer in miniaudio's context")
	}
}
