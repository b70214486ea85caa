package scripts

import (
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
		if p.TimeZone().String() != "Asia/Shanghai" {
			t.Errorf("Default(%q) zone %s", l, p.TimeZone())
		}
	}
	if _, err := Default("fr"); err == nil {
		t.Error("Default(fr) = nil error")
	}
}
