package desk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio"
)

// A finished recording is filed under its call and plays from the
// recordings folder; during a call, or when the file is gone, or when the
// headset cannot play, playing is refused with an error the window can
// name.
func TestDesk_RecordingFiledAndPlayed(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, mustZone("Asia/Shanghai"))
	var played []string
	var playErr error
	h := newHarness(t, t0, Options{Play: func(_ context.Context, path string) error {
		played = append(played, path)
		return playErr
	}})
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, t0))
	h.waitState(t, "ringing", func(s State) bool { return len(s.Calls) == 1 })
	h.d.Emit(telephony.Event{Kind: telephony.EventRecording, CallID: "c1", At: t0.Add(time.Minute),
		Recording: &telephony.Recording{CallID: "c1", Path: "/elsewhere/call-1.wav", Started: t0, Duration: 50 * time.Second, Channels: 2}})
	var id string
	for deadline := time.Now().Add(5 * time.Second); id == ""; time.Sleep(10 * time.Millisecond) {
		recs, err := h.st.Recordings("c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 1 {
			if recs[0].File != "call-1.wav" || recs[0].Duration != 50*time.Second || recs[0].Agent != "李娜" {
				t.Fatalf("filed recording = %+v", recs[0])
			}
			id = recs[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatal("the recording was not filed")
		}
	}
	if err := h.d.PlayRecording(context.Background(), id); !errors.Is(err, ErrCallState) || len(played) != 0 {
		t.Errorf("play during the call: %v, played %v", err, played)
	}
	h.d.Emit(telephony.Event{Kind: telephony.EventMissed, CallID: "c1", At: t0.Add(time.Minute)})
	h.waitState(t, "call over", func(s State) bool { return len(s.Calls) == 0 })

	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"played", nil, nil},
		{"stopped by the agent", context.Canceled, nil},
		{"file gone", fmt.Errorf("open: %w", os.ErrNotExist), ErrRecordingMissing},
		{"headset unplugged", &audio.DeviceError{Role: audio.RoleOutput, Err: audio.ErrDeviceNotFound}, ErrSoundDevice},
	} {
		played, playErr = nil, c.err
		err := h.d.PlayRecording(context.Background(), id)
		if (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if want := filepath.Join(h.d.cfg.RecordingsDir(), "call-1.wav"); len(played) != 1 || played[0] != want {
			t.Errorf("%s: played %v, want %s", c.name, played, want)
		}
	}
	if err := h.d.PlayRecording(context.Background(), "no-such"); err == nil {
		t.Error("an unknown recording played")
	}
}
