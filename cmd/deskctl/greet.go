package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/scripts"
)

func init() {
	register(&command{
		name:    "greet",
		usage:   "[--at RFC3339] [--lang zh-Hans|zh-Hant|en] [--pack FILE] [--silent] [--outbound] [--name SURNAME --title 先生|女士] [--agent NAME] [--agent-number N] [--data DIR] [--config FILE]",
		summary: "print the opening line a caller hears at an instant, from the pack the desk uses",
		run:     greet,
	})
}

// callFlags are the flags greet and scripts preview share: the instant and
// who is on the call.
type callFlags struct {
	at          string
	silent      bool
	outbound    bool
	name, title string
	agent       string
	agentNumber string
	data        string
}

func addCallFlags(fs *flag.FlagSet) *callFlags {
	f := &callFlags{}
	fs.StringVar(&f.at, "at", "", "the instant of the call, RFC3339 (default: now)")
	fs.BoolVar(&f.silent, "silent", false, "a silent call: print the silent-call line")
	fs.BoolVar(&f.outbound, "outbound", false, "the desk is calling out: print the outbound opening")
	fs.StringVar(&f.name, "name", "", "the caller's surname")
	fs.StringVar(&f.title, "title", "", "the caller's title: 先生 or 女士")
	fs.StringVar(&f.agent, "agent", "", "the agent's name")
	fs.StringVar(&f.agentNumber, "agent-number", "", "the agent's work number")
	fs.StringVar(&f.data, "data", desk.DefaultDataDir(), "the desk's data directory")
	return f
}

// request turns the flags into an opening request; now is used without --at.
func (f *callFlags) request(now time.Time) (scripts.OpeningRequest, error) {
	req := scripts.OpeningRequest{At: now, Silent: f.silent, Outbound: f.outbound, AgentName: f.agent, AgentNumber: f.agentNumber}
	if f.at != "" {
		at, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return req, fmt.Errorf("--at %q: want a time like 2026-10-01T09:00:00+08:00", f.at)
		}
		req.At = at
	}
	title, err := agent.ParseTitle(f.title)
	if err != nil {
		return req, fmt.Errorf("--title: %w", err)
	}
	if title != agent.TitleNone && f.name == "" {
		return req, errors.New("--title needs --name SURNAME")
	}
	req.Caller = scripts.Party{Surname: f.name, Title: string(title)}
	return req, nil
}

// newScriptsFlagSet returns a flag set that reports to e.stderr.
func newScriptsFlagSet(name string, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("deskctl "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseScriptsArgs parses flags wherever they are among the arguments
// ("preview FILE --at …") and returns the positional ones.
func parseScriptsArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// lockWait is how long greet waits for a data file another process
// holds before saying so: a running desk holds it for as long as it runs.
const lockWait = 500 * time.Millisecond

// openPacksStore opens the desk's data file to read the packs published to
// it. A folder without one gives nil (nothing is created); a file a
// running desk holds is an error that says so, after lockWait.
func openPacksStore(dataDir string, log *slog.Logger) (*store.Store, error) {
	path := filepath.Join(dataDir, "desk.db")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	st, err := store.Open(path, store.WithLogger(log), store.WithLockTimeout(lockWait))
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%s is in use by a running agentdesk, so the pack published to it cannot be read now: "+
			"close that desk, or name a pack with --pack FILE: %w", path, err)
	}
	return st, err
}

// desksPack is the pack of lang the desk would use with cfg: the config's
// pack file, else the newest published pack kept in cfg.Data's data file,
// else the embedded default (desk.LoadPacks, as the window and the pop
// pipeline choose).
func desksPack(cfg desk.Config, lang string, log *slog.Logger) (*scripts.Pack, error) {
	if _, err := scripts.DefaultPackFile(lang); err != nil {
		return nil, err
	}
	st, err := openPacksStore(cfg.Data, log)
	if err != nil {
		return nil, err
	}
	if st != nil {
		defer st.Close()
	}
	packs, err := desk.LoadPacks(cfg, st, log)
	if err != nil {
		return nil, err
	}
	return packs.Packs[lang], nil
}

// greetPack finds the pack of lang for a command that runs the desk's
// pipeline without a window (watch): the file when one is named, else the
// pack the desk would use (desksPack) with data as its data folder.
func greetPack(file, lang, data string) (*scripts.Pack, error) {
	if file == "" {
		return desksPack(desk.Config{Data: data}, lang, slog.New(slog.DiscardHandler))
	}
	p, err := scripts.LoadFile(file)
	if err != nil {
		return nil, err
	}
	if p.Lang() != lang {
		return nil, fmt.Errorf("script pack %s is in %s, not %s (use --lang %s)", file, p.Lang(), lang, p.Lang())
	}
	return p, nil
}

func greet(e *env, args []string) error {
	fs := newScriptsFlagSet("greet", e)
	configPath := fs.String("config", desk.DefaultConfigPath(), "the desk's config file (its pack = … wins)")
	lang := fs.String("lang", "", "language: zh-Hans, zh-Hant or en (default: the desk's)")
	packFile := fs.String("pack", "", "a script pack file (default: the pack the desk uses: the config's, else the newest published one, else the built-in one)")
	cf := addCallFlags(fs)
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	req, err := cf.request(time.Now())
	if err != nil {
		return err
	}
	cfg, err := desk.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if set["data"] {
		cfg.Data = cf.data
	}
	if set["lang"] {
		cfg.Lang = *lang
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var p *scripts.Pack
	switch {
	case *packFile != "" && !set["lang"]:
		// A pack file names its own language.
		p, err = scripts.LoadFile(*packFile)
	case *packFile != "":
		p, err = greetPack(*packFile, cfg.Lang, "")
	default:
		p, err = desksPack(cfg, cfg.Lang, log)
	}
	if err != nil {
		return reportPackErrors(e, err)
	}
	line, err := p.Opening(req)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, line)
	return nil
}
