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
