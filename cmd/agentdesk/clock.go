package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
)

// maxClockOffset is how far the desk's clock may be from the hub's before
// the self-check fails: deadlines, ring timers and greetings depend on it.
const maxClockOffset = 2 * time.Minute

// shiftCheck is the whole pre-shift self-check: the desk's items, the
// hub's own when there is one, and the clock offset.
func shiftCheck(cfg desk.Config, st *store.Store, phone *line, h *hubLink, clock agent.Clock) []ui.CheckResult {
	return withClockCheck(withHubChecks(selfCheck(cfg, st, phone), h), h, clock)
}

// withClockCheck adds the "clock offset" item: the desk's clock against
// the hub's, or skipped when there is no hub to compare with.
func withClockCheck(in []ui.CheckResult, h *hubLink, clock agent.Clock) []ui.CheckResult {
	if h == nil {
		return append(in, ui.CheckResult{Name: "check.clock", Skipped: true, Detail: "no hub to compare with"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return append(in, clockCheck(ctx, h.http, h.base, clock, maxClockOffset))
}

// clockCheck compares the Date header of the hub's GET /healthz answer with
// clock, taken half-way through the request. The header has whole seconds,
// so the offset is reported to the second.
func clockCheck(ctx context.Context, c *http.Client, base string, clock agent.Clock, limit time.Duration) ui.CheckResult {
	off, err := hubClockOffset(ctx, c, base, clock)
	if err != nil {
		return ui.CheckResult{Name: "check.clock", Detail: err.Error()}
	}
	detail := fmt.Sprintf("%+ds (hub minus desk)", int64(off/time.Second))
	if off > limit || off < -limit {
		return ui.CheckResult{Name: "check.clock", Detail: detail + fmt.Sprintf("; more than %v", limit)}
	}
	return ui.CheckResult{Name: "check.clock", OK: true, Detail: detail}
}

// hubClockOffset is the hub's time minus the desk's.
func hubClockOffset(ctx context.Context, c *http.Client, base string, clock agent.Clock) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return 0, fmt.Errorf("hub clock: %w", err)
	}
	before := clock.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("hub clock: %w", err)
	}
	after := clock.Now()
	resp.Body.Close()
	h := resp.Header.Get("Date")
	if h == "" {
		return 0, errors.New("hub clock: the hub's answer has no Date header")
	}
	hub, err := http.ParseTime(h)
	if err != nil {
		return 0, fmt.Errorf("hub clock: Date %q: %w", h, err)
	}
	mid := before.Add(after.Sub(before) / 2)
	return hub.Sub(mid).Round(time.Second), nil
}
