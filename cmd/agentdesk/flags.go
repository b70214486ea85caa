package main

import (
	"flag"
	"os"
	"strings"

	"agentdesk/agent/desk"
	"agentdesk/agent/ui"
)

// flagOpts are the flags that are not config fields.
type flagOpts struct {
	config *string
	theme  string
}

// cfgFlag finds --config before the other flags are bound, so the file is
// read first and flags override it.
func cfgFlag(def string) string {
	for i, a := range os.Args[1:] {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v
		}
		if a == "config" && i+2 < len(os.Args) {
			return os.Args[i+2]
		}
	}
	return def
}

// bindFlags makes every config field a flag of the same name.
func bindFlags(fs *flag.FlagSet, c *desk.Config) *flagOpts {
	o := &flagOpts{theme: "system"}
	path := cfgFlag(desk.DefaultConfigPath())
	o.config = &path
	fs.StringVar(&c.Data, "data", c.Data, "data folder (holds desk.db)")
	fs.StringVar(&c.Lang, "lang", c.Lang, "language: zh-Hans, zh-Hant or en")
	fs.StringVar(&c.TimeZone, "time_zone", c.TimeZone, "IANA time zone")
	fs.StringVar(&c.AgentName, "agent_name", c.AgentName, "agent's display name")
	fs.StringVar(&c.AgentNumber, "agent_number", c.AgentNumber, "agent's work number")
	fs.StringVar(&c.Pack, "pack", c.Pack, "script pack file (default: embedded)")
	fs.StringVar(&c.PBX.URI, "pbx.uri", c.PBX.URI, "PBX SIP URI; empty runs the practice phone")
	fs.StringVar(&c.PBX.User, "pbx.user", c.PBX.User, "SIP extension")
	fs.Func("pbx.password", "SIP password", func(s string) error { c.PBX.Password = desk.Secret(s); return nil })
	fs.StringVar(&c.PBX.Transport, "pbx.transport", c.PBX.Transport, "udp, tcp or tls")
	fs.StringVar(&c.PBX.Proxy, "pbx.proxy", c.PBX.Proxy, "outbound proxy")
	fs.BoolVar(&c.PBX.Companion, "pbx.companion", c.PBX.Companion, "watch a desk phone instead of ringing here")
	fs.StringVar(&c.PBX.Scenario, "pbx.scenario", c.PBX.Scenario, "practice scenario file")
	fs.StringVar(&c.Hub.URL, "hub.url", c.Hub.URL, "hub address; empty: no sync")
	fs.Func("hub.token", "hub token", func(s string) error { c.Hub.Token = desk.Secret(s); return nil })
	fs.IntVar(&c.RingLimitSeconds, "ring_limit_seconds", c.RingLimitSeconds, "the third ring, in seconds")
	fs.StringVar(&o.theme, "theme", o.theme, "system, light or dark")
	return o
}

func settingsOf(c desk.Config, theme string) ui.Settings {
	return ui.Settings{Lang: c.Lang, Theme: theme, PBXURI: c.PBX.URI, PBXUser: c.PBX.User,
		PBXPassword: string(c.PBX.Password), HubURL: c.Hub.URL, HubToken: string(c.Hub.Token),
		TimeZone: c.TimeZone, Data: c.Data, AgentName: c.AgentName, AgentNumber: c.AgentNumber}
}

func applySettings(c desk.Config, s ui.Settings) desk.Config {
	c.Lang, c.PBX.URI, c.PBX.User, c.PBX.Password = s.Lang, s.PBXURI, s.PBXUser, desk.Secret(s.PBXPassword)
	c.Hub.URL, c.Hub.Token, c.TimeZone, c.Data = s.HubURL, desk.Secret(s.HubToken), s.TimeZone, s.Data
	c.AgentName, c.AgentNumber = s.AgentName, s.AgentNumber
	return c
}
