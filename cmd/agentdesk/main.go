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
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/ui"
	"agentdesk/cmd/internal/logfile"
	"agentdesk/cmd/internal/shift"
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

// runDesk runs the window until it closes: the sign-in screen first when
// agents sign in per shift (a hub is configured), else the desk of the
// config's agent at once.
func runDesk(a fyne.App, cfg desk.Config, cfgPath string, log *slog.Logger) error {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("data folder %s: %w", cfg.Data, err)
	}
	p := &program{a: a, cfg: cfg, cfgPath: cfgPath, log: log}
	var first *session
	if cfg.SignInRequired() {
		g, err := shift.New(cfg, nil, log)
		if err != nil {
			return err
		}
		p.gate = g
	} else {
		var err error
		if first, err = p.openSession(nil, ""); err != nil {
			return err
		}
	}
	p.w = a.NewWindow("agentdesk")
	p.w.Resize(fyne.NewSize(1280, 720))
	if first != nil {
		p.show(first)
	} else {
		p.showSignIn("", "")
	}
	// A terminal's Ctrl+C, a session logout or a service stop closes the
	// window the way its close button does: the data file closes cleanly.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-sigs:
			log.Info("stopping on signal", "signal", sig.String())
			fyne.Do(a.Quit)
		case <-done:
		}
	}()
	a.Lifecycle().SetOnStarted(func() {
		log.Info("window shown")
		if first != nil {
			first.start(log)
		}
	})
	p.w.ShowAndRun()
	p.closeCurrent()
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
