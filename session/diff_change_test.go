package session_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type DiffOwner struct {
	record.Base[DiffOwner]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=40"`
}

// DiffItemV1 and DiffItemV2 are two releases of one table.
type DiffItemV1 struct {
	record.Base[DiffItemV1]
	ID      int64  `db:"id,pk,autoincrement"`
	Name    string `db:"name,size=50"`
	Code    string `db:"code,size=20"`
	OwnerID int64  `db:"owner_id"`
	Old     string `db:"old,size=10,index"`
	Score   int32  `db:"score"`
}

func (DiffItemV1) TableName() string { return "diff_item" }

type DiffItemV2 struct {
	record.Base[DiffItemV2]
	ID      int64   `db:"id,pk,autoincrement"`
	Name    *string `db:"name,size=50"`                    // made nullable
	Code    string  `db:"code,size=20,unique"`             // unique key added
	OwnerID int64   `db:"owner_id,fk=diff_owner.id,index"` // foreign key and index added
	Age     int     `db:"age,default=7"`                   // column added
	Score   int64   `db:"score"`                           // widened
	Label   string  `db:"label,size=30,default='none'"`    // column added with a string default
	// Old is gone: a destructive step.
}

func (DiffItemV2) TableName() string { return "diff_item" }

type DiffTag struct {
	record.Base[DiffTag]
	ID     int64  `db:"id,pk,autoincrement"`
	ItemID int64  `db:"item_id,fk=diff_item.id"`
	Tag    string `db:"tag,size=20"`
}

// schemaOf reflects the tables of the live schema, without the generated
// names nobody wrote (SQLite's autoindex names are stable anyway).
func schemaOf(t *testing.T, db *dbtest.DB) map[string]*session.Table {
	t.Helper()
	require.NoError(t, db.Reflect(context.Background()))
	return db.Tables()
}

func TestDiffPlansEveryKindOfChangeAndApplyMakesThem(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.CreateAll(ctx, DiffOwner{}, DiffItemV1{}))
		_, err := db.DB().ExecContext(ctx, `INSERT INTO diff_owner (id, name) VALUES (1, 'o')`)
		require.NoError(t, err)
		_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (id, name, code, owner_id, old, score) VALUES (1, 'n', 'c', 1, 'x', 5)`)
		require.NoError(t, err)
		v1 := schemaOf(t, db)

		plan, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{}, DiffTag{})
		require.NoError(t, err)
		require.False(t, plan.Empty())
		assert.Empty(t, plan.Notes)
		var all []string
		for _, s := range plan.Steps {
			all = append(all, s.Description)
			assert.NotEmpty(t, s.Up, s.Description)
			assert.NotEmpty(t, s.Down, s.Description)
		}
		text := strings.Join(all, "\n")
		for _, want := range []string{
			"create table diff_tag",
			"add column diff_item.age",
			"add column diff_item.label",
			"alter column diff_item.name: nullable",
			"add unique key on diff_item (code)",
			"add index on diff_item (owner_id)",
			"add foreign key diff_item.owner_id -> diff_owner.id",
			"drop column diff_item.old",
		} {
			assert.Contains(t, text, want)
		}
		if db.Dialect != "sqlite" { // SQLite stores both in one INTEGER affinity
			assert.Contains(t, text, "alter column diff_item.score: type")
		}
		require.NotEmpty(t, plan.Destructive(), "dropping a column is destructive")

		// Refused as a whole: nothing ran.
		err = db.Apply(ctx, plan)
		require.ErrorIs(t, err, session.ErrDestructive)
		assert.Contains(t, err.Error(), "drop column diff_item.old")
		assert.Equal(t, v1, schemaOf(t, db), "a refused plan changes nothing")

		require.NoError(t, db.Apply(ctx, plan, session.AllowDestructive()))
		again, err := db.Diff(ctx, DiffOwner{}, DiffItemV2{}, DiffTag{})
		require.NoError(t, err)
		assert.True(t, again.Empty(), "after Apply:\n%s", again)
		var name string
		var age int
		var label string
		require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT name, age, label FROM diff_item WHERE id = 1`).Scan(&name, &age, &label))
		assert.Equal(t, "n", name, "rows are kept")
		assert.Equal(t, 7, age)
		assert.Equal(t, "none", label)
		_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (id, name, code, owner_id, score) VALUES (2, NULL, 'd', 1, 6)`)
		require.NoError(t, err, "name takes NULL now")
		_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (id, name, code, owner_id, score) VALUES (3, 'z', 'e', 99, 6)`)
		require.Error(t, err, "the foreign key holds")
		_, err = db.DB().ExecContext(ctx, `INSERT INTO diff_item (id, name, code, owner_id, score) VALUES (4, 'z', 'd', 1, 6)`)
		require.Error(t, err, "the unique key holds")
		_, err = db.DB().ExecContext(ctx, `DELETE FROM diff_item WHERE id = 2`)
		require.NoError(t, err)

		// The plan's Down statements put the v1 schema back.
		require.NoError(t, db.RunDDL(ctx, func(exec func(string, ...any) error) error {
			for _, q := range plan.DownSQL() {
				if err := exec(q); err != nil {
					return err
				}
			}
			return nil
		}))
		assert.Equal(t, sorted(v1), sorted(schemaOf(t, db)), "PostgreSQL adds a column back last")
		back, err := db.Diff(ctx, DiffOwner{}, DiffItemV1{})
		require.NoError(t, err)
		assert.True(t, back.Empty(), "v1 again:\n%s", back)
	})
}

// sorted orders each table's columns by name: PostgreSQL cannot put a
// dropped column back at its place.
func sorted(tables map[string]*session.Table) map[string]*session.Table {
	for _, t := range tables {
		slices.SortFunc(t.Columns, func(a, b session.TableColumn) int { return strings.Compare(a.Name, b.Name) })
	}
	return tables
}

type NarrowV1 struct {
	record.Base[NarrowV1]
	ID   int64  `db:"id,pk,autoincrement"`
	Code string `db:"code,size=50"`
	Qty  int64  `db:"qty"`
}

func (NarrowV1) TableName() string { return "narrow" }

type NarrowV2 struct {
	record.Base[NarrowV2]
	ID   int64  `db:"id,pk,autoincrement"`
	Code string `db:"code,size=10"`
	Qty  int32  `db:"qty"`
}

func (NarrowV2) TableName() string { return "narrow" }

func TestDiffMarksNarrowingTypeChangesDestructive(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.CreateAll(ctx, NarrowV1{}))
		plan, err := db.Diff(ctx, NarrowV2{})
		require.NoError(t, err)
		if db.Dialect == "sqlite" {
			// One affinity (TEXT, INTEGER) before and after; SQLite does not
			// enforce sizes, so there is nothing to change.
			assert.True(t, plan.Empty(), "%s", plan)
			return
		}
		require.Len(t, plan.Steps, 2, "%s", plan)
		for _, s := range plan.Steps {
			assert.True(t, s.Destructive, s.Description)
		}
		require.ErrorIs(t, db.Apply(ctx, plan), session.ErrDestructive)
		back, err := db.Diff(ctx, NarrowV1{})
		require.NoError(t, err)
		assert.True(t, back.Empty(), "nothing ran: %s", back)
	})
}
