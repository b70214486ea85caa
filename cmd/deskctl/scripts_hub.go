package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"agentdesk/agent/desk"
	"agentdesk/agent/upstream"
	"agentdesk/scripts"
)

// The script pack commands that talk to the hub: publishing a version for
// review, reviewing, the history of a language, a version's diff against
// the live one, and rollback. Each prints JSON (diff: the diff itself) and
// on a refusal exits non-zero with the hub's reason, the hub having
// changed nothing.

func init() {
	const hubFlags = "--hub URL --token T [--data DIR]"
	register(&command{
		name:    "scripts publish",
		usage:   "FILE " + hubFlags,
		summary: "publish a script pack to the hub as a new version, pending review",
		run:     scriptsPublish,
	})
	register(&command{
		name:    "scripts review",
		usage:   "VERSION --approve|--reject [--reason R] " + hubFlags,
		summary: "approve or reject a pending pack version (supervisor, or a trainer who did not write it)",
		run:     scriptsReview,
	})
	register(&command{
		name:    "scripts history",
		usage:   "[--lang L] " + hubFlags,
		summary: "every version of a language's pack on the hub, newest first, with who wrote and reviewed it",
		run:     scriptsHistory,
	})
	register(&command{
		name:    "scripts diff",
		usage:   "VERSION " + hubFlags,
		summary: "show a pack version against the live one, as a unified diff",
		run:     scriptsDiff,
	})
	register(&command{
		name:    "scripts rollback",
		usage:   "VERSION --reason R " + hubFlags,
		summary: "make an approved pack version live again (as a new version copying it)",
		run:     scriptsRollback,
	})
}

// hubTimeout bounds one command's talk with the hub.
const hubTimeout = time.Minute

// hubOptions are the flags every hub command takes. The hub URL and token
// default to the desk's config, the token first to $AGENTDESK_HUB_TOKEN,
// so it need not appear in the process list.
type hubOptions struct {
	cfg   desk.Config
	hub   *string
	token *string
}

func addHubFlags(fs *flag.FlagSet) *hubOptions {
	cfg, err := desk.LoadConfig(desk.DefaultConfigPath())
	if err != nil {
		cfg = desk.Defaults()
	}
	o := &hubOptions{cfg: cfg}
	o.hub = fs.String("hub", cfg.Hub.URL, "hub base `URL`, e.g. https://hub.example:8470")
	o.token = fs.String("token", "", "hub `TOKEN` (default: $AGENTDESK_HUB_TOKEN, then the config)")
	_ = fs.String("data", "", "the desk's data `DIR` (unused: these commands keep nothing on the desk)")
	return o
}

// client is the hub client the flags name.
func (o *hubOptions) client() (*upstream.Client, error) {
	if *o.hub == "" {
		return nil, errors.New("no hub: give --hub or put [hub] url in the config")
	}
	tok := *o.token
	if tok == "" {
		tok = os.Getenv("AGENTDESK_HUB_TOKEN")
	}
	if tok == "" {
		tok = string(o.cfg.Hub.Token)
	}
	if tok == "" {
		return nil, errors.New("no hub token: give --token, set AGENTDESK_HUB_TOKEN or put it in the config")
	}
	return upstream.NewClient(*o.hub, tok, nil, nil)
}

// versionArg is the one positional argument, a pack version number.
func versionArg(pos []string) (int64, error) {
	if len(pos) != 1 {
		return 0, errUsage
	}
	v, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("pack version %q: want a positive number", pos[0])
	}
	return v, nil
}

// scriptsPublish checks the file as desks will parse it (every problem
// printed as file:line, nothing sent), then publishes it and prints the
// new version and its state: {"version": N, "state": "pending"}.
func scriptsPublish(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts publish", e)
	o := addHubFlags(fs)
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errUsage
	}
	file := pos[0]
	c, err := o.client()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if _, err := scripts.Parse(file, data); err != nil {
		return reportPackErrors(e, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
	defer cancel()
	v, err := c.Publish(ctx, filepath.Base(file), data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "{\"version\": %d, \"state\": %q}\n", v.Version, string(v.State))
	return err
}

// scriptsReview approves or rejects a version and prints it reviewed.
func scriptsReview(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts review", e)
	o := addHubFlags(fs)
	approve := fs.Bool("approve", false, "approve the version: it goes live on every desk")
	reject := fs.Bool("reject", false, "reject the version (give --reason)")
	reason := fs.String("reason", "", "why (required to reject)")
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if *approve == *reject {
		return errUsage
	}
	v, err := versionArg(pos)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
	defer cancel()
	pv, err := c.Review(ctx, v, *approve, *reason)
	if err != nil {
		return err
	}
	return writeCaseJSON(e.stdout, pv)
}

// scriptsHistory prints every version of a language ("" = all), newest
// first, as a JSON array.
func scriptsHistory(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts history", e)
	o := addHubFlags(fs)
	lang := fs.String("lang", "", "language: zh-Hans, zh-Hant or en (default: every language)")
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return errUsage
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
	defer cancel()
	vs, err := c.History(ctx, *lang)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []upstream.PackVersion{}
	}
	return writeCaseJSON(e.stdout, vs)
}

// scriptsDiff prints a version against the live one of its language as a
// unified diff: nothing when the texts are the same.
func scriptsDiff(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts diff", e)
	o := addHubFlags(fs)
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	v, err := versionArg(pos)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
	defer cancel()
	d, err := c.Diff(ctx, v)
	if err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, d.Diff)
	return err
}

// scriptsRollback makes an approved version live again and prints the new
// version that copies it.
func scriptsRollback(e *env, args []string) error {
	fs := newScriptsFlagSet("scripts rollback", e)
	o := addHubFlags(fs)
	reason := fs.String("reason", "", "why the version is rolled back to (required)")
	pos, err := parseScriptsArgs(fs, args)
	if err != nil {
		return err
	}
	v, err := versionArg(pos)
	if err != nil {
		return err
	}
	c, err := o.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), hubTimeout)
	defer cancel()
	pv, err := c.Rollback(ctx, v, *reason)
	if err != nil {
		return err
	}
	return writeCaseJSON(e.stdout, pv)
}
