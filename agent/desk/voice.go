package desk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/telephony"
	"agentdesk/telephony/audio"
)

// audioStateOf is the status bar's view of the sound card: the first role
// in use whose device is not open.
func audioStateOf(s *audio.Status) AudioState {
	if s == nil {
		return AudioState{}
	}
	for _, r := range []struct {
		name string
		st   audio.RoleStatus
	}{{"input", s.Input}, {"output", s.Output}, {"ring", s.Ring}} {
		if r.st.Wanted && !r.st.Open && r.st.Err != nil {
			return AudioState{Problem: audio.ErrorCode(r.st.Err), Role: r.name}
		}
	}
	return AudioState{}
}

// recorder is a phone that records calls and can pause the recording.
type recorder interface {
	PauseRecording(callID string) error
	ResumeRecording(callID string) error
}

// leveler is a phone that reports the headset's levels.
type leveler interface {
	Levels() (in, out float64)
}

// ErrNoRecording is returned when the phone does not record calls.
var ErrNoRecording = errors.New("this phone does not record calls")

// PauseRecording stops recording the call for a while (a card number is
// read out); the paused stretch is silent in the recording.
func (d *Desk) PauseRecording(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("pause recording: %w", err)
	}
	r, ok := p.(recorder)
	if !ok {
		return ErrNoRecording
	}
	return phoneErr("pause recording", r.PauseRecording(id))
}

// ResumeRecording records the call again.
func (d *Desk) ResumeRecording(callID string) error {
	p, id, err := d.target(callID, false)
	if err != nil {
		return fmt.Errorf("resume recording: %w", err)
	}
	r, ok := p.(recorder)
	if !ok {
		return ErrNoRecording
	}
	return phoneErr("resume recording", r.ResumeRecording(id))
}

// Levels are the microphone's and the earpiece's levels now, 0..1, for the
// meter; 0, 0 without a sound card. It never blocks.
func (d *Desk) Levels() (in, out float64) {
	p := d.phone.Load()
	if p == nil {
		return 0, 0
	}
	if l, ok := (*p).(leveler); ok {
		return l.Levels()
	}
	return 0, 0
}

// recorded files a finished recording under the call it belongs to: the
// file is sealed with the data file's key first (off the desk goroutine:
// it reads and writes the whole file), then the record keeps the sealed
// file's name inside the recordings folder.
func (d *Desk) recorded(r telephony.Recording, at time.Time) {
	go func() {
		path, err := d.st.SealRecordingFile(r.Path)
		if err != nil {
			// The plain file stays: the next start seals it (sealLeftovers).
			d.log.Error("recording not sealed", "call_id", r.CallID, "file", r.Path, "error", err)
			path = r.Path
		}
		rec := &agent.Recording{CallID: r.CallID, Agent: d.me(), File: filepath.Base(path), Started: r.Started,
			Duration: r.Duration, Paused: r.Paused, Channels: r.Channels}
		if err := d.st.PutRecording(rec, at); err != nil {
			d.log.Error("recording not filed", "call_id", r.CallID, "file", path, "error", err)
			d.do(func() { d.notice(NoticeRecordingFailed, map[string]string{"reason": err.Error()}) })
			return
		}
		d.reload()
	}()
}

// sealLeftovers seals the recordings a crash or a kill left in the clear
// (a call's file is sealed when its recording ends), and renames their
// records' files. It reads the recordings folder: call it off the UI
// thread, once at start.
func (d *Desk) sealLeftovers() {
	if !d.st.Sealed() {
		return
	}
	plain, _ := filepath.Glob(filepath.Join(d.cfg.RecordingsDir(), "*.wav"))
	if len(plain) == 0 {
		return
	}
	byFile := map[string]agent.Recording{}
	if recs, err := d.st.AllRecordings(); err == nil {
		for _, r := range recs {
			byFile[r.File] = r
		}
	}
	for _, p := range plain {
		sealed, err := d.st.SealRecordingFile(p)
		if err != nil {
			d.log.Error("recording left in the clear", "file", p, "error", err)
			continue
		}
		d.log.Info("recording sealed after a restart", "file", filepath.Base(sealed))
		if r, ok := byFile[filepath.Base(p)]; ok {
			r.File = filepath.Base(sealed)
			if err := d.st.PutRecording(&r, d.clock.Now()); err != nil {
				d.log.Error("recording record not renamed", "file", sealed, "error", err)
			}
		}
	}
}

// ErrNoPlayer is returned by PlayRecording when the desk has no sound card
// to play on.
var ErrNoPlayer = errors.New("no player for recordings")

// PlayRecording plays a recording of this desk on the headset until it
// ends or ctx does.
func (d *Desk) PlayRecording(ctx context.Context, id string) error {
	if d.play == nil {
		return ErrNoPlayer
	}
	if len(d.State().Calls) > 0 {
		// The headset carries the call; a recording over it would drown
		// the caller.
		return fmt.Errorf("play recording %s during a call: %w", id, ErrCallState)
	}
	r, err := d.st.Recording(id)
	if err != nil {
		return fmt.Errorf("play recording %s: %w", id, err)
	}
	wav, err := d.st.ReadRecordingFile(filepath.Join(d.cfg.RecordingsDir(), r.File))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("play recording %s: %s: %w", id, r.File, ErrRecordingMissing)
	}
	if err != nil {
		return fmt.Errorf("play recording %s: %w", id, err)
	}
	return playErr("play recording "+id, d.play(ctx, r.File, wav))
}

// playErr is what playing on the headset returned, as the desk says it:
// nil when it played to the end or was stopped, ErrSoundDevice when the
// headset could not.
func playErr(what string, err error) error {
	var dev *audio.DeviceError
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return nil
	case errors.As(err, &dev):
		return fmt.Errorf("%s: %w: %w", what, ErrSoundDevice, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Errors of PlayRecording.
var (
	// ErrRecordingMissing: the recording's file is no longer in the
	// recordings folder (removed, or kept only on the hub).
	ErrRecordingMissing = errors.New("recording file missing")
	// ErrSoundDevice: the headset could not play it (unplugged, busy).
	ErrSoundDevice = errors.New("sound device unavailable")
)

// RecordingHub is the part of a hub link that lets supervisors reach any
// agent's recordings on the hub (cmd/internal/hublink offers it). The hub
// decides who may: supervisors any agent's (every fetch audited), agents
// their own.
type RecordingHub interface {
	// HubRecordings lists agentNumber's recordings ("" every agent's)
	// that began in [from, to), newest first.
	HubRecordings(ctx context.Context, agentNumber string, from, to time.Time) ([]HubRecording, error)
	// FetchRecording is a recording's audio, a WAV file.
	FetchRecording(ctx context.Context, id string) ([]byte, error)
}

// HubRecording is a recording as the hub lists it: Audio says the hub
// holds its sound (the desk that made it has uploaded it).
type HubRecording struct {
	ID       string
	Agent    string
	CallID   string
	Started  time.Time
	Duration time.Duration
	Audio    bool
}

// HubRecordings lists recordings on the hub (see RecordingHub): for the
// supervisor's board.
func (d *Desk) HubRecordings(ctx context.Context, agentNumber string, from, to time.Time) ([]HubRecording, error) {
	rh, ok := d.hub.(RecordingHub)
	if d.hub == nil || !ok {
		return nil, fmt.Errorf("hub recordings: %w", ErrNeedsHub)
	}
	rs, err := rh.HubRecordings(ctx, strings.TrimSpace(agentNumber), from, to)
	if err != nil {
		return nil, fmt.Errorf("hub recordings: %w", err)
	}
	return rs, nil
}

// PlayHubRecording fetches a recording from the hub and plays it on this
// desk's headset until it ends or ctx does; refused during a call, as
// PlayRecording is.
func (d *Desk) PlayHubRecording(ctx context.Context, id string) error {
	rh, ok := d.hub.(RecordingHub)
	if d.hub == nil || !ok {
		return fmt.Errorf("play hub recording %s: %w", id, ErrNeedsHub)
	}
	if d.play == nil {
		return ErrNoPlayer
	}
	if len(d.State().Calls) > 0 {
		return fmt.Errorf("play hub recording %s during a call: %w", id, ErrCallState)
	}
	wav, err := rh.FetchRecording(ctx, id)
	if err != nil {
		return fmt.Errorf("play hub recording %s: %w", id, err)
	}
	return playErr("play hub recording "+id, d.play(ctx, id+".wav", wav))
}
