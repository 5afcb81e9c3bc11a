package record

import (
	"database/sql/driver"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

type shapeRow struct {
	Base[shapeRow]
	ID    int64   `db:"id,pk,autoincrement"`
	Name  string  `db:"name,size=50"`
	Score int     `db:"score"`
	Note  *string `db:"note,size=50"`
}

// A new QuerySet field that changes the SQL text must join the shape key
// in sqlcache.go, or two queries that differ in it would share one cached
// text. This test fails when a field is added, as a reminder.
func TestShapeKeyCoversQuerySet(t *testing.T) {
	var names []string
	rt := reflect.TypeFor[QuerySet[shapeRow]]()
	for i := range rt.NumField() {
		names = append(names, rt.Field(i).Name)
	}
	// sel and joins change the text: QuerySet.sql builds such queries
	// every time. crit only matters with joins; page and per become limit
	// and offset; lock is in the key; preload runs queries of its own.
	// pkKey drops ORDER BY (QuerySet.unordered), which the key records.
	// pick, group and having are in Scan's key (scanSQL), where havCrit
	// only matters with joins; distinct and withDeleted are in both keys.
	assert.Equal(t, []string{"ctx", "m", "c", "err", "where", "order", "limit", "offset", "hasLim",
		"sel", "joins", "crit", "page", "per", "pick", "distinct", "group", "having", "havCrit", "withDeleted",
		"lock", "preload", "hint", "pkKey"}, names,
		"QuerySet changed: add what changes the SQL text to the shape key of QuerySet.sql (sqlcache.go), then update this list")
}

type valuer struct{ v any }

func (v valuer) Value() (driver.Value, error) { return v.v, nil }

// Every query shape returns the right rows on its first run (built by
// squirrel) and on later runs (cached text) with other values; the cached
// text and arguments equal what squirrel builds for the same query.
func TestQueryShapesMatchSquirrel(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{shapeRow{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var rows []*shapeRow
		for i := 1; i <= 20; i++ {
			r := &shapeRow{Name: fmt.Sprintf("n%02d", i), Score: i % 5}
			if i%3 == 0 {
				note := fmt.Sprintf("note %d", i%2)
				r.Note = &note
			}
			require.NoError(t, r.Save(ctx))
			rows = append(rows, r)
		}
		ids := func(keep func(r *shapeRow) bool) []int64 {
			var out []int64
			for _, r := range rows {
				if keep(r) {
					out = append(out, r.ID)
				}
			}
			return out
		}
		id := func(i int) int64 { return rows[i-1].ID }
		note := "note 1"
		type tc struct {
			name   string
			cached bool // cached and prepared
			query  func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow]
			want   func(v int) []int64
		}
		// Shapes with a list: their text is cached, not prepared.
		listed := map[string]bool{"IN: text cached, not prepared": true, "IN of lengths that differ": true,
			"NOT IN of any values, in an Or": true, "empty IN matches nothing": true}
		cases := []tc{
			{"Eq", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] { return q.Where(builder.Eq{"score": v}) },
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Score == v }) }},
			{"Eq of two columns", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Eq{"score": v, "name": fmt.Sprintf("n%02d", v)})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool { return r.Score == v && r.Name == fmt.Sprintf("n%02d", v) })
				}},
			{"Eq nil is IS NULL", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Eq{"note": nil}, builder.Gt{"score": v})
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Note == nil && r.Score > v }) }},
			{"Eq pointer and nil pointer", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					if v%2 == 0 {
						return q.Where(builder.Eq{"note": (*string)(nil)})
					}
					return q.Where(builder.Eq{"note": &note})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool {
						if v%2 == 0 {
							return r.Note == nil
						}
						return r.Note != nil && *r.Note == note
					})
				}},
			{"NotEq and a Valuer", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.NotEq{"score": valuer{int64(v)}})
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Score != v }) }},
			{"ranges", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.GtOrEq{"id": id(v)}, builder.Lt{"id": id(v + 5)}, builder.LtOrEq{"score": 3})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool { return r.ID >= id(v) && r.ID < id(v+5) && r.Score <= 3 })
				}},
			{"Like", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Like{"name": fmt.Sprintf("n%d%%", v%2)})
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Name[1] == byte('0'+v%2) }) }},
			{"NotLike of two columns goes through squirrel", false,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.NotLike{"name": "n0%", "note": fmt.Sprintf("note %d", v%2)})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool {
						return r.Name[1] != '0' && r.Note != nil && *r.Note != fmt.Sprintf("note %d", v%2)
					})
				}},
			{"And and Or", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Or{builder.Eq{"id": id(v)}, builder.And{builder.Gt{"score": 3}, builder.Lt{"id": id(10)}}})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool { return r.ID == id(v) || (r.Score > 3 && r.ID < id(10)) })
				}},
			{"IN: text cached, not prepared", false,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Eq{"id": []int64{id(v), id(v + 1)}})
				},
				func(v int) []int64 { return []int64{id(v), id(v + 1)} }},
			{"IN of lengths that differ", false,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Eq{"id": ids(func(r *shapeRow) bool { return r.ID <= id(v*3) })})
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.ID <= id(v*3) }) }},
			{"NOT IN of any values, in an Or", false,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Or{builder.NotEq{"score": []any{v, v + 1}}, builder.Eq{"id": id(v)}})
				},
				func(v int) []int64 {
					return ids(func(r *shapeRow) bool { return (r.Score != v && r.Score != v+1) || r.ID == id(v) })
				}},
			{"empty IN matches nothing", false,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Eq{"id": []int64{}}, builder.Gt{"score": v})
				},
				func(v int) []int64 { return []int64{} }},
			{"Expr is a shape of its text", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Where(builder.Expr("score = ?", v))
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Score == v }) }},
			{"Distinct", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.Distinct().Where(builder.Gt{"score": v})
				},
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.Score > v }) }},
			{"order, limit and offset", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] {
					return q.OrderBy("-score", "id").Limit(v).Offset(v)
				},
				func(v int) []int64 {
					all := slices.Clone(rows)
					slices.SortStableFunc(all, func(a, b *shapeRow) int { return b.Score - a.Score })
					var out []int64
					for _, r := range all[v : 2*v] {
						out = append(out, r.ID)
					}
					return out
				}},
			{"offset without limit", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] { return q.Offset(v + 14) },
				func(v int) []int64 { return ids(func(r *shapeRow) bool { return r.ID > id(v+14) }) }},
			{"limit only", true,
				func(q *QuerySet[shapeRow], v int) *QuerySet[shapeRow] { return q.OrderBy("-id").Limit(v) },
				func(v int) []int64 {
					var out []int64
					for i := 20; i > 20-v; i-- {
						out = append(out, id(i))
					}
					return out
				}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, v := range []int{1, 2, 3} {
					q := c.query(Query[shapeRow](ctx), v)
					got, err := q.All()
					require.NoError(t, err)
					gotIDs := make([]int64, len(got))
					for i, r := range got {
						gotIDs[i] = r.ID
					}
					want := c.want(v)
					if len(q.order) == 0 {
						slices.Sort(want)
					}
					assert.Equal(t, want, gotIDs, "value %d", v)
					n, err := q.Count()
					require.NoError(t, err)
					all, err := c.query(Query[shapeRow](ctx), v).Limit(1000).Offset(0).All()
					require.NoError(t, err)
					assert.Equal(t, int64(len(all)), n, "count, value %d", v)

					for _, count := range []bool{false, true} {
						text, args, cached, err := q.sql(count)
						require.NoError(t, err)
						built, builtArgs, err := q.build(count)
						require.NoError(t, err)
						assert.Equal(t, c.cached, cached, "cached")
						if listed[c.name] {
							sc := shapesOf(sqlgen.For(db.Client.Dialect(), q.m))
							sc.mu.RLock()
							assert.Contains(t, slices.Collect(maps.Values(sc.texts)), text, "the text of a shape with a list is cached")
							sc.mu.RUnlock()
						}
						if cached || listed[c.name] {
							assert.Equal(t, built, text)
							assert.True(t, sameArgs(builtArgs, args), "args %v, squirrel %v", args, builtArgs)
						}
					}
				}
			})
		}
	})
}

type scoreStats struct {
	Score int
	N     int64
	Top   string
}

// A reporting query of one shape is built once and prepared: Scan's shape
// key covers the select list (or the row type that makes it), Distinct,
// GroupBy and Having; its text and arguments equal squirrel's.
func TestScanShapesAreCached(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{shapeRow{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var first int64 // keys need not be consecutive (Galera steps them)
		for i := 1; i <= 12; i++ {
			r := &shapeRow{Name: fmt.Sprintf("n%02d", i), Score: i % 4}
			require.NoError(t, r.Save(ctx))
			if i == 1 {
				first = r.ID
			}
		}
		p, err := planOf(reflect.TypeFor[scoreStats]())
		require.NoError(t, err)
		shapes := map[string]func(v int) *QuerySet[shapeRow]{
			"aggregate": func(v int) *QuerySet[shapeRow] {
				return Query[shapeRow](ctx).Where(builder.Gt{"id": first + int64(v) - 1}).
					Select("score", builder.Expr("COUNT(*) AS n"), builder.Expr("MAX(name) AS top")).
					GroupBy("score").Having(builder.Expr("COUNT(*) >= ?", v%2+1)).OrderBy("-score").Limit(3).Offset(1)
			},
			"distinct from the row type": func(v int) *QuerySet[shapeRow] {
				return Query[shapeRow](ctx).Distinct().Where(builder.Lt{"score": v + 1})
			},
		}
		for name, shape := range shapes {
			t.Run(name, func(t *testing.T) {
				var firstText string
				for v := 1; v <= 3; v++ {
					q := shape(v)
					if name == "distinct from the row type" {
						q = q.Select("score")
					}
					text, args, cached, err := q.scanSQL(p)
					require.NoError(t, err)
					assert.True(t, cached, "value %d", v)
					built, builtArgs, err := q.buildScan(p)
					require.NoError(t, err)
					assert.Equal(t, built, text)
					assert.True(t, sameArgs(builtArgs, args), "args %v, squirrel %v", args, builtArgs)
					if firstText == "" {
						firstText = text
					}
					assert.Equal(t, firstText, text, "one text for the shape")
				}
			})
		}
		rows, err := Scan[scoreStats](shapes["aggregate"](1))
		require.NoError(t, err)
		assert.Equal(t, []scoreStats{{2, 3, "n10"}, {1, 2, "n09"}, {0, 3, "n12"}}, rows, "rows after the first, groups of two rows or more, the first group skipped")
		other, _, _, err := shapes["aggregate"](1).Distinct().scanSQL(p)
		require.NoError(t, err)
		plain, _, _, err := shapes["aggregate"](1).scanSQL(p)
		require.NoError(t, err)
		assert.NotEqual(t, plain, other, "Distinct is part of the shape")
	})
}

type boundedRow struct {
	Base[boundedRow]
	ID int64 `db:"id,pk,autoincrement"`
}

// The cache holds at most maxShapes shapes per model and dialect, so that
// queries built from unbounded input (a limit from a request, say) cannot
// grow it, or the prepared statements, without end: further shapes run
// through squirrel, unprepared, and still return the right rows.
func TestShapeCacheIsBounded(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{boundedRow{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for range 3 {
			require.NoError(t, (&boundedRow{}).Save(ctx))
		}
		for n := 1; n <= maxShapes+10; n++ {
			q := Query[boundedRow](ctx).Limit(n)
			_, _, cached, err := q.sql(false)
			require.NoError(t, err)
			got, err := q.All()
			require.NoError(t, err)
			require.Len(t, got, min(n, 3))
			if n > maxShapes {
				assert.False(t, cached, "limit %d is past the cache's bound", n)
			}
		}
		sc := shapesOf(sqlgen.For(db.Client.Dialect(), Query[boundedRow](ctx).m))
		sc.mu.RLock()
		defer sc.mu.RUnlock()
		assert.Len(t, sc.texts, maxShapes)
	})
}

type listRow struct {
	Base[listRow]
	ID int64 `db:"id,pk,autoincrement"`
}

// IN lists of many lengths fill at most maxListShapes of the cache, and
// lists longer than maxListLen are not cached: the other shapes keep their
// room, and every query still returns the right rows.
func TestListShapesAreBounded(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{listRow{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		// The keys the rows got: not 1, 2, 3 on a Galera cluster, whose
		// nodes hand out every third.
		var keys []int64
		for range 3 {
			r := &listRow{}
			require.NoError(t, r.Save(ctx))
			keys = append(keys, r.ID)
		}
		sc := shapesOf(sqlgen.For(db.Client.Dialect(), mustOf[listRow](t)))
		for n := 1; n <= maxListShapes+5; n++ {
			ids := make([]int64, n)
			for i := range ids {
				if i < len(keys) {
					ids[i] = keys[i]
				} else {
					ids[i] = keys[len(keys)-1] + int64(i) // no such row
				}
			}
			got, err := Query[listRow](ctx).Where(builder.Eq{"id": ids}).All()
			require.NoError(t, err)
			require.Len(t, got, min(n, 3))
		}
		long := make([]int64, maxListLen+1)
		got, err := Query[listRow](ctx).Where(builder.Eq{"id": long}).All()
		require.NoError(t, err)
		assert.Empty(t, got)
		got, err = Query[listRow](ctx).Where(builder.Gt{"id": keys[0]}).All()
		require.NoError(t, err)
		assert.Len(t, got, 2)
		sc.mu.RLock()
		defer sc.mu.RUnlock()
		assert.Equal(t, maxListShapes, sc.lists)
		assert.Len(t, sc.texts, maxListShapes+1, "the lists' shapes and the one without")
	})
}

func mustOf[T any](t *testing.T) *registry.Model {
	t.Helper()
	m, err := registry.Of[T]()
	require.NoError(t, err)
	return m
}
