package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
)

func init() {
	register(&command{
		name:    "complaints add",
		usage:   "--from FILE.json [--data DIR] [--zone ZONE]",
		summary: "enter a complaint case through the five-clears rules (JSON in)",
		run:     complaintsAdd,
	})
	register(&command{
		name:    "complaints list",
		usage:   "[--overdue] [--due-within 30m] [--at RFC3339] [--owner AGENT] [--state STATE] [--data DIR]",
		summary: "list complaint cases (JSON), overdue replies first with --overdue",
		run:     complaintsList,
	})
	register(&command{
		name:    "complaints show",
		usage:   "ID [--at RFC3339] [--data DIR] [--zone ZONE]",
		summary: "show one complaint case with what it lacks (JSON)",
		run:     complaintsShow,
	})
}

// caseFlags are the flags the complaint, callback and statistics commands share.
type caseFlags struct {
	data, zone, at string
	// as and pinFile open a desk's data file that agents sign in to (no
	// OS slot): that agent's PIN, read from the file.
	as, pinFile string
}

func addCaseFlags(fs *flag.FlagSet) *caseFlags {
	f := &caseFlags{}
	fs.StringVar(&f.data, "data", desk.DefaultDataDir(), "data `DIR` holding desk.db")
	fs.StringVar(&f.as, "as", "", "open a sign-in desk's data file as `AGENT` (with --pin-file)")
	fs.StringVar(&f.pinFile, "pin-file", "", "read the agent's PIN from `FILE` (- for stdin) to open a sign-in desk's data file")
	fs.StringVar(&f.zone, "zone", "", "the center's IANA time `ZONE` (default: the config's time_zone, Asia/Shanghai)")
	fs.StringVar(&f.at, "at", "", "judge deadlines at this `RFC3339` instant (default now)")
	return f
}

// center returns the center's rules: the desk config's center settings
// (the procedure's defaults where it has none), in --zone when given.
func (f *caseFlags) center() (agent.Center, error) {
	cfg, err := desk.LoadConfig(desk.DefaultConfigPath())
	if err != nil {
		return agent.Center{}, err
	}
	if f.zone != "" {
		cfg.TimeZone, cfg.CenterSettings.TimeZone = f.zone, ""
	}
	return cfg.Center()
}

// instant reads --at; empty means the wall clock, read here at the edge.
func (f *caseFlags) instant() (time.Time, error) {
	if f.at == "" {
		return agent.SystemClock{}.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, f.at)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want RFC3339, e.g. 2026-05-06T10:00:00+08:00", f.at)
	}
	return t, nil
}

// open opens the desk's data file, creating a fresh one if the folder has none.
func (f *caseFlags) open(e *env) (*store.Store, error) {
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var extra []seal.Unlocker
	if f.pinFile != "" {
		if f.as == "" {
			return nil, errors.New("--pin-file needs --as AGENT (or --agent): whose PIN it is")
		}
		pin, err := readPIN(e, f.pinFile)
		if err != nil {
			return nil, err
		}
		extra = append(extra, seal.Agent{ID: f.as, Secret: seal.Secret(pin), Now: agent.SystemClock{}.Now()})
	}
	return openDataFile(filepath.Join(f.data, "desk.db"), log, extra...)
}

// parse parses args, wants exactly npos positional arguments, and reads the
// center's rules and the --at instant.
func (f *caseFlags) parse(fs *flag.FlagSet, args []string, npos int) ([]string, agent.Center, time.Time, error) {
	pos, err := parseCaseArgs(fs, args)
	if err != nil {
		return nil, agent.Center{}, time.Time{}, err
	}
	if len(pos) != npos {
		return nil, agent.Center{}, time.Time{}, errUsage
	}
	center, err := f.center()
	if err != nil {
		return nil, center, time.Time{}, err
	}
	at, err := f.instant()
	return pos, center, at, err
}

func newCaseFlagSet(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("deskctl "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseCaseArgs parses flags placed before or after positional arguments
// (deskctl complaints show ID --data DIR) and returns the positionals.
func parseCaseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func writeCaseJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func complaintsAdd(e *env, args []string) error {
	fs := newCaseFlagSet("complaints add", e)
	f := addCaseFlags(fs)
	from := fs.String("from", "", "the case as a JSON `FILE` (- for stdin)")
	_, center, now, err := f.parse(fs, args, 0)
	if err != nil {
		return err
	}
	if *from == "" {
		return errUsage
	}
	var raw []byte
	if *from == "-" {
		raw, err = io.ReadAll(e.stdin)
	} else {
		raw, err = os.ReadFile(*from)
	}
	if err != nil {
		return fmt.Errorf("read case: %w", err)
	}
	var in agent.ComplaintInput
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("read case %s: %w", *from, err)
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()

	var problems []string
	if in.CustomerID != "" {
		if _, err := s.Customer(in.CustomerID); errors.Is(err, store.ErrNotFound) {
			problems = append(problems, fmt.Sprintf("customer %q is not on file", in.CustomerID))
		} else if err != nil {
			return err
		}
	}
	c, alerts, err := agent.BuildComplaint(in, center.Reply, now)
	var inc *agent.IncompleteError
	switch {
	case errors.As(err, &inc):
		for _, p := range inc.Problems {
			problems = append(problems, p.String())
		}
	case err != nil:
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("case refused, nothing stored:\n  %s", strings.Join(problems, "\n  "))
	}
	if err := s.PutComplaint(c, now, alerts...); err != nil {
		return fmt.Errorf("case refused, nothing stored: %w", err)
	}
	return writeCaseJSON(e.stdout, c)
}

// complaintSummary is one line of complaints list.
type complaintSummary struct {
	ID             string    `json:"id"`
	CustomerID     string    `json:"customer_id"`
	Owner          string    `json:"owner"`
	Channel        string    `json:"channel"`
	State          string    `json:"state"`
	Severity       string    `json:"severity"`
	OpenedAt       time.Time `json:"opened_at"`
	ReplyDue       time.Time `json:"reply_due,omitzero"`
	Overdue        bool      `json:"overdue"`
	OverdueMinutes int64     `json:"overdue_minutes,omitempty"`
	Missing        []string  `json:"missing"`
}

// listLine is the list line of a case's index summary at instant at.
func listLine(d *store.CaseSummary, at time.Time, zone *time.Location) complaintSummary {
	s := complaintSummary{
		ID: d.ID, CustomerID: d.CustomerID, Owner: d.Owner, Channel: d.Channel.String(),
		State: d.State.String(), Severity: d.Severity.String(), OpenedAt: d.OpenedAt.In(zone), Missing: d.Missing,
	}
	if s.Missing == nil {
		s.Missing = []string{}
	}
	if !d.ReplyDue.IsZero() {
		s.ReplyDue = d.ReplyDue.In(zone)
	}
	if d.Overdue(at) {
		s.Overdue = true
		s.OverdueMinutes = int64(at.Sub(d.ReplyDue) / time.Minute)
	}
	return s
}

func complaintsList(e *env, args []string) error {
	fs := newCaseFlagSet("complaints list", e)
	f := addCaseFlags(fs)
	overdue := fs.Bool("overdue", false, "only cases whose reply time has passed")
	within := fs.Duration("due-within", 0, "only cases whose reply is due within `DURATION` after --at (e.g. 30m)")
	owner := fs.String("owner", "", "only cases owned by `AGENT`")
	state := fs.String("state", "", "only cases in `STATE` (open, awaiting_reply, replied, closed)")
	_, center, at, err := f.parse(fs, args, 0)
	if err != nil {
		return err
	}
	filter := store.ComplaintFilter{Owner: *owner}
	if *state != "" {
		var st agent.ComplaintState
		if err := st.UnmarshalText([]byte(*state)); err != nil {
			return err
		}
		filter.States = []agent.ComplaintState{st}
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()
	out := []complaintSummary{}
	// The indexes hold what a line needs: no case is read.
	if *overdue || *within > 0 {
		due, err := s.DueCases(at.Add(*within))
		if err != nil {
			return err
		}
		for i := range due {
			d := &due[i]
			late := at.After(d.ReplyDue)
			if (late && !*overdue) || (!late && *within <= 0) ||
				(*owner != "" && d.Owner != *owner) || (len(filter.States) > 0 && d.State != filter.States[0]) {
				continue
			}
			out = append(out, listLine(d, at, center.Zone))
		}
	} else {
		sums, err := s.ComplaintSummaries(filter)
		if err != nil {
			return err
		}
		for i := range sums {
			out = append(out, listLine(&sums[i], at, center.Zone))
		}
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// complaintView is what complaints show prints.
type complaintView struct {
	Complaint    agent.Complaint  `json:"complaint"`
	Missing      []string         `json:"missing"`
	ReplyOverdue bool             `json:"reply_overdue"`
	Warning      *agent.SLAStatus `json:"warning_status"`
}

func complaintsShow(e *env, args []string) error {
	fs := newCaseFlagSet("complaints show", e)
	f := addCaseFlags(fs)
	pos, center, at, err := f.parse(fs, args, 1)
	if err != nil {
		return err
	}
	s, err := f.open(e)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Complaint(pos[0])
	if err != nil {
		return err
	}
	v := complaintView{Complaint: c, Missing: []string{}, ReplyOverdue: c.ReplyOverdue(at)}
	for _, p := range c.Missing() {
		v.Missing = append(v.Missing, p.String())
	}
	if c.Warning != nil {
		st := center.Warning.Status(*c.Warning, at)
		v.Warning = &st
	}
	return writeCaseJSON(e.stdout, v)
}
