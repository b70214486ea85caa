package practice_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"agentdesk/telephony"
	"agentdesk/telephony/practice"
	"agentdesk/telephony/practice/practicetest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// recorder collects emitted events.
type recorder struct {
	mu     sync.Mutex
	events []telephony.Event
}

func (r *recorder) Emit(e telephony.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind.String())
	}
	return out
}

func (r *recorder) last() telephony.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return telephony.Event{}
	}
	return r.events[len(r.events)-1]
}

func newTestPhone(t *testing.T, toml string) (*practice.Phone, *recorder, *practicetest.ManualClock) {
	t.Helper()
	sc, err := practice.Parse("test.toml", []byte(toml))
	if err != nil {
		t.Fatal(err)
	}
	clk := practicetest.NewManualClock(t0)
	rec := &recorder{}
	p := practice.New(sc, rec, practice.WithClock(clk))
	t.Cleanup(func() { p.Close() })
	p.Start()
	return p, rec, clk
}

const oneCaller = `
[[caller]]
number = "13800138000"
display_name = "王建国"
delay = "10s"
ring = "20s"
hangup_after = "1m"
`

func TestPhone_RingAnswerCallerHangsUp(t *testing.T) {
	p, rec, clk := newTestPhone(t, oneCaller)
	clk.Advance(9 * time.Second)
	if got := strings.Join(rec.kinds(), ","); got != "registered" {
		t.Fatalf("before the delay: %s", got)
	}
	clk.Advance(time.Second)
	ring := rec.last()
	if ring.Kind != telephony.EventRinging || ring.Caller.Number != "13800138000" || ring.Caller.DisplayName != "王建国" ||
		ring.Direction != telephony.Inbound || !ring.At.Equal(t0.Add(10*time.Second)) || ring.CallID == "" {
		t.Fatalf("ringing event = %+v", ring)
	}
	if err := p.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	if err := p.Answer(ring.CallID); !errors.Is(err, practice.ErrCallState) {
		t.Errorf("second answer: %v, want ErrCallState", err)
	}
	clk.Advance(time.Minute)
	if got := strings.Join(rec.kinds(), ","); got != "registered,ringing,answered,ended" {
		t.Fatalf("events = %s", got)
	}
	if e := rec.last(); e.Reason != "caller hung up" || e.CallID != ring.CallID {
		t.Errorf("end = %+v", e)
	}
	if err := p.Hangup(ring.CallID); !errors.Is(err, practice.ErrNoCall) {
		t.Errorf("hangup after end: %v, want ErrNoCall", err)
	}
}

func TestPhone_Outcomes(t *testing.T) {
	tests := map[string]struct {
		scenario string
		act      func(p *practice.Phone, id string) error
		want     string
		reason   string
	}{
		"caller gives up": {
			scenario: `[[caller]]
number = "13800138000"
ring = "5s"`,
			want: "registered,ringing,missed", reason: "caller gave up",
		},
		"answered elsewhere": {
			scenario: `[[caller]]
number = "13800138000"
ring = "5s"
outcome = "answered_elsewhere"`,
			want: "registered,ringing,answered_elsewhere", reason: "call completed elsewhere",
		},
		"agent rejects": {
			scenario: `[[caller]]
number = "13800138000"`,
			act:  func(p *practice.Phone, id string) error { return p.Reject(id, 486) },
			want: "registered,ringing,ended", reason: "rejected 486",
		},
		"hold, resume, transfer": {
			scenario: `[[caller]]
number = "13800138000"`,
			act: func(p *practice.Phone, id string) error {
				return errors.Join(p.Answer(id), p.Hold(id), p.Resume(id), p.SendDTMF(id, "5"), p.Transfer(id, "8001"))
			},
			want: "registered,ringing,answered,held,resumed,transferred,ended", reason: "transferred to 8001",
		},
		"agent hangs up": {
			scenario: `[[caller]]
number = "13800138000"`,
			act:  func(p *practice.Phone, id string) error { return errors.Join(p.Answer(id), p.Hangup(id)) },
			want: "registered,ringing,answered,ended", reason: "agent hung up",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			p, rec, clk := newTestPhone(t, tt.scenario)
			clk.Advance(0)
			if tt.act != nil {
				if err := tt.act(p, rec.last().CallID); err != nil {
					t.Fatal(err)
				}
			}
			clk.Advance(time.Minute)
			if got := strings.Join(rec.kinds(), ","); got != tt.want {
				t.Errorf("events = %s, want %s", got, tt.want)
			}
			if r := rec.last().Reason; r != tt.reason {
				t.Errorf("reason = %q, want %q", r, tt.reason)
			}
		})
	}
}

func TestPhone_ControlErrors(t *testing.T) {
	p, rec, clk := newTestPhone(t, oneCaller)
	clk.Advance(10 * time.Second)
	id := rec.last().CallID
	if err := p.Hold(id); !errors.Is(err, practice.ErrCallState) {
		t.Errorf("hold while ringing: %v", err)
	}
	if err := p.Answer("nope"); !errors.Is(err, practice.ErrNoCall) {
		t.Errorf("answer unknown: %v", err)
	}
	if err := p.Answer(id); err != nil {
		t.Fatal(err)
	}
	if err := p.SendDTMF(id, "x"); !errors.Is(err, practice.ErrBadDigit) {
		t.Errorf("dtmf x: %v", err)
	}
	if err := p.Resume(id); !errors.Is(err, practice.ErrCallState) {
		t.Errorf("resume while not held: %v", err)
	}
	p.Close()
	if got := strings.Join(rec.kinds(), ","); got != "registered,ringing,answered,ended,unregistered" {
		t.Errorf("events = %s", got)
	}
	if err := p.Answer(id); !errors.Is(err, practice.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
	if _, err := p.Dial(context.Background(), "13800138000"); !errors.Is(err, practice.ErrClosed) {
		t.Errorf("dial after close: %v", err)
	}
	if n := clk.Pending(); n != 0 {
		t.Errorf("%d timers left after close", n)
	}
}

func TestPhone_Anonymous(t *testing.T) {
	_, rec, clk := newTestPhone(t, `[[caller]]
anonymous = true
silent = true`)
	clk.Advance(0)
	c := rec.last().Caller
	if !c.Anonymous || c.Number != "anonymous" {
		t.Errorf("caller = %+v", c)
	}
}

func TestPhone_Dial(t *testing.T) {
	p, rec, clk := newTestPhone(t, oneCaller)
	id, err := p.Dial(context.Background(), "13912345678")
	if err != nil {
		t.Fatal(err)
	}
	if e := rec.last(); e.Kind != telephony.EventRinging || e.Direction != telephony.Outbound || e.CallID != id {
		t.Fatalf("dial event = %+v", e)
	}
	clk.Advance(practice.OutboundAnswerAfter)
	if e := rec.last(); e.Kind != telephony.EventAnswered || e.CallID != id {
		t.Fatalf("after answer delay = %+v", e)
	}
	if err := p.Hangup(id); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Dial(ctx, "13912345678"); !errors.Is(err, context.Canceled) {
		t.Errorf("dial with cancelled ctx: %v", err)
	}
}

func TestPhone_RepeatsInOrder(t *testing.T) {
	_, rec, clk := newTestPhone(t, `repeat = true
[[caller]]
number = "13800138000"
delay = "5s"
ring = "5s"
[[caller]]
number = "13912345678"
delay = "5s"
ring = "5s"`)
	var numbers []string
	for range 3 {
		clk.Advance(5 * time.Second)
		numbers = append(numbers, rec.last().Caller.Number)
		clk.Advance(5 * time.Second)
	}
	if got := strings.Join(numbers, ","); got != "13800138000,13912345678,13800138000" {
		t.Errorf("callers = %s", got)
	}
}

func TestDefault_FirstCallWithinAMinute(t *testing.T) {
	sc := practice.Default()
	if len(sc.Callers) < 3 {
		t.Fatalf("default scenario has %d callers", len(sc.Callers))
	}
	if d := time.Duration(sc.Callers[0].Delay); d >= time.Minute {
		t.Errorf("first caller rings after %v", d)
	}
	var known, unknown, anon bool
	for _, c := range sc.Callers {
		switch {
		case c.Anonymous:
			anon = true
		case c.Customer != nil:
			known = true
		default:
			unknown = true
		}
	}
	if !known || !unknown || !anon {
		t.Errorf("default scenario: known %v unknown %v anonymous %v", known, unknown, anon)
	}
}

func TestParse_Errors(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"syntax":        {"[[caller]]\nnumber = = 1\n", "test.toml:2"},
		"no callers":    {"name = \"x\"", "no callers"},
		"no number":     {"[[caller]]\ndelay = \"1s\"", "caller 1: needs a number"},
		"bad duration":  {"[[caller]]\nnumber = \"1\"\ndelay = \"soon\"", "soon"},
		"negative":      {"[[caller]]\nnumber = \"1\"\nring = \"-1s\"", "negative"},
		"outcome":       {"[[caller]]\nnumber = \"1\"\noutcome = \"explode\"", "unknown outcome"},
		"unknown key":   {"[[caller]]\nnumber = \"1\"\ncolour = \"red\"", "unknown setting"},
		"anon + number": {"[[caller]]\nnumber = \"1\"\nanonymous = true", "anonymous but has a number"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := practice.Parse("test.toml", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	def, err := os.ReadFile("default.toml") // the embedded default
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(oneCaller))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := practice.Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("parsed scenario fails validation: %v", err)
		}
	})
}

// TestPhone_ControlsCheckCallState: the controls that need a ringing
// inbound call (answer, reject) refuse an answered one, and those that need
// a connected call (transfer, dtmf) refuse a ringing one, naming the control.
func TestPhone_ControlsCheckCallState(t *testing.T) {
	p, rec, clk := newTestPhone(t, oneCaller)
	clk.Advance(10 * time.Second)
	ring := rec.last()
	if ring.Kind != telephony.EventRinging {
		t.Fatalf("no ringing call: %+v", ring)
	}
	ringing := []struct {
		op string
		do func() error
	}{
		{"transfer", func() error { return p.Transfer(ring.CallID, "2000") }},
		{"dtmf", func() error { return p.SendDTMF(ring.CallID, "5") }},
	}
	for _, tc := range ringing {
		if err := tc.do(); !errors.Is(err, practice.ErrCallState) || !strings.HasPrefix(err.Error(), tc.op+" "+ring.CallID+": ") {
			t.Errorf("%s on a ringing call: %v, want %s %s: ErrCallState", tc.op, err, tc.op, ring.CallID)
		}
	}
	if err := p.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	answered := []struct {
		op string
		do func() error
	}{
		{"answer", func() error { return p.Answer(ring.CallID) }},
		{"reject", func() error { return p.Reject(ring.CallID, 486) }},
	}
	for _, tc := range answered {
		if err := tc.do(); !errors.Is(err, practice.ErrCallState) || !strings.HasPrefix(err.Error(), tc.op+" "+ring.CallID+": ") {
			t.Errorf("%s on an answered call: %v, want %s %s: ErrCallState", tc.op, err, tc.op, ring.CallID)
		}
	}
	if err := p.SendDTMF(ring.CallID, "5"); err != nil {
		t.Errorf("dtmf on an answered call: %v", err)
	}
	if err := p.Transfer("nope", "2000"); !errors.Is(err, practice.ErrNoCall) {
		t.Errorf("transfer of an unknown call: %v, want ErrNoCall", err)
	}
}

func TestPhone_MuteRecordingLevels(t *testing.T) {
	p, rec, clk := newTestPhone(t, oneCaller)
	clk.Advance(10 * time.Second)
	ring := rec.last()
	if err := p.Mute(ring.CallID, true); !errors.Is(err, practice.ErrCallState) {
		t.Errorf("mute of a ringing call: %v", err)
	}
	if err := p.Answer(ring.CallID); err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, true, false} {
		if err := p.Mute(ring.CallID, on); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(rec.kinds(), ","); got != "registered,ringing,answered,muted,unmuted" {
		t.Errorf("events = %s (a repeated mute is no event)", got)
	}
	for _, f := range []func(string) error{p.PauseRecording, p.ResumeRecording} {
		if err := f(ring.CallID); !errors.Is(err, telephony.ErrNotRecording) {
			t.Errorf("recording control on a practice call: %v, want ErrNotRecording", err)
		}
		if err := f("nope"); !errors.Is(err, practice.ErrNoCall) {
			t.Errorf("recording control on an unknown call: %v", err)
		}
	}
	if in, out := p.Levels(); in != 0 || out != 0 {
		t.Errorf("levels %v %v", in, out)
	}
}
