package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/telephony"
	"agentdesk/telephony/audio"
	"agentdesk/telephony/practice"
)

// line is the phone the desk drives: the SIP user agent when a PBX is
// configured, else the practice phone. start begins registering (SIP) or
// ringing (practice); it may wait on the network and runs in the background.
type line struct {
	desk.Phone
	start func(ctx context.Context) error
	// checks are the phone's items of the self-check (sound card, stray
	// requests); nil for the practice phone.
	checks desk.Checker
}

// loadPractice is the practice phone's scenario when no PBX is
// configured (nil otherwise); its known callers are added to the store
// first, so the first practice call pops a real record and the desk's
// first callback plan, made as it starts, covers the members among them.
func loadPractice(cfg desk.Config, st *store.Store, log *slog.Logger) (*practice.Scenario, error) {
	if cfg.PBX.URI != "" {
		return nil, nil
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
	return sc, nil
}

// openLine makes the phone for cfg with d as its emitter: the SIP user
// agent, or the practice phone playing sc. Nothing reaches the network here.
func openLine(cfg desk.Config, sc *practice.Scenario, d *desk.Desk, log *slog.Logger) (*line, error) {
	if cfg.PBX.URI != "" {
		tc := telephony.Config{
			PBX: cfg.PBX.URI, User: cfg.PBX.User, Password: string(cfg.PBX.Password),
			Transport: cfg.PBX.Transport, OutboundProxy: cfg.PBX.Proxy, Companion: cfg.PBX.Companion,
			Input: cfg.Audio.Input, Output: cfg.Audio.Output, Ring: cfg.Audio.Ring,
			CAFile: cfg.PBX.CA, AllowDirect: cfg.PBX.AllowDirect,
		}
		if cfg.Audio.Recording() && !cfg.PBX.Companion {
			tc.Recordings = cfg.RecordingsDir()
		}
		ua, err := telephony.New(tc, d, telephony.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &line{Phone: ua, start: ua.Start, checks: uaChecks(ua, tc, d, log)}, nil
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

// uaChecks are the SIP phone's self-check items: the sound card (a test
// tone on the headset while the microphone listens; skipped on a call,
// which holds the devices, and for a desk phone's companion) and the
// requests dropped because they came from an address that is not the PBX.
func uaChecks(ua *telephony.UA, tc telephony.Config, d *desk.Desk, log *slog.Logger) desk.Checker {
	return func(ctx context.Context) []desk.Check {
		var out []desk.Check
		switch {
		case tc.Companion:
			out = append(out, desk.Check{Name: desk.CheckAudio, Skipped: true, Detail: "companion"})
		case len(d.State().Calls) > 0:
			out = append(out, desk.Check{Name: desk.CheckAudio, Skipped: true, Detail: "on a call"})
		default:
			rep, err := audio.Check(ctx, audio.Config{Input: tc.Input, Output: tc.Output, Ring: tc.Ring}, audio.WithLogger(log))
			out = append(out, audioCheck(rep, err))
		}
		s := ua.Strays()
		c := desk.Check{Name: desk.CheckGhosts, OK: true, Detail: "0"}
		if s.Dropped > 0 {
			// Dropped requests are the guard working; the count and the
			// last address tell the agent someone is knocking.
			c.Detail = fmt.Sprintf("%d, %s %s", s.Dropped, s.Last, s.LastAt.Format(time.TimeOnly))
		}
		return append(out, c)
	}
}

// audioCheck is the self-check line of an audio check: each device's name,
// and what failed.
func audioCheck(rep audio.CheckReport, err error) desk.Check {
	names := []string{rep.Input.Name, rep.Output.Name, rep.Ring.Name}
	detail := strings.Join(slices.DeleteFunc(names, func(n string) bool { return n == "" }), " / ")
	if err != nil {
		return desk.Check{Name: desk.CheckAudio, Detail: strings.TrimPrefix(detail+"; "+err.Error(), "; ")}
	}
	if !rep.TonePlayed {
		return desk.Check{Name: desk.CheckAudio, Detail: strings.TrimPrefix(detail+"; test tone not played", "; ")}
	}
	return desk.Check{Name: desk.CheckAudio, OK: true, Detail: detail}
}
