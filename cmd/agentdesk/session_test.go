package main

import (
	"log/slog"
	"testing"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/upstream"
	"agentdesk/cmd/internal/shift"
)

// The shift's config: the agent who signed in, their session token, and
// the SIP registration following the agent only when configured so.
func TestShiftConfig(t *testing.T) {
	pc := desk.Defaults()
	pc.AgentNumber, pc.Role = "pc-owner", agent.RoleAgent
	pc.PBX.URI, pc.PBX.User, pc.PBX.Password = "sip:pbx", "6000", "pc-pass"
	pc.Hub.URL, pc.Hub.Token = "https://hub", "desk-token"
	online := &shift.Shift{Identity: desk.Identity{Number: "9001", Name: "王班长", Role: agent.RoleSupervisor},
		Session: "session-9001", SIP: &upstream.SIPAccount{User: "9001", Password: "sip-9001"}}
	offline := &shift.Shift{Identity: desk.Identity{Number: "8001", Name: "李娜", Role: agent.RoleAgent, Offline: true}}
	log := slog.New(slog.DiscardHandler)
	for _, c := range []struct {
		name              string
		perAgent          bool
		sh                *shift.Shift
		user, pass, token string
		number, agentName string
		role              agent.Role
	}{
		{"online, the PC's SIP", false, online, "6000", "pc-pass", "session-9001", "9001", "王班长", agent.RoleSupervisor},
		{"online, the agent's SIP", true, online, "9001", "sip-9001", "session-9001", "9001", "王班长", agent.RoleSupervisor},
		{"offline, the agent's SIP wanted", true, offline, "6000", "pc-pass", "desk-token", "8001", "李娜", agent.RoleAgent},
	} {
		cfg := pc
		cfg.PBX.PerAgent = c.perAgent
		got := shiftConfig(cfg, c.sh, log)
		if got.PBX.User != c.user || string(got.PBX.Password) != c.pass || string(got.Hub.Token) != c.token ||
			got.AgentNumber != c.number || got.AgentName != c.agentName || got.Role != c.role {
			t.Errorf("%s: sip %s/%s token %s agent %s %s %s", c.name, got.PBX.User, string(got.PBX.Password),
				string(got.Hub.Token), got.AgentNumber, got.AgentName, got.Role)
		}
	}
	if pc.PBX.User != "6000" || pc.Hub.Token != "desk-token" {
		t.Error("shiftConfig changed the PC's config")
	}
}
