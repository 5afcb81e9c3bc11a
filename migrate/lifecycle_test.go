package migrate_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Release 1 of an application's models.
type LcAuthorV1 struct {
	record.Base[LcAuthorV1]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
	Bio  string `db:"bio,size=200"`
}

func (LcAuthorV1) TableName() string { return "lc_author" }

type LcBookV1 struct {
	record.Base[LcBookV1]
	ID       int64  `db:"id,pk,autoincrement"`
	Title    string `db:"title,size=100"`
	AuthorID int64  `db:"author_id"`
}

func (LcBookV1) TableName() string { return "lc_book" }

// Release 2: an index added, a column made nullable, a column added, a
// foreign key added, a table added.
type LcAuthorV2 struct {
	record.Base[LcAuthorV2]
	ID    int64   `db:"id,pk,autoincrement"`
	Name  string  `db:"name,size=50,index"`
	Bio   *string `db:"bio,size=200"`
	Email *string `db:"email,size=100"`
}

func (LcAuthorV2) TableName() string { return "lc_author" }

type LcBookV2 struct {
	record.Base[LcBookV2]
	ID       int64  `db:"id,pk,autoincrement"`
	Title    string `db:"title,size=100"`
	AuthorID int64  `db:"author_id,fk=lc_author.id"`
}

func (LcBookV2) TableName() string { return "lc_book" }

type LcReview struct {
	record.Base[LcReview]
	ID     int64 `db:"id,pk,autoincrement"`
	BookID int64 `db:"book_id,notnull,fk=lc_book.id"`
	Stars  int   `db:"stars,default=3"`
}

var (
	v1 = []any{LcAuthorV1{}, LcBookV1{}}
	v2 = []any{LcAuthorV2{}, LcBookV2{}, LcReview{}}
)

// modelTables reflects the schema without the runner's own tables.
func modelTables(t *testing.T, c *session.Client) map[string]*session.Table {
	t.Helper()
	require.NoError(t, c.Reflect(context.Background()))
	out := c.Tables()
	for name := range out {
		if strings.HasPrefix(name, migrate.Table) {
			delete(out, name)
		}
	}
	return out
}

func TestLifecycleFromModelsToMigrationAndBack(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.CreateAll(ctx, v1...))
		_, err := db.DB().ExecContext(ctx, `INSERT INTO lc_author (id, name, bio) VALUES (1, 'Ann', 'b')`)
		require.NoError(t, err)
		_, err = db.DB().ExecContext(ctx, `INSERT INTO lc_book (id, title, author_id) VALUES (1, 'T', 1)`)
		require.NoError(t, err)
		schemaV1 := modelTables(t, db.Client)

		plan, err := db.Diff(ctx, v2...)
		require.NoError(t, err)
		require.False(t, plan.Empty())
		assert.Empty(t, plan.Destructive(), "release 2 only adds and relaxes:\n%s", plan)
		assert.Empty(t, plan.Notes)

		dir := t.TempDir()
		up, down := migrate.FromPlan(plan, false)
		m, err := migrate.Create(dir, "release_2", up, down)
		require.NoError(t, err)
		assert.Equal(t, int64(1), m.Version)
		assert.Equal(t, "0001_release_2.up.sql", m.UpFile)

		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		ran, err := r.Up(ctx)
		require.NoError(t, err)
		require.Len(t, ran, 1)

		after, err := db.Diff(ctx, v2...)
		require.NoError(t, err)
		assert.True(t, after.Empty(), "the models and the migrated schema agree:\n%s", after)
		var title string
		require.NoError(t, db.DB().QueryRowContext(ctx, `SELECT title FROM lc_book WHERE id = 1`).Scan(&title))
		assert.Equal(t, "T", title, "rows are kept")
		_, err = db.DB().ExecContext(ctx, `INSERT INTO lc_book (id, title, author_id) VALUES (2, 'U', 99)`)
		assert.Error(t, err, "the new foreign key holds")
		_, err = db.DB().ExecContext(ctx, `UPDATE lc_author SET bio = NULL WHERE id = 1`)
		assert.NoError(t, err, "bio is nullable now")
		_, err = db.DB().ExecContext(ctx, `UPDATE lc_author SET bio = 'b' WHERE id = 1`)
		require.NoError(t, err)

		st, err := r.Status(ctx)
		require.NoError(t, err)
		require.Len(t, st, 1)
		assert.True(t, st[0].Applied)
		assert.False(t, st[0].Changed)

		undone, err := r.Down(ctx)
		require.NoError(t, err)
		require.NotNil(t, undone)
		assert.Equal(t, int64(1), undone.Version)
		assert.Equal(t, schemaV1, modelTables(t, db.Client), "migrate down gives the release 1 schema back")
		back, err := db.Diff(ctx, v1...)
		require.NoError(t, err)
		assert.True(t, back.Empty(), "%s", back)
		st, err = r.Status(ctx)
		require.NoError(t, err)
		assert.False(t, st[0].Applied)
	})
}
