// Command hubbench prints the hub's load figures against an in-process hub
// on loopback: with --pg on that database, otherwise on a throwaway
// PostgreSQL cluster (the tests' pgtest helper, which is why this is a tool
// and not a sub-command of cmd/hub).
//
//	go run ./tools/hubbench drain [--pg DSN] [--records N] [--batch N]
//	go run ./tools/hubbench live [--pg DSN] [--desks N] [--every D] [--for D]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
	"agentdesk/agent/upstream/upstreamtest"

	"github.com/jackc/pgx/v5"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

var errUsage = errors.New("usage: hubbench drain [--pg DSN] [--records N] [--batch N] | live [--pg DSN] [--desks N] [--every D] [--for D]")

func run(args []string, stdout, stderr io.Writer) int {
	err := errUsage
	if len(args) >= 1 {
		err = bench(args[0], args[1:], stdout)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, err)
		return 2
	default:
		fmt.Fprintln(stderr, "hubbench:", err)
		return 1
	}
}

// bench runs one load figure.
func bench(which string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hubbench "+which, flag.ContinueOnError)
	dsn := fs.String("pg", "", "PostgreSQL connection string (default: a throwaway cluster)")
	records := fs.Int("records", 100000, "drain: records queued on the desk")
	batch := fs.Int("batch", 1000, "drain: records per push")
	desks := fs.Int("desks", 500, "live: simulated desks")
	every := fs.Duration("every", 5*time.Second, "live: each desk reports this often")
	dur := fs.Duration("for", 30*time.Second, "live: how long to run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if which != "drain" && which != "live" || fs.NArg() > 0 {
		return errUsage
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *dsn == "" {
		c, err := pgtest.Start()
		if err != nil {
			return fmt.Errorf("start throwaway postgres: %w", err)
		}
		defer c.Stop()
		if *dsn, err = c.CreateDB(context.Background()); err != nil {
			return err
		}
	}
	ctx := context.Background()
	db, err := hub.Open(ctx, *dsn, hub.WithLogger(quiet))
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: hub.NewHandler(db), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()
	if which == "drain" {
		return benchDrain(ctx, db, *dsn, url, *records, *batch, stdout)
	}
	return benchLive(ctx, db, url, *desks, *every, *dur, stdout)
}

// benchDrain queues n customer records on one desk and times draining them.
func benchDrain(ctx context.Context, db *hub.DB, dsn, url string, n, batch int, stdout io.Writer) error {
	desk := upstreamtest.NewDesk(agent.NewID())
	tok, err := db.NewToken(ctx, upstream.RoleAgent, "bench", desk.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range n {
		c := agent.Customer{
			Meta: agent.Meta{ID: agent.NewID(), Version: 1, Desk: desk.ID, CreatedAt: now, UpdatedAt: now},
			Name: fmt.Sprintf("客户%06d", i), Surname: "王", Title: agent.TitleMr,
			Phones: []string{fmt.Sprintf("+86138%08d", i)}, Member: i%3 == 0, Address: "上海市浦东新区世纪大道100号",
		}
		desk.Put(agent.KindCustomer, c.ID, c.Version, now, &c)
	}
	cl, err := upstream.NewClient(url, tok, desk, nil, upstream.WithBatch(batch), upstream.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	start := time.Now()
	if err := cl.Drain(ctx); err != nil {
		return err
	}
	took := time.Since(start)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var stored int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM records WHERE desk = $1", desk.ID).Scan(&stored); err != nil {
		return err
	}
	pending, _, _ := desk.Stats()
	fmt.Fprintf(stdout, "drain: %d records in batches of %d: %s (%.0f records/s); hub holds %d, desk still queues %d\n",
		n, batch, took.Round(time.Millisecond), float64(n)/took.Seconds(), stored, pending)
	if stored != n || pending != 0 {
		return fmt.Errorf("drain lost or kept records: stored %d of %d, %d still queued", stored, n, pending)
	}
	return nil
}

// benchLive runs desks simulated desks, each posting its state (and now
// and then a call) every period, for dur, and reports the hub's latency.
func benchLive(ctx context.Context, db *hub.DB, url string, desks int, every, dur time.Duration, stdout io.Writer) error {
	tr := &http.Transport{MaxIdleConns: desks + 10, MaxIdleConnsPerHost: desks + 10, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	clients := make([]*upstream.Client, desks)
	for i := range clients {
		d := upstreamtest.NewDesk(agent.NewID())
		tok, err := db.NewToken(ctx, upstream.RoleAgent, fmt.Sprintf("bench-%d", i), d.ID)
		if err != nil {
			return err
		}
		if clients[i], err = upstream.NewClient(url, tok, d, nil, upstream.WithHTTPClient(hc)); err != nil {
			return err
		}
	}
	// A supervisor watches the stream meanwhile, as on a real floor.
	sup, err := db.NewToken(ctx, upstream.RoleSupervisor, "bench-supervisor", "")
	if err != nil {
		return err
	}
	sctx, cancelStream := context.WithCancel(ctx)
	defer cancelStream()
	boards := make(chan int, 1)
	go watchStream(sctx, url, sup, boards)

	var mu sync.Mutex
	var lat []time.Duration
	var failures int
	var firstErr error
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	states := []string{"ready", "busy", "wrap_up", "away"}
	for i, c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			// Spread the desks over the period, as real desks are.
			time.Sleep(time.Duration(r.Int64N(int64(every))))
			for n := 0; time.Now().Before(stop); n++ {
				st := upstream.AgentStatus{Agent: fmt.Sprintf("工号%04d", i), State: states[r.IntN(len(states))], Since: time.Now(), Queue: fmt.Sprintf("queue-%d", i%8)}
				var evs []upstream.CallEvent
				if r.IntN(4) == 0 {
					evs = []upstream.CallEvent{{Kind: []string{"ringing", "answered", "ended"}[n%3], CallID: fmt.Sprintf("call-%d-%d", i, n/3), Queue: st.Queue, Direction: "inbound", At: time.Now()}}
				}
				t0 := time.Now()
				err := c.Live(ctx, st, evs)
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					failures++
					if firstErr == nil {
						firstErr = err
					}
				}
				mu.Unlock()
				time.Sleep(every - d%every)
			}
		})
	}
	wg.Wait()
	cancelStream()
	if len(lat) == 0 {
		return errors.New("no requests made")
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	fmt.Fprintf(stdout, "live: %d desks every %s for %s: %d requests, %d failed; hub latency p50 %s p95 %s p99 %s max %s; supervisor stream got %d boards\n",
		desks, every, dur, len(lat), failures, pct(0.50).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond),
		pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), <-boards)
	if firstErr != nil {
		fmt.Fprintln(os.Stderr, "first failure:", firstErr)
	}
	return nil
}

// watchStream reads the supervisor stream until ctx ends and sends how
// many board events it saw.
func watchStream(ctx context.Context, url, token string, out chan<- int) {
	n := 0
	defer func() { out <- n }()
	c, err := upstream.NewClient(url, token, nil, nil, upstream.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return
	}
	c.Stream(ctx, func(name string, _ []byte) {
		if name == "board" {
			n++
		}
	})
}
