package session_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// backendID returns the server's id of the connection ctx's statements run
// on, and kill ends that connection from another client.
func backendID(t *testing.T, db *dbtest.DB, ctx context.Context) int64 {
	t.Helper()
	q := "SELECT CONNECTION_ID()"
	if db.Dialect == "postgres" {
		q = "SELECT pg_backend_pid()"
	}
	var id int64
	require.NoError(t, db.Client.QueryRow(ctx, q).Scan(&id))
	return id
}

func kill(t *testing.T, admin *session.Client, dialect string, id int64) {
	t.Helper()
	q := fmt.Sprintf("KILL %d", id)
	if dialect == "postgres" {
		q = fmt.Sprintf("SELECT pg_terminate_backend(%d)", id)
	}
	_, err := admin.DB().Exec(q)
	require.NoError(t, err)
}

// serversOnly runs fn against each database server (SQLite has no server
// connection to kill; its faults are tested with files below). The subtests
// are named server=<dialect> so that they do not count as the behavioural
// suite that runs on every dialect.
func serversOnly(t *testing.T, cfg session.Config, fn func(t *testing.T, db *dbtest.DB, admin *session.Client)) {
	for _, d := range []string{"mysql", "postgres"} {
		t.Run("server="+d, func(t *testing.T) {
			db := dbtest.Open(t, d, dbtest.Options{Config: cfg, Models: []any{Account{}}})
			admin, err := session.Open(session.Config{DatabaseURI: db.URI})
			require.NoError(t, err)
			t.Cleanup(func() { admin.Close() })
			fn(t, db, admin)
		})
	}
}

func TestConnectionKilledMidTransaction(t *testing.T) {
	serversOnly(t, session.Config{}, func(t *testing.T, db *dbtest.DB, admin *session.Client) {
		ctx := db.Ctx()
		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Account{Email: "lost@x"}).Save(ctx))
			kill(t, admin, db.Dialect, backendID(t, db, ctx))
			time.Sleep(50 * time.Millisecond) // let the server finish the kill
			return (&Account{Email: "after-kill@x"}).Save(ctx)
		})
		require.Error(t, err, "the call reports the dead connection")
		n, err := record.Query[Account](admin.Context(context.Background())).Count()
		require.NoError(t, err)
		assert.Zero(t, n, "nothing of the killed transaction is visible")

		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			return (&Account{Email: "recovered@x"}).Save(ctx)
		}), "the client recovers for the next call")
		n, err = record.Query[Account](admin.Context(context.Background())).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
	})
}

func TestIdleConnectionsDroppedByServer(t *testing.T) {
	serversOnly(t, session.Config{PoolPrePing: true}, func(t *testing.T, db *dbtest.DB, admin *session.Client) {
		// As after a server restart: every idle connection of the pool is
		// gone. Ping and the next statements must recover on their own.
		db.DB().SetMaxOpenConns(1)
		ctx := db.Ctx()
		require.NoError(t, db.Ping(ctx))
		kill(t, admin, db.Dialect, backendID(t, db, ctx))
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, db.Ping(ctx))
		require.NoError(t, (&Account{Email: "after-restart@x"}).Save(ctx))

		// A write right after the drop: MySQL's driver checks a pooled
		// connection before reusing it; pgx pings only one idle for more
		// than a second, so on PostgreSQL the write goes out on the dead
		// connection, whose termination notice cannot prove that it did not
		// run: it fails as unknown, and is not sent again.
		kill(t, admin, db.Dialect, backendID(t, db, ctx))
		time.Sleep(50 * time.Millisecond)
		want := int64(2)
		err := (&Account{Email: "write-right-after-drop@x"}).Save(ctx)
		if db.Dialect == "postgres" && err != nil {
			require.ErrorIs(t, err, session.ErrCommitUnknown)
		} else {
			require.NoError(t, err, "a write after the drop reconnects")
			want++
		}

		kill(t, admin, db.Dialect, backendID(t, db, ctx))
		time.Sleep(1100 * time.Millisecond)
		require.NoError(t, (&Account{Email: "write-after-drop@x"}).Save(ctx), "a write a second after the drop reconnects")

		kill(t, admin, db.Dialect, backendID(t, db, ctx))
		time.Sleep(50 * time.Millisecond)
		n, err := record.Query[Account](ctx).Count()
		require.NoError(t, err, "a read after the drop reconnects")
		assert.Equal(t, want, n, "every write reported done is there, once")
	})
}

func TestDeadlineMidQueryRollsBack(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		slow := map[string]string{
			"sqlite":   `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000000) SELECT count(*) FROM c`,
			"mysql":    `SELECT SLEEP(3)`,
			"postgres": `SELECT 1 FROM pg_sleep(3)`,
		}[db.Dialect]
		ctx, cancel := context.WithTimeout(db.Ctx(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Account{Email: "slow@x"}).Save(ctx); err != nil {
				return err
			}
			var n int64
			return db.Client.QueryRow(ctx, slow).Scan(&n)
		})
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "interrupt") || strings.Contains(err.Error(), "cancel"), "got %v", err)
		assert.Less(t, time.Since(start), 2*time.Second, "the query was cancelled, not waited for")
		n, err := record.Query[Account](db.Ctx()).Count()
		require.NoError(t, err)
		assert.Zero(t, n, "the transaction was rolled back")
	})
}

func TestPanicInHookRollsBackAndRepanics(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Grumpy{}, Account{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = (&Grumpy{Name: "boom"}).Save(ctx)
		}()
		assert.Equal(t, "grumpy after insert", recovered)
		n, err := record.Query[Grumpy](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.NoError(t, (&Account{Email: "fine@x"}).Save(ctx), "the client is usable afterwards")
	})
}

// Grumpy panics in its AfterInsert hook.
type Grumpy struct {
	record.Base[Grumpy]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name"`
}

func (g *Grumpy) AfterInsert(context.Context) error { panic("grumpy after insert") }

func TestReadOnlySQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	rw, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + path})
	require.NoError(t, err)
	ctx := rw.Context(context.Background())
	require.NoError(t, rw.CreateAll(ctx, Account{}))
	require.NoError(t, (&Account{Email: "kept@x"}).Save(ctx))
	require.NoError(t, rw.Close())

	ro, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + path + "?mode=ro"})
	require.NoError(t, err)
	defer ro.Close()
	rctx := ro.Context(context.Background())
	err = (&Account{Email: "new@x"}).Save(rctx)
	require.Error(t, err)
	assert.Contains(t, strings.ToLower(err.Error()), "readonly")
	all, err := record.Query[Account](rctx).All()
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "kept@x", all[0].Email)
}

type Blob struct {
	record.Base[Blob]
	ID   int64  `db:"id,pk,autoincrement"`
	Data []byte `db:"data"`
}

func TestFullSQLiteDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + path})
	require.NoError(t, err)
	defer db.Close()
	db.DB().SetMaxOpenConns(1) // the page limit is per connection
	ctx := db.Context(context.Background())
	require.NoError(t, db.CreateAll(ctx, Blob{}))
	require.NoError(t, (&Blob{Data: []byte("small")}).Save(ctx))
	_, err = db.DB().Exec("PRAGMA max_page_count = 20")
	require.NoError(t, err)

	err = db.Transaction(ctx, func(ctx context.Context) error {
		for range 10 {
			if err := (&Blob{Data: make([]byte, 64<<10)}).Save(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	require.Error(t, err)
	assert.Contains(t, strings.ToLower(err.Error()), "full")

	n, err := record.Query[Blob](ctx).Count()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the failed transaction left nothing behind")
	var check string
	require.NoError(t, db.DB().QueryRow("PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check)
	_, err = os.Stat(path)
	require.NoError(t, err)
}
