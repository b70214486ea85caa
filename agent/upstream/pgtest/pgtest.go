// Package pgtest starts a throwaway PostgreSQL 15 cluster for tests: initdb
// into a temporary directory, the server listening only on a unix socket in
// that directory, one fresh database per test, everything stopped and
// removed when the test binary ends.
//
// Tests that need it are gated: with AGENTDESK_INTEGRATION=1 a missing
// PostgreSQL fails the test; otherwise the test is skipped. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
//
//	func TestX(t *testing.T) { dsn := pgtest.New(t) ... }
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BinDir is where the PostgreSQL 15 server binaries are looked for.
// PGTEST_BINDIR overrides it.
var BinDir = "/usr/lib/postgresql/15/bin"

// Integration reports whether AGENTDESK_INTEGRATION=1, in which case a
// missing PostgreSQL is a failure rather than a skip.
func Integration() bool { return os.Getenv("AGENTDESK_INTEGRATION") == "1" }

// Cluster is a running throwaway server.
type Cluster struct {
	dir    string
	socket string
	runAs  string // "" = the current user
	dbs    atomic.Int64
}

var (
	shared     *Cluster
	sharedErr  error
	sharedOnce sync.Once
)

// Run runs the package's tests and then stops the shared cluster if any
// test started it. Call it from TestMain.
func Run(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// New returns the DSN of a new empty database in the shared cluster,
// starting the cluster on first use. Without PostgreSQL it skips the test,
// or fails it when Integration() is true.
func New(tb testing.TB) string {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		if Integration() {
			tb.Fatalf("pgtest: %v", sharedErr)
		}
		tb.Skipf("pgtest: no PostgreSQL (%v); set AGENTDESK_INTEGRATION=1 to make this a failure", sharedErr)
	}
	dsn, err := shared.CreateDB(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// Start runs initdb in a new temporary directory and starts the server on a
// unix socket there. When running as root it runs PostgreSQL as the
// postgres user (the server refuses to run as root).
func Start() (*Cluster, error) {
	bin := binDir()
	if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
		return nil, fmt.Errorf("find initdb: %w", err)
	}
	reapStale(bin)
	dir, err := os.MkdirTemp("", "agentdesk-pg-")
	if err != nil {
		return nil, fmt.Errorf("make cluster dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write owner pid: %w", err)
	}
	c := &Cluster{dir: dir, socket: dir}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
		os.Chmod(filepath.Join(dir, "owner.pid"), 0o644)
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("chown cluster dir: %w", err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.cmd(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	opts := fmt.Sprintf("-k %s -c listen_addresses='' -c max_connections=300 -c shared_buffers=64MB", dir)
	if out, err := c.cmd(filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start: %w: %s %s", err, out, log)
	}
	if err := c.waitReady(30 * time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) cmd(name string, args ...string) *exec.Cmd {
	if c.runAs != "" {
		return exec.Command("runuser", append([]string{"-u", c.runAs, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// DSN is the connection string of database db in this cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s port=5432 user=postgres dbname=%s sslmode=disable", c.socket, db)
}

func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %w", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// CreateDB makes a new empty database and returns its DSN.
func (c *Cluster) CreateDB(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.dbs.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.DSN(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error {
	data := filepath.Join(c.dir, "data")
	out, err := c.cmd(filepath.Join(binDir(), "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop").CombinedOutput()
	rmErr := os.RemoveAll(c.dir)
	if err != nil && !strings.Contains(string(out), "no server running") {
		return errors.Join(fmt.Errorf("pg_ctl stop: %w: %s", err, out), rmErr)
	}
	return rmErr
}

// reapStale stops and removes clusters left by test binaries that were
// killed (a timeout, ^C) before their cleanup ran: a cluster directory whose
// owner process no longer exists.
func reapStale(bin string) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "agentdesk-pg-*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		c := &Cluster{dir: dir}
		if os.Geteuid() == 0 {
			c.runAs = "postgres"
		}
		c.cmd(filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(dir)
	}
}

func processAlive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func binDir() string {
	if v := os.Getenv("PGTEST_BINDIR"); v != "" {
		return v
	}
	return BinDir
}

// Dump returns every row of every table in the public schema of the
// database at dsn, and every sequence's position, as text keyed by table
// ("sequence NAME" for sequences), so a test can assert that a refused
// request changed nothing at all, tables added later included.
func Dump(tb testing.TB, dsn string) map[string]string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("pgtest: dump: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		tb.Fatalf("pgtest: dump: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("pgtest: dump: %v", err)
	}
	out := map[string]string{}
	for _, table := range tables {
		var text string
		q := `SELECT coalesce(string_agg(to_jsonb(t)::text, E'\n' ORDER BY to_jsonb(t)::text), '') FROM ` + pgx.Identifier{table}.Sanitize() + ` t`
		if err := conn.QueryRow(ctx, q).Scan(&text); err != nil {
			tb.Fatalf("pgtest: dump %s: %v", table, err)
		}
		out[table] = text
	}
	rows, err = conn.Query(ctx, `SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'`)
	if err != nil {
		tb.Fatalf("pgtest: dump: %v", err)
	}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			tb.Fatalf("pgtest: dump: %v", err)
		}
		out["sequence "+name] = strconv.FormatInt(v, 10)
	}
	if err := rows.Err(); err != nil {
		tb.Fatalf("pgtest: dump: %v", err)
	}
	return out
}

// Changed names, sorted, the tables and sequences whose content differs
// between two dumps (or that only one of them has).
func Changed(before, after map[string]string) []string {
	var out []string
	for k, v := range before {
		if w, ok := after[k]; !ok || w != v {
			out = append(out, k)
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
