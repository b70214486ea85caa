package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"agentdesk/agent"
	"agentdesk/agent/desk"
)

// cfgFlag finds --config before the other flags are bound, so the file is
// read first and flags override it.
func cfgFlag(args []string, def string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v
		}
		if a == "config" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return def
}

// bindFlags makes every config field a flag of the same name.
func bindFlags(fs *flag.FlagSet, c *desk.Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data folder (holds desk.db and agentdesk.log)")
	fs.StringVar(&c.Lang, "lang", c.Lang, "language: zh-Hans, zh-Hant or en")
	fs.StringVar(&c.TimeZone, "time_zone", c.TimeZone, "the center's IANA time zone")
	fs.StringVar(&c.AgentName, "agent_name", c.AgentName, "agent's display name")
	fs.StringVar(&c.AgentNumber, "agent_number", c.AgentNumber, "agent's work number")
	fs.StringVar(&c.Pack, "pack", c.Pack, "script pack file (default: published or embedded)")
	fs.StringVar(&c.Theme, "theme", c.Theme, "system, light or dark")
	fs.Func("role", "the PC's user without sign-in: agent, team_lead, supervisor or trainer", func(s string) error {
		if r := agent.Role(s); !r.Valid() {
			return fmt.Errorf("role %q: want one of %v", s, agent.Roles)
		}
		c.Role = agent.Role(s)
		return nil
	})
	fs.StringVar(&c.PBX.URI, "pbx.uri", c.PBX.URI, "PBX SIP URI; empty runs the practice phone")
	fs.StringVar(&c.PBX.User, "pbx.user", c.PBX.User, "SIP extension")
	fs.Func("pbx.password", "SIP password", func(s string) error { c.PBX.Password = desk.Secret(s); return nil })
	fs.StringVar(&c.PBX.Transport, "pbx.transport", c.PBX.Transport, "udp, tcp or tls")
	fs.StringVar(&c.PBX.Proxy, "pbx.proxy", c.PBX.Proxy, "outbound proxy")
	fs.BoolVar(&c.PBX.Companion, "pbx.companion", c.PBX.Companion, "watch a desk phone instead of ringing here")
	fs.StringVar(&c.PBX.CA, "pbx.ca", c.PBX.CA, "PEM file of authorities trusted for the PBX's TLS certificate")
	fs.BoolVar(&c.PBX.AllowDirect, "pbx.allow_direct", c.PBX.AllowDirect, "take calls from any address, not only the PBX (lab only)")
	fs.StringVar(&c.Audio.Input, "audio.input", c.Audio.Input, "headset microphone (device name; empty: system default)")
	fs.StringVar(&c.Audio.Output, "audio.output", c.Audio.Output, "headset earpiece (device name; empty: system default)")
	fs.StringVar(&c.Audio.Ring, "audio.ring", c.Audio.Ring, "device the ringtone plays on (empty: system default)")
	fs.BoolFunc("audio.record", "record answered calls (default true)", func(s string) error {
		b, err := strconv.ParseBool(s)
		c.Audio.Record = &b
		return err
	})
	fs.StringVar(&c.Hub.CA, "hub.ca", c.Hub.CA, "PEM file of authorities trusted for the hub's certificate")
	fs.BoolFunc("hub.sign_in", "agents sign in per shift (default true with a hub)", func(s string) error {
		b, err := strconv.ParseBool(s)
		c.Hub.SignIn = &b
		return err
	})
	fs.BoolVar(&c.PBX.PerAgent, "pbx.per_agent", c.PBX.PerAgent, "register with the signed-in agent's own SIP account")
	fs.StringVar(&c.PBX.Scenario, "pbx.scenario", c.PBX.Scenario, "practice scenario file")
	fs.StringVar(&c.Hub.URL, "hub.url", c.Hub.URL, "hub address; empty: no sync")
	fs.Func("hub.token", "hub token", func(s string) error { c.Hub.Token = desk.Secret(s); return nil })
	fs.IntVar(&c.RingLimitSeconds, "ring_limit_seconds", c.RingLimitSeconds, "the third ring, in seconds (0: the center's default)")
}
