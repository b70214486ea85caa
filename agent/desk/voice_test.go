package desk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/store"
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
	var heard [][]byte
	var playErr error
	data := t.TempDir()
	h := newHarness(t, t0, Options{Config: Config{Data: data}, Play: func(_ context.Context, name string, wav []byte) error {
		played, heard = append(played, name), append(heard, wav)
		return playErr
	}})
	dir := h.d.cfg.RecordingsDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	wav := append([]byte("RIFF\x00\x00\x00\x00WAVE"), bytes.Repeat([]byte("王先生的声音"), 100)...)
	plain := filepath.Join(dir, "call-1.wav")
	if err := os.WriteFile(plain, wav, 0o600); err != nil {
		t.Fatal(err)
	}
	h.d.Emit(ringing("c1", telephony.Caller{Number: "13800138000"}, t0))
	h.waitState(t, "ringing", func(s State) bool { return len(s.Calls) == 1 })
	h.d.Emit(telephony.Event{Kind: telephony.EventRecording, CallID: "c1", At: t0.Add(time.Minute),
		Recording: &telephony.Recording{CallID: "c1", Path: plain, Started: t0, Duration: 50 * time.Second, Channels: 2}})
	var id, file string
	for deadline := time.Now().Add(5 * time.Second); id == ""; time.Sleep(10 * time.Millisecond) {
		recs, err := h.st.Recordings("c1")
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 1 {
			if recs[0].Duration != 50*time.Second || recs[0].Agent != "李娜" {
				t.Fatalf("filed recording = %+v", recs[0])
			}
			id, file = recs[0].ID, recs[0].File
		}
		if time.Now().After(deadline) {
			t.Fatal("the recording was not filed")
		}
	}
	if h.st.Sealed() {
		// A sealed data file seals its recordings: no plain audio stays.
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if file != "call-1.wav"+store.SealedExt || err != nil || bytes.Contains(raw, []byte("王先生")) {
			t.Errorf("sealed recording %q: %v (plain text inside: %v)", file, err, bytes.Contains(raw, []byte("王先生")))
		}
		if _, err := os.Stat(plain); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the plain recording stays: %v", err)
		}
	} else if file != "call-1.wav" {
		t.Errorf("plain data file's recording = %q", file)
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
		{"headset unplugged", &audio.DeviceError{Role: audio.RoleOutput, Err: audio.ErrDeviceNotFound}, ErrSoundDevice},
	} {
		played, heard, playErr = nil, nil, c.err
		err := h.d.PlayRecording(context.Background(), id)
		if (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if len(played) != 1 || played[0] != file || !bytes.Equal(heard[0], wav) {
			t.Errorf("%s: played %v (%d bytes), want %s as recorded", c.name, played, len(heard), file)
		}
	}
	os.Remove(filepath.Join(dir, file))
	played = nil
	if err := h.d.PlayRecording(context.Background(), id); !errors.Is(err, ErrRecordingMissing) || len(played) != 0 {
		t.Errorf("file gone: %v", err)
	}
	if err := h.d.PlayRecording(context.Background(), "no-such"); err == nil {
		t.Error("an unknown recording played")
	}
}
