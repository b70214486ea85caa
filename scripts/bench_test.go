package scripts

import (
	"testing"
	"time"
)

func BenchmarkParse_DefaultPack(b *testing.B) {
	data, err := DefaultPackFile("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("zh-Hans.toml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// Opening runs on every ring; it must stay far below a millisecond.
func BenchmarkPack_Opening(b *testing.B) {
	p, err := Default("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	req := OpeningRequest{At: time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), Caller: Party{Surname: "王", Title: "先生"}}
	for b.Loop() {
		if _, err := p.Opening(req); err != nil {
			b.Fatal(err)
		}
	}
}

// The desk renders the phrase book and the other sections on each view
// update; a whole preview is every line of the pack.
func BenchmarkPack_Preview(b *testing.B) {
	p, err := Default("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	req := SampleRequest("zh-Hans", time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), CallerKnown)
	for b.Loop() {
		if pv := p.Preview(req); len(pv.Phrases) == 0 {
			b.Fatal("no phrases")
		}
	}
}

func BenchmarkPack_PhraseBook(b *testing.B) {
	p, err := Default("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	req := Request{At: time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), Caller: Party{Surname: "王", Title: "先生"}, ReplyHours: 24}
	for b.Loop() {
		p.PhraseBook(req)
	}
}

// The editor writes the form on each edit and parses it to check it.
func BenchmarkForm_TOMLAndCheck(b *testing.B) {
	f, err := DefaultForm("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := f.Check("zh-Hans.toml"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPack_YearCalendar(b *testing.B) {
	p, err := Default("zh-Hant")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p.YearCalendar(2026)
	}
}
