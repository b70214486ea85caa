package pgtest_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"agentdesk/agent/upstream/pgtest"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestNew_FreshDatabasesAreSeparate(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	if a == b {
		t.Fatalf("two calls gave the same database %q", a)
	}
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE x (v text)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table made in one database is visible in the other")
	}
	var v string
	if err := ca.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v[:3] != "15." {
		t.Errorf("server_version = %s, want 15.x", v)
	}
}

func TestDump_SeesEveryChange(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE a (v text); CREATE TABLE "Odd name" (n int); CREATE SEQUENCE s; INSERT INTO a VALUES ('x')`); err != nil {
		t.Fatal(err)
	}
	before := pgtest.Dump(t, dsn)
	if got := pgtest.Changed(before, pgtest.Dump(t, dsn)); len(got) != 0 {
		t.Fatalf("two dumps of an unchanged database differ in %v", got)
	}
	for _, tt := range []struct {
		sql  string
		want string
	}{
		{`UPDATE a SET v = 'y'`, "[a]"},
		{`INSERT INTO "Odd name" VALUES (1)`, "[Odd name]"},
		{`SELECT nextval('s')`, "[sequence s]"},
		{`CREATE TABLE b (v text)`, "[b]"},
		{`DELETE FROM a`, "[a]"},
	} {
		before := pgtest.Dump(t, dsn)
		if _, err := conn.Exec(ctx, tt.sql); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(pgtest.Changed(before, pgtest.Dump(t, dsn))); got != tt.want {
			t.Errorf("%s changed %s, want %s", tt.sql, got, tt.want)
		}
	}
}
