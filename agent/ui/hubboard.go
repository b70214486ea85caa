package ui

import (
	"fmt"
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
		lines = append(lines, s.Who+"  "+fmt.Sprintf(tr(lang, "stats.hubline"), s.Inbound, s.Outbound, s.Answered, s.Missed))
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

func init() {
	for id, m := range map[string][3]string{
		"stats.hubline": {"呼入 %d  呼出 %d  接听 %d  未接 %d", "呼入 %d  呼出 %d  接聽 %d  未接 %d", "In %d  Out %d  Answered %d  Missed %d"},
		"sup.unsynced":  {"有待同步记录的坐席", "有待同步記錄的坐席", "Desks with records not yet synced"},
	} {
		messages[id] = m
	}
}
