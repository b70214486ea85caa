package agent

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCoachingNote_Validate(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	good := CoachingNote{Agent: "8001", CallID: "call-1@pbx", By: "张主管", Text: "开场白要先报工号。", At: at}
	for _, tt := range []struct {
		name    string
		edit    func(*CoachingNote)
		empty   bool   // matches ErrEmpty
		missing string // named in the error
	}{
		{"complete", func(*CoachingNote) {}, false, ""},
		{"by call record only", func(n *CoachingNote) { n.CallID, n.CallRecord = "", "rec-1" }, false, ""},
		{"no agent", func(n *CoachingNote) { n.Agent = " " }, true, "agent"},
		{"no call", func(n *CoachingNote) { n.CallID = "" }, true, "call"},
		{"no author", func(n *CoachingNote) { n.By = "" }, true, "author"},
		{"blank text", func(n *CoachingNote) { n.Text = "\n\t" }, true, "text"},
		{"no time", func(n *CoachingNote) { n.At = time.Time{} }, true, "time"},
		{"all missing", func(n *CoachingNote) { *n = CoachingNote{} }, true, "agent, call, author, text, time"},
		{"text too long", func(n *CoachingNote) { n.Text = strings.Repeat("话", MaxCoachingText/3+1) }, false, "at most 8000 bytes"},
		{"text not UTF-8", func(n *CoachingNote) { n.Text = "ok\xff" }, false, "UTF-8"},
	} {
		n := good
		tt.edit(&n)
		err := n.Validate()
		switch {
		case tt.missing == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.missing != "" && (err == nil || errors.Is(err, ErrEmpty) != tt.empty || !strings.Contains(err.Error(), tt.missing)):
			t.Errorf("%s: %v, want an error naming %q (ErrEmpty %v)", tt.name, err, tt.missing, tt.empty)
		}
	}
	n := good
	n.Text = strings.Repeat("x", MaxCoachingText)
	if err := n.Validate(); err != nil {
		t.Errorf("a text of exactly %d bytes: %v", MaxCoachingText, err)
	}
}
