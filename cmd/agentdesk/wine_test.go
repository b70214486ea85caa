package main

import (
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestWine_ExeStartsRendersChineseLogsAndRings runs the real Windows
// agentdesk.exe (AGENTDESK_WINE_EXE, built by tools/windows.sh) under Wine
// in Xvfb, through tools/wine-go/run.sh (Debian 12's Wine 8 lacks the
// ProcessPrng export Go's Windows runtime needs; run.sh supplies it). It
// checks the window comes up with its Chinese title, that the tab bar's
// Chinese renders as the Linux build renders it (same glyphs, same pixels),
// that the exe writes its log file in the data folder, and that the
// practice call rings (log and screenshot).
func TestWine_ExeStartsRendersChineseLogsAndRings(t *testing.T) {
	exe := os.Getenv("AGENTDESK_WINE_EXE")
	if exe == "" {
		t.Skip("set AGENTDESK_WINE_EXE to a built agentdesk.exe (make wine does)")
	}
	integration(t, "wine", "x86_64-w64-mingw32-gcc")
	exe, _ = filepath.Abs(exe)
	x := startX(t)
	scn := filepath.Join(x.dir, "scenario.toml")
	if err := os.WriteFile(scn, []byte(practiceScenario), 0o644); err != nil {
		t.Fatal(err)
	}

	// The Linux build first, for the reference picture of the tab bar.
	// Both run light: Wine's "system" look is light, the Linux one dark.
	lin := x.startDesk(desktopBinary(t), nil, "--data", filepath.Join(x.dir, "linux-data"), "--pbx.scenario", scn, "--theme", "light")
	lwin := x.waitWindow("坐席工作台", 60*time.Second)
	lin.waitLog(`msg="window shown"`, 30*time.Second)
	time.Sleep(500 * time.Millisecond)
	ref := x.shot("linux-tabs")
	lin.stop()

	data := filepath.Join(x.dir, "wine-data")
	run, _ := filepath.Abs("../../tools/wine-go/run.sh")
	env := []string{"WINEPREFIX=" + filepath.Join(x.dir, "wineprefix"), "WINEDEBUG=-all"}
	w := x.startDesk(run, env, exe, "--data", winPath(data), "--pbx.scenario", winPath(scn), "--theme", "light")
	win := x.waitWindow("坐席工作台", 4*time.Minute) // the first start in a fresh prefix runs wineboot
	logFile := filepath.Join(data, logName)
	waitFile(t, logFile, `msg="window shown"`, time.Minute)
	time.Sleep(time.Second)
	idle := x.shot("wine-idle")
	if n := colours(idle, image.Rect(win.X, win.Y, win.X+1280, win.Y+720)); n < 20 {
		t.Fatalf("the Wine window looks blank (%d colours)", n)
	}
	tabs := image.Rect(0, 0, 400, 40) // the tab bar's Chinese, relative to each window
	if n, all := changedAt(ref, lwin, idle, win, tabs), tabs.Dx()*tabs.Dy(); n*20 > all {
		t.Errorf("the tab bar's Chinese renders differently under Wine: %d of %d pixels differ", n, all)
	}
	waitFile(t, logFile, `msg="call event".* event=ringing`, time.Minute)
	time.Sleep(700 * time.Millisecond)
	ringing := x.shot("wine-ringing")
	left := image.Rect(win.X, win.Y+90, win.X+640, win.Y+720)
	if n := changed(idle, ringing, left); n < 2000 {
		t.Errorf("under Wine the ringing call did not show (%d pixels changed)", n)
	}
	w.stop()
}

// changedAt counts the pixels of r that differ between a (a window at pa)
// and b (the same window at pb).
func changedAt(a image.Image, pa image.Point, b image.Image, pb image.Point, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(pa.X+x, pa.Y+y).RGBA()
			br, bg, bb, _ := b.At(pb.X+x, pb.Y+y).RGBA()
			if ar != br || ag != bg || ab != bb {
				n++
			}
		}
	}
	return n
}

// winPath is a Unix path as Wine's Windows programs see it (drive Z:).
func winPath(p string) string { return "Z:" + strings.ReplaceAll(p, "/", `\`) }

// waitFile waits until the file at path has a line matching re.
func waitFile(t *testing.T, path, re string, within time.Duration) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for {
		b, _ := os.ReadFile(path)
		for _, l := range strings.Split(string(b), "\n") {
			if rx.MatchString(l) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no line %q within %v:\n%s", path, re, within, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
