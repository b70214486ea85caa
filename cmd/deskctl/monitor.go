package main

import (
	"bufio"
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
	"sync"
	"syscall"
	"time"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/cmd/internal/hublink"
	"agentdesk/telephony"
)

func init() {
	register(&command{
		name: "monitor",
		usage: "AGENT --mode listen|whisper|barge [--hub URL] [--token T] [--ca FILE] [--config FILE] " +
			"[--pbx sip:HOST:PORT --user EXT --password PW] [--input NAME] [--output NAME] [--for DURATION]",
		summary: "(supervisor) join AGENT's live call on this machine's headset; type listen, whisper, barge or end on stdin to switch or end",
		run: func(e *env, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return monitorCmd(ctx, e, args)
		},
	})
}

// registerTimeout bounds the wait for the supervisor's phone to register.
const registerTimeout = 20 * time.Second

// monitorLine is what monitor prints, one JSON object per change.
type monitorLine struct {
	State   string `json:"state"` // connecting, up, ended
	Session string `json:"session,omitempty"`
	Agent   string `json:"agent"`
	Mode    string `json:"mode,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// monitorCmd joins an agent's live call as the supervisor's desk does: the
// same desk code asks the hub (which checks the role and audits) and
// dials the agent's desk through the PBX with the hub's one-time token.
// Nothing is kept on disk: the desk runs on a scratch data file.
func monitorCmd(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("deskctl monitor", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	configPath := fs.String("config", desk.DefaultConfigPath(), "the desk's config `FILE` (PBX, sound devices, hub)")
	modeName := fs.String("mode", "listen", "listen, whisper or barge")
	hub := fs.String("hub", "", "hub base `URL` (default: the config's)")
	token := fs.String("token", "", "supervisor `TOKEN` (default: $AGENTDESK_HUB_TOKEN, then the config)")
	ca := fs.String("ca", "", "PEM `FILE` of the CA that signed the hub's certificate")
	pbx := fs.String("pbx", "", "the PBX, sip:HOST:PORT (overrides the config)")
	user := fs.String("user", "", "the supervisor's extension")
	password := fs.String("password", "", "the SIP password")
	span := fs.Duration("for", 0, "end the session after this long (0: when the call ends, \"end\" is typed or the process is interrupted)")
	devs := addAudioFlags(fs)
	pos, err := parseCaseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		return errUsage
	}
	who := strings.TrimSpace(pos[0])
	mode, err := telephony.ParseMonitorMode(*modeName)
	if err != nil {
		return fmt.Errorf("--mode: %w", err)
	}
	cfg, err := desk.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	if *hub != "" {
		cfg.Hub.URL = *hub
	}
	switch {
	case *token != "":
		cfg.Hub.Token = desk.Secret(*token)
	case os.Getenv("AGENTDESK_HUB_TOKEN") != "":
		cfg.Hub.Token = desk.Secret(os.Getenv("AGENTDESK_HUB_TOKEN"))
	}
	if *ca != "" {
		cfg.Hub.CA = *ca
	}
	if *pbx != "" {
		cfg.PBX.URI = *pbx
	}
	if *user != "" {
		cfg.PBX.User = *user
	}
	if *password != "" {
		cfg.PBX.Password = desk.Secret(*password)
	}
	if cfg.Hub.URL == "" || cfg.Hub.Token == "" {
		return fmt.Errorf("monitor needs the hub: --hub URL and --token T (or the config's [hub])")
	}
	if cfg.PBX.URI == "" || cfg.PBX.User == "" {
		return fmt.Errorf("monitor needs this desk's PBX account: --pbx and --user (or the config's [pbx])")
	}
	cfg.Role = agent.RoleSupervisor
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	scratch, err := os.MkdirTemp("", "deskctl-monitor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	cfg.Data = scratch
	st, err := store.Open(filepath.Join(scratch, "desk.db"), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	link, err := hublink.New(cfg, st, log)
	if err != nil {
		return err
	}
	packs, err := desk.LoadPacks(desk.Config{}, st, log)
	if err != nil {
		return err
	}
	d, err := desk.New(desk.Options{Store: st, Packs: packs.Packs, PackInfo: packs.Info, Config: cfg, Hub: link, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()
	out := &monitorPrinter{w: e.stdout, agent: who}
	views := make(chan desk.View, 64)
	cancelSub := d.SubscribeView(func(v desk.View) {
		select {
		case views <- v:
		default:
		}
	})
	defer cancelSub()

	ac := devs.config()
	if ac.Input == "" {
		ac.Input = cfg.Audio.Input
	}
	if ac.Output == "" {
		ac.Output = cfg.Audio.Output
	}
	ua, err := telephony.New(telephony.Config{
		PBX: cfg.PBX.URI, User: cfg.PBX.User, Password: string(cfg.PBX.Password),
		Transport: cfg.PBX.Transport, OutboundProxy: cfg.PBX.Proxy, CAFile: cfg.PBX.CA,
		Input: ac.Input, Output: ac.Output, Ring: ac.Ring,
	}, audioNotes{next: d, w: e.stderr, cmd: "monitor"}, telephony.WithLogger(log))
	if err != nil {
		return err
	}
	defer ua.Close()
	d.SetPhone(ua)
	if err := ua.Start(ctx); err != nil {
		return err
	}
	if err := waitRegistered(ctx, d, views); err != nil {
		return err
	}
	out.print(monitorLine{State: "connecting", Agent: who, Mode: mode.String()})
	if _, err := d.Monitor(ctx, who, mode); err != nil {
		return err
	}

	cmds := make(chan string)
	go readCommands(e.stdin, cmds)
	var deadline <-chan time.Time
	if *span > 0 {
		deadline = time.After(*span)
	}
	end := func() error {
		ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		defer cancel()
		if err := d.EndMonitor(ectx); err != nil && !errors.Is(err, desk.ErrNotSupervising) {
			return err
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return end()
		case <-deadline:
			if err := end(); err != nil {
				return err
			}
			return out.wait(views)
		case c, ok := <-cmds:
			if !ok {
				cmds = nil // stdin closed: keep listening
				continue
			}
			if c == "end" {
				if err := end(); err != nil {
					return err
				}
				return out.wait(views)
			}
			m, err := telephony.ParseMonitorMode(c)
			if err != nil {
				fmt.Fprintf(e.stderr, "deskctl monitor: %q: type listen, whisper, barge or end\n", c)
				continue
			}
			if err := d.SwitchMonitor(ctx, m); err != nil {
				fmt.Fprintf(e.stderr, "deskctl monitor: switch to %s: %v\n", m, err)
			}
		case v := <-views:
			if out.show(v) {
				return nil // the session ended (with the call, or the hub)
			}
		}
	}
}

// waitRegistered waits for the supervisor's phone to register.
func waitRegistered(ctx context.Context, d *desk.Desk, views <-chan desk.View) error {
	timeout := time.After(registerTimeout)
	for {
		if v := d.View(); v.Line.Status == desk.RegRegistered {
			return nil
		} else if v.Line.Status == desk.RegFailing {
			return fmt.Errorf("register with the PBX: %s", v.Line.Reason)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout:
			return fmt.Errorf("register with the PBX: no answer in %s", registerTimeout)
		case <-views:
		}
	}
}

// readCommands passes stdin's lines on, trimmed and lower-cased.
func readCommands(r io.Reader, to chan<- string) {
	defer close(to)
	if r == nil {
		return
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if c := strings.ToLower(strings.TrimSpace(sc.Text())); c != "" {
			to <- c
		}
	}
}

// monitorPrinter prints the session's changes as JSON lines.
type monitorPrinter struct {
	mu    sync.Mutex
	w     io.Writer
	agent string
	last  monitorLine
}

func (p *monitorPrinter) print(l monitorLine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l == p.last {
		return
	}
	p.last = l
	enc := json.NewEncoder(p.w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(l)
}

// show prints v's session and reports whether it is over.
func (p *monitorPrinter) show(v desk.View) bool {
	s := v.Supervision
	if s == nil {
		return false
	}
	l := monitorLine{Session: s.Session, Agent: p.agent, Mode: s.Mode.String()}
	switch {
	case s.Ended:
		l.State, l.Reason = "ended", s.Reason
	case s.Up:
		l.State = "up"
	default:
		l.State = "connecting"
	}
	p.print(l)
	return s.Ended
}

// wait prints views until the session shows ended (bounded).
func (p *monitorPrinter) wait(views <-chan desk.View) error {
	timeout := time.After(10 * time.Second)
	for {
		select {
		case v := <-views:
			if p.show(v) {
				return nil
			}
		case <-timeout:
			return nil
		}
	}
}
