package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"agentdesk/agent/store"
)

// fixtureVersion names the generator's output; bump it when fixtureCSV
// changes so a cached file from an older generator is not reused.
const fixtureVersion = 1

var benchSizes = []struct {
	name string
	n    int
}{{"10k", 10_000}, {"1M", 1_000_000}}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	given    = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平"}
	areas    = []string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安"}
)

// benchNumber is the mobile number of fixture row i, as a caller's phone
// shows it.
func benchNumber(i int) string { return fmt.Sprintf("13%09d", i*7+100_000_000) }

// writeFixture writes n customers: every row a unique mobile, every fourth a
// landline too, every tenth shares its mobile with the row before (a
// household), with names, titles, members, tags and notes like a real file.
func writeFixture(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("姓名,姓,称谓,电话,会员,等级,地址,地区,标签,备注\n")
	for i := range n {
		sur, giv := surnames[i%len(surnames)], given[(i/len(surnames))%len(given)]
		title := [...]string{"先生", "女士", ""}[i%3]
		phones := benchNumber(i)
		if i%10 == 9 {
			phones += ";" + benchNumber(i-1)
		}
		if i%4 == 0 {
			phones += fmt.Sprintf(";0%d-%08d", 10+i%90, i)
		}
		member, level := "否", ""
		if i%5 == 0 {
			member, level = "是", "金卡"
		}
		area := areas[i%len(areas)]
		fmt.Fprintf(bw, "%s%s,%s,%s,%s,%s,%s,%s市某某路%d号,%s,%s,%s\n",
			sur, giv, sur, title, phones, member, level, area, i%1000, area, "老客户|vip", "")
	}
	return bw.Flush()
}

// fixture returns the CSV of n customers, cached in os.TempDir() across runs
// (the 1M file takes seconds to make).
func fixture(b *testing.B, n int) []byte {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("agentdesk-bench-customers-v%d-%d.csv", fixtureVersion, n))
	if data, err := os.ReadFile(path); err == nil {
		return data
	}
	var buf bytes.Buffer
	if err := writeFixture(&buf, n); err != nil {
		b.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err == nil {
		os.Rename(tmp, path)
	}
	return buf.Bytes()
}

func quiet() store.Option { return store.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))) }

// benchModes are the files benchmarks run on: plain (names as before
// sealing existed) and sealed with a hub slot (no argon2 per open).
var benchModes = []struct {
	prefix string
	opts   []store.Option
}{{"", nil}, {"sealed-", []store.Option{store.WithUnlock(hubKey)}}}

func BenchmarkImport(b *testing.B) {
	for _, mode := range benchModes {
		for _, size := range benchSizes {
			b.Run(mode.prefix+size.name, func(b *testing.B) {
				if size.n > 100_000 && testing.Short() {
					b.Skip("1M import skipped with -short")
				}
				data := fixture(b, size.n)
				b.SetBytes(int64(len(data)))
				var cpu int64
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					dir := b.TempDir()
					s, err := store.Open(filepath.Join(dir, fmt.Sprintf("desk%d.db", i)), append([]store.Option{quiet()}, mode.opts...)...)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					cpu0 := cpuTime()
					res, err := s.ImportCSV(bytes.NewReader(data), "bench.csv", t0)
					cpu += cpuTime() - cpu0
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if res.Created != size.n {
						b.Fatalf("imported %d, want %d", res.Created, size.n)
					}
					s.Close()
					os.RemoveAll(dir)
					b.StartTimer()
				}
				b.ReportMetric(float64(size.n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(cpu)/1e9/float64(b.N), "cpu-s/op")
			})
		}
	}
}

func BenchmarkLookupPhone(b *testing.B) {
	for _, mode := range benchModes {
		for _, size := range benchSizes {
			b.Run(mode.prefix+size.name, func(b *testing.B) {
				if size.n > 100_000 && testing.Short() {
					b.Skip("1M store skipped with -short")
				}
				// Built before the loop (b.Loop times only the loop; the
				// function runs once).
				s, err := store.Open(filepath.Join(b.TempDir(), "desk.db"), append([]store.Option{quiet(), store.WithNoSync()}, mode.opts...)...)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				if _, err := s.ImportCSV(bytes.NewReader(fixture(b, size.n)), "bench.csv", t0); err != nil {
					b.Fatal(err)
				}
				// Numbers spread over the whole file, as a caller's phone shows them.
				numbers := make([]string, 4096)
				for i := range numbers {
					numbers[i] = benchNumber((i * 7919) % size.n)
				}
				cpu0 := cpuTime()
				for i := 0; b.Loop(); i++ {
					got, err := s.LookupPhone(numbers[i%len(numbers)])
					if err != nil || len(got) == 0 {
						b.Fatalf("LookupPhone(%s) = %d customers, %v", numbers[i%len(numbers)], len(got), err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// BenchmarkSearchCustomers times the search box on 10k and 1M customers: a
// number prefix (through the index on a plain file, through the in-memory
// number directory on a sealed one) and a name.
func BenchmarkSearchCustomers(b *testing.B) {
	for _, mode := range benchModes {
		for _, size := range benchSizes {
			if size.n > 100_000 && testing.Short() {
				continue
			}
			s, err := store.Open(filepath.Join(b.TempDir(), "desk.db"), append([]store.Option{quiet(), store.WithNoSync()}, mode.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.ImportCSV(bytes.NewReader(fixture(b, size.n)), "bench.csv", t0); err != nil {
				b.Fatal(err)
			}
			for _, q := range []struct{ name, q string }{{"number", benchNumber(size.n - 1)[:9]}, {"rare-name", "郭秀英"}} {
				b.Run(mode.prefix+size.name+"/"+q.name, func(b *testing.B) {
					// The first search of a sealed store reads its number
					// directory: reported on its own, not in the loop.
					start := time.Now()
					if _, err := s.SearchCustomers(q.q, 50); err != nil {
						b.Fatal(err)
					}
					first := time.Since(start)
					for b.Loop() {
						if got, err := s.SearchCustomers(q.q, 50); err != nil || len(got) == 0 {
							b.Fatalf("SearchCustomers(%q) = %d, %v", q.q, len(got), err)
						}
					}
					b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
				})
			}
			s.Close()
		}
	}
}
