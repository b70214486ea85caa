package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
	"agentdesk/cmd/internal/storesync"
)

func init() {
	register(&command{
		name:    "sync",
		usage:   "[--hub URL] [--token T] [--ca FILE] [--once] [--lang zh-Hans,en] [--interval 10s] [--data DIR]",
		summary: "push the outbox to the hub and pull customers and the latest script pack",
		run:     syncCmd,
	})
}

// syncCmd syncs the desk's data file with the hub: with --once one round,
// printing the status as JSON (non-zero exit if the round failed);
// otherwise until interrupted, printing the status after every round. The
// hub URL and token default to the desk's config (and AGENTDESK_HUB_TOKEN),
// so the token need not appear in the process list.
func syncCmd(e *env, args []string) error {
	cfg, cfgErr := desk.LoadConfig(desk.DefaultConfigPath())
	if cfgErr != nil {
		cfg = desk.Defaults()
	}
	fs := flag.NewFlagSet("deskctl sync", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	hub := fs.String("hub", cfg.Hub.URL, "hub base `URL`, e.g. https://hub.example:8470")
	token := fs.String("token", "", "agent `TOKEN` (default: $AGENTDESK_HUB_TOKEN, then the config)")
	ca := fs.String("ca", "", "PEM `FILE` of the CA that signed the hub's certificate (default: the system's roots)")
	once := fs.Bool("once", false, "run one round and exit")
	langs := fs.String("lang", "zh-Hans", "comma-separated `LANGS` whose latest script pack to pull")
	interval := fs.Duration("interval", 10*time.Second, "wait between rounds")
	data := fs.String("data", desk.DefaultDataDir(), "data `DIR`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *hub == "" {
		return errUsage
	}
	tok := *token
	if tok == "" {
		tok = os.Getenv("AGENTDESK_HUB_TOKEN")
	}
	if tok == "" {
		tok = string(cfg.Hub.Token)
	}
	if tok == "" {
		return errors.New("no hub token: give --token, set AGENTDESK_HUB_TOKEN or put it in the config")
	}
	if _, err := upstream.NewClient(*hub, tok, nil, nil, upstream.WithCAFile(*ca)); err != nil {
		return err // before the data file is touched
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := store.Open(filepath.Join(*data, "desk.db"), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer s.Close()
	d := storesync.New(s)
	opts := []upstream.ClientOption{upstream.WithLogger(log), upstream.WithInterval(*interval), upstream.WithLangs(strings.Split(*langs, ",")...),
		upstream.WithCAFile(*ca)}
	if !*once {
		opts = append(opts, upstream.OnStatus(roundPrinter(e.stdout)))
	}
	c, err := upstream.NewClient(*hub, tok, d, d, opts...)
	if err != nil {
		return err
	}
	if *once {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		err := c.SyncOnce(ctx)
		if perr := printStatus(e.stdout, c.Status()); perr != nil {
			return perr
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// roundPrinter prints the status once per round: when the last sync time
// or the failure count changes (per-batch updates change neither).
func roundPrinter(w io.Writer) func(upstream.Status) {
	var last upstream.Status
	return func(st upstream.Status) {
		if st.LastSync.Equal(last.LastSync) && st.Failures == last.Failures {
			return
		}
		last = st
		printStatus(w, st)
	}
}

func printStatus(w io.Writer, st upstream.Status) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
