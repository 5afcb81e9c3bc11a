package session_test

import (
	"context"
	"errors"
	"net/url"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/faultproxy"
	"github.com/sqlservice/sqlservice/session"
)

// a session ended by Client.Close (shutdown while a request runs) or by
// Session.Close must not report a later Commit as successful: its work was
// rolled back.
func TestCommitAfterCloseFails(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		c, err := session.Open(session.Config{DatabaseURI: db.URI})
		require.NoError(t, err)
		ctx, s, err := c.Begin(c.Context(context.Background()))
		require.NoError(t, err)
		require.NoError(t, (&Entry{Body: "r1-closed"}).Save(ctx))
		var hook atomic.Int32
		require.NoError(t, c.Close()) // e.g. shutdown, from another goroutine
		session.AfterCommit(ctx, func(context.Context) { hook.Add(1) })
		err = s.Commit(ctx)
		assert.Equal(t, 0, rows(t, db, "r1-closed"), "rolled back by Close")
		assert.Error(t, err, "Commit of a session that Close rolled back reports success")
		assert.Zero(t, hook.Load(), "AfterCommit ran although nothing was committed")
	})
}

// a Savepoint level whose body runs a nested (non-savepoint)
// Transaction that fails: the savepoint should contain the failure (the
// code even clears s.failed for it), but ROLLBACK TO is refused by enter()
// because s.failed is set, so the whole transaction is aborted with
// ErrTxAborted although the connection is fine.
func TestSavepointContainsAFailedNestedLevel(t *testing.T) {
	dbtest.Each(t, integrityModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Entry{Body: "r2-outer"}).Save(ctx); err != nil {
				return err
			}
			serr := db.Transaction(ctx, func(ctx context.Context) error {
				if err := (&Entry{Body: "r2-level"}).Save(ctx); err != nil {
					return err
				}
				return db.Transaction(ctx, func(ctx context.Context) error {
					return errors.New("inner business error")
				})
			}, session.Savepoint())
			require.Error(t, serr)
			assert.NotErrorIs(t, serr, session.ErrTxAborted, "the connection is fine; only the level should roll back: %v", serr)
			return nil
		})
		assert.NoError(t, err, "the enclosing transaction should go on after a contained savepoint failure")
		assert.Equal(t, 1, rows(t, db, "r2-outer"))
		assert.Equal(t, 0, rows(t, db, "r2-level"))
	})
}

// Client.Close deadlocks when an explicit session waits for a pool
// connection inside begin (holding Session.mu) while another open Begin
// session holds the only connection: closeSessions blocks on the waiting
// session's mutex before it gets to close the holder (map order decides).
func TestCloseWhileASessionWaitsForAConnection(t *testing.T) {
	db := dbtest.Open(t, "sqlite", integrityModels)
	for round := range 8 {
		c, err := session.Open(session.Config{DatabaseURI: db.URI, PoolSize: 1, MaxOverflow: 0})
		require.NoError(t, err)
		base := c.Context(context.Background())
		bctx, b, err := c.Begin(base)
		require.NoError(t, err)
		require.NoError(t, b.Commit(bctx)) // b stays open, without a transaction
		_, _, err = c.Begin(base)          // a: holds the only connection
		require.NoError(t, err)
		go func() { _ = (&Entry{Body: "r3"}).Save(bctx) }() // b waits in begin, holding b.mu
		time.Sleep(50 * time.Millisecond)
		done := make(chan error, 1)
		go func() { done <- c.Close() }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Logf("%s", buf[:n])
			t.Fatalf("round %d: Client.Close deadlocked", round)
		}
	}
}

// pgConn corrects pgx's "safe to retry" only for statements without
// arguments, but pgx sends any statement through the simple protocol when
// the DSN sets default_query_exec_mode=simple_protocol (a common PgBouncer
// setting): then database/sql re-sends an INSERT whose reply was lost.
func TestLostReplyWithSimpleProtocol(t *testing.T) {
	db := dbtest.Open(t, "postgres", integrityModels)
	u, err := url.Parse(db.URI)
	require.NoError(t, err)
	p, err := faultproxy.Start(u.Host)
	require.NoError(t, err)
	defer p.Close()
	u.Host = p.Addr()
	q := u.Query()
	q.Set("default_query_exec_mode", "simple_protocol")
	u.RawQuery = q.Encode()
	c, err := session.Open(session.Config{DatabaseURI: u.String()})
	require.NoError(t, err)
	defer c.Close()
	ctx := c.Context(context.Background())
	require.NoError(t, (&Entry{Body: "warm-up"}).Save(ctx))
	fired := p.Arm("r4-simple", faultproxy.DropReply, 0)
	_, err = c.Exec(ctx, "INSERT INTO entry (body) VALUES ($1)", "r4-simple")
	waitFired(t, fired)
	t.Logf("err: %v", err)
	assert.Equal(t, 1, rows(t, db, "r4-simple"), "sent once")
	e := &Entry{Body: "r4-simple-save"}
	fired = p.Arm("r4-simple-save", faultproxy.DropReply, 0)
	err = e.Save(ctx)
	waitFired(t, fired)
	t.Logf("save err: %v", err)
	assert.Equal(t, 1, rows(t, db, "r4-simple-save"), "sent once")
}

// Client.Close (or Session.Close) from another goroutine while a
// statement of a Begin session runs: the rollback takes s.tx first, the
// statement completes, and the record's undo is then registered on a
// session without a transaction (dropped), so Save returned nil, the
// record keeps its key and is no longer new, yet its row was rolled back.
func TestCloseDuringSaveUndoesTheRecords(t *testing.T) {
	db := dbtest.Open(t, "sqlite", integrityModels)
	for round := range 20 {
		c, err := session.Open(session.Config{DatabaseURI: db.URI})
		require.NoError(t, err)
		ctx, _, err := c.Begin(c.Context(context.Background()))
		require.NoError(t, err)
		var saved []*Entry
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; ; i++ {
				e := &Entry{Body: "r5"}
				if err := e.Save(ctx); err != nil {
					return
				}
				saved = append(saved, e)
			}
		}()
		time.Sleep(time.Duration(1+round%5) * time.Millisecond)
		require.NoError(t, c.Close())
		<-done
		require.Equal(t, 0, rows(t, db, "r5"), "Close rolled everything back")
		for i, e := range saved {
			if e.ID != 0 {
				t.Fatalf("round %d: record %d of %d kept key %d though its row was rolled back", round, i+1, len(saved), e.ID)
			}
		}
	}
}

// on PostgreSQL a transaction in which a statement failed (its error
// swallowed by the caller) is rolled back by COMMIT: the server answers
// ROLLBACK and pgx returns ErrTxCommitRollback. That outcome is known,
// but commitOutcomeUnknown treats every non-server error as unknown: the
// caller gets ErrCommitUnknown, the records keep keys of rows that do not
// exist, and AfterRollback hooks never run.
func TestPostgresCommitAnsweredWithRollbackIsKnown(t *testing.T) {
	db := dbtest.Open(t, "postgres", integrityModels)
	ctx := db.Ctx()
	var rolledBack atomic.Int32
	e := &Entry{Body: "r6"}
	err := db.Transaction(ctx, func(ctx context.Context) error {
		session.AfterRollback(ctx, func(context.Context) { rolledBack.Add(1) })
		if err := e.Save(ctx); err != nil {
			return err
		}
		_, _ = db.Exec(ctx, "INSERT INTO no_such_table VALUES (1)") // swallowed
		return nil
	})
	require.Error(t, err)
	assert.Equal(t, 0, rows(t, db, "r6"))
	assert.NotErrorIs(t, err, session.ErrCommitUnknown, "the server said ROLLBACK: %v", err)
	assert.Zero(t, e.ID, "the record was undone")
	assert.EqualValues(t, 1, rolledBack.Load(), "AfterRollback ran")
}
