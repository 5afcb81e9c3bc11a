package record_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// A many-to-many relation through a join model that keeps its removed
// links (a softdelete column): an ordinary way to keep a history of
// memberships.
type RevClass struct {
	record.Base[RevClass]
	ID     int64       `db:"id,pk,autoincrement"`
	Name   string      `db:"name,size=20"`
	Pupils []*RevPupil `rel:"m2m=RevSeat"`
}

type RevPupil struct {
	record.Base[RevPupil]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

type RevSeat struct {
	record.Base[RevSeat]
	RevClassID int64      `db:"rev_class_id,pk=1,fk=rev_class.id"`
	RevPupilID int64      `db:"rev_pupil_id,pk=2,fk=rev_pupil.id"`
	Deleted    *time.Time `db:"deleted_at,softdelete"`
}

func init() {
	recordModels = append(recordModels, RevClass{}, RevPupil{}, RevSeat{})
}

// Removing a link through a join model with a softdelete column goes
// through destroyWhere, which soft-deletes the join row. But the link
// reads (scanJoin: Preload, and the existing-links SELECT of saveLinks)
// read the join table without the live condition: the removed pupil is
// still preloaded, and linking it again inserts a row whose key is taken.
func TestReviewSoftDeletedJoinModelLinks(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{RevClass{}, RevPupil{}, RevSeat{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		a, b := &RevPupil{Name: "a"}, &RevPupil{Name: "b"}
		c := &RevClass{Name: "c", Pupils: []*RevPupil{a, b}}
		require.NoError(t, c.Save(ctx))

		loaded, err := record.Query[RevClass](ctx).Where(builder.Eq{"id": c.ID}).Preload("Pupils").First()
		require.NoError(t, err)
		require.Len(t, loaded.Pupils, 2)
		loaded.Pupils = []*RevPupil{a}
		require.NoError(t, loaded.Save(ctx), "unlink b")
		live, err := record.Query[RevSeat](ctx).Count()
		require.NoError(t, err)
		require.EqualValues(t, 1, live, "the link to b is soft-deleted")

		again, err := record.Query[RevClass](ctx).Where(builder.Eq{"id": c.ID}).Preload("Pupils").First()
		require.NoError(t, err)
		assert.Len(t, again.Pupils, 1, "a soft-deleted link is not a link")

		// The record that unlinked b knows its links are [a]: adding b back
		// inserts a join row, and the soft-deleted one holds the key.
		loaded.Pupils = []*RevPupil{a, b}
		assert.NoError(t, loaded.Save(ctx), "linking b again")
		live, err = record.Query[RevSeat](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, live, "b is linked again")
	})
}

// Destroying the owner deletes its row for real, so its links must go for
// real too; destroyRelated hands the join model's rows to destroyWhere,
// which only soft-deletes them (the join model has a softdelete column),
// and the owner's DELETE then fails on the links' foreign key. Same root
// as TestReviewHardParentCascadesIntoSoftChildren, on the m2m path.
func TestReviewOwnerDestroyThroughSoftJoinModel(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{RevClass{}, RevPupil{}, RevSeat{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		c := &RevClass{Name: "c", Pupils: []*RevPupil{{Name: "a"}, {Name: "b"}}}
		require.NoError(t, c.Save(ctx))
		require.NoError(t, c.Destroy(ctx), "destroying the owner of links")
		left, err := record.Query[RevSeat](ctx).WithDeleted().Count()
		require.NoError(t, err)
		assert.Zero(t, left, "no link row names a deleted owner")
	})
}
