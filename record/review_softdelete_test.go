package record_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Review fixtures: a parent that is deleted for real whose cascaded
// children are soft-deletable.
type RevOwner struct {
	record.Base[RevOwner]
	ID     int64       `db:"id,pk,autoincrement"`
	Name   string      `db:"name,size=20"`
	Pieces []*RevPiece `rel:"cascade"`
}

type RevPiece struct {
	record.Base[RevPiece]
	ID         int64      `db:"id,pk,autoincrement"`
	RevOwnerID int64      `db:"rev_owner_id,fk=rev_owner.id"`
	Body       string     `db:"body,size=20"`
	Deleted    *time.Time `db:"deleted_at,softdelete"`
}

func init() {
	recordModels = append(recordModels, RevOwner{}, RevPiece{})
}

var revOwnerModels = dbtest.Options{Models: []any{RevOwner{}, RevPiece{}}}

// A parent without a softdelete column is deleted for real, so its
// cascade must delete its children for real too. destroyRelated hands the
// children to destroyWhere, which only soft-deletes them (soft(ctx, child)
// is true): they still reference the parent and its DELETE fails on the
// foreign key. An earlier soft-deleted child is not even loaded.
func TestReviewHardParentCascadesIntoSoftChildren(t *testing.T) {
	dbtest.Each(t, revOwnerModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		o := &RevOwner{Name: "o", Pieces: []*RevPiece{{Body: "a"}, {Body: "b"}}}
		require.NoError(t, o.Save(ctx))
		// One child was soft-deleted before.
		_, err := record.Destroy[RevPiece](ctx, o.Pieces[1].ID)
		require.NoError(t, err)

		require.NoError(t, o.Destroy(ctx), "destroying a parent whose children are soft-deletable")
		n, err := record.Query[RevOwner](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, n, "the parent is gone")
		left, err := record.Query[RevPiece](ctx).WithDeleted().Count()
		require.NoError(t, err)
		assert.Zero(t, left, "no child row may keep referencing a deleted parent")
	})
}

// A soft delete inside a transaction that rolls back: the row is live
// again and the record's snapshot comes back (forgetDeleted's undo), but
// the record's softdelete field keeps the time softDeleteRow put there.
// The record now differs from its snapshot in deleted_at, so the next
// ordinary Save (here of another field) soft-deletes the row.
func TestReviewRolledBackSoftDeleteIsNotSavedLater(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		p := &SoftPost{Title: "keep"}
		require.NoError(t, p.Save(ctx))
		rollback := errors.New("rollback")
		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, p.Destroy(ctx))
			return rollback
		})
		require.ErrorIs(t, err, rollback)
		_, err = record.Get[SoftPost](ctx, p.ID)
		require.NoError(t, err, "the soft delete was rolled back")
		assert.Nil(t, p.Deleted, "the record holds what the row holds after the rollback")

		p.Title = "renamed"
		require.NoError(t, p.Save(ctx))
		got, err := record.Get[SoftPost](ctx, p.ID)
		require.NoError(t, err, "saving a title must not soft-delete the row")
		assert.Equal(t, "renamed", got.Title)
	})
}

// keep builder imported for later tests in this file
var _ = builder.Eq{}

// autoupdate promises the statement's time in every UPDATE the library
// writes (Save, QuerySet.Update); BulkUpdate, the other UPDATE by
// criteria, writes the new title and leaves updated_at as it was, so the
// row claims it has not changed since before the bulk update.
func TestReviewBulkUpdateSetsAutoupdate(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		p := &SoftPost{Title: "a"}
		require.NoError(t, p.Save(ctx))
		before := *p.Updated
		time.Sleep(5 * time.Millisecond)
		res, err := record.BulkUpdate[SoftPost](ctx, []string{"id"}, []map[string]any{{"id": p.ID, "title": "b"}})
		require.NoError(t, err)
		require.EqualValues(t, 1, res.Updated)
		got, err := record.Get[SoftPost](ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, "b", got.Title)
		require.NotNil(t, got.Updated)
		assert.True(t, got.Updated.After(before), "updated_at %v is still the insert's time (%v)", *got.Updated, before)
	})
}
