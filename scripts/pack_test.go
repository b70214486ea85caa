package scripts

import (
	"fmt"
	"strings"
	"testing"
)

func mustDefault(t *testing.T, lang string) *Pack {
	t.Helper()
	p, err := Default(lang)
	if err != nil {
		t.Fatalf("Default(%q): %v", lang, err)
	}
	return p
}

func TestDefault_AllLangsValid(t *testing.T) {
	for _, l := range append(Langs(), "") {
		p := mustDefault(t, l)
		want := l
		if l == "" {
			want = DefaultLang
		}
		if p.Lang() != want {
			t.Errorf("Default(%q).Lang() = %q", l, p.Lang())
		}
		zone := "Asia/Shanghai"
		if want == "zh-Hant" {
			zone = "Asia/Taipei" // the zh-Hant pack is Taiwan's
		}
		if p.TimeZone().String() != zone {
			t.Errorf("Default(%q) zone %s, want %s", l, p.TimeZone(), zone)
		}
	}
	if _, err := Default("fr"); err == nil {
		t.Error("Default(fr) = nil error")
	}
}

// Default packs are parsed once and shared; sharing must be race-free.
func TestDefault_SharedAndConcurrent(t *testing.T) {
	a, b := mustDefault(t, "en"), mustDefault(t, "en")
	if a != b {
		t.Error("Default(en) parsed twice")
	}
	done := make(chan string)
	for range 4 {
		go func() {
			p, err := Default("zh-Hans")
			if err != nil {
				done <- err.Error()
				return
			}
			s, _ := p.Opening(OpeningRequest{At: fuzzInstant})
			done <- s
		}()
	}
	for range 4 {
		if s := <-done; s != "国庆节快乐！XX客服中心，请问有什么可以帮您！" {
			t.Errorf("concurrent Opening = %q", s)
		}
	}
}

// The three default packs carry the same phrases, steps, callback lines and
// holidays, so switching language never loses a line.
func TestDefault_SameStructureInEveryLang(t *testing.T) {
	shape := func(p *Pack) string {
		var b strings.Builder
		for _, ph := range p.Phrases() {
			fmt.Fprintf(&b, "phrase %s never=%d\n", ph.ID, len(ph.Never))
		}
		for _, s := range p.ComplaintSteps() {
			fmt.Fprintf(&b, "step %s say=%v\n", s.ID, s.Say != "")
		}
		for _, l := range p.Callback() {
			fmt.Fprintf(&b, "callback %s\n", l.ID)
		}
		for _, h := range p.Holidays() {
			fmt.Fprintf(&b, "holiday %s\n", h.ID)
		}
		fmt.Fprintf(&b, "slots %d reassure %d never %d\n", len(p.Slots()), len(p.Closing().Reassure), len(p.Openings().Never))
		return b.String()
	}
	want := shape(mustDefault(t, DefaultLang))
	for _, l := range Langs()[1:] {
		if got := shape(mustDefault(t, l)); got != want {
			t.Errorf("%s differs from %s:\n%s\nwant:\n%s", l, DefaultLang, got, want)
		}
	}
}
