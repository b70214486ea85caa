package upstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// wavFile is a WAV file: a fmt chunk of encoding, channels, rate and bits,
// extra chunks before the samples, and data of n bytes.
func wavFile(encoding uint16, channels, rate, bits int, extra []byte, n int) []byte {
	var b bytes.Buffer
	fmtChunk := make([]byte, 16)
	binary.LittleEndian.PutUint16(fmtChunk[0:], encoding)
	binary.LittleEndian.PutUint16(fmtChunk[2:], uint16(channels))
	binary.LittleEndian.PutUint32(fmtChunk[4:], uint32(rate))
	binary.LittleEndian.PutUint32(fmtChunk[8:], uint32(rate*channels*bits/8))
	binary.LittleEndian.PutUint16(fmtChunk[12:], uint16(channels*bits/8))
	binary.LittleEndian.PutUint16(fmtChunk[14:], uint16(bits))
	body := []byte("WAVEfmt ")
	body = binary.LittleEndian.AppendUint32(body, 16)
	body = append(body, fmtChunk...)
	body = append(body, extra...)
	body = append(body, "data"...)
	body = binary.LittleEndian.AppendUint32(body, uint32(n))
	for i := range n {
		body = append(body, byte(i*7))
	}
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(len(body)))
	b.Write(body)
	return b.Bytes()
}

func TestWAVReader(t *testing.T) {
	list := append([]byte("LIST"), 5, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0) // odd size, padded
	good := wavFile(WAVPCM, 2, 8000, 16, nil, 32000)
	for _, tt := range []struct {
		name    string
		in      []byte
		ok      bool
		seconds Seconds
	}{
		{"stereo 8 kHz PCM", good, true, 1},
		{"mono A-law with a LIST chunk", wavFile(WAVALaw, 1, 8000, 8, list, 4000), true, 0.5},
		{"mono µ-law, no samples", wavFile(WAVULaw, 1, 8000, 8, nil, 0), true, 0},
		{"48 kHz 24-bit", wavFile(WAVPCM, 1, 48000, 24, nil, 144000), true, 1},
		{"cut short", good[:len(good)-1], false, 0},
		{"cut in the header", good[:20], false, 0},
		{"bytes after its end", append(bytes.Clone(good), 0, 0), false, 0},
		{"empty", nil, false, 0},
		{"not RIFF", []byte("ID3\x04 some mp3 file, not a recording at all"), false, 0},
		{"RIFF but not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), make([]byte, 40)...), false, 0},
		{"three channels", wavFile(WAVPCM, 3, 8000, 16, nil, 48), false, 0},
		{"4 kHz", wavFile(WAVPCM, 1, 4000, 16, nil, 8), false, 0},
		{"12-bit PCM", wavFile(WAVPCM, 1, 8000, 12, nil, 8), false, 0},
		{"16-bit A-law", wavFile(WAVALaw, 1, 8000, 16, nil, 8), false, 0},
		{"float", wavFile(3, 1, 8000, 32, nil, 8), false, 0},
		{"samples before the format", append([]byte("RIFF\x14\x00\x00\x00WAVEdata\x08\x00\x00\x00"), make([]byte, 8)...), false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Byte by byte too: the header may arrive in pieces.
			for _, r := range []io.Reader{bytes.NewReader(tt.in), iotest.OneByteReader(bytes.NewReader(tt.in)), iotest.DataErrReader(bytes.NewReader(tt.in))} {
				w := NewWAVReader(r)
				out, err := io.ReadAll(w)
				if tt.ok {
					f, ready := w.Format()
					if err != nil || !bytes.Equal(out, tt.in) || !ready || f.Seconds() != tt.seconds {
						t.Errorf("read %d of %d bytes, format %+v (%v, %gs), %v", len(out), len(tt.in), f, ready, f.Seconds(), err)
					}
					continue
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("read %d bytes, err %v; want ErrInvalid", len(out), err)
				}
			}
		})
	}
}

func TestMonitorRules(t *testing.T) {
	for _, m := range []MonitorMode{MonitorListen, MonitorWhisper, MonitorBarge} {
		if !m.Valid() {
			t.Errorf("%s not valid", m)
		}
	}
	for _, m := range []MonitorMode{"", "Listen", "spy", "barge "} {
		if m.Valid() {
			t.Errorf("%q valid", m)
		}
	}
	for _, tt := range []struct {
		r  MonitorReport
		ok bool
	}{
		{MonitorReport{Kind: MonitorStarted}, true},
		{MonitorReport{Kind: MonitorStarted, Mode: MonitorBarge}, true},
		{MonitorReport{Kind: MonitorModed, Mode: MonitorWhisper}, true},
		{MonitorReport{Kind: MonitorEndedBy, Reason: "对方挂机"}, true},
		{MonitorReport{Kind: MonitorModed}, false},
		{MonitorReport{Kind: "joined"}, false},
		{MonitorReport{Kind: MonitorStarted, Mode: "spy"}, false},
		{MonitorReport{Kind: MonitorEndedBy, Reason: string(bytes.Repeat([]byte("x"), MaxMonitorReason+1))}, false},
		{MonitorReport{Kind: MonitorEndedBy, Reason: "a\x00b"}, false},
	} {
		if err := checkMonitorReport(tt.r); (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("check %+v = %v, want ok %v", tt.r, err, tt.ok)
		}
	}
	seen := map[Secret]bool{}
	for range 100 {
		tok, err := NewMonitorToken()
		if err != nil || len(tok) != 43 || seen[tok] || bytes.ContainsAny([]byte(tok), "+/=") {
			t.Fatalf("monitor token %q, %v", tok, err)
		}
		seen[tok] = true
	}
}
