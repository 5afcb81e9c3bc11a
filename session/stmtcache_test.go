package session_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Wide has enough columns for many distinct sets of changed columns, each
// of which is an UPDATE statement of its own.
type Wide struct {
	record.Base[Wide]
	ID  int64  `db:"id,pk,autoincrement"`
	C0  string `db:"c0,size=20"`
	C1  string `db:"c1,size=20"`
	C2  string `db:"c2,size=20"`
	C3  string `db:"c3,size=20"`
	C4  string `db:"c4,size=20"`
	C5  string `db:"c5,size=20"`
	C6  string `db:"c6,size=20"`
	C7  string `db:"c7,size=20"`
	C8  string `db:"c8,size=20"`
	C9  string `db:"c9,size=20"`
	C10 string `db:"c10,size=20"`
	C11 string `db:"c11,size=20"`
}

// setColumns sets the columns of w whose bit is set in mask to v.
func setColumns(w *Wide, mask int, v string) {
	rv := reflect.ValueOf(w).Elem()
	for i := range 12 {
		if mask&(1<<i) != 0 {
			rv.FieldByName(fmt.Sprintf("C%d", i)).SetString(v)
		}
	}
}

// serverStatements returns how many statements the server holds prepared
// for the connection that db's statements run on (db has one connection),
// and false on SQLite, which has no server. MySQL counts a connection's
// prepares and closes (Com_stmt_*, per session); PostgreSQL lists a
// backend's statements in pg_prepared_statements.
func serverStatements(t *testing.T, db *dbtest.DB) (int, bool) {
	t.Helper()
	switch db.Dialect {
	case "mysql":
		rows, err := db.DB().Query("SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_close')")
		require.NoError(t, err)
		defer rows.Close()
		var prepared, closed int
		for rows.Next() {
			var name string
			var n int
			require.NoError(t, rows.Scan(&name, &n))
			if name == "Com_stmt_prepare" {
				prepared = n
			} else {
				closed = n
			}
		}
		require.NoError(t, rows.Err())
		return prepared - closed, true
	case "postgres":
		var n int
		require.NoError(t, db.DB().QueryRow("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'UPDATE %'").Scan(&n))
		return n, true
	}
	return 0, false
}

// Every distinct set of changed columns is an UPDATE statement of its own;
// the client keeps at most Config.StatementCacheSize of them prepared, and
// the server holds no more than that either.
func TestStatementCacheIsBoundedOnTheServer(t *testing.T) {
	const bound, sets = 8, 40
	cfg := session.Config{PoolSize: 1, MaxOverflow: 0, StatementCacheSize: bound}
	dbtest.Each(t, dbtest.Options{Config: cfg, Models: []any{Wide{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		before, _ := serverStatements(t, db)
		w := &Wide{}
		require.NoError(t, w.Save(ctx))
		want := Wide{ID: w.ID}
		for mask := 1; mask <= sets; mask++ {
			v := fmt.Sprintf("v%d", mask)
			setColumns(w, mask, v)
			setColumns(&want, mask, v)
			require.NoError(t, w.Save(ctx), "column set %b", mask)
		}
		assert.LessOrEqual(t, session.CachedStatements(db.Client), bound, "statements the client keeps")
		if after, ok := serverStatements(t, db); ok {
			t.Logf("%d column sets: the server holds %d statements for the client", sets, after-before)
			assert.LessOrEqual(t, after-before, bound, "statements the server holds for the client")
		}

		got, err := record.Get[Wide](ctx, w.ID)
		require.NoError(t, err)
		want.Base = got.Base
		assert.Equal(t, want, *got, "every UPDATE was written")
	})
}

// A statement evicted while other goroutines run it, or while it is bound
// to an open transaction, keeps working for them.
func TestEvictedStatementsKeepWorkingForTheirUsers(t *testing.T) {
	cfg := session.Config{PoolSize: 2, MaxOverflow: 0, StatementCacheSize: 2}
	dbtest.Each(t, dbtest.Options{Config: cfg}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		_, err := db.Exec(ctx, "CREATE TABLE evict_t (n INTEGER)")
		require.NoError(t, err)
		insert := func(n int) string { return fmt.Sprintf("INSERT INTO evict_t (n) VALUES (%d)", n) }

		t.Run("bound to an open transaction", func(t *testing.T) {
			for n := range 3 {
				_, err := db.Exec(ctx, insert(n))
				require.NoError(t, err)
			}
			q := "SELECT n FROM evict_t WHERE n < 3 ORDER BY n"
			count := func(ctx context.Context) int {
				rows, err := session.QueryCached(db.Client, ctx, q)
				require.NoError(t, err)
				defer rows.Close()
				n := 0
				for rows.Next() {
					n++
				}
				require.NoError(t, rows.Err())
				return n
			}
			require.Equal(t, 3, count(ctx)) // prepared on the pool
			sctx, s, err := db.Begin(ctx)
			require.NoError(t, err)
			defer s.Close()
			rows, err := session.QueryCached(db.Client, sctx, q) // bound to the transaction
			require.NoError(t, err)
			require.True(t, rows.Next())
			for n := range 4 { // evict q, on the pool's other connection
				var one int
				require.NoError(t, session.QueryRowCached(db.Client, ctx, fmt.Sprintf("SELECT %d", n)).Scan(&one))
			}
			require.False(t, session.IsPrepared(db.Client, q), "q was evicted")
			require.True(t, rows.Next(), "the transaction's rows outlive the eviction")
			require.True(t, rows.Next())
			require.False(t, rows.Next())
			require.NoError(t, rows.Err())
			require.NoError(t, rows.Close())
			assert.Equal(t, 3, count(sctx), "the transaction runs q again")
			require.NoError(t, s.Commit(sctx))
			assert.Equal(t, 3, count(ctx))
		})

		t.Run("run by many goroutines", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 8*50)
			for g := range 8 {
				wg.Go(func() {
					for i := range 50 {
						// Three texts shared by all, for a cache of two:
						// every round evicts a statement someone runs.
						if _, err := session.ExecCached(db.Client, ctx, insert(1000+(g+i)%3)); err != nil {
							errs <- err
						}
						rows, err := session.QueryCached(db.Client, ctx, fmt.Sprintf("SELECT n FROM evict_t WHERE n = %d", (g+i)%3))
						if err != nil {
							errs <- err
							continue
						}
						for rows.Next() {
						}
						errs <- rows.Close()
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			var n int
			require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM evict_t WHERE n >= 1000").Scan(&n))
			assert.Equal(t, 8*50, n)
			assert.LessOrEqual(t, session.CachedStatements(db.Client), 2)
		})
	})
}

// The bound is a setting of OpenMap too; a negative one prepares nothing.
func TestStatementCacheSizeSetting(t *testing.T) {
	cfg, err := session.ConfigFromMap(map[string]any{"SQL_STATEMENT_CACHE_SIZE": 16})
	require.NoError(t, err)
	assert.Equal(t, 16, cfg.StatementCacheSize)
	assert.Equal(t, 16, cfg.Map()["SQL_STATEMENT_CACHE_SIZE"], "Map gives it back")

	db, err := session.Open(session.Config{DatabaseURI: "sqlite://", StatementCacheSize: -1})
	require.NoError(t, err)
	defer db.Close()
	ctx := db.Context(context.Background())
	var n int
	require.NoError(t, session.QueryRowCached(db, ctx, "SELECT 1").Scan(&n))
	assert.Equal(t, 1, n)
	assert.Zero(t, session.CachedStatements(db))
}
