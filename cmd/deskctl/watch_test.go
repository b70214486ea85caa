package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/telephony/kamailiotest"
)

// lockedBuffer is a bytes.Buffer the watch goroutine writes while the test
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runWatch starts watch in the background; stop cancels it and returns its
// error.
func runWatch(t *testing.T, args ...string) (out, errOut *lockedBuffer, stop func() error) {
	t.Helper()
	out, errOut = &lockedBuffer{}, &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- watch(ctx, &env{stdout: out, stderr: errOut}, args) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("watch did not stop within 10 s of the cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return out, errOut, stop
}

// waitFor polls until out holds n lines containing s.
func waitFor(t *testing.T, out *lockedBuffer, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d × %s; output:\n%s", n, s, out.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the output, not waiting for readiness
	}
}

func decodeWatchLines(t *testing.T, out string) []desk.WatchEvent {
	t.Helper()
	var evs []desk.WatchEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev desk.WatchEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

const watchScenario = `
[[caller]]
number = "13800138000"
display_name = "王建国"
delay = "0s"
ring = "50ms"
[caller.customer]
name = "王建国"
surname = "王"
title = "先生"
member = true

[[caller]]
anonymous = true
delay = "0s"
ring = "50ms"
outcome = "answered_elsewhere"
`

func TestWatch_PracticeJSON(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "drill.toml")
	if err := os.WriteFile(scenario, []byte(watchScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, stop := runWatch(t, "--config", filepath.Join(dir, "none.toml"), "--data", filepath.Join(dir, "data"),
		"--practice", scenario, "--json")
	waitFor(t, out, `"event":"answered_elsewhere"`, 1)
	if err := stop(); err != nil {
		t.Fatalf("watch returned %v", err)
	}
	evs := decodeWatchLines(t, out.String())
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Event)
	}
	got := strings.Join(kinds, ",")
	if !strings.HasPrefix(got, "registered,ringing,missed,ringing,answered_elsewhere") || !strings.HasSuffix(got, "unregistered") {
		t.Fatalf("events = %s", got)
	}
	ring := evs[1]
	if ring.CallID == "" || ring.Number != "+8613800138000" || ring.DisplayName != "王建国" || ring.Direction != "inbound" {
		t.Errorf("ringing = %+v", ring)
	}
	if ring.Customer == nil || ring.Customer.Name != "王建国" || !ring.Customer.Member {
		t.Errorf("the seeded customer did not pop: %+v", ring.Customer)
	}
	if !strings.Contains(ring.Opening, "XX欢迎您的来电") && !strings.Contains(ring.Opening, "XX客服中心") {
		t.Errorf("opening = %q", ring.Opening)
	}
	if evs[2].CallID != ring.CallID || evs[2].Customer == nil {
		t.Errorf("missed = %+v", evs[2])
	}
	anon := evs[3]
	if !anon.Anonymous || anon.Customer != nil || anon.Opening == "" {
		t.Errorf("anonymous ringing = %+v", anon)
	}
	if !strings.Contains(out.String(), `"customer":null`) {
		t.Error("no null customer in the output")
	}
}

func TestWatch_PracticeText(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "drill.toml")
	if err := os.WriteFile(scenario, []byte(watchScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, stop := runWatch(t, "--config", filepath.Join(dir, "none.toml"), "--data", dir, "--practice", scenario, "--lang", "en")
	waitFor(t, out, "answered_elsewhere", 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ringing  +8613800138000  王建国  — ") || !strings.Contains(out.String(), "Welcome to XX") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestWatch_BadFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "none.toml")
	tests := map[string]struct {
		args []string
		want string
	}{
		"pbx without user": {[]string{"--pbx", "sip:127.0.0.1:5060"}, "needs --user"},
		"bad transport":    {[]string{"--pbx", "sip:127.0.0.1:5060", "--user", "1001", "--transport", "sctp"}, "--transport"},
		"missing scenario": {[]string{"--practice", filepath.Join(dir, "nope.toml")}, "nope.toml"},
		"bad language":     {[]string{"--practice", "default", "--lang", "fr"}, "fr"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"watch", "--config", cfg, "--data", dir}, tt.args...)
			if code := run(args, &env{stdout: &out, stderr: &errOut}); code == 0 {
				t.Fatalf("exit 0; stderr: %s", errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.want) {
				t.Errorf("stderr = %q, want it to mention %q", errOut.String(), tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q", out.String())
			}
		})
	}
}

// TestWatch_Integration registers deskctl watch to a real Kamailio and rings
// it with sipp: a known customer's call completed elsewhere, then an
// anonymous caller who gives up. Run with AGENTDESK_INTEGRATION=1.
func TestWatch_Integration(t *testing.T) {
	kamailiotest.Gate(t)
	const user, password = "1001", "watch-密码-1"
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "../../telephony/testdata/kamailio.cfg", User: user, Password: password})
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "desk.db"), store.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	known := agent.Customer{Name: "王建国", Surname: "王", Title: agent.TitleMr, Phones: []string{"13800138000"}, Member: true}
	if err := st.PutCustomer(&known, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, _, stop := runWatch(t, "--config", filepath.Join(dir, "none.toml"), "--data", dir, "--json",
		"--pbx", k.URI(), "--user", user, "--password", password, "--transport", "udp")
	waitFor(t, out, `"event":"registered"`, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	calls := []struct{ from, reason, end string }{
		{`"王建国" <sip:13800138000@127.0.0.1>`, `Reason: SIP;cause=200;text="Call completed elsewhere"`, "answered_elsewhere"},
		{`"Anonymous" <sip:anonymous@anonymous.invalid>`, "X-Test: 1", "missed"},
	}
	for i, c := range calls {
		sipp := kamailiotest.StartSipp(t, k.Addr(), "testdata/watch/caller_cancel.xml", kamailiotest.FreePort(t),
			"-s", user, "-key", "from", c.from, "-key", "extra", "X-Test: 1", "-key", "reason", c.reason)
		sipp.Wait(t, ctx)
		waitFor(t, out, `"event":"`+c.end+`"`, 1)
		waitFor(t, out, `"event":"ringing"`, i+1)
	}
	if err := stop(); err != nil {
		t.Fatalf("watch returned %v", err)
	}
	evs := decodeWatchLines(t, out.String())
	var rings, ends []desk.WatchEvent
	for _, ev := range evs {
		switch ev.Event {
		case "ringing":
			rings = append(rings, ev)
		case "answered_elsewhere", "missed":
			ends = append(ends, ev)
		}
	}
	if len(rings) != 2 || len(ends) != 2 {
		t.Fatalf("rings %d, ends %d:\n%s", len(rings), len(ends), out.String())
	}
	r := rings[0]
	if r.CallID == "" || r.Number != "+8613800138000" || r.Customer == nil || r.Customer.ID != known.ID || r.Opening == "" {
		t.Errorf("known caller's ringing = %+v", r)
	}
	if ends[0].Event != "answered_elsewhere" || ends[0].CallID != r.CallID {
		t.Errorf("first end = %+v", ends[0])
	}
	if a := rings[1]; !a.Anonymous || a.Customer != nil || a.Opening == "" {
		t.Errorf("anonymous ringing = %+v", a)
	}
	if last := evs[len(evs)-1]; last.Event != "unregistered" {
		t.Errorf("last event = %s, want unregistered", last.Event)
	}
}

// TestWatch_ConfigFile: with no flags but --config, watch does what the
// desk would: no PBX configured means the practice phone, in the config's
// language and data folder.
func TestWatch_ConfigFile(t *testing.T) {
	dir := t.TempDir()
	scenario := filepath.Join(dir, "drill.toml")
	if err := os.WriteFile(scenario, []byte(watchScenario), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := desk.Defaults()
	cfg.Data, cfg.Lang, cfg.PBX.Scenario = filepath.Join(dir, "data"), "en", scenario
	cfgPath := filepath.Join(dir, "config.toml")
	if err := desk.SaveConfig(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	out, _, stop := runWatch(t, "--config", cfgPath, "--json")
	waitFor(t, out, `"event":"missed"`, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	evs := decodeWatchLines(t, out.String())
	if len(evs) < 2 || evs[1].Event != "ringing" || !strings.Contains(evs[1].Opening, "Welcome to XX") || evs[1].Customer == nil {
		t.Errorf("events = %+v", evs)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "desk.db")); err != nil {
		t.Errorf("data folder from the config not used: %v", err)
	}
}
