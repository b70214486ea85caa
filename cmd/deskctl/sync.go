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

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/upstream"
)

func init() {
	register(&command{
		name:    "sync",
		usage:   "[--hub URL] [--token T] [--once] [--lang zh-Hans,en] [--interval 10s] [--data DIR]",
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
	if _, err := upstream.NewClient(*hub, tok, nil, nil); err != nil {
		return err // before the data file is touched
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := store.Open(filepath.Join(*data, "desk.db"), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer s.Close()
	d := storeSync{s}
	opts := []upstream.ClientOption{upstream.WithLogger(log), upstream.WithInterval(*interval), upstream.WithLangs(strings.Split(*langs, ",")...)}
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

// storeSync adapts the desk's store to the sync client: its outbox as the
// client's Outbox, its inbound methods as the client's Inbox. (Only cmd
// packages may import both agent/store and agent/upstream.)
type storeSync struct{ s *store.Store }

var (
	_ upstream.Outbox = storeSync{}
	_ upstream.Inbox  = storeSync{}
)

func (d storeSync) Desk() string { return d.s.DeskID() }

func (d storeSync) Pending(limit int) ([]upstream.Record, error) {
	es, err := d.s.Outbox(limit)
	if err != nil {
		return nil, err
	}
	out := make([]upstream.Record, len(es))
	for i, e := range es {
		out[i] = upstream.Record{Seq: e.Seq, Kind: e.Kind, ID: e.ID, Version: e.Version, At: e.At, Deleted: e.Deleted, Body: e.Body}
	}
	return out, nil
}

func (d storeSync) Ack(seq uint64) error { return d.s.AckOutbox(seq) }

func (d storeSync) Stats() (int, time.Time, error) { return d.s.OutboxStats() }

func (d storeSync) ApplyRemote(kind agent.Kind, id string, version int64, body []byte) (bool, error) {
	return d.s.ApplyRemote(kind, id, version, body)
}

func (d storeSync) RemoveRemote(kind agent.Kind, id string, version int64) (bool, error) {
	return d.s.RemoveRemote(kind, id, version)
}

func (d storeSync) Cursor(name string) (int64, error) { return d.s.SyncCursor(name) }

func (d storeSync) SetCursor(name string, v int64) error { return d.s.SetSyncCursor(name, v) }

func (d storeSync) PackID(lang string) (int64, error) {
	p, err := d.s.LatestPack(lang)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return p.ID, err
}

func (d storeSync) SavePack(p upstream.Pack) error {
	return d.s.SavePack(store.StoredPack{ID: p.ID, Lang: p.Lang, Name: p.Name, Data: p.Data, PublishedAt: p.PublishedAt})
}
