package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
)

// The wallboard page in a real browser: Debian's headless Chromium,
// driven through the DevTools protocol over a pipe (--remote-debugging-
// pipe: no port opened), loading the page from the hub on loopback.

// browser is a headless Chromium the test drives.
type browser struct {
	cmd  *exec.Cmd
	w    io.WriteCloser
	msgs chan json.RawMessage
	next int
	done chan struct{}
}

// startBrowser starts headless Chromium with a fresh profile, or skips
// the test without it (fails it with AGENTDESK_INTEGRATION=1).
func startBrowser(t *testing.T) *browser {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if pgtest.Integration() {
			t.Fatalf("chromium: %v (Debian package chromium, .ci/deps.sh)", err)
		}
		t.Skipf("no chromium (%v); set AGENTDESK_INTEGRATION=1 to make this a failure", err)
	}
	// Chromium reads commands from fd 3 and writes answers to fd 4.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-extensions", "--log-level=3", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "--window-size=1920,1080", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW}
	var stderr strings.Builder
	cmd.Stderr = &limited{w: &stderr, n: 64 << 10}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	b := &browser{cmd: cmd, w: cmdW, msgs: make(chan json.RawMessage, 256), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		r := bufio.NewReaderSize(outR, 1<<20)
		for {
			m, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			b.msgs <- json.RawMessage(m[:len(m)-1])
		}
	}()
	t.Cleanup(func() {
		cmdW.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		outR.Close()
		<-b.done
		if t.Failed() {
			t.Logf("chromium's stderr: %s", stderr.String())
		}
	})
	return b
}

// limited keeps at most n bytes of what is written to it.
type limited struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (l *limited) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := min(len(p), l.n); k > 0 {
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// call sends a DevTools command (to session, "" for the browser) and
// waits at most 20 s for its answer, passing over events.
func (b *browser) call(t *testing.T, session, method string, params any, out any) {
	t.Helper()
	b.next++
	id := b.next
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	j, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.w.Write(append(j, 0)); err != nil {
		t.Fatalf("devtools %s: %v", method, err)
	}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-b.msgs:
			var ans struct {
				ID     int             `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  *struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(m, &ans); err != nil {
				t.Fatalf("devtools: %v: %s", err, m)
			}
			if ans.ID != id {
				continue // an event, or an answer nobody waits for
			}
			if ans.Error != nil {
				t.Fatalf("devtools %s: %s", method, ans.Error.Message)
			}
			if out != nil {
				if err := json.Unmarshal(ans.Result, out); err != nil {
					t.Fatalf("devtools %s: %v: %s", method, err, ans.Result)
				}
			}
			return
		case <-b.done:
			t.Fatalf("devtools %s: chromium ended", method)
		case <-deadline:
			t.Fatalf("devtools %s: no answer within 20 s", method)
		}
	}
}

// open opens u in a new tab and returns the tab's session.
func (b *browser) open(t *testing.T, u string) string {
	t.Helper()
	var tgt struct {
		TargetID string `json:"targetId"`
	}
	b.call(t, "", "Target.createTarget", map[string]any{"url": u}, &tgt)
	var att struct {
		SessionID string `json:"sessionId"`
	}
	b.call(t, "", "Target.attachToTarget", map[string]any{"targetId": tgt.TargetID, "flatten": true}, &att)
	return att.SessionID
}

// eval evaluates expr in the tab and decodes its value into out.
func (b *browser) eval(t *testing.T, session, expr string, out any) {
	t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	b.call(t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &res)
	if res.Exception != nil {
		t.Fatalf("eval %s: %s", expr, res.Exception.Text)
	}
	if err := json.Unmarshal(res.Result.Value, out); err != nil {
		t.Fatalf("eval %s: %v: %s", expr, err, res.Result.Value)
	}
}

// waitFor evaluates expr (a boolean) every 100 ms until it holds, at most
// within d; it says how long that took.
func (b *browser) waitFor(t *testing.T, session, expr string, d time.Duration) (time.Duration, error) {
	t.Helper()
	began := time.Now()
	for {
		var ok bool
		b.eval(t, session, "(() => { try { return !!("+expr+"); } catch (e) { return false; } })()", &ok)
		if ok {
			return time.Since(began), nil
		}
		if time.Since(began) > d {
			return time.Since(began), fmt.Errorf("%s did not hold within %s", expr, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pageState is what the test reads of the wallboard page.
type pageState struct {
	State    string            `json:"state"`
	Text     string            `json:"text"`
	Tiles    map[string]string `json:"tiles"`
	Queues   []string          `json:"queues"`
	Controls int               `json:"controls"`
	Marker   int               `json:"marker"`
}

const readPage = `(() => {
	const t = (id) => { const e = document.getElementById(id); return e ? e.textContent : null; };
	return {
		state: document.body.dataset.state || "",
		text: document.body.innerText,
		tiles: {ringing: t("t-ringing"), talking: t("t-talking"), longest: t("t-longest"), over: t("t-over"), overdue: t("t-overdue")},
		queues: Array.from(document.querySelectorAll("#queues tr[data-queue]")).map((r) => r.dataset.queue),
		controls: document.querySelectorAll("button, form, input, select, textarea, a[href], [contenteditable], [onclick], [tabindex]").length,
		marker: window.__marker || 0,
	};
})()`

// glyphsDiffer draws each character of s in the page's font on a canvas
// and reports whether every pair of them looks different: characters
// without a font to draw them all come out as the same empty box.
const glyphsDiffer = `((s) => {
	const font = getComputedStyle(document.body).fontFamily;
	const shots = Array.from(s).map((ch) => {
		const c = document.createElement("canvas");
		c.width = 64; c.height = 64;
		const x = c.getContext("2d");
		x.fillStyle = "#fff"; x.fillRect(0, 0, 64, 64);
		x.fillStyle = "#000"; x.font = "48px " + font; x.textBaseline = "top";
		x.fillText(ch, 8, 8);
		return Array.from(x.getImageData(0, 0, 64, 64).data).join(",");
	});
	return new Set(shots).size === shots.length;
})`

func TestWallboard_InHeadlessChromium(t *testing.T) {
	h := startHub(t, "", nil)
	br := startBrowser(t)
	ctx := context.Background()
	wallTok := h.token(t, upstream.RoleWallboard, "大厅电视", "")
	supTok := h.token(t, upstream.RoleSupervisor, "张主管", "")
	agentTok := h.token(t, upstream.RoleAgent, "PC 1", "")
	a, _ := liveDesk(t, h, agent.NewID())
	b, _ := liveDesk(t, h, agent.NewID())
	now := time.Now()
	if err := a.Live(ctx, upstream.AgentStatus{Agent: "李娜", State: "on_call", Since: now, Queue: "4008001234", Extension: "8001", CallID: "wb-1@pbx", CallSince: now},
		[]upstream.CallEvent{{Kind: "answered", CallID: "wb-1@pbx", Queue: "4008001234", Direction: "inbound", Caller: "+8613800138000", At: now}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Live(ctx, upstream.AgentStatus{Agent: "王芳", State: "available", Since: now}, nil); err != nil {
		t.Fatal(err)
	}

	page := func(tok string) string { return h.url + "/wallboard?token=" + url.QueryEscape(tok) }
	s := br.open(t, page(wallTok))
	if d, err := br.waitFor(t, s, `document.body.dataset.state === "live" && document.getElementById("t-talking").textContent === "1"`, 15*time.Second); err != nil {
		var st pageState
		br.eval(t, s, readPage, &st)
		t.Fatalf("%v: the page shows %+v", err, st)
	} else {
		t.Logf("the wallboard showed the floor %s after it was opened", d.Round(time.Millisecond))
	}
	br.eval(t, s, `window.__marker = 42`, new(int))
	var st pageState
	br.eval(t, s, readPage, &st)
	for _, want := range []string{"话务大厅实时看板", "振铃", "通话中", "最长振铃", "话后处理超时", "逾期未回复", "呼入号码", "李娜", "王芳", "空闲", "4008001234"} {
		if !strings.Contains(st.Text, want) {
			t.Errorf("the page's text lacks %q:\n%s", want, st.Text)
		}
	}
	if st.Tiles["ringing"] != "0" || st.Tiles["talking"] != "1" || st.Controls != 0 {
		t.Errorf("page = %+v, want 0 ringing, 1 talking and no controls", st)
	}
	if strings.Contains(st.Text, "13800138000") {
		t.Errorf("the wallboard shows a caller's number:\n%s", st.Text)
	}
	var differ bool
	br.eval(t, s, glyphsDiffer+`("话务大厅振铃")`, &differ)
	if !differ {
		t.Error("the page's Chinese characters are drawn alike: no font renders them (a CJK font, e.g. Debian fonts-wqy-microhei)")
	}
	var fonts struct {
		Fonts []struct {
			FamilyName string `json:"familyName"`
			GlyphCount int    `json:"glyphCount"`
		} `json:"fonts"`
	}
	var doc struct {
		Root struct {
			NodeID int `json:"nodeId"`
		} `json:"root"`
	}
	br.call(t, s, "DOM.enable", map[string]any{}, nil)
	br.call(t, s, "CSS.enable", map[string]any{}, nil)
	br.call(t, s, "DOM.getDocument", map[string]any{}, &doc)
	var h1 struct {
		NodeID int `json:"nodeId"`
	}
	br.call(t, s, "DOM.querySelector", map[string]any{"nodeId": doc.Root.NodeID, "selector": "h1"}, &h1)
	br.call(t, s, "CSS.getPlatformFontsForNode", map[string]any{"nodeId": h1.NodeID}, &fonts)
	t.Logf("the title 话务大厅实时看板 is drawn with %+v", fonts.Fonts)

	// A call that rings after the page loaded shows within a few seconds,
	// by the page's stream: no reload (the marker stays).
	began := time.Now()
	if err := b.Live(ctx, upstream.AgentStatus{Agent: "王芳", State: "ringing", Since: time.Now(), Queue: "4008005678", Extension: "8002", CallID: "wb-2@pbx", CallSince: time.Now()},
		[]upstream.CallEvent{{Kind: "ringing", CallID: "wb-2@pbx", Queue: "4008005678", Direction: "inbound", Caller: "+8613900139000", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := br.waitFor(t, s, `document.getElementById("t-ringing").textContent === "1" && document.querySelector('#queues tr[data-queue="4008005678"]')`, 5*time.Second); err != nil {
		br.eval(t, s, readPage, &st)
		t.Fatalf("%v: the page shows %+v", err, st)
	}
	t.Logf("a ringing call reported by a desk was on the wallboard %s later", time.Since(began).Round(time.Millisecond))
	br.eval(t, s, readPage, &st)
	if st.Marker != 42 || st.State != "live" || st.Controls != 0 || !strings.Contains(st.Text, "4008005678") {
		t.Errorf("after the call: %+v (marker 42: the page was not reloaded)", st)
	}

	// The hub drops every connection: the page reconnects by itself and
	// follows again, still without a reload.
	h.srv.CloseClientConnections()
	// The desk's own idle connection went too: its first post may fail.
	if err := live(b, upstream.AgentStatus{Agent: "王芳", State: "on_call", Since: time.Now(), Queue: "4008005678", Extension: "8002", CallID: "wb-2@pbx", CallSince: time.Now()},
		[]upstream.CallEvent{{Kind: "answered", CallID: "wb-2@pbx", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if d, err := br.waitFor(t, s, `document.body.dataset.state === "live" && document.getElementById("t-ringing").textContent === "0" && document.getElementById("t-talking").textContent === "2"`, 20*time.Second); err != nil {
		br.eval(t, s, readPage, &st)
		t.Errorf("after the connection dropped: %v: the page shows %+v", err, st)
	} else {
		t.Logf("the page was following again %s after the hub dropped its connection", d.Round(time.Millisecond))
	}
	if br.eval(t, s, readPage, &st); st.Marker != 42 {
		t.Error("the page was reloaded to reconnect")
	}

	// A supervisor's token opens it too.
	sup := br.open(t, page(supTok))
	if _, err := br.waitFor(t, sup, `document.body.dataset.state === "live" && document.getElementById("t-talking").textContent === "2"`, 15*time.Second); err != nil {
		t.Errorf("with a supervisor's token: %v", err)
	}

	// The wallboard's token revoked: the page says so and stops.
	if _, err := h.db.RevokeTokens(ctx, "大厅电视"); err != nil {
		t.Fatal(err)
	}
	if _, err := br.waitFor(t, s, `document.body.dataset.state === "ended" && document.body.innerText.includes("看板令牌已失效")`, 15*time.Second); err != nil {
		br.eval(t, s, readPage, &st)
		t.Errorf("after the token was revoked: %v: the page shows %+v", err, st)
	}

	// Any other token, a wrong one, none: a clear refusal with no figures.
	for _, tt := range []struct{ name, u string }{
		{"an agent's token", page(agentTok)},
		{"a wrong token", page("not-a-token")},
		{"no token", h.url + "/wallboard"},
	} {
		s := br.open(t, tt.u)
		if _, err := br.waitFor(t, s, `document.body.dataset.state === "forbidden"`, 15*time.Second); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		br.eval(t, s, readPage, &st)
		if !strings.Contains(st.Text, "无权查看看板") || !strings.Contains(st.Text, "403") || st.Tiles["ringing"] != "" || st.Controls != 0 ||
			strings.Contains(st.Text, "4008005678") || strings.Contains(st.Text, "李娜") {
			t.Errorf("%s: the page shows %+v, want the refusal only", tt.name, st)
		}
		resp, err := http.Get(tt.u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || strings.Contains(string(body), "EventSource") {
			t.Errorf("%s: %d, script on the refusal: %v", tt.name, resp.StatusCode, strings.Contains(string(body), "EventSource"))
		}
		resp, err = http.Get(strings.Replace(tt.u, "/wallboard", "/wallboard/stream", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: the stream answers %d, want 403", tt.name, resp.StatusCode)
		}
	}
}

// live reports as c.Live does, once more after a failure.
func live(c *upstream.Client, st upstream.AgentStatus, evs []upstream.CallEvent) error {
	err := c.Live(context.Background(), st, evs)
	if err != nil {
		err = c.Live(context.Background(), st, evs)
	}
	return err
}
