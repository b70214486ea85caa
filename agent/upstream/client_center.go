package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"agentdesk/agent"
)

// WithAgents makes every round pull the callback tasks of the agents f
// names (their work numbers) into the Inbox (ApplyRemote of kind
// callback): the agent signed in with a session token, or, with the
// desk's own token, every agent signed in at this desk now. f runs on the
// sync goroutine and must not block; no agent, no pull.
func WithAgents(f func() []string) ClientOption { return func(c *Client) { c.agents = f } }

// OnSettings makes every round pull the center's settings from the hub
// and call f (on the sync goroutine; it must not block) with them the
// first time after the client starts and whenever their version changes,
// so a desk applies settings pushed from the hub while it runs. A hub with
// no settings stored calls nothing: the desk keeps its own.
func OnSettings(f func(Settings)) ClientOption { return func(c *Client) { c.settings = f } }

// CallbackCursor is the Inbox cursor of agent's callback pull.
func CallbackCursor(agent string) string { return "callbacks:" + agent }

// PullCallbacks applies the callback tasks of each agent changed on the
// hub since that agent's saved cursor (CallbackCursor), page by page,
// saving the cursor after each page. A task the desk holds at the same or
// a newer version (an outcome recorded here, pushed or not) is left as it
// is.
func (c *Client) PullCallbacks(ctx context.Context, agents ...string) error {
	if c.in == nil {
		return fmt.Errorf("pull callbacks: this hub client has no inbox")
	}
	for _, who := range agents {
		if who == "" {
			continue
		}
		if err := c.pullCallbacks(ctx, who); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) pullCallbacks(ctx context.Context, who string) error {
	cursor := CallbackCursor(who)
	since, err := c.in.Cursor(cursor)
	if err != nil {
		return fmt.Errorf("read callbacks cursor of %s: %w", who, err)
	}
	for {
		var page CallbackPage
		path := "/v1/callbacks?agent=" + url.QueryEscape(who) + "&since=" + strconv.FormatInt(since, 10)
		if err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return fmt.Errorf("pull callbacks of %s: %w", who, err)
		}
		applied := 0
		for _, r := range page.Callbacks {
			var ok bool
			var err error
			if r.Deleted {
				ok, err = c.in.RemoveRemote(agent.KindCallback, r.ID, r.Version)
			} else {
				ok, err = c.in.ApplyRemote(agent.KindCallback, r.ID, r.Version, r.Body)
			}
			if err != nil {
				return fmt.Errorf("apply callback %s: %w", r.ID, err)
			}
			if ok {
				applied++
			}
		}
		if page.Next > since {
			if err := c.in.SetCursor(cursor, page.Next); err != nil {
				return fmt.Errorf("save callbacks cursor of %s: %w", who, err)
			}
			since = page.Next
		}
		c.setStatus(func(s *Status) { s.PulledCallbacks += applied })
		if !page.More {
			return nil
		}
	}
}

// Settings returns the center's settings stored on the hub; an error
// matching ErrNotFound when none are.
func (c *Client) Settings(ctx context.Context) (Settings, error) {
	var st Settings
	if err := c.do(ctx, http.MethodGet, "/v1/settings", nil, &st); err != nil {
		return Settings{}, fmt.Errorf("center settings: %w", err)
	}
	return st, nil
}

// PullSettings reads the center's settings and hands them to OnSettings's
// function if their version differs from the one it last had. Settings
// the hub does not have (404) are no error.
func (c *Client) PullSettings(ctx context.Context) error {
	st, err := c.Settings(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	fresh := st.Version != c.settingV
	c.settingV = st.Version
	c.mu.Unlock()
	if !fresh || c.settings == nil {
		return nil
	}
	c.settings(st)
	c.setStatus(func(s *Status) { s.SettingsVersion = st.Version })
	c.log.Info("center settings from the hub", "version", st.Version, "updated_by", st.UpdatedBy)
	return nil
}

// CallbackReport reads the 《回访总结报告》 of the center's tasks made from
// day from to day to (inclusive, in the center's zone), for one agent or
// (who "") all; a supervisor's token.
func (c *Client) CallbackReport(ctx context.Context, from, to agent.Day, who string) (agent.CallbackReport, error) {
	var rep agent.CallbackReport
	q := url.Values{"from": {from.String()}, "to": {to.String()}}
	if who != "" {
		q.Set("agent", who)
	}
	if err := c.do(ctx, http.MethodGet, "/v1/callbacks/report?"+q.Encode(), nil, &rep); err != nil {
		return rep, fmt.Errorf("callback report: %w", err)
	}
	return rep, nil
}
