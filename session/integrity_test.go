package session_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/faultproxy"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Entry has no unique column, so a statement sent twice shows as two rows.
type Entry struct {
	record.Base[Entry]
	ID   int64  `db:"id,pk,autoincrement"`
	Body string `db:"body,size=100"`
}

// Keyed has a key the application assigns.
type Keyed struct {
	record.Base[Keyed]
	Code string `db:"code,pk,size=40"`
	Body string `db:"body,size=100"`
}

var integrityModels = dbtest.Options{Models: []any{Entry{}, Keyed{}}}

// rows counts entry rows whose body is body, with plain SQL on the
// client's own pool (outside any session).
func rows(t *testing.T, db *dbtest.DB, body string) int {
	t.Helper()
	var n int
	require.NoError(t, db.DB().QueryRow("SELECT count(*) FROM entry WHERE body = '"+body+"'").Scan(&n))
	return n
}

// eachServer runs fn on each database server, with a client through a
// fault proxy. The subtests are named server=<dialect>: they are not part
// of the suite every dialect must pass, because SQLite has no connection
// to fault.
func eachServer(t *testing.T, cfg session.Config, fn func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy)) {
	for _, d := range []string{"mysql", "postgres"} {
		t.Run("server="+d, func(t *testing.T) {
			db := dbtest.Open(t, d, integrityModels)
			pdb, proxy := dbtest.Proxied(t, db, cfg)
			fn(t, db, pdb, proxy)
		})
	}
}

func waitFired(t *testing.T, fired <-chan struct{}) {
	t.Helper()
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the armed fault never fired")
	}
}

// A write whose reply is lost ran on the server; sending it again would
// write it twice. Reads are sent again.
func TestLostReplyOfAWriteIsNeverSentTwice(t *testing.T) {
	eachServer(t, session.Config{}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		ctx := pdb.Ctx()
		require.NoError(t, (&Entry{Body: "warm-up"}).Save(ctx), "prepares the INSERT")

		fired := proxy.Arm("lost-insert", faultproxy.DropReply, 0)
		e := &Entry{Body: "lost-insert"}
		err := e.Save(ctx)
		waitFired(t, fired)
		require.Error(t, err, "a write whose reply was lost is not reported done")
		assert.ErrorIs(t, err, session.ErrCommitUnknown)
		assert.Equal(t, 1, rows(t, db, "lost-insert"), "the INSERT ran once and was not sent again")

		fired = proxy.Arm("lost-update", faultproxy.DropReply, 0)
		w, err := record.FindOne[Entry](ctx, builder.Eq{"body": "warm-up"})
		require.NoError(t, err)
		w.Body = "lost-update"
		err = w.Save(ctx)
		waitFired(t, fired)
		assert.ErrorIs(t, err, session.ErrCommitUnknown)
		assert.Equal(t, 1, rows(t, db, "lost-update"))

		fired = proxy.Arm("read-again", faultproxy.DropReply, 0)
		found, err := record.Query[Entry](ctx).Where(builder.Eq{"body": "read-again"}).All()
		waitFired(t, fired)
		require.NoError(t, err, "a plain read whose reply was lost is sent again")
		assert.Empty(t, found)
	})
}

// When the reply to COMMIT is lost, the transaction may or may not have
// committed: the error says so, and the records keep the state they were
// written with, so that saving again never duplicates a row.
func TestLostCommitReplyIsUnknownNotRolledBack(t *testing.T) {
	eachServer(t, session.Config{}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		ctx := pdb.Ctx()
		var afterCommit, afterRollback atomic.Int32
		e := &Entry{Body: "commit-lost"}
		var fired <-chan struct{}
		err := pdb.Transaction(ctx, func(ctx context.Context) error {
			session.AfterCommit(ctx, func(context.Context) { afterCommit.Add(1) })
			session.AfterRollback(ctx, func(context.Context) { afterRollback.Add(1) })
			if err := e.Save(ctx); err != nil {
				return err
			}
			fired = proxy.Arm("commit", faultproxy.DropReply, 0)
			return nil
		})
		waitFired(t, fired)
		require.ErrorIs(t, err, session.ErrCommitUnknown)
		assert.NotZero(t, e.ID, "the key stays as written")
		assert.False(t, e.IsNew())
		assert.Zero(t, afterCommit.Load(), "neither outcome is pretended")
		assert.Zero(t, afterRollback.Load(), "neither outcome is pretended")
		require.Equal(t, 1, rows(t, db, "commit-lost"), "the server committed")

		e.Body = "commit-lost-again"
		require.NoError(t, e.Save(ctx), "saving again updates the row")
		assert.Equal(t, 0, rows(t, db, "commit-lost"))
		assert.Equal(t, 1, rows(t, db, "commit-lost-again"), "no second row")
	})
}

// A deadline that passes while the COMMIT's reply is on its way: where the
// driver gives up waiting (pgx), the outcome is unknown; where it cannot
// be interrupted (MySQL's driver), the commit completes. Either way the
// records and the database agree.
func TestDeadlineDuringCommit(t *testing.T) {
	eachServer(t, session.Config{}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		ctx, cancel := context.WithTimeout(pdb.Ctx(), 300*time.Millisecond)
		defer cancel()
		e := &Entry{Body: "commit-late"}
		err := pdb.Transaction(ctx, func(ctx context.Context) error {
			if err := e.Save(ctx); err != nil {
				return err
			}
			proxy.Arm("commit", faultproxy.DelayReply, 3*time.Second)
			return nil
		})
		if db.Dialect == "postgres" {
			require.ErrorIs(t, err, session.ErrCommitUnknown)
		} else {
			require.NoError(t, err)
		}
		assert.NotZero(t, e.ID)
		assert.Equal(t, 1, rows(t, db, "commit-late"))
	})
}

// The context of a Savepoint level ends before the level returns its
// error: the level's work is still rolled back in the database, as it is
// in memory.
func TestCancelledSavepointLevelIsRolledBack(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		inner := &Entry{Body: "sp-cancelled"}
		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&Entry{Body: "sp-outer"}).Save(ctx))
			sctx, cancel := context.WithCancel(ctx)
			defer cancel()
			serr := db.Transaction(sctx, func(ctx context.Context) error {
				if err := inner.Save(ctx); err != nil {
					return err
				}
				cancel()
				return errors.New("the level fails")
			}, session.Savepoint())
			require.Error(t, serr)
			assert.Zero(t, inner.ID)
			assert.True(t, inner.IsNew())
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, 1, rows(t, db, "sp-outer"))
		assert.Equal(t, 0, rows(t, db, "sp-cancelled"), "the database agrees with the record")
	})
}

// A statement whose deadline passes inside a Savepoint level: PostgreSQL
// and SQLite cancel the statement and keep the connection, so only the
// level rolls back; MySQL's driver must close the connection, so the whole
// transaction fails with ErrTxAborted and nothing is committed.
func TestStatementTimeoutInsideSavepoint(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		slow := map[string]string{
			"sqlite":   `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000000) SELECT count(*) FROM c`,
			"mysql":    `SELECT SLEEP(3)`,
			"postgres": `SELECT 1 FROM pg_sleep(3)`,
		}[db.Dialect]
		ctx := db.Ctx()
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Entry{Body: "to-outer"}).Save(ctx); err != nil {
				return err
			}
			sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			serr := db.Transaction(sctx, func(ctx context.Context) error {
				if err := (&Entry{Body: "to-inner"}).Save(ctx); err != nil {
					return err
				}
				var n int64
				return db.QueryRow(ctx, slow).Scan(&n)
			}, session.Savepoint())
			require.Error(t, serr)
			if err := (&Entry{Body: "to-after"}).Save(ctx); err != nil {
				return err
			}
			return nil
		})
		if db.Dialect == "mysql" {
			require.ErrorIs(t, err, session.ErrTxAborted)
			assert.Equal(t, 0, rows(t, db, "to-outer"), "nothing of the aborted transaction is committed")
			assert.Equal(t, 0, rows(t, db, "to-after"))
		} else {
			require.NoError(t, err, "the outer transaction goes on")
			assert.Equal(t, 1, rows(t, db, "to-outer"))
			assert.Equal(t, 1, rows(t, db, "to-after"))
		}
		assert.Equal(t, 0, rows(t, db, "to-inner"))
	})
}

// A row inserted in a savepoint level that rolls back leaves the identity
// map with it, and the level's AfterRollback hooks run then.
func TestSavepointRollbackUndoesIdentityAndRunsItsHooks(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var levelRolledBack, levelCommitted atomic.Int32
		err := db.Transaction(ctx, func(ctx context.Context) error {
			serr := db.Transaction(ctx, func(ctx context.Context) error {
				session.AfterRollback(ctx, func(context.Context) { levelRolledBack.Add(1) })
				session.AfterCommit(ctx, func(context.Context) { levelCommitted.Add(1) })
				if err := (&Keyed{Code: "sp-key", Body: "x"}).Save(ctx); err != nil {
					return err
				}
				return errors.New("roll the level back")
			}, session.Savepoint())
			require.Error(t, serr)
			assert.EqualValues(t, 1, levelRolledBack.Load(), "AfterRollback ran when its level rolled back")

			_, err := record.Get[Keyed](ctx, "sp-key")
			assert.ErrorIs(t, err, record.ErrNotFound, "the identity map forgot the rolled-back row")
			n, err := record.Query[Keyed](ctx).Count()
			require.NoError(t, err)
			assert.Zero(t, n)
			return nil
		})
		require.NoError(t, err)
		assert.EqualValues(t, 1, levelRolledBack.Load(), "and only then")
		assert.Zero(t, levelCommitted.Load(), "AfterCommit of a rolled-back level never runs")
	})
}

// Goroutines sharing one session get ErrConcurrentUse, never a crash or a
// data race (this test runs under -race in CI).
func TestSharedSessionMisuseIsReported(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var unexpected []error
		var mu sync.Mutex
		note := func(err error) {
			// A statement that starts while another goroutine's runs is
			// refused with ErrConcurrentUse. One that starts while another
			// goroutine still reads the rows of its query is refused by
			// the driver (pgx: conn busy; MySQL: bad connection, which
			// ends the transaction: ErrRolledBack from then on).
			if err == nil || misuseReported(err) {
				return
			}
			mu.Lock()
			unexpected = append(unexpected, err)
			mu.Unlock()
		}
		err := db.Transaction(ctx, func(ctx context.Context) error {
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 25 {
						code := fmt.Sprintf("g%d-%d", g, i)
						switch i % 5 {
						case 0:
							note((&Keyed{Code: code, Body: "b"}).Save(ctx))
						case 1:
							_, err := record.Get[Keyed](ctx, fmt.Sprintf("g%d-%d", g, i-1))
							if !errors.Is(err, record.ErrNotFound) {
								note(err)
							}
						case 2:
							_, err := record.Query[Keyed](ctx).All()
							note(err)
						case 3:
							session.AfterCommit(ctx, func(context.Context) {})
							session.AfterRollback(ctx, func(context.Context) {})
							note((&Entry{Body: code}).Save(ctx))
						case 4:
							note(db.Transaction(ctx, func(ctx context.Context) error {
								return (&Keyed{Code: code, Body: "n"}).Save(ctx)
							}, session.Savepoint()))
						}
					}
				}()
			}
			wg.Wait()
			return nil
		})
		if err != nil {
			assert.True(t, misuseReported(err), "got %v", err)
		}
		assert.Empty(t, unexpected)
		// The client is fine afterwards.
		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			return (&Entry{Body: "after-misuse"}).Save(ctx)
		}))
		assert.Equal(t, 1, rows(t, db, "after-misuse"))
	})
}

// misuseReported reports whether err is one of the ways overlapping use of
// a session is reported: ErrConcurrentUse, a transaction that an earlier
// report doomed or ended (ErrRolledBack, ErrTxDone), or the driver's
// refusal of a statement while rows are read (pgx: conn busy; MySQL: bad
// or invalid connection).
func misuseReported(err error) bool {
	return errors.Is(err, session.ErrConcurrentUse) || errors.Is(err, session.ErrRolledBack) ||
		errors.Is(err, session.ErrTxDone) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, mysql.ErrBusyBuffer) || errors.Is(err, mysql.ErrPktSync) ||
		strings.Contains(err.Error(), "conn busy") // the drivers' own reports of overlapping use of a connection
}

// Transactions of two and three clients nest in every order: each write
// goes to the client attached last, no session links to another, and every
// client is usable afterwards.
func TestClientsNestInEveryOrder(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		dbs := []*dbtest.DB{db, dbtest.Open(t, db.Dialect, integrityModels), dbtest.Open(t, db.Dialect, integrityModels)}
		want := make([]int, 3)
		var orders [][]int
		for a := range 3 {
			for b := range 3 {
				orders = append(orders, []int{a, b})
				for c := range 3 {
					orders = append(orders, []int{a, b, c})
				}
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, order := range orders {
				for _, explicit := range []bool{false, true} {
					name := fmt.Sprint(order, explicit)
					tag := fmt.Sprintf("n%v%v", order, explicit)
					// level writes one entry through the context of its own
					// client, and at the innermost level one through
					// Context of every client.
					var level func(ctx context.Context, i int) error
					level = func(ctx context.Context, i int) error {
						if i == len(order) {
							for j, d := range dbs {
								if err := (&Entry{Body: tag}).Save(d.Context(ctx)); err != nil {
									return fmt.Errorf("Context of client %d: %w", j, err)
								}
								want[j]++
							}
							return nil
						}
						d := dbs[order[i]]
						c, err := session.FromContext(ctx)
						if i > 0 && (err != nil || c != dbs[order[i-1]].Client) {
							return fmt.Errorf("level %d: the context names %v, not the last client attached", i, c)
						}
						return d.Transaction(ctx, func(ctx context.Context) error {
							if c, err := session.FromContext(ctx); err != nil || c != d.Client {
								return fmt.Errorf("level %d: inside its Transaction the context names another client", i)
							}
							if err := (&Entry{Body: tag}).Save(ctx); err != nil {
								return err
							}
							want[order[i]]++
							return level(ctx, i+1)
						})
					}
					ctx := context.Background()
					var s *session.Session
					if explicit {
						var err error
						ctx, s, err = dbs[order[0]].Begin(ctx)
						if !assert.NoError(t, err, name) {
							return
						}
					}
					if !assert.NoError(t, level(ctx, 0), name) {
						return
					}
					if s != nil {
						assert.NoError(t, s.Commit(ctx), name)
						assert.NoError(t, s.Close(), name)
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Fatal("nesting the clients' transactions did not finish")
		}
		for j, d := range dbs {
			var n int
			require.NoError(t, d.DB().QueryRow("SELECT count(*) FROM entry").Scan(&n))
			assert.Equal(t, want[j], n, "client %d", j)
			require.NoError(t, d.Transaction(context.Background(), func(ctx context.Context) error {
				return (&Entry{Body: "fresh"}).Save(ctx)
			}), "client %d is usable afterwards", j)
		}
	})
}

// An AfterCommit hook writes on the pool: an audit or outbox row written
// there is committed, for a Transaction and for an explicit session.
func TestAfterCommitHookCanWrite(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		hookErr := make(chan error, 2)
		err := db.Transaction(ctx, func(ctx context.Context) error {
			session.AfterCommit(ctx, func(ctx context.Context) {
				hookErr <- (&Entry{Body: "outbox-tx"}).Save(ctx)
			})
			return (&Entry{Body: "main-tx"}).Save(ctx)
		})
		require.NoError(t, err)
		require.NoError(t, <-hookErr)
		assert.Equal(t, 1, rows(t, db, "outbox-tx"))

		bctx, s, err := db.Begin(ctx)
		require.NoError(t, err)
		defer s.Close()
		session.AfterCommit(bctx, func(ctx context.Context) {
			hookErr <- (&Entry{Body: "outbox-begin"}).Save(ctx)
		})
		require.NoError(t, (&Entry{Body: "main-begin"}).Save(bctx))
		require.NoError(t, s.Commit(bctx))
		require.NoError(t, <-hookErr)
		assert.False(t, s.InTransaction(), "the hook's write did not open a new transaction in the session")
		assert.Equal(t, 1, rows(t, db, "outbox-begin"), "the hook's write is committed")
	})
}

// Writing inside an Iter loop works with one connection, inside and
// outside a transaction, instead of waiting forever or failing with a
// bare driver error.
func TestSaveInsideIterLoop(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		clients := map[string]*dbtest.DB{
			"default pool": db,
			"PoolSize 1":   dbtest.Open(t, db.Dialect, dbtest.Options{Config: session.Config{PoolSize: 1}, Models: integrityModels.Models}),
		}
		if db.Dialect == "sqlite" {
			mem, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
			require.NoError(t, err)
			t.Cleanup(func() { mem.Close() })
			require.NoError(t, mem.CreateAll(context.Background(), Entry{}, Keyed{}))
			clients["single connection"] = &dbtest.DB{Client: mem, Dialect: "sqlite"}
		} else {
			clients["single connection"] = dbtest.Open(t, db.Dialect, dbtest.Options{Config: session.Config{PoolSize: 1}, Models: integrityModels.Models})
		}
		for name, c := range clients {
			for _, inTx := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s tx=%v", name, inTx), func(t *testing.T) {
					ctx, cancel := context.WithTimeout(c.Ctx(), 30*time.Second)
					defer cancel()
					prefix := fmt.Sprintf("iter-%v-", inTx)
					for i := range 5 {
						require.NoError(t, (&Entry{Body: fmt.Sprintf("%s%d", prefix, i)}).Save(ctx))
					}
					work := func(ctx context.Context) error {
						seen := 0
						for e, err := range record.Query[Entry](ctx).Where(builder.Like{"body": prefix + "%"}).OrderBy("id").Iter() {
							if err != nil {
								return err
							}
							seen++
							e.Body += "-seen"
							if err := e.Save(ctx); err != nil {
								return err
							}
							if err := (&Keyed{Code: e.Body, Body: "added in the loop"}).Save(ctx); err != nil {
								return err
							}
						}
						if seen != 5 {
							return fmt.Errorf("the loop saw %d rows, want 5", seen)
						}
						return nil
					}
					if inTx {
						require.NoError(t, c.Transaction(ctx, work))
					} else {
						require.NoError(t, work(ctx))
					}
					n, err := record.Query[Entry](ctx).Where(builder.Like{"body": prefix + "%-seen"}).Count()
					require.NoError(t, err)
					assert.EqualValues(t, 5, n)
					k, err := record.Query[Keyed](ctx).Where(builder.Like{"code": prefix + "%"}).Count()
					require.NoError(t, err)
					assert.EqualValues(t, 5, k)
				})
			}
		}
	})
}

// Client.Close ends the sessions opened with Begin and never closed,
// rolled back, so that every connection is given back.
func TestCloseEndsOpenSessions(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		c, err := session.Open(session.Config{DatabaseURI: db.URI})
		require.NoError(t, err)
		open := 5
		if db.Dialect == "sqlite" {
			open = 1 // SQLite has one writer at a time
		}
		var sessions []*session.Session
		for range open {
			ctx, s, err := c.Begin(c.Context(context.Background()))
			require.NoError(t, err)
			require.NoError(t, (&Entry{Body: "never-committed"}).Save(ctx))
			sessions = append(sessions, s)
		}
		assert.Equal(t, open, c.DB().Stats().InUse, "each session holds a connection")
		require.NoError(t, c.Close())
		assert.Zero(t, c.DB().Stats().OpenConnections, "every connection was given back and closed")
		for _, s := range sessions {
			assert.False(t, s.InTransaction())
		}
		assert.Equal(t, 0, rows(t, db, "never-committed"), "their work was rolled back")
		require.NoError(t, (&Entry{Body: "after-close"}).Save(db.Ctx()), "nothing is left locked")
	})
}

// After the server (or the network) dropped every idle connection of the
// pool, Ping answers from a fresh connection instead of failing once.
func TestPingAfterIdleConnectionsDropped(t *testing.T) {
	eachServer(t, session.Config{PoolSize: 5}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		ctx := pdb.Ctx()
		use := func() { // five connections, each used twice, idle afterwards
			var wg sync.WaitGroup
			for range 5 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := pdb.Exec(ctx, "SELECT 1")
					assert.NoError(t, err)
				}()
			}
			wg.Wait()
		}
		for round := range 3 {
			// pgx pings a reused connection itself only when it has been
			// idle for a second since its last reuse: use them again.
			use()
			use()
			proxy.KillAll()
			time.Sleep(20 * time.Millisecond)
			require.NoError(t, pdb.Ping(ctx), "round %d", round)
		}
	})
}

// On SQLite an interrupted write rolls back the whole transaction, so a
// Savepoint level cannot be rolled back alone: every level fails with
// ErrTxAborted and nothing is committed.
func TestSQLiteInterruptedWriteAbortsTransaction(t *testing.T) {
	db := dbtest.Open(t, "sqlite", integrityModels)
	ctx := db.Ctx()
	err := db.Transaction(ctx, func(ctx context.Context) error {
		if err := (&Entry{Body: "iw-outer"}).Save(ctx); err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		serr := db.Transaction(sctx, func(ctx context.Context) error {
			_, err := db.Exec(ctx, `INSERT INTO entry (body) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 100000000) SELECT 'iw-inner' FROM c`)
			return err
		}, session.Savepoint())
		require.ErrorIs(t, serr, session.ErrTxAborted)
		return (&Entry{Body: "iw-after"}).Save(ctx)
	})
	require.ErrorIs(t, err, session.ErrTxAborted)
	assert.Equal(t, 0, rows(t, db, "iw-outer"))
	assert.Equal(t, 0, rows(t, db, "iw-inner"))
	assert.Equal(t, 0, rows(t, db, "iw-after"))
}

// A write without arguments whose reply is lost is not sent again either:
// pgx reports that loss as safe to retry, on which database/sql would
// re-send it (see pgConn).
func TestLostReplyOfAWriteWithoutArguments(t *testing.T) {
	eachServer(t, session.Config{}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		fired := proxy.Arm("noarg-insert", faultproxy.DropReply, 0)
		_, err := pdb.Exec(pdb.Ctx(), "INSERT INTO entry (body) VALUES ('noarg-insert')")
		waitFired(t, fired)
		assert.ErrorIs(t, err, session.ErrCommitUnknown)
		assert.Equal(t, 1, rows(t, db, "noarg-insert"), "sent once")
	})
}

// A context that outlived its Transaction (kept by a goroutine the
// transaction started, say) does not run statements outside it by
// accident, but a new Transaction given it starts afresh.
func TestContextOutlivingItsTransaction(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		var kept context.Context
		require.NoError(t, db.Transaction(db.Ctx(), func(ctx context.Context) error {
			kept = ctx
			return nil
		}))
		assert.ErrorIs(t, (&Entry{Body: "stray"}).Save(kept), session.ErrTxDone)
		require.NoError(t, db.Transaction(kept, func(ctx context.Context) error {
			return (&Entry{Body: "fresh-tx"}).Save(ctx)
		}))
		assert.Equal(t, 1, rows(t, db, "fresh-tx"))
		assert.Equal(t, 0, rows(t, db, "stray"))
	})
}

// A plain read through Client.Query and Client.QueryRow (not kept
// prepared) whose reply was lost is sent again on a fresh connection, as a
// read of the record package is: the retry ran nothing and returned the
// first attempt's error.
func TestLostReplyOfAnUnpreparedReadIsSentAgain(t *testing.T) {
	eachServer(t, session.Config{}, func(t *testing.T, db, pdb *dbtest.DB, proxy *faultproxy.Proxy) {
		ctx := pdb.Ctx()
		require.NoError(t, (&Entry{Body: "there"}).Save(ctx))

		fired := proxy.Arm("unprepared-query", faultproxy.DropReply, 0)
		rs, err := pdb.Query(ctx, "SELECT body FROM entry WHERE body <> 'unprepared-query'")
		waitFired(t, fired)
		require.NoError(t, err, "Query: sent again")
		var got []string
		for rs.Next() {
			var b string
			require.NoError(t, rs.Scan(&b))
			got = append(got, b)
		}
		require.NoError(t, rs.Err())
		assert.Equal(t, []string{"there"}, got)

		fired = proxy.Arm("unprepared-row", faultproxy.DropReply, 0)
		var n int
		err = pdb.QueryRow(ctx, "SELECT count(*) FROM entry WHERE body <> 'unprepared-row'").Scan(&n)
		waitFired(t, fired)
		require.NoError(t, err, "QueryRow: sent again")
		assert.Equal(t, 1, n)
	})
}
