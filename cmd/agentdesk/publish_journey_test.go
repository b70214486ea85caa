package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent/desk"
	"agentdesk/agent/hub"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/cmd/internal/hublink"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// twoCallers rings an unknown number twice: first a few seconds after the
// desk starts (ringing 15 s, then the caller gives up), then 40 s after
// that, long enough for the review and a sync round in between.
const twoCallers = `name = "review"
[[caller]]
number = "13900139000"
delay = "6s"
ring = "15s"
[[caller]]
number = "13900139000"
delay = "40s"
ring = "60s"
`

// holidayGreeting is the pack's new line: a holiday of its own, today.
const holidayGreeting = "客服节快乐！XX客服中心，请问有什么可以帮您！"

// TestPublishJourney_ApprovedHolidayReachesASecondDesk is issue 11's
// figure, with the real binaries: trainer lin publishes (deskctl scripts
// publish) a pack adding a holiday of today with its own greeting, on a
// real hub (agent/hub on PostgreSQL). While it is pending, desk 2's data
// synced with the hub gives the standard line in deskctl greet, and desk
// 2's window (the agentdesk binary under Xvfb, syncing with the hub) opens
// the first practice call with it too. lin may not approve it; trainer
// zhao does (deskctl scripts review --approve). Within desk 2's next sync
// round, without a restart, its status bar names the version and the
// second practice call opens with the holiday's line (the opening's region
// of the screenshots changes); after desk 2 is closed deskctl greet prints
// the line from its data folder.
func TestPublishJourney_ApprovedHolidayReachesASecondDesk(t *testing.T) {
	x := startX(t)
	bin := desktopBinary(t)
	ctl := deskctlBinary(t)
	h := newJourneyHub(t)
	lin, zhao := h.token(t, upstream.RoleTrainer, "lin"), h.token(t, upstream.RoleTrainer, "zhao")
	agentTok := h.token(t, upstream.RoleAgent, "desk-2")
	run := func(args ...string) (int, string, string) { t.Helper(); return x.deskctl(ctl, args...) }
	ok := func(args ...string) string { t.Helper(); return x.deskctlOK(ctl, args...) }

	// lin publishes: pending.
	packFile := filepath.Join(x.dir, "pack.toml")
	if err := os.WriteFile(packFile, []byte(holidayPack(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	var pub struct {
		Version int64  `json:"version"`
		State   string `json:"state"`
	}
	if err := json.Unmarshal([]byte(ok("scripts", "publish", packFile, "--hub", h.url, "--token", lin)), &pub); err != nil || pub.State != "pending" {
		t.Fatalf("publish: %+v, %v", pub, err)
	}
	version := fmt.Sprint(pub.Version)

	// Desk 2's data, synced while the version is pending: greet says the
	// standard line.
	data := filepath.Join(x.dir, "desk2-data")
	ok("sync", "--once", "--hub", h.url, "--token", agentTok, "--data", data, "--lang", "zh-Hans")
	greet := func() string {
		t.Helper()
		return strings.TrimSpace(ok("greet", "--data", data, "--lang", "zh-Hans"))
	}
	before := greet()
	if before == "" || strings.Contains(before, "客服节") {
		t.Fatalf("greet before the approval = %q", before)
	}

	// Desk 2's window, syncing with the hub: the first call rings with the
	// standard line.
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(twoCallers), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(bin, nil, "--data", data, "--pbx.scenario", scn, "--lang", "zh-Hans",
		"--hub.url", h.url, "--hub.token", agentTok, "--hub.sign_in=false")
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="window shown"`, 30*time.Second)
	d.waitLog(`msg="call event".* event=ringing`, 60*time.Second)
	time.Sleep(800 * time.Millisecond) // the caller card and the opening follow the pop
	pending := x.shot("review-desk2-pending")
	if n := d.count(`msg="script pack updated"`); n != 0 {
		t.Fatalf("desk 2 took a pack while the version was pending (%d updates)", n)
	}

	// Where the opening and the pack's name are, from the oracle: the same
	// window on a desk of its own, with the same call and the pack before
	// and after.
	or, od := newDeskOracle(t, "zh-Hans")
	at := func(r image.Rectangle) image.Rectangle { return r.Add(win) }
	openBefore, packBefore := or.popAndFind(t, od, "o1", "话术：内置")
	hp, err := scripts.Parse("pack.toml", []byte(holidayPack(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := od.SetPack(hp, desk.PackInfo{Name: "pack.toml", Version: pub.Version}); err != nil {
		t.Fatal(err)
	}
	openAfter, packAfter := or.popAndFind(t, od, "o2", "话术：pack（第 "+version+" 版）")
	if openBefore.Text != before {
		t.Errorf("the oracle's opening %q, greet's %q: the window and greet disagree", openBefore.Text, before)
	}
	if openAfter.Text != holidayGreeting {
		t.Errorf("the oracle's opening with the approved pack = %q", openAfter.Text)
	}

	// The author may not approve; zhao does.
	if code, out, errOut := run("scripts", "review", version, "--approve", "--hub", h.url, "--token", lin); code == 0 || out != "" ||
		!strings.Contains(errOut, "lin wrote version "+version) {
		t.Errorf("lin approving her own version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var rv struct {
		State      string `json:"state"`
		Live       bool   `json:"live"`
		ReviewedBy string `json:"reviewed_by"`
	}
	if err := json.Unmarshal([]byte(ok("scripts", "review", version, "--approve", "--hub", h.url, "--token", zhao)), &rv); err != nil ||
		rv.State != "approved" || !rv.Live || rv.ReviewedBy != "zhao" {
		t.Fatalf("zhao approving: %+v, %v", rv, err)
	}
	approved := time.Now()
	d.waitLog(`msg="script pack updated".* lang=zh-Hans pack_id=`+version+`$`, 20*time.Second)
	took := time.Since(approved)
	time.Sleep(500 * time.Millisecond)
	idle := x.shot("review-desk2-approved-idle")
	if n := d.count(`msg="call event".* event=ringing`); n != 1 {
		t.Fatalf("the second call rang before the pack was applied (%d rings): the scenario's delay is too short", n)
	}
	waitCount(t, d, `msg="call event".* event=ringing`, 2, 90*time.Second)
	time.Sleep(800 * time.Millisecond)
	after := x.shot("review-desk2-approved")
	t.Logf("the approved version reached desk 2 %v after the approval", took.Round(100*time.Millisecond))

	opening := at(openBefore.rect.Union(openAfter.rect))
	if n := changed(pending, after, opening); n < 500 {
		t.Errorf("the opening's region changed by %d pixels between the pending and the approved version", n)
	}
	status := at(packBefore.rect.Union(packAfter.rect))
	if n := changed(pending, idle, status); n < 30 {
		t.Errorf("the status bar's pack name changed by %d pixels after the approval", n)
	}
	if n := colours(after, opening); n < 10 {
		t.Errorf("the opening's region of the approved call looks blank (%d colours)", n)
	}

	d.stop()
	if got := greet(); got != holidayGreeting {
		t.Errorf("greet after the approval = %q, want %q", got, holidayGreeting)
	}
}

// deskctl runs the deskctl binary with args in the session's throwaway
// HOME and config (no desk config of the machine's) and returns its exit
// code and output.
func (s *xsession) deskctl(bin string, args ...string) (int, string, string) {
	s.t.Helper()
	c := exec.Command(bin, args...)
	c.Env = s.env
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	if err == nil {
		return 0, out.String(), errb.String()
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		s.t.Fatalf("deskctl %v: %v", args, err)
	}
	return ee.ExitCode(), out.String(), errb.String()
}

// deskctlOK runs deskctl, which must succeed, and returns its output.
func (s *xsession) deskctlOK(bin string, args ...string) string {
	s.t.Helper()
	code, out, errOut := s.deskctl(bin, args...)
	if code != 0 {
		s.t.Fatalf("deskctl %v = %d: %s", args, code, errOut)
	}
	return out
}

// holidayPack is the default zh-Hans pack with a holiday of its own,
// 客服节, edited as the trainer's form does, whose notice covers yesterday
// to tomorrow: today in any zone.
func holidayPack(t *testing.T) string {
	t.Helper()
	b, err := scripts.DefaultPackFile("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	f, probs := desk.ReadPackForm(string(b))
	if probs != nil {
		t.Fatal(probs)
	}
	if err := desk.AddHoliday(f, "service_day", "客服节", "客服节快乐！{{company}}客服中心，请问有什么可以帮您！"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := desk.SetHolidayPeriod(f, "service_day", desk.DateOf(now.AddDate(0, 0, -1)), desk.DateOf(now.AddDate(0, 0, 1))); err != nil {
		t.Fatal(err)
	}
	return string(f.TOML())
}

// journeyHub is agent/hub on a fresh pgtest database, served on loopback.
type journeyHub struct {
	db  *hub.DB
	url string
	srv *httptest.Server
}

func newJourneyHub(t *testing.T) *journeyHub {
	t.Helper()
	dsn := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := hub.Open(ctx, dsn, hub.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatalf("open hub: %v", err)
	}
	t.Cleanup(db.Close)
	srv := httptest.NewServer(hub.NewHandler(db))
	t.Cleanup(srv.Close)
	return &journeyHub{db: db, url: srv.URL, srv: srv}
}

// close takes the hub away: its address refuses connections from now on.
func (h *journeyHub) close() {
	h.srv.CloseClientConnections()
	h.srv.Close()
}

func (h *journeyHub) token(t *testing.T, role upstream.Role, name string) string {
	t.Helper()
	tok, err := h.db.NewToken(context.Background(), role, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var deskctlOnce struct {
	sync.Once
	bin string
	err error
}

// deskctlBinary builds cmd/deskctl once per test run.
func deskctlBinary(t *testing.T) string {
	t.Helper()
	deskctlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deskctl-bin")
		if err != nil {
			deskctlOnce.err = err
			return
		}
		deskctlOnce.bin = filepath.Join(dir, "deskctl")
		if out, err := exec.Command("go", "build", "-o", deskctlOnce.bin, "agentdesk/cmd/deskctl").CombinedOutput(); err != nil {
			deskctlOnce.err = fmt.Errorf("build deskctl: %v\n%s", err, out)
		}
	})
	if deskctlOnce.err != nil {
		t.Fatal(deskctlOnce.err)
	}
	return deskctlOnce.bin
}

// waitCount waits for n log lines matching re.
func waitCount(t *testing.T, p *proc, re string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.count(re) < n {
		select {
		case <-p.done:
			t.Fatalf("the desk exited before logging %q %d times", re, n)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d log lines %q within %v", p.count(re), n, re, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newDeskOracle is newOracle with its desk, to ring calls at.
func newDeskOracle(t *testing.T, lang string) (*oracle, *desk.Desk) {
	t.Helper()
	cfg := desk.Defaults()
	cfg.Lang = lang
	return newHubOracle(t, cfg)
}

// newHubOracle is the oracle of a desk with cfg, linked to cfg's hub (the
// link not started: the window's calls to the hub go through it, nothing
// syncs), its commands run at once.
func newHubOracle(t *testing.T, cfg desk.Config) (*oracle, *desk.Desk) {
	t.Helper()
	a := test.NewTempApp(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	packs, err := desk.LoadPacks(cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	opts := desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Practice: true, Logger: quiet}
	link, err := hublink.New(cfg, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if link != nil {
		opts.Hub = link
	}
	d, err := desk.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	w := test.NewTempWindow(t, nil)
	w.Resize(windowSize)
	win := ui.NewWindow(a, w, d, ui.Options{Lang: cfg.Lang, Config: cfg,
		SaveConfig: func(desk.Config) error { return nil }, Go: func(work func()) { work() }})
	w.Resize(windowSize)
	win.Apply(d.View())
	return &oracle{t: t, w: w, win: win, d: d}, d
}

// found is a text the oracle found and where it is.
type found struct {
	Text string
	rect image.Rectangle
}

// popAndFind rings a call from the scenario's number at d, shows d's view
// in the oracle's window and returns the opening line's text and place
// and the place of the status bar's pack name, which must read pack.
func (o *oracle) popAndFind(t *testing.T, d *desk.Desk, id, pack string) (opening, packName found) {
	t.Helper()
	d.Emit(telephony.Event{Kind: telephony.EventRinging, At: time.Now(), CallID: id, Direction: telephony.Inbound,
		Caller: telephony.Caller{Number: "13900139000"}})
	var v desk.View
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if v = d.View(); v.Call != nil && v.Call.CallID == id && v.Opening != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the oracle's desk did not pop %s", id)
		}
	}
	o.win.Apply(v)
	for _, p := range o.objects() {
		switch w := p.obj.(type) {
		case *widget.RichText:
			if w.String() == v.Opening {
				opening = found{v.Opening, p.rect}
			}
		case *widget.Label:
			if w.Text == pack {
				packName = found{pack, p.rect}
			}
		}
	}
	if opening.rect.Empty() || packName.rect.Empty() {
		t.Fatalf("the oracle shows no opening %q (%v) or no pack name %q (%v)", v.Opening, opening.rect, pack, packName.rect)
	}
	d.Emit(telephony.Event{Kind: telephony.EventMissed, At: time.Now(), CallID: id, Direction: telephony.Inbound, Reason: "caller cancelled"})
	return opening, packName
}

// TestPublishJourney_ReviewInTheTrainerWindow is the review side of the
// trainer tab in the real window, by real input: on the hub version 1 of
// the zh-Hans pack is live, zhao's version 2 (a holiday of today) and
// lin's version 3 are pending. Lin, a trainer, opens her desk's trainer tab
// (Alt+1, her first) and its versions (a click): the list shows all three; a click on
// version 2 shows its diff against the live version 1; Approve and Return
// approve it, and the hub then has it live, reviewed by lin. Her own
// version 3 she may not approve: the hub refuses, the window says so, and
// the version stays pending.
func TestPublishJourney_ReviewInTheTrainerWindow(t *testing.T) {
	x := startX(t)
	bin := desktopBinary(t)
	ctl := deskctlBinary(t)
	h := newJourneyHub(t)
	lin, zhao := h.token(t, upstream.RoleTrainer, "lin"), h.token(t, upstream.RoleTrainer, "zhao")
	hubArgs := func(tok string, args ...string) []string { return append(args, "--hub", h.url, "--token", tok) }
	publish := func(tok, name, text string) string {
		t.Helper()
		path := filepath.Join(x.dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		var v upstream.PackVersion
		if err := json.Unmarshal([]byte(x.deskctlOK(ctl, hubArgs(tok, "scripts", "publish", path)...)), &v); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(v.Version)
	}
	def, err := scripts.DefaultPackFile("zh-Hans")
	if err != nil {
		t.Fatal(err)
	}
	v1 := publish(zhao, "pack.toml", string(def))
	x.deskctlOK(ctl, hubArgs(lin, "scripts", "review", v1, "--approve")...)
	v2 := publish(zhao, "pack.toml", holidayPack(t))
	v3 := publish(lin, "pack.toml", strings.Replace(string(def), `company = "XX"`, `company = "东方物业"`, 1))
	history := func() map[string]upstream.PackVersion {
		t.Helper()
		var vs []upstream.PackVersion
		if err := json.Unmarshal([]byte(x.deskctlOK(ctl, hubArgs(zhao, "scripts", "history", "--lang", "zh-Hans")...)), &vs); err != nil {
			t.Fatal(err)
		}
		out := map[string]upstream.PackVersion{}
		for _, v := range vs {
			out[fmt.Sprint(v.Version)] = v
		}
		return out
	}

	// Lin's desk: a trainer's, with her token.
	cfg := desk.Defaults()
	cfg.Lang, cfg.Role = "zh-Hans", "trainer"
	cfg.Hub.URL, cfg.Hub.Token = h.url, desk.Secret(lin)
	noSignIn := false // her own PC, named in its config
	cfg.Hub.SignIn = &noSignIn
	cfgPath := filepath.Join(x.dir, "lin.toml")
	if err := desk.SaveConfig(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(quietScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(bin, nil, "--config", cfgPath, "--data", filepath.Join(x.dir, "lin-data"), "--pbx.scenario", scn)
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="window shown"`, 30*time.Second)
	or, _ := newHubOracle(t, cfg)
	at := func(p image.Point) image.Point { return win.Add(p) }
	click := func(p image.Point) { t.Helper(); x.click(at(p)); or.tapAt(p) }
	full := image.Rect(win.X, win.Y, win.X+int(windowSize.Width), win.Y+int(windowSize.Height))
	right := image.Rect(win.X+int(windowSize.Width*0.4), win.Y+130, full.Max.X, full.Max.Y)

	x.click(at(image.Pt(300, 380)))
	x.key("alt+1") // a trainer's first tab is the trainer's
	or.win.ShowTab(ui.TabTrainer)
	or.wait(t, "公司名称", 10*time.Second)
	time.Sleep(time.Second)
	click(or.labelled("版本与审核"))
	row2 := "第 " + v2 + " 版 · 待审核"
	or.wait(t, row2, 10*time.Second)
	time.Sleep(1500 * time.Millisecond) // the history is read from the hub
	list := x.shot("review-versions")
	if n := colours(list, image.Rect(win.X, win.Y+90, win.X+int(windowSize.Width*0.35), full.Max.Y)); n < 10 {
		t.Fatalf("the versions list looks blank (%d colours)", n)
	}

	// Version 2 against the live version 1: the diff.
	row3 := or.labelled("第 " + v3 + " 版 · 待审核")
	click(or.labelled(row2))
	time.Sleep(1500 * time.Millisecond)
	diff := x.shot("review-diff")
	if n := changed(list, diff, right); n < 3000 {
		t.Errorf("picking version %s did not show its diff (%d pixels changed)", v2, n)
	}
	if _, ok := or.find("+ greeting = \"", false); !ok {
		t.Errorf("the oracle's diff of version %s has no added greeting line", v2)
	}
	if n := greenish(diff, right); n < 200 {
		t.Errorf("the diff shows %d green pixels: no added lines in colour", n)
	}

	// Approve it: the button, then Return on the confirmation.
	x.click(at(or.button("通过")))
	time.Sleep(500 * time.Millisecond)
	x.shot("review-approve-confirm")
	x.key("Return")
	d.waitLog(`msg="pack reviewed".* version=`+v2+` lang=zh-Hans state=approved live=true`, 20*time.Second)
	time.Sleep(800 * time.Millisecond)
	x.shot("review-approved")
	x.key("Return")
	if v := history()[v2]; v.State != upstream.PackApproved || !v.Live || v.ReviewedBy != "lin" {
		t.Errorf("version %s on the hub after lin approved it in her window: %+v", v2, v)
	}

	// Her own version: refused, said, nothing changed.
	time.Sleep(500 * time.Millisecond)
	x.click(at(row3))
	time.Sleep(1500 * time.Millisecond)
	x.click(at(or.button("通过")))
	time.Sleep(500 * time.Millisecond)
	x.key("Return")
	d.waitLog(`msg="command failed" component=ui command=pack-review error="the author of a pack version may not review it`, 20*time.Second)
	time.Sleep(800 * time.Millisecond)
	refused := x.shot("review-own-refused")
	if n := changed(diff, refused, full); n < 2000 {
		t.Errorf("no refusal shown (%d pixels changed)", n)
	}
	x.key("Return")
	if v := history()[v3]; v.State != upstream.PackPending || v.ReviewedBy != "" {
		t.Errorf("lin's own version %s after she tried to approve it: %+v", v3, v)
	}
	if n := d.count(`msg="pack reviewed"`); n != 1 {
		t.Errorf("%d reviews logged, want 1", n)
	}
	d.stop()
}

// greenish counts the pixels of r drawn in a clear green (the theme's
// success colour, which added lines are drawn in).
func greenish(img image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cg>>8 > 150 && cr>>8 < 120 && cb>>8 < 120 {
				n++
			}
		}
	}
	return n
}
