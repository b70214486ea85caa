package main

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/telephony"
	"agentdesk/telephony/practice"
)

// line is the phone the desk drives: the SIP user agent when a PBX is
// configured, else the practice phone. start begins registering (SIP) or
// ringing (practice); it may wait on the network and runs in the background.
type line struct {
	desk.Phone
	start func(ctx context.Context) error
}

// openLine makes the phone for cfg with d as its emitter. Nothing reaches
// the network here.
func openLine(cfg desk.Config, st *store.Store, d *desk.Desk, log *slog.Logger) (*line, error) {
	if cfg.PBX.URI != "" {
		ua, err := telephony.New(telephony.Config{
			PBX: cfg.PBX.URI, User: cfg.PBX.User, Password: string(cfg.PBX.Password),
			Transport: cfg.PBX.Transport, OutboundProxy: cfg.PBX.Proxy, Companion: cfg.PBX.Companion,
		}, d, telephony.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &line{Phone: ua, start: ua.Start}, nil
	}
	sc := practice.Default()
	if cfg.PBX.Scenario != "" {
		var err error
		if sc, err = practice.LoadFile(cfg.PBX.Scenario); err != nil {
			return nil, err
		}
	}
	if n, err := desk.SeedCustomers(st, practiceCustomers(sc), time.Now()); err != nil {
		log.Warn("seed practice customers", "error", err)
	} else if n > 0 {
		log.Info("practice customers added", "count", n)
	}
	p := practice.New(sc, d)
	return &line{Phone: p, start: func(context.Context) error { p.Start(); return nil }}, nil
}

// practiceCustomers are the scenario's known callers as customer records,
// so the first practice call pops a real record.
func practiceCustomers(sc *practice.Scenario) []agent.Customer {
	var out []agent.Customer
	for _, c := range sc.Callers {
		if c.Customer == nil || c.Number == "" {
			continue
		}
		title, _ := agent.ParseTitle(c.Customer.Title)
		out = append(out, agent.Customer{Name: c.Customer.Name, Surname: c.Customer.Surname, Title: title,
			Member: c.Customer.Member, Level: c.Customer.Level, Area: c.Customer.Area,
			Notes: strings.TrimSpace(c.Customer.Notes), Phones: []string{c.Number}})
	}
	return out
}
