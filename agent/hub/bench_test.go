package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/upstream"
	"agentdesk/agent/upstream/pgtest"
)

// BenchmarkPush_FailedAuthFlood measures a good desk's pushes (10 new
// customers each, one after another, from 127.0.0.1) during a window in
// which another address (127.0.0.2) fails to authenticate 1,000 times,
// spread evenly over the window by 4 connections: with the failed-auth
// limiter (the hub's default), with the limiter off, and with no attack
// at all. Each round is one window of attackWindow; it reports the desk's
// push p50 and p99 over all rounds and what the attacker was answered.
//
//	AGENTDESK_INTEGRATION=1 go test -run '^$' -bench FailedAuthFlood -benchtime 3x ./agent/hub
func BenchmarkPush_FailedAuthFlood(b *testing.B) {
	const attackWindow, failures, workers = 3 * time.Second, 1000, 4
	for _, mode := range []struct {
		name   string
		attack bool
		opts   []upstream.ServerOption
	}{
		{"no_attack", false, nil},
		{"attack_limited", true, nil},
		{"attack_unlimited", true, []upstream.ServerOption{upstream.WithAuthLimit(0, 0)}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			dsn := pgtest.New(b)
			db, err := Open(context.Background(), dsn, WithLogger(quiet))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			srv := httptest.NewServer(NewHandler(db, append([]upstream.ServerOption{upstream.WithServerLogger(quiet)}, mode.opts...)...))
			defer srv.Close()
			desk := agent.NewID()
			tok, err := db.NewToken(context.Background(), upstream.RoleAgent, "bench desk", desk)
			if err != nil {
				b.Fatal(err)
			}
			good, bad := from("127.0.0.1"), from("127.0.0.2")
			bad.Transport.(*http.Transport).MaxIdleConnsPerHost = workers
			var sent, refused429, refused401 atomic.Int64
			var lat []time.Duration
			seq := uint64(0)
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				began := time.Now()
				if mode.attack {
					every := attackWindow * workers / failures
					for w := range workers {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := range failures / workers {
								time.Sleep(time.Until(began.Add(time.Duration(i)*every + time.Duration(w)*every/workers)))
								req, _ := http.NewRequest("GET", srv.URL+"/v1/whoami", nil)
								req.Header.Set("Authorization", fmt.Sprintf("Bearer adk_guess-%d-%d", w, i))
								resp, err := bad.Do(req)
								if err != nil {
									continue
								}
								_, _ = io.Copy(io.Discard, resp.Body)
								resp.Body.Close()
								sent.Add(1)
								switch resp.StatusCode {
								case http.StatusTooManyRequests:
									refused429.Add(1)
								case http.StatusUnauthorized:
									refused401.Add(1)
								}
							}
						}()
					}
				}
				for time.Since(began) < attackWindow {
					recs := make([]upstream.Record, 10)
					for j := range recs {
						seq++
						id := agent.NewID()
						recs[j] = rec(seq, agent.KindCustomer, id, 1, customer(desk, id, 1, "压测客户"))
					}
					body, _ := json.Marshal(upstream.PushRequest{Desk: desk, Records: recs})
					req, _ := http.NewRequest("POST", srv.URL+"/v1/push", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tok)
					t0 := time.Now()
					resp, err := good.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					lat = append(lat, time.Since(t0))
					if resp.StatusCode != 200 {
						b.Fatalf("the good desk's push = %d", resp.StatusCode)
					}
				}
				wg.Wait()
			}
			b.StopTimer()
			slices.Sort(lat)
			p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
			b.ReportMetric(p(0.50), "p50-ms")
			b.ReportMetric(p(0.99), "p99-ms")
			b.ReportMetric(float64(len(lat))/float64(b.N), "pushes/round")
			b.ReportMetric(float64(sent.Load())/float64(b.N), "failed-auths/round")
			b.ReportMetric(float64(refused429.Load())/float64(b.N), "429/round")
			b.ReportMetric(float64(refused401.Load())/float64(b.N), "401/round")
		})
	}
}
