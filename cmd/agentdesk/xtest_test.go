package main

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The helpers here drive the real desk binary in a real X server (Xvfb)
// with real input (xdotool keys and clicks, Chinese pasted through the
// clipboard with xclip), and take and compare screenshots (xwd +
// ImageMagick). Nothing in the product knows it is being tested.

// integration skips a test unless AGENTDESK_INTEGRATION=1, and then fails
// it when a tool it needs is missing.
func integration(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("AGENTDESK_INTEGRATION") != "1" {
		t.Skip("set AGENTDESK_INTEGRATION=1 to run the real window under Xvfb")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed: %v (.ci/deps.sh installs it)", tool, err)
		}
	}
}

// xsession is an Xvfb display with a throwaway HOME and a fontconfig that
// sees no font at all, so every CJK glyph comes from the bundled font.
type xsession struct {
	t       *testing.T
	display string
	dir     string
	env     []string
	xgone   <-chan struct{} // closed when the X server has exited
}

var buildOnce struct {
	sync.Once
	bin string
	err error
}

// desktopBinary builds cmd/agentdesk once per test run.
func desktopBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "agentdesk-bin")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "agentdesk")
		out, err := exec.Command("go", "build", "-o", buildOnce.bin, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.bin
}

func startX(t *testing.T) *xsession {
	t.Helper()
	integration(t, "Xvfb", "xdotool", "xclip", "xwd", "convert")
	dir := t.TempDir()
	// Xvfb picks a free display itself and writes its number to fd 3:
	// choosing one here by looking for lock files races with any other
	// X server starting at the same moment (and a display that is taken
	// later makes the desk fail to open it).
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	xlog, err := os.Create(filepath.Join(dir, "xvfb.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer xlog.Close()
	// -noreset: without it the server resets whenever its last client
	// leaves (an xdotool call), and a client connecting meanwhile, such as
	// the desk starting, is refused ("Failed to open display"); with four
	// clients connecting in a loop, 38 of 600 were.
	x := exec.Command("Xvfb", "-displayfd", "3", "-noreset", "-screen", "0", "1366x768x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	x.Stdout, x.Stderr = xlog, xlog
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { x.Wait(); close(exited) }()
	t.Cleanup(func() {
		x.Process.Signal(syscall.SIGTERM) // lets Xvfb remove its lock file
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			x.Process.Kill()
			<-exited
		}
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "xvfb.log")); err == nil && len(b) > 0 {
				t.Logf("Xvfb log:\n%s", b)
			}
		}
	})
	number := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		number <- strings.TrimSpace(line)
	}()
	var display string
	select {
	case n := <-number:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb gave no display number (%q)", n)
		}
		display = ":" + n
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not come up within 20 s")
	}
	for _, sub := range []string{"home", "config", "data", "cache"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	fontsConf := filepath.Join(dir, "fonts.conf")
	os.WriteFile(fontsConf, []byte(`<?xml version="1.0"?><fontconfig><cachedir>/nonexistent</cachedir></fontconfig>`), 0o644)
	s := &xsession{t: t, display: display, dir: dir, xgone: exited, env: []string{"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"), "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"FONTCONFIG_FILE=" + fontsConf, "DISPLAY=" + display, "FYNE_SCALE=1"}}
	deadline := time.Now().Add(20 * time.Second)
	for s.run("xdotool", "getdisplaygeometry") != nil {
		if time.Now().After(deadline) {
			t.Fatal("Xvfb did not come up within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// run runs a command on the display.
func (s *xsession) run(name string, args ...string) error {
	c := exec.Command(name, args...)
	c.Env = s.env
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (s *xsession) must(name string, args ...string) {
	s.t.Helper()
	if err := s.run(name, args...); err != nil {
		s.t.Fatal(err)
	}
}

// key presses keys (xdotool names: F2, ctrl+Return, Tab…), one after another.
func (s *xsession) key(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.must("xdotool", "key", "--clearmodifiers", k)
		time.Sleep(150 * time.Millisecond)
	}
}

// typeText types ASCII text into the focused field.
func (s *xsession) typeText(text string) {
	s.t.Helper()
	s.must("xdotool", "type", "--delay", "25", text)
	time.Sleep(100 * time.Millisecond)
}

// paste puts text (Chinese) on the clipboard and pastes it with Ctrl+V:
// xdotool cannot type CJK into a Fyne entry.
func (s *xsession) paste(text string) {
	s.t.Helper()
	c := exec.Command("xclip", "-selection", "clipboard", "-loops", "1")
	c.Env = s.env
	c.Stdin = strings.NewReader(text)
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	s.key("ctrl+v")
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		c.Process.Kill()
		s.t.Fatal("the paste never read the clipboard")
	}
}

// click clicks at screen position p.
func (s *xsession) click(p image.Point) {
	s.t.Helper()
	s.must("xdotool", "mousemove", strconv.Itoa(p.X), strconv.Itoa(p.Y), "click", "1")
	time.Sleep(200 * time.Millisecond)
}

// waitWindow waits for a visible window titled name and returns its
// position on screen. Titles are compared as xdotool getwindowname reads
// them (Wine sets only the UTF-8 title, which xdotool search --name misses).
func (s *xsession) waitWindow(name string, within time.Duration) image.Point {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, id := range s.output("xdotool", "search", "--onlyvisible", "--name", ".") {
			got := s.output("xdotool", "getwindowname", id)
			if len(got) == 0 || got[0] != name {
				continue
			}
			var x, y int
			for _, l := range s.output("xdotool", "getwindowgeometry", "--shell", id) {
				if v, ok := strings.CutPrefix(l, "X="); ok {
					x, _ = strconv.Atoi(v)
				}
				if v, ok := strings.CutPrefix(l, "Y="); ok {
					y, _ = strconv.Atoi(v)
				}
			}
			return image.Pt(x, y)
		}
		select {
		case <-s.xgone:
			s.t.Fatalf("the X server %s exited while waiting for window %q", s.display, name)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("no window %q within %v", name, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// output runs a command on the display and returns its output's lines
// (none when it fails).
func (s *xsession) output(name string, args ...string) []string {
	c := exec.Command(name, args...)
	c.Env = s.env
	out, err := c.Output()
	if err != nil {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// shot takes a screenshot, keeps it as name (in dir, and in
// docs/screenshots when keep is set) and returns it.
func (s *xsession) shot(name string) image.Image {
	s.t.Helper()
	path := filepath.Join(s.dir, name+".png")
	c := exec.Command("sh", "-c", "xwd -root -silent | convert xwd:- png:"+path)
	c.Env = s.env
	if out, err := c.CombinedOutput(); err != nil {
		s.t.Fatalf("screenshot: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		s.t.Fatal(err)
	}
	if dir := os.Getenv("AGENTDESK_SCREENSHOTS"); dir != "" {
		b, _ := os.ReadFile(path)
		os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
	}
	return img
}

// changed counts the pixels of r that differ between a and b.
func changed(a, b image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb {
				n++
			}
		}
	}
	return n
}

// colours counts the distinct colours in r: a blank or one-colour area has
// one or two, rendered text and widgets many.
func colours(img image.Image, r image.Rectangle) int {
	seen := map[[3]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[[3]uint32{cr, cg, cb}] = true
		}
	}
	return len(seen)
}

// proc is a running desk binary whose stderr (its log) is followed.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

// startDesk runs bin with args on the display.
func (s *xsession) startDesk(bin string, env []string, args ...string) *proc {
	s.t.Helper()
	p := &proc{t: s.t, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(append([]string(nil), s.env...), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	p.cmd.Stdout = p.cmd.Stderr
	if err := p.cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.cmd.Wait()
		close(p.done)
	}()
	s.t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if s.t.Failed() {
			s.t.Logf("desk log:\n%s", p.log())
		}
	})
	return p
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLog waits for a log line matching re.
func (p *proc) waitLog(re string, within time.Duration) string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for {
		p.mu.Lock()
		for _, l := range p.lines {
			if rx.MatchString(l) {
				p.mu.Unlock()
				return l
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			p.t.Fatalf("the desk exited before logging %q", re)
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no log line %q within %v", re, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count is how many log lines match re.
func (p *proc) count(re string) int {
	rx := regexp.MustCompile(re)
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if rx.MatchString(l) {
			n++
		}
	}
	return n
}

// stop ends the desk as closing its window would (SIGTERM; the desk then
// closes its data file) and waits for it.
func (p *proc) stop() {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// deskFocusPoint is a blank spot of the desk view, relative to the window:
// a click there gives the window the keyboard without touching a control.
var deskFocusPoint = image.Pt(300, 380)
