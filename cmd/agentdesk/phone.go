package main

import (
	"context"
	"log/slog"
	"time"

	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/telephony"
	"agentdesk/telephony/practice"
)

// line is the phone the desk drives: the SIP user agent when a PBX is
// configured, else the practice phone.
type line struct {
	desk.Phone
	practice   bool
	start      func(ctx context.Context) error
	registered func() bool
}

// openLine makes the phone for cfg with d as its emitter; start begins
// ringing (practice) or registering (SIP) once the window is up.
func openLine(cfg desk.Config, st *store.Store, d *desk.Desk, log *slog.Logger) (*line, error) {
	if cfg.PBX.URI != "" {
		ua, err := telephony.New(telephony.Config{
			PBX: cfg.PBX.URI, User: cfg.PBX.User, Password: string(cfg.PBX.Password),
			Transport: cfg.PBX.Transport, OutboundProxy: cfg.PBX.Proxy, Companion: cfg.PBX.Companion,
		}, d, telephony.WithLogger(log))
		if err != nil {
			return nil, err
		}
		return &line{Phone: ua, start: ua.Start, registered: ua.Registered}, nil
	}
	sc := practice.Default()
	if cfg.PBX.Scenario != "" {
		var err error
		if sc, err = practice.LoadFile(cfg.PBX.Scenario); err != nil {
			return nil, err
		}
	}
	seedPractice(st, sc, time.Now(), log)
	p := practice.New(sc, d)
	return &line{Phone: p, practice: true, start: func(context.Context) error { p.Start(); return nil },
		registered: func() bool { return true }}, nil
}
