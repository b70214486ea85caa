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
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/scripts"
	"agentdesk/telephony/practice"
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
	if cfg.PBX.URI != "" {
		return fmt.Errorf("pbx %s: the SIP phone is not wired into this build yet; clear pbx.uri to use the practice phone", cfg.PBX.URI)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", cfg.Data, err)
	}
	st, err := store.Open(cfg.DataFile())
	if err != nil {
		return err
	}
	defer st.Close()
	pack, err := loadPack(cfg)
	if err != nil {
		return err
	}

	sc := practice.Default()
	if cfg.PBX.Scenario != "" {
		if sc, err = practice.LoadFile(cfg.PBX.Scenario); err != nil {
			return err
		}
	}
	seedPractice(st, sc, time.Now(), log)
	d := newLocalDesk(cfg, st, pack, true, log)
	phone := practice.New(sc, d)
	d.phone = phone
	defer phone.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.run(ctx)

	a := app.NewWithID("com.agentdesk.desk")
	a.SetIcon(ui.IconResource)
	w := a.NewWindow("agentdesk")
	w.Resize(fyne.NewSize(1280, 720))
	win := ui.NewWindow(a, w, d, ui.Options{
		Lang: cfg.Lang, Variant: ui.ParseVariant(opts.theme), Settings: settingsOf(cfg, opts.theme),
		SaveSettings: func(s ui.Settings) error { return desk.SaveConfig(*opts.config, applySettings(cfg, s)) },
		SelfCheck:    func() []ui.CheckResult { return selfCheck(cfg, st, true) },
		Pack:         packTools{hub: cfg.Hub.URL},
		OnLang:       d.SetLang,
		Logger:       log,
	})
	stop := d.Subscribe(func(m ui.Model) { fyne.Do(func() { win.Apply(m) }) })
	defer stop()
	go tick(ctx, win)
	a.Lifecycle().SetOnStarted(func() {
		phone.Start()
		if os.Getenv("AGENTDESK_READY") != "" {
			fmt.Fprintln(os.Stderr, "ready")
		}
	})
	if os.Getenv("AGENTDESK_DRIVE") != "" {
		go drive(ctx, d, win, log)
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

func loadPack(cfg desk.Config) (*scripts.Pack, error) {
	if cfg.Pack != "" {
		return scripts.LoadFile(cfg.Pack)
	}
	return scripts.Default(cfg.Lang)
}
