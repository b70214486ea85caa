package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// hubHistory is what the fake hub holds: zh-Hans versions 1 (approved, no
// longer live), 2 (live) and 3 (pending, lin's), and an en version the
// zh-Hans panel must not list.
func hubHistory() []desk.PackVersion {
	return []desk.PackVersion{
		{Version: 4, Lang: "en", State: desk.PackPending, By: "lin", At: t0},
		{Version: 3, Lang: "zh-Hans", State: desk.PackPending, By: "lin", At: t0},
		{Version: 2, Lang: "zh-Hans", State: desk.PackApproved, Live: true, By: "lin", At: t0.AddDate(0, 0, -7),
			ReviewedBy: "zhao", ReviewedAt: t0.AddDate(0, 0, -6)},
		{Version: 1, Lang: "zh-Hans", State: desk.PackApproved, By: "wang", At: t0.AddDate(0, -1, 0),
			ReviewedBy: "zhao", ReviewedAt: t0.AddDate(0, -1, 0), Reason: "first pack"},
	}
}

// diff3 is version 3 against the live version 2: one line removed, two
// added, one in Chinese.
const diff3 = "--- v2 pack.toml (live)\n+++ v3 pack.toml\n@@ -1,2 +1,3 @@\n company = \"XX\"\n" +
	"-greeting = \"old\"\n+greeting = \"new\"\n+name = \"测试节\"\n"

// openVersions opens the trainer tab as a user of role and shows its
// versions, read from the fake hub.
func openVersions(t *testing.T, role agent.Role, lang string) (*Window, *fakeDesk, fyne.Window, *queue, *versionsPanel) {
	t.Helper()
	s, d, w, q, v := openTrainer(t, Options{Lang: lang})
	d.history = hubHistory()
	d.diffs = map[int64]desk.PackDiff{
		3: {Version: 3, Lang: "zh-Hans", Live: 2, Text: diff3},
		2: {Version: 2, Lang: "zh-Hans", Live: 2},
		1: {Version: 1, Lang: "zh-Hans", Live: 2, Text: "--- v2\n+++ v1\n@@ -1 +1 @@\n-a\n+b\n"},
	}
	view := ringingView()
	view.Seq, view.Role = 11, role
	s.Apply(view)
	v.subTabs.SelectIndex(versionsTab)
	p := v.vers
	if q.pending() != 1 || !p.refresh.Disabled() {
		t.Fatalf("showing the versions queued %d reads (refresh disabled %v), want 1 off the Fyne goroutine", q.pending(), p.refresh.Disabled())
	}
	q.drain()
	return s, d, w, q, p
}

// overlayCanvasText finds a text drawn in the top dialog (a form's label).
func overlayCanvasText(w fyne.Window, text string) (*canvas.Text, bool) {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return nil, false
	}
	for _, o := range test.LaidOutObjects(top) {
		if tx, ok := o.(*canvas.Text); ok && tx.Text == text {
			return tx, true
		}
	}
	return nil, false
}

// shownLabels is the text of every visible label of the window.
func shownLabels(w fyne.Window) string {
	var b strings.Builder
	for _, o := range test.LaidOutObjects(w.Canvas().Content()) {
		if l, ok := o.(*widget.Label); ok && l.Visible() {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// A supervisor sees the language's versions with who wrote and reviewed
// them, picks the pending one to see its diff against the live one
// (monospace, coloured), approves it after confirming, and the list shows
// it live.
func TestTrainerVersions_HistoryDiffApprove(t *testing.T) {
	s, d, w, q, p := openVersions(t, agent.RoleSupervisor, "zh-Hans")
	if got := d.commands(); got[len(got)-1] != "history zh-Hans" {
		t.Fatalf("commands = %v", got)
	}
	if len(p.versions) != 3 || p.status.Text != "共 3 个版本，1 个待审核" {
		t.Fatalf("listed %d versions, status %q", len(p.versions), p.status.Text)
	}
	if got := s.trainer.subTabs.Items[1].Text; got != "版本与审核（1 个待审）" {
		t.Errorf("tab title %q", got)
	}
	shown := shownLabels(w)
	for _, want := range []string{"中心上的简体中文话术包版本", "第 3 版 · 待审核", "第 2 版 · 已通过 · ● 在用", "lin 提交于 2026-03-02 09:30",
		"zhao 审核于 2026-02-02 09:30 · 理由：first pack", "在左侧选一个版本，查看它与在用版本的差别。"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the panel does not show %q:\n%s", want, shown)
		}
	}
	if !p.approve.Visible() || !p.approve.Disabled() || !p.reject.Disabled() || !p.rollback.Disabled() {
		t.Error("with nothing picked the review buttons should show, disabled")
	}

	p.list.Select(0)
	if q.pending() != 1 || p.diffNote.Text != "正在读取改动…" {
		t.Fatalf("picking: %d queued, note %q", q.pending(), p.diffNote.Text)
	}
	q.drain()
	if p.diffNote.Text != "与在用的第 2 版相比：新增 2 行（+，绿色），删除 1 行（-，红色）" {
		t.Errorf("diff note %q", p.diffNote.Text)
	}
	segs := map[string]*widget.TextSegment{}
	for _, sg := range p.diffText.Segments {
		ts := sg.(*widget.TextSegment)
		segs[ts.Text] = ts
	}
	for text, want := range map[string]struct {
		colour fyne.ThemeColorName
		mono   bool
	}{
		"- greeting = \"old\"": {theme.ColorNameError, true}, "+ greeting = \"new\"": {theme.ColorNameSuccess, true},
		"+ name = \"": {theme.ColorNameSuccess, true}, "测试节": {theme.ColorNameSuccess, false},
		"  company = \"XX\"": {theme.ColorNameForeground, true},
	} {
		sg := segs[text]
		if sg == nil {
			t.Errorf("the diff has no segment %q", text)
			continue
		}
		if sg.Style.ColorName != want.colour || sg.Style.TextStyle.Monospace != want.mono {
			t.Errorf("%q: colour %s monospace %v, want %s %v", text, sg.Style.ColorName, sg.Style.TextStyle.Monospace, want.colour, want.mono)
		}
	}
	// The runs of a line are inline but its last: one line on screen.
	var line []string
	for _, sg := range p.diffText.Segments {
		ts := sg.(*widget.TextSegment)
		if strings.HasPrefix(ts.Text, "+ name") || len(line) > 0 {
			line = append(line, fmt.Sprintf("%s/%v", ts.Text, ts.Inline()))
			if !ts.Inline() {
				break
			}
		}
	}
	if got := strings.Join(line, " "); got != `+ name = "/true 测试节/true "/false` {
		t.Errorf("the CJK line's runs: %s", got)
	}
	if p.approve.Disabled() || p.reject.Disabled() || !p.rollback.Disabled() {
		t.Errorf("a pending version: approve %v reject %v rollback %v (disabled)", p.approve.Disabled(), p.reject.Disabled(), p.rollback.Disabled())
	}

	test.Tap(p.approve)
	if !strings.Contains(overlayText(w), "通过第 3 版？") || q.pending() != 0 {
		t.Fatalf("approve asks first: %q, %d queued", overlayText(w), q.pending())
	}
	test.Tap(overlayButton(t, w, "确定"))
	if q.pending() != 1 || p.approve.Text != "通过 …" || !p.approve.Disabled() || !p.reject.Disabled() {
		t.Errorf("in flight: %q disabled %v", p.approve.Text, p.approve.Disabled())
	}
	q.drain()
	if !strings.Contains(overlayText(w), "第 3 版已通过：各坐席下次同步时使用。") {
		t.Errorf("after approving: %q", overlayText(w))
	}
	closeOverlays(w)
	got := d.commands()
	if want := []string{"review 3 true ", "history zh-Hans", "diff 3"}; strings.Join(got[len(got)-3:], "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q, want to end with %q", got, want)
	}
	if pv, _ := p.selected(); pv.Version != 3 || pv.State != desk.PackApproved || !pv.Live || p.head.Text != "第 3 版 · 已通过 · ● 在用" {
		t.Errorf("after approving: %+v, head %q", pv, p.head.Text)
	}
	if !p.approve.Disabled() || !p.reject.Disabled() || !p.rollback.Disabled() {
		t.Error("the live version offers a review or a rollback")
	}
	if got := s.trainer.subTabs.Items[1].Text; got != "版本与审核" {
		t.Errorf("tab title %q with nothing to review", got)
	}
}

// Rejecting asks for a reason and will not go without one; the hub's
// refusal of the author's own version is shown in the user's language.
func TestTrainerVersions_RejectNeedsAReasonOwnVersionRefused(t *testing.T) {
	_, d, w, q, p := openVersions(t, agent.RoleTrainer, "zh-Hans")
	p.list.Select(0)
	q.drain()
	test.Tap(p.reject)
	if _, ok := overlayCanvasText(w, "驳回第 3 版的理由（作者会看到）"); !ok {
		t.Fatal("the reject dialog does not ask for the reason")
	}
	test.Tap(overlayButton(t, w, "确定"))
	if !strings.Contains(overlayText(w), "请写明理由。") || q.pending() != 0 {
		t.Errorf("a blank reason: %q, %d queued", overlayText(w), q.pending())
	}
	closeOverlays(w)

	test.Tap(p.reject)
	reason, ok := w.Canvas().Focused().(*field)
	if !ok {
		t.Fatalf("the reason field does not have the focus (%T)", w.Canvas().Focused())
	}
	test.Type(reason, "春节日期不对")
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	if !strings.Contains(overlayText(w), "第 3 版已驳回。") {
		t.Errorf("after rejecting: %q", overlayText(w))
	}
	closeOverlays(w)
	if !strings.Contains(strings.Join(d.commands(), "|"), "review 3 false 春节日期不对") {
		t.Errorf("commands = %q", d.commands())
	}
	if pv, _ := p.selected(); pv.State != desk.PackRejected || !strings.Contains(p.detail.Text, "理由：春节日期不对") {
		t.Errorf("rejected: %+v, detail %q", pv, p.detail.Text)
	}

	// Another pending version, the user's own: the hub refuses.
	d.mu.Lock()
	d.history = append([]desk.PackVersion{{Version: 5, Lang: "zh-Hans", State: desk.PackPending, By: "me", At: t0}}, d.history...)
	d.reviewFail = &desk.HubError{Err: desk.ErrHubOwnVersion, Detail: "me wrote version 5; a supervisor or another trainer reviews it"}
	d.mu.Unlock()
	test.Tap(p.refresh)
	q.drain()
	p.list.Select(0)
	q.drain()
	test.Tap(p.approve)
	test.Tap(overlayButton(t, w, "确定"))
	q.drain()
	if !strings.Contains(overlayText(w), "这是您自己提交的版本，不能自己审核：请主管或另一位培训师审核。") {
		t.Errorf("own version: %q", overlayText(w))
	}
}

// An approved version that is not live can be made live again, with a
// reason; the copy the hub makes is then picked, live.
func TestTrainerVersions_Rollback(t *testing.T) {
	_, d, w, q, p := openVersions(t, agent.RoleSupervisor, "zh-Hans")
	p.list.Select(2)
	q.drain()
	if pv, _ := p.selected(); pv.Version != 1 || p.rollback.Disabled() || !p.approve.Disabled() || !p.reject.Disabled() {
		t.Fatalf("version 1: picked %d, rollback disabled %v", pv.Version, p.rollback.Disabled())
	}
	test.Tap(p.rollback)
	test.Type(w.Canvas().Focused().(*field), "回到上个月的版本")
	test.Tap(overlayButton(t, w, "确定"))
	if p.rollback.Text != "回滚到此版 …" {
		t.Errorf("in flight: %q", p.rollback.Text)
	}
	q.drain()
	if !strings.Contains(overlayText(w), "已回滚：第 5 版（复制第 1 版）现在在用") {
		t.Errorf("after the rollback: %q", overlayText(w))
	}
	if pv, _ := p.selected(); pv.Version != 5 || !pv.Live || pv.RollbackOf != 1 || !strings.Contains(p.detail.Text, "回滚到第 1 版") {
		t.Errorf("picked after the rollback: %+v, detail %q", pv, p.detail.Text)
	}
	if !strings.Contains(strings.Join(d.commands(), "|"), "rollback 1 回到上个月的版本") {
		t.Errorf("commands = %q", d.commands())
	}
}

// An agent sees the versions but no review buttons, and is told why; the
// hub's refusals and a desk without a hub are said in the user's language.
func TestTrainerVersions_RoleAndRefusals(t *testing.T) {
	_, d, w, q, p := openVersions(t, agent.RoleAgent, "en")
	if p.approve.Visible() || p.reject.Visible() || p.rollback.Visible() {
		t.Error("an agent is offered the review buttons")
	}
	if !p.roleNote.Visible() || p.roleNote.Text != "Supervisors and trainers review versions; with your role you can look at them." {
		t.Errorf("role note %q (visible %v)", p.roleNote.Text, p.roleNote.Visible())
	}
	if shown := shownLabels(w); !strings.Contains(shown, "Version 4 · pending review") || strings.Contains(shown, "Version 3") {
		t.Errorf("the English list:\n%s", shownLabels(w))
	}

	for _, c := range []struct {
		err  error
		want string
	}{
		{desk.ErrNeedsHub, "No hub is configured: versions, review and rollback need the hub"},
		{&desk.HubError{Err: desk.ErrHubRole, Detail: "forbidden"}, "The hub refused: this token's role may not see or review packs"},
		{&desk.HubError{Err: desk.ErrHubUnreachable, Detail: "dial tcp: connection refused"}, "The hub cannot be reached; nothing was changed.\ndial tcp: connection refused"},
	} {
		d.mu.Lock()
		d.hubFail = c.err
		d.mu.Unlock()
		test.Tap(p.refresh)
		q.drain()
		if !strings.HasPrefix(p.status.Text, c.want) || p.status.Importance != widget.DangerImportance || len(p.versions) != 0 {
			t.Errorf("%v: status %q, %d versions listed", c.err, p.status.Text, len(p.versions))
		}
	}
}

// Picking a second version while the first one's diff is read shows the
// second one's, read once the first is back.
func TestTrainerVersions_PickWhileADiffLoads(t *testing.T) {
	_, d, _, q, p := openVersions(t, agent.RoleSupervisor, "zh-Hans")
	p.list.Select(0)
	p.list.Select(2)
	if q.pending() != 1 {
		t.Fatalf("%d diffs in flight, want 1 (one command at a time)", q.pending())
	}
	q.drain()
	got := d.commands()
	if strings.Join(got[len(got)-2:], "|") != "diff 3|diff 1" || p.diff == nil || p.diff.Version != 1 {
		t.Errorf("commands %q, diff shown %+v", got, p.diff)
	}
	if p.diffNote.Text != "与在用的第 2 版相比：新增 1 行（+，绿色），删除 1 行（-，红色）" {
		t.Errorf("note %q", p.diffNote.Text)
	}
	p.list.Select(1)
	q.drain()
	if p.diffNote.Text != "与在用版本的内容相同。" || len(p.diffText.Segments) != 0 {
		t.Errorf("the live version against itself: %q, %d segments", p.diffNote.Text, len(p.diffText.Segments))
	}
}

// After publishing, the versions (when shown before) are read again with
// the new version picked, pending.
func TestTrainerVersions_PublishShowsThePendingVersion(t *testing.T) {
	s, _, w, q, p := openVersions(t, agent.RoleTrainer, "zh-Hans")
	s.trainer.subTabs.SelectIndex(0)
	test.Tap(s.trainer.publish)
	q.drain()
	if !strings.Contains(overlayText(w), "已提交第 7 版，等待主管审核") {
		t.Errorf("publish: %q", overlayText(w))
	}
	closeOverlays(w)
	if pv, ok := p.selected(); !ok || pv.Version != 7 || pv.State != desk.PackPending || p.head.Text != "第 7 版 · 待审核" {
		t.Errorf("after publishing: %+v %v, head %q", pv, ok, p.head.Text)
	}
	if got := s.trainer.subTabs.Items[1].Text; got != "版本与审核（2 个待审）" {
		t.Errorf("tab title %q", got)
	}
}

func TestScriptRuns(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "[  true]",
		"+ name = \"测试节\"":    "[+ name = \" true] [测试节 false] [\" true]",
		"春节":                  "[春节 false]",
		"greeting = \"新年好！\"": "[greeting = \" true] [新年好！ false] [\" true]",
	} {
		var parts []string
		for _, r := range scriptRuns(in) {
			parts = append(parts, "["+r.text+" "+map[bool]string{true: "true", false: "false"}[r.latin]+"]")
		}
		if got := strings.Join(parts, " "); got != want {
			t.Errorf("scriptRuns(%q) = %s, want %s", in, got, want)
		}
	}
}
