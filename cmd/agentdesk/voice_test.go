package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/theme"

	"agentdesk/agent"
	"agentdesk/agent/store"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

// TestVoice_AnswerTalkPauseRecording is the agent's call with a real voice:
// the desk registers to a real Kamailio with its headset on a PulseAudio
// null sink; baresip calls in sending a 440 Hz tone. The agent answers with
// F2 and hears the caller on the headset, speaks (a 1 kHz tone into the
// headset's microphone), pauses the recording with F10 while a card number
// would be read out, resumes with F10 and hangs up with F3. The recording
// is a stereo file: the caller on the left, the agent on the right, silent
// on both while paused; the call's row in today's log offers it for playing.
func TestVoice_AnswerTalkPauseRecording(t *testing.T) {
	kamailiotest.Gate(t)
	audiotest.PulseGate(t)
	baresiptest.Gate(t)
	pulse := audiotest.StartPulse(t, "desk")
	x := startX(t)
	const user, password = "1001", "voice-pass"
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "../../telephony/testdata/kamailio.cfg", User: user, Password: password})
	data := filepath.Join(x.dir, "desk-data")
	cfg := filepath.Join(x.dir, "config.toml")
	conf := fmt.Sprintf("data = %q\nlang = \"zh-Hans\"\nagent_number = \"8001\"\nring_limit_seconds = 60\n"+
		"[pbx]\nuri = %q\nuser = %q\npassword = %q\n[audio]\ninput = \"desk_mic\"\noutput = \"desk\"\nring = \"desk\"\n",
		data, k.URI(), user, password)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var penv []string
	for _, kv := range pulse.Env() {
		if strings.HasPrefix(kv, "PULSE_SERVER=") || strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			penv = append(penv, kv)
		}
	}
	d := x.startDesk(desktopBinary(t), penv, "--config", cfg)
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="line event".* event=registered`, 30*time.Second)

	const callerHz, agentHz = 440, 1000
	baresiptest.Start(t, baresiptest.Options{User: "1002", Password: password, Domain: "127.0.0.1",
		Proxy: "sip:" + k.Addr(), ToneHz: callerHz, Commands: []string{"/dial sip:" + user + "@127.0.0.1"}})
	d.waitLog(`msg="call event".* event=ringing`, 20*time.Second)
	ear := pulse.Record("desk.monitor")
	x.click(win.Add(deskFocusPoint))
	x.key("F2")
	d.waitLog(`msg="call event".* event=answered`, 20*time.Second)

	// The agent speaks for the rest of the call.
	voice := make([]int16, 20*audio.Rate)
	audio.Tone(voice, agentHz, 0.25, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pulse.Play(ctx, "desk_mic_feed", voice)

	time.Sleep(2500 * time.Millisecond)
	x.shot("voice-talking")
	x.key("F10")
	d.waitLog(`recording_paused`, 10*time.Second)
	time.Sleep(2500 * time.Millisecond)
	x.shot("voice-recording-paused")
	x.key("F10")
	d.waitLog(`recording_resumed`, 10*time.Second)
	time.Sleep(2500 * time.Millisecond)
	x.key("F3", "Return") // hang up, past the let-the-caller-hang-up-first question
	d.waitLog(`msg="call event".* event=ended`, 20*time.Second)
	recLine := d.waitLog(`msg=recorded .*duration=`, 20*time.Second)
	d.waitLog(`event=recording\b`, 20*time.Second)
	heard := ear.Stop()
	time.Sleep(time.Second) // the log repaints with the recording
	x.shot("voice-after-call")

	// Today's log offers the recording: ▶ with its length plays it on the
	// headset, both voices.
	m := regexp.MustCompile(`duration=([0-9.]+m?s)`).FindStringSubmatch(recLine)
	if m == nil {
		t.Fatalf("no duration in %q", recLine)
	}
	length, err := time.ParseDuration(m[1])
	if err != nil {
		t.Fatal(err)
	}
	or := newOracleSeeded(t, "zh-Hans", func(st *store.Store) {
		now := time.Now()
		c := agent.Call{CallID: "oracle-call", At: now.Add(-length), Number: "1002", Agent: st.DeskID(), Answered: true}
		if err := st.PutCall(&c, now); err != nil {
			t.Fatal(err)
		}
		r := agent.Recording{CallID: "oracle-call", Agent: st.DeskID(), File: "x.wav", Started: now.Add(-length), Duration: length, Channels: 2}
		if err := st.PutRecording(&r, now); err != nil {
			t.Fatal(err)
		}
	})
	logTab := or.labelled("通话记录")
	or.tapAt(logTab)
	x.click(win.Add(logTab))
	play := or.iconButton(theme.MediaPlayIcon(), fmt.Sprintf("%d:%02d", int(length.Seconds())/60, int(length.Seconds())%60), 10*time.Second)
	ear = pulse.Record("desk.monitor")
	x.click(win.Add(play))
	time.Sleep(time.Second)
	x.shot("voice-playing")
	time.Sleep(length)
	played := ear.Stop()
	for _, hz := range []float64{callerHz, agentHz} {
		// Both channels mixed: each tone is measured at its own level, which
		// the other voice does not change (a share of the power would: the
		// caller's tone is louder than the agent's, so the agent's share
		// sits near any fixed threshold while both speak).
		got := audiotest.MixedToneTime(played, hz, 0.05)
		t.Logf("playback: %d Hz heard for %v of %v", int(hz), got, time.Duration(len(played))*time.Second/audio.Rate)
		if got < 4*time.Second {
			t.Errorf("playing the recording: %v Hz heard for %v, want ≥ 4 s", hz, got)
		}
	}

	if got := audiotest.ToneTime(heard, callerHz); got < 4*time.Second {
		t.Errorf("the headset played the caller's %d Hz for %v of the call, want ≥ 4 s", callerHz, got)
	}
	files, _ := filepath.Glob(filepath.Join(data, "recordings", "*.wav"))
	if len(files) != 1 {
		t.Fatalf("recordings folder holds %v, want one file", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("recording mode %v, want 0600", fi.Mode().Perm())
	}
	rate, ch, err := audiotest.ReadWAV(files[0])
	if err != nil || rate != audio.Rate || len(ch) != 2 {
		t.Fatalf("recording: rate %d, %d channels, %v; want 8 kHz stereo", rate, len(ch), err)
	}
	for i, c := range []struct {
		name string
		hz   float64
	}{{"left (the caller)", callerHz}, {"right (the agent)", agentHz}} {
		share, rms := audiotest.Shares(ch[i], audio.Rate/10, c.hz)
		first, silent, after := voiceRuns(share, rms)
		t.Logf("%s: %d tone windows before, %d silent, %d tone after (100 ms each)", c.name, first, silent, after)
		if first < 10 || silent < 15 || after < 10 {
			t.Errorf("%s: want ≥1 s of %v Hz, ≥1.5 s of silence (paused), then ≥1 s of the tone again; got %d, %d, %d windows",
				c.name, c.hz, first, silent, after)
		}
	}
}

// voiceRuns finds, in 100 ms windows, the tone before the longest silent
// run, that run's length, and the tone after it.
func voiceRuns(share, rms []float64) (before, silent, after int) {
	start, best := 0, 0
	for i := 0; i < len(rms); {
		if rms[i] >= 0.001 {
			i++
			continue
		}
		j := i
		for j < len(rms) && rms[j] < 0.001 {
			j++
		}
		if j-i > best {
			start, best = i, j-i
		}
		i = j
	}
	tone := func(i int) bool { return share[i] >= 0.5 && rms[i] >= 0.01 }
	for i := 0; i < start; i++ {
		if tone(i) {
			before++
		}
	}
	for i := start + best; i < len(rms); i++ {
		if tone(i) {
			after++
		}
	}
	return before, best, after
}
