package record_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Shelf, ShelfBook and BookNote have keys that the test sets, so that rows
// can be written out of key order.
type Shelf struct {
	record.Base[Shelf]
	ID    int64 `db:"id,pk"`
	Books []*ShelfBook
	Cover *ShelfCover
}

type ShelfBook struct {
	record.Base[ShelfBook]
	ID      int64  `db:"id,pk"`
	ShelfID int64  `db:"shelf_id,fk=shelf.id"`
	Title   string `db:"title,size=20"`
	Notes   []BookNote
}

type BookNote struct {
	record.Base[BookNote]
	ID          int64 `db:"id,pk"`
	ShelfBookID int64 `db:"shelf_book_id,fk=shelf_book.id"`
}

type ShelfCover struct {
	record.Base[ShelfCover]
	ID      int64 `db:"id,pk"`
	ShelfID int64 `db:"shelf_id,fk=shelf.id"`
}

// loadTrace collects the keys of the books whose Load hooks ran, in order.
type loadTrace struct{ ids []int64 }

type loadTraceKey struct{}

func (ShelfBook) Events(on *events.On[ShelfBook]) {
	on.Load(func(ctx context.Context, b *ShelfBook) error {
		if tr, ok := ctx.Value(loadTraceKey{}).(*loadTrace); ok {
			tr.ids = append(tr.ids, b.ID)
		}
		return nil
	})
}

// Preloaded children come in key order per parent, whatever order their
// rows were written in; a has-one relation with several rows gets the one
// of the lowest key; the children's Load hooks run in key order.
func TestPreloadedChildrenInKeyOrder(t *testing.T) {
	models := []any{Shelf{}, ShelfBook{}, BookNote{}, ShelfCover{}}
	dbtest.Each(t, dbtest.Options{Models: models}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, id := range []int64{2, 1, 3} {
			require.NoError(t, (&Shelf{ID: id}).Insert(ctx))
		}
		books := []ShelfBook{{ID: 50, ShelfID: 1}, {ID: 10, ShelfID: 2}, {ID: 30, ShelfID: 1}, {ID: 40, ShelfID: 2},
			{ID: 20, ShelfID: 1}, {ID: 5, ShelfID: 2}, {ID: 45, ShelfID: 1}}
		for _, b := range books {
			require.NoError(t, b.Insert(ctx))
		}
		for _, n := range []BookNote{{ID: 9, ShelfBookID: 30}, {ID: 3, ShelfBookID: 50}, {ID: 7, ShelfBookID: 30}, {ID: 1, ShelfBookID: 30}, {ID: 4, ShelfBookID: 50}} {
			require.NoError(t, n.Insert(ctx))
		}
		for _, c := range []ShelfCover{{ID: 8, ShelfID: 2}, {ID: 6, ShelfID: 1}, {ID: 2, ShelfID: 2}, {ID: 7, ShelfID: 2}} {
			require.NoError(t, c.Insert(ctx))
		}

		tr := &loadTrace{}
		shelves, err := record.Query[Shelf](context.WithValue(ctx, loadTraceKey{}, tr)).Preload("Books.Notes", "Cover").All()
		require.NoError(t, err)
		require.Len(t, shelves, 3)
		bookIDs := func(s *Shelf) []int64 {
			var out []int64
			for _, b := range s.Books {
				out = append(out, b.ID)
			}
			return out
		}
		assert.Equal(t, []int64{20, 30, 45, 50}, bookIDs(shelves[0]))
		assert.Equal(t, []int64{5, 10, 40}, bookIDs(shelves[1]))
		assert.Empty(t, shelves[2].Books)
		assert.Equal(t, []int64{5, 10, 20, 30, 40, 45, 50}, tr.ids, "Load hooks in key order")

		var notes [][]int64
		for _, b := range shelves[0].Books {
			var ids []int64
			for _, n := range b.Notes {
				ids = append(ids, n.ID)
			}
			notes = append(notes, ids)
		}
		assert.Equal(t, [][]int64{nil, {1, 7, 9}, nil, {3, 4}}, notes)

		require.NotNil(t, shelves[0].Cover)
		assert.EqualValues(t, 6, shelves[0].Cover.ID)
		require.NotNil(t, shelves[1].Cover)
		assert.EqualValues(t, 2, shelves[1].Cover.ID, "the has-one row of the lowest key")
		assert.Nil(t, shelves[2].Cover)
	})
}
