package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/hub"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/agent/upstream"
	"agentdesk/cmd/internal/hublink"
	"agentdesk/cmd/internal/storesync"
	"agentdesk/telephony"
	"agentdesk/telephony/audio"
	"agentdesk/telephony/audio/audiotest"
	"agentdesk/telephony/baresiptest"
	"agentdesk/telephony/kamailiotest"
)

// The tones of the monitoring journey: the caller, the agent and the
// supervisor each speak a tone of their own, none near a harmonic or an
// intermodulation product of the others.
const (
	monCallerHz = 440
	monAgentHz  = 1000
	monSupHz    = 1330
	// heard: a tone counts in a 100 ms window from −30 dBFS; leak: from −40.
	monHeard = 0.03
	monLeak  = 0.01
)

// monAgentDesk is the agent's desk of the journey, in this process: the
// desk, its hub link (started) and its SIP phone on the "agent" headset.
type monAgentDesk struct {
	st   *store.Store
	d    *desk.Desk
	ua   *telephony.UA
	link *hublink.Link
}

func startMonAgentDesk(t *testing.T, hubURL, token, pbx, user, password string) *monAgentDesk {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "agent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The agent signs in at this desk: the hub gives the desk their
	// coaching notes only then.
	sc, err := upstream.NewClient(hubURL, token, storesync.New(st), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sc.SignIn(context.Background(), user, "2468")
	if err != nil {
		t.Fatal(err)
	}
	token = string(res.Session)
	cfg := desk.Defaults()
	cfg.Data = t.TempDir()
	cfg.AgentNumber, cfg.AgentName = user, "小王"
	cfg.PBX.URI, cfg.PBX.User, cfg.PBX.Password = pbx, user, desk.Secret(password)
	cfg.Hub.URL, cfg.Hub.Token = hubURL, desk.Secret(token)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("desk", "agent")
	link, err := hublink.New(cfg, st, log, upstream.WithInterval(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	packs, err := desk.LoadPacks(cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Hub: link, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	link.Attach(d)
	ua, err := telephony.New(telephony.Config{PBX: pbx, User: user, Password: password, Input: "agent_mic", Output: "agent", Ring: "agent",
		Recordings: cfg.RecordingsDir()},
		d, telephony.WithLogger(log), telephony.WithListenAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	d.SetPhone(ua)
	ctx, cancel := context.WithCancel(context.Background())
	if err := ua.Start(ctx); err != nil {
		t.Fatal(err)
	}
	link.Start(ctx)
	t.Cleanup(func() { cancel(); link.Stop(); ua.Close(); d.Close() })
	return &monAgentDesk{st: st, d: d, ua: ua, link: link}
}

// view waits for the agent desk's view to satisfy ok.
func (a *monAgentDesk) view(t *testing.T, what string, within time.Duration, ok func(desk.View) bool) desk.View {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		v := a.d.View()
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent desk: %s not within %v (line %+v, call %v, monitored %+v)", what, within, v.Line, v.Call != nil, v.Monitored)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMonitorJourney_ListenWhisperBargeCoach is issue 13's journey through
// the real pieces: a real hub (agent/hub on PostgreSQL) whose center shows
// agents that they are monitored; a real Kamailio; three sound cards as
// PulseAudio null sinks. The caller is baresip playing a tone; the agent's
// desk (in this process, with its SIP phone on the "agent" headset, the
// agent speaking a tone of their own) answers. An agent's token asking to
// monitor (deskctl monitor) is refused and nothing is set up. The
// supervisor, in the real agentdesk window with its headset "sup", opens
// the board with Alt+2, picks the agent on the call and clicks 监听 — the
// supervisor hears the caller and the agent — then 耳语 — the agent hears
// the supervisor, the caller does not — then 强插 — all three hear each
// other; the agent's desk shows a supervisor on the call meanwhile. The
// supervisor ends the session, writes a coaching note (pasted in Chinese)
// and sends it; once the caller hangs up, the agent's desk has the note.
// Every step is in the hub's audit.
func TestMonitorJourney_ListenWhisperBargeCoach(t *testing.T) {
	kamailiotest.Gate(t)
	audiotest.PulseGate(t)
	baresiptest.Gate(t)
	pulse := audiotest.StartPulse(t, "agent", "sup")
	x := startX(t)
	bin := desktopBinary(t)
	ctl := deskctlBinary(t)
	h := newJourneyHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if _, err := h.db.SetSettings(ctx, agent.CenterSettings{ShowMonitoring: true}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.AddAgent(ctx, hub.AgentSpec{Number: "1001", Name: "小王", Role: upstream.RoleAgent, PIN: "2468"}); err != nil {
		t.Fatal(err)
	}
	supTok := h.token(t, upstream.RoleSupervisor, "王主管")
	agentTok := h.token(t, upstream.RoleAgent, "desk-1001")
	otherTok := h.token(t, upstream.RoleAgent, "desk-1004")
	const agentExt, supExt, password = "1001", "1003", "mon-pass"
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "../../telephony/testdata/kamailio.cfg", User: agentExt, Password: password})

	// The three mouths: the agent's and the supervisor's microphones play
	// their tones all along; baresip plays the caller's.
	for sink, hz := range map[string]float64{"agent_mic_feed": monAgentHz, "sup_mic_feed": monSupHz} {
		mouth := make([]int16, 150*audio.Rate)
		audio.Tone(mouth, hz, 0.25, 0)
		pulse.Play(ctx, sink, mouth)
	}

	ad := startMonAgentDesk(t, h.url, agentTok, k.URI(), agentExt, password)
	ad.view(t, "registered", 20*time.Second, func(v desk.View) bool { return v.Line.Status == desk.RegRegistered })

	// The supervisor's window.
	data := filepath.Join(x.dir, "sup-data")
	cfgPath := filepath.Join(x.dir, "sup.toml")
	conf := fmt.Sprintf("data = %q\nlang = \"zh-Hans\"\nagent_number = \"9001\"\nagent_name = \"王主管\"\nrole = \"supervisor\"\n"+
		"[pbx]\nuri = %q\nuser = %q\npassword = %q\n[audio]\ninput = \"sup_mic\"\noutput = \"sup\"\nring = \"sup\"\n"+
		"[hub]\nurl = %q\ntoken = %q\nsign_in = false\n", data, k.URI(), supExt, password, h.url, supTok)
	if err := os.WriteFile(cfgPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var penv []string
	for _, kv := range pulse.Env() {
		if strings.HasPrefix(kv, "PULSE_SERVER=") || strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			penv = append(penv, kv)
		}
	}
	sup := x.startDesk(bin, penv, "--config", cfgPath)
	win := x.waitWindow("坐席工作台", 60*time.Second)
	sup.waitLog(`msg="line event".* event=registered`, 30*time.Second)

	// The caller rings the agent, who answers.
	b := baresiptest.Start(t, baresiptest.Options{User: "1002", Password: password, Domain: "127.0.0.1",
		Proxy: "sip:" + k.Addr(), Codec: "PCMU", ToneHz: monCallerHz, Commands: []string{"/dial sip:" + agentExt + "@127.0.0.1"}})
	ring := ad.view(t, "ringing", 20*time.Second, func(v desk.View) bool { return v.Call != nil })
	if err := ad.d.Answer(ring.Call.CallID); err != nil {
		t.Fatal(err)
	}
	answered := time.Now()
	ad.view(t, "answered", 10*time.Second, func(v desk.View) bool { return v.Call != nil && v.Call.Status == desk.CallOnCall })

	// An agent's token may not monitor: refused, and nothing set up.
	code, _, errOut := x.deskctl(ctl, "monitor", agentExt, "--mode", "listen", "--hub", h.url, "--token", otherTok,
		"--pbx", k.URI(), "--user", "1004", "--password", password, "--config", filepath.Join(x.dir, "none.toml"))
	if code == 0 || !strings.Contains(errOut, "role") {
		t.Errorf("deskctl monitor with an agent's token: exit %d, stderr %q", code, errOut)
	}
	time.Sleep(time.Second)
	if v := ad.d.State(); v.Monitored != nil {
		t.Errorf("the refused request set something up on the agent's desk: %+v", v.Monitored)
	}

	// The supervisor's board, from the oracle: the same window with the
	// same board.
	ocfg := desk.Defaults()
	ocfg.Lang, ocfg.Role, ocfg.AgentNumber = "zh-Hans", agent.RoleSupervisor, "9001"
	ocfg.Hub.URL, ocfg.Hub.Token = h.url, desk.Secret(supTok)
	or, _ := newHubOracle(t, ocfg)
	board := desk.View{Seq: 1 << 40, At: time.Now(), Lang: "zh-Hans", Role: agent.RoleSupervisor,
		Board: desk.Board{FromHub: true, At: time.Now(), Agents: []desk.BoardAgent{{Agent: agentExt, Number: agentExt,
			Status: "on_call", CallID: ring.Call.CallID, CallSince: answered}}}}
	or.win.Apply(board)
	or.win.ShowTab(ui.TabSupervisor)
	or.wait(t, "请选择正在通话的坐席", 10*time.Second)
	at := func(p image.Point) image.Point { return win.Add(p) }
	x.click(at(deskFocusPoint))
	x.key("alt+2")
	time.Sleep(time.Second)
	pick := at(or.labelled("请选择正在通话的坐席"))
	pickRect := image.Rectangle{Min: pick.Sub(image.Pt(120, 12)), Max: pick.Add(image.Pt(120, 12))}
	empty := x.shot("monitor-board")
	// Where the drop-down's first item shows: the oracle opens its own.
	or.tapSelect("请选择正在通话的坐席")
	var item image.Point
	for _, p := range or.overlay() {
		if tx, ok := p.obj.(*canvas.Text); ok && strings.HasPrefix(tx.Text, agentExt+" ") {
			item = centre(p.rect)
		}
	}
	if item == (image.Point{}) {
		t.Fatal("the oracle's drop-down offers no agent")
	}
	or.tapAt(item)
	itemRect := image.Rectangle{Min: at(item).Sub(image.Pt(100, 8)), Max: at(item).Add(image.Pt(100, 8))}
	// The agent is offered once the hub's board has the call: open the
	// real drop-down, click its first item, and check it closed with the
	// agent picked.
	for deadline := time.Now().Add(30 * time.Second); ; {
		x.click(pick)
		time.Sleep(1200 * time.Millisecond)
		x.click(at(item))
		time.Sleep(1200 * time.Millisecond)
		shot := x.shot("monitor-picked")
		if changed(empty, shot, pickRect) > 50 && changed(empty, shot, itemRect) < 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent on the call was never picked on the supervisor's board")
		}
	}
	clickButton := func(text string) {
		t.Helper()
		x.click(at(or.button(text)))
	}

	// 监听.
	clickButton("监听")
	clicked := time.Now()
	ad.view(t, "a supervisor on the call, shown", 30*time.Second, func(v desk.View) bool { return v.Monitored != nil })
	up := time.Since(clicked)
	time.Sleep(1200 * time.Millisecond)
	x.shot("monitor-listen")
	listenSup := recordFor(pulse, "sup.monitor", 3*time.Second)
	listenAgent := recordFor(pulse, "agent.monitor", 3*time.Second)

	// 耳语.
	clickButton("耳语")
	ad.view(t, "whisper", 10*time.Second, func(v desk.View) bool { return v.Monitored != nil && v.Monitored.Mode == desk.MonitorWhisper })
	whisperFrom := time.Since(answered)
	time.Sleep(800 * time.Millisecond)
	x.shot("monitor-whisper")
	whisperAgent := recordFor(pulse, "agent.monitor", 3*time.Second)
	whisperTo := time.Since(answered)

	// 强插.
	clickButton("强插")
	ad.view(t, "barge", 10*time.Second, func(v desk.View) bool { return v.Monitored != nil && v.Monitored.Mode == desk.MonitorBarge })
	bargeFrom := time.Since(answered)
	time.Sleep(3800 * time.Millisecond)
	bargeTo := time.Since(answered)
	x.shot("monitor-barge")

	// 结束监听, and the coaching note.
	clickButton("结束监听")
	ad.view(t, "the session over", 10*time.Second, func(v desk.View) bool { return v.Monitored == nil })
	time.Sleep(600 * time.Millisecond)
	// The oracle shows the same ended session, with its note form.
	board.Seq++
	board.Supervision = &desk.Supervision{Session: "oracle", Agent: agentExt, Mode: desk.MonitorBarge, Ended: true}
	or.win.Apply(board)
	x.click(at(or.labelled("例如：开场白语速再慢一点；复述投诉内容后请对方确认。")))
	const note = "开场白很标准；复述投诉内容后请对方确认。"
	x.paste(note)
	time.Sleep(300 * time.Millisecond)
	clickButton("发送指导意见")

	// The same from the command line: deskctl monitor listens on the
	// supervisor's headset for four seconds, printing the session.
	supEar := pulse.Record("sup.monitor")
	mon := exec.Command(ctl, "monitor", agentExt, "--mode", "listen", "--for", "4s", "--hub", h.url, "--token", supTok,
		"--pbx", k.URI(), "--user", "1005", "--password", password, "--input", "sup_mic", "--output", "sup",
		"--config", filepath.Join(x.dir, "none.toml"))
	mon.Env = append(append([]string(nil), x.env...), penv...)
	var monOut, monErr bytes.Buffer
	mon.Stdout, mon.Stderr = &monOut, &monErr
	code = 0
	if err := mon.Run(); err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	out, errOut := monOut.String(), monErr.String()
	ctlEar := supEar.Stop()
	if code != 0 || !strings.Contains(out, `"state":"up"`) || !strings.Contains(out, `"state":"ended"`) {
		t.Errorf("deskctl monitor: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if d := audiotest.MixedToneTime(ctlEar, monCallerHz, monHeard); d < 2*time.Second {
		t.Errorf("deskctl monitor: the supervisor heard the caller for %v", d)
	}
	b.Stop()
	ad.view(t, "the call over", 15*time.Second, func(v desk.View) bool { return v.Call == nil })
	v := ad.view(t, "the coaching note", 30*time.Second, func(v desk.View) bool { return len(v.Coaching) > 0 })
	if n := v.Coaching[0]; n.Text != note || n.By != "王主管" || n.CallID != ring.Call.CallID {
		t.Errorf("the agent's note = %+v", n)
	}
	x.shot("monitor-noted")

	// The agent's recording of the call reaches the hub after its record;
	// the supervisor finds it on the board and plays it on the headset.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		recs, err := ad.st.AllRecordings()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 1 && !recs[0].Uploaded.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent's recording did not reach the hub: %+v", recs)
		}
	}
	find := or.button("查询")
	x.click(at(find))
	// The oracle lists the same: its button tapped as a widget (a tap at
	// the point lands on the icon's padding in the test canvas).
	for _, p := range or.objects() {
		if b, ok := p.obj.(*widget.Button); ok && b.Text == "查询" {
			test.Tap(b)
		}
	}
	or.wait(t, "播放", 15*time.Second)
	time.Sleep(time.Second)
	x.shot("monitor-recordings")
	playAt := or.button("播放")
	time.Sleep(1500 * time.Millisecond)
	x.shot("monitor-recordings")
	ear := pulse.Record("sup.monitor")
	x.click(at(playAt))
	time.Sleep(4 * time.Second)
	x.shot("monitor-recording-playing")
	played := ear.Stop()
	x.click(at(playAt)) // ■: stop
	if d := audiotest.MixedToneTime(played, monCallerHz, monHeard); d < 2*time.Second {
		t.Errorf("the supervisor heard the recorded caller for %v of 4 s", d)
	}

	// What each ear heard.
	_, decPath := b.Recordings()
	callerEar := readWAV8k(t, decPath)
	heard := func(s []int16, hz float64) time.Duration { return audiotest.MixedToneTime(s, hz, monHeard) }
	leak := func(s []int16, hz float64) time.Duration { return audiotest.MixedToneTime(s, hz, monLeak) }
	callerWhisper := spanOf(callerEar, whisperFrom+800*time.Millisecond, whisperTo-200*time.Millisecond)
	callerBarge := spanOf(callerEar, bargeFrom+800*time.Millisecond, bargeTo-200*time.Millisecond)
	t.Logf("session up %v after the click on 监听; listen: supervisor hears caller %v agent %v, agent hears supervisor %v; whisper: agent hears supervisor %v, caller %v of %v; barge: caller hears supervisor %v of %v",
		up.Round(100*time.Millisecond), heard(listenSup, monCallerHz), heard(listenSup, monAgentHz), leak(listenAgent, monSupHz),
		heard(whisperAgent, monSupHz), leak(callerWhisper, monSupHz), dur(callerWhisper), heard(callerBarge, monSupHz), dur(callerBarge))
	const half = 1500 * time.Millisecond
	if heard(listenSup, monCallerHz) < half || heard(listenSup, monAgentHz) < half {
		t.Errorf("listen: the supervisor heard the caller %v and the agent %v of 3 s", heard(listenSup, monCallerHz), heard(listenSup, monAgentHz))
	}
	if d := leak(listenAgent, monSupHz); d > 300*time.Millisecond {
		t.Errorf("listen: the supervisor reached the agent for %v", d)
	}
	if heard(whisperAgent, monSupHz) < half {
		t.Errorf("whisper: the agent heard the supervisor for %v of 3 s", heard(whisperAgent, monSupHz))
	}
	if d := leak(callerWhisper, monSupHz); d > 300*time.Millisecond {
		t.Errorf("whisper: the caller heard the supervisor for %v", d)
	}
	if heard(callerBarge, monSupHz) < dur(callerBarge)/2 {
		t.Errorf("barge: the caller heard the supervisor for %v of %v", heard(callerBarge, monSupHz), dur(callerBarge))
	}

	// The hub's audit: the refusal, the session, its modes and its end, the
	// recording's upload and the supervisor's play.
	c, err := upstream.NewClient(h.url, supTok, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.Audit(ctx, upstream.AuditQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Entries {
		if strings.HasPrefix(string(e.Action), "monitor.") || strings.HasPrefix(string(e.Action), "recording.") {
			actions = append(actions, string(e.Action))
		}
	}
	got := strings.Join(actions, " ")
	for _, want := range []string{"monitor.refused", "monitor.start", "monitor.mode", "monitor.end", "recording.upload", "recording.read"} {
		if !strings.Contains(got, want) {
			t.Errorf("the audit lacks %s: %s", want, got)
		}
	}
	raw, _ := json.Marshal(actions)
	t.Logf("audit: %s", raw)
}

// recordFor records source for d and returns the samples.
func recordFor(p *audiotest.Pulse, source string, d time.Duration) []int16 {
	r := p.Record(source)
	time.Sleep(d)
	return r.Stop()
}

// spanOf is the part of samples (8 kHz) from from to to after their start.
func spanOf(samples []int16, from, to time.Duration) []int16 {
	a := min(len(samples), int(from.Seconds()*audio.Rate))
	b := min(len(samples), int(to.Seconds()*audio.Rate))
	return samples[a:max(a, b)]
}

func dur(samples []int16) time.Duration {
	return time.Duration(len(samples)) * time.Second / audio.Rate
}

// readWAV8k reads baresip's dump as 8 kHz mono.
func readWAV8k(t *testing.T, path string) []int16 {
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
