package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// The Down statements of a SQLite rebuild keep the table's triggers and
// its AUTOINCREMENT counter too, and the plan names the triggers it
// creates again.
func TestSQLiteRebuildDownKeepsTriggersAndCounter(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ctx := db.Ctx()
	require.NoError(t, db.CreateAll(ctx, DiffOwner{}, DiffItemV1{}))
	_, err := db.DB().ExecContext(ctx, `CREATE TRIGGER diff_item_count AFTER INSERT ON diff_item BEGIN UPDATE diff_owner SET name = name || '+' WHERE id = NEW.owner_id; END`)
	require.NoError(t, err)
	_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_owner (id, name) VALUES (1, 'o')`)
	require.NoError(t, err)
	plan, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{})
	require.NoError(t, err)
	require.Len(t, plan.Steps, 1, "%s", plan)
	assert.Contains(t, plan.Steps[0].Description, "create trigger diff_item_count again")
	require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()))

	insert := func(q string) int64 {
		t.Helper()
		res, err := db.DB().ExecContext(ctx, q)
		require.NoError(t, err)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		return id
	}
	// After Up: keys 1 and 2, the last deleted.
	const v2 = `INSERT INTO diff_item (name, code, owner_id, score) VALUES ('n', hex(randomblob(8)), 1, 1)`
	assert.EqualValues(t, 1, insert(v2))
	assert.EqualValues(t, 2, insert(v2))
	_, err = db.DB().ExecContext(ctx, `DELETE FROM diff_item WHERE id = 2`)
	require.NoError(t, err)

	require.NoError(t, db.RunDDL(ctx, func(exec func(string, ...any) error) error {
		for _, q := range plan.DownSQL() {
			if err := exec(q); err != nil {
				return err
			}
		}
		return nil
	}))
	const v1 = `INSERT INTO diff_item (name, code, owner_id, old, score) VALUES ('n', hex(randomblob(8)), 1, '', 1)`
	assert.EqualValues(t, 3, insert(v1), "key 2 was used by a deleted row and must not come back")
	var name string
	require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT name FROM diff_owner WHERE id = 1`).Scan(&name))
	assert.Equal(t, "o+++", name, "the trigger fired before and after both rebuilds")
}

// A trigger that names a column the rebuild drops is created again as it
// was (SQLite accepts it and fails when it fires): the plan notes it.
func TestSQLiteRebuildNotesATriggerNamingADroppedColumn(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{})
	ctx := db.Ctx()
	require.NoError(t, db.CreateAll(ctx, DiffOwner{}, DiffItemV1{}))
	_, err := db.DB().ExecContext(ctx, `CREATE TRIGGER diff_item_old AFTER INSERT ON diff_item BEGIN UPDATE diff_owner SET name = NEW."old" WHERE id = NEW.owner_id; END`)
	require.NoError(t, err)
	_, err = db.DB().ExecContext(ctx, `CREATE TRIGGER diff_item_fine AFTER INSERT ON diff_item BEGIN UPDATE diff_owner SET name = NEW.code || 'older' WHERE id = NEW.owner_id; END`)
	require.NoError(t, err)
	plan, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{})
	require.NoError(t, err)
	assert.Equal(t, []string{"table diff_item: trigger diff_item_old names column old, which the rebuild drops: it is created again as it was and fails when it fires"}, plan.Notes)
}
