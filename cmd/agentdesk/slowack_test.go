package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/telephony/kamailiotest"
)

// TestSlowACK_WindowKeepsPainting: the desk is registered to a real
// Kamailio; a sipp caller answers the desk's 200 OK with its ACK 6 s late
// (a slow network). After F2 the window must keep painting — every second's
// screenshot differs from the one before (the timer ticks) — and the call
// completes: answered, then ended when the caller hangs up.
func TestSlowACK_WindowKeepsPainting(t *testing.T) {
	kamailiotest.Gate(t)
	x := startX(t)
	const user, password = "1001", "slow-ack-pass"
	k := kamailiotest.Start(t, kamailiotest.Options{Template: "../../telephony/testdata/kamailio.cfg", User: user, Password: password})
	cfg := filepath.Join(x.dir, "config.toml")
	// A long ring limit: the ring timer ticks all the while the ACK is late
	// (past the limit it shows a fixed warning).
	conf := fmt.Sprintf("data = %q\nlang = \"zh-Hans\"\nagent_number = \"8001\"\nring_limit_seconds = 120\n[pbx]\nuri = %q\nuser = %q\npassword = %q\n",
		filepath.Join(x.dir, "desk-data"), k.URI(), user, password)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	d := x.startDesk(desktopBinary(t), nil, "--config", cfg)
	win := x.waitWindow("坐席工作台", 60*time.Second)
	d.waitLog(`msg="line event".* event=registered`, 30*time.Second)

	sipp := kamailiotest.StartSipp(t, k.Addr(), "testdata/caller_slow_ack.xml", kamailiotest.FreePort(t), "-s", user,
		"-key", "from", `"王建国" <sip:13800138000@127.0.0.1>`, "-key", "extra", "X-Test: 1", "-timeout", "90s")
	d.waitLog(`msg="call event".* event=ringing`, 20*time.Second)
	x.click(win.Add(deskFocusPoint))
	time.Sleep(300 * time.Millisecond)
	full := image.Rect(win.X, win.Y, win.X+int(windowSize.Width), win.Y+int(windowSize.Height))
	x.key("F2")
	prev := x.shot("slow-ack-0")
	for i := 1; i <= 5; i++ {
		time.Sleep(time.Second)
		img := x.shot(fmt.Sprintf("slow-ack-%d", i))
		if n := changed(prev, img, full); n == 0 {
			t.Errorf("second %d after F2: not a pixel changed — the window is frozen", i)
		}
		prev = img
	}
	d.waitLog(`msg="call event".* event=answered`, 40*time.Second)
	d.waitLog(`msg="call event".* event=ended`, 40*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sipp.Wait(t, ctx)
}
