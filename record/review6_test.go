package record_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

type Review6Code struct {
	record.Base[Review6Code]
	Code    string     `db:"code,pk,type=CHAR(5)"`
	Body    string     `db:"body,size=20"`
	Deleted *time.Time `db:"deleted_at,softdelete"`
}

// A soft delete of a not-loaded record by a key the database matches but
// spells otherwise (PostgreSQL pads the CHAR(5) values it returns: "ab"
// matches the row, which reads back as "ab   ") soft-deletes the row, and the record must hold
// the time as before the live-keys read: every key of the statement was
// stamped when the statement hit as many rows as it had keys.
func TestReview6SoftDeleteByAKeyTheDatabaseSpellsOtherwise(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Review6Code{}}}, func(t *testing.T, db *dbtest.DB) {
		// On MySQL the key reads back as given (CHAR's padding is
		// removed): the case holds trivially there.
		ctx := db.Ctx()
		for _, c := range []string{"ab", "cd"} {
			_, err := record.Save[Review6Code](ctx, map[string]any{"code": c, "body": c})
			require.NoError(t, err)
		}
		spell := func(s string) string { return s } // PostgreSQL returns it padded: "ab   "
		for name, run := range map[string]func(rec *Review6Code) (int64, error){
			"outside a transaction": func(rec *Review6Code) (int64, error) {
				return record.Destroy[Review6Code](ctx, []*Review6Code{rec})
			},
			"in a transaction": func(rec *Review6Code) (int64, error) {
				var n int64
				err := db.Transaction(ctx, func(ctx context.Context) error {
					var err error
					n, err = record.Destroy[Review6Code](ctx, []*Review6Code{rec})
					return err
				})
				return n, err
			},
		} {
			code := "ab"
			if name == "in a transaction" {
				code = "cd"
			}
			t.Run(name, func(t *testing.T) {
				rec := &Review6Code{Code: spell(code)}
				n, err := run(rec)
				require.NoError(t, err)
				require.EqualValues(t, 1, n, "the row was soft-deleted")
				got, err := record.Query[Review6Code](ctx).WithDeleted().Where(builder.Eq{"code": code}).First()
				require.NoError(t, err)
				require.NotNil(t, got.Deleted)
				assert.NotNil(t, rec.Deleted, "the record of the row soft-deleted holds its time")
			})
		}
	})
}

// An alias that is also a column of T names the select list's expression
// in ORDER BY (SQL resolves an output name first): alone, and with a join,
// where the term must not become the qualified column.
func TestReview6OrderByAnAliasNamedAsAColumn(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)
		type row struct {
			CustomerID int64 `db:"customer_id"`
			Total      int64
		}
		want := []row{{cs[1].ID, 200}, {cs[0].ID, 130}}
		rows, err := record.Scan[row](record.Query[SurfOrder](ctx).
			Select("customer_id", builder.Expr("SUM(total) AS total")).GroupBy("customer_id").OrderBy("-total"))
		require.NoError(t, err)
		assert.Equal(t, want, rows)

		rows, err = record.Scan[row](record.Query[SurfOrder](ctx).Join("surf_customer").
			Select("customer_id", builder.Expr("SUM(surf_order.total) AS total")).GroupBy("customer_id").OrderBy("-total"))
		require.NoError(t, err, "%v", lastSQL(db, "SELECT"))
		assert.Equal(t, want, rows, "%v", lastSQL(db, "SELECT"))
	})
}

func init() { recordModels = append(recordModels, Review6Code{}) } // TestDiffFindsNothingAfterCreateAll

// Concurrent soft deletes of the same not-loaded records by key: each row
// is soft-deleted once, and exactly the records of the call that did it
// hold a time (the others' rows were already soft-deleted).
func TestReview6ConcurrentSoftDeletesByKeyStampOnce(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		ps := seedSoft(t, ctx)
		var ids []int64
		for _, p := range ps {
			for _, c := range p.Comments {
				ids = append(ids, c.ID)
			}
		}
		const workers = 4
		recs := make([][]*SoftComment, workers)
		ns := make([]int64, workers)
		errs := make([]error, workers)
		done := make(chan int)
		for w := range workers {
			for i := range ids {
				// Each worker its own order of the keys.
				id := ids[(i+w)%len(ids)]
				recs[w] = append(recs[w], &SoftComment{ID: id})
			}
			go func() {
				ns[w], errs[w] = record.Destroy[SoftComment](ctx, recs[w])
				done <- w
			}()
		}
		for range workers {
			<-done
		}
		var total int64
		stamped := map[int64]int{}
		for w := range workers {
			require.NoError(t, errs[w], "worker %d", w)
			total += ns[w]
			for _, r := range recs[w] {
				if r.Deleted != nil {
					stamped[r.ID]++
				}
			}
		}
		assert.EqualValues(t, len(ids), total, "each row soft-deleted once")
		for _, id := range ids {
			assert.Equal(t, 1, stamped[id], "records of row %d holding a time", id)
		}
	})
}

type Review6Bulk struct {
	record.Base[Review6Bulk]
	ID   int64   `db:"id,pk,autoincrement"`
	Name string  `db:"name,size=20"`
	Note *string `db:"note,size=20,default='dflt'"`
}

func init() { recordModels = append(recordModels, Review6Bulk{}) }

// A bulk insert of records whose autoincrement key and nullable column with
// a default are zero in some rows and set in others (four column sets in
// one call, interleaved): every row is written with its own values, in
// BulkInsert and in BulkInsertMany.
func TestReview6BulkInsertOfRecordsInSeveralColumnSets(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Review6Bulk{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		note := func(s string) *string { return &s }
		for name, insert := range map[string]func([]*Review6Bulk) (int64, error){
			"BulkInsert":     func(rs []*Review6Bulk) (int64, error) { return record.BulkInsert[Review6Bulk](ctx, rs) },
			"BulkInsertMany": func(rs []*Review6Bulk) (int64, error) { return record.BulkInsertMany[Review6Bulk](ctx, rs) },
		} {
			t.Run(name, func(t *testing.T) {
				base := int64(1000)
				if name == "BulkInsertMany" {
					base = 2000
				}
				_, err := record.Query[Review6Bulk](ctx).Delete()
				require.NoError(t, err)
				// Explicit keys descend, so that an automatic key after one
				// (SQLite, MySQL: the highest plus one) meets none of them.
				rs := []*Review6Bulk{
					{Name: "a"},
					{ID: base + 40, Name: "b"},
					{Name: "c", Note: note("nc")},
					{ID: base + 30, Name: "d", Note: note("nd")},
					{Name: "e"},
					{ID: base + 20, Name: "f", Note: note("nf")},
					{ID: base + 10, Name: "g"},
				}
				n, err := insert(rs)
				require.NoError(t, err)
				require.EqualValues(t, len(rs), n)
				got, err := record.Query[Review6Bulk](ctx).OrderBy("name").All()
				require.NoError(t, err)
				require.Len(t, got, len(rs))
				for i, r := range rs {
					g := got[i]
					assert.Equal(t, r.Name, g.Name)
					if r.ID != 0 {
						assert.Equal(t, r.ID, g.ID, "row %s", r.Name)
					}
					want := "dflt"
					if r.Note != nil {
						want = *r.Note
					}
					if assert.NotNil(t, g.Note, "row %s", r.Name) {
						assert.Equal(t, want, *g.Note, "row %s", r.Name)
					}
				}
			})
		}
	})
}
