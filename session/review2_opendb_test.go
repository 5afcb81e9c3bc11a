package session_test

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/faultproxy"
	"github.com/sqlservice/sqlservice/session"
)

// A PostgreSQL pool of pgx's own connections is refused by OpenDB: pgx sends every statement without arguments through the simple
// protocol whatever the mode, and reports a lost reply to it as safe to
// retry (driver.ErrBadConn): Open's connections (pgConn) turn that into a
// lost connection, a borrowed pool has no such wrapper, so database/sql
// (and the Client's own notSent rule) send the write again. Through Open,
// and through a pool of Connector's connections given to OpenDB, the
// argument-less INSERT is written once.
func TestReview2OpenDBPostgresLostReplyOfArgumentlessWrite(t *testing.T) {
	db := dbtest.Open(t, "postgres", integrityModels)
	u, err := url.Parse(db.URI)
	require.NoError(t, err)
	p, err := faultproxy.Start(u.Host)
	require.NoError(t, err)
	defer p.Close()
	u.Host = p.Addr()

	opened, err := session.Open(session.Config{DatabaseURI: u.String()})
	require.NoError(t, err)
	defer opened.Close()
	_, err = session.OpenDB(refusedPool(t, u.String()), "postgres", session.Config{})
	require.ErrorIs(t, err, session.ErrConfig, "pgx's own connections are refused")
	cn, err := session.Connector(u.String()) // what OpenDB asks for
	require.NoError(t, err)
	pool := sql.OpenDB(cn)
	defer pool.Close()
	borrowed, err := session.OpenDB(pool, "postgres", session.Config{})
	require.NoError(t, err)
	defer borrowed.Close()

	for _, tc := range []struct {
		name string
		c    *session.Client
	}{{"open", opened}, {"opendb", borrowed}} {
		ctx := tc.c.Context(context.Background())
		require.NoError(t, (&Entry{Body: "warm-up-" + tc.name}).Save(ctx))
		body := "r2-noargs-" + tc.name
		fired := p.Arm(body, faultproxy.DropReply, 0)
		_, err = tc.c.Exec(ctx, "INSERT INTO entry (body) VALUES ('"+body+"')")
		waitFired(t, fired)
		t.Logf("%s: err: %v", tc.name, err)
		assert.Equal(t, 1, rows(t, db, body), "%s: the INSERT is sent once", tc.name)
		if err != nil {
			assert.ErrorIs(t, err, session.ErrCommitUnknown, "%s: a write whose reply was lost has an unknown outcome", tc.name)
		}
	}
}

// Savepoint's documentation: a statement cancelled inside the level (its
// context's deadline passed) on PostgreSQL is cancelled with a cancel
// request, the connection lives on, and only the level rolls back. Open
// sets pgx's cancel-request handler on its connections; a pool given to
// OpenDB of pgx's own connections would keep pgx's default, which ends the
// statement by a deadline on the socket and loses the connection (the
// whole transaction fails with ErrTxAborted): OpenDB refuses it, and a
// pool of Connector's connections behaves as Open's.
func TestReview2OpenDBPostgresDeadlineInSavepointRollsBackTheLevelOnly(t *testing.T) {
	db := dbtest.Open(t, "postgres", integrityModels)
	_, err := session.OpenDB(refusedPool(t, db.URI), "postgres", session.Config{})
	require.ErrorIs(t, err, session.ErrConfig, "pgx's own connections are refused")
	cn, err := session.Connector(db.URI) // what OpenDB asks for
	require.NoError(t, err)
	pool := sql.OpenDB(cn)
	defer pool.Close()
	borrowed, err := session.OpenDB(pool, "postgres", session.Config{})
	require.NoError(t, err)
	defer borrowed.Close()

	for _, tc := range []struct {
		name string
		c    *session.Client
	}{{"open", db.Client}, {"opendb", borrowed}} {
		ctx := tc.c.Context(context.Background())
		before, after := "r2-before-"+tc.name, "r2-after-"+tc.name
		err := tc.c.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Entry{Body: before}).Save(ctx); err != nil {
				return err
			}
			lerr := tc.c.Transaction(ctx, func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				_, err := tc.c.Exec(ctx, "SELECT pg_sleep(3)")
				return err
			}, session.Savepoint())
			assert.Error(t, lerr, "%s: the level's statement ran past its deadline", tc.name)
			return (&Entry{Body: after}).Save(ctx)
		})
		assert.NoError(t, err, "%s: only the level rolls back", tc.name)
		assert.Equal(t, 1, rows(t, db, before), "%s: the work before the level is committed", tc.name)
		assert.Equal(t, 1, rows(t, db, after), "%s: the work after the level is committed", tc.name)
	}
}

// refusedPool is a pool of pgx's own connections.
func refusedPool(t *testing.T, uri string) *sql.DB {
	pool, err := sql.Open("pgx", uri)
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	return pool
}
