// Package i18n holds the desk's UI messages in zh-Hans (the default),
// zh-Hant and en, as go-i18n bundles embedded in the binary. Views ask a
// Localizer for a message by id; a message missing in a language falls back
// to zh-Hans. Script texts (what agents say) are not here: they are in
// package scripts.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed messages/*.toml
var messageFS embed.FS

// DefaultLang is the language used when none is asked for, and the one
// every message falls back to.
const DefaultLang = "zh-Hans"

var (
	langs = []string{"zh-Hans", "zh-Hant", "en"}
	tags  = []language.Tag{language.MustParse("zh-Hans"), language.MustParse("zh-Hant"), language.English}
	// matcher maps what a user or OS says (zh-CN, zh-TW, en-GB…) to ours.
	matcher = language.NewMatcher(tags)

	loadOnce sync.Once
	bundle   *goi18n.Bundle
	loadErr  error
)

// Langs returns the languages of the UI, the default first.
func Langs() []string { return append([]string(nil), langs...) }

// messageFiles are the bundle files of lang: messages/AREA.LANG.toml, one
// per area of the window (active holds the desk's own), sorted.
func messageFiles(lang string) ([]string, error) {
	files, err := fs.Glob(messageFS, "messages/*."+lang+".toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

func load() (*goi18n.Bundle, error) {
	loadOnce.Do(func() {
		b := goi18n.NewBundle(tags[0])
		b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
		for _, l := range langs {
			files, err := messageFiles(l)
			if err != nil || len(files) == 0 {
				loadErr = fmt.Errorf("read messages %s: %v", l, err)
				return
			}
			for _, path := range files {
				data, err := fs.ReadFile(messageFS, path)
				if err != nil {
					loadErr = fmt.Errorf("read messages %s: %w", path, err)
					return
				}
				// go-i18n takes the language from the file name's last part.
				if _, err := b.ParseMessageFileBytes(data, "active."+l+".toml"); err != nil {
					loadErr = fmt.Errorf("parse messages %s: %w", path, err)
					return
				}
			}
		}
		bundle = b
	})
	return bundle, loadErr
}

// Localizer gives the UI's messages in one language.
type Localizer struct {
	l *goi18n.Localizer
}

// Match returns the UI language closest to lang (a BCP 47 tag such as
// "zh-CN", "zh-TW" or "en-GB"); anything unknown gives zh-Hans.
func Match(lang string) string {
	t, err := language.Parse(lang)
	if err != nil {
		return DefaultLang
	}
	_, i, conf := matcher.Match(t)
	if conf == language.No {
		return DefaultLang
	}
	return langs[i]
}

// New returns a Localizer for the UI language closest to lang.
// It panics only if the embedded message files are broken, which the
// package's tests rule out.
func New(lang string) *Localizer {
	b, err := load()
	if err != nil {
		panic("i18n: " + err.Error())
	}
	m := Match(lang)
	return &Localizer{l: goi18n.NewLocalizer(b, m, DefaultLang)}
}

// T returns message id with its {{.Placeholders}} filled from data. A
// message missing in the language comes from zh-Hans; an id missing
// everywhere is returned as it is, so the gap shows and the id test catches
// it.
func (l *Localizer) T(id string, data ...map[string]any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		td := map[string]any{}
		for _, d := range data {
			for k, v := range d {
				td[k] = v
			}
		}
		cfg.TemplateData = td
	}
	s, err := l.l.Localize(cfg)
	if err != nil || s == "" {
		return id
	}
	return s
}
