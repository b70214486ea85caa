package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/ui"
)

// dateServer answers /healthz with a Date header offset from desk time.
func dateServer(t *testing.T, deskTime time.Time, offset time.Duration, noDate bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if noDate {
			w.Header()["Date"] = nil // suppresses the server's own
		} else {
			w.Header().Set("Date", deskTime.Add(offset).UTC().Format(http.TimeFormat))
		}
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClockCheck(t *testing.T) {
	deskTime := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		offset time.Duration
		noDate bool
		ok     bool
		detail string
	}{
		{"in sync", 0, false, true, "+0s"},
		{"hub 90s ahead, within the limit", 90 * time.Second, false, true, "+90s"},
		{"hub 10 minutes ahead", 10 * time.Minute, false, false, "+600s"},
		{"hub 10 minutes behind", -10 * time.Minute, false, false, "-600s"},
		{"no Date header", 0, true, false, "no Date header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dateServer(t, deskTime, tt.offset, tt.noDate)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			r := clockCheck(ctx, srv.Client(), srv.URL, agent.FixedClock(deskTime), maxClockOffset)
			if r.Name != "check.clock" || r.OK != tt.ok || r.Skipped || !strings.Contains(r.Detail, tt.detail) {
				t.Fatalf("check = %+v, want ok=%v detail containing %q", r, tt.ok, tt.detail)
			}
		})
	}
}

func TestWithClockCheck(t *testing.T) {
	deskTime := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	in := []ui.CheckResult{{Name: "check.pbx", OK: true}}
	out := withClockCheck(in, nil, agent.FixedClock(deskTime))
	if len(out) != 2 || out[1].Name != "check.clock" || !out[1].Skipped || out[1].OK {
		t.Fatalf("without a hub: %+v, want the clock item skipped", out)
	}
	srv := dateServer(t, deskTime, 10*time.Minute, false)
	h := &hubLink{base: srv.URL, http: srv.Client()}
	out = withClockCheck(in, h, agent.FixedClock(deskTime))
	if len(out) != 2 || out[1].Name != "check.clock" || out[1].OK || out[1].Skipped {
		t.Fatalf("hub 10 minutes off: %+v, want the clock item failed", out)
	}
	// A hub that does not answer: the item fails with the reason.
	srv.Close()
	out = withClockCheck(in, h, agent.FixedClock(deskTime))
	if out[1].OK || out[1].Skipped || out[1].Detail == "" {
		t.Fatalf("hub down: %+v", out[1])
	}
}
