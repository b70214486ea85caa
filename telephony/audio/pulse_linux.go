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
// request size (minreq) set to half the stream's target length: any more
// and the server doubles the target length, and miniaudio its period.
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
// the context's allocation. 0: done; -1: libpulse is not loaded; -2: no
// such slot.
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
	"fmt"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// PulseAudio asks a playback stream for more audio whenever minreq bytes
// of its buffer are free. miniaudio leaves minreq to the server, which
// makes it a quarter of the target length: with the desk's 20 ms period
// the earpiece's thread woke every 5 ms, and on a sound server running
// short blocks (the test rig's) more often, for a quarter period each
// time. tunePlayback makes the server ask twice a period, by giving the
// context's playback streams half a period as minreq: on the rig the
// earpiece's switches fell from 616/s to 419/s, and its server-side
// buffer went from about 14 ms to 16 ms (BenchmarkDeviceWakeups,
// TestPulse_PlaybackAsksTwicePerPeriod).
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
		return fmt.Errorf("libpulse is not loaded")
	default:
		return fmt.Errorf("no pa_stream_connect_playback pointer in miniaudio's context")
	}
}
