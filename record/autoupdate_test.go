package record_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// A has-many relation whose children have an autoupdate column and a
// nullable key: a child leaving the relation is detached by an UPDATE.
type AuParent struct {
	record.Base[AuParent]
	ID   int64    `db:"id,pk,autoincrement"`
	Kids []*AuKid `rel:""`
}

type AuKid struct {
	record.Base[AuKid]
	ID         int64     `db:"id,pk,autoincrement"`
	AuParentID *int64    `db:"au_parent_id,fk=au_parent.id"`
	Name       string    `db:"name,size=20"`
	Updated    time.Time `db:"updated_at,autoupdate"`
}

func init() {
	recordModels = append(recordModels, AuParent{}, AuKid{})
}

// Every UPDATE the library writes by criteria, not only Save and
// QuerySet.Update, sets the autoupdate columns the row does not set itself
// (TestReviewBulkUpdateSetsAutoupdate covers BulkUpdate).
func TestAutoupdateInEveryUpdateByCriteria(t *testing.T) {
	t.Run("BulkDiffUpdate", func(t *testing.T) {
		dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
			ctx := db.Ctx()
			p := &SoftPost{Title: "a"}
			require.NoError(t, p.Save(ctx))
			before := *p.Updated
			time.Sleep(5 * time.Millisecond)
			res, err := record.BulkDiffUpdate[SoftPost](ctx, []string{"id"},
				[]map[string]any{{"id": p.ID, "title": "a", "updated_at": before}},
				[]map[string]any{{"id": p.ID, "title": "b", "updated_at": before}})
			require.NoError(t, err)
			require.EqualValues(t, 1, res.Updated)
			got, err := record.Get[SoftPost](ctx, p.ID)
			require.NoError(t, err)
			require.Equal(t, "b", got.Title)
			require.NotNil(t, got.Updated)
			assert.True(t, got.Updated.After(before), "an unchanged updated_at gets the update's time, as Save gives it")
		})
	})
	t.Run("detaching a has-many child", func(t *testing.T) {
		dbtest.Each(t, dbtest.Options{Models: []any{AuParent{}, AuKid{}}}, func(t *testing.T, db *dbtest.DB) {
			ctx := db.Ctx()
			a, b := &AuKid{Name: "a"}, &AuKid{Name: "b"}
			p := &AuParent{Kids: []*AuKid{a, b}}
			require.NoError(t, p.Save(ctx))
			before := b.Updated
			time.Sleep(5 * time.Millisecond)
			p.Kids = []*AuKid{a}
			require.NoError(t, p.Save(ctx))
			got, err := record.Get[AuKid](ctx, b.ID)
			require.NoError(t, err)
			assert.Nil(t, got.AuParentID, "b is detached")
			assert.True(t, got.Updated.After(before), "the detaching UPDATE sets updated_at")
		})
	})
}
