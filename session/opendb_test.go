package session_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// ownPool opens a *sql.DB of the test database of uri the way an
// application would, with the drivers' own DSNs; omit names settings of
// OpenDB's checks to leave out ("name=value" sets one instead).
func ownPool(t *testing.T, dialect, uri string, omit ...string) *sql.DB {
	t.Helper()
	u, err := url.Parse(uri)
	require.NoError(t, err)
	params := url.Values{}
	var driver, dsn string
	switch dialect {
	case "sqlite":
		driver = "sqlite" // modernc.org/sqlite: there with and without cgo
		params.Set("_foreign_keys", "1")
		params.Set("_busy_timeout", "5000")
		dsn = "file:" + strings.TrimPrefix(u.Path, "/") + "?"
	case "mysql":
		driver = "mysql"
		params.Set("parseTime", "true")
		params.Set("loc", "UTC")
		params.Set("clientFoundRows", "true")
		dsn = u.User.String() + "@tcp(" + u.Host + ")" + u.Path + "?"
	case "postgres":
		if len(omit) == 1 && omit[0] == "connector" { // pgx's own connections
			driver, dsn = "pgx", uri
			break
		}
		cn, err := session.Connector(uri)
		require.NoError(t, err)
		db := sql.OpenDB(cn)
		t.Cleanup(func() { db.Close() })
		return db
	}
	for _, o := range omit {
		if k, v, ok := strings.Cut(o, "="); ok {
			params.Set(k, v)
		} else {
			params.Del(o)
		}
	}
	db, err := sql.Open(driver, dsn+params.Encode())
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

type countHook struct{ n atomic.Int64 }

func (h *countHook) BeforeQuery(ctx context.Context, _ *session.QueryEvent) context.Context {
	return ctx
}
func (h *countHook) AfterQuery(context.Context, *session.QueryEvent) { h.n.Add(1) }

func TestOpenDB(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, tdb *dbtest.DB) {
		t.Run("records, transactions and hooks on a pool the application owns", func(t *testing.T) {
			pool := ownPool(t, tdb.Dialect, tdb.URI)
			hook := &countHook{}
			db, err := session.OpenDB(pool, tdb.Dialect, session.Config{Hooks: []session.QueryHook{hook}})
			require.NoError(t, err)
			ctx := db.Context(context.Background())
			require.NoError(t, db.CreateAll(ctx, Account{}, Ledger{}))

			a, err := record.New[Account](map[string]any{"email": "owner@example.com"})
			require.NoError(t, err)
			require.NoError(t, a.Save(ctx))
			require.NoError(t, a.Save(ctx), "saving an unchanged record is not a lost row")
			got, err := record.Get[Account](ctx, a.ID)
			require.NoError(t, err)
			assert.Equal(t, "owner@example.com", got.Email)

			boom := errors.New("boom")
			err = db.Transaction(ctx, func(ctx context.Context) error {
				l, err := record.New[Ledger](map[string]any{"account_id": a.ID, "memo": "rolled back"})
				require.NoError(t, err)
				require.NoError(t, l.Save(ctx))
				return boom
			})
			require.ErrorIs(t, err, boom)
			n, err := record.Query[Ledger](ctx).Count()
			require.NoError(t, err)
			assert.Zero(t, n, "the transaction was rolled back")

			bad, err := record.New[Ledger](map[string]any{"account_id": a.ID + 1000, "memo": "orphan"})
			require.NoError(t, err)
			assert.ErrorIs(t, bad.Save(ctx), session.ErrForeignKey, "foreign keys are enforced")
			assert.Positive(t, hook.n.Load(), "the hooks saw the statements")

			require.NoError(t, db.Close())
			require.NoError(t, pool.PingContext(context.Background()), "Close leaves the application's pool open")
			_, err = record.Get[Account](ctx, a.ID)
			assert.ErrorIs(t, err, session.ErrClosed)
		})

		t.Run("a pool without the settings the library relies on is refused", func(t *testing.T) {
			missing := map[string][]string{
				"sqlite":   {"_foreign_keys"},
				"mysql":    {"parseTime", "loc=Europe/Berlin", "clientFoundRows"},
				"postgres": {"connector"},
			}[tdb.Dialect]
			for _, setting := range missing {
				_, err := session.OpenDB(ownPool(t, tdb.Dialect, tdb.URI, setting), tdb.Dialect, session.Config{})
				require.ErrorIs(t, err, session.ErrConfig, "without %s", setting)
				want := map[string]string{"_foreign_keys": "foreign_keys", "loc=Europe/Berlin": "loc"}[setting]
				if want == "" {
					want = setting
				}
				assert.Contains(t, err.Error(), want)
			}
			pool := ownPool(t, tdb.Dialect, tdb.URI)
			for name, call := range map[string]func() (*session.Client, error){
				"nil pool":        func() (*session.Client, error) { return session.OpenDB(nil, tdb.Dialect, session.Config{}) },
				"unknown dialect": func() (*session.Client, error) { return session.OpenDB(pool, "oracle", session.Config{}) },
				"a URI as well": func() (*session.Client, error) {
					return session.OpenDB(pool, tdb.Dialect, session.Config{DatabaseURI: "sqlite://"})
				},
			} {
				_, err := call()
				assert.ErrorIs(t, err, session.ErrConfig, name)
				assert.False(t, strings.Contains(err.Error(), "password"), name)
			}
		})
	})
}
