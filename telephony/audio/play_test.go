package audio_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// writeWAV writes a 16-bit PCM WAV file of channels (one slice each, of
// equal length) at rate; dataSize < 0 writes the real size, else that.
func writeWAV(t *testing.T, rate int, dataSize int, channels ...[]int16) string {
	t.Helper()
	n, nch := len(channels[0]), len(channels)
	data := make([]byte, 0, 2*n*nch)
	for i := range n {
		for _, c := range channels {
			data = binary.LittleEndian.AppendUint16(data, uint16(c[i]))
		}
	}
	size := len(data)
	if dataSize >= 0 {
		size = dataSize
	}
	h := []byte("RIFF")
	h = binary.LittleEndian.AppendUint32(h, uint32(36+size))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1)
	h = binary.LittleEndian.AppendUint16(h, uint16(nch))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate))
	h = binary.LittleEndian.AppendUint32(h, uint32(rate*nch*2))
	h = binary.LittleEndian.AppendUint16(h, uint16(nch*2))
	h = binary.LittleEndian.AppendUint16(h, 16)
	h = append(h, "LIST"...) // a chunk to skip, as many writers add
	h = binary.LittleEndian.AppendUint32(h, 4)
	h = append(h, "INFO"...)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(size))
	path := filepath.Join(t.TempDir(), "rec.wav")
	if err := os.WriteFile(path, append(h, data...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tone(n int, freq float64) []int16 {
	s := make([]int16, n)
	audio.Tone(s, freq, 0.3, 0)
	return s
}

// TestPlayFile_StereoRecording: a call recording (caller left, agent
// right) plays whole on the earpiece, both sides heard, in order.
func TestPlayFile_StereoRecording(t *testing.T) {
	half := audio.Rate / 2
	left := append(tone(half, 440), make([]int16, half)...)
	right := append(make([]int16, half), tone(half, 1000)...)
	path := writeWAV(t, audio.Rate, -1, left, right)
	be := audiotest.New()
	start := time.Now()
	if err := playFile(context.Background(), audio.Config{}, path, audio.WithBackend(be), audio.WithLogger(quiet())); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	got := nonSilent(be.Played("earpiece"))
	if d := len(got) - audio.Rate; d < -audio.Rate/50 || d > audio.Rate/50 {
		t.Errorf("played %d samples of the 1 s file", len(got))
	}
	if len(got) < audio.Rate*9/10 {
		t.FailNow()
	}
	if s := audio.ToneShare(got[audio.Rate/20:half-audio.Rate/20], audio.Rate, 440); s < 0.9 {
		t.Errorf("first half (the caller) share of 440 Hz %.2f", s)
	}
	if s := audio.ToneShare(got[half+audio.Rate/20:audio.Rate*9/10], audio.Rate, 1000); s < 0.9 {
		t.Errorf("second half (the agent) share of 1000 Hz %.2f", s)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("a 1 s file took %v to play", took)
	}
	if be.Running("earpiece") != 0 {
		t.Error("the earpiece is still open")
	}
}

// TestPlayFile_OtherRates: a mono file at 16 kHz plays at the right pitch
// and length, at the configured volume.
func TestPlayFile_OtherRates(t *testing.T) {
	s := make([]int16, 16000/2)
	audio.Tone(s, 300, 0.6, 0) // Tone runs at 8 kHz: 300 Hz there is 600 Hz at 16 kHz
	path := writeWAV(t, 16000, -1, s)
	be := audiotest.New()
	if err := playFile(context.Background(), audio.Config{Volume: 0.5}, path, audio.WithBackend(be), audio.WithLogger(quiet())); err != nil {
		t.Fatal(err)
	}
	got := nonSilent(be.Played("earpiece"))
	if d := len(got) - audio.Rate/2; d < -audio.Rate/50 || d > audio.Rate/50 {
		t.Errorf("played %d samples of a 0.5 s file", len(got))
	}
	if sh := audio.ToneShare(got, audio.Rate, 600); sh < 0.9 {
		t.Errorf("share of 600 Hz %.2f", sh)
	}
	if rms := audio.RMS(got); rms < 0.19 || rms > 0.23 {
		t.Errorf("rms %.3f at half volume of a 0.6 tone, want about 0.21", rms)
	}
}

// TestPlayFile_StopsOnContext: a long recording stops when ctx ends.
func TestPlayFile_StopsOnContext(t *testing.T) {
	path := writeWAV(t, audio.Rate, -1, tone(60*audio.Rate, 440), tone(60*audio.Rate, 1000))
	be := audiotest.New()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := playFile(ctx, audio.Config{}, path, audio.WithBackend(be), audio.WithLogger(quiet()))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stopped with %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("stopped after %v", took)
	}
	if n := len(be.Played("earpiece")); n > audio.Rate {
		t.Errorf("played %d samples in 300 ms", n)
	}
	if be.Running("earpiece") != 0 {
		t.Error("the earpiece is still open")
	}
}

// TestPlayFile_UnfinishedRecording: a recording whose header still says
// 0 bytes (the desk crashed mid-call) plays what it holds.
func TestPlayFile_UnfinishedRecording(t *testing.T) {
	path := writeWAV(t, audio.Rate, 0, tone(audio.Rate/4, 440), tone(audio.Rate/4, 440))
	be := audiotest.New()
	if err := playFile(context.Background(), audio.Config{}, path, audio.WithBackend(be), audio.WithLogger(quiet())); err != nil {
		t.Fatal(err)
	}
	if n := len(nonSilent(be.Played("earpiece"))); n < audio.Rate/4-audio.Rate/50 {
		t.Errorf("played %d samples of 2000", n)
	}
}

// TestPlayFile_BadInput: what is not a 16-bit WAV, and a missing file or
// device, are errors naming the cause, and no device is opened for a bad
// file.
func TestPlayFile_BadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.wav")
	_ = os.WriteFile(text, []byte("not a wav at all, just text"), 0o600)
	eight := writeWAV(t, audio.Rate, -1, tone(100, 440))
	b, _ := os.ReadFile(eight)
	binary.LittleEndian.PutUint16(b[34:], 8) // bits per sample
	_ = os.WriteFile(eight, b, 0o600)
	be := audiotest.New()
	for _, tc := range []struct {
		path string
		want error
	}{{text, audio.ErrNotWAV}, {eight, audio.ErrNotWAV}, {filepath.Join(dir, "gone.wav"), fs.ErrNotExist}} {
		err := playFile(context.Background(), audio.Config{}, tc.path, audio.WithBackend(be), audio.WithLogger(quiet()))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", filepath.Base(tc.path), err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), tc.path) {
			t.Errorf("the error %q does not name the file", err)
		}
	}
	if n := be.Opens("earpiece"); n != 0 {
		t.Errorf("the earpiece was opened %d times for bad files", n)
	}
	good := writeWAV(t, audio.Rate, -1, tone(100, 440))
	var de *audio.DeviceError
	err := playFile(context.Background(), audio.Config{}, good, audio.WithBackend(audiotest.Empty()), audio.WithLogger(quiet()))
	if !errors.Is(err, audio.ErrNoDevice) || !errors.As(err, &de) || de.Role != audio.RoleOutput {
		t.Errorf("no sound card: %v", err)
	}
	err = playFile(context.Background(), audio.Config{Output: "no such headset"}, good, audio.WithBackend(be), audio.WithLogger(quiet()))
	if !errors.Is(err, audio.ErrDeviceNotFound) {
		t.Errorf("unknown headset: %v", err)
	}
}

// TestPlayFile_Unplugged: the headset unplugged mid-file ends the playing
// with a device error.
func TestPlayFile_Unplugged(t *testing.T) {
	path := writeWAV(t, audio.Rate, -1, tone(10*audio.Rate, 440))
	be := audiotest.New()
	go func() {
		for be.Running("earpiece") == 0 {
			time.Sleep(5 * time.Millisecond) // polling until the file plays
		}
		time.Sleep(100 * time.Millisecond)
		be.Unplug("earpiece")
	}()
	err := playFile(context.Background(), audio.Config{}, path, audio.WithBackend(be), audio.WithLogger(quiet()))
	if !errors.Is(err, audio.ErrDeviceFailed) {
		t.Errorf("unplugged: %v", err)
	}
}

// TestPulse_PlayFile plays a stereo recording on a real PulseAudio sink
// and records what came out of it.
func TestPulse_PlayFile(t *testing.T) {
	audiotest.PulseGate(t)
	p := audiotest.StartPulse(t, "desk")
	path := writeWAV(t, audio.Rate, -1, tone(2*audio.Rate, 440), make([]int16, 2*audio.Rate))
	rec := p.Record("desk.monitor")
	if err := playFile(context.Background(), audio.Config{Output: "desk"}, path, audio.WithLogger(quiet())); err != nil {
		t.Fatal(err)
	}
	got := rec.Stop()
	if d := audiotest.ToneTime(got, 440); d < 1500*time.Millisecond {
		t.Errorf("the sink played the recording's 440 Hz for %v of 2 s", d)
	}
}

// playFile plays the WAV file at path, as the desk plays a recording it
// has read.
func playFile(ctx context.Context, cfg audio.Config, path string, opts ...audio.Option) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return audio.PlayWAV(ctx, cfg, path, b, opts...)
}
