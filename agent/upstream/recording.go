package upstream

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Recordings on the hub. A desk's recording record (agent.Recording, kind
// recording) syncs through the outbox like any record; its audio follows
// with PUT /v1/recordings/{id}/audio from the desk that owns the record:
// a WAV file (RIFF/WAVE, PCM or G.711, checked as it streams in: a body
// that is no such file, or whose length is not the one its header says,
// is refused and nothing is kept) of at most MaxRecordingBytes. Only
// supervisors fetch it (GET /v1/recordings/{id}/audio); every fetch is
// audited before a byte is sent, and every other role is refused 403 and
// the refusal audited. The hub deletes audio older than the center's
// recording_retention_days (default 90).

// MaxRecordingBytes bounds one recording's audio: over four hours of the
// desk's stereo 8 kHz 16-bit PCM.
const MaxRecordingBytes = 512 << 20

// maxWAVHeader bounds the chunks a WAV file may hold before its samples.
const maxWAVHeader = 64 << 10

// RecordingAudio describes a recording's audio on the hub: whose
// recording (ID, the desk that recorded it, its call), how big, its
// SHA-256 in hex, its format, how long it plays, when it was uploaded
// (hub clock) and by whom.
type RecordingAudio struct {
	ID         string    `json:"id"`
	Desk       string    `json:"desk"`
	CallID     string    `json:"call_id,omitempty"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Format     WAVFormat `json:"format"`
	Seconds    Seconds   `json:"seconds"`
	Uploaded   time.Time `json:"uploaded"`
	UploadedBy string    `json:"uploaded_by"`
}

// WAVFormat is what a WAV file's fmt chunk says: the sample encoding
// (WAVPCM, WAVALaw, WAVULaw), channels, sample rate and bits per sample,
// and how many bytes of samples its data chunk holds.
type WAVFormat struct {
	Encoding   uint16 `json:"encoding"`
	Channels   int    `json:"channels"`
	SampleRate int    `json:"sample_rate"`
	Bits       int    `json:"bits"`
	DataBytes  int64  `json:"data_bytes"`
}

// The WAV sample encodings a recording may use.
const (
	WAVPCM  = 1
	WAVALaw = 6
	WAVULaw = 7
)

// Seconds is how long the samples play.
func (f WAVFormat) Seconds() Seconds {
	per := int64(f.Channels) * int64(f.SampleRate) * int64(f.Bits) / 8
	if per <= 0 {
		return 0
	}
	return Seconds(float64(f.DataBytes) / float64(per))
}

// WAVReader passes a WAV stream through while checking it: the RIFF/WAVE
// header and its fmt chunk (PCM 8/16/24/32-bit or G.711, 1 or 2
// channels, 8 to 48 kHz) before the first byte of samples, and at the end
// that the stream is as long as its RIFF header says (a file cut short or
// with bytes after is refused). Its reads fail with an error matching
// ErrInvalid at the first problem; Format is known once Read has passed
// the header.
type WAVReader struct {
	r      io.Reader
	head   []byte // bytes kept until the header is whole
	out    []byte // header bytes checked, not yet handed out
	format WAVFormat
	ready  bool
	total  int64 // bytes the RIFF header says the file holds
	seen   int64
	err    error
}

// NewWAVReader checks the WAV stream r as it is read.
func NewWAVReader(r io.Reader) *WAVReader { return &WAVReader{r: r} }

// Format is the stream's format once its header was read (ok false
// before).
func (w *WAVReader) Format() (WAVFormat, bool) { return w.format, w.ready }

// Read reads checked bytes.
func (w *WAVReader) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	for !w.ready {
		buf := make([]byte, 4096)
		n, err := w.r.Read(buf)
		w.head = append(w.head, buf[:n]...)
		done, cerr := w.parse()
		if cerr != nil {
			w.err = cerr
			return 0, cerr
		}
		if done {
			w.ready, w.out, w.seen = true, w.head, int64(len(w.head))
			w.head = nil
			if w.seen > w.total {
				w.err = fmt.Errorf("%w: WAV file longer than its header says (%d bytes)", ErrInvalid, w.total)
				return 0, w.err
			}
			break
		}
		if err == io.EOF {
			w.err = fmt.Errorf("%w: not a WAV file: it ends inside its header (%d bytes)", ErrInvalid, len(w.head))
			return 0, w.err
		}
		if err != nil {
			w.err = err
			return 0, err
		}
		if len(w.head) > maxWAVHeader {
			w.err = fmt.Errorf("%w: WAV file without samples in its first %d bytes", ErrInvalid, maxWAVHeader)
			return 0, w.err
		}
	}
	if len(w.out) > 0 {
		n := copy(p, w.out)
		w.out = w.out[n:]
		return n, nil
	}
	n, err := w.r.Read(p)
	w.seen += int64(n)
	if w.seen > w.total {
		w.err = fmt.Errorf("%w: WAV file longer than its header says (%d bytes)", ErrInvalid, w.total)
		return 0, w.err
	}
	if err == io.EOF && w.seen < w.total {
		w.err = fmt.Errorf("%w: WAV file cut short: %d of %d bytes", ErrInvalid, w.seen, w.total)
		return n, w.err
	}
	if err != nil {
		w.err = err
	}
	return n, err
}

// parse checks w.head: done once the data chunk's header is in.
func (w *WAVReader) parse() (bool, error) {
	h := w.head
	if len(h) < 12 {
		if len(h) >= 4 && !bytes.Equal(h[:4], []byte("RIFF")) {
			return false, fmt.Errorf("%w: not a WAV file (no RIFF header)", ErrInvalid)
		}
		return false, nil
	}
	if !bytes.Equal(h[:4], []byte("RIFF")) || !bytes.Equal(h[8:12], []byte("WAVE")) {
		return false, fmt.Errorf("%w: not a WAV file (no RIFF/WAVE header)", ErrInvalid)
	}
	w.total = int64(binary.LittleEndian.Uint32(h[4:8])) + 8
	haveFmt := false
	for off := 12; ; {
		if len(h) < off+8 {
			return false, nil
		}
		id, size := string(h[off:off+4]), int64(binary.LittleEndian.Uint32(h[off+4:off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if len(h) < body+16 {
				return false, nil
			}
			if size < 16 {
				return false, fmt.Errorf("%w: WAV fmt chunk of %d bytes", ErrInvalid, size)
			}
			f := h[body:]
			w.format = WAVFormat{Encoding: binary.LittleEndian.Uint16(f[0:2]), Channels: int(binary.LittleEndian.Uint16(f[2:4])),
				SampleRate: int(binary.LittleEndian.Uint32(f[4:8])), Bits: int(binary.LittleEndian.Uint16(f[14:16]))}
			if err := w.format.check(); err != nil {
				return false, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return false, fmt.Errorf("%w: WAV samples before their format", ErrInvalid)
			}
			w.format.DataBytes = size
			if int64(body)+size > w.total {
				return false, fmt.Errorf("%w: WAV data chunk of %d bytes overruns the file's %d", ErrInvalid, size, w.total)
			}
			return true, nil
		}
		next := int64(body) + size + size%2 // chunks are padded to even sizes
		if next > int64(maxWAVHeader) {
			return false, fmt.Errorf("%w: WAV file without samples in its first %d bytes", ErrInvalid, maxWAVHeader)
		}
		off = int(next)
	}
}

func (f WAVFormat) check() error {
	switch {
	case f.Encoding == WAVPCM && (f.Bits == 8 || f.Bits == 16 || f.Bits == 24 || f.Bits == 32):
	case (f.Encoding == WAVALaw || f.Encoding == WAVULaw) && f.Bits == 8:
	default:
		return fmt.Errorf("%w: WAV encoding %d with %d bits is not a recording's (PCM or G.711)", ErrInvalid, f.Encoding, f.Bits)
	}
	if f.Channels < 1 || f.Channels > 2 {
		return fmt.Errorf("%w: WAV with %d channels (1 or 2)", ErrInvalid, f.Channels)
	}
	if f.SampleRate < 8000 || f.SampleRate > 48000 {
		return fmt.Errorf("%w: WAV at %d Hz (8000 to 48000)", ErrInvalid, f.SampleRate)
	}
	return nil
}
