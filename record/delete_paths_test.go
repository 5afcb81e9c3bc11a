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

// Every way of deleting a row deletes it as Base.Destroy does: these tests
// hold the other entry points (record.Destroy of a record, of a key, of a
// slice; QuerySet.Delete) to Base.Destroy's rules.

// record.Destroy given a record soft-deletes it as rec.Destroy does: the
// record's softdelete field holds the time written into the row, whether
// the model has cascades (each row loaded and destroyed) or not (one
// UPDATE for all the keys).
func TestDestroyOfARecordSetsItsSoftDeleteField(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		stored := func(t *testing.T, id int64) *time.Time {
			t.Helper()
			got, err := record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"id": id}).First()
			require.NoError(t, err)
			require.NotNil(t, got.Deleted, "the row is soft-deleted")
			return got.Deleted
		}
		t.Run("a model with cascades", func(t *testing.T) {
			p := ps[0]
			n, err := record.Destroy[SoftPost](ctx, p)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.NotNil(t, p.Deleted, "the record's deleted_at is set, as rec.Destroy sets it")
			got, err := record.Query[SoftPost](ctx).WithDeleted().Where(builder.Eq{"id": p.ID}).First()
			require.NoError(t, err)
			require.NotNil(t, got.Deleted)
			assert.True(t, got.Deleted.Equal(*p.Deleted), "the record holds what the row holds: %v, %v", *got.Deleted, *p.Deleted)
		})
		t.Run("a model without cascades", func(t *testing.T) {
			c := ps[1].Comments[0]
			n, err := record.Destroy[SoftComment](ctx, c)
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.NotNil(t, c.Deleted, "the record's deleted_at is set, as rec.Destroy sets it")
			assert.True(t, stored(t, c.ID).Equal(*c.Deleted))
		})
		t.Run("a slice of records", func(t *testing.T) {
			c := ps[2].Comments[0]
			n, err := record.Destroy[SoftComment](ctx, []*SoftComment{c})
			require.NoError(t, err)
			require.EqualValues(t, 1, n)
			require.NotNil(t, c.Deleted, "the record's deleted_at is set, as rec.Destroy sets it")
			assert.True(t, stored(t, c.ID).Equal(*c.Deleted))
		})
	})
}

// A soft delete is an UPDATE, and every UPDATE the library writes sets
// the autoupdate columns (autoUpdated): by every delete path.
func TestSoftDeleteSetsAutoupdate(t *testing.T) {
	forms := []struct {
		name    string
		record  bool // the record given holds the row's new times
		destroy func(ctx context.Context, p *SoftPost) error
	}{
		{"Base.Destroy", true, func(ctx context.Context, p *SoftPost) error { return p.Destroy(ctx) }},
		{"record.Destroy of the record", true, func(ctx context.Context, p *SoftPost) error {
			_, err := record.Destroy[SoftPost](ctx, p)
			return err
		}},
		{"record.Destroy of the key", false, func(ctx context.Context, p *SoftPost) error {
			_, err := record.Destroy[SoftPost](ctx, p.ID)
			return err
		}},
		{"record.Destroy of keys", false, func(ctx context.Context, p *SoftPost) error {
			_, err := record.Destroy[SoftPost](ctx, []int64{p.ID})
			return err
		}},
		{"QuerySet.Delete", false, func(ctx context.Context, p *SoftPost) error {
			_, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": p.ID}).Delete()
			return err
		}},
	}
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, f := range forms {
			t.Run(f.name, func(t *testing.T) {
				p := &SoftPost{Title: f.name}
				require.NoError(t, p.Save(ctx))
				require.NotNil(t, p.Updated)
				before := *p.Updated
				time.Sleep(5 * time.Millisecond)
				require.NoError(t, f.destroy(ctx, p))
				got, err := record.Query[SoftPost](ctx).WithDeleted().Where(builder.Eq{"id": p.ID}).First()
				require.NoError(t, err)
				require.NotNil(t, got.Deleted, "soft-deleted")
				require.NotNil(t, got.Updated)
				assert.True(t, got.Updated.After(before), "the soft delete's UPDATE sets updated_at: %v, before %v", *got.Updated, before)
				assert.True(t, got.Updated.Equal(*got.Deleted), "to the statement's time: %v, %v", *got.Updated, *got.Deleted)
				if f.record {
					assert.True(t, p.Updated.Equal(*got.Updated), "the record holds what the row holds: %v, %v", *p.Updated, *got.Updated)
				}
			})
		}
	})
}

// record.Destroy given a loaded record checks the version it was loaded
// with, as rec.Destroy does: a stale record is ErrStale and its row stays.
func TestDestroyOfAStaleRecordIsErrStale(t *testing.T) {
	t.Run("soft delete", func(t *testing.T) {
		dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
			ctx := db.Ctx()
			ps := seedSoft(t, ctx)
			stale, err := record.Get[SoftPost](ctx, ps[0].ID)
			require.NoError(t, err)
			ps[0].Title = "changed"
			require.NoError(t, ps[0].Save(ctx))
			_, err = record.Destroy[SoftPost](ctx, stale)
			assert.ErrorIs(t, err, record.ErrStale)
			assert.EqualValues(t, 3, count[SoftPost](t, ctx), "the row stays")
		})
	})
	t.Run("real delete", func(t *testing.T) {
		dbtest.Each(t, counterModels, func(t *testing.T, db *dbtest.DB) {
			ctx := db.Ctx()
			c := &VCounter{N: 1}
			require.NoError(t, c.Save(ctx))
			stale, err := record.Get[VCounter](ctx, c.ID)
			require.NoError(t, err)
			c.N = 2
			require.NoError(t, c.Save(ctx))
			for _, items := range []any{stale, []*VCounter{stale}} {
				_, err = record.Destroy[VCounter](ctx, items)
				assert.ErrorIs(t, err, record.ErrStale)
				assert.EqualValues(t, 1, count[VCounter](t, ctx), "the row stays")
			}
		})
	})
}

// record.Destroy given a loaded record runs the delete hooks on that
// record, as rec.Destroy does, not on a copy loaded again: a hook that
// refuses it keeps the row.
func TestDestroyOfARecordRunsHooksOnIt(t *testing.T) {
	eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		c := &Contact{Name: "hooked"}
		require.NoError(t, c.Save(ctx))
		c.Trace = nil
		n, err := record.Destroy[Contact](ctx, c)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		assert.Equal(t, []string{"BeforeDelete", "AfterDelete"}, c.Trace)

		d := &Contact{Name: "refused"}
		require.NoError(t, d.Save(ctx))
		d.Fail = "BeforeDelete"
		_, err = record.Destroy[Contact](ctx, d)
		assert.ErrorContains(t, err, "BeforeDelete refused")
		assert.EqualValues(t, 1, count[Contact](t, ctx), "the refused row stays")
	})
}

// A row that the database refuses to delete because rows still reference
// it is a *ReferencedError (ErrReferenced) by every delete path, by
// criteria too.
func TestDeleteByCriteriaRefusedByForeignKey(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := saveJenny(t, ctx)
		_, err := record.Query[Member](ctx).Where(builder.Eq{"id": m.ID}).Delete()
		require.Error(t, err)
		assert.ErrorIs(t, err, record.ErrReferenced, "as Destroy: %v", err)
		assert.ErrorIs(t, err, record.ErrForeignKey)
		var dbe *record.DBError
		assert.ErrorAs(t, err, &dbe, "the database's error is still there")
		assert.EqualValues(t, 1, count[Member](t, ctx), "nothing was deleted")
	})
}

// A soft delete that rolls back leaves the record given as it was: not
// new, its softdelete and autoupdate fields as before, by every path that
// writes them.
func TestRolledBackSoftDeleteRestoresTheRecord(t *testing.T) {
	forms := []struct {
		name    string
		destroy func(ctx context.Context, p *SoftPost) error
	}{
		{"Base.Destroy", func(ctx context.Context, p *SoftPost) error { return p.Destroy(ctx) }},
		{"record.Destroy of the record", func(ctx context.Context, p *SoftPost) error {
			_, err := record.Destroy[SoftPost](ctx, p)
			return err
		}},
	}
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, f := range forms {
			t.Run(f.name, func(t *testing.T) {
				p := &SoftPost{Title: f.name}
				require.NoError(t, p.Save(ctx))
				updated := *p.Updated
				time.Sleep(2 * time.Millisecond)
				rollback := errors.New("roll back")
				err := db.Transaction(ctx, func(ctx context.Context) error {
					if err := f.destroy(ctx, p); err != nil {
						return err
					}
					require.NotNil(t, p.Deleted)
					return rollback
				})
				require.ErrorIs(t, err, rollback)
				assert.False(t, p.IsNew(), "the row is back, and the record is not new")
				assert.Nil(t, p.Deleted, "deleted_at as before")
				assert.True(t, p.Updated.Equal(updated), "updated_at as before: %v, %v", *p.Updated, updated)
				assert.Empty(t, p.Changed(), "nothing to save")
			})
		}
	})
}

// record.Destroy of a loaded record whose row is gone counts 0, as for a
// key, whether the row goes alone (a version column) or with hooks.
func TestDestroyOfARecordWhoseRowIsGoneCountsZero(t *testing.T) {
	t.Run("versioned", func(t *testing.T) {
		dbtest.Each(t, counterModels, func(t *testing.T, db *dbtest.DB) {
			ctx := db.Ctx()
			c := &VCounter{N: 1}
			require.NoError(t, c.Save(ctx))
			loaded, err := record.Get[VCounter](ctx, c.ID)
			require.NoError(t, err)
			require.NoError(t, c.Destroy(ctx))
			n, err := record.Destroy[VCounter](ctx, loaded)
			require.NoError(t, err)
			assert.Zero(t, n)
		})
	})
	t.Run("hooks", func(t *testing.T) {
		eachEvents(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
			c := &Contact{Name: "gone"}
			require.NoError(t, c.Save(ctx))
			loaded, err := record.Get[Contact](ctx, c.ID)
			require.NoError(t, err)
			require.NoError(t, c.Destroy(ctx))
			loaded.Trace = nil
			n, err := record.Destroy[Contact](ctx, loaded)
			require.NoError(t, err)
			assert.Zero(t, n)
			assert.Empty(t, loaded.Trace, "no hook runs for a row that is gone")
		})
	})
}

// A soft delete of records that were not loaded (only their keys are set)
// stamps only the records whose rows it soft-deleted: a row already
// soft-deleted keeps its own time and a row that is gone stamps nothing,
// so no record claims a time its row does not hold.
func TestSoftDeleteOfNotLoadedRecordsStampsOnlyTheRowsItDeleted(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		earlier := ps[1].Comments[0]
		n, err := record.Destroy[SoftComment](ctx, earlier.ID)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		before, err := record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"id": earlier.ID}).First()
		require.NoError(t, err)
		require.NotNil(t, before.Deleted)
		time.Sleep(2 * time.Millisecond)

		live, already, gone := &SoftComment{ID: ps[0].Comments[0].ID}, &SoftComment{ID: earlier.ID}, &SoftComment{ID: 1 << 40}
		n, err = record.Destroy[SoftComment](ctx, []*SoftComment{live, already, gone})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "one row was live")

		require.NotNil(t, live.Deleted, "the live row's record holds its time")
		got, err := record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"id": live.ID}).First()
		require.NoError(t, err)
		require.NotNil(t, got.Deleted)
		assert.True(t, got.Deleted.Equal(*live.Deleted), "the record holds what the row holds: %v, %v", *got.Deleted, *live.Deleted)

		got, err = record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"id": already.ID}).First()
		require.NoError(t, err)
		require.NotNil(t, got.Deleted)
		assert.True(t, got.Deleted.Equal(*before.Deleted), "the earlier soft delete's time stays in the row")
		if already.Deleted != nil {
			assert.True(t, already.Deleted.Equal(*got.Deleted), "a record of an already soft-deleted row claims %v, the row holds %v", *already.Deleted, *got.Deleted)
		}
		assert.Nil(t, gone.Deleted, "a record whose row is gone is not stamped")
	})
}

// In a transaction, a soft delete by keys reads the live keys first only
// when it has records to stamp: keys alone cost the one UPDATE; a record
// given gets the time its row got.
func TestSoftDeleteByKeysReadsLiveKeysOnlyForRecords(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		byKey, byRecord := ps[0].Comments[0].ID, ps[1].Comments[0].ID
		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			since := len(db.Log())
			n, err := record.Destroy[SoftComment](ctx, byKey)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			assert.Zero(t, countSQL(db, since, "SELECT"), "no record to stamp: no read of the live keys")

			rec := &SoftComment{ID: byRecord}
			since = len(db.Log())
			n, err = record.Destroy[SoftComment](ctx, []*SoftComment{rec})
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			assert.Equal(t, 1, countSQL(db, since, "SELECT"), "the live keys, read locked")
			require.NotNil(t, rec.Deleted, "the record given gets the time")
			got, err := record.Query[SoftComment](ctx).WithDeleted().Where(builder.Eq{"id": byRecord}).First()
			require.NoError(t, err)
			require.NotNil(t, got.Deleted)
			assert.True(t, got.Deleted.Equal(*rec.Deleted), "the record holds what the row holds")
			return nil
		}))
	})
}
