package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// txEnv is one dialect's database with a second client on it, to check what
// other connections see.
type txEnv struct {
	db    *dbtest.DB
	other *session.Client
}

func eachTx(t *testing.T, fn func(t *testing.T, e *txEnv, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		other, err := session.Open(session.Config{DatabaseURI: db.URI})
		require.NoError(t, err)
		t.Cleanup(func() { other.Close() })
		fn(t, &txEnv{db: db, other: other}, db.Ctx())
	})
}

// visible counts the accounts another client sees: committed rows only.
func (e *txEnv) visible(t *testing.T) int64 {
	t.Helper()
	n, err := record.Query[Account](e.other.Context(context.Background())).Count()
	require.NoError(t, err)
	return n
}

// ends counts the COMMIT and ROLLBACK statements the client sent.
func (e *txEnv) ends() (commits, rollbacks int) {
	for _, s := range e.db.Log() {
		switch {
		case s == "COMMIT":
			commits++
		case s == "ROLLBACK":
			rollbacks++
		}
	}
	return
}

var seqEmail atomic.Int64

func add(ctx context.Context) error {
	return (&Account{Email: fmt.Sprintf("a%d@x", seqEmail.Add(1))}).Save(ctx)
}

func TestNestedTransactionsCommitOnce(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			return e.db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, add(ctx))
				err := e.db.Transaction(ctx, func(ctx context.Context) error { return add(ctx) })
				assert.Zero(t, e.visible(t), "nothing is visible before the outermost commit")
				return err
			})
		})
		require.NoError(t, err)
		assert.EqualValues(t, 3, e.visible(t))
		c, r := e.ends()
		assert.Equal(t, 1, c)
		assert.Equal(t, 0, r)
	})
}

func TestErrorInInnermostRollsBackOnceAndPropagates(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		boom := errors.New("boom")
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			return e.db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, add(ctx))
				return e.db.Transaction(ctx, func(ctx context.Context) error { return boom })
			})
		})
		assert.ErrorIs(t, err, boom)
		assert.Zero(t, e.visible(t))
		c, r := e.ends()
		assert.Equal(t, 0, c)
		assert.Equal(t, 1, r)
	})
}

func TestSwallowedInnerErrorStillRollsBack(t *testing.T) {
	// The original reset its counter and committed what was left; here an
	// inner failure dooms the transaction even when its caller ignores it.
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		boom := errors.New("boom")
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			_ = e.db.Transaction(ctx, func(ctx context.Context) error { return boom })
			err := add(ctx)
			assert.ErrorIs(t, err, session.ErrRolledBack, "a doomed transaction refuses more work")
			return nil
		})
		require.Error(t, err)
		assert.ErrorIs(t, err, session.ErrRolledBack)
		assert.ErrorIs(t, err, boom)
		var rb *session.RollbackError
		require.ErrorAs(t, err, &rb)
		assert.Zero(t, e.visible(t))
		c, r := e.ends()
		assert.Equal(t, 0, c)
		assert.Equal(t, 1, r)

		// The next transaction is not affected.
		require.NoError(t, e.db.Transaction(ctx, func(ctx context.Context) error {
			return e.db.Transaction(ctx, func(ctx context.Context) error { return add(ctx) })
		}))
		assert.EqualValues(t, 1, e.visible(t))
	})
}

func TestOnlyTheOutermostOptionsDecide(t *testing.T) {
	type opts = []session.TxOption
	cases := []struct {
		name               string
		outer, inner       opts
		commits, rollbacks int
		visible            int64
	}{
		{"defaults commit", nil, nil, 1, 0, 2},
		{"outer NoCommit leaves nothing committed", opts{session.NoCommit()}, nil, 0, 1, 0},
		{"inner NoCommit is overruled by the outer commit", nil, opts{session.NoCommit()}, 1, 0, 2},
		{"outer RollbackOnly rolls back", opts{session.RollbackOnly()}, nil, 0, 1, 0},
		{"inner RollbackOnly is overruled by the outer commit", nil, opts{session.RollbackOnly()}, 1, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
				err := e.db.Transaction(ctx, func(ctx context.Context) error {
					require.NoError(t, add(ctx))
					return e.db.Transaction(ctx, add, tc.inner...)
				}, tc.outer...)
				require.NoError(t, err)
				c, r := e.ends()
				assert.Equal(t, tc.commits, c, "commits")
				assert.Equal(t, tc.rollbacks, r, "rollbacks")
				assert.Equal(t, tc.visible, e.visible(t))
			})
		})
	}
}

func TestExplicitSessionNoCommitLeavesWorkOpen(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		sctx, s, err := e.db.Begin(ctx)
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, e.db.Transaction(sctx, add, session.NoCommit()))
		c, r := e.ends()
		assert.Equal(t, 0, c)
		assert.Equal(t, 0, r)
		assert.Zero(t, e.visible(t))
		n, err := record.Query[Account](sctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "the session sees its own uncommitted work")

		// A Transaction at the session's outermost level commits it.
		require.NoError(t, e.db.Transaction(sctx, add))
		assert.EqualValues(t, 2, e.visible(t))

		// Work after a commit starts a new transaction; Close rolls it back.
		require.NoError(t, add(sctx))
		require.NoError(t, s.Close())
		assert.EqualValues(t, 2, e.visible(t))
		assert.ErrorIs(t, add(sctx), session.ErrTxDone)
	})
}

func TestExplicitSessionCommitAndRollback(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		sctx, s, err := e.db.Begin(ctx)
		require.NoError(t, err)
		defer s.Close()
		require.NoError(t, add(sctx))
		require.NoError(t, s.Rollback(sctx))
		assert.Zero(t, e.visible(t))
		require.NoError(t, add(sctx))
		require.NoError(t, s.Commit(sctx))
		assert.EqualValues(t, 1, e.visible(t))
	})
}

func TestPanicRollsBackOnceAndRepanics(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = e.db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, add(ctx))
				return e.db.Transaction(ctx, func(ctx context.Context) error {
					require.NoError(t, add(ctx))
					panic("kaboom")
				}, session.Savepoint())
			})
		}()
		assert.Equal(t, "kaboom", recovered)
		assert.Zero(t, e.visible(t))
		c, r := e.ends()
		assert.Equal(t, 0, c)
		assert.Equal(t, 1, r)
		for _, s := range e.db.Log() {
			assert.NotContains(t, s, "ROLLBACK TO", "a panic is rolled back once, by the outermost level")
		}
		require.NoError(t, e.db.Transaction(ctx, add), "the client is usable after a panic")
	})
}

func TestCancelledContextRollsBack(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		cctx, cancel := context.WithCancel(ctx)
		err := e.db.Transaction(cctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			cancel()
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, e.visible(t))

		dctx, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel2()
		err = e.db.Transaction(dctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			<-ctx.Done()
			return add(ctx)
		})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Zero(t, e.visible(t))
	})
}

func TestSavepointRollbackKeepsOuterWork(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		boom := errors.New("boom")
		var inner1, inner2 error
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, add(ctx))
			inner1 = e.db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, add(ctx))
				return boom
			}, session.Savepoint())
			inner2 = e.db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, add(ctx))
				return e.db.Transaction(ctx, add, session.Savepoint())
			}, session.Savepoint())
			return add(ctx)
		})
		require.NoError(t, err)
		assert.ErrorIs(t, inner1, boom)
		assert.NoError(t, inner2)
		assert.EqualValues(t, 4, e.visible(t), "the failed savepoint's row is gone, the rest committed")

		var names []string
		for _, s := range e.db.Log() {
			if strings.HasPrefix(s, "SAVEPOINT") {
				names = append(names, s)
			}
		}
		require.Len(t, names, 3)
		assert.NotEqual(t, names[1], names[2], "nested savepoints have unique names")
		log := strings.Join(e.db.Log(), "\n")
		assert.Equal(t, 3, strings.Count(log, "RELEASE SAVEPOINT"), "every savepoint is released")
		assert.Equal(t, 1, strings.Count(log, "ROLLBACK TO SAVEPOINT"))
	})
}

func TestAfterCommitAndAfterRollbackHooks(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		var committed, rolledBack, dropped int
		require.NoError(t, e.db.Transaction(ctx, func(ctx context.Context) error {
			session.AfterCommit(ctx, func(context.Context) { committed++ })
			session.AfterRollback(ctx, func(context.Context) { rolledBack++ })
			_ = e.db.Transaction(ctx, func(ctx context.Context) error {
				session.AfterCommit(ctx, func(context.Context) { dropped++ })
				return errors.New("undo this level")
			}, session.Savepoint())
			return e.db.Transaction(ctx, func(ctx context.Context) error {
				session.AfterCommit(ctx, func(context.Context) {
					assert.EqualValues(t, 1, e.visible(t), "after-commit hooks run after the commit")
					committed++
				})
				return add(ctx)
			})
		}))
		assert.Equal(t, 2, committed)
		assert.Zero(t, rolledBack)
		assert.Zero(t, dropped, "hooks of a rolled-back savepoint never run")

		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			session.AfterCommit(ctx, func(context.Context) { committed++ })
			session.AfterRollback(ctx, func(context.Context) { rolledBack++ })
			return errors.New("no")
		})
		require.Error(t, err)
		assert.Equal(t, 2, committed, "after-commit hooks never fire on rollback")
		assert.Equal(t, 1, rolledBack)
	})
}

func TestDuplicateKeyInOneTransactionRollsBack(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Account{Email: "same@x"}).Save(ctx))
			return (&Account{Email: "same@x"}).Save(ctx)
		})
		require.Error(t, err)
		assert.Zero(t, e.visible(t))
	})
}

func TestIdentityMap(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		a := &Account{Email: "id@x"}
		require.NoError(t, a.Save(ctx))
		outside1, err := record.Get[Account](ctx, a.ID)
		require.NoError(t, err)
		outside2, err := record.Get[Account](ctx, a.ID)
		require.NoError(t, err)
		assert.NotSame(t, outside1, outside2, "without a session every load is a new record")

		require.NoError(t, e.db.Transaction(ctx, func(ctx context.Context) error {
			g1, err := record.Get[Account](ctx, a.ID)
			require.NoError(t, err)
			g2, err := record.Get[Account](ctx, a.ID)
			require.NoError(t, err)
			assert.Same(t, g1, g2)
			all, err := record.Query[Account](ctx).All()
			require.NoError(t, err)
			assert.Same(t, g1, all[0], "queries return the session's record too")

			n := &Account{Email: "new@x"}
			require.NoError(t, n.Save(ctx))
			g3, err := record.Get[Account](ctx, n.ID)
			require.NoError(t, err)
			assert.Same(t, n, g3, "a record saved in the session is the one Get returns")

			require.NoError(t, n.Destroy(ctx))
			_, err = record.Get[Account](ctx, n.ID)
			assert.ErrorIs(t, err, record.ErrNotFound)
			return nil
		}))
	})
}

func TestIdentityMapManyRows(t *testing.T) {
	// The first rows are kept inline, the rest in a map: both must hold,
	// forget and be emptied alike.
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		const n = 10
		var saved []*Account
		err := e.db.Transaction(ctx, func(ctx context.Context) error {
			for i := range n {
				a := &Account{Email: fmt.Sprintf("many%d@x", i)}
				require.NoError(t, a.Save(ctx))
				saved = append(saved, a)
			}
			for _, a := range saved {
				got, err := record.Get[Account](ctx, a.ID)
				require.NoError(t, err)
				assert.Same(t, a, got)
			}
			// Destroy one inline row and one mapped row: both are forgotten,
			// the others stay.
			for _, i := range []int{1, n - 2} {
				require.NoError(t, saved[i].Destroy(ctx))
				_, err := record.Get[Account](ctx, saved[i].ID)
				require.ErrorIs(t, err, record.ErrNotFound)
			}
			for i, a := range saved {
				if i == 1 || i == n-2 {
					continue
				}
				got, err := record.Get[Account](ctx, a.ID)
				require.NoError(t, err)
				assert.Same(t, a, got, "row %d", i)
			}
			return errors.New("roll back")
		})
		require.EqualError(t, err, "roll back")
		for _, a := range saved {
			assert.Zero(t, a.ID, "the rollback restores the generated key")
		}
		assert.Zero(t, e.visible(t))
	})
}

func TestExpireOnCommit(t *testing.T) {
	for _, expire := range []bool{true, false} {
		t.Run(fmt.Sprint("expire=", expire), func(t *testing.T) {
			db := dbtest.Open(t, "sqlite", dbtest.Options{Config: session.Config{ExpireOnCommit: &expire}, Models: []any{Account{}}})
			sctx, s, err := db.Begin(db.Ctx())
			require.NoError(t, err)
			defer s.Close()
			a := &Account{Email: "e@x"}
			require.NoError(t, a.Save(sctx))
			require.NoError(t, s.Commit(sctx))
			got, err := record.Get[Account](sctx, a.ID)
			require.NoError(t, err)
			if expire {
				assert.NotSame(t, a, got, "the identity map is dropped at commit")
			} else {
				assert.Same(t, a, got)
			}
		})
	}
}

func TestIsolationLevel(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Config: session.Config{IsolationLevel: "SERIALIZABLE"}}, func(t *testing.T, db *dbtest.DB) {
		err := db.Transaction(db.Ctx(), func(ctx context.Context) error {
			if db.Dialect != "postgres" {
				return nil // no portable way to read the level back
			}
			var level string
			require.NoError(t, db.Client.QueryRow(ctx, "SHOW transaction_isolation").Scan(&level))
			assert.Equal(t, "serializable", level)
			return nil
		})
		require.NoError(t, err)
	})
}

func TestConcurrentSavesThroughOneClient(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{Models: []any{Account{}}})
	ctx := db.Ctx()
	const workers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := (&Account{Email: fmt.Sprintf("w%d-%d@x", w, i)}).Save(ctx); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := record.Query[Account](ctx).Count()
	require.NoError(t, err)
	assert.EqualValues(t, workers*each, n)

	// Concurrent transactions, half of which roll back.
	var committed atomic.Int64
	errs2 := make(chan error, workers*10)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				fail := (w+i)%2 == 0
				err := db.Transaction(ctx, func(ctx context.Context) error {
					for j := range 3 {
						if err := (&Account{Email: fmt.Sprintf("t%d-%d-%d@x", w, i, j)}).Save(ctx); err != nil {
							return err
						}
					}
					if fail {
						return errors.New("planned rollback")
					}
					return nil
				})
				switch {
				case fail && err == nil:
					errs2 <- errors.New("a failing transaction returned nil")
				case !fail && err != nil:
					errs2 <- err
				case !fail:
					committed.Add(3)
				}
			}
		}()
	}
	wg.Wait()
	close(errs2)
	for err := range errs2 {
		t.Error(err)
	}
	n, err = record.Query[Account](ctx).Count()
	require.NoError(t, err)
	assert.Equal(t, workers*each+committed.Load(), n, "no lost and no extra rows")
	assert.EqualValues(t, workers*10/2*3, committed.Load())
}

func TestSessionUsedFromTwoGoroutinesIsReported(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{Models: []any{Account{}}})
	sctx, s, err := db.Begin(db.Ctx())
	require.NoError(t, err)
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A slow statement keeps the session busy for a while.
		var n int64
		_ = db.Client.QueryRow(sctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000000) SELECT count(*) FROM c`).Scan(&n)
	}()
	time.Sleep(200 * time.Millisecond) // let the slow statement start first
	var seen error
	for seen == nil {
		select {
		case <-done:
			t.Skip("the slow statement finished before a second goroutine could overlap it")
		default:
		}
		if _, err := db.Client.Exec(sctx, "SELECT 1"); errors.Is(err, session.ErrConcurrentUse) {
			seen = err
		}
	}
	<-done
	assert.ErrorIs(t, seen, session.ErrConcurrentUse)
}

// A Row read inside a transaction holds the session until Scan: a statement
// started on the session before then gets ErrConcurrentUse, instead of
// running on the connection while the row is still being read.
func TestRowHoldsTheSessionUntilScan(t *testing.T) {
	eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
		c := e.db.Client
		err := c.Transaction(ctx, func(ctx context.Context) error {
			row := c.QueryRow(ctx, "SELECT 1")
			_, err := c.Exec(ctx, "SELECT 2")
			require.ErrorIs(t, err, session.ErrConcurrentUse)
			var n int
			require.NoError(t, row.Scan(&n))
			assert.Equal(t, 1, n)
			_, err = c.Exec(ctx, "SELECT 3")
			return err // the session is free again after Scan
		})
		require.NoError(t, err)
	})
}
