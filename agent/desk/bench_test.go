package desk

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"agentdesk/agent/store"
	"agentdesk/scripts"
	"agentdesk/telephony"
)

// benchCustomers is the size of the pop benchmark's customer file.
const benchCustomers = 1_000_000

// benchNumber is the i-th fixture customer's mobile number.
func benchNumber(i int) string { return fmt.Sprintf("139%08d", i) }

var (
	fixtureOnce sync.Once
	fixturePath string
	fixtureErr  error
)

// benchFixture returns a data file with benchCustomers customers, built once
// (through the CSV import, without fsync) and cached in os.TempDir() across
// runs; a marker file says the build finished.
func benchFixture(b *testing.B) string {
	b.Helper()
	fixtureOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("agentdesk-bench-%d-schema%d", benchCustomers, store.SchemaVersion))
		fixturePath = filepath.Join(dir, "desk.db")
		marker := fixturePath + ".complete"
		if _, err := os.Stat(marker); err == nil {
			return
		}
		os.RemoveAll(dir)
		start := time.Now()
		st, err := store.Open(fixturePath, store.WithNoSync(), store.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			fixtureErr = err
			return
		}
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriter(pw)
			fmt.Fprintln(w, "name,surname,title,phones,member")
			surnames := []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}
			for i := range benchCustomers {
				s := surnames[i%len(surnames)]
				title := "先生"
				if i%2 == 1 {
					title = "女士"
				}
				fmt.Fprintf(w, "%s%d,%s,%s,%s,%v\n", s, i, s, title, benchNumber(i), i%3 == 0)
			}
			pw.CloseWithError(w.Flush())
		}()
		_, err = st.ImportCSV(pr, "bench.csv", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		pr.Close()
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fixtureErr = fmt.Errorf("build fixture: %w", err)
			return
		}
		fixtureErr = os.WriteFile(marker, nil, 0o600)
		b.Logf("built %d-customer fixture %s in %v", benchCustomers, fixturePath, time.Since(start).Round(time.Second))
	})
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixturePath
}

// BenchmarkPop measures the pop latency from Emit(ringing) to the State
// carrying the pop reaching a subscriber, with 1,000,000 customers in the
// store: 9 callers in 10 are known customers, 1 in 10 unknown. It reports
// the p50 and p99 over the b.N pops.
//
//	go test -run '^$' -bench '^BenchmarkPop$' -benchtime 5000x ./agent/desk
func BenchmarkPop(b *testing.B) {
	path := benchFixture(b)
	st, err := store.Open(path, store.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pack, err := scripts.Default("zh-Hans")
	if err != nil {
		b.Fatal(err)
	}
	d, err := New(Options{Store: st, Packs: map[string]*scripts.Pack{"zh-Hans": pack},
		Logger: slog.New(slog.DiscardHandler), Config: Config{TimeZone: "Asia/Shanghai"}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()

	type seen struct {
		id    string
		known bool
		at    time.Time
	}
	popped := make(chan seen, 1)
	ended := make(chan struct{}, 1)
	var last, idleFor string
	d.Subscribe(func(s State) {
		if s.LastPop != nil && s.LastPop.CallID != last {
			last = s.LastPop.CallID
			popped <- seen{id: last, known: s.LastPop.Customer != nil, at: time.Now()}
		}
		if s.LastPop != nil && len(s.Calls) == 0 && s.LastPop.CallID != idleFor {
			idleFor = s.LastPop.CallID // once per call
			ended <- struct{}{}
		}
	})
	rng := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		n, known := rng.IntN(benchCustomers), true
		if i%10 == 9 {
			n, known = benchCustomers+rng.IntN(benchCustomers), false // no such customer
		}
		id := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		d.Emit(telephony.Event{Kind: telephony.EventRinging, At: start, CallID: id, Direction: telephony.Inbound,
			Caller: telephony.Caller{Number: benchNumber(n)}})
		got := <-popped
		lat = append(lat, got.at.Sub(start))
		if got.id != id || got.known != known {
			b.Fatalf("pop %d: got %s known=%v, want %s known=%v", i, got.id, got.known, id, known)
		}
		b.StopTimer()
		d.Emit(telephony.Event{Kind: telephony.EventMissed, CallID: id})
		<-ended
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op") // the per-op mean hides the tail; read p50/p99
}
