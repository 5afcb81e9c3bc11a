package record_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// SoftPost has every column the library writes itself: a version,
// creation and update times, and a soft-delete time. Its comments are
// soft-deleted with it; its tags (not soft-deletable) stay.
type SoftPost struct {
	record.Base[SoftPost]
	ID       int64          `db:"id,pk,autoincrement"`
	Title    string         `db:"title,size=50,unique"`
	Ver      int64          `db:"ver,version"`
	Created  time.Time      `db:"created_at,autocreate"`
	Updated  *time.Time     `db:"updated_at,autoupdate"`
	Deleted  *time.Time     `db:"deleted_at,softdelete"`
	Comments []*SoftComment `rel:"cascade"`
	Tags     []*SoftTag     `rel:"cascade"`
}

type SoftComment struct {
	record.Base[SoftComment]
	ID         int64      `db:"id,pk,autoincrement"`
	SoftPostID int64      `db:"soft_post_id,fk=soft_post.id"`
	Body       string     `db:"body,size=50"`
	Deleted    *time.Time `db:"deleted_at,softdelete"`
}

type SoftTag struct {
	record.Base[SoftTag]
	ID         int64  `db:"id,pk,autoincrement"`
	SoftPostID int64  `db:"soft_post_id,fk=soft_post.id"`
	Name       string `db:"name,size=20"`
}

var softModels = dbtest.Options{Models: []any{SoftPost{}, SoftComment{}, SoftTag{}}}

func seedSoft(t *testing.T, ctx context.Context) []*SoftPost {
	t.Helper()
	var ps []*SoftPost
	for i := range 3 {
		p := &SoftPost{Title: fmt.Sprintf("p%d", i),
			Comments: []*SoftComment{{Body: fmt.Sprintf("c%d", i)}},
			Tags:     []*SoftTag{{Name: fmt.Sprintf("t%d", i)}}}
		require.NoError(t, p.Save(ctx))
		ps = append(ps, p)
	}
	return ps
}

func TestAutoTimes(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		before := time.Now().Add(-time.Second)
		p := &SoftPost{Title: "a"}
		since := len(db.Log())
		require.NoError(t, p.Save(ctx))
		assert.Equal(t, 1, countSQL(db, since, "INSERT"), "the times are in the INSERT itself")
		assert.Zero(t, countSQL(db, since, "BEGIN"), "no transaction added")
		require.False(t, p.Created.IsZero())
		require.NotNil(t, p.Updated)
		assert.True(t, p.Created.After(before) && p.Created.Equal(*p.Updated), "created %v, updated %v", p.Created, *p.Updated)
		stored, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": p.ID}).First()
		require.NoError(t, err)
		assert.True(t, stored.Created.Equal(p.Created), "the record holds what the row holds: %v, %v", stored.Created, p.Created)

		created := p.Created
		time.Sleep(2 * time.Millisecond)
		p.Title = "b"
		require.NoError(t, p.Save(ctx))
		assert.True(t, p.Created.Equal(created), "autocreate is set once")
		assert.True(t, p.Updated.After(created), "autoupdate is set by every UPDATE")
		assert.Contains(t, lastSQL(db, "UPDATE"), "updated_at")
		got, err := record.Get[SoftPost](ctx, p.ID)
		require.NoError(t, err)
		assert.True(t, got.Updated.Equal(*p.Updated))
		assert.Empty(t, got.Changed(), "nothing left to save")

		// An update with nothing changed writes nothing, not even the time.
		since = len(db.Log())
		require.NoError(t, p.Save(ctx))
		assert.Zero(t, countSQL(db, since, "UPDATE"))

		// Update by criteria sets the time in its statement.
		time.Sleep(2 * time.Millisecond)
		n, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": p.ID}).Update(map[string]any{"title": "c"})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		got, err = record.Get[SoftPost](ctx, p.ID)
		require.NoError(t, err)
		assert.True(t, got.Updated.After(*p.Updated))

		// The bulk inserts set them too, where a row has none.
		_, err = record.BulkInsert[SoftPost](ctx, []map[string]any{{"title": "m1"}, {"title": "m2", "created_at": time.Time{}}})
		require.NoError(t, err)
		recs := []*SoftPost{{Title: "r1"}}
		_, err = record.BulkInsert[SoftPost](ctx, recs)
		require.NoError(t, err)
		assert.False(t, recs[0].Created.IsZero(), "the record holds the time it was stored with")
		bulk, err := record.Query[SoftPost](ctx).Where(builder.Like{"title": "_1"}).All()
		require.NoError(t, err)
		bulk2, err := record.Query[SoftPost](ctx).Where(builder.Eq{"title": "m2"}).All()
		require.NoError(t, err)
		require.Len(t, append(bulk, bulk2...), 3)
		for _, b := range append(bulk, bulk2...) {
			assert.True(t, b.Created.After(before), "%s created %v", b.Title, b.Created)
			require.NotNil(t, b.Updated, b.Title)
			assert.True(t, b.Updated.After(before), "%s updated %v", b.Title, *b.Updated)
		}

		// A time the caller sets is kept.
		fixed := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
		q := &SoftPost{Title: "fixed", Created: fixed}
		require.NoError(t, q.Save(ctx))
		assert.True(t, q.Created.Equal(fixed))
	})
}

func TestSoftDelete(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		require.NoError(t, ps[0].Destroy(ctx))
		assert.Equal(t, golden(db.Dialect, `UPDATE "soft_post" SET "deleted_at" = ?, "updated_at" = ?, "ver" = "ver" + 1 WHERE "id" = ? AND "ver" = ? AND "deleted_at" IS NULL`),
			lastSQL(db, "UPDATE"))
		require.NotNil(t, ps[0].Deleted, "the record holds its deletion time")

		// Every read skips the row.
		_, err := record.Get[SoftPost](ctx, ps[0].ID)
		assert.ErrorIs(t, err, record.ErrNotFound)
		n, err := record.Query[SoftPost](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		assert.Equal(t, golden(db.Dialect, `SELECT COUNT(*) FROM "soft_post" WHERE "deleted_at" IS NULL`), lastSQL(db, "SELECT"))
		ok, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": ps[0].ID}).Exists()
		require.NoError(t, err)
		assert.False(t, ok)
		titles, err := record.Pluck[string](record.Query[SoftPost](ctx).OrderBy("title"), "title")
		require.NoError(t, err)
		assert.Equal(t, []string{"p1", "p2"}, titles)
		type row struct{ Title string }
		rows, err := record.Scan[row](record.Query[SoftPost](ctx).OrderBy("title"))
		require.NoError(t, err)
		assert.Equal(t, []row{{"p1"}, {"p2"}}, rows)

		// The cascade soft-deleted the comment; the tag (no softdelete) stays.
		comments, err := record.Query[SoftComment](ctx).Where(builder.Eq{"soft_post_id": ps[0].ID}).Count()
		require.NoError(t, err)
		assert.Zero(t, comments)
		all, err := record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"soft_post_id": ps[0].ID}).All()
		require.NoError(t, err)
		require.Len(t, all, 1)
		assert.NotNil(t, all[0].Deleted)
		tags, err := record.Query[SoftTag](ctx).Where(builder.Eq{"soft_post_id": ps[0].ID}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, tags)

		// Preload skips soft-deleted children; WithDeleted sees everything.
		require.NoError(t, (&SoftComment{SoftPostID: ps[1].ID, Body: "gone"}).Save(ctx))
		_, err = record.Query[SoftComment](ctx).Where(builder.Eq{"body": "gone"}).Delete()
		require.NoError(t, err)
		loaded, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": ps[1].ID}).Preload("Comments").First()
		require.NoError(t, err)
		require.Len(t, loaded.Comments, 1)
		assert.Equal(t, "c1", loaded.Comments[0].Body)
		everything, err := record.Query[SoftPost](ctx).WithDeleted().Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, everything)

		// Destroy by key and Delete by criteria set the column too; a
		// second destroy of a deleted row finds nothing.
		n, err = record.Destroy[SoftPost](ctx, ps[1].ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		n, err = record.Destroy[SoftPost](ctx, ps[1].ID)
		require.NoError(t, err)
		assert.Zero(t, n)
		n, err = record.Query[SoftPost](ctx).Where(builder.Eq{"title": "p2"}).Delete()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		n, err = record.Query[SoftPost](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, n)

		// Update by criteria leaves soft-deleted rows alone unless told.
		n, err = record.Query[SoftPost](ctx).Update(map[string]any{"title": "x"})
		require.NoError(t, err)
		assert.Zero(t, n)

		// Purge deletes for real, with the cascades (the tag too).
		n, err = record.Purge[SoftPost](ctx, ps[0].ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		n, err = record.Query[SoftPost](ctx).WithDeleted().Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		tags, err = record.Query[SoftTag](ctx).Where(builder.Eq{"soft_post_id": ps[0].ID}).Count()
		require.NoError(t, err)
		assert.Zero(t, tags)
		comments, err = record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"soft_post_id": ps[0].ID}).Count()
		require.NoError(t, err)
		assert.Zero(t, comments)
		_, err = record.Query[SoftTag](ctx).Purge()
		require.NoError(t, err)
		_, err = record.Query[SoftComment](ctx).Purge()
		require.NoError(t, err)
		n, err = record.Query[SoftPost](ctx).Where(builder.Eq{"title": "p1"}).Purge()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, golden(db.Dialect, `DELETE FROM "soft_post" WHERE "title" = ?`), lastSQL(db, "DELETE"))

		// A soft-deleted row keeps its unique values.
		assert.ErrorIs(t, (&SoftPost{Title: "p2"}).Save(ctx), record.ErrDuplicateKey, "p2 is soft-deleted, not gone")
	})
}

// A soft delete is a write: it checks the version a record was loaded
// with, and a locked row waits as for any UPDATE.
func TestSoftDeleteRespectsVersionAndLocks(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		stale, err := record.Get[SoftPost](ctx, ps[2].ID)
		require.NoError(t, err)
		ps[2].Title = "changed"
		require.NoError(t, ps[2].Save(ctx))
		assert.ErrorIs(t, stale.Destroy(ctx), record.ErrStale, "a stale record is not soft-deleted")
		n, err := record.Query[SoftPost](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)

		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			locked, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": ps[1].ID}).ForUpdate().All()
			require.NoError(t, err)
			require.Len(t, locked, 1)
			if db.Dialect != "sqlite" {
				assert.Contains(t, lastSelect(db), `IS NULL`)
			}
			return locked[0].Destroy(ctx)
		}))
		_, err = record.Get[SoftPost](ctx, ps[1].ID)
		assert.ErrorIs(t, err, record.ErrNotFound)
		_, err = record.Query[SoftPost](ctx).WithDeleted().Where(builder.Eq{"nope": 1}).All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
	})
}

type HardParent struct {
	record.Base[HardParent]
	ID   int64        `db:"id,pk,autoincrement"`
	Kids []*HardChild `rel:"cascade"`
}

type HardChild struct {
	record.Base[HardChild]
	ID           int64 `db:"id,pk,autoincrement"`
	HardParentID int64 `db:"hard_parent_id,fk=hard_parent.id"`
}

// Destroy of a key of the key field's own type took a fast path that
// skipped the cascades: the DELETE then failed on the children's foreign
// key (or, without one, orphaned them).
func TestDestroyByTypedKeyCascades(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{HardParent{}, HardChild{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		p := &HardParent{Kids: []*HardChild{{}, {}}}
		require.NoError(t, p.Save(ctx))
		n, err := record.Destroy[HardParent](ctx, p.ID)
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		kids, err := record.Query[HardChild](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, kids)
	})
}
