package session_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

var errRollback = errors.New("roll back")

// A cached statement that only ever runs inside transactions is prepared
// when the first of them ends, and the next transactions use it.
func TestStatementFirstUsedInTransactionIsPreparedAfterIt(t *testing.T) {
	run := func(t *testing.T, db *session.Client) {
		ctx := db.Context(context.Background())
		_, err := db.Exec(ctx, "CREATE TABLE prep_t (n INTEGER)")
		require.NoError(t, err)
		q := "INSERT INTO prep_t (n) VALUES (1)"
		for i, outcome := range []string{"commit", "rollback", "commit"} {
			err := db.Transaction(ctx, func(ctx context.Context) error {
				if _, err := session.ExecCached(db, ctx, q); err != nil {
					return err
				}
				assert.Equal(t, i > 0, session.IsPrepared(db, q), "prepared before transaction %d", i)
				if outcome == "rollback" {
					return errRollback
				}
				return nil
			})
			if outcome == "rollback" {
				require.ErrorIs(t, err, errRollback)
			} else {
				require.NoError(t, err)
			}
			assert.True(t, session.IsPrepared(db, q), "prepared after transaction %d", i)
		}
		var n int
		require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM prep_t").Scan(&n))
		assert.Equal(t, 2, n)
	}
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) { run(t, db.Client) })
	t.Run("sqlite in memory, one connection", func(t *testing.T) {
		db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
		require.NoError(t, err)
		defer db.Close()
		run(t, db)
	})
}

// A statement that cannot be prepared after its transaction (its table was
// rolled back with it) is skipped without an error and still reports its
// real error when it runs again.
func TestDeferredPrepareOfAStatementThatNoLongerPrepares(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		q := "INSERT INTO prep_gone (n) VALUES (1)"
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if _, err := db.Exec(ctx, "CREATE TABLE prep_gone (n INTEGER)"); err != nil {
				return err
			}
			if _, err := session.ExecCached(db.Client, ctx, q); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, err, errRollback)
		_, err = session.ExecCached(db.Client, ctx, q)
		if db.Dialect == "mysql" {
			// MySQL commits DDL implicitly: the table survived the
			// rollback, so the statement was prepared and runs.
			assert.True(t, session.IsPrepared(db.Client, q))
			assert.NoError(t, err)
			return
		}
		assert.False(t, session.IsPrepared(db.Client, q))
		assert.Error(t, err, "the table is gone")
	})
}

// A statement bound to one transaction is reused within it and bound anew
// in the next transaction of the same session.
func TestStatementBindingsFollowTheTransaction(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		_, err := db.Exec(ctx, "CREATE TABLE bind_t (n INTEGER)")
		require.NoError(t, err)
		q := "INSERT INTO bind_t (n) VALUES (1)"
		_, err = session.ExecCached(db.Client, ctx, q) // prepared on the pool
		require.NoError(t, err)
		sctx, s, err := db.Begin(ctx)
		require.NoError(t, err)
		defer s.Close()
		for round := range 3 {
			for range 3 {
				_, err := session.ExecCached(db.Client, sctx, q)
				require.NoError(t, err, "round %d", round)
			}
			if round == 1 {
				require.NoError(t, s.Rollback(sctx))
			} else {
				require.NoError(t, s.Commit(sctx))
			}
		}
		var n int
		require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM bind_t").Scan(&n))
		assert.Equal(t, 1+6, n)
	})
}
