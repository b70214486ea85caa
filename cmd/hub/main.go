// Command hub is the upstream server desks sync with: HTTP and JSON over
// PostgreSQL. This file is flags and wiring; the backend is package
// agent/hub, the protocol package agent/upstream. It is stateless, so
// several hubs can serve one database behind a load balancer; migrations
// are applied at start under an advisory lock.
//
//	hub --pg DSN --listen ADDR [--tls-cert FILE --tls-key FILE]
//	hub token add --pg DSN --role agent|supervisor|trainer --name NAME [--desk DESK]
//	hub token revoke --pg DSN --name NAME
//
// Agent tokens belong to one desk: give --desk when making the token, or the
// token is bound to the first desk that pushes with it. Load figures come
// from tools/hubbench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // the hotline's zone, on a machine without zone data too

	"agentdesk/agent/hub"
	"agentdesk/agent/upstream"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, log))
}

func run(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	var err error
	switch {
	case len(args) >= 2 && args[0] == "token" && args[1] == "add":
		err = tokenAdd(args[2:], stdout)
	case len(args) >= 2 && args[0] == "token" && args[1] == "revoke":
		err = tokenRevoke(args[2:], stdout)
	case len(args) >= 1 && args[0] == "serve":
		err = serve(args[1:], log)
	default:
		err = serve(args, log)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "usage:\n  hub --pg DSN --listen ADDR [--tls-cert FILE --tls-key FILE]\n  hub token add --pg DSN --role agent|supervisor|trainer --name NAME [--desk DESK]\n  hub token revoke --pg DSN --name NAME")
		return 2
	default:
		fmt.Fprintln(stderr, "hub:", err)
		return 1
	}
}

var errUsage = errors.New("usage")

func serve(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	dsn := fs.String("pg", os.Getenv("AGENTDESK_HUB_PG"), "PostgreSQL connection string")
	listen := fs.String("listen", "127.0.0.1:8470", "address to listen on")
	cert := fs.String("tls-cert", "", "TLS certificate file (PEM)")
	key := fs.String("tls-key", "", "TLS key file (PEM)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || fs.NArg() > 0 || (*cert == "") != (*key == "") {
		return errUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := hub.Open(ctx, *dsn, hub.WithLogger(log))
	if err != nil {
		return err
	}
	defer db.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := newHTTPServer(db, log)
	// Requests inherit the signal context, so open streams end on shutdown
	// instead of holding it up.
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	log.Info("hub listening", "component", "hub", "addr", ln.Addr().String(), "tls", *cert != "")
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
func newHTTPServer(db *hub.DB, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           hub.NewHandler(db),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func tokenAdd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hub token add", flag.ContinueOnError)
	dsn := fs.String("pg", os.Getenv("AGENTDESK_HUB_PG"), "PostgreSQL connection string")
	role := fs.String("role", "", "agent, supervisor or trainer")
	name := fs.String("name", "", "who the token is for")
	desk := fs.String("desk", "", "agent tokens: the desk ID it belongs to (default: the first desk that pushes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || *role == "" || *name == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(*dsn, func(ctx context.Context, db *hub.DB) error {
		tok, err := db.NewToken(ctx, upstream.Role(*role), *name, *desk)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, tok)
		return err
	})
}

// withAdminDB opens the database quietly for one short administrative
// command (token add, token revoke), bounded to 30 s, and closes it after fn.
func withAdminDB(dsn string, fn func(ctx context.Context, db *hub.DB) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := hub.Open(ctx, dsn, hub.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(ctx, db)
}

func tokenRevoke(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("hub token revoke", flag.ContinueOnError)
	dsn := fs.String("pg", os.Getenv("AGENTDESK_HUB_PG"), "PostgreSQL connection string")
	name := fs.String("name", "", "revoke every live token made with this name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || *name == "" || fs.NArg() > 0 {
		return errUsage
	}
	return withAdminDB(*dsn, func(ctx context.Context, db *hub.DB) error {
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
