package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
)

// hub bench board: the latency from a desk's event to every supervisor's
// board stream. It runs a hub in this process on loopback over the
// database given (which must be a scratch one: it refuses a database that
// holds desks already, and leaves its desks and tokens behind), with
// --desks simulated desks each reporting a new ringing call (and the end
// of its last one) every --every, spread over the period, and
// --supervisors streams reading the board as supervisors' windows do. For
// every call reported it times, per stream, the wait from just before the
// desk posted the report to the moment that stream received a board
// showing the call, and prints the percentiles over every call and
// stream.

// callIDKey precedes each call ID in a board's JSON.
var callIDKey = []byte(`"call_id":"`)

// callsKey and alertsKey begin the board's calls and the part after them.
var callsKey, alertsKey = []byte(`"calls":[`), []byte(`"alerts":[`)

// benchDesk is a desk with nothing queued: the bench only reports live.
type benchDesk struct{ id string }

func (d benchDesk) Desk() string                         { return d.id }
func (benchDesk) Pending(int) ([]upstream.Record, error) { return nil, nil }
func (benchDesk) Ack(uint64) error                       { return nil }
func (benchDesk) Stats() (int, time.Time, error)         { return 0, time.Time{}, nil }

func benchBoard(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub bench board", stderr)
	c := commonFlags(fs)
	desks := fs.Int("desks", 500, "simulated desks")
	sups := fs.Int("supervisors", 20, "supervisors' board streams")
	dur := fs.Duration("duration", 30*time.Second, "how long the desks report")
	every := fs.Duration("every", 5*time.Second, "each desk reports a new call this often")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || fs.NArg() > 0 || *desks < 1 || *sups < 1 || *dur <= 0 || *every <= 0 {
		return errUsage
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := hub.Open(ctx, *c.dsn, hub.WithLogger(quiet))
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.DeskCount(ctx); err != nil {
		return err
	} else if n > 0 {
		return fmt.Errorf("the database holds %d desks: run the bench on a scratch database", n)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: hub.NewHandler(db), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	tr := &http.Transport{MaxIdleConns: *desks + *sups + 10, MaxIdleConnsPerHost: *desks + *sups + 10, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}

	var sent sync.Map // call ID → time.Time the report left
	var mu sync.Mutex
	var lat []time.Duration
	var boards atomic.Int64
	ready := make(chan struct{}, *sups)
	sctx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	var swg sync.WaitGroup
	for i := range *sups {
		tok, err := db.NewToken(ctx, upstream.RoleSupervisor, fmt.Sprintf("bench-supervisor-%02d", i), "")
		if err != nil {
			return err
		}
		cl, err := upstream.NewClient(url, tok, nil, nil, upstream.WithHTTPClient(hc), upstream.WithLogger(quiet))
		if err != nil {
			return err
		}
		swg.Go(func() {
			seen := map[string]bool{}
			first := true
			_ = cl.Stream(sctx, func(name string, data []byte) {
				at := time.Now()
				if name != "board" {
					return
				}
				boards.Add(1)
				if first {
					first = false
					ready <- struct{}{}
				}
				// The board's call IDs, found without decoding the whole
				// board: the bench must not eat the cores the hub needs.
				var got []time.Duration
				rest := data
				if i := bytes.Index(rest, callsKey); i >= 0 {
					rest = rest[i:]
				}
				if i := bytes.Index(rest, alertsKey); i >= 0 {
					rest = rest[:i]
				}
				for {
					i := bytes.Index(rest, callIDKey)
					if i < 0 {
						break
					}
					rest = rest[i+len(callIDKey):]
					j := bytes.IndexByte(rest, '"')
					if j < 0 {
						break
					}
					id := string(rest[:j])
					rest = rest[j:]
					if seen[id] {
						continue
					}
					if t, ok := sent.Load(id); ok {
						seen[id] = true
						got = append(got, at.Sub(t.(time.Time)))
					}
				}
				if len(got) > 0 {
					mu.Lock()
					lat = append(lat, got...)
					mu.Unlock()
				}
			})
		})
	}
	for range *sups {
		select {
		case <-ready:
		case <-time.After(30 * time.Second):
			return errors.New("the supervisors' streams did not open within 30 s")
		}
	}

	var reports, failures atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(*dur)
	var dwg sync.WaitGroup
	for i := range *desks {
		d := benchDesk{id: fmt.Sprintf("bench-desk-%04d", i)}
		tok, err := db.NewToken(ctx, upstream.RoleAgent, d.id, d.id)
		if err != nil {
			return err
		}
		cl, err := upstream.NewClient(url, tok, d, nil, upstream.WithHTTPClient(hc), upstream.WithLogger(quiet))
		if err != nil {
			return err
		}
		dwg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 13))
			time.Sleep(time.Duration(r.Int64N(int64(*every))))
			prev := ""
			for n := 0; time.Now().Before(stop); n++ {
				call := fmt.Sprintf("bench-%04d-%d", i, n)
				evs := []upstream.CallEvent{{Kind: "ringing", CallID: call, Queue: fmt.Sprintf("400800%04d", i%8), Direction: "inbound",
					Caller: fmt.Sprintf("+86138%08d", i*1000+n), At: time.Now()}}
				if prev != "" {
					evs = append([]upstream.CallEvent{{Kind: "ended", CallID: prev, At: time.Now()}}, evs...)
				}
				st := upstream.AgentStatus{Agent: fmt.Sprintf("%04d", i), State: "ringing", Since: time.Now()}
				sent.Store(call, time.Now())
				if err := cl.Live(ctx, st, evs); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					sent.Delete(call)
				} else {
					reports.Add(1)
					prev = call
				}
				time.Sleep(*every - time.Duration(r.Int64N(int64(*every)/10)))
			}
		})
	}
	dwg.Wait()
	// Boards of the last reports are still on their way.
	time.Sleep(2 * time.Second)
	stopStreams()
	swg.Wait()

	mu.Lock()
	defer mu.Unlock()
	want := reports.Load() * int64(*sups)
	if len(lat) == 0 {
		return fmt.Errorf("no report reached a supervisor (%d reports, %d failed: %v)", reports.Load(), failures.Load(), firstErr.Load())
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Fprintf(stdout, "board: %d desks, %d supervisors, %s: %d reports (%.0f/s), %d failed\n",
		*desks, *sups, *dur, reports.Load(), float64(reports.Load())/dur.Seconds(), failures.Load())
	fmt.Fprintf(stdout, "desk event → supervisor stream: p50 %s, p99 %s, max %s over %d of %d (report, stream) pairs; %d boards received\n",
		pct(0.50).Round(100*time.Microsecond), pct(0.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(100*time.Microsecond),
		len(lat), want, boards.Load())
	if int64(len(lat)) < want {
		return fmt.Errorf("%d of %d (report, stream) pairs never arrived", want-int64(len(lat)), want)
	}
	return nil
}
