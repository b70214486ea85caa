package telephony

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"agentdesk/telephony/audio"
)

// Mute replaces the agent's microphone with silence on an answered call
// (on) or gives it back (off): the peer receives silent frames, not fewer.
func (u *UA) Mute(callID string, on bool) error {
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	if s := c.getState(); s != stateActive && s != stateHeld {
		return ErrCallState
	}
	if c.muted.Swap(on) == on {
		return nil
	}
	kind := EventUnmuted
	if on {
		kind = EventMuted
	}
	u.log.Info(kind.String(), "call_id", callID)
	u.event(Event{Kind: kind, CallID: callID, Direction: c.dir, Caller: c.caller})
	return nil
}

// PauseRecording silences both channels of the call's recording until
// ResumeRecording (for card numbers and the like); the paused stretch stays
// in the file as silence, so times still line up.
func (u *UA) PauseRecording(callID string) error {
	return u.setRecordingPaused(callID, true)
}

// ResumeRecording records the call again after PauseRecording.
func (u *UA) ResumeRecording(callID string) error {
	return u.setRecordingPaused(callID, false)
}

func (u *UA) setRecordingPaused(callID string, on bool) error {
	c, err := u.lookupCall(callID)
	if err != nil {
		return err
	}
	c.mu.Lock()
	rec := c.rec
	c.mu.Unlock()
	if rec == nil || rec.failed.Load() {
		return ErrNotRecording
	}
	if rec.paused.Swap(on) == on {
		return nil
	}
	kind := EventRecordingResumed
	if on {
		kind = EventRecordingPaused
	}
	u.log.Info(kind.String(), "call_id", callID)
	u.event(Event{Kind: kind, CallID: callID, Direction: c.dir, Caller: c.caller})
	return nil
}

// Levels are the microphone and earpiece levels now, 0..1 (audio.Level's
// dB scale), for a meter; zero when no call holds the headset (and before
// Start). Two atomic loads: it takes no lock and allocates nothing, so a
// window may poll it as often as it paints, from any goroutine, even
// while Start runs.
func (u *UA) Levels() (in, out float64) {
	snd := u.sound.Load()
	if snd == nil {
		return 0, 0
	}
	return snd.Levels()
}

// AudioStatus is how the sound devices stand (before Start: zero).
func (u *UA) AudioStatus() audio.Status {
	snd := u.sound.Load()
	if snd == nil {
		return audio.Status{}
	}
	return snd.Status()
}

// AudioStats are the sound card's ring counters (see audio.Stats).
func (u *UA) AudioStats() audio.Stats {
	snd := u.sound.Load()
	if snd == nil {
		return audio.Stats{}
	}
	return snd.Stats()
}

// Strays counts the requests dropped because they came from neither the
// PBX nor the outbound proxy, for the self-check.
func (u *UA) Strays() Strays {
	if u.guard == nil {
		return Strays{}
	}
	return u.guard.strays()
}

// onAudio reports a device problem, or its end, as EventAudio: only when
// what is wrong changes, not at every device opened for a call.
func (u *UA) onAudio(st audio.Status) {
	err := st.Err()
	reason := "ok"
	if err != nil {
		reason = err.Error()
	}
	u.audioMu.Lock()
	changed := reason != u.audioReason
	u.audioReason = reason
	u.audioMu.Unlock()
	if changed {
		u.event(Event{Kind: EventAudio, Reason: reason, Err: err, Audio: &st})
	}
}

// probeAudio reports, once at start, devices that cannot be found: the
// phone works without them (calls pop, signalling goes on), but the agent
// should know before the first call.
func (u *UA) probeAudio() {
	be := u.audioBackend
	if be == nil {
		be = audio.NewBackend(u.log)
		defer be.Close()
	}
	cfg := audio.Config{Input: u.cfg.Input, Output: u.cfg.Output, Ring: u.cfg.Ring}
	var st audio.Status
	for _, r := range []audio.Role{audio.RoleInput, audio.RoleOutput, audio.RoleRing} {
		dev, err := audio.Resolve(be, cfg, r)
		rs := audio.RoleStatus{Device: dev, Err: err}
		switch r {
		case audio.RoleInput:
			st.Input = rs
		case audio.RoleOutput:
			st.Output = rs
		default:
			st.Ring = rs
		}
	}
	if err := st.Err(); err != nil {
		u.log.Warn("sound devices", "error", err)
		u.audioMu.Lock()
		u.audioReason = err.Error()
		u.audioMu.Unlock()
		u.event(Event{Kind: EventAudio, Reason: err.Error(), Err: err, Audio: &st})
	}
}

// getMedia is the call's media stream, nil before it has one.
func (c *call) getMedia() *rtpStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.media
}

// recordFrame hands one tick of both sides to the call's recording.
func (c *call) recordFrame(caller, agent []int16) {
	c.mu.Lock()
	rec := c.rec
	c.mu.Unlock()
	if rec != nil {
		rec.frame(caller, agent)
	}
}

// goLive puts an answered call's media on the voice clock and starts its
// recording (a monitoring leg is not recorded: the call it joins is).
func (u *UA) goLive(c *call) {
	u.voice.attach(c)
	if u.cfg.Recordings == "" || c.mon != nil {
		return
	}
	rec, err := startRecording(u.cfg.Recordings, c.id, u.now(), func(err error) {
		u.log.Warn("recording stopped", "call_id", c.id, "error", err)
		u.event(Event{Kind: EventRecordingFailed, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: err.Error(), Err: err})
	})
	if err != nil {
		u.log.Warn("recording not started", "call_id", c.id, "error", err)
		u.event(Event{Kind: EventRecordingFailed, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: err.Error(), Err: err})
		return
	}
	c.mu.Lock()
	c.rec = rec
	c.mu.Unlock()
}

// endMedia takes the call off the clock, closes its stream and finishes
// its recording in the background (a slow disk does not hold up the end of
// the call); the finished recording is reported as EventRecording.
func (u *UA) endMedia(c *call) {
	if u.voice != nil {
		u.voice.setRinging(c, false)
		u.voice.detach(c)
	}
	c.mu.Lock()
	media, rec := c.media, c.rec
	c.rec = nil
	c.mu.Unlock()
	if media != nil {
		media.close()
		st := media.stats()
		u.log.Info("media", "call_id", c.id, "sent", st.Sent, "received", st.Received, "played", st.Jitter.Played,
			"concealed", st.Jitter.Concealed, "late", st.Jitter.Late, "dropped", st.Jitter.Dropped,
			"cushion_ms", st.Jitter.MarginMs, "srtp_refused", st.AuthFailures, "peer_loss", st.PeerLoss)
	}
	if rec == nil {
		return
	}
	u.recWG.Add(1)
	go func() {
		defer u.recWG.Done()
		r, err := rec.finish()
		if err != nil {
			if !rec.failed.Load() { // a failure mid-call was reported already
				u.log.Warn("recording lost", "call_id", c.id, "error", err)
				u.event(Event{Kind: EventRecordingFailed, CallID: c.id, Direction: c.dir, Caller: c.caller, Reason: err.Error(), Err: err})
			}
			return
		}
		u.log.Info("recorded", "call_id", c.id, "path", r.Path, "duration", r.Duration)
		u.event(Event{Kind: EventRecording, CallID: c.id, Direction: c.dir, Caller: c.caller, Recording: &r})
	}()
}

// tlsConfigWithCA trusts the system's roots and the PEM file's.
func tlsConfigWithCA(file string) (*tls.Config, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("telephony: ca file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("telephony: ca file %s: no certificate in it", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// ErrCertificate is the cause of EventRegisterFailed when the PBX's TLS
// certificate is not trusted (unknown authority, wrong name, expired).
var ErrCertificate = errors.New("telephony: pbx certificate not trusted")

// certificateError finds a certificate problem in err.
func certificateError(err error) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	return nil
}

// quietStrays drops sipgo's error line for each stream connection the
// guard closed (the guard logs those itself, at a bounded rate).
type quietStrays struct{ slog.Handler }

func (q quietStrays) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "Read filter error" {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietStrays) WithAttrs(a []slog.Attr) slog.Handler {
	return quietStrays{q.Handler.WithAttrs(a)}
}

func (q quietStrays) WithGroup(name string) slog.Handler {
	return quietStrays{q.Handler.WithGroup(name)}
}
