package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"agentdesk/agent/store"
)

// TestSmoke_PracticeCallToSavedComplaint builds the real binary, runs it
// under Xvfb with a fontconfig that sees no font at all (so any CJK glyph
// comes from the bundled font), lets the practice phone ring, drives the
// call to a saved complaint (AGENTDESK_DRIVE), screenshots each step into
// docs/screenshots/, and checks the complaint is in the data file.
func TestSmoke_PracticeCallToSavedComplaint(t *testing.T) {
	if os.Getenv("AGENTDESK_INTEGRATION") != "1" {
		t.Skip("set AGENTDESK_INTEGRATION=1 to run the real window under Xvfb")
	}
	for _, tool := range []string{"Xvfb", "xwd", "convert", "fc-list", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v (apt-get install xvfb x11-apps imagemagick fontconfig)", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "agentdesk")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	fontsConf := filepath.Join(dir, "fonts.conf")
	os.WriteFile(fontsConf, []byte(`<?xml version="1.0"?><fontconfig><cachedir>/nonexistent</cachedir></fontconfig>`), 0o644)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "FONTCONFIG_FILE=" + fontsConf}
	fc := exec.CommandContext(ctx, "fc-list", ":lang=zh")
	fc.Env = env
	if out, _ := fc.Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("fontconfig still sees CJK fonts:\n%s", out)
	}

	display := startXvfb(ctx, t)
	env = append(env, "DISPLAY="+display)
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(env, "AGENTDESK_DRIVE=1", "AGENTDESK_READY=1")
	next, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start agentdesk: %v", err)
	}
	var waitErr error
	exited := make(chan struct{})
	lines := make(chan string, 100)
	var logBuf bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logBuf.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
		close(lines)
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	shots := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// The practice phone's first caller rings 10 s after start; a new user
	// is promised a call within a minute.
	want := map[string]string{
		"drive: ringing": "desk-ringing.png", "drive: answered": "", "drive: complaint saved": "complaint-saved.png",
		"drive: lang zh-Hant": "desk-zh-Hant.png", "drive: lang en": "desk-en.png", "drive: trainer": "trainer-en.png",
		"drive: settings": "settings-en.png", "drive: supervisor": "supervisor.png", "drive: done": "",
	}
	deadline := time.After(3 * time.Minute)
	var readyAt time.Time
	for seen := 0; seen < len(want); {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("agentdesk exited early:\n%s", logBuf.String())
			}
			if l == "ready" {
				readyAt = time.Now()
			}
			name, hit := want[l]
			if !hit {
				continue
			}
			if l == "drive: ringing" {
				if readyAt.IsZero() {
					t.Fatal("rang before the window was ready")
				}
				if waited := time.Since(readyAt); waited > time.Minute {
					t.Errorf("the practice call rang %v after start, want within a minute", waited)
				}
			}
			seen++
			if name != "" {
				screenshot(ctx, t, display, filepath.Join(shots, name))
			}
			fmt.Fprintln(next) // on to the driver's next step
		case <-deadline:
			t.Fatalf("timed out; log:\n%s", logBuf.String())
		}
	}
	cmd.Process.Kill()
	<-exited
	t.Logf("agentdesk stopped: %v", waitErr)

	st, err := store.Open(filepath.Join(dir, "data", "agentdesk", "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Complaints(store.ComplaintFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("complaints in the data file = %d (%v), want 1", len(cs), err)
	}
	if !strings.Contains(cs[0].Heard.Statement, "冰箱") {
		t.Errorf("saved statement = %q", cs[0].Heard.Statement)
	}
}

func startXvfb(ctx context.Context, t *testing.T) string {
	t.Helper()
	n := 90
	for ; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			break
		}
	}
	display := fmt.Sprintf(":%d", n)
	x := exec.CommandContext(ctx, "Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	// SIGTERM lets Xvfb remove its lock file; a killed one leaves it.
	t.Cleanup(func() { x.Process.Signal(syscall.SIGTERM); x.Wait() })
	sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	for end := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(sock); err == nil {
			return display
		}
		if time.Now().After(end) {
			t.Fatalf("Xvfb %s did not come up", display)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot saves the screen once two grabs in a row agree: the window has
// painted the step (there is no readiness signal for pixels).
func screenshot(ctx context.Context, t *testing.T, display, path string) {
	t.Helper()
	var prev []byte
	for end := time.Now().Add(10 * time.Second); ; {
		cur := grab(ctx, t, display, path)
		if bytes.Equal(cur, prev) || time.Now().After(end) {
			if err := os.WriteFile(path, cur, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		prev = cur
		time.Sleep(300 * time.Millisecond)
	}
}

func grab(ctx context.Context, t *testing.T, display, path string) []byte {
	t.Helper()
	var out bytes.Buffer
	xwd := exec.CommandContext(ctx, "xwd", "-root", "-display", display)
	conv := exec.CommandContext(ctx, "convert", "xwd:-", "png:-")
	pipe, _ := xwd.StdoutPipe()
	conv.Stdin, conv.Stdout = pipe, &out
	if err := conv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := xwd.Run(); err != nil {
		t.Fatalf("xwd: %v", err)
	}
	if err := conv.Wait(); err != nil {
		t.Fatalf("convert: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 1366 || b.Dy() != 768 {
		t.Errorf("screenshot %s is %v", path, b)
	}
	return out.Bytes()
}
