package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

const slowRingScenario = `
[[caller]]
number = "13800138000"
delay = "0s"
ring = "30s"
hangup_after = "30s"
`

// TestWatch_AnswerAfter_Practice: with --answer-after, each inbound call is
// answered that long after it rang.
func TestWatch_AnswerAfter_Practice(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "drill.toml")
	if err := os.WriteFile(scenario, []byte(slowRingScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, stop := runWatch(t, "--config", filepath.Join(dir, "none.toml"), "--data", filepath.Join(dir, "data"),
		"--practice", scenario, "--json", "--answer-after", "300ms")
	waitFor(t, out, `"event":"answered"`, 1)
	if err := stop(); err != nil {
		t.Fatalf("watch returned %v", err)
	}
	var ring, ans time.Time
	for _, ev := range decodeWatchLines(t, out.String()) {
		switch ev.Event {
		case "ringing":
			ring = ev.At
		case "answered":
			ans = ev.At
		}
	}
	if d := ans.Sub(ring); d < 300*time.Millisecond || d > 3*time.Second {
		t.Errorf("answered %v after ringing, want about 300ms", d)
	}
}

func TestWatch_AnswerAfter_Bad(t *testing.T) {
	var out, errOut bytes.Buffer
	dir := t.TempDir()
	code := run([]string{"watch", "--config", filepath.Join(dir, "none.toml"), "--data", dir, "--practice", "default", "--answer-after", "-1s"},
		&env{stdout: &out, stderr: &errOut})
	if code == 0 || !strings.Contains(errOut.String(), "--answer-after") || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func runAudio(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"audio"}, args...), &env{stdout: &out, stderr: &errOut})
	return code, out.String(), errOut.String()
}

// TestAudio_Integration runs deskctl audio devices and audio check on a
// real PulseAudio with null sinks.
func TestAudio_Integration(t *testing.T) {
	audiotest.PulseGate(t)
	audiotest.StartPulse(t, "desk")
	code, stdout, stderr := runAudio(t, "devices")
	if code != 0 {
		t.Fatalf("audio devices: exit %d: %s", code, stderr)
	}
	var list deviceList
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	has := func(ds []audio.Device, id string, def bool) bool {
		for _, d := range ds {
			if d.ID == id && d.Default == def {
				return true
			}
		}
		return false
	}
	if !has(list.Input, "desk_mic", true) || !has(list.Output, "desk", true) || !has(list.Input, "desk.monitor", false) {
		t.Errorf("devices %+v", list)
	}

	// The output looped back into the input: the tone comes back.
	code, stdout, stderr = runAudio(t, "check", "--input", "desk.monitor", "--output", "desk", "--ring", "desk_mic_feed")
	var rep audio.CheckReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if code != 0 || !rep.TonePlayed || !rep.ToneHeard || !rep.RingPlayed || rep.Ring.ID != "desk_mic_feed" {
		t.Errorf("audio check: exit %d, report %+v, stderr %s", code, rep, stderr)
	}

	// A headset that is not there: the report says which and why, the
	// error goes to stderr, the exit is not 0.
	code, stdout, stderr = runAudio(t, "check", "--output", "Plantronics")
	rep = audio.CheckReport{}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if code == 0 || rep.Output.OK || rep.Output.Code != "not_found" || !strings.Contains(stderr, "Plantronics") {
		t.Errorf("unknown output: exit %d, report %+v, stderr %q", code, rep.Output, stderr)
	}
}

// TestWatch_AnswerAfter_Audio: deskctl watch --answer-after 1s answers a
// real baresip's call through Kamailio with audio on the (PulseAudio)
// headset, both ways, and records it.
func TestWatch_AnswerAfter_Audio(t *testing.T) {
	kamailiotest.Gate(t)
	baresiptest.Gate(t)
	audiotest.PulseGate(t)
	const user, password = "1001", "watch-密码-1"
	pulse := audiotest.StartPulse(t, "desk")
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "../../telephony/testdata/kamailio.cfg", User: user, Password: password})
	dir := t.TempDir()
	recDir := filepath.Join(dir, "recordings")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mouth := make([]int16, 30*audio.Rate)
	audio.Tone(mouth, 600, 0.3, 0)
	pulse.Play(ctx, "desk_mic_feed", mouth)
	ear := pulse.Record("desk.monitor")

	out, errOut, stop := runWatch(t, "--config", filepath.Join(dir, "none.toml"), "--data", dir, "--json",
		"--pbx", k.URI(), "--user", user, "--password", password, "--answer-after", "1s",
		"--input", "desk_mic", "--output", "desk", "--recordings", recDir)
	waitFor(t, out, `"event":"registered"`, 1)
	b := baresiptest.Start(t, baresiptest.Options{User: "1002", Password: password, Domain: "127.0.0.1",
		Proxy: "sip:" + k.Addr(), ToneHz: 1000, Commands: []string{"/dial sip:" + user + "@127.0.0.1"}})
	waitFor(t, out, `"event":"answered"`, 1)
	time.Sleep(4 * time.Second)
	b.Stop() // baresip hangs up
	waitFor(t, out, `"event":"ended"`, 1)
	heard := ear.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errOut.String(), "saved") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling stderr with a deadline
	}
	if err := stop(); err != nil {
		t.Fatalf("watch returned %v", err)
	}

	var ring, ans time.Time
	for _, ev := range decodeWatchLines(t, out.String()) {
		switch ev.Event {
		case "ringing":
			ring = ev.At
		case "answered":
			ans = ev.At
		}
	}
	if d := ans.Sub(ring); d < time.Second || d > 3*time.Second {
		t.Errorf("answered %v after ringing, want about 1s", d)
	}
	if d := audiotest.ToneTime(heard, 1000); d < 2*time.Second {
		t.Errorf("the headset's earpiece held baresip's tone for %v of the 4s call", d)
	}
	_, dec := b.Recordings()
	rate, ch, err := audiotest.ReadWAV(dec)
	if err != nil {
		t.Fatal(err)
	}
	if d := audiotest.ToneTime(audiotest.Resample8k(ch[0], rate), 600); d < 2*time.Second {
		t.Errorf("baresip heard the headset's microphone for %v of the 4s call", d)
	}
	files, _ := filepath.Glob(filepath.Join(recDir, "*.wav"))
	if len(files) != 1 || !strings.Contains(errOut.String(), "recording of ") {
		t.Errorf("recordings %v; stderr:\n%s", files, errOut.String())
	}
}
