package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

func monitorBoard() desk.View {
	v := ringingView()
	v.At = t0
	v.Board = desk.Board{FromHub: true, At: t0, Agents: []desk.BoardAgent{
		{Agent: "小王", Number: "8002", Status: "on_call", CallID: "c-8002", CallSince: t0.Add(-75 * time.Second)},
		{Agent: "8003", Number: "8003", Status: "available"}}}
	return v
}

// The supervisor's monitoring card: only agents on a call are offered;
// a mode button starts the session on the picked agent (once, in flight);
// during the session the other modes switch and End ends; afterwards the
// coaching note goes to the desk and the bar can be closed. The hub's
// sessions are listed as its audit.
func TestMonitorCard_Journey(t *testing.T) {
	s, d, w, q := newTestWindow(t, Options{Role: agent.RoleSupervisor})
	s.ShowTab(TabSupervisor)
	v := monitorBoard()
	s.Apply(v)
	c := s.supervisor.monitor
	if c == nil {
		t.Fatal("no monitoring card for a supervisor")
	}
	if got := c.pick.Options; len(got) != 1 || got[0] != "小王 (8002) · 09:28 起通话中" {
		t.Fatalf("agents offered = %q, want the one on a call", got)
	}
	// The drop-down opens; a newer view lands meanwhile; the agent is
	// picked from the open list (its texts are the ones it opened with).
	test.Tap(c.pick)
	v.Seq++
	v.At = v.At.Add(time.Second)
	s.Apply(v)
	tapMenuItem(t, w, "小王 (8002) · 09:28 起通话中")
	if c.chosen != "8002" {
		t.Fatalf("picked from the open drop-down: chosen %q, selected %q", c.chosen, c.pick.Selected)
	}
	test.Tap(c.listen)
	test.Tap(c.listen)
	if q.pending() != 1 || !c.listen.Disabled() || !c.barge.Disabled() {
		t.Fatalf("in flight: %d queued, listen disabled %v", q.pending(), c.listen.Disabled())
	}
	q.drain()
	if got := d.commands(); len(got) != 1 || got[0] != "monitor 8002 listen" {
		t.Fatalf("commands = %v", got)
	}
	v.Seq++
	v.Supervision = &desk.Supervision{Session: "s1", Agent: "8002", CallID: "c-8002", Mode: desk.MonitorListen, Up: true, Since: t0.Add(-5 * time.Second)}
	s.Apply(v)
	if c.status.Text != "正在监听 8002 的通话 · 0:06" || !c.listen.Disabled() || c.whisper.Disabled() || c.end.Disabled() {
		t.Errorf("up: %q, listen disabled %v, whisper %v, end %v", c.status.Text, c.listen.Disabled(), c.whisper.Disabled(), c.end.Disabled())
	}
	test.Tap(c.whisper)
	q.drain()
	test.Tap(c.end)
	q.drain()
	v.Seq++
	v.Supervision = &desk.Supervision{Session: "s1", Agent: "8002", CallID: "c-8002", Mode: desk.MonitorWhisper, Ended: true}
	v.Board.Monitors = []desk.BoardMonitor{{Supervisor: "王主管", Agent: "8002", Mode: "whisper", State: "ended", Created: t0, Ended: t0.Add(time.Minute)}}
	s.Apply(v)
	if c.status.Text != "对 8002 的监听已结束。可以给坐席留下指导意见。" || c.send.Disabled() || c.dismiss.Disabled() {
		t.Errorf("over: %q, send disabled %v", c.status.Text, c.send.Disabled())
	}
	if c.sessions.Text != "09:30 王主管 耳语 8002 · 已结束 09:31" {
		t.Errorf("sessions = %q", c.sessions.Text)
	}
	test.Type(c.note, "复述投诉内容后请对方确认。")
	test.Tap(c.send)
	q.drain()
	test.Tap(c.dismiss)
	want := []string{"monitor 8002 listen", "monitor mode whisper", "monitor end", "coaching 复述投诉内容后请对方确认。", "monitor dismiss"}
	got := d.commands()
	if len(got) != len(want) {
		t.Fatalf("commands = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// Agents and team leads get no monitoring card: the hub refuses them.
func TestMonitorCard_SupervisorsOnly(t *testing.T) {
	s, _, _, _ := newTestWindow(t, Options{Role: agent.RoleTeamLead})
	s.ShowTab(TabSupervisor)
	s.Apply(monitorBoard())
	if s.supervisor.monitor != nil {
		t.Error("a team lead's board has the monitoring card")
	}
}

// The agent sees a supervisor on the call (when the desk shows it) and,
// after the call, the coaching note, which "got it" marks seen.
func TestDeskView_MonitoredAndCoaching(t *testing.T) {
	s, d, _, q := newTestWindow(t, Options{Role: agent.RoleAgent})
	v := answeredView()
	v.At = t0
	v.Monitored = &desk.Monitored{Session: "s1", Mode: desk.MonitorWhisper, Up: true, Shown: true, Since: t0.Add(-12 * time.Second)}
	s.Apply(v)
	if got := s.deskV.monitored.Text; got != "主管正在耳语指导（来电人听不到） · 0:12" {
		t.Errorf("monitored = %q", got)
	}
	v = ringingView()
	v.Seq, v.At, v.Call, v.Calls, v.Monitored = 99, t0, nil, nil, nil
	v.Coaching = []agent.CoachingNote{{Meta: agent.Meta{ID: "n1"}, Agent: "8001", By: "王主管", Text: "开场白很标准。", At: t0},
		{Meta: agent.Meta{ID: "n0"}, Agent: "8001", By: "王主管", Text: "更早的", At: t0.Add(-time.Hour)}}
	s.Apply(v)
	if s.deskV.monitored.Text != "" || len(s.deskV.coaching.Objects) != 1 {
		t.Fatalf("after the call: monitored %q, coaching %d objects", s.deskV.monitored.Text, len(s.deskV.coaching.Objects))
	}
	var ok *widget.Button
	var texts []string
	for _, o := range test.LaidOutObjects(s.deskV.coaching) {
		switch w := o.(type) {
		case *widget.Button:
			if w.Text == "知道了" {
				ok = w
			}
		case *widget.Label:
			texts = append(texts, w.Text)
		case *widget.Card:
			texts = append(texts, w.Title)
		}
	}
	if ok == nil {
		t.Fatal("no 知道了 button on the coaching note")
	}
	joined := strings.Join(texts, "|")
	if !strings.Contains(joined, "主管指导意见 （还有 1 条）") || !strings.Contains(joined, "王主管 · 03-02 09:30\n开场白很标准。") {
		t.Errorf("the note shows %q", joined)
	}
	test.Tap(ok)
	q.drain()
	if got := d.commands(); len(got) != 1 || got[0] != "coaching seen n1" {
		t.Errorf("commands = %v", got)
	}
}

// The supervisor's recordings: the agents on the board to pick from, the
// hub's list of the last days, ▶ on those whose audio the hub holds, the
// play going to the desk; a recording without audio offers no play.
func TestRecordingsCard_FindAndPlay(t *testing.T) {
	s, d, _, q := newTestWindow(t, Options{Role: agent.RoleSupervisor})
	s.ShowTab(TabSupervisor)
	v := monitorBoard()
	v.Call, v.Calls = nil, nil
	s.Apply(v)
	c := s.supervisor.recs
	if c == nil {
		t.Fatal("no recordings card for a supervisor")
	}
	if got := c.agent.Options; len(got) != 3 || got[0] != "全部坐席" || got[1] != "8002" || got[2] != "8003" {
		t.Fatalf("agents to pick = %q", got)
	}
	d.hubRecs = []desk.HubRecording{
		{ID: "r2", Agent: "8002", Started: t0, Duration: 135 * time.Second, Audio: true},
		{ID: "r1", Agent: "8002", Started: t0.Add(-time.Hour), Duration: time.Minute}}
	c.agent.SetSelected("8002")
	test.Tap(c.find)
	q.drain()
	if c.status.Text != "共 2 条录音" || len(c.list.Objects) != 2 {
		t.Fatalf("after find: %q, %d rows", c.status.Text, len(c.list.Objects))
	}
	var play *widget.Button
	var noAudio bool
	for _, o := range test.LaidOutObjects(c.list) {
		switch w := o.(type) {
		case *widget.Button:
			if w.Text == "播放" {
				play = w
			}
		case *widget.Label:
			noAudio = noAudio || w.Text == "（录音尚未上传）"
		}
	}
	if play == nil || !noAudio {
		t.Fatalf("rows: play %v, no-audio note %v", play != nil, noAudio)
	}
	test.Tap(play)
	q.drain()
	want := []string{"hub recordings 8002", "play hub recording r2"}
	if got := d.commands(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("commands = %q, want %q", got, want)
	}
}

// tapMenuItem taps the item reading text in the window's open pop-up menu.
func tapMenuItem(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no pop-up open")
	}
	for _, o := range test.LaidOutObjects(top) {
		tp, ok := o.(fyne.Tappable)
		if !ok || fmt.Sprintf("%T", o) != "*widget.menuItem" {
			continue
		}
		for _, in := range test.LaidOutObjects(o) {
			if tx, ok := in.(*canvas.Text); ok && tx.Text == text {
				test.Tap(tp)
				return
			}
		}
	}
	t.Fatalf("the pop-up has no item %q", text)
}
