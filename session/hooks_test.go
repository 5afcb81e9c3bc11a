package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// seen is what a recorder keeps of one event (a hook must not keep the
// event itself).
type seen struct {
	op                    session.Operation
	sql                   string
	args                  int
	dialect, server, addr string
	err                   error
	dur                   time.Duration
	start                 time.Time
	sameCtx               bool // AfterQuery got the context its BeforeQuery returned
	cleanBefore           bool // BeforeQuery saw no duration and no error yet
}

func (s seen) String() string { return s.op.String() + " " + s.sql }

type hookCtxKey struct{}

// recorder is a QueryHook that keeps every event it ends, and counts those
// it started.
type recorder struct {
	mu      sync.Mutex
	started int
	ended   []seen
}

func (r *recorder) BeforeQuery(ctx context.Context, ev *session.QueryEvent) context.Context {
	r.mu.Lock()
	r.started++
	r.mu.Unlock()
	clean := ev.Duration == 0 && ev.Err == nil
	return context.WithValue(ctx, hookCtxKey{}, &clean)
}

func (r *recorder) AfterQuery(ctx context.Context, ev *session.QueryEvent) {
	clean, ok := ctx.Value(hookCtxKey{}).(*bool)
	s := seen{op: ev.Operation, sql: ev.SQL, args: ev.Args, dialect: ev.Dialect, server: ev.Server, addr: ev.Addr,
		err: ev.Err, dur: ev.Duration, start: ev.Start, sameCtx: ok, cleanBefore: ok && *clean}
	r.mu.Lock()
	r.ended = append(r.ended, s)
	r.mu.Unlock()
}

// take returns the events ended since the last take and forgets them.
func (r *recorder) take() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.ended
	r.ended, r.started = nil, 0
	return out
}

func (r *recorder) open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started - len(r.ended)
}

func withoutPrepares(evs []seen) []seen {
	var out []seen
	for _, e := range evs {
		if e.op != session.OpPrepare {
			out = append(out, e)
		}
	}
	return out
}

func names(evs []seen) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.String()
	}
	return out
}

// TestQueryHooks checks that every kind of statement the client sends
// reaches Config.Hooks once, with its operation, SQL, argument count,
// server, and the error the caller sees.
func TestQueryHooks(t *testing.T) {
	rec := &recorder{}
	opts := dbtest.Options{Models: []any{Account{}}, Config: session.Config{Hooks: []session.QueryHook{rec}}}
	dbtest.Each(t, opts, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ph := func(i int) string {
			if db.Dialect == "postgres" {
				return fmt.Sprintf("$%d", i)
			}
			return "?"
		}
		addr := ""
		if db.Dialect != "sqlite" {
			u, err := url.Parse(db.URI)
			require.NoError(t, err)
			addr = u.Host
		}
		rec.take() // CreateAll's
		insert := "INSERT INTO account (email) VALUES (" + ph(1) + ")"

		t.Run("exec, query and query row", func(t *testing.T) {
			_, err := db.Exec(ctx, insert, "h1@x")
			require.NoError(t, err)
			rows, err := db.Query(ctx, "SELECT email FROM account WHERE email = "+ph(1), "h1@x")
			require.NoError(t, err)
			require.NoError(t, rows.Close())
			row := db.QueryRow(ctx, "SELECT count(*) FROM account WHERE email <> "+ph(1)+" AND id > "+ph(2), "", 0)
			assert.Equal(t, 1, rec.open(), "QueryRow's statement ends at Scan")
			var n int
			require.NoError(t, row.Scan(&n))
			assert.Equal(t, 0, rec.open())
			got := rec.take()
			require.Len(t, got, 3)
			assert.Equal(t, []string{"exec " + insert, "query SELECT email FROM account WHERE email = " + ph(1),
				"query SELECT count(*) FROM account WHERE email <> " + ph(1) + " AND id > " + ph(2)}, names(got))
			assert.Equal(t, []int{1, 1, 2}, []int{got[0].args, got[1].args, got[2].args})
			for _, e := range got {
				assert.Equal(t, db.Dialect, e.dialect)
				assert.Equal(t, "primary", e.server)
				assert.Equal(t, addr, e.addr)
				assert.NoError(t, e.err)
				assert.True(t, e.sameCtx, "AfterQuery gets the context its BeforeQuery returned")
				assert.True(t, e.cleanBefore, "BeforeQuery sees neither duration nor error")
				assert.Positive(t, e.dur)
				assert.False(t, e.start.IsZero())
			}
		})

		t.Run("a failing statement reports the caller's error", func(t *testing.T) {
			_, err := db.Exec(ctx, insert, "h1@x")
			require.ErrorIs(t, err, session.ErrDuplicateKey)
			_, serr := db.Exec(ctx, "SELEC 1")
			require.Error(t, serr)
			var n int
			nerr := db.QueryRow(ctx, "SELECT id FROM account WHERE email = "+ph(1), "nobody@x").Scan(&n)
			require.ErrorIs(t, nerr, sql.ErrNoRows)
			got := rec.take()
			require.Equal(t, []string{"exec " + insert, "exec SELEC 1", "query SELECT id FROM account WHERE email = " + ph(1)}, names(got))
			assert.ErrorIs(t, got[0].err, session.ErrDuplicateKey)
			assert.Equal(t, err.Error(), got[0].err.Error())
			assert.Equal(t, serr.Error(), got[1].err.Error())
			assert.Equal(t, nerr, got[2].err, "QueryRow: the error Scan returns")
		})

		t.Run("a transaction with a savepoint", func(t *testing.T) {
			boom := errors.New("boom")
			require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
				if _, err := db.Exec(ctx, insert, "tx1@x"); err != nil {
					return err
				}
				err := db.Transaction(ctx, func(ctx context.Context) error {
					if _, err := db.Exec(ctx, insert, "tx2@x"); err != nil {
						return err
					}
					return boom
				}, session.Savepoint())
				require.ErrorIs(t, err, boom)
				return nil
			}))
			sp := "sqlservice_sp_1"
			d := db.Client.Dialect()
			got := rec.take()
			assert.Equal(t, []string{"begin BEGIN", "exec " + insert, "savepoint " + d.Savepoint(sp), "exec " + insert,
				"savepoint " + d.RollbackTo(sp), "savepoint " + d.Release(sp), "commit COMMIT"}, names(got))
			for _, e := range got {
				assert.NoError(t, e.err, e.sql)
				want := 0
				if e.op == session.OpExec {
					want = 1
				}
				assert.Equal(t, want, e.args, e.sql)
			}

			require.Error(t, db.Transaction(ctx, func(ctx context.Context) error {
				_, err := db.Exec(ctx, insert, "tx3@x")
				require.NoError(t, err)
				return boom
			}))
			got = rec.take()
			assert.Equal(t, []string{"begin BEGIN", "exec " + insert, "rollback ROLLBACK"}, names(got))
			for _, e := range got {
				assert.NoError(t, e.err, e.sql)
			}
		})

		t.Run("prepared statements are prepared once", func(t *testing.T) {
			q := "SELECT count(*) FROM account WHERE email = " + ph(1) + " OR id = " + ph(2)
			for range 2 {
				var n int
				require.NoError(t, session.QueryRowCached(db.Client, ctx, q, "a", -1).Scan(&n))
			}
			assert.Equal(t, []string{"prepare " + q, "query " + q, "query " + q}, names(rec.take()))

			st, err := db.Prepare(ctx, insert)
			require.NoError(t, err)
			_, err = st.Exec(ctx, "st@x")
			require.NoError(t, err)
			require.NoError(t, st.Close())
			assert.Equal(t, []string{"prepare " + insert, "exec " + insert}, names(rec.take()))
		})

		t.Run("record operations, streams and bulk writes", func(t *testing.T) {
			a := &Account{Email: "rec@x"}
			require.NoError(t, a.Save(ctx))
			var inserts int
			for _, e := range rec.take() {
				if e.op != session.OpPrepare && strings.HasPrefix(e.sql, "INSERT INTO") {
					inserts++
				}
			}
			assert.Equal(t, 1, inserts)
			for a, err := range record.Query[Account](ctx).Iter() {
				require.NoError(t, err)
				require.NotNil(t, a)
			}
			got := withoutPrepares(rec.take())
			require.Len(t, got, 1)
			assert.Equal(t, session.OpQuery, got[0].op)
			assert.True(t, strings.HasPrefix(got[0].sql, "SELECT"))
			n, err := record.BulkInsert[Account](ctx, []map[string]any{{"email": "b1@x"}, {"email": "b2@x"}, {"email": "b3@x"}})
			require.NoError(t, err)
			require.EqualValues(t, 3, n)
			got = withoutPrepares(rec.take())
			require.Len(t, got, 1)
			assert.Equal(t, session.OpExec, got[0].op)
			assert.True(t, strings.HasPrefix(got[0].sql, "INSERT INTO"))
			assert.Equal(t, 3, got[0].args)
		})

		t.Run("schema changes", func(t *testing.T) {
			require.NoError(t, db.RunDDL(ctx, func(exec func(string, ...any) error) error {
				return exec("CREATE TABLE hook_ddl (id INTEGER PRIMARY KEY)")
			}))
			got := names(rec.take())
			assert.Contains(t, got, "exec CREATE TABLE hook_ddl (id INTEGER PRIMARY KEY)")
			if db.Dialect != "mysql" { // MySQL commits each DDL statement by itself
				assert.Contains(t, got, "begin BEGIN")
				assert.Contains(t, got, "commit COMMIT")
			}
			err := db.RunDDL(ctx, func(exec func(string, ...any) error) error {
				return exec("CREATE TABLE hook_ddl (id INTEGER PRIMARY KEY)")
			})
			require.Error(t, err)
			var failed []seen
			for _, e := range rec.take() {
				if e.err != nil {
					failed = append(failed, e)
				}
			}
			require.Len(t, failed, 1)
			assert.Equal(t, "exec CREATE TABLE hook_ddl (id INTEGER PRIMARY KEY)", failed[0].String())
			require.NoError(t, db.CreateAll(ctx, Account{}))
			for _, e := range rec.take() {
				assert.Equal(t, session.OpExec, e.op, e.sql)
			}
		})

		t.Run("a read on a replica names the replica", func(t *testing.T) {
			replica := dbtest.Open(t, db.Dialect, dbtest.Options{Models: []any{Account{}}})
			c, err := session.Open(session.Config{DatabaseURI: db.URI, Replicas: []string{replica.URI}, Hooks: []session.QueryHook{rec}})
			require.NoError(t, err)
			defer c.Close()
			rec.take()
			rctx := c.Context(context.Background())
			var n int
			require.NoError(t, session.QueryRowCached(c, rctx, "SELECT count(*) FROM account").Scan(&n))
			assert.Zero(t, n, "the replica's table is empty")
			require.NoError(t, c.QueryRow(session.Primary(rctx), "SELECT count(*) FROM account").Scan(&n))
			assert.Positive(t, n)
			got := rec.take()
			require.Equal(t, []string{"prepare SELECT count(*) FROM account", "query SELECT count(*) FROM account",
				"query SELECT count(*) FROM account"}, names(got))
			assert.Equal(t, []string{"replica:1", "replica:1", "primary"}, []string{got[0].server, got[1].server, got[2].server})
			raddr := ""
			if db.Dialect != "sqlite" {
				u, err := url.Parse(replica.URI)
				require.NoError(t, err)
				raddr = u.Host
			}
			assert.Equal(t, raddr, got[1].addr)
		})
	})
}

// TestQueryHooksOrder checks that hooks run in order before a statement
// and in reverse order after it, each with its own context.
func TestQueryHooksOrder(t *testing.T) {
	var calls []string
	mk := func(name string) session.QueryHook { return &orderHook{name: name, calls: &calls} }
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://:memory:", Hooks: []session.QueryHook{mk("a"), mk("b")}})
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(context.Background(), "SELECT 1")
	require.NoError(t, err)
	assert.Equal(t, []string{"before a", "before b", "after b (b)", "after a (a)"}, calls)
	assert.Equal(t, "savepoint", session.OpSavepoint.String())
	assert.Equal(t, "Operation(99)", session.Operation(99).String())
}

type orderHook struct {
	name  string
	calls *[]string
}

type orderKey struct{}

func (h *orderHook) BeforeQuery(ctx context.Context, _ *session.QueryEvent) context.Context {
	*h.calls = append(*h.calls, "before "+h.name)
	return context.WithValue(ctx, orderKey{}, h.name)
}

func (h *orderHook) AfterQuery(ctx context.Context, _ *session.QueryEvent) {
	*h.calls = append(*h.calls, "after "+h.name+" ("+ctx.Value(orderKey{}).(string)+")")
}
