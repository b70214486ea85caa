package telephony

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Recording is a finished recording of a call: a stereo WAV file (16-bit
// PCM at 8 kHz; left: the caller as the agent heard them, right: the agent
// as the caller heard them), mode 0600.
type Recording struct {
	CallID string
	// Path is the file.
	Path string
	// Started is when the call was answered and recording began.
	Started time.Time
	// Duration is the length of the recording, paused stretches included.
	Duration time.Duration
	// Paused is how much of Duration was paused (silent on both channels).
	Paused time.Duration
	// Channels is 2.
	Channels int
}

// Errors of recordings.
var (
	// ErrNotRecording is returned by PauseRecording and ResumeRecording
	// when the call is not being recorded (no recordings folder, not yet
	// answered, or the recording already failed).
	ErrNotRecording = errors.New("telephony: call is not being recorded")
	// ErrRecordingBehind is the cause of a recording stopped because the
	// disk could not keep up (more than recordBacklog unwritten).
	ErrRecordingBehind = errors.New("telephony: recording fell behind the disk")
)

const (
	recordBacklog = 250 // frames (5 s) that may wait for the disk
	// recordBatch frames (200 ms) go to the writer at a time: waking a
	// goroutine on every 20 ms tick costs more CPU than the writing.
	recordBatch   = 10
	wavHeaderSize = 44
)

// recorder writes one call's recording from the call clock without ever
// blocking it: frames gather into batches that go through a queue to a
// writer goroutine, into a
// hidden temporary file in the same folder that is renamed when complete.
// When the disk fails or falls behind, the recording stops (the temporary
// file is removed) and onFail says why; the call goes on.
type recorder struct {
	callID  string
	started time.Time
	final   string
	tmp     string
	f       *os.File
	w       *bufio.Writer

	frames  chan []int16 // batches of interleaved frames
	batch   []int16      // the batch being gathered, under mu
	paused  atomic.Bool
	failed  atomic.Bool
	samples atomic.Int64 // per channel, written or queued
	pausedN atomic.Int64
	onFail  func(error)
	once    sync.Once
	done    chan struct{}
	err     error // the writer's error, valid after done
	gone    bool  // the writer removed the temporary file after a failure

	mu     sync.Mutex // orders the clock's last frame and finish
	closed bool
}

// startRecording creates the temporary file for callID in dir.
func startRecording(dir, callID string, at time.Time, onFail func(error)) (*recorder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("telephony: recordings folder %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(callID))
	name := fmt.Sprintf("call-%s-%s.wav", at.UTC().Format("20060102T150405Z"), hex.EncodeToString(sum[:6]))
	r := &recorder{
		callID:  callID,
		started: at,
		final:   filepath.Join(dir, name),
		tmp:     filepath.Join(dir, "."+name+".part"),
		frames:  make(chan []int16, recordBacklog/recordBatch),
		onFail:  onFail,
		done:    make(chan struct{}),
	}
	f, err := os.OpenFile(r.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("telephony: start recording %s: %w", r.tmp, err)
	}
	r.f, r.w = f, bufio.NewWriterSize(f, 64<<10)
	if _, err := r.w.Write(wavHeader(0)); err != nil {
		_ = f.Close()
		_ = os.Remove(r.tmp)
		return nil, fmt.Errorf("telephony: start recording %s: %w", r.tmp, err)
	}
	go r.write()
	return r, nil
}

// frame queues 20 ms of both sides; when paused, both are silent.
func (r *recorder) frame(caller, agent []int16) {
	if r.failed.Load() {
		return
	}
	n := min(len(caller), len(agent))
	paused := r.paused.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return // the call ended while the clock was mid-tick
	}
	if r.batch == nil {
		r.batch = make([]int16, 0, 2*rtpSamples*recordBatch)
	}
	at := len(r.batch)
	r.batch = append(r.batch, make([]int16, 2*n)...)
	if paused {
		r.pausedN.Add(int64(n))
	} else {
		buf := r.batch[at:]
		for i := range n {
			buf[2*i], buf[2*i+1] = caller[i], agent[i]
		}
	}
	r.samples.Add(int64(n))
	if len(r.batch) >= 2*rtpSamples*recordBatch {
		r.sendLocked()
	}
}

// sendLocked hands the gathered batch to the writer; r.mu held.
func (r *recorder) sendLocked() {
	if len(r.batch) == 0 {
		return
	}
	select {
	case r.frames <- r.batch:
	default:
		r.fail(ErrRecordingBehind)
	}
	r.batch = nil
}

func (r *recorder) fail(err error) {
	r.once.Do(func() {
		r.failed.Store(true)
		if r.onFail != nil {
			r.onFail(err)
		}
	})
}

// write drains the queue into the file until finish closes it.
func (r *recorder) write() {
	defer close(r.done)
	var b []byte
	for fr := range r.frames {
		if r.failed.Load() {
			r.discard()
			continue
		}
		b = b[:0]
		for _, s := range fr {
			b = binary.LittleEndian.AppendUint16(b, uint16(s))
		}
		if _, err := r.w.Write(b); err != nil {
			r.err = err
			r.fail(fmt.Errorf("telephony: write recording %s: %w", r.tmp, err))
			r.discard()
		}
	}
	if r.failed.Load() {
		r.discard()
	}
}

// discard drops the temporary file of a failed recording, at once rather
// than at the end of the call.
func (r *recorder) discard() {
	if r.gone {
		return
	}
	r.gone = true
	_ = r.f.Close()
	_ = os.Remove(r.tmp)
}

// finish ends the recording: the queue is written out, the WAV header
// completed, the file synced and renamed to its final name. It returns the
// recording, or the error that stopped it (the temporary file is gone then).
func (r *recorder) finish() (Recording, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return Recording{}, ErrNotRecording
	}
	r.closed = true
	r.sendLocked()
	close(r.frames)
	r.mu.Unlock()
	<-r.done
	rec := Recording{
		CallID: r.callID, Path: r.final, Started: r.started, Channels: 2,
		Duration: time.Duration(r.samples.Load()) * time.Second / 8000,
		Paused:   time.Duration(r.pausedN.Load()) * time.Second / 8000,
	}
	err := r.err
	if err == nil && r.failed.Load() {
		err = ErrRecordingBehind
	}
	if err == nil {
		err = r.complete()
	}
	if err != nil {
		r.discard()
		return Recording{}, err
	}
	return rec, nil
}

// complete flushes, writes the final sizes into the header, syncs and
// renames.
func (r *recorder) complete() error {
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("telephony: write recording %s: %w", r.tmp, err)
	}
	data := r.samples.Load() * 4
	if _, err := r.f.WriteAt(wavHeader(data), 0); err != nil {
		return fmt.Errorf("telephony: write recording %s: %w", r.tmp, err)
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("telephony: sync recording %s: %w", r.tmp, err)
	}
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("telephony: close recording %s: %w", r.tmp, err)
	}
	if err := os.Rename(r.tmp, r.final); err != nil {
		return fmt.Errorf("telephony: finish recording %s: %w", r.final, err)
	}
	if d, err := os.Open(filepath.Dir(r.final)); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		_ = d.Close()
	}
	return nil
}

// wavHeader is the 44-byte header of a stereo 16-bit 8 kHz PCM WAV file
// holding dataBytes of samples.
func wavHeader(dataBytes int64) []byte {
	const channels, rate, bits = 2, 8000, 16
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+dataBytes))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, channels)
	h = binary.LittleEndian.AppendUint32(h, rate)
	h = binary.LittleEndian.AppendUint32(h, rate*channels*bits/8)
	h = binary.LittleEndian.AppendUint16(h, channels*bits/8)
	h = binary.LittleEndian.AppendUint16(h, bits)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(dataBytes))
	return h
}
