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

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
)

// deskFlags are the flags of the commands that act as a desk would (wrap
// up a call, take a case a step on, record a callback): the case flags,
// the config the desk runs with and who acts.
type deskFlags struct {
	*caseFlags
	config, agent, role string
}

func addDeskFlags(fs *flag.FlagSet) *deskFlags {
	f := &deskFlags{caseFlags: addCaseFlags(fs)}
	fs.StringVar(&f.config, "config", desk.DefaultConfigPath(), "the desk's config `FILE` (center settings, agent)")
	fs.StringVar(&f.agent, "agent", "", "act for `AGENT` (work number; default: the config's agent_number)")
	fs.StringVar(&f.role, "role", "", "act in `ROLE`: agent, team_lead, supervisor or trainer (default: the config's role)")
	return f
}

// oneShot is a desk opened for one command.
type oneShot struct {
	*desk.Desk
	st *store.Store
}

func (o *oneShot) Close() {
	o.Desk.Close()
	o.st.Close()
}

// openDesk opens the data file and a desk on it that acts for --agent in
// --role with the config's center settings, its clock stopped at the
// command's instant. No phone, no lists, no hub: the desk's commands only.
func (f *deskFlags) openDesk(e *env, args []string, fs *flag.FlagSet, npos int) (*oneShot, []string, error) {
	pos, err := parseCaseArgs(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != npos {
		return nil, nil, errUsage
	}
	cfg, err := desk.LoadConfig(f.config)
	if err != nil {
		return nil, nil, err
	}
	cfg.Data = f.data
	if f.zone != "" {
		cfg.TimeZone, cfg.CenterSettings.TimeZone = f.zone, ""
	}
	if f.agent != "" {
		cfg.AgentNumber = f.agent
		if f.as == "" {
			f.as = f.agent // the agent acting opens the file with their PIN
		}
	}
	if f.role != "" {
		if r := agent.Role(f.role); !r.Valid() {
			return nil, nil, fmt.Errorf("--role %q: want one of %v", f.role, agent.Roles)
		}
		cfg.Role = agent.Role(f.role)
	}
	center, err := cfg.Center()
	if err != nil {
		return nil, nil, err
	}
	at, err := f.instant()
	if err != nil {
		return nil, nil, err
	}
	st, err := f.open(e)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	packs, err := desk.LoadPacks(cfg, st, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Center: &center,
		Clock: agent.FixedClock(at), Logger: log, OneShot: true})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return &oneShot{Desk: d, st: st}, pos, nil
}

// readJSON reads one JSON object from FILE (- for stdin) into v, refusing
// unknown fields and anything after the object; a syntax or type error
// names the file, line and column.
func readJSON(e *env, from string, v any) error {
	if from == "" {
		return errUsage
	}
	var raw []byte
	var err error
	if from == "-" {
		raw, err = io.ReadAll(e.stdin)
	} else {
		raw, err = os.ReadFile(from)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", from, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(from, raw, dec.InputOffset(), err)
	}
	if dec.More() {
		return fmt.Errorf("%s:%s: more than one JSON object", from, position(raw, dec.InputOffset()))
	}
	return nil
}

// jsonError places a decoding error in the file: at the error's offset,
// else where the decoder stopped (an unknown field).
func jsonError(name string, raw []byte, stopped int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s:%s: %w", name, position(raw, syn.Offset), err)
	case errors.As(err, &typ):
		return fmt.Errorf("%s:%s: field %q: %w", name, position(raw, typ.Offset), typ.Field, err)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: empty, want a JSON object", name)
	}
	return fmt.Errorf("%s:%s: %w", name, position(raw, stopped), err)
}

// position is the line:column of byte offset off in raw.
func position(raw []byte, off int64) string {
	off = min(max(off, 0), int64(len(raw)))
	line := bytes.Count(raw[:off], []byte("\n")) + 1
	col := off - int64(bytes.LastIndexByte(raw[:off], '\n'))
	return fmt.Sprintf("%d:%d", line, col)
}
