package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/scripts"
)

func init() {
	register(&command{
		name:    "greet",
		usage:   "[--at RFC3339] [--lang zh-Hans|zh-Hant|en] [--pack FILE] [--silent] [--outbound] [--name SURNAME --title 先生|女士] [--agent NAME] [--agent-number N] [--data DIR]",
		summary: "print the opening line a caller hears at an instant",
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

// greetPack finds the pack greet uses: --pack, else the pack published to
// the desk (DATA/scripts/LANG.toml), else the embedded default of lang.
func greetPack(file, lang, data string) (*scripts.Pack, error) {
	if file == "" && data != "" {
		published := filepath.Join(data, "scripts", lang+".toml")
		if _, err := os.Stat(published); err == nil {
			file = published
		}
	}
	if file == "" {
		return scripts.Default(lang)
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
	lang := fs.String("lang", scripts.DefaultLang, "language: zh-Hans, zh-Hant or en")
	packFile := fs.String("pack", "", "a script pack file (default: the desk's published pack, else the built-in one)")
	cf := addCallFlags(fs)
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errUsage
	}
	langSet := false
	fs.Visit(func(f *flag.Flag) { langSet = langSet || f.Name == "lang" })
	req, err := cf.request(time.Now())
	if err != nil {
		return err
	}
	var p *scripts.Pack
	if *packFile != "" && !langSet {
		// A pack file names its own language.
		p, err = scripts.LoadFile(*packFile)
	} else {
		p, err = greetPack(*packFile, *lang, cf.data)
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
