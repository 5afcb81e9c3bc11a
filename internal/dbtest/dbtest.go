// Package dbtest runs one behavioural test against every configured
// database: SQLite always (a file in the test's temporary directory), MySQL
// or MariaDB when SQLSERVICE_MYSQL_URI is set, PostgreSQL when
// SQLSERVICE_POSTGRES_URI is set. Each run gets a database (MySQL) or schema
// (PostgreSQL) of its own that is dropped afterwards, so packages can run in
// parallel against one server. With SQLSERVICE_REQUIRE_ALL=1 a missing URI
// fails the test instead of skipping the dialect: CI sets it so that no
// dialect is ever skipped silently.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/session"
)

// Env names of the server URIs.
const (
	MySQLEnv      = "SQLSERVICE_MYSQL_URI"
	PostgresEnv   = "SQLSERVICE_POSTGRES_URI"
	RequireAllEnv = "SQLSERVICE_REQUIRE_ALL"
)

// Dialects lists the dialect names Each runs, in order.
var Dialects = []string{"sqlite", "mysql", "postgres"}

// Options adjust the client a test gets.
type Options struct {
	Config session.Config // DatabaseURI is filled in by Open
	Models []any          // created before the test, dropped after
}

// Each runs fn once per configured dialect as a subtest named after it,
// each with a fresh database and a client whose statements are counted.
func Each(t *testing.T, opts Options, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			db := Open(t, d, opts)
			fn(t, db)
		})
	}
}

// DB is a client under test with a count of the statements it ran.
type DB struct {
	*session.Client
	Dialect string
	URI     string // the client's URI, password included, for a second client
	stmts   *counter
}

// Statements returns how many statements the client has sent so far.
func (db *DB) Statements() int64 { return db.stmts.n.Load() }

// Log returns the SQL text of the statements sent so far.
func (db *DB) Log() []string {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	return append([]string(nil), db.stmts.log...)
}

// Ctx returns a context carrying the client.
func (db *DB) Ctx() context.Context { return db.Client.Context(context.Background()) }

// Open returns a client of dialect on a fresh database, skipping (or with
// SQLSERVICE_REQUIRE_ALL=1 failing) when the dialect's server is not
// configured.
func Open(t testing.TB, dialect string, opts Options) *DB {
	t.Helper()
	uri := URI(t, dialect)
	cfg := opts.Config
	cfg.DatabaseURI = uri
	c := &counter{}
	cfg.Echo = true
	cfg.Logger = slog.New(c)
	client, err := session.Open(cfg)
	require.NoError(t, err)
	db := &DB{Client: client, Dialect: dialect, URI: uri, stmts: c}
	ctx := context.Background()
	if len(opts.Models) > 0 {
		require.NoError(t, client.CreateAll(ctx, opts.Models...))
	}
	t.Cleanup(func() {
		if len(opts.Models) > 0 && dialect == "sqlite" {
			_ = client.DropAll(ctx, opts.Models...)
		}
		client.Close()
	})
	return db
}

var seq atomic.Int64

func uniqueName(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s_%d_%s_%d", prefix, os.Getpid(), hex.EncodeToString(b[:]), seq.Add(1))
}

// URI returns the URI of a fresh, empty database of dialect, to be dropped
// when t ends.
func URI(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:///" + filepath.Join(t.TempDir(), "test.db")
	case "mysql":
		base := serverURI(t, MySQLEnv)
		name := uniqueName("sqlservice")
		admin := adminDB(t, "mysql", base)
		_, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := admin.Exec("DROP DATABASE IF EXISTS `" + name + "`")
			if err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
		return withPath(t, base, name, nil)
	case "postgres":
		base := serverURI(t, PostgresEnv)
		name := uniqueName("sqlservice")
		admin := adminDB(t, "postgres", base)
		_, err := admin.Exec(`CREATE SCHEMA "` + name + `"`)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := admin.Exec(`DROP SCHEMA IF EXISTS "` + name + `" CASCADE`)
			if err != nil {
				t.Errorf("drop schema %s: %v", name, err)
			}
		})
		u, err := url.Parse(base)
		require.NoError(t, err)
		return withPath(t, base, strings.TrimPrefix(u.Path, "/"), url.Values{"search_path": {name}})
	}
	t.Fatalf("dbtest: unknown dialect %q", dialect)
	return ""
}

func serverURI(t testing.TB, env string) string {
	uri := os.Getenv(env)
	if uri == "" {
		if os.Getenv(RequireAllEnv) == "1" {
			t.Fatalf("dbtest: %s is not set and %s=1", env, RequireAllEnv)
		}
		t.Skipf("dbtest: %s is not set", env)
	}
	return uri
}

func withPath(t testing.TB, base, path string, extra url.Values) string {
	u, err := url.Parse(base)
	require.NoError(t, err)
	u.Path = "/" + path
	q := u.Query()
	for k, vs := range extra {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}

var (
	adminMu sync.Mutex
	admins  = map[string]*sql.DB{}
)

// adminDB returns a shared plain client of the server for creating and
// dropping databases.
func adminDB(t testing.TB, dialect, uri string) *sql.DB {
	adminMu.Lock()
	defer adminMu.Unlock()
	if db, ok := admins[uri]; ok {
		return db
	}
	c, err := session.Open(session.Config{DatabaseURI: uri})
	require.NoError(t, err, "dbtest: open %s server", dialect)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Ping(ctx), "dbtest: %s server does not answer", dialect)
	admins[uri] = c.DB()
	return c.DB()
}

// counter is a slog handler that counts and keeps echoed statements.
type counter struct {
	n   atomic.Int64
	mu  sync.Mutex
	log []string
}

func (c *counter) Enabled(context.Context, slog.Level) bool { return true }

func (c *counter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "sql" {
			c.n.Add(1)
			c.mu.Lock()
			c.log = append(c.log, a.Value.String())
			c.mu.Unlock()
			return false
		}
		return true
	})
	return nil
}

func (c *counter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *counter) WithGroup(string) slog.Handler      { return c }
