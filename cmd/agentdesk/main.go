// Command agentdesk is the hotline agent's desktop: it loads the config,
// opens the desk's data file, picks the phone (the practice phone when no
// PBX is configured), connects the hub, and runs the window. It is wiring
// only: what the desk does lives in agent/desk, how it looks in agent/ui.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/cmd/internal/hublink"
	"agentdesk/cmd/internal/logfile"
)

func main() { os.Exit(run(os.Args[1:])) }

// logName is the desk's log file in its data folder.
const logName = "agentdesk.log"

func run(args []string) int {
	cfgPath := cfgFlag(args, desk.DefaultConfigPath())
	cfg, cfgErr := desk.LoadConfig(cfgPath)
	fs := flag.NewFlagSet("agentdesk", flag.ContinueOnError)
	bindFlags(fs, &cfg)
	fs.String("config", cfgPath, "config file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	a := app.NewWithID("com.agentdesk.desk")
	a.SetIcon(ui.IconResource)
	if cfgErr != nil {
		ui.ShowStartupError(a, cfg.Lang, "start.config", cfgErr.Error())
		return 1
	}
	log, closeLog := openLog(cfg)
	defer closeLog()
	log.Info("agentdesk starting", "config", cfgPath, "data", cfg.Data, "lang", cfg.Lang,
		"pbx", cfg.PBX.URI, "hub", cfg.Hub.URL, "pbx_password", cfg.PBX.Password, "hub_token", cfg.Hub.Token)
	if err := runDesk(a, cfg, cfgPath, log); err != nil {
		log.Error("start-up failed", "error", err)
		ui.ShowStartupError(a, cfg.Lang, startupMessage(err), err.Error())
		return 1
	}
	log.Info("agentdesk stopped")
	return 0
}

// startupMessage is the message id that explains a start-up failure.
func startupMessage(err error) string {
	switch {
	case errors.Is(err, store.ErrLocked):
		return "start.locked"
	case errors.Is(err, store.ErrNewerSchema):
		return "start.newer"
	}
	return "start.failed"
}

// openLog logs to the rotated file in the data folder (and to stderr,
// which a terminal user sees); without a writable data folder, to stderr
// only.
func openLog(cfg desk.Config) (*slog.Logger, func()) {
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if f, err := logfile.Open(filepath.Join(cfg.Data, logName), 0, 0); err == nil {
		w = io.MultiWriter(os.Stderr, f)
		closeFn = func() { f.Close() }
	} else {
		fmt.Fprintln(os.Stderr, "agentdesk: no log file:", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})), closeFn
}

// runDesk opens the data file, makes the desk, its phone and its hub link,
// and runs the window until it closes.
func runDesk(a fyne.App, cfg desk.Config, cfgPath string, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", cfg.Data, err)
	}
	st, err := store.Open(cfg.DataFile(), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	packs, err := desk.LoadPacks(cfg, st, log)
	if err != nil {
		return err
	}
	sc, err := loadPractice(cfg, st, log)
	if err != nil {
		return err
	}
	link, err := hublink.New(cfg, st, log)
	if err != nil {
		return err
	}
	// The phone is made after the desk (the desk hears its events); its
	// self-check items are looked up when the check runs.
	var phone *line
	opts := desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Practice: cfg.PBX.URI == "",
		Config: cfg, Logger: log, LogCalls: true, PlanCallbacks: link == nil,
		Checks: []desk.Checker{func(ctx context.Context) []desk.Check {
			if phone == nil || phone.checks == nil {
				return nil
			}
			return phone.checks(ctx)
		}}}
	if link != nil {
		opts.Hub = link
	}
	d, err := desk.New(opts)
	if err != nil {
		return err
	}
	defer d.Close()
	phone, err = openLine(cfg, sc, d, log)
	if err != nil {
		return err
	}
	defer phone.Close()
	// The phone itself, not the wrapper: the desk finds its optional
	// powers (recording, levels, monitoring) by type assertion.
	d.SetPhone(phone.Phone)
	if link != nil {
		link.Attach(d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	w := a.NewWindow("agentdesk")
	w.Resize(fyne.NewSize(1280, 720))
	win := ui.NewWindow(a, w, d, ui.Options{
		Lang: cfg.Lang, Variant: ui.ParseVariant(cfg.Theme), Config: cfg, Trainer: true, Logger: log,
		SaveConfig: func(c desk.Config) error { return desk.SaveConfig(cfgPath, c) },
	})
	defer win.Start()()
	go tick(ctx, win)
	go meter(ctx, win, d)
	// A terminal's Ctrl+C, a session logout or a service stop closes the
	// window the way its close button does: the data file closes cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			log.Info("stopping on signal", "signal", sig.String())
			fyne.Do(a.Quit)
		case <-ctx.Done():
		}
	}()
	a.Lifecycle().SetOnStarted(func() {
		log.Info("window shown")
		// Opening the desk starts the shift: ready for calls. The phone and
		// the hub start in the background: the window never waits on DNS,
		// a PBX or the network.
		go func() {
			if err := d.SetAgentState(agent.StatusAvailable, agent.ReasonNone); err != nil {
				log.Warn("agent available", "error", err)
			}
			if err := phone.start(ctx); err != nil {
				log.Error("phone start", "error", err)
			}
		}()
		if link != nil {
			link.Start(ctx)
		}
		// Start-up garbage (packs, config, font tables) would otherwise sit
		// in RSS until the scavenger gets to it.
		time.AfterFunc(2*time.Second, debug.FreeOSMemory)
	})
	w.ShowAndRun()
	link.Stop() // before the store closes
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

// meter shows the headset's levels five times a second while they move.
func meter(ctx context.Context, win *ui.Window, d *desk.Desk) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	var lastIn, lastOut float64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			in, out := d.Levels()
			if in == lastIn && out == lastOut {
				continue
			}
			lastIn, lastOut = in, out
			fyne.Do(func() { win.Meter(in, out) })
		}
	}
}
