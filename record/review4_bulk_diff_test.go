package record_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// BulkDiffUpdate against a plain model of what it must do, over random
// previous rows and rows: keys as int, int64 or the field name, values as
// strings or byte slices, column or field names, previous rows out of order
// and repeated (the last one counts), previous rows lacking columns. The
// quick path, the general path and the previous rows' index must together
// do what the definition says: a row with a previous row writes the columns
// whose values differ from that row's, a row without one is inserted.
func TestReview4BulkDiffUpdateAgreesWithItsDefinition(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: queryModels}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		r := rand.New(rand.NewSource(4))
		cols := []struct{ col, field string }{{"name", "Name"}, {"text", "Text"}, {"label", "Label"}}
		val := func(s string) any {
			if r.Intn(4) == 0 {
				return []byte(s)
			}
			return s
		}
		key := func(row map[string]any, id int) {
			switch r.Intn(4) {
			case 0:
				row["id"] = id
			case 1:
				row["ID"] = int64(id)
			default:
				row["id"] = int64(id)
			}
		}
		name := func(c struct{ col, field string }) string {
			if r.Intn(5) == 0 {
				return c.field
			}
			return c.col
		}
		for iter := 0; iter < 25; iter++ {
			_, err := db.Exec(ctx, "DELETE FROM query_a")
			require.NoError(t, err)
			seedBulk(t, db, ctx)
			// The table: rows 1..5, name "1".."5", text A, label L.
			want := map[int64]map[string]string{}
			for i := int64(1); i <= 5; i++ {
				want[i] = map[string]string{"name": fmt.Sprint(i), "text": "A", "label": "L"}
			}
			// Previous rows: ids from 1 to 5 (the rows of the table), some twice, in any order.
			var previous []map[string]any
			prev := map[int64]map[string]string{} // the last previous row of each key
			ids := r.Perm(5)
			for _, i := range ids {
				for rep := 0; rep < 1+r.Intn(2)*r.Intn(2); rep++ {
					row := map[string]any{}
					key(row, i+1)
					p := map[string]string{}
					for _, c := range cols {
						if r.Intn(6) == 0 {
							continue // the previous row lacks the column: NULL
						}
						v := string(rune('A' + r.Intn(2)))
						row[name(c)] = val(v)
						p[c.col] = v
					}
					previous = append(previous, row)
					prev[int64(i+1)] = p
				}
			}
			if r.Intn(2) == 0 { // sometimes in key order
				previous = previous[:0]
				for id := int64(1); id <= 5; id++ {
					row := map[string]any{"id": id}
					for c, v := range prev[id] {
						row[c] = v
					}
					previous = append(previous, row)
				}
			}
			// Rows: distinct ids from 1 to 9, in any order.
			var rows []map[string]any
			var updated, inserted int64
			for _, i := range r.Perm(9)[:1+r.Intn(9)] {
				id := int64(i + 1)
				row := map[string]any{}
				key(row, i+1)
				set := map[string]string{}
				for _, c := range cols {
					if r.Intn(3) == 0 {
						continue // left alone
					}
					v := string(rune('A' + r.Intn(2)))
					row[name(c)] = val(v)
					set[c.col] = v
				}
				rows = append(rows, row)
				p, ok := prev[id]
				if !ok {
					inserted++
					w := map[string]string{"name": "", "text": "", "label": ""}
					for c, v := range set {
						w[c] = v
					}
					want[id] = w
					continue
				}
				changed := false
				for c, v := range set {
					if old, had := p[c]; !had || old != v {
						changed = true
						if want[id] != nil {
							want[id][c] = v
						}
					}
				}
				if changed {
					updated++
				}
			}
			res, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, previous, rows)
			require.NoError(t, err, "iteration %d", iter)
			require.Equal(t, updated, res.Updated, "iteration %d: updated", iter)
			require.Equal(t, inserted, res.Inserted, "iteration %d: inserted", iter)
			as, err := record.Find[QueryA](ctx)
			require.NoError(t, err)
			got := map[int64]map[string]string{}
			for _, a := range as {
				got[a.ID] = map[string]string{"name": a.Name, "text": a.Text, "label": a.Label}
			}
			require.Equal(t, want, got, "iteration %d: previous %v rows %v", iter, previous, rows)
		}
	})
}
