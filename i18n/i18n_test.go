package i18n

import (
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// Every language has exactly the default's ids, with the same placeholders.
func TestBundles_SameIDsAndPlaceholders(t *testing.T) {
	defIDs, def := messageIDs(DefaultLang)
	if len(defIDs) < 120 {
		t.Fatalf("%s has %d messages, want at least 120", DefaultLang, len(defIDs))
	}
	for _, l := range Langs()[1:] {
		ids, msgs := messageIDs(l)
		if ids == nil {
			t.Fatalf("%s: message file missing or not valid TOML", l)
		}
		for _, id := range defIDs {
			m, ok := msgs[id]
			if !ok {
				t.Errorf("%s lacks %q", l, id)
				continue
			}
			if got, want := fmt.Sprint(placeholders(m)), fmt.Sprint(placeholders(def[id])); got != want {
				t.Errorf("%s %q has placeholders %s, %s has %s", l, id, got, DefaultLang, want)
			}
			if strings.TrimSpace(m) == "" {
				t.Errorf("%s %q is empty", l, id)
			}
		}
		for _, id := range ids {
			if _, ok := def[id]; !ok {
				t.Errorf("%s has %q, which %s lacks", l, id, DefaultLang)
			}
		}
	}
}

// No file is shipped that the tests do not check: every file is
// AREA.LANG.toml for a known language, each area has a file in every
// language, and no id is in two files.
func TestBundles_OnlyKnownFiles(t *testing.T) {
	files, err := fs.Glob(messageFS, "messages/*")
	if err != nil {
		t.Fatal(err)
	}
	areas := map[string]map[string]bool{}
	for _, f := range files {
		parts := strings.Split(strings.TrimPrefix(f, "messages/"), ".")
		if len(parts) != 3 || parts[2] != "toml" || !slices.Contains(Langs(), parts[1]) {
			t.Errorf("%s: want messages/AREA.LANG.toml with LANG one of %v", f, Langs())
			continue
		}
		if areas[parts[0]] == nil {
			areas[parts[0]] = map[string]bool{}
		}
		areas[parts[0]][parts[1]] = true
	}
	for area, ls := range areas {
		if len(ls) != len(Langs()) {
			t.Errorf("area %s has files for %v only, want every language", area, ls)
		}
	}
	for _, l := range Langs() {
		ids, _ := messageIDs(l)
		for _, id := range ids {
			if strings.HasPrefix(id, "DUPLICATE:") {
				t.Errorf("%s: %s is in two files", l, strings.TrimPrefix(id, "DUPLICATE:"))
			}
		}
	}
}

func TestLocalizer_T(t *testing.T) {
	tests := []struct {
		lang, id string
		data     map[string]any
		want     string
	}{
		{"zh-Hans", "call.answer", nil, "接听"},
		{"zh-Hant", "call.answer", nil, "接聽"},
		{"en", "call.answer", nil, "Answer"},
		{"zh-Hans", "caller.open_complaints", map[string]any{"Count": 2}, "未结投诉 2 件"},
		{"en", "quiet.refused", map[string]any{"From": "12:00", "To": "14:00"}, "Customers are resting now (12:00–14:00); callbacks cannot be dialled"},
		{"zh-CN", "dialog.save", nil, "保存"},
		{"zh-TW", "dialog.save", nil, "儲存"},
		{"en-GB", "dialog.save", nil, "Save"},
		{"fr", "dialog.save", nil, "保存"},
		{"", "dialog.save", nil, "保存"},
		{"en", "no.such.id", nil, "no.such.id"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.id, func(t *testing.T) {
			var got string
			if tt.data != nil {
				got = New(tt.lang).T(tt.id, tt.data)
			} else {
				got = New(tt.lang).T(tt.id)
			}
			if got != tt.want {
				t.Errorf("T(%q) in %q = %q, want %q", tt.id, tt.lang, got, tt.want)
			}
		})
	}
}

// Every message renders in every language with its placeholders filled.
func TestLocalizer_AllRender(t *testing.T) {
	_, def := messageIDs(DefaultLang)
	for _, l := range Langs() {
		loc := New(l)
		for id, m := range def {
			data := map[string]any{}
			for _, p := range placeholders(m) {
				data[p] = "X"
			}
			got := loc.T(id, data)
			if got == id || strings.Contains(got, "{{") || strings.Contains(got, "<no value>") {
				t.Errorf("%s %q renders %q", l, id, got)
			}
		}
	}
}

func TestMatch(t *testing.T) {
	for in, want := range map[string]string{"zh-Hans": "zh-Hans", "zh-HK": "zh-Hant", "zh-Hant-TW": "zh-Hant", "en-US": "en", "de": "zh-Hans", "???": "zh-Hans"} {
		if got := Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleLocalizer_T() {
	fmt.Println(New("en").T("caller.callbacks_due", map[string]any{"Count": 1}))
	fmt.Println(New("zh-Hant").T("agent.state.wrap_up"))
	// Output:
	// Callbacks due: 1
	// 話後整理
}

// placeholders returns the sorted {{.Name}} placeholders of a message.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "{{.")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		out = append(out, s[i+3:i+j])
		s = s[i+j+2:]
	}
	sort.Strings(out)
	return out
}

// messageIDs returns the ids and texts of one language's files; an id in
// two files of the language is reported as "DUPLICATE:" + id.
func messageIDs(lang string) ([]string, map[string]string) {
	files, err := messageFiles(lang)
	if err != nil || len(files) == 0 {
		return nil, nil
	}
	raw := map[string]string{}
	var dups []string
	for _, path := range files {
		data, err := fs.ReadFile(messageFS, path)
		if err != nil {
			return nil, nil
		}
		one := map[string]string{}
		if _, err := toml.Decode(string(data), &one); err != nil {
			return nil, nil
		}
		for id, m := range one {
			if _, dup := raw[id]; dup {
				dups = append(dups, "DUPLICATE:"+id)
			}
			raw[id] = m
		}
	}
	ids := make([]string, 0, len(raw)+len(dups))
	for id := range raw {
		ids = append(ids, id)
	}
	ids = append(ids, dups...)
	sort.Strings(ids)
	return ids, raw
}
