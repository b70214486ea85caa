// Command hub is the upstream server desks sync with: HTTP and JSON over
// PostgreSQL. This file is flags and wiring; the backend is package
// agent/hub, the protocol package agent/upstream. It is stateless, so
// several hubs can serve one database behind a load balancer; migrations
// are applied at start under an advisory lock.
//
//	hub --pg DSN --listen ADDR [--tls-cert FILE --tls-key FILE] [--key-file FILE]
//	    [--shift 12h] [--offline-ttl 7d] [--board-full-numbers] [--trusted-proxy CIDR,…]
//	hub token add --pg DSN --role agent|supervisor|trainer|wallboard --name NAME [--desk DESK] [--ttl 90d]
//	hub token revoke --pg DSN --name NAME
//	hub agent add --pg DSN --number N --name NAME --role agent|supervisor|trainer [--sip-user U]   (PIN, then the SIP password, on stdin)
//	hub agent pin --pg DSN --number N                                                              (the new PIN on stdin)
//	hub agent disable --pg DSN --number N
//	hub key --pg DSN                                                                               (the public key desks pin)
//	hub callbacks plan --pg DSN [--at RFC3339]                                                     (the plan as JSON)
//	hub callbacks report --pg DSN --from YYYY-MM-DD --to YYYY-MM-DD [--agent N]                    (the 回访总结报告 as JSON)
//	hub settings set --pg DSN --file settings.toml|.json                                           (the stored settings as JSON)
//	hub settings show --pg DSN
//	hub recordings purge --pg DSN [--at RFC3339]                                                   (deletes audio past the retention)
//	hub bench board --pg DSN [--desks 500] [--supervisors 20] [--duration 30s] [--every 5s]       (a scratch database)
//
// The hub plans member callbacks by itself when it starts and whenever the
// center day changes (in the center's zone); `hub callbacks plan` runs the
// same plan at once. Every member customer on the hub that no task covers
// gets one task, assigned by load to one agent of role agent; the desks of
// those agents pull them and push the outcomes. The center's settings
// (quiet hours, ring limit, reply times, after-call-work limit, callback
// days, warning stages, zone) are stored with `hub settings set`, checked
// first (a bad file is refused naming the setting, and nothing changes),
// applied by the hub's board and plan, and pulled by desks.
//
// Agent tokens belong to one desk: give --desk when making the token, or the
// token is bound to the first desk that pushes with it. Every token
// expires (--ttl, default 90 days; "d" counts days). The hub key (--key-file,
// or AGENTDESK_HUB_KEY as base64; 32 random bytes, e.g. from
// `head -c 32 /dev/urandom | base64`) seals the secrets the hub stores:
// give every hub command the same one. PINs and passwords are read from
// stdin, one a line, never from the command line. Load figures come from
// tools/hubbench, and the board's latency from hub bench board.
//
// The hub also serves the floor's wallboard, GET /wallboard?token=T (a
// supervisor's or a wallboard token; ?lang=zh-Hant|en), keeps calls'
// recordings uploaded by the desks in the database for supervisors, and
// deletes their audio after the center's recording_retention_days
// (default 90), checking every hour and with hub recordings purge.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the hotline's zone, on a machine without zone data too

	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, log))
}

const usage = `usage:
  hub --pg DSN --listen ADDR [--tls-cert FILE --tls-key FILE] [--key-file FILE]
      [--shift 12h] [--offline-ttl 7d] [--board-full-numbers] [--trusted-proxy CIDR,...]
  hub token add --pg DSN --role agent|supervisor|trainer|wallboard --name NAME [--desk DESK] [--ttl 90d]
  hub token revoke --pg DSN --name NAME
  hub agent add --pg DSN --number N --name NAME --role agent|supervisor|trainer [--sip-user U]  (stdin: PIN, then SIP password)
  hub agent pin --pg DSN --number N      (stdin: the new PIN)
  hub agent disable --pg DSN --number N
  hub key --pg DSN
  hub callbacks plan --pg DSN [--at RFC3339]
  hub callbacks report --pg DSN --from YYYY-MM-DD --to YYYY-MM-DD [--agent N]
  hub settings set --pg DSN --file settings.toml|settings.json
  hub settings show --pg DSN
  hub recordings purge --pg DSN [--at RFC3339]
  hub bench board --pg DSN [--desks 500] [--supervisors 20] [--duration 30s] [--every 5s]`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, log *slog.Logger) int {
	var err error
	sub := func(n int, words ...string) bool {
		if len(args) < n {
			return false
		}
		for i, w := range words {
			if args[i] != w {
				return false
			}
		}
		return true
	}
	switch {
	case sub(2, "token", "add"):
		err = tokenAdd(args[2:], stdout, stderr)
	case sub(2, "token", "revoke"):
		err = tokenRevoke(args[2:], stdout, stderr)
	case sub(2, "agent", "add"):
		err = agentAdd(args[2:], stdin, stdout, stderr)
	case sub(2, "agent", "pin"):
		err = agentPIN(args[2:], stdin, stdout, stderr)
	case sub(2, "agent", "disable"):
		err = agentDisable(args[2:], stdout, stderr)
	case sub(1, "key"):
		err = keyShow(args[1:], stdout, stderr)
	case sub(2, "callbacks", "plan"):
		err = callbacksPlan(args[2:], stdout, stderr)
	case sub(2, "callbacks", "report"):
		err = callbacksReport(args[2:], stdout, stderr)
	case sub(2, "settings", "set"):
		err = settingsSet(args[2:], stdout, stderr)
	case sub(2, "settings", "show"):
		err = settingsShow(args[2:], stdout, stderr)
	case sub(2, "recordings", "purge"):
		err = recordingsPurge(args[2:], stdout, stderr)
	case sub(2, "bench", "board"):
		err = benchBoard(args[2:], stdout, stderr)
	case sub(1, "serve"):
		err = serve(args[1:], stderr, log)
	case len(args) > 0 && (args[0] == "token" || args[0] == "agent" || args[0] == "callbacks" || args[0] == "settings" ||
		args[0] == "recordings" || args[0] == "bench"):
		err = errUsage
	default:
		err = serve(args, stderr, log)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, usage)
		return 2
	default:
		fmt.Fprintln(stderr, "hub:", err)
		return 1
	}
}

var errUsage = errors.New("usage")

// common are the flags every command has: the database and the hub key.
type common struct {
	dsn     *string
	keyFile *string
}

func commonFlags(fs *flag.FlagSet) common {
	return common{
		dsn:     fs.String("pg", os.Getenv("AGENTDESK_HUB_PG"), "PostgreSQL connection string"),
		keyFile: fs.String("key-file", "", "`FILE` holding the hub key that seals stored secrets (default: $AGENTDESK_HUB_KEY, base64)"),
	}
}

// hubKey is the hub key from --key-file, else AGENTDESK_HUB_KEY; nil if
// neither is set.
func (c common) hubKey() ([]byte, error) {
	if *c.keyFile != "" {
		return hub.ReadHubKeyFile(*c.keyFile)
	}
	if v := os.Getenv("AGENTDESK_HUB_KEY"); v != "" {
		k, err := hub.ParseHubKey([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("AGENTDESK_HUB_KEY: %w", err)
		}
		return k, nil
	}
	return nil, nil
}

// days parses a positive duration: whole days ("90d") or any
// time.ParseDuration text ("12h", "90m").
func days(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("duration %q: want N d or a Go duration (12h)", s)
		}
		return time.Duration(v) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("duration %q: want N d or a Go duration (12h)", s)
	}
	return d, nil
}

// durationFlag is a flag taking days() durations.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	switch {
	case f.d == nil:
		return ""
	case *f.d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(*f.d/(24*time.Hour)), 10) + "d"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := days(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// flagSet is a command's flags, its messages on stderr.
func flagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func serve(args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flagSet("hub", stderr)
	c := commonFlags(fs)
	listen := fs.String("listen", "127.0.0.1:8470", "address to listen on")
	cert := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	key := fs.String("tls-key", "", "TLS key file (PEM)")
	shift := upstream.DefaultShift
	fs.Var(durationFlag{&shift}, "shift", "how long a sign-in's session lasts (a center setting)")
	offline := upstream.DefaultOfflineTTL
	fs.Var(durationFlag{&offline}, "offline-ttl", "how long a desk may check an agent's PIN offline after an online sign-in (a center setting)")
	full := fs.Bool("board-full-numbers", false, "supervisors see callers' full numbers on the board (wallboards never do)")
	proxies := fs.String("trusted-proxy", "", "comma-separated `CIDRS` of proxies whose X-Forwarded-For is believed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || fs.NArg() > 0 || (*cert == "") != (*key == "") {
		return errUsage
	}
	var trusted []netip.Prefix
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxy %q: want an address or a CIDR", p)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		trusted = append(trusted, pfx)
	}
	hk, err := c.hubKey()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := hub.Open(ctx, *c.dsn, hub.WithLogger(log), hub.WithHubKey(hk), hub.WithShift(shift), hub.WithOfflineTTL(offline))
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	planDone := make(chan struct{})
	go func() { defer close(planDone); db.RunCallbackPlan(ctx) }()
	retainDone := make(chan struct{})
	go func() { defer close(retainDone); db.RunRetention(ctx) }()
	defer func() { stop(); <-planDone; <-retainDone }()
	opts := []upstream.ServerOption{upstream.WithTrustedProxies(trusted...)}
	if *full {
		opts = append(opts, upstream.WithFullNumbers(upstream.RoleSupervisor))
	}
	srv := newHTTPServer(db, log, opts...)
	// Requests inherit the signal context, so open streams end on shutdown
	// instead of holding it up.
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	log.Info("hub listening", "component", "hub", "addr", ln.Addr().String(), "tls", *cert != "", "sealed", hk != nil,
		"shift", shift, "offline_ttl", offline, "hub_key_id", upstream.KeyID(db.SigningKey()))
	if *cert == "" && len(trusted) == 0 {
		log.Warn("serving plain HTTP: tokens and agents' PINs cross the network in the clear; give --tls-cert and --tls-key, or serve behind a TLS proxy (--trusted-proxy)", "component", "hub")
	}
	errc := make(chan error, 1)
	go func() {
		if *cert != "" {
			errc <- srv.ServeTLS(ln, *cert, *key)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newHTTPServer serves the hub's handler over db with the hub's limits.
func newHTTPServer(db *hub.DB, log *slog.Logger, opts ...upstream.ServerOption) *http.Server {
	return &http.Server{
		Handler:           hub.NewHandler(db, opts...),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func tokenAdd(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub token add", stderr)
	c := commonFlags(fs)
	role := fs.String("role", "", "agent, supervisor, trainer or wallboard")
	name := fs.String("name", "", "who the token is for")
	desk := fs.String("desk", "", "agent tokens: the desk ID it belongs to (default: the first desk that pushes)")
	ttl := upstream.DefaultTokenTTL
	fs.Var(durationFlag{&ttl}, "ttl", "how long the token lasts (90d, 12h…)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *role == "" || *name == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		tok, exp, err := db.IssueToken(ctx, hub.TokenSpec{Role: upstream.Role(*role), Name: *name, Desk: *desk, TTL: ttl})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(stdout, tok); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stderr, "token for %s (%s) expires %s\n", *name, *role, exp.Format(time.RFC3339))
		return err
	})
}

// withAdminDB opens the database quietly for one short administrative
// command, bounded to 30 s, with the hub key and the system user named in
// the audit, and closes it after fn.
func withAdminDB(c common, fn func(ctx context.Context, db *hub.DB) error) error {
	return withAdminDBFor(c, 30*time.Second, fn)
}

// withAdminDBFor is withAdminDB bounded to limit.
func withAdminDBFor(c common, limit time.Duration, fn func(ctx context.Context, db *hub.DB) error) error {
	hk, err := c.hubKey()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	who := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	db, err := hub.Open(ctx, *c.dsn, hub.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), hub.WithHubKey(hk),
		hub.WithAdmin("hub cli ("+who+")"))
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(ctx, db)
}

func tokenRevoke(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub token revoke", stderr)
	c := commonFlags(fs)
	name := fs.String("name", "", "revoke every live token made with this name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *name == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		n, err := db.RevokeTokens(ctx, *name)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no live token named %q", *name)
		}
		_, err = fmt.Fprintf(stdout, "revoked %d token(s)\n", n)
		return err
	})
}

// secretLines reads n lines from r (a PIN, a password), each without its
// line end; a line missing or empty is an error naming what.
func secretLines(r io.Reader, what ...string) ([]string, error) {
	br := bufio.NewReader(r)
	out := make([]string, len(what))
	for i, w := range what {
		line, err := br.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("read %s from stdin: %w", w, err)
			}
			return nil, fmt.Errorf("stdin: line %d should hold the %s", i+1, w)
		}
		out[i] = line
	}
	return out, nil
}

func agentAdd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet("hub agent add", stderr)
	c := commonFlags(fs)
	number := fs.String("number", "", "the agent's work number")
	name := fs.String("name", "", "the agent's name")
	role := fs.String("role", "agent", "agent, supervisor or trainer")
	sipUser := fs.String("sip-user", "", "the agent's own SIP user; its password is the second line of stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *number == "" || *name == "" || fs.NArg() > 0 {
		return errUsage
	}
	what := []string{"PIN"}
	if *sipUser != "" {
		what = append(what, "SIP password")
	}
	lines, err := secretLines(stdin, what...)
	if err != nil {
		return err
	}
	a := hub.AgentSpec{Number: *number, Name: *name, Role: upstream.Role(*role), PIN: lines[0], SIPUser: *sipUser}
	if *sipUser != "" {
		a.SIPPassword = lines[1]
	}
	if err := hub.CheckPIN(a.PIN); err != nil {
		return err // before the database is touched
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		if err := db.AddAgent(ctx, a); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "agent %s (%s, %s) added\n", a.Number, a.Name, a.Role)
		return err
	})
}

func agentPIN(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flagSet("hub agent pin", stderr)
	c := commonFlags(fs)
	number := fs.String("number", "", "the agent's work number")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *number == "" || fs.NArg() > 0 {
		return errUsage
	}
	lines, err := secretLines(stdin, "new PIN")
	if err != nil {
		return err
	}
	if err := hub.CheckPIN(lines[0]); err != nil {
		return err
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		if err := db.SetPIN(ctx, *number, lines[0]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "PIN of agent %s changed\n", *number)
		return err
	})
}

func agentDisable(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub agent disable", stderr)
	c := commonFlags(fs)
	number := fs.String("number", "", "the agent's work number")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || *number == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		n, err := db.DisableAgent(ctx, *number)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "agent %s disabled; %d session(s) ended\n", *number, n)
		return err
	})
}

// keyShow prints the hub's signing key as desks pin it: its ID and the
// public key in base64.
func keyShow(args []string, stdout, stderr io.Writer) error {
	fs := flagSet("hub key", stderr)
	c := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *c.dsn == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(c, func(ctx context.Context, db *hub.DB) error {
		pub := db.SigningKey()
		_, err := fmt.Fprintf(stdout, "%s %s\n", upstream.KeyID(pub), base64.StdEncoding.EncodeToString(pub))
		return err
	})
}
