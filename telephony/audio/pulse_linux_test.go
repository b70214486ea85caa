package audio_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
)

// logLines keeps every message a logger is given, with its attributes.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(_ context.Context, _ slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// TestPulse_PlaybackAsksTwicePerPeriod opens the earpiece on a real
// PulseAudio and reads the buffer the server granted, as miniaudio logs
// it: the server must ask for audio in requests of about half the 20 ms
// period (minreq; left to the server it is a quarter of the target length
// or less), and miniaudio's period must stay 20 ms.
func TestPulse_PlaybackAsksTwicePerPeriod(t *testing.T) {
	audiotest.PulseGate(t)
	audiotest.StartPulse(t, "desk")
	var l logLines
	be := audio.NewBackend(slog.New(&l))
	defer be.Close()
	st, err := be.Open(audio.Playback, "desk", func(s []int16) { clear(s) })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		i := strings.Index(line, "[PulseAudio] Playback actual attr:")
		if i < 0 {
			continue
		}
		var maxlength, tlength, prebuf, minreq, fragsize, period int
		if _, err := fmt.Sscanf(line[i:], "[PulseAudio] Playback actual attr: maxlength=%d, tlength=%d, prebuf=%d, minreq=%d, fragsize=%d; internalPeriodSizeInFrames=%d",
			&maxlength, &tlength, &prebuf, &minreq, &fragsize, &period); err != nil {
			t.Fatalf("miniaudio's buffer line %q: %v", line[i:], err)
		}
		t.Logf("granted: tlength %d B, minreq %d B, period %d frames", tlength, minreq, period)
		if period != audio.FrameSamples {
			t.Errorf("period %d frames, want %d", period, audio.FrameSamples)
		}
		if minreq*100 < tlength*45 {
			t.Errorf("minreq %d B of tlength %d B: the server asks more than twice a period", minreq, tlength)
		}
		return
	}
	t.Fatalf("miniaudio logged no playback buffer; lines: %q", l.lines)
}
