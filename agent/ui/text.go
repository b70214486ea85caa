package ui

import (
	"agentdesk/agent"
	"agentdesk/i18n"
)

// Langs are the languages the window can switch between live.
var Langs = i18n.Langs()

// aliases maps the window's ids to the bundle ids that hold the same text
// (or, for an id the bundles use with other words, the window's own copy
// under "ui."). Ids not listed are bundle ids as they are.
var aliases = map[string]string{
	"app.title":        "ui.app.title",
	"btn.back":         "complaint.back",
	"btn.cancel":       "dialog.cancel",
	"btn.close":        "dialog.close",
	"btn.next":         "complaint.next",
	"btn.ok":           "dialog.ok",
	"btn.run":          "selfcheck.run",
	"btn.save":         "dialog.save",
	"call.held":        "ui.call.held",
	"caller.anonymous": "call.anonymous",
	"caller.nonmember": "caller.non_member",
	"customers.name":   "caller.name",
	"opening":          "script.opening",
	"set.lang":         "settings.language",
	"set.password":     "settings.password",
	"set.tz":           "settings.time_zone",
	"status.agent":     "ui.status.agent",
	"tab.settings":     "settings.title",
	"tr.preview":       "trainer.preview",
	"tr.publish":       "dialog.publish",
	"wiz.ask.wish":     "complaint.wish",
	"wiz.f.what":       "complaint.what",
	"wiz.f.when":       "complaint.when",
	"wiz.f.where":      "complaint.where",
	"wiz.report":       "complaint.step.report",
}

// msgID is the bundle id of the window's message id.
func msgID(id string) string {
	if a, ok := aliases[id]; ok {
		return a
	}
	return id
}

// tr returns message id in lang from the i18n bundles, with its
// {{.Placeholders}} filled from data. Script texts (openings, phrases) come
// from the script pack, not from here. An unknown id shows itself, so a gap
// is visible (and TestUIMessageIDs fails).
func tr(lang, id string, data ...map[string]any) string {
	b := msgID(id)
	s := i18n.New(lang).T(b, data...)
	if s == b {
		return id
	}
	return s
}

// statsData fills the placeholders of "stats.line" from the agent's day.
func statsData(a agent.AgentDay) map[string]any {
	pct := 0
	if answered := a.Inbound - a.Missed; answered > 0 {
		pct = a.AnsweredWithinLimit * 100 / answered
	}
	return map[string]any{"In": a.Inbound, "Out": a.Outbound, "Missed": a.Missed,
		"Pct": pct, "Complaints": a.ComplaintsOpened}
}

// langIndex is the position in Langs of the UI language closest to lang.
func langIndex(lang string) int {
	m := i18n.Match(lang)
	for i, l := range Langs {
		if l == m {
			return i
		}
	}
	return 0
}
