package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
)

// The commands of what the hub keeps for the whole center: the member
// callback plan and its report, and the center's settings. Each prints
// JSON on stdout.

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func callbacksPlan(args []string, stdout, stderr io.Writer) error {
	// A plan reads every member and task: 50,000 members take about 5 s.
	return atCommand("hub callbacks plan", "plan", args, stdout, stderr, func(ctx context.Context, db *hub.DB, at time.Time) (any, error) {
		return db.PlanCallbacks(ctx, at)
	})
}

// atCommand runs an admin command that acts as of --at (default now) on
// the database and prints its result as JSON.
func atCommand(name, verb string, args []string, stdout, stderr io.Writer, do func(context.Context, *hub.DB, time.Time) (any, error)) error {
	fs := flagSet(name, stderr)
	c := commonFlags(fs)
	atFlag := fs.String("at", "", verb+" as of this RFC 3339 `INSTANT` (default: now)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || fs.NArg() > 0 {
		return errUsage
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return fmt.Errorf("--at %q: want an RFC 3339 instant (2026-11-23T09:30:00+08:00)", *atFlag)
		}
		at = t
	}
	return withAdminDBFor(c, 10*time.Minute, func(ctx context.Context, db *hub.DB) error {
		res, err := do(ctx, db, at)
		if err != nil {
			return err
		}
		return printJSON(stdout, res)
	})
}

func callbacksReport(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub callbacks report", stderr)
	c := commonFlags(fs)
	fromFlag := fs.String("from", "", "first `DAY` (YYYY-MM-DD, the center's zone)")
	toFlag := fs.String("to", "", "last `DAY` (YYYY-MM-DD), included")
	who := fs.String("agent", "", "one agent's work number (default: every agent)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *fromFlag == "" || *toFlag == "" || fs.NArg() > 0 {
		return errUsage
	}
	from, err := agent.ParseDay(*fromFlag)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to, err := agent.ParseDay(*toFlag)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if to.String() < from.String() {
		return fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		rep, err := db.CallbackReport(ctx, upstream.CallbackReportQuery{From: from, To: to, Agent: *who}, time.Now())
		if err != nil {
			return err
		}
		return printJSON(stdout, rep)
	})
}

func settingsSet(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub settings set", stderr)
	c := commonFlags(fs)
	file := fs.String("file", "", "settings `FILE`: TOML (top-level keys, or a [center] table as in the desk's config) or .json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *file == "" || fs.NArg() > 0 {
		return errUsage
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	s, err := hub.ParseSettings(*file, data)
	if err != nil {
		return err // before the database is touched
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		st, err := db.SetSettings(ctx, s)
		if err != nil {
			return err
		}
		return printJSON(stdout, st)
	})
}

func settingsShow(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub settings show", stderr)
	c := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		st, err := db.EffectiveSettings(ctx)
		if err != nil {
			return err
		}
		return printJSON(stdout, st)
	})
}

func recordingsPurge(args []string, stdout, stderr io.Writer) error {
	return atCommand("hub recordings purge", "purge", args, stdout, stderr, func(ctx context.Context, db *hub.DB, at time.Time) (any, error) {
		return db.PurgeRecordings(ctx, at)
	})
}
