package upstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type event struct{ name, data string }

func collect(t *testing.T, r io.Reader, limit int) ([]event, error) {
	t.Helper()
	var got []event
	err := readEvents(r, limit, func(name string, data []byte) { got = append(got, event{name, string(data)}) })
	return got, err
}

func TestReadEvents(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want []event
		err  error
	}{
		{"one event", "event: board\ndata: {\"a\":1}\n\n", []event{{"board", `{"a":1}`}}, io.EOF},
		{"two events", "event: alert\ndata: 1\n\nevent: board\ndata: 2\n\n", []event{{"alert", "1"}, {"board", "2"}}, io.EOF},
		{"CRLF line ends", "event: board\r\ndata: x\r\n\r\n", []event{{"board", "x"}}, io.EOF},
		{"no space after the colon", "event:board\ndata:x\n\n", []event{{"board", "x"}}, io.EOF},
		{"only one space is stripped", "data:  x\n\n", []event{{"message", " x"}}, io.EOF},
		{"several data lines", "event: board\ndata: a\ndata: b\n\n", []event{{"board", "a\nb"}}, io.EOF},
		{"comments and keep-alives", ": keep-alive\n\n:\nevent: board\n: inside\ndata: x\n\n: trailing\n", []event{{"board", "x"}}, io.EOF},
		{"id and retry ignored", "id: 7\nretry: 100\nevent: board\ndata: x\n\n", []event{{"board", "x"}}, io.EOF},
		{"an event without data is not sent", "event: board\n\nevent: alert\ndata: y\n\n", []event{{"alert", "y"}}, io.EOF},
		{"an empty data field is sent", "event: board\ndata\n\n", []event{{"board", ""}}, io.EOF},
		{"name resets between events", "event: alert\ndata: 1\n\ndata: 2\n\n", []event{{"alert", "1"}, {"message", "2"}}, io.EOF},
		{"byte order mark", "\xef\xbb\xbfevent: board\ndata: x\n\n", []event{{"board", "x"}}, io.EOF},
		{"cut inside the data line", "event: board\ndata: 1\n\nevent: board\ndata: {\"agen", []event{{"board", "1"}}, io.ErrUnexpectedEOF},
		{"cut before the blank line", "event: board\ndata: 1\n\nevent: board\ndata: 2\n", []event{{"board", "1"}}, io.ErrUnexpectedEOF},
		{"cut after the event name", "event: board\ndata: 1\n\nevent: bo", []event{{"board", "1"}}, io.ErrUnexpectedEOF},
		{"empty stream", "", nil, io.EOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range map[string]io.Reader{"whole": strings.NewReader(tt.in), "byte by byte": iotest.OneByteReader(strings.NewReader(tt.in))} {
				got, err := collect(t, r, MaxEventBytes)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) || !errors.Is(err, tt.err) {
					t.Fatalf("readEvents = %q, %v; want %q, %v", got, err, tt.want, tt.err)
				}
			}
		})
	}
}

func TestReadEvents_LongLinesAndLimit(t *testing.T) {
	big := strings.Repeat("长", 200<<10) // 600 KB: far over bufio's buffer
	got, err := collect(t, strings.NewReader("event: board\ndata: "+big+"\n\n"), MaxEventBytes)
	if err != io.EOF || len(got) != 1 || got[0].data != big {
		t.Fatalf("long event: %d events, %v", len(got), err)
	}
	got, err = collect(t, strings.NewReader("event: board\ndata: 1\n\nevent: board\ndata: "+big+"\n\n"), 100<<10)
	if !errors.Is(err, ErrEventTooLarge) || len(got) != 1 {
		t.Fatalf("event over the limit: %d events, %v; want the first only and ErrEventTooLarge", len(got), err)
	}
	// The limit is on the whole event, not on each of its lines.
	lines := strings.Repeat("data: "+strings.Repeat("x", 1000)+"\n", 200)
	if got, err := collect(t, strings.NewReader(lines+"\n"), 100<<10); !errors.Is(err, ErrEventTooLarge) || len(got) != 0 {
		t.Fatalf("many lines over the limit: %d events, %v", len(got), err)
	}
}

// What writeEvent writes, readEvents reads back byte for byte, whatever
// the value holds.
func TestWriteEvent_ReadBack(t *testing.T) {
	v := map[string]any{"text": "第一行\n第二行\r\n\"quoted\" \u2028 \x00", "n": 1}
	var buf bytes.Buffer
	if err := writeEvent(&buf, "board", v); err != nil {
		t.Fatal(err)
	}
	if err := writeEvent(&buf, "alert", []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, &buf, MaxEventBytes)
	if err != io.EOF || len(got) != 2 || got[0].name != "board" || got[1].data != "[1,2]" {
		t.Fatalf("read back %q, %v", got, err)
	}
	if !strings.Contains(got[0].data, `第一行\n第二行\r\n\"quoted\"`) {
		t.Errorf("board data %s", got[0].data)
	}
}

func FuzzReadEvents(f *testing.F) {
	for _, s := range []string{"event: board\ndata: {}\n\n", ": c\r\n\r\ndata:x\n\n", "data: a\ndata: b\n\nevent: x", "\xef\xbb\xbfdata\n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var n int
		err := readEvents(bytes.NewReader(in), 1<<10, func(name string, data []byte) {
			n++
			if name == "" {
				t.Fatal("event without a name")
			}
			if len(data) > 1<<10 {
				t.Fatalf("event of %d bytes passed a limit of %d", len(data), 1<<10)
			}
		})
		if err == nil {
			t.Fatal("readEvents returned nil; it always says how the stream ended")
		}
		// Cutting the input anywhere never yields more events than the whole.
		for cut := range min(len(in), 512) {
			m := 0
			_ = readEvents(bytes.NewReader(in[:cut]), 1<<10, func(string, []byte) { m++ })
			if m > n {
				t.Fatalf("prefix of %d bytes gave %d events, the whole %d", cut, m, n)
			}
		}
	})
}

// readEvents parses server-sent events from r and calls fn for each
// complete one, with the event's name ("message" when it has none) and its
// data lines joined by newlines. Comments, id and retry fields are skipped;
// an event without data is not dispatched. It returns io.EOF when r ends
// between events, io.ErrUnexpectedEOF when r ends inside one (that event is
// dropped), ErrEventTooLarge, or r's error.
func readEvents(r io.Reader, limit int, fn func(name string, data []byte)) error {
	return readEventsID(r, limit, func(_, name string, data []byte) { fn(name, data) })
}
