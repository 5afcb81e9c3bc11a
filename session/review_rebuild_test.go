package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// The SQLite rebuild (diff_sqlite.go: rebuild) drops the old table, which
// drops its triggers with it; its doc says it creates "its indexes and
// triggers again", but only the Down statements replay sqlite_master's
// triggers: Up recreates the model's indexes and nothing else. A trigger
// the application relies on (audit, denormalised counters) is gone after
// Apply, and the plan says nothing about it.
func TestReviewSQLiteRebuildKeepsTriggers(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ctx := db.Ctx()
	require.NoError(t, db.CreateAll(ctx, DiffOwner{}, DiffItemV1{}))
	_, err := db.DB().ExecContext(ctx, `CREATE TRIGGER diff_item_touch AFTER INSERT ON diff_item BEGIN UPDATE diff_owner SET name = 'touched' WHERE id = NEW.owner_id; END`)
	require.NoError(t, err)
	_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_owner (id, name) VALUES (1, 'o')`)
	require.NoError(t, err)

	plan, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{})
	require.NoError(t, err)
	rebuilt := false
	for _, s := range plan.Steps {
		rebuilt = rebuilt || s.Rebuild
	}
	require.True(t, rebuilt, "the foreign key makes SQLite rebuild diff_item:\n%s", plan)
	require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()))

	var n int
	require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'diff_item_touch'`).Scan(&n))
	assert.Equal(t, 1, n, "the table's trigger survives the rebuild")
	_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (name, code, owner_id, score) VALUES ('n', 'c', 1, 1)`)
	require.NoError(t, err)
	var name string
	require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT name FROM diff_owner WHERE id = 1`).Scan(&name))
	assert.Equal(t, "touched", name, "the trigger still fires")
}

// Keys of an AUTOINCREMENT table are never reused, even after the row
// with the largest key is deleted: SQLite keeps the high-water mark in
// sqlite_sequence under the table's name. The rebuild copies the rows
// into a new table and drops the old one, whose sqlite_sequence entry
// goes with it; the new table's counter restarts at the largest key that
// is left, so a deleted row's key is handed out again (and rows elsewhere
// that still name it, e.g. in an audit log or a cache, now point at a
// different row).
func TestReviewSQLiteRebuildKeepsAutoincrementCounter(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ctx := db.Ctx()
	require.NoError(t, db.CreateAll(ctx, DiffOwner{}, DiffItemV1{}))
	_, err := db.DB().ExecContext(ctx, `INSERT INTO diff_owner (id, name) VALUES (1, 'o')`)
	require.NoError(t, err)
	for _, code := range []string{"a", "b", "c"} {
		_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (name, code, owner_id, old, score) VALUES ('n', ?, 1, 'x', 1)`, code)
		require.NoError(t, err)
	}
	_, err = db.DB().ExecContext(ctx, `DELETE FROM diff_item WHERE id = 3`)
	require.NoError(t, err)

	plan, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{})
	require.NoError(t, err)
	require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()))

	res, err := db.DB().ExecContext(ctx, `INSERT INTO diff_item (name, code, owner_id, score) VALUES ('n', 'd', 1, 1)`)
	require.NoError(t, err)
	id, err := res.LastInsertId()
	require.NoError(t, err)
	assert.EqualValues(t, 4, id, "key 3 was used by a deleted row and must not come back")
}
