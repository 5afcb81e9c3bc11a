package session_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

type Account struct {
	record.Base[Account]
	ID    int64  `db:"id,pk,autoincrement"`
	Email string `db:"email,size=100,unique"`
}

type Ledger struct {
	record.Base[Ledger]
	ID        int64  `db:"id,pk,autoincrement"`
	AccountID int64  `db:"account_id,notnull,fk=account.id,index"`
	Memo      string `db:"memo"`
}

func TestOpenSQLiteForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cases := []struct {
		uri  string
		file string
	}{
		{"sqlite://", ""},
		{"sqlite://:memory:", ""},
		{"", ""},
		{"sqlite:///relative.db", filepath.Join(dir, "relative.db")},
		{"sqlite:///" + filepath.Join(dir, "absolute.db"), filepath.Join(dir, "absolute.db")},
	}
	for _, tc := range cases {
		t.Run(tc.uri, func(t *testing.T) {
			db, err := session.Open(session.Config{DatabaseURI: tc.uri})
			require.NoError(t, err)
			defer db.Close()
			ctx := context.Background()
			require.NoError(t, db.Ping(ctx))
			require.NoError(t, db.CreateAll(ctx, Account{}))
			require.NoError(t, (&Account{Email: "a@x"}).Save(db.Context(ctx)))
			n, err := record.Query[Account](db.Context(ctx)).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "an in-memory database must survive between statements")
			if tc.file != "" {
				_, err := os.Stat(tc.file)
				assert.NoError(t, err)
			}
		})
	}
}

func TestOpenMap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := session.OpenMap(map[string]any{
		"SQL_DATABASE_URI":     "sqlite:///" + path,
		"SQL_ECHO":             false,
		"SQL_ECHO_POOL":        false,
		"SQL_POOL_SIZE":        5,
		"SQL_POOL_TIMEOUT":     10,
		"SQL_POOL_RECYCLE":     3600,
		"SQL_POOL_PRE_PING":    true,
		"SQL_MAX_OVERFLOW":     10,
		"SQL_AUTOCOMMIT":       false,
		"SQL_AUTOFLUSH":        true,
		"SQL_EXPIRE_ON_COMMIT": true,
		"SQL_ISOLATION_LEVEL":  "SERIALIZABLE",
		"SQL_ENCODING":         "utf8",
		"SQL_CONVERT_UNICODE":  true,
	})
	require.NoError(t, err)
	defer db.Close()
	cfg := db.Config()
	assert.Equal(t, 5, cfg.PoolSize)
	assert.Equal(t, 10*time.Second, cfg.PoolTimeout)
	assert.Equal(t, time.Hour, cfg.PoolRecycle)
	assert.True(t, cfg.PoolPrePing)
	assert.Equal(t, 15, db.DB().Stats().MaxOpenConnections)
	assert.Equal(t, "SERIALIZABLE", cfg.IsolationLevel)
	require.NoError(t, db.Transaction(context.Background(), func(ctx context.Context) error { return nil }))

	m := cfg.Map()
	assert.Len(t, m, 20)
	assert.Equal(t, "sqlite:///"+path, m["SQL_DATABASE_URI"])
}

func TestOpenMapRejectsBadConfig(t *testing.T) {
	cases := map[string]map[string]any{
		"unknown key":         {"SQL_DATABASE_URI": "sqlite://", "SQL_POOLSIZE": 5},
		"wrong type":          {"SQL_DATABASE_URI": "sqlite://", "SQL_POOL_SIZE": "five"},
		"negative size":       {"SQL_DATABASE_URI": "sqlite://", "SQL_POOL_SIZE": -1},
		"bad bool":            {"SQL_DATABASE_URI": "sqlite://", "SQL_ECHO": "maybe"},
		"bad isolation":       {"SQL_DATABASE_URI": "sqlite://", "SQL_ISOLATION_LEVEL": "CHAOS"},
		"autocommit level":    {"SQL_DATABASE_URI": "sqlite://", "SQL_ISOLATION_LEVEL": "AUTOCOMMIT"},
		"uri not a string":    {"SQL_DATABASE_URI": 5},
		"fractional int":      {"SQL_DATABASE_URI": "sqlite://", "SQL_POOL_SIZE": 2.5},
		"bad duration string": {"SQL_DATABASE_URI": "sqlite://", "SQL_POOL_RECYCLE": "soon"},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := session.OpenMap(cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, session.ErrConfig)
		})
	}
	_, err := session.OpenMap(map[string]any{"SQL_DATABASE_URI": "nope://x"})
	assert.ErrorIs(t, err, session.ErrBadURI)
	// nil means "not set", as in the original.
	db, err := session.OpenMap(map[string]any{"SQL_DATABASE_URI": "sqlite://", "SQL_POOL_SIZE": nil})
	require.NoError(t, err)
	db.Close()
}

func TestPasswordIsMasked(t *testing.T) {
	db, err := session.Open(session.Config{DatabaseURI: "postgres://app:hunter2@127.0.0.1:1/db?connect_timeout=1"})
	require.NoError(t, err)
	defer db.Close()
	assert.NotContains(t, db.String(), "hunter2")
	assert.NotContains(t, db.URI(), "hunter2")
	assert.NotContains(t, db.Config().Map()["SQL_DATABASE_URI"], "hunter2")
	err = db.Ping(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestCloseAndPing(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ctx := context.Background()
	require.NoError(t, db.Ping(ctx))
	require.NoError(t, db.Close())
	require.NoError(t, db.Close(), "closing twice is fine")
	assert.ErrorIs(t, db.Ping(ctx), session.ErrClosed)
	assert.ErrorIs(t, db.Transaction(ctx, func(context.Context) error { return nil }), session.ErrClosed)
	_, err := session.FromContext(db.Client.Context(ctx))
	assert.ErrorIs(t, err, session.ErrClosed)
}

func TestFromContext(t *testing.T) {
	_, err := session.FromContext(context.Background())
	assert.ErrorIs(t, err, session.ErrNoClient)
	a := dbtest.Open(t, "sqlite", dbtest.Options{})
	b := dbtest.Open(t, "sqlite", dbtest.Options{})
	session.SetDefault(b.Client)
	defer session.SetDefault(nil)
	got, err := session.FromContext(context.Background())
	require.NoError(t, err)
	assert.Same(t, b.Client, got)
	got, err = session.FromContext(a.Client.Context(context.Background()))
	require.NoError(t, err)
	assert.Same(t, a.Client, got, "a client in the context wins over the default")
}

func TestSchema(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		// Ledger references Account: CreateAll must order them.
		require.NoError(t, db.CreateAll(ctx, Ledger{}, Account{}))
		require.NoError(t, db.CreateAll(ctx, Ledger{}, Account{}), "CreateAll is idempotent")
		require.NoError(t, db.Reflect(ctx))
		tables := db.Tables()
		require.Contains(t, tables, "account")
		require.Contains(t, tables, "ledger")
		var names []string
		for _, c := range tables["ledger"].Columns {
			names = append(names, c.Name)
		}
		assert.Equal(t, []string{"id", "account_id", "memo"}, names)
		assert.True(t, tables["ledger"].Columns[0].PrimaryKey)
		assert.True(t, tables["ledger"].Columns[1].NotNull)

		cctx := db.Ctx()
		acc := &Account{Email: "a@x"}
		require.NoError(t, acc.Save(cctx))
		require.NoError(t, (&Ledger{AccountID: acc.ID, Memo: "m"}).Save(cctx))
		err := (&Ledger{AccountID: acc.ID + 100, Memo: "orphan"}).Save(cctx)
		assert.Error(t, err, "foreign keys are enforced")

		require.NoError(t, db.DropAll(ctx, Account{}, Ledger{}))
		require.NoError(t, db.Reflect(ctx))
		assert.NotContains(t, db.Tables(), "account")
		assert.NotContains(t, db.Tables(), "ledger")
	})
}

func TestModels(t *testing.T) {
	require.NoError(t, registry.Register(Account{}, Ledger{}))
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ms := db.Models()
	require.Contains(t, ms, "Account")
	assert.Equal(t, "account", ms["Account"].Table)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEchoLogsStatementsWithDuration(t *testing.T) {
	var buf syncBuffer
	db, err := session.Open(session.Config{
		DatabaseURI: "sqlite:///" + filepath.Join(t.TempDir(), "e.db"),
		Echo:        true, EchoPool: true,
		Logger: slog.New(slog.NewTextHandler(&buf, nil)),
	})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, db.CreateAll(ctx, Account{}))
	require.NoError(t, (&Account{Email: "e@x"}).Save(db.Context(ctx)))
	require.NoError(t, db.Close())
	out := buf.String()
	assert.Contains(t, out, "CREATE TABLE IF NOT EXISTS")
	assert.Contains(t, out, `INSERT INTO \"account\"`)
	assert.Contains(t, out, "duration=")
	assert.Contains(t, out, "pool.open=")
	assert.Contains(t, out, "pool close")
	assert.NotContains(t, out, "e@x", "values are not logged")
}

func TestTransactionBasics(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		count := func() int64 {
			n, err := record.Query[Account](ctx).Count()
			require.NoError(t, err)
			return n
		}
		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			require.NotNil(t, session.Current(ctx))
			return (&Account{Email: "t1@x"}).Save(ctx)
		}))
		assert.EqualValues(t, 1, count())

		boom := errors.New("boom")
		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Account{Email: "t2@x"}).Save(ctx))
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.EqualValues(t, 1, count(), "an error rolls back")

		err = db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Account{Email: "t3@x"}).Save(ctx))
			return db.Transaction(ctx, func(ctx context.Context) error {
				return (&Account{Email: "t4@x"}).Save(ctx)
			})
		})
		require.NoError(t, err)
		assert.EqualValues(t, 3, count(), "nested levels commit together")
		n := 0
		for _, s := range db.Log() {
			if strings.HasPrefix(s, "COMMIT") {
				n++
			}
		}
		assert.Equal(t, 2, n, "one COMMIT per outermost transaction")
	})
}
