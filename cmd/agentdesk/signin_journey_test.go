package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/hub"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
	"agentdesk/agent/ui"
	"agentdesk/agent/upstream"
)

// TestSignInJourney_ShiftsOnOnePC is a shift change on one PC, in the real
// window, by real input, against a real hub on PostgreSQL. The desk opens
// on the sign-in screen; a wrong PIN is refused on the screen; agent 8001
// signs in and sees the desk and settings only, takes a practice call and
// signs out (the 签退 button, Return to confirm); supervisor 9001 signs in
// on the same PC and sees the board and the trainer's tab too, and takes
// the next call. Then the hub goes away: 8001 signs in offline, against
// the verifier of her last online sign-in, and five wrong PINs lock the
// number. Afterwards the data file is sealed (no number or name in its
// bytes, no opening without a key), each call is filed under the agent
// who took it, and it opens with 8001's PIN.
func TestSignInJourney_ShiftsOnOnePC(t *testing.T) {
	x := startX(t)
	bin := desktopBinary(t)
	h := newJourneyHub(t)
	ctx := context.Background()
	for _, a := range []hub.AgentSpec{
		{Number: "8001", Name: "李娜", Role: upstream.RoleAgent, PIN: "2468"},
		{Number: "9001", Name: "王班长", Role: upstream.RoleSupervisor, PIN: "1357"},
	} {
		if err := h.db.AddAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	deskTok := h.token(t, upstream.RoleAgent, "PC 1")
	data := filepath.Join(x.dir, "desk-data")
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(practiceScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(bin, nil, "--data", data, "--pbx.scenario", scn, "--lang", "zh-Hans",
		"--hub.url", h.url, "--hub.token", deskTok)
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="window shown"`, 30*time.Second)
	at := func(p image.Point) image.Point { return win.Add(p) }
	full := image.Rect(win.X, win.Y, win.X+int(windowSize.Width), win.Y+int(windowSize.Height))
	time.Sleep(500 * time.Millisecond)
	screen := x.shot("signin-screen")
	if n := colours(screen, full); n < 10 {
		t.Fatalf("the sign-in screen looks blank (%d colours)", n)
	}

	// The number field has the keyboard; Return moves to the PIN.
	x.click(at(image.Pt(int(windowSize.Width/2), 20))) // the window gets the keyboard
	signIn := func(number, pin string) {
		t.Helper()
		x.click(at(signInNumberPoint(t)))
		x.key("ctrl+a", "BackSpace")
		x.typeText(number)
		x.shot("signin-typed-" + number + "-" + pin)
		x.key("Return")
		x.typeText(pin)
		x.key("Return")
	}
	signIn("8001", "0000")
	d.waitLog(`msg="sign-in refused".*agent_number=8001`, 20*time.Second)
	time.Sleep(500 * time.Millisecond)
	refused := x.shot("signin-wrong-pin")
	if n := changed(screen, refused, full); n < 200 {
		t.Errorf("a wrong PIN changed %d pixels of the screen: no message", n)
	}

	signIn("8001", "2468")
	d.waitLog(`msg="agent signed in".*agent_number=8001.*role=agent`, 20*time.Second)
	d.waitLog(`msg="call event".* event=ringing`, 60*time.Second)
	time.Sleep(700 * time.Millisecond)
	x.shot("signin-agent-desk")
	x.click(at(deskFocusPoint))
	x.key("F2")
	d.waitLog(`msg="call event".* event=answered`, 20*time.Second)
	x.key("F3", "Return")
	d.waitLog(`msg="call event".* event=ended`, 20*time.Second)

	// 签退 at the tab bar's right end, where the oracle lays it out.
	screens := 1 // sign-in screens shown so far
	signOut := func(id desk.Identity) {
		t.Helper()
		or := newOracleWith(t, "zh-Hans", nil, func(o *ui.Options) {
			o.Identity, o.Role, o.SignOut = &id, id.Role, func() error { return nil }
		})
		x.click(at(or.button("签退")))
		time.Sleep(300 * time.Millisecond)
		x.shot("signout-confirm-" + id.Number)
		x.key("Return")
		d.waitLog(`msg="agent signed out".*agent_number=`+id.Number, 20*time.Second)
		screens++
		waitCount(t, d, `msg="sign-in screen shown"`, screens, 10*time.Second)
		time.Sleep(300 * time.Millisecond) // painted
	}
	signOut(desk.Identity{Number: "8001", Name: "李娜", Role: agent.RoleAgent})
	time.Sleep(500 * time.Millisecond)
	x.shot("signin-after-signout")

	waitCount(t, d, `msg="call event".* event=ringing`, 1, time.Second)
	signIn("9001", "1357")
	d.waitLog(`msg="agent signed in".*agent_number=9001.*role=supervisor`, 20*time.Second)
	waitCount(t, d, `msg="call event".* event=ringing`, 2, 60*time.Second)
	time.Sleep(700 * time.Millisecond)
	x.shot("signin-supervisor-desk")
	x.click(at(deskFocusPoint))
	x.key("F2")
	waitCount(t, d, `msg="call event".* event=answered`, 2, 20*time.Second)
	x.key("F3", "Return")
	waitCount(t, d, `msg="call event".* event=ended`, 2, 20*time.Second)
	signOut(desk.Identity{Number: "9001", Name: "王班长", Role: agent.RoleSupervisor})

	// The hub goes away: 8001 signs in against what her last online
	// sign-in left here.
	h.close()
	signIn("8001", "2468")
	d.waitLog(`msg="agent signed in offline".*agent_number=8001`, 30*time.Second)
	time.Sleep(700 * time.Millisecond)
	x.shot("signin-offline-desk")
	signOut(desk.Identity{Number: "8001", Name: "李娜", Role: agent.RoleAgent, Offline: true, Expires: time.Now().Add(7 * 24 * time.Hour)})
	for range upstream.SignInFreeTries {
		signIn("8001", "1111")
		time.Sleep(400 * time.Millisecond)
	}
	waitCount(t, d, `msg="sign-in refused".*agent_number=8001`, 1+upstream.SignInFreeTries, 30*time.Second)
	d.waitLog(`msg="sign-in refused".*sign-in locked`, 10*time.Second)
	x.shot("signin-locked")

	d.stop()
	raw, err := os.ReadFile(filepath.Join(data, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"13800138000", "王建国", "我上周买的冰箱还没送到"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("desk.db holds %q in the clear", secret)
		}
	}
	if _, err := store.Open(filepath.Join(data, "desk.db")); !errors.Is(err, store.ErrSealed) {
		t.Fatalf("opening desk.db without a key: %v, want ErrSealed", err)
	}
	st, err := store.Open(filepath.Join(data, "desk.db"), store.WithUnlock(seal.Agent{ID: "8001", Secret: "2468", Now: time.Now()}))
	if err != nil {
		t.Fatalf("open with 8001's PIN: %v", err)
	}
	defer st.Close()
	calls, err := st.Calls(time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, c := range calls {
		if c.Answered {
			by[c.Agent]++
		}
	}
	if by["8001"] != 1 || by["9001"] != 1 || len(by) != 2 {
		t.Errorf("answered calls by agent = %v, want one each for 8001 and 9001", by)
	}
}

// signInNumberPoint is where the sign-in screen's number field is: the
// first entry of the screen laid out in the oracle's window.
func signInNumberPoint(t *testing.T) image.Point {
	t.Helper()
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(windowSize)
	ui.ShowSignIn(a, w, ui.SignInOptions{Lang: "zh-Hans", SignIn: func(context.Context, string, string) error { return nil }})
	w.Resize(windowSize)
	or := &oracle{t: t, w: w}
	for _, p := range or.objects() {
		if _, ok := p.obj.(*widget.Entry); ok {
			return centre(p.rect)
		}
	}
	t.Fatal("the sign-in screen has no entry")
	return image.Point{}
}
