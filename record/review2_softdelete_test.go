package record_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Review 2 fixtures: an order deleted for real (no softdelete column)
// whose lines cascade; a line's AfterDelete hook soft-deletes the stock
// hold it made (a model with a softdelete column, not a dependent).
type Rv2Order struct {
	record.Base[Rv2Order]
	ID    int64      `db:"id,pk,autoincrement"`
	Name  string     `db:"name,size=20"`
	Lines []*Rv2Line `rel:"cascade"`
}

type Rv2Line struct {
	record.Base[Rv2Line]
	ID         int64 `db:"id,pk,autoincrement"`
	Rv2OrderID int64 `db:"rv2_order_id,fk=rv2_order.id"`
	HoldID     int64 `db:"hold_id"`
}

type Rv2Hold struct {
	record.Base[Rv2Hold]
	ID      int64      `db:"id,pk,autoincrement"`
	Item    string     `db:"item,size=20"`
	Deleted *time.Time `db:"deleted_at,softdelete"`
}

func (Rv2Line) Events(on *events.On[Rv2Line]) {
	on.AfterDelete(func(ctx context.Context, l *Rv2Line) error {
		_, err := record.Destroy[Rv2Hold](ctx, l.HoldID)
		return err
	})
}

func init() {
	recordModels = append(recordModels, Rv2Order{}, Rv2Line{}, Rv2Hold{})
}

var rv2OrderModels = dbtest.Options{Models: []any{Rv2Order{}, Rv2Line{}, Rv2Hold{}}}

// A hard parent's cascade now runs in a Purge's context (dependentsCtx),
// and that context reaches the user's hooks of the cascaded children: a
// hook that soft-deletes an unrelated record (Destroy of a model with a
// softdelete column) deletes its row for real instead. Destroying the same
// line directly soft-deletes the hold, as it should.
func TestReview2CascadeHookSoftDeleteStaysSoft(t *testing.T) {
	dbtest.Each(t, rv2OrderModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		direct, viaOrder := &Rv2Hold{Item: "direct"}, &Rv2Hold{Item: "cascade"}
		require.NoError(t, direct.Save(ctx))
		require.NoError(t, viaOrder.Save(ctx))
		o := &Rv2Order{Name: "o", Lines: []*Rv2Line{{HoldID: direct.ID}, {HoldID: viaOrder.ID}}}
		require.NoError(t, o.Save(ctx))

		// The line on its own: its hook soft-deletes the hold.
		require.NoError(t, o.Lines[0].Destroy(ctx))
		// The order: its cascade destroys the other line, whose hook does
		// the same.
		require.NoError(t, o.Destroy(ctx))

		for _, h := range []*Rv2Hold{direct, viaOrder} {
			got, err := record.Query[Rv2Hold](ctx).WithDeleted().Where(builder.Eq{"id": h.ID}).All()
			require.NoError(t, err)
			if assert.Len(t, got, 1, "hold %q: a soft delete in a hook must keep the row", h.Item) {
				assert.NotNil(t, got[0].Deleted, "hold %q is soft-deleted", h.Item)
			}
		}
	})
}

// A rolled-back Save gives the record back its snapshot, but not the
// columns the library itself wrote into the record for that UPDATE: the
// version it counted up (bumpVersion) and the autoupdate time it stamped
// (stampTimes). After the rollback the record claims a version and an
// update time the row never had (the soft delete's rollback was fixed to
// restore its deleted_at for the same reason: the record must hold what
// the row holds).
func TestReview2RolledBackSaveRestoresVersionAndUpdateTime(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{SoftPost{}, SoftComment{}, SoftTag{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		p := &SoftPost{Title: "first"}
		require.NoError(t, p.Save(ctx))
		refused := errors.New("refused")
		err := db.Transaction(ctx, func(ctx context.Context) error {
			p.Title = "second"
			if err := p.Save(ctx); err != nil {
				return err
			}
			return refused
		})
		require.ErrorIs(t, err, refused)

		row, err := record.Query[SoftPost](ctx).Get(p.ID)
		require.NoError(t, err)
		assert.Equal(t, "first", row.Title, "the UPDATE was rolled back")
		assert.Equal(t, row.Ver, p.Ver, "the record's version is the row's after the rollback")
		if assert.NotNil(t, row.Updated) && assert.NotNil(t, p.Updated) {
			assert.True(t, row.Updated.Equal(*p.Updated), "the record's update time is the row's after the rollback: row %v, record %v", *row.Updated, *p.Updated)
		}
	})
}
