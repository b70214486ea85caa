// Command agentdesk is the hotline agent's desktop: it loads the config,
// opens the desk's store, picks the phone (the practice phone when no PBX is
// configured), and runs the window.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/scripts"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "agentdesk:", err)
		os.Exit(1)
	}
}

func run() error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfgPath := desk.DefaultConfigPath()
	cfg, err := desk.LoadConfig(cfgFlag(cfgPath))
	if err != nil {
		return err
	}
	opts := bindFlags(flag.CommandLine, &cfg)
	flag.String("config", cfgPath, "config file")
	flag.Parse()
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", cfg.Data, err)
	}
	st, err := store.Open(cfg.DataFile())
	if err != nil {
		return err
	}
	defer st.Close()
	packs, err := loadPacks(cfg)
	if err != nil {
		return err
	}
	clock := agent.SystemClock{} // the desk's clock, shared with the callback planner and the self-check
	d, err := desk.New(desk.Options{Store: st, Packs: packs, Practice: cfg.PBX.URI == "", Config: cfg, Logger: log, LogCalls: true, Clock: clock})
	if err != nil {
		return err
	}
	defer d.Close()
	// Opening the desk starts the shift: ready for calls.
	if err := d.SetAgentState(agent.StatusAvailable, agent.ReasonNone); err != nil {
		log.Warn("agent available", "error", err)
	}
	phone, err := openLine(cfg, st, d, log)
	if err != nil {
		return err
	}
	d.SetPhone(phone)
	defer phone.Close()
	b := newDeskBackend(d, st, packs, cfg, log)
	link, err := newHubLink(cfg, st, d, log)
	if err != nil {
		return err
	}
	b.setHub(link)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	link.start(ctx)
	defer link.stop() // before the store closes
	planner, err := newCallbackPlanner(cfg, st, clock, log)
	if err != nil {
		return err
	}
	planner.onPlan = b.refresh
	defer planner.start(ctx, time.Minute)() // before the store closes
	a := app.NewWithID("com.agentdesk.desk")
	a.SetIcon(ui.IconResource)
	w := a.NewWindow("agentdesk")
	w.Resize(fyne.NewSize(1280, 720))
	win := ui.NewWindow(a, w, b, ui.Options{
		Lang: cfg.Lang, Variant: ui.ParseVariant(opts.theme), Settings: settingsOf(cfg, opts.theme),
		SaveSettings: func(s ui.Settings) error { return desk.SaveConfig(*opts.config, applySettings(cfg, s)) },
		SelfCheck:    func() []ui.CheckResult { return shiftCheck(cfg, st, phone, link, clock) },
		Pack:         hubPack{packTools: packTools{hub: cfg.Hub.URL}, link: link},
		OnLang:       b.SetLang,
		Logger:       log,
	})
	stop := b.Subscribe(func(m ui.Model) { fyne.Do(func() { win.Apply(m) }) })
	defer stop()
	go tick(ctx, win)
	a.Lifecycle().SetOnStarted(func() {
		// Start-up garbage (packs, config, font tables) would otherwise sit
		// in RSS until the scavenger gets to it.
		time.AfterFunc(2*time.Second, debug.FreeOSMemory)
		if err := phone.start(ctx); err != nil {
			log.Error("phone start", "error", err)
		}
		if os.Getenv("AGENTDESK_READY") != "" {
			fmt.Fprintln(os.Stderr, "ready")
		}
	})
	if os.Getenv("AGENTDESK_DRIVE") != "" {
		go drive(ctx, b, win, log)
	}
	w.ShowAndRun()
	return nil
}

// tick redraws the ring and talk timers every second.
func tick(ctx context.Context, win *ui.Window) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			fyne.Do(func() { win.Tick(now) })
		}
	}
}

// loadPacks are the embedded packs, with the trainer's file (cfg.Pack) in
// place of its language's.
func loadPacks(cfg desk.Config) (map[string]*scripts.Pack, error) {
	packs := map[string]*scripts.Pack{}
	for _, l := range scripts.Langs() {
		p, err := scripts.Default(l)
		if err != nil {
			return nil, err
		}
		packs[l] = p
	}
	if cfg.Pack != "" {
		p, err := scripts.LoadFile(cfg.Pack)
		if err != nil {
			return nil, err
		}
		packs[p.Lang()] = p
	}
	return packs, nil
}
