package record_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// test_bulk_insert, test_bulk_insert_many
func TestBulkInsert(t *testing.T) {
	insertions := map[string]func(ctx context.Context, rows []map[string]any, opts ...record.BulkOption) (int64, error){
		"BulkInsert":     record.BulkInsert[QueryA, map[string]any],
		"BulkInsertMany": record.BulkInsertMany[QueryA, map[string]any],
	}
	for name, insert := range insertions {
		t.Run(name, func(t *testing.T) {
			eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
				rows := []map[string]any{{"name": "a"}, {"name": "b"}, {"name": "c"}}
				since := len(db.Log())
				n, err := insert(ctx, rows)
				require.NoError(t, err)
				assert.EqualValues(t, 3, n)
				// The largest key of these rows: 3 on one server, not on
				// a Galera cluster, whose nodes hand out every third.
				var last int64
				for _, r := range rows {
					got, err := record.Query[QueryA](ctx).Where(builder.Eq(r)).One()
					require.NoError(t, err, r)
					last = max(last, got.ID)
				}
				if name == "BulkInsert" {
					assert.Equal(t, 1, countSQL(db, since, "INSERT"), "one multi-row INSERT")
				} else {
					assert.Equal(t, 3, countSQL(db, since, "INSERT"), "one prepared INSERT run per row")
				}

				// Rows setting different columns, field names and values
				// to convert; the rows of BulkInsertMany keep their order.
				code := "c"
				rows = []map[string]any{
					{"name": "d", "Text": "t", "label": "l"},
					{"name": "e", "code": &code, "c_id": nil},
					{"Name": "f", "text": "t", "label": "l"},
					{"id": 1000, "name": "g"},
				}
				n, err = insert(ctx, rows)
				require.NoError(t, err)
				assert.EqualValues(t, 4, n)
				got, err := record.Query[QueryA](ctx).Where(builder.Gt{"id": last}).OrderBy("id").Pluck("name")
				require.NoError(t, err)
				if name == "BulkInsert" {
					assert.Equal(t, []any{"d", "f", "e", "g"}, got, "grouped by the columns set, in first-seen order")
				} else {
					assert.Equal(t, []any{"d", "e", "f", "g"}, got)
				}
				e, err := record.FindOne[QueryA](ctx, builder.Eq{"name": "e"})
				require.NoError(t, err)
				require.NotNil(t, e.Code)
				assert.Equal(t, "c", *e.Code)

				n, err = insert(ctx, nil)
				require.NoError(t, err)
				assert.Zero(t, n)
			})
		})
	}
}

func TestBulkInsertRecords(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		recs := []*QueryA{{Name: "x"}, {Name: "y", Text: "t"}, {ID: 50, Name: "z"}}
		n, err := record.BulkInsert[QueryA](ctx, recs)
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		assert.Zero(t, recs[0].ID, "generated keys are not read back")
		assert.True(t, recs[0].IsNew())
		names, err := record.Query[QueryA](ctx).Pluck("name")
		require.NoError(t, err)
		assert.ElementsMatch(t, []any{"x", "y", "z"}, names)
		z, err := record.Get[QueryA](ctx, 50)
		require.NoError(t, err)
		assert.Equal(t, "z", z.Name)

		bs := []*QueryB{{ID1: 1, ID2: 1, Name: "a"}, {ID1: 1, ID2: 2, Name: "b"}}
		n, err = record.BulkInsertMany[QueryB](ctx, bs)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		b, err := record.Get[QueryB](ctx, record.Key{"id1": 1, "id2": 2})
		require.NoError(t, err)
		assert.Equal(t, "b", b.Name)
	})
}

func TestBulkInsertBatchesUnderTheParameterLimit(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		// 3 parameters per row: more rows than one statement may bind.
		rows := db.Client.Dialect().MaxParams()/3 + 100
		bs := make([]*QueryB, rows)
		for i := range bs {
			bs[i] = &QueryB{ID1: int64(i), ID2: int64(i % 7), Name: "n"}
		}
		var calls [][2]int
		since := len(db.Log())
		n, err := record.BulkInsert[QueryB](ctx, bs, record.Progress(func(done, total int) { calls = append(calls, [2]int{done, total}) }))
		require.NoError(t, err)
		assert.EqualValues(t, rows, n)
		assert.Equal(t, 2, countSQL(db, since, "INSERT"))
		assert.Equal(t, [][2]int{{rows - 100, rows}, {rows, rows}}, calls)
		count, err := record.Query[QueryB](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, rows, count)

		// BatchSize caps a statement's rows.
		since = len(db.Log())
		calls = nil
		n, err = record.BulkInsert[QueryA](ctx, []map[string]any{{"name": "1"}, {"name": "2"}, {"name": "3"}, {"name": "4"}, {"name": "5"}},
			record.BatchSize(2), record.Progress(func(done, total int) { calls = append(calls, [2]int{done, total}) }))
		require.NoError(t, err)
		assert.EqualValues(t, 5, n)
		assert.Equal(t, 3, countSQL(db, since, "INSERT"))
		assert.Equal(t, [][2]int{{2, 5}, {4, 5}, {5, 5}}, calls)
	})
}

func TestBulkInsertIsAllOrNothing(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		// The third statement fails on a duplicate key: the first two are
		// rolled back with it.
		rows := []map[string]any{{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}, {"id": 4, "name": "d"}, {"id": 1, "name": "dup"}}
		_, err := record.BulkInsert[QueryA](ctx, rows, record.BatchSize(2))
		var dbe *record.DBError
		require.ErrorAs(t, err, &dbe)
		assert.Equal(t, "insert", dbe.Op)
		assert.Zero(t, countA(t, ctx))
		_, err = record.BulkInsertMany[QueryA](ctx, rows)
		require.ErrorAs(t, err, &dbe)
		assert.Zero(t, countA(t, ctx))
		// In one statement (no transaction of its own; on SQLite run as a
		// query), likewise, and the violation is the typed error.
		since := len(db.Log())
		_, err = record.BulkInsert[QueryA](ctx, rows)
		require.ErrorAs(t, err, &dbe)
		assert.ErrorIs(t, err, record.ErrDuplicateKey)
		assert.Equal(t, 1, countSQL(db, since, "INSERT"))
		assert.Zero(t, countA(t, ctx))
	})
}

func TestBulkBadInputRunsNoSQL(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		good := map[string]any{"id": 1, "name": "ok"}
		cases := []struct {
			name string
			run  func() error
			is   error
		}{
			{"unknown key", func() error {
				_, err := record.BulkInsert[QueryA](ctx, []map[string]any{good, {"name": "x", "bogus": 1}})
				return err
			}, registry.ErrUnknownColumn},
			{"hostile key", func() error {
				_, err := record.BulkInsertMany[QueryA](ctx, []map[string]any{{`name") VALUES ('x'); --`: 1}})
				return err
			}, registry.ErrUnknownColumn},
			{"bad value", func() error {
				_, err := record.BulkInsert[QueryA](ctx, []map[string]any{good, {"name": 5}})
				return err
			}, record.ErrInvalidValue},
			{"column and field", func() error {
				_, err := record.BulkInsert[QueryA](ctx, []map[string]any{{"name": "a", "Name": "b"}})
				return err
			}, record.ErrInvalidValue},
			{"nil record", func() error {
				_, err := record.BulkInsert[QueryA](ctx, []*QueryA{{Name: "a"}, nil})
				return err
			}, nil},
			{"update unknown key", func() error {
				_, err := record.BulkUpdate[QueryA](ctx, []string{"id"}, []map[string]any{good, {"id": 2, "bogus": 1}})
				return err
			}, registry.ErrUnknownColumn},
			{"update unknown key column", func() error {
				_, err := record.BulkUpdate[QueryA](ctx, []string{"bogus"}, []map[string]any{good})
				return err
			}, registry.ErrUnknownColumn},
			{"update without key column", func() error {
				_, err := record.BulkUpdate[QueryA](ctx, []string{"id"}, []map[string]any{good, {"name": "no id"}})
				return err
			}, nil},
			{"update without key columns", func() error {
				_, err := record.BulkUpdate[QueryA](ctx, nil, []map[string]any{good})
				return err
			}, nil},
			{"diff unknown key in previous", func() error {
				_, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, []map[string]any{{"id": 1, "bogus": 1}}, []map[string]any{good})
				return err
			}, registry.ErrUnknownColumn},
			{"diff previous without key", func() error {
				_, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, []map[string]any{{"name": "x"}}, []map[string]any{good})
				return err
			}, nil},
			{"diff bad value", func() error {
				_, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, nil, []map[string]any{good, {"id": "two"}})
				return err
			}, record.ErrInvalidValue},
		}
		for _, tc := range cases {
			err := tc.run()
			require.Error(t, err, tc.name)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is, tc.name)
			}
			assert.Contains(t, err.Error(), "QueryA", tc.name)
		}
		assert.Equal(t, before, db.Statements())
	})
}

// updates returns the UPDATE statements run since since.
func updates(db *dbtest.DB, since int) []string {
	var out []string
	for _, s := range db.Log()[since:] {
		if strings.HasPrefix(s, "UPDATE") {
			out = append(out, s)
		}
	}
	return out
}

func textsByID(t *testing.T, ctx context.Context) map[int64]string {
	t.Helper()
	as, err := record.Find[QueryA](ctx)
	require.NoError(t, err)
	out := map[int64]string{}
	for _, a := range as {
		out[a.ID] = a.Text
	}
	return out
}

// seedBulk inserts rows 1..5 with name "1".."5", text A and label L.
func seedBulk(t *testing.T, db *dbtest.DB, ctx context.Context) {
	t.Helper()
	rows := make([]map[string]any, 5)
	for i := range rows {
		rows[i] = map[string]any{"id": i + 1, "name": fmt.Sprint(i + 1), "text": "A", "label": "L"}
	}
	_, err := record.BulkInsert[QueryA](ctx, rows)
	require.NoError(t, err)
	if db.Dialect == "postgres" {
		// Explicit keys do not move PostgreSQL's sequence.
		_, err := db.Exec(ctx, `SELECT setval(pg_get_serial_sequence('query_a', 'id'), 100)`)
		require.NoError(t, err)
	}
}

// test_bulk_common_update
func TestBulkUpdate(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seedBulk(t, db, ctx)
		quote := db.Client.Dialect().Quote
		rows := []map[string]any{
			{"id": 1, "text": "B"}, {"id": 2, "text": "B"}, {"id": 3, "text": "C"}, {"id": 4, "text": "C"}, {"id": 5, "text": "D"},
		}
		since := len(db.Log())
		res, err := record.BulkUpdate[QueryA](ctx, []string{"id"}, rows)
		require.NoError(t, err)
		ups := updates(db, since)
		require.Len(t, ups, 3)
		assert.Contains(t, ups[0], "SET "+quote("text")+" = ")
		assert.Contains(t, ups[0], "WHERE "+quote("id")+" IN (")
		assert.EqualValues(t, 5, res.Updated)
		assert.Len(t, res.Results, 3)
		assert.Equal(t, map[int64]string{1: "B", 2: "B", 3: "C", 4: "C", 5: "D"}, textsByID(t, ctx))

		// Composite keys; the key columns are not set. Rows are grouped by
		// what they set, whatever the order their maps were built in.
		rows = []map[string]any{
			{"id": 1, "name": "1", "text": "E", "label": "M"},
			{"label": "M", "text": "E", "name": "2", "id": 2},
			{"id": 3, "name": "3", "text": "F", "label": "M"},
			{"id": 4, "name": "wrong name", "text": "F", "label": "M"},
			{"id": 5, "name": "5"},
		}
		since = len(db.Log())
		res, err = record.BulkUpdate[QueryA](ctx, []string{"id", "Name"}, rows)
		require.NoError(t, err)
		ups = updates(db, since)
		require.Len(t, ups, 2, "row 5 sets nothing and is skipped")
		for _, u := range ups {
			assert.NotContains(t, u, quote("name")+" =", "key columns are not set")
			assert.Contains(t, u, "("+quote("id")+", "+quote("name")+") IN ((")
		}
		assert.EqualValues(t, 3, res.Updated, "row 4's key matches no row")
		assert.Equal(t, map[int64]string{1: "E", 2: "E", 3: "F", 4: "C", 5: "D"}, textsByID(t, ctx))

		// Single-row groups that set the same columns reuse one statement.
		rows = rows[:0]
		for i := 1; i <= 5; i++ {
			rows = append(rows, map[string]any{"id": i, "text": fmt.Sprint("T", i)})
		}
		var calls []int
		res, err = record.BulkUpdate[QueryA](ctx, []string{"id"}, rows, record.Progress(func(done, total int) { calls = append(calls, done) }))
		require.NoError(t, err)
		assert.Len(t, res.Results, 5)
		assert.Equal(t, []int{1, 2, 3, 4, 5}, calls)
		assert.Equal(t, map[int64]string{1: "T1", 2: "T2", 3: "T3", 4: "T4", 5: "T5"}, textsByID(t, ctx))

		// Composite primary keys.
		_, err = record.BulkInsert[QueryB](ctx, []map[string]any{{"id1": 1, "id2": 1, "name": "a"}, {"id1": 1, "id2": 2, "name": "b"}, {"id1": 2, "id2": 1, "name": "c"}})
		require.NoError(t, err)
		res, err = record.BulkUpdate[QueryB](ctx, []string{"id1", "id2"}, []map[string]any{{"id1": 1, "id2": 2, "name": "x"}, {"id1": 2, "id2": 1, "name": "x"}})
		require.NoError(t, err)
		assert.EqualValues(t, 2, res.Updated)
		names, err := record.Query[QueryB](ctx).Pluck("name")
		require.NoError(t, err)
		assert.Equal(t, []any{"a", "x", "x"}, names)

		res, err = record.BulkUpdate[QueryA](ctx, []string{"id"}, nil)
		require.NoError(t, err)
		assert.Zero(t, res.Updated)
	})
}

// test_bulk_diff_update
func TestBulkDiffUpdate(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seedBulk(t, db, ctx)
		quote := db.Client.Dialect().Quote
		previous := make([]map[string]any, 5)
		for i := range previous {
			// As read back from a database: int64 keys.
			previous[i] = map[string]any{"id": int64(i + 1), "name": fmt.Sprint(i + 1), "text": "A", "label": "L"}
		}
		rows := []map[string]any{
			{"id": 1, "name": "1", "text": "A"}, // unchanged: the missing label is not compared
			{"id": 2, "name": "2", "text": "B", "label": "M"},
			{"id": 3, "name": "3", "text": "B", "label": "N"},
			{"id": 4, "name": "4", "text": "C", "label": "O"},
			{"id": 5, "name": "5", "text": "C", "label": "O"},
			{"id": 6, "name": "6", "text": "C", "label": "O"},
			{"id": 7, "name": "7", "text": "C", "label": "O"},
		}
		since := len(db.Log())
		res, err := record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, previous, rows)
		require.NoError(t, err)
		ups := updates(db, since)
		require.Len(t, ups, 3)
		for _, u := range ups {
			assert.NotContains(t, u, quote("name"), "unchanged columns are not set")
			assert.Contains(t, u, quote("text"))
			assert.Contains(t, u, quote("label"))
		}
		assert.Equal(t, 1, countSQL(db, since, "INSERT"), "one multi-row INSERT")
		assert.EqualValues(t, 4, res.Updated)
		assert.EqualValues(t, 2, res.Inserted)
		assert.Len(t, res.Results, 4, "every statement's result, the updates' too")
		assert.Equal(t, map[int64]string{1: "A", 2: "B", 3: "B", 4: "C", 5: "C", 6: "C", 7: "C"}, textsByID(t, ctx))
		labels, err := record.Query[QueryA](ctx).Pluck("label")
		require.NoError(t, err)
		assert.Equal(t, []any{"L", "M", "N", "O", "O", "O", "O"}, labels)

		// Identical rows: no SQL at all.
		before := db.Statements()
		res, err = record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, previous, previous)
		require.NoError(t, err)
		assert.Equal(t, &record.BulkResult{}, res)
		assert.Equal(t, before, db.Statements())
		res, err = record.BulkDiffUpdate[QueryA](ctx, []string{"id"}, previous, nil)
		require.NoError(t, err)
		assert.Equal(t, &record.BulkResult{}, res)
		assert.Equal(t, before, db.Statements())

		// A value that differs only in Go type is no change; NULLs compare.
		code := "k"
		res, err = record.BulkDiffUpdate[QueryA](ctx, []string{"id"},
			[]map[string]any{{"id": 1, "label": "L", "code": nil}, {"id": 2, "code": &code}},
			[]map[string]any{{"id": 1.0, "label": "L", "code": nil}, {"id": int32(2), "code": "k"}, {"name": "no key"}})
		require.NoError(t, err)
		assert.Zero(t, res.Updated)
		assert.EqualValues(t, 1, res.Inserted, "a row without its key is inserted")
		assert.Equal(t, before+3, db.Statements(), "BEGIN, INSERT, COMMIT")

		// Composite keys.
		_, err = record.BulkInsert[QueryB](ctx, []map[string]any{{"id1": 1, "id2": 1, "name": "a"}, {"id1": 1, "id2": 2, "name": "b"}})
		require.NoError(t, err)
		prevB := []map[string]any{{"id1": 1, "id2": 1, "name": "a"}, {"id1": 1, "id2": 2, "name": "b"}}
		res, err = record.BulkDiffUpdate[QueryB](ctx, []string{"id1", "id2"}, prevB,
			[]map[string]any{{"id1": 1, "id2": 1, "name": "a"}, {"id1": 1, "id2": 2, "name": "B"}, {"id1": 2, "id2": 1, "name": "new"}})
		require.NoError(t, err)
		assert.EqualValues(t, 1, res.Updated)
		assert.EqualValues(t, 1, res.Inserted)
		names, err := record.Query[QueryB](ctx).Pluck("name")
		require.NoError(t, err)
		assert.Equal(t, []any{"a", "B", "new"}, names)
	})
}
