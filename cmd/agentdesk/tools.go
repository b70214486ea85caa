package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/scripts"
	"agentdesk/telephony/practice"
)

// packTools lets the trainer view edit packs with the scripts package.
type packTools struct{ hub string }

func (packTools) Load(lang string) (string, string, error) {
	b, err := scripts.DefaultPackFile(lang)
	return "", string(b), err
}

func (packTools) Preview(text string, r ui.PreviewRequest) (string, []ui.LineError) {
	p, err := scripts.Parse("pack.toml", []byte(text))
	if err != nil {
		return "", lineErrors(err)
	}
	s, err := p.Opening(scripts.OpeningRequest{At: r.At, Silent: r.Silent, Outbound: r.Outbound,
		Caller: scripts.Party{Surname: r.Surname, Title: r.Title}})
	if err != nil {
		return s, []ui.LineError{{Msg: err.Error()}}
	}
	return s, nil
}

func lineErrors(err error) []ui.LineError {
	var pe scripts.PackErrors
	if errors.As(err, &pe) {
		out := make([]ui.LineError, len(pe))
		for i, e := range pe {
			out[i] = ui.LineError{Line: e.Line, Msg: e.Msg}
		}
		return out
	}
	var one *scripts.PackError
	if errors.As(err, &one) {
		return []ui.LineError{{Line: one.Line, Msg: one.Msg}}
	}
	return []ui.LineError{{Msg: err.Error()}}
}

func (packTools) Save(path, text string) error {
	if path == "" {
		return errors.New("save pack: no file name")
	}
	if _, err := scripts.Parse(filepath.Base(path), []byte(text)); err != nil {
		return fmt.Errorf("save pack %s: %w", path, err)
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// Publish needs the hub, which this build does not talk to yet.
func (t packTools) Publish(string) error {
	return errors.New("publish: needs a hub")
}

// selfCheck is the pre-shift panel.
func selfCheck(cfg desk.Config, st *store.Store, phone *line) []ui.CheckResult {
	var out []ui.CheckResult
	switch {
	case phone.practice:
		out = append(out, ui.CheckResult{Name: "check.pbx", Skipped: true, Detail: "practice"})
	case phone.registered():
		out = append(out, ui.CheckResult{Name: "check.pbx", OK: true, Detail: cfg.PBX.URI})
	default:
		out = append(out, ui.CheckResult{Name: "check.pbx", Detail: cfg.PBX.URI})
	}
	probe := filepath.Join(cfg.Data, ".selfcheck")
	err := os.WriteFile(probe, []byte("ok"), 0o600)
	if err == nil {
		err = os.Remove(probe)
	}
	if err == nil {
		err = st.Check()
	}
	out = append(out, result("check.data", err, cfg.DataFile()))
	if cfg.Hub.URL == "" {
		out = append(out, ui.CheckResult{Name: "check.hub", Skipped: true})
	} else {
		out = append(out, result("check.hub", dial(cfg.Hub.URL), cfg.Hub.URL))
	}
	n, _, err := st.OutboxStats()
	out = append(out, result("check.outbox", err, fmt.Sprint(n)))
	return out
}

func result(name string, err error, detail string) ui.CheckResult {
	if err != nil {
		return ui.CheckResult{Name: name, Detail: err.Error()}
	}
	return ui.CheckResult{Name: name, OK: true, Detail: detail}
}

func dial(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	c, err := net.DialTimeout("tcp", host, 3*time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

// seedPractice adds the practice scenario's customers on first run so the
// first practice call pops as a known member.
func seedPractice(st *store.Store, sc *practice.Scenario, now time.Time, log *slog.Logger) {
	for _, c := range sc.Callers {
		if c.Customer == nil || c.Number == "" {
			continue
		}
		if found, err := st.LookupPhone(c.Number); err != nil || len(found) > 0 {
			continue
		}
		title, _ := agent.ParseTitle(c.Customer.Title)
		cust := &agent.Customer{Name: c.Customer.Name, Surname: c.Customer.Surname, Title: title,
			Member: c.Customer.Member, Level: c.Customer.Level, Area: c.Customer.Area,
			Notes: strings.TrimSpace(c.Customer.Notes), Phones: []string{c.Number}}
		if err := st.PutCustomer(cust, now); err != nil {
			log.Warn("seed practice customer", "error", err)
		}
	}
}
