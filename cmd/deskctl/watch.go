package main

import (
	"context"
	"encoding/json"
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
	"agentdesk/scripts"
	"agentdesk/telephony"
	"agentdesk/telephony/practice"
)

func init() {
	register(&command{
		name:    "watch",
		usage:   "[--config FILE] [--json] [--pbx sip:HOST:PORT --user EXT --password PW] [--transport udp|tcp|tls] [--proxy sip:HOST:PORT] [--practice SCENARIO|default] [--lang zh-Hans|zh-Hant|en] [--data DIR] [--answer-after DURATION] [--input NAME] [--output NAME] [--ring NAME] [--recordings DIR]",
		summary: "register as the desk would and print every phone event (JSON lines with --json); --answer-after answers with audio",
		run: func(e *env, args []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return watch(ctx, e, args)
		},
	})
}

// watch runs the desk's pop pipeline without a window until ctx ends, then
// closes the phone (unregistering from the PBX) and returns nil.
func watch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("deskctl watch", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	configPath := fs.String("config", desk.DefaultConfigPath(), "the desk's config file")
	asJSON := fs.Bool("json", false, "print one JSON object per line per event")
	pbx := fs.String("pbx", "", "the PBX, sip:HOST:PORT (overrides the config)")
	user := fs.String("user", "", "the extension to register")
	password := fs.String("password", "", "the SIP password")
	transport := fs.String("transport", "", "udp, tcp or tls")
	proxy := fs.String("proxy", "", "outbound proxy, sip:HOST:PORT")
	scenario := fs.String("practice", "", "run the practice phone with this scenario file (\"default\": the embedded one)")
	lang := fs.String("lang", "", "language of the opening lines: zh-Hans, zh-Hant or en")
	data := fs.String("data", "", "the desk's data directory")
	answerAfter := fs.Duration("answer-after", 0, "answer each inbound call after this delay, with audio on the sound devices")
	devs := addAudioFlags(fs)
	recordings := fs.String("recordings", "", "record answered calls (stereo WAV) into this folder")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *answerAfter < 0 {
		return fmt.Errorf("--answer-after %s: want a delay of 0 or more", *answerAfter)
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	cfg, err := desk.LoadConfig(*configPath)
	if err != nil {
		return err
	}
	for name, v := range map[string]string{"pbx": *pbx, "user": *user, "transport": *transport, "proxy": *proxy, "lang": *lang, "data": *data} {
		if v == "" {
			continue
		}
		switch name {
		case "pbx":
			cfg.PBX.URI = v
		case "user":
			cfg.PBX.User = v
		case "transport":
			cfg.PBX.Transport = v
		case "proxy":
			cfg.PBX.Proxy = v
		case "lang":
			cfg.Lang = v
		case "data":
			cfg.Data = v
		}
	}
	if *password != "" {
		cfg.PBX.Password = desk.Secret(*password)
	}
	if *scenario != "" {
		cfg.PBX.Scenario = *scenario
	}
	usePractice := *scenario != "" || cfg.PBX.URI == ""
	if !usePractice && cfg.PBX.User == "" {
		return fmt.Errorf("--pbx %s needs --user", cfg.PBX.URI)
	}
	switch cfg.PBX.Transport {
	case "", "udp", "tcp", "tls":
	default:
		return fmt.Errorf("--transport %q: want udp, tcp or tls", cfg.PBX.Transport)
	}

	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pack, err := greetPack(cfg.Pack, cfg.Lang, cfg.Data)
	if err != nil {
		return err
	}
	var sc *practice.Scenario
	if usePractice {
		if sc, err = loadScenario(cfg.PBX.Scenario); err != nil {
			return err
		}
	}
	st, err := store.Open(filepath.Join(cfg.Data, "desk.db"), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	clock := agent.SystemClock{}
	if sc != nil {
		// The practice callers that stand for known customers pop as known.
		if _, err := desk.SeedCustomers(st, practiceCustomers(sc), clock.Now()); err != nil {
			return err
		}
	}
	d, err := desk.New(desk.Options{Store: st, Packs: map[string]*scripts.Pack{cfg.Lang: pack},
		Practice: sc != nil, Clock: clock, Logger: log, Config: cfg})
	if err != nil {
		return err
	}
	out := &watchPrinter{w: e.stdout, json: *asJSON}
	d.Watch(out.print)
	if *answerAfter > 0 {
		answering := autoAnswer(ctx, d, *answerAfter, e.stderr)
		defer answering.Wait()
	}

	var phone desk.Phone
	if sc != nil {
		fmt.Fprintf(e.stderr, "deskctl watch: practice phone (%s); no PBX is used\n", scenarioName(cfg.PBX.Scenario))
		p := practice.New(sc, d)
		phone = p
		d.SetPhone(p)
		p.Start()
	} else {
		ac := devs.config()
		ua, err := telephony.New(telephony.Config{
			PBX: cfg.PBX.URI, User: cfg.PBX.User, Password: string(cfg.PBX.Password),
			Transport: cfg.PBX.Transport, OutboundProxy: cfg.PBX.Proxy, Companion: cfg.PBX.Companion,
			Input: ac.Input, Output: ac.Output, Ring: ac.Ring, Recordings: *recordings,
		}, audioNotes{next: d, w: e.stderr}, telephony.WithLogger(log))
		if err != nil {
			d.Close()
			return err
		}
		if err := ua.Start(ctx); err != nil {
			d.Close()
			return err
		}
		phone = ua
		d.SetPhone(ua)
	}
	<-ctx.Done()
	cerr := phone.Close() // unregisters; its last events still print
	d.Close()
	if cerr != nil {
		return fmt.Errorf("close phone: %w", cerr)
	}
	return out.err()
}

// watchPrinter writes WatchEvents, one per line.
type watchPrinter struct {
	mu    sync.Mutex
	w     io.Writer
	json  bool
	first error
}

func (p *watchPrinter) print(ev desk.WatchEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if p.json {
		enc := json.NewEncoder(p.w)
		enc.SetEscapeHTML(false)
		err = enc.Encode(ev)
	} else {
		err = printWatchLine(p.w, ev)
	}
	if err != nil && p.first == nil {
		p.first = fmt.Errorf("write event: %w", err)
	}
}

func (p *watchPrinter) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.first
}

// printWatchLine is the human form: time, event, number, who, line.
func printWatchLine(w io.Writer, ev desk.WatchEvent) error {
	parts := []string{ev.At.Format("15:04:05"), ev.Event}
	if ev.Number != "" {
		parts = append(parts, ev.Number)
	}
	switch {
	case ev.Customer != nil:
		parts = append(parts, ev.Customer.Name)
	case ev.DisplayName != "":
		parts = append(parts, ev.DisplayName)
	}
	if ev.Reason != "" {
		parts = append(parts, "("+ev.Reason+")")
	}
	if ev.Event == "ringing" && ev.Opening != "" {
		parts = append(parts, "— "+ev.Opening)
	}
	_, err := fmt.Fprintln(w, strings.Join(parts, "  "))
	return err
}

func loadScenario(name string) (*practice.Scenario, error) {
	if name == "" || name == "default" {
		return practice.Default(), nil
	}
	return practice.LoadFile(name)
}

func scenarioName(name string) string {
	if name == "" || name == "default" {
		return "embedded default scenario"
	}
	return name
}

// practiceCustomers are the customer records a scenario's known callers
// stand for.
func practiceCustomers(sc *practice.Scenario) []agent.Customer {
	var out []agent.Customer
	for _, c := range sc.Callers {
		if c.Customer == nil || c.Number == "" {
			continue
		}
		title, err := agent.ParseTitle(c.Customer.Title)
		if err != nil {
			title = agent.TitleNone
		}
		out = append(out, agent.Customer{
			Name: c.Customer.Name, Surname: c.Customer.Surname, Title: title, Phones: []string{c.Number},
			Member: c.Customer.Member, Level: c.Customer.Level, Area: c.Customer.Area, Notes: c.Customer.Notes,
		})
	}
	return out
}

// autoAnswer answers each inbound call that rings after delay (for
// operations and tests); its audio runs on the sound devices the phone was
// given. Errors go to w. Wait returns once no answer is pending.
func autoAnswer(ctx context.Context, d *desk.Desk, delay time.Duration, w io.Writer) *sync.WaitGroup {
	var wg sync.WaitGroup
	var mu sync.Mutex
	d.Watch(func(ev desk.WatchEvent) {
		if ev.Event != "ringing" || ev.Direction != telephony.Inbound.String() || ev.CallID == "" {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := d.Answer(ev.CallID); err != nil {
				mu.Lock()
				fmt.Fprintf(w, "deskctl watch: answer %s: %v\n", ev.CallID, err)
				mu.Unlock()
			}
		}()
	})
	return &wg
}

// audioNotes passes every phone event to the desk and says on stderr what
// the desk does not print: a sound device missing or back, a recording
// saved or failed.
type audioNotes struct {
	next telephony.Emitter
	w    io.Writer
	cmd  string // the command saying it ("watch" when empty)
}

func (a audioNotes) Emit(e telephony.Event) {
	a.next.Emit(e)
	var line string
	switch e.Kind {
	case telephony.EventAudio:
		line = "sound: " + e.Reason
	case telephony.EventRecording:
		if r := e.Recording; r != nil {
			line = fmt.Sprintf("recording of %s saved: %s (%s, %d channels)", e.CallID, r.Path, r.Duration.Round(time.Millisecond), r.Channels)
		}
	case telephony.EventRecordingFailed:
		line = fmt.Sprintf("recording of %s failed: %s", e.CallID, e.Reason)
	default:
		return
	}
	// Emit must not block: stderr is a terminal or a pipe someone reads.
	cmd := a.cmd
	if cmd == "" {
		cmd = "watch"
	}
	go fmt.Fprintf(a.w, "deskctl %s: %s\n", cmd, line)
}
