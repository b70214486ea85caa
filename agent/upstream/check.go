package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Whoami asks the hub whom the client's token belongs to (GET /v1/whoami).
// An unknown or revoked token gets an error matching ErrUnauthorized.
func (c *Client) Whoami(ctx context.Context) (Identity, error) {
	var id Identity
	if err := c.do(ctx, http.MethodGet, "/v1/whoami", nil, &id); err != nil {
		return id, fmt.Errorf("hub token: %w", err)
	}
	return id, nil
}

// Ping checks that the hub answers and its database is reachable
// (GET /healthz, no token), then that it accepts the client's token (one
// request, Whoami).
func (c *Client) Ping(ctx context.Context) error {
	if err := c.send(ctx, http.MethodGet, "/healthz", "", nil, false, nil); err != nil {
		return fmt.Errorf("hub health: %w", err)
	}
	_, err := c.Whoami(ctx)
	return err
}

// ClockOffset is the hub's clock minus the client's (WithClock): positive
// when the hub is ahead. It reads the server_time of GET /healthz and
// compares it with the client's clock half-way through the request, so the
// error is at most half the round trip. Against a hub whose answer has no
// server_time it falls back to the answer's Date header, which has whole
// seconds: the offset is then rounded to the second.
func (c *Client) ClockOffset(ctx context.Context) (time.Duration, error) {
	if _, ok := ctx.Deadline(); !ok && c.http.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, requestTimeout)
		defer cancel()
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/healthz", nil, false)
	if err != nil {
		return 0, fmt.Errorf("hub clock: %w", err)
	}
	before := c.clock.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("hub clock: %w", tlsProblem(err))
	}
	defer resp.Body.Close()
	after := c.clock.Now()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("hub clock: %w", refusal(resp))
	}
	mid := before.Add(after.Sub(before) / 2)
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err == nil && !h.ServerTime.IsZero() {
		return h.ServerTime.Sub(mid), nil
	}
	date := resp.Header.Get("Date")
	if date == "" {
		return 0, errors.New("hub clock: the hub's answer has neither server_time nor a Date header")
	}
	hub, err := http.ParseTime(date)
	if err != nil {
		return 0, fmt.Errorf("hub clock: Date %q: %w", date, err)
	}
	return hub.Sub(mid).Round(time.Second), nil
}
