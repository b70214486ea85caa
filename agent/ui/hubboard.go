package ui

import (
	"strings"
)

// AgentStats is one agent's calls today as the hub counts them.
type AgentStats struct {
	Who                                 string
	Inbound, Outbound, Answered, Missed int
}

// hubStatsText is the statistics card of a board from the hub: a line per
// agent, then the desks holding records not yet synced.
func hubStatsText(lang string, b Board) string {
	var lines []string
	for _, s := range b.Today {
		lines = append(lines, s.Who+"  "+tr(lang, "stats.hubline", map[string]any{"In": s.Inbound, "Out": s.Outbound, "Answered": s.Answered, "Missed": s.Missed}))
	}
	if len(lines) == 0 {
		lines = append(lines, tr(lang, "sup.none"))
	}
	if len(b.Unsynced) > 0 {
		lines = append(lines, "", tr(lang, "sup.unsynced"))
		lines = append(lines, b.Unsynced...)
	}
	return strings.Join(lines, "\n")
}
