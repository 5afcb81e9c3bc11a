// Package sqlservicetest is a test kit for programs that use sqlservice: a
// fresh database per test on each dialect, a test wrapped in a transaction
// that is rolled back when it ends, and fixtures from Go values or SQL
// files.
//
//	func TestSignup(t *testing.T) {
//		sqlservicetest.Each(t, func(t *testing.T, db *session.Client) {
//			sqlservicetest.Rollback(t, db, func(ctx context.Context) {
//				sqlservicetest.Load(t, ctx, &User{Name: "Ann"})
//				...
//			})
//		}, sqlservicetest.Models(User{}))
//	}
//
// SQLite always runs (a file in the test's temporary directory). MySQL or
// MariaDB runs when SQLSERVICE_MYSQL_URI names a server (each test gets a
// database of its own, dropped afterwards), PostgreSQL when
// SQLSERVICE_POSTGRES_URI does (a schema of its own, dropped afterwards);
// the user in the URI needs the right to create them. With
// SQLSERVICE_REQUIRE_ALL=1 a dialect without its URI fails instead of
// skipping, so that CI never skips one silently.
package sqlservicetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/session"
)

// Environment variables naming the servers.
const (
	MySQLEnv      = "SQLSERVICE_MYSQL_URI"
	PostgresEnv   = "SQLSERVICE_POSTGRES_URI"
	RequireAllEnv = "SQLSERVICE_REQUIRE_ALL"
)

// Dialects are the dialects Each runs, in order.
var Dialects = []string{"sqlite", "mysql", "postgres"}

// Option adjusts the database a test gets.
type Option func(*options)

type options struct {
	cfg    session.Config
	models []any
}

// Models creates the tables of models (CreateAll) before the test.
func Models(models ...any) Option {
	return func(o *options) { o.models = append(o.models, models...) }
}

// Config is the client's configuration; its DatabaseURI is replaced.
func Config(cfg session.Config) Option { return func(o *options) { o.cfg = cfg } }

// Each runs fn once per dialect as a subtest named after it ("sqlite",
// "mysql", "postgres"), each on a fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *session.Client), opts ...Option) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d, opts...))
		})
	}
}

// Open returns a client of dialect on a fresh, empty database that is
// dropped when the test ends, with the tables of the Models option
// created. It skips the test when the dialect's server is not configured
// (fails with SQLSERVICE_REQUIRE_ALL=1).
func Open(t testing.TB, dialect string, opts ...Option) *session.Client {
	t.Helper()
	var o options
	for _, fn := range opts {
		fn(&o)
	}
	cfg := o.cfg
	cfg.DatabaseURI = URI(t, dialect)
	c, err := session.Open(cfg)
	if err != nil {
		t.Fatalf("sqlservicetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { c.Close() })
	if len(o.models) > 0 {
		if err := c.CreateAll(context.Background(), o.models...); err != nil {
			t.Fatalf("sqlservicetest: create the tables: %v", err)
		}
	}
	return c
}

var seq atomic.Int64

func freshName() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("sqlservicetest_%d_%s_%d", os.Getpid(), hex.EncodeToString(b[:]), seq.Add(1))
}

// URI returns the URI of a fresh, empty database of dialect that is
// dropped when the test ends.
func URI(t testing.TB, dialect string) string {
	t.Helper()
	switch dialect {
	case "sqlite":
		return "sqlite:///" + filepath.Join(t.TempDir(), "test.db")
	case "mysql", "postgres":
	default:
		t.Fatalf("sqlservicetest: unknown dialect %q", dialect)
	}
	env := map[string]string{"mysql": MySQLEnv, "postgres": PostgresEnv}[dialect]
	base := os.Getenv(env)
	if base == "" {
		if os.Getenv(RequireAllEnv) == "1" {
			t.Fatalf("sqlservicetest: %s is not set and %s=1", env, RequireAllEnv)
		}
		t.Skipf("sqlservicetest: %s is not set", env)
	}
	admin, err := session.Open(session.Config{DatabaseURI: base})
	if err != nil {
		t.Fatalf("sqlservicetest: open the %s server: %v", dialect, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("sqlservicetest: %s: %v", env, err)
	}
	name := freshName()
	create, drop := "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4", "DROP DATABASE IF EXISTS `"+name+"`"
	if dialect == "postgres" {
		create, drop = `CREATE SCHEMA "`+name+`"`, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`
	}
	if _, err := admin.DB().Exec(create); err != nil {
		admin.Close()
		t.Fatalf("sqlservicetest: %s: %v", create, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.DB().Exec(drop); err != nil {
			t.Errorf("sqlservicetest: %s: %v", drop, err)
		}
	})
	q := u.Query()
	if dialect == "postgres" {
		q.Set("search_path", name)
	} else {
		u.Path = "/" + name
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Rollback runs fn in a transaction that is rolled back when fn returns
// (or fails the test), so tests can share one database without seeing
// each other's rows. Transactions that the code under test begins with
// the context fn gets run inside it as they would on their own, each in a
// savepoint (session.NestedSavepoints): a failed one rolls back its own
// work and the test carries on, as the program would; a successful one
// commits nothing, and its AfterCommit hooks never run. A write that the
// code under test runs outside any Transaction (a Save of a model without
// hooks, an Exec) runs in a savepoint of its own too, as an autocommit
// statement would, so that its failure (a duplicate key) leaves the test's
// transaction usable on PostgreSQL; each such write costs two more
// statements. A read that fails still aborts the test's transaction on
// PostgreSQL (see session.NestedSavepoints).
func Rollback(t testing.TB, db *session.Client, fn func(ctx context.Context)) {
	t.Helper()
	err := db.Transaction(db.Context(context.Background()), func(ctx context.Context) error {
		fn(ctx)
		return nil
	}, session.RollbackOnly(), session.NestedSavepoints())
	if err != nil && !errors.Is(err, session.ErrRolledBack) {
		t.Errorf("sqlservicetest: rollback: %v", err)
	}
}

type saver interface {
	Save(ctx context.Context) error
}

// Load saves fixtures from Go values: pointers to models, or slices of
// models or of pointers to them, in the order given, through ctx (the
// context of Rollback keeps them to the test). It fails the test on the
// first value that does not save.
func Load(t testing.TB, ctx context.Context, fixtures ...any) {
	t.Helper()
	for _, f := range fixtures {
		v := reflect.ValueOf(f)
		if v.Kind() == reflect.Slice {
			for i := 0; i < v.Len(); i++ {
				e := v.Index(i)
				if e.Kind() != reflect.Pointer {
					e = e.Addr()
				}
				save(t, ctx, e.Interface())
			}
			continue
		}
		save(t, ctx, f)
	}
}

func save(t testing.TB, ctx context.Context, v any) {
	t.Helper()
	s, ok := v.(saver)
	if !ok {
		t.Fatalf("sqlservicetest: fixture %T: want a pointer to a model (or a slice of models)", v)
	}
	if err := s.Save(ctx); err != nil {
		t.Fatalf("sqlservicetest: fixture %T: %v", v, err)
	}
}

// LoadSQL runs the statements of SQL files (split as migration files are,
// see migrate.SplitFor) in order, through ctx.
func LoadSQL(t testing.TB, ctx context.Context, db *session.Client, files ...string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("sqlservicetest: %v", err)
		}
		for _, stmt := range migrate.SplitFor(db.Dialect().Name(), string(b)) {
			if _, err := db.Exec(ctx, stmt); err != nil {
				t.Fatalf("sqlservicetest: %s: %v (statement: %s)", f, err, strings.TrimSpace(stmt))
			}
		}
	}
}
