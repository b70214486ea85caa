package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"agentdesk/agent"
	"agentdesk/agent/desk"
	"agentdesk/agent/store"
	"agentdesk/agent/store/seal"
	"agentdesk/agent/ui"
	"agentdesk/cmd/internal/hublink"
	"agentdesk/cmd/internal/shift"
	"agentdesk/telephony/audio"
)

// program is the running program: one window, and in it either the sign-in
// screen or one agent's session of the desk. A session is the data file
// opened for the shift, the desk, its phone, its hub link and the views;
// signing out closes them all (the data file locks again) and shows the
// sign-in screen for the next agent.
type program struct {
	a       fyne.App
	w       fyne.Window
	cfg     desk.Config
	cfgPath string
	log     *slog.Logger
	gate    *shift.Gate // nil: no sign-in, the config names the agent

	mu  sync.Mutex
	cur *session
}

// session is one agent's shift at the desk.
type session struct {
	st     *store.Store
	d      *desk.Desk
	phone  *line
	link   *hublink.Link
	win    *ui.Window
	stop   func() // the window's subscription
	ctx    context.Context
	cancel context.CancelFunc
	sh     *shift.Shift // nil without sign-in
}

// openSession opens the data file and makes the desk, its phone and hub
// link for sh's agent (sh nil: the config's). It blocks on disk (and the
// PIN's hashing when a slot is renewed): call it off the UI thread.
func (p *program) openSession(sh *shift.Shift, lang string) (*session, error) {
	cfg := p.cfg
	if lang != "" {
		cfg.Lang = lang
	}
	var st *store.Store
	var err error
	if sh != nil {
		cfg = shiftConfig(cfg, sh, p.log)
		st, err = p.gate.OpenStore(sh, store.WithLogger(p.log))
	} else {
		st, err = openDataFile(cfg, p.log)
	}
	if err != nil {
		return nil, err
	}
	s := &session{st: st, sh: sh}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := p.build(s, cfg); err != nil {
		s.close(p.log)
		return nil, err
	}
	return s, nil
}

// shiftConfig is the desk's config for sh's shift: the agent who signed
// in, their session token for the hub (their role there), and, with
// [pbx] per_agent, their own SIP account (the PC's when the hub gave none
// or the sign-in was offline).
func shiftConfig(cfg desk.Config, sh *shift.Shift, log *slog.Logger) desk.Config {
	cfg.AgentNumber, cfg.AgentName, cfg.Role = sh.Number, sh.Name, sh.Role
	if sh.Session != "" {
		cfg.Hub.Token = desk.Secret(sh.Session)
	}
	if cfg.PBX.PerAgent {
		if sh.SIP != nil {
			cfg.PBX.User, cfg.PBX.Password = sh.SIP.User, desk.Secret(sh.SIP.Password)
		} else {
			log.Warn("no SIP account of the agent's (offline, or none on the hub): registering with the PC's", "agent_number", sh.Number)
		}
	}
	return cfg
}

// build makes the desk, phone and link of s on its open data file.
func (p *program) build(s *session, cfg desk.Config) error {
	log := p.log
	packs, err := desk.LoadPacks(cfg, s.st, log)
	if err != nil {
		return err
	}
	// The practice scenario's customers are on file before the desk plans
	// its callbacks at start.
	sc, err := loadPractice(cfg, s.st, log)
	if err != nil {
		return err
	}
	if s.link, err = hublink.New(cfg, s.st, log); err != nil {
		return err
	}
	opts := desk.Options{Store: s.st, Packs: packs.Packs, PackInfo: packs.Info, Practice: cfg.PBX.URI == "",
		Config: cfg, Logger: log, LogCalls: true, PlanCallbacks: s.link == nil,
		Play: func(ctx context.Context, name string, wav []byte) error {
			return audio.PlayWAV(ctx, audio.Config{Output: cfg.Audio.Output}, name, wav, audio.WithLogger(log))
		},
		// The phone is made after the desk (the desk hears its events);
		// its self-check items are looked up when the check runs.
		Checks: []desk.Checker{func(ctx context.Context) []desk.Check {
			if s.phone == nil || s.phone.checks == nil {
				return nil
			}
			return s.phone.checks(ctx)
		}, sealCheck(s.st)}}
	if s.link != nil {
		opts.Hub = s.link
		// The center's rules as the hub last sent them, until it sends again.
		if c, ok := hublink.SavedCenter(cfg.Data); ok {
			opts.Center = &c
		}
	}
	if s.d, err = desk.New(opts); err != nil {
		return err
	}
	if s.phone, err = openLine(cfg, sc, s.d, log); err != nil {
		return err
	}
	// The phone itself, not the wrapper: the desk finds its optional
	// powers (recording, levels, monitoring) by type assertion.
	s.d.SetPhone(s.phone.Phone)
	if s.link != nil {
		s.link.Attach(s.d)
	}
	return nil
}

// sealCheck is the self-check's line on the data file's sealing.
func sealCheck(st *store.Store) desk.Checker {
	return func(context.Context) []desk.Check {
		if st.Sealed() {
			return []desk.Check{{Name: desk.CheckSealed, OK: true}}
		}
		return []desk.Check{{Name: desk.CheckSealed, Detail: "no OS keystore and no sign-in: the data file is not encrypted"}}
	}
}

// openDataFile opens the data file of a desk without sign-in, sealed for
// the OS user when the OS has a keystore (Windows DPAPI, the Secret
// Service), plain otherwise (the self-check says so).
func openDataFile(cfg desk.Config, log *slog.Logger) (*store.Store, error) {
	ks, err := seal.SystemKeystore()
	if err != nil {
		log.Warn("no OS keystore: the data file stays unencrypted", "error", err)
		st, err := store.Open(cfg.DataFile(), store.WithLogger(log))
		if errors.Is(err, store.ErrSealed) {
			return nil, errors.Join(err, errors.New("this data file is sealed and no OS keystore is here to open it: sign in through the hub"))
		}
		return st, err
	}
	if c, ok := ks.(io.Closer); ok {
		defer c.Close() // needed only to open the slot
	}
	return store.Open(cfg.DataFile(), store.WithLogger(log), store.WithUnlock(seal.OS{Keystore: ks}))
}

// show puts s's views into the window; call it on the Fyne goroutine.
func (p *program) show(s *session) {
	// The settings screen edits the config file's settings, never the
	// shift's (the agent, the session token, the agent's SIP account).
	opts := ui.Options{Lang: s.d.State().Lang, Variant: ui.ParseVariant(p.cfg.Theme), Config: p.cfg, Logger: p.log,
		SaveConfig: func(c desk.Config) error { return desk.SaveConfig(p.cfgPath, c) }}
	if s.sh != nil {
		id := s.sh.Identity
		opts.Identity, opts.Role = &id, id.Role
		opts.SignOut = func() error { p.signOut(s); return nil }
	}
	s.win = ui.NewWindow(p.a, p.w, s.d, opts)
	s.stop = s.win.Start()
	go tick(s.ctx, s.win)
	go meter(s.ctx, s.win, s.d)
	p.mu.Lock()
	p.cur = s
	p.mu.Unlock()
}

// start begins the shift: ready for calls. The phone and the hub start in
// the background: the window never waits on DNS, a PBX or the network.
func (s *session) start(log *slog.Logger) {
	go func() {
		if s.sh != nil && s.sh.Role == agent.RoleTrainer {
			return // a trainer's desk takes no calls
		}
		if err := s.d.SetAgentState(agent.StatusAvailable, agent.ReasonNone); err != nil {
			log.Warn("agent available", "error", err)
		}
		if err := s.phone.start(s.ctx); err != nil {
			log.Error("phone start", "error", err)
		}
	}()
	s.link.Start(s.ctx)
	// Start-up garbage (packs, config, font tables) would otherwise sit in
	// RSS until the scavenger gets to it.
	time.AfterFunc(2*time.Second, debug.FreeOSMemory)
}

// close ends the session: the window's subscription, the link (before the
// store), the phone (unregistered), the desk, the data file.
func (s *session) close(log *slog.Logger) {
	if s.stop != nil {
		s.stop()
	}
	s.cancel()
	s.link.Stop()
	if s.phone != nil {
		if err := s.phone.Close(); err != nil {
			log.Warn("phone close", "error", err)
		}
	}
	if s.d != nil {
		s.d.Close()
	}
	if err := s.st.Close(); err != nil {
		log.Warn("data file close", "error", err)
	}
}

// showSignIn puts the sign-in screen into the window; a good sign-in opens
// the agent's session.
func (p *program) showSignIn(notice, number string) {
	p.log.Info("sign-in screen shown")
	ui.ShowSignIn(p.a, p.w, ui.SignInOptions{Lang: p.cfg.Lang, Variant: ui.ParseVariant(p.cfg.Theme), Logger: p.log,
		Notice: notice, Number: number,
		SignIn: func(ctx context.Context, number, pin string) error {
			sh, err := p.gate.SignIn(ctx, number, pin)
			if err != nil {
				return err
			}
			s, err := p.openSession(sh, "")
			if err != nil {
				_ = p.gate.SignOut(context.Background(), sh)
				return err
			}
			fyne.Do(func() {
				p.show(s)
				s.start(p.log)
			})
			return nil
		}})
}

// signOut closes s and shows the sign-in screen (off the UI thread: the
// closing waits for the phone and the link).
func (p *program) signOut(s *session) {
	p.mu.Lock()
	if p.cur == s {
		p.cur = nil
	}
	p.mu.Unlock()
	number := s.sh.Number
	s.close(p.log)
	if err := p.gate.SignOut(context.Background(), s.sh); err != nil {
		p.log.Warn("sign out at the hub", "error", err)
	}
	fyne.Do(func() { p.showSignIn(ui.SignedOutNotice(p.cfg.Lang), number) })
}

// closeCurrent closes the session shown, if any (the window closed).
func (p *program) closeCurrent() {
	p.mu.Lock()
	s := p.cur
	p.cur = nil
	p.mu.Unlock()
	if s == nil {
		return
	}
	s.close(p.log)
	if s.sh != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := p.gate.SignOut(ctx, s.sh); err != nil {
			p.log.Warn("sign out at the hub", "error", err)
		}
	}
}
