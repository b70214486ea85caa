package telephony_test

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

// Tones of the voice tests: the agent speaks 600 Hz into the desk's
// microphone, the caller (baresip's ausine) 1000 Hz.
const (
	agentHz  = 600
	callerHz = 1000
)

// voiceGate is every peer the voice tests need.
func voiceGate(t *testing.T) {
	t.Helper()
	kamailiotest.Gate(t)
	baresiptest.Gate(t)
	audiotest.PulseGate(t)
}

// toneTime is how much of samples (8 kHz) holds freq: the 100 ms windows
// whose power is mostly at freq (share ≥ 0.5, RMS ≥ 0.01, the criterion of
// TESTING.md on shorter windows). On a loaded machine the sound server
// drops a few milliseconds now and then; a glitch spoils a tenth of a
// second this way, not a whole one.
func toneTime(samples []int16, freq float64) time.Duration {
	return audiotest.ToneTime(samples, freq)
}

// longestSilence is the longest stretch of samples (8 kHz) whose 100 ms
// windows are all below −60 dBFS.
func longestSilence(samples []int16) time.Duration {
	const win = audio.Rate / 10
	run, best := 0, 0
	for i := 0; i+win <= len(samples); i += win {
		if audio.RMS(samples[i:i+win]) < 0.001 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return time.Duration(best) * 100 * time.Millisecond
}

// readDump reads one of baresip's sndfile dumps as 8 kHz mono.
func readDump(t *testing.T, path string) []int16 {
	t.Helper()
	if path == "" {
		t.Fatal("baresip wrote no recording")
	}
	rate, ch, err := audiotest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	return audiotest.Resample8k(ch[0], rate)
}

// TestIntegration_Voice is a call from a real baresip through Kamailio to
// the desk, whose headset is a PulseAudio null sink and source: tones
// both ways, keys from the desk, mute, and the desk's recording, for each
// G.711 law.
func TestIntegration_Voice(t *testing.T) {
	voiceGate(t)
	for _, codec := range []string{"PCMU", "PCMA"} {
		t.Run(codec, func(t *testing.T) {
			pulse := audiotest.StartPulse(t, "desk")
			k := startKamailio(t, "MD5", "")
			recDir := t.TempDir()
			rec := &recorder{}
			ua := telephony.StartTestUA(t, telephony.Config{PBX: k.URI(), User: itUser, Password: itPassword, Recordings: recDir}, rec,
				telephony.WithLogger(testLogger(t)), telephony.WithListenAddr("127.0.0.1:0"))
			rec.wait(t, telephony.EventRegistered, 10*time.Second)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			mouth := make([]int16, 30*audio.Rate)
			audio.Tone(mouth, agentHz, 0.3, 0)
			pulse.Play(ctx, "desk_mic_feed", mouth)
			ear := pulse.Record("desk.monitor")

			b := baresiptest.Start(t, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1",
				Proxy: "sip:" + k.Addr(), Codec: codec, ToneHz: callerHz, Commands: []string{"/dial sip:" + itUser + "@127.0.0.1"}})
			ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
			if err := ua.Answer(ring.CallID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			for _, d := range "159#" {
				if err := ua.SendDTMF(ring.CallID, string(d)); err != nil {
					t.Fatalf("dtmf %c: %v", d, err)
				}
			}
			if err := ua.Mute(ring.CallID, true); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond)
			if err := ua.Mute(ring.CallID, false); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			if err := ua.Hangup(ring.CallID); err != nil {
				t.Fatal(err)
			}
			if !b.WaitOutput("terminated", 5*time.Second) {
				t.Error("baresip did not see the desk's hang-up")
			}
			b.Stop()
			heard := ear.Stop()

			// The caller's tone reached the agent's earpiece.
			// Thresholds are about half of what can arrive: a busy sound
			// server drops audio on its own (and baresip's small jitter
			// buffer too), while a broken path gives nothing.
			if d := toneTime(heard, callerHz); d < 3500*time.Millisecond {
				t.Errorf("the desk's earpiece held the caller's %d Hz for %v, want ≥ 3.5s of the 8s call", callerHz, d)
			}
			// The agent's tone reached baresip, except while muted, when
			// baresip got silence.
			if !strings.Contains(b.Output(), "Set audio decoder: "+codec) {
				t.Errorf("baresip did not decode %s", codec)
			}
			_, dec := b.Recordings()
			got := readDump(t, dec)
			if d := toneTime(got, agentHz); d < 2*time.Second {
				t.Errorf("baresip received the agent's %d Hz for %v, want ≥ 2s of the 4.3s unmuted and not keying", agentHz, d)
			}
			if s := longestSilence(got); s < 2*time.Second || s > 3*time.Second {
				t.Errorf("longest silence at baresip %v, want the 2.5 s of mute", s)
			}
			// The keys pressed on the desk, in order.
			var keys []string
			for _, line := range strings.Split(b.Output(), "\n") {
				if i := strings.Index(line, "received event: '"); i >= 0 && strings.Contains(line, "end=1") {
					keys = append(keys, line[i+len("received event: '"):i+len("received event: '")+1])
				}
			}
			if strings.Join(keys, "") != "159#" {
				t.Errorf("keys at baresip %q, want 159#", strings.Join(keys, ""))
			}
			// The desk's recording: the caller left, the agent right.
			ev := rec.wait(t, telephony.EventRecording, 10*time.Second)
			rate, ch, err := audiotest.ReadWAV(ev.Recording.Path)
			if err != nil || rate != audio.Rate || len(ch) != 2 {
				t.Fatalf("recording %s: %v (rate %d, %d channels)", ev.Recording.Path, err, rate, len(ch))
			}
			if d := toneTime(ch[0], callerHz); d < 3500*time.Millisecond {
				t.Errorf("recording's left channel holds the caller for %v", d)
			}
			if d := toneTime(ch[1], agentHz); d < 2*time.Second {
				t.Errorf("recording's right channel holds the agent for %v", d)
			}
			if d := toneTime(ch[0], agentHz) + toneTime(ch[1], callerHz); d > 200*time.Millisecond {
				t.Errorf("a tone on the wrong channel for %v", d)
			}
			if s := longestSilence(ch[1]); s < 2*time.Second {
				t.Errorf("the agent's channel is silent for %v of the mute", s)
			}
			if fi, err := os.Stat(ev.Recording.Path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("recording mode %v (%v)", fi.Mode(), err)
			}
			t.Logf("%s: desk heard the caller for %v, baresip the agent for %v, mute %v, recording %v",
				codec, toneTime(heard, callerHz), toneTime(got, agentHz), longestSilence(got), ev.Recording.Duration)
		})
	}
}

// TestIntegration_TLS registers over TLS to a real Kamailio whose
// certificate a test CA signed, takes a call from baresip over TLS with
// SRTP, checks the audio both ways and that what crossed the wire is not
// G.711, and hangs up.
func TestIntegration_TLS(t *testing.T) {
	voiceGate(t)
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Fatalf("needs tshark (apt-get install tshark): %v", err)
	}
	certs := kamailiotest.MakeCerts(t, false)
	pulse := audiotest.StartPulse(t, "desk")
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword,
		TLS: &kamailiotest.TLS{CertFile: certs.CertFile, KeyFile: certs.KeyFile}})
	rec := &recorder{}
	ua := telephony.StartTestUA(t, telephony.Config{PBX: "sip:" + k.TLSAddr(), User: itUser, Password: itPassword, Transport: "tls", CAFile: certs.CAFile}, rec,
		telephony.WithLogger(testLogger(t)))
	rec.wait(t, telephony.EventRegistered, 10*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mouth := make([]int16, 30*audio.Rate)
	audio.Tone(mouth, agentHz, 0.3, 0)
	pulse.Play(ctx, "desk_mic_feed", mouth)
	ear := pulse.Record("desk.monitor")

	bcert := filepath.Join(t.TempDir(), "baresip.pem")
	pemCert, _ := os.ReadFile(certs.CertFile)
	pemKey, _ := os.ReadFile(certs.KeyFile)
	if err := os.WriteFile(bcert, append(pemCert, pemKey...), 0o600); err != nil {
		t.Fatal(err)
	}
	b := baresiptest.Start(t, baresiptest.Options{User: "1002", Password: itPassword, Domain: "127.0.0.1",
		Proxy: "sip:" + k.TLSAddr() + ";transport=tls", ToneHz: callerHz, MediaEnc: "srtp-mand", CAFile: certs.CAFile, Certificate: bcert,
		Commands: []string{"/dial sip:" + itUser + "@127.0.0.1;transport=tls"}})
	ring := rec.wait(t, telephony.EventRinging, 15*time.Second)
	if err := ua.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	// What baresip sends the desk, as it crosses the loopback: baresip
	// names the desk's media address once the desk's media reaches it.
	const from = "receiving from 127.0.0.1:"
	if !b.WaitOutput(from, 10*time.Second) {
		t.Fatal("no media from the desk at baresip")
	}
	out := b.Output()
	deskPort := strings.Fields(out[strings.Index(out, from)+len(from):])[0]
	capCtx, capCancel := context.WithTimeout(ctx, 10*time.Second)
	defer capCancel()
	capture := exec.CommandContext(capCtx, "tshark", "-i", "lo", "-l", "-a", "duration:3", "-f", "udp and dst port "+deskPort,
		"-T", "fields", "-e", "udp.payload")
	wire, err := capture.Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	time.Sleep(2 * time.Second)
	if in, out := ua.Levels(); in < 0.3 || out < 0.3 {
		t.Errorf("levels in %.2f out %.2f with tones both ways", in, out)
	}
	if err := ua.Hangup(ring.CallID); err != nil {
		t.Fatal(err)
	}
	if !b.WaitOutput("terminated", 5*time.Second) {
		t.Error("baresip did not see the desk's hang-up over TLS")
	}
	b.Stop()
	heard := ear.Stop()

	if !strings.Contains(b.Output(), "SRTP is Enabled") {
		t.Error("baresip did not switch SRTP on")
	}
	var plain []int16
	packets := 0
	for _, line := range strings.Split(strings.TrimSpace(string(wire)), "\n") {
		p, err := hex.DecodeString(strings.TrimSpace(line))
		if err != nil || len(p) < 12+160 || p[0]>>6 != 2 {
			continue // RTCP and anything that is not a voice packet
		}
		packets++
		// If this were plain PCMU, the payload after the header would be
		// the caller's tone.
		for _, c := range p[12 : 12+160] {
			plain = append(plain, ulawToPCM(c))
		}
	}
	if packets < 50 {
		t.Fatalf("captured %d media packets from baresip", packets)
	}
	if s := audio.ToneShare(plain, audio.Rate, callerHz); s > 0.05 {
		t.Errorf("the captured payload decodes to the caller's tone (share %.2f): not encrypted", s)
	}
	if d := toneTime(heard, callerHz); d < 2*time.Second {
		t.Errorf("the desk heard the caller for %v through SRTP", d)
	}
	_, dec := b.Recordings()
	if d := toneTime(readDump(t, dec), agentHz); d < 2*time.Second {
		t.Errorf("baresip heard the agent for %v through SRTP", d)
	}
	t.Logf("tls+srtp: %d packets captured, tone share of their payload read as PCMU %.3f; desk heard the caller for %v, baresip the agent for %v",
		packets, audio.ToneShare(plain, audio.Rate, callerHz), toneTime(heard, callerHz), toneTime(readDump(t, dec), agentHz))
}

// ulawToPCM is G.711 µ-law decoding (ITU-T G.711), written out here so the
// wire check does not lean on the code under test.
func ulawToPCM(u byte) int16 {
	u = ^u
	t := (int16(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}

// TestIntegration_TLS_UntrustedCertificate: a PBX whose self-signed
// certificate the desk was not told to trust is refused, with a typed
// error naming the cause.
func TestIntegration_TLS_UntrustedCertificate(t *testing.T) {
	kamailiotest.Gate(t)
	certs := kamailiotest.MakeCerts(t, true)
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "testdata/kamailio.cfg", User: itUser, Password: itPassword,
		TLS: &kamailiotest.TLS{CertFile: certs.CertFile, KeyFile: certs.KeyFile}})
	rec := &recorder{}
	ua := telephony.StartTestUA(t, telephony.Config{PBX: "sip:" + k.TLSAddr(), User: itUser, Password: itPassword, Transport: "tls"}, rec,
		telephony.WithLogger(testLogger(t)), telephony.WithAudioBackend(audiotest.New()))
	ev := rec.wait(t, telephony.EventRegisterFailed, 10*time.Second)
	if !errors.Is(ev.Err, telephony.ErrCertificate) {
		t.Fatalf("register failed with %v (%q), want ErrCertificate", ev.Err, ev.Reason)
	}
	if !strings.Contains(ev.Reason, "certificate signed by unknown authority") {
		t.Errorf("reason %q does not name the cause", ev.Reason)
	}
	if ua.Registered() {
		t.Error("registered through an untrusted certificate")
	}
}
