package session_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// The usual way to turn SQLite's foreign keys on for a pool opened by
// hand is one PRAGMA on the pool, which sets it on one connection only.
// OpenDB checks PRAGMA foreign_keys on one connection, the idle one that
// ran the PRAGMA, and accepts the pool; the next connection the pool
// opens does not enforce foreign keys and the client writes an orphan.
// OpenDB must refuse such a pool (or the client must not write through
// connections without the setting).
func TestReviewOpenDBChecksOnlyOneSQLiteConnection(t *testing.T) {
	pool := ownPool(t, "sqlite", dbtest.URI(t, "sqlite"), "_foreign_keys")
	ctx := context.Background()
	_, err := pool.ExecContext(ctx, `PRAGMA foreign_keys = ON`)
	require.NoError(t, err)
	for _, q := range []string{
		`CREATE TABLE rv_parent (id INTEGER PRIMARY KEY)`,
		`CREATE TABLE rv_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES rv_parent (id))`,
	} {
		_, err := pool.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	db, err := session.OpenDB(pool, "sqlite", session.Config{})
	if err != nil {
		var ce *session.ConfigError
		require.ErrorAs(t, err, &ce, "refused, naming the setting")
		return
	}
	defer db.Close()
	// Another part of the application holds the one configured
	// connection for a moment; the client's write gets a new one.
	held, err := pool.Conn(ctx)
	require.NoError(t, err)
	defer held.Close()
	_, err = db.Exec(ctx, `INSERT INTO rv_child (id, parent_id) VALUES (1, 999)`)
	assert.ErrorIs(t, err, session.ErrForeignKey, "a row naming no parent is refused on every connection of the pool")
}

// A test harness's pool is often SQLite ":memory:", where every
// connection is a database of its own. OpenDB pins such a pool to one
// connection, as Open does, so that every statement of the client (and of
// the application on the pool) sees the same tables and rows.
func TestReviewOpenDBInMemorySQLitePool(t *testing.T) {
	pool, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)")
	require.NoError(t, err)
	t.Cleanup(func() { pool.Close() })
	pool.SetMaxOpenConns(4)
	db, err := session.OpenDB(pool, "sqlite", session.Config{})
	require.NoError(t, err)
	defer db.Close()
	assert.Equal(t, 1, pool.Stats().MaxOpenConnections, "pinned to one connection")
	ctx := db.Context(context.Background())
	_, err = db.Exec(ctx, `CREATE TABLE rv_mem (id INTEGER PRIMARY KEY)`)
	require.NoError(t, err)
	_, err = db.Exec(ctx, `INSERT INTO rv_mem (id) VALUES (1)`)
	require.NoError(t, err)
	require.NoError(t, db.Transaction(ctx, func(tx context.Context) error {
		_, err := db.Exec(tx, `INSERT INTO rv_mem (id) VALUES (2)`)
		return err
	}))
	var n int
	require.NoError(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM rv_mem`).Scan(&n))
	assert.Equal(t, 2, n, "the table is there for every statement of the client")
	require.NoError(t, pool.QueryRow(`SELECT COUNT(*) FROM rv_mem`).Scan(&n))
	assert.Equal(t, 2, n, "and for the application's own statements on the pool")
}
