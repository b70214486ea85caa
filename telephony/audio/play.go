package audio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync/atomic"
	"time"
)

// ErrNotWAV is the cause of PlayFile's error for a file that is not a
// 16-bit PCM WAV file.
var ErrNotWAV = errors.New("audio: not a 16-bit PCM WAV file")

// playQueue is how much decoded audio PlayWAV keeps ahead of the device.
const playQueue = Rate / 5

// PlayWAV plays a recording already read into wav (a sealed recording the
// desk opened in memory; name names it in errors and the log) on cfg's
// output device, the headset's earpiece: a 16-bit PCM WAV file, such as
// the desk's stereo call recordings (any rate and number of channels; the
// channels are mixed into the earpiece's one, so both sides of a call are
// heard), at cfg.Volume. It returns nil once the whole file has played,
// ctx.Err() when ctx ends first (the playing stops at once), or the
// device's *DeviceError. What is not such a WAV is an error naming it
// (errors.Is ErrNotWAV), and no device is opened. A recording whose
// header was never completed (a crash mid-call) plays up to where its
// data ends. WithBackend and WithLogger apply.
func PlayWAV(ctx context.Context, cfg Config, name string, wav []byte, opts ...Option) error {
	return play(ctx, cfg, name, bytes.NewReader(wav), int64(len(wav)), opts)
}

// play plays the WAV of total bytes read from r.
func play(ctx context.Context, cfg Config, path string, r io.Reader, total int64, opts []Option) error {
	s := &Sound{log: slog.Default(), stall: 2 * time.Second}
	for _, o := range opts {
		o(s)
	}
	src, err := openWAV(r, total)
	if err != nil {
		return fmt.Errorf("audio: play %s: %w", path, err)
	}
	be := s.be
	if be == nil {
		be = NewBackend(s.log)
		defer be.Close()
	}
	dev, err := Resolve(be, cfg, RoleOutput)
	if err != nil {
		return err
	}
	vol := cfg.Volume
	if vol <= 0 || vol > 1 {
		vol = 1
	}
	q := newRing(2*playQueue, 0)
	var played, lastCB atomic.Int64
	t0 := time.Now()
	st, err := openStarted(be, Playback, RoleOutput, cfg, dev, func(p []int16) {
		lastCB.Store(int64(time.Since(t0)))
		n := q.held()
		q.play(p)
		played.Add(int64(min(n, len(p))))
		scale(p, vol)
	})
	if err != nil {
		return err
	}
	defer st.Close()
	s.log.With("component", "audio").Info("playing file", "path", path, "device", dev.Name, "seconds", src.seconds())

	var written int64
	eof := false
	buf := make([]int16, 0, FrameSamples)
	tick := time.NewTicker(FrameDuration / 2)
	defer tick.Stop()
	for {
		for !eof && q.held() < playQueue {
			buf, err = src.next(buf[:0])
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return fmt.Errorf("audio: play %s: %w", path, err)
			}
			q.write(buf)
			written += int64(len(buf))
		}
		if eof && played.Load() >= written {
			// What the device took is still in its own two periods.
			t := time.NewTimer(2 * FrameDuration)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-st.Failed():
			return &DeviceError{Role: RoleOutput, Name: cfg.Output, Err: ErrDeviceFailed}
		case <-tick.C:
			if time.Since(t0)-time.Duration(lastCB.Load()) > s.stall {
				return &DeviceError{Role: RoleOutput, Name: cfg.Output, Err: fmt.Errorf("%w: no callback for %v", ErrDeviceFailed, s.stall)}
			}
		}
	}
}

// wavSource reads a 16-bit PCM WAV file's data as Rate Hz mono, a frame
// at a time.
type wavSource struct {
	r        *bufio.Reader
	channels int
	rate     int
	left     int64 // data bytes still to read; -1: up to the end of the file
	size     int64 // data bytes in all, -1 unknown
	raw      []byte
	mono     []int16
	rs       resampler
}

// openWAV reads the header up to the data chunk of a file of total bytes.
func openWAV(f io.Reader, total int64) (*wavSource, error) {
	r := bufio.NewReaderSize(f, 64<<10)
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[:4]) != "RIFF" || string(hdr[8:]) != "WAVE" {
		return nil, ErrNotWAV
	}
	w := &wavSource{r: r}
	pos := int64(12)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return nil, fmt.Errorf("%w: no data chunk", ErrNotWAV)
		}
		pos += 8
		id, size := string(ch[:4]), int64(binary.LittleEndian.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrNotWAV, size)
			}
			body := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, body); err != nil {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			pos += int64(len(body))
			format := binary.LittleEndian.Uint16(body)
			w.channels = int(binary.LittleEndian.Uint16(body[2:]))
			w.rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits := binary.LittleEndian.Uint16(body[14:])
			if format == 0xfffe && size >= 26 {
				format = binary.LittleEndian.Uint16(body[24:]) // WAVE_FORMAT_EXTENSIBLE's sub-format
			}
			if format != 1 || bits != 16 || w.channels < 1 || w.channels > 8 || w.rate < 1000 || w.rate > 384000 {
				return nil, fmt.Errorf("%w: format %d, %d bits, %d channels, %d Hz", ErrNotWAV, format, bits, w.channels, w.rate)
			}
		case "data":
			if w.channels == 0 {
				return nil, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			w.left, w.size = size, size
			// A header never completed says 0 (or more than there is).
			if rest := total - pos; size == 0 || size > rest {
				w.left, w.size = -1, rest
			}
			w.raw = make([]byte, 2*w.channels*max(1, w.rate/50))
			w.rs = resampler{step: float64(w.rate) / Rate}
			return w, nil
		default:
			if _, err := r.Discard(int(size + size%2)); err != nil {
				return nil, fmt.Errorf("%w: no data chunk", ErrNotWAV)
			}
			pos += size + size%2
		}
	}
}

func (w *wavSource) seconds() float64 {
	return float64(w.size) / float64(2*w.channels*w.rate)
}

// next appends about 20 ms of the file, mixed to mono at Rate, to out;
// io.EOF once the data is over.
func (w *wavSource) next(out []int16) ([]int16, error) {
	want := len(w.raw)
	if w.left >= 0 {
		want = int(min(int64(want), w.left))
	}
	want -= want % (2 * w.channels)
	if want == 0 {
		return out, io.EOF
	}
	n, err := io.ReadFull(w.r, w.raw[:want])
	n -= n % (2 * w.channels)
	if w.left >= 0 {
		w.left -= int64(n)
	}
	w.mono = w.mono[:0]
	for i := 0; i+2*w.channels <= n; i += 2 * w.channels {
		var sum int32
		for c := range w.channels {
			sum += int32(int16(binary.LittleEndian.Uint16(w.raw[i+2*c:])))
		}
		// The channels are different voices (caller, agent): summed, so
		// each keeps its level, and clipped where both speak at once.
		w.mono = append(w.mono, int16(max(math.MinInt16, min(math.MaxInt16, sum))))
	}
	out = w.rs.push(w.mono, out)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return out, io.EOF
	case err != nil:
		return out, err
	}
	return out, nil
}

// resampler turns a stream at some rate into Rate Hz by linear
// interpolation, across calls. There is no anti-alias filter: the desk's
// own recordings are at Rate already, and a file at a higher rate plays
// with what lay above 4 kHz folded down, which speech hardly has.
type resampler struct {
	step float64 // input samples per output sample
	pos  float64 // where the next output sample lies, from the previous input sample (-1) on
	prev int16
}

// push appends the samples of in at Rate to out.
func (r *resampler) push(in, out []int16) []int16 {
	if r.step == 1 {
		return append(out, in...)
	}
	n := len(in)
	if n == 0 {
		return out
	}
	at := func(j int) float64 {
		if j < 0 {
			return float64(r.prev)
		}
		return float64(in[j])
	}
	for r.pos <= float64(n-1) {
		j := int(math.Floor(r.pos))
		f := r.pos - float64(j)
		v := at(j)
		if f > 0 {
			v += (at(j+1) - v) * f
		}
		out = append(out, int16(v))
		r.pos += r.step
	}
	r.pos -= float64(n)
	r.prev = in[n-1]
	return out
}
