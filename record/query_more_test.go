package record_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// QueryA, QueryB, QueryC and QueryD are the original's test_query fixtures
// AModel, BModel (composite key), CModel and DModel.
type QueryA struct {
	record.Base[QueryA]
	ID    int64   `db:"id,pk,autoincrement"`
	Name  string  `db:"name,size=50"`
	Text  string  `db:"text,size=50"`
	Label string  `db:"label,size=50"`
	Code  *string `db:"code,size=20,unique"`
	CID   *int64  `db:"c_id,fk=query_c.id"`
}

type QueryB struct {
	record.Base[QueryB]
	ID1  int64  `db:"id1,pk=1"`
	ID2  int64  `db:"id2,pk=2"`
	Name string `db:"name,size=50"`
}

type QueryC struct {
	record.Base[QueryC]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

type QueryD struct {
	record.Base[QueryD]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
	AID  *int64 `db:"a_id,fk=query_a.id"`
}

var queryModels = []any{QueryC{}, QueryA{}, QueryB{}, QueryD{}}

func eachQ(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: queryModels}, func(t *testing.T, db *dbtest.DB) {
		fn(t, db, db.Ctx())
	})
}

// seedQ inserts n rows of QueryA (names "a00", "a01", … in reverse
// insertion order, so that name order differs from key order) and n rows
// of QueryB.
func seedQ(t *testing.T, ctx context.Context, n int) ([]*QueryA, []*QueryB) {
	t.Helper()
	as := make([]*QueryA, n)
	bs := make([]*QueryB, n)
	for i := range n {
		as[i] = &QueryA{Name: fmt.Sprintf("a%02d", n-1-i), Text: fmt.Sprintf("text %d", i), Label: "L"}
		require.NoError(t, as[i].Save(ctx))
		bs[i] = &QueryB{ID1: int64(100 + i), ID2: int64(200 + i), Name: fmt.Sprintf("b%02d", i)}
		require.NoError(t, bs[i].Save(ctx))
	}
	return as, bs
}

func queryIDs(as []*QueryA) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func lastSQL(db *dbtest.DB, prefix string) string {
	log := db.Log()
	for i := len(log) - 1; i >= 0; i-- {
		if strings.HasPrefix(log[i], prefix) {
			return log[i]
		}
	}
	return ""
}

// countSQL counts the statements since the since'th that start with
// prefix, leaving out PostgreSQL's sequence upkeep after an explicit key
// (see sqlgen.Statements.AdvanceSequence).
func countSQL(db *dbtest.DB, since int, prefix string) int {
	n := 0
	for _, s := range db.Log()[since:] {
		if strings.HasPrefix(s, prefix) && !strings.HasPrefix(s, "SELECT setval(") {
			n++
		}
	}
	return n
}

// test_find, test_count
func TestFindAllAndCount(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, bs := seedQ(t, ctx, 10)
		gotA, err := record.Find[QueryA](ctx)
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as), queryIDs(gotA))
		gotB, err := record.Query[QueryB](ctx).Search().All()
		require.NoError(t, err)
		assert.Len(t, gotB, len(bs))
		for _, q := range []interface{ Count() (int64, error) }{record.Query[QueryA](ctx), record.Query[QueryB](ctx)} {
			n, err := q.Count()
			require.NoError(t, err)
			assert.EqualValues(t, 10, n)
		}
	})
}

// test_find_criteria_as_filter / _filter_by / _and_filter_by /
// _as_list_of_lists and their find_one twins.
func TestFindCriteriaForms(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, bs := seedQ(t, ctx, 10)
		for _, a := range as {
			all := builder.Eq{"id": a.ID, "name": a.Name, "text": a.Text, "label": a.Label}
			exprs := []builder.Sqlizer{builder.Expr("name = ?", a.Name), builder.Expr("text = ?", a.Text), builder.Eq{"id": a.ID}}
			forms := map[string][]builder.Sqlizer{
				"expressions":         exprs,
				"map":                 {all},
				"map and expression":  {builder.Eq{"name": a.Name}, builder.Expr("name = ?", a.Name)},
				"nested list":         {builder.And{builder.Eq{"name": a.Name}, builder.Expr("name = ?", a.Name)}},
				"two maps":            {builder.Eq{"name": a.Name}, builder.Eq{"text": a.Text}},
				"or of map and false": {builder.Or{builder.Eq{"name": a.Name}, builder.Expr("1 = 0")}},
			}
			for name, crit := range forms {
				got, err := record.Find[QueryA](ctx, crit...)
				require.NoError(t, err, name)
				require.Len(t, got, 1, name)
				assert.Equal(t, a.ID, got[0].ID, name)
				one, err := record.FindOne[QueryA](ctx, crit...)
				require.NoError(t, err, name)
				assert.Equal(t, a.ID, one.ID, name)
			}
		}
		for _, b := range bs {
			got, err := record.Find[QueryB](ctx, builder.Eq{"id1": b.ID1, "id2": b.ID2, "name": b.Name})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, b.Name, got[0].Name)
		}
		_, err := record.FindOne[QueryA](ctx, builder.Eq{"name": "nobody"})
		assert.ErrorIs(t, err, record.ErrNotFound)
	})
}

// test_find_paginate: search(per_page, page) is a slice of the ordered
// rows.
func TestSearchPageAndPerPage(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 10)
		cases := []struct {
			perPage, page int
			want          []*QueryA
		}{
			{3, 0, as[0:3]},
			{3, 1, as[0:3]},
			{3, -1, as[0:3]},
			{3, 2, as[3:6]},
			{3, 4, as[9:10]},
			{3, 5, nil},
			{0, 2, as},
		}
		for _, tc := range cases {
			got, err := record.Query[QueryA](ctx).Search().PerPage(tc.perPage).Page(tc.page).All()
			require.NoError(t, err)
			assert.Equal(t, queryIDs(tc.want), queryIDs(got), "per_page %d page %d", tc.perPage, tc.page)
			// The order of the two calls does not matter.
			got, err = record.Query[QueryA](ctx).Page(tc.page).PerPage(tc.perPage).All()
			require.NoError(t, err)
			assert.Equal(t, queryIDs(tc.want), queryIDs(got), "page %d per_page %d", tc.page, tc.perPage)
		}
	})
}

// test_query_paginate: (per_page, page) → (LIMIT, OFFSET). LIMIT is part
// of the SQL text; OFFSET is a bound parameter (one text serves every
// page), so its value is checked through the rows it returns.
func TestPerPagePageLimitOffset(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 50)
		cases := []struct {
			perPage, page int
			limit, offset int // -1 when absent
		}{
			{15, 0, 15, -1}, // paginate(15), paginate((15,))
			{15, 1, 15, -1},
			{15, 2, 15, 15},
			{15, 3, 15, 30},
			{15, -1, 15, -1},
			{15, -2, 15, -1},
			{15, -3, 15, -1},
			{0, 3, -1, -1}, // page without per_page does nothing
		}
		for _, tc := range cases {
			got, err := record.Query[QueryA](ctx).PerPage(tc.perPage).Page(tc.page).All()
			require.NoError(t, err)
			q := lastSQL(db, "SELECT")
			from, to := max(tc.offset, 0), len(as)
			if tc.limit < 0 {
				assert.NotContains(t, q, "LIMIT", q)
			} else {
				assert.Contains(t, q, fmt.Sprintf("LIMIT %d", tc.limit), q)
				to = from + tc.limit
			}
			if tc.offset < 0 {
				assert.NotContains(t, q, "OFFSET", q)
			} else {
				assert.Contains(t, q, "OFFSET ", q)
			}
			assert.Equal(t, queryIDs(as[from:to]), queryIDs(got), "per_page %d page %d", tc.perPage, tc.page)
		}
	})
}

// test_find_order_by: every form of order_by gives the rows in the same
// order as sorting them in Go.
func TestOrderByForms(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 10)
		// Two rows share a name so that the second term matters.
		as[3].Name = as[4].Name
		require.NoError(t, as[3].Save(ctx))
		byName := slices.Clone(as)
		sort.SliceStable(byName, func(i, j int) bool {
			if byName[i].Name != byName[j].Name {
				return byName[i].Name < byName[j].Name
			}
			return byName[i].ID < byName[j].ID
		})
		byNameDesc := slices.Clone(byName)
		sort.SliceStable(byNameDesc, func(i, j int) bool {
			if byNameDesc[i].Name != byNameDesc[j].Name {
				return byNameDesc[i].Name > byNameDesc[j].Name
			}
			return byNameDesc[i].ID < byNameDesc[j].ID
		})
		byNameIDDesc := slices.Clone(byName)
		sort.SliceStable(byNameIDDesc, func(i, j int) bool {
			if byNameIDDesc[i].Name != byNameIDDesc[j].Name {
				return byNameIDDesc[i].Name < byNameIDDesc[j].Name
			}
			return byNameIDDesc[i].ID > byNameIDDesc[j].ID
		})
		cases := []struct {
			terms []string
			want  []*QueryA
		}{
			{[]string{"name", "id"}, byName},
			{[]string{"name ASC", "id"}, byName},
			{[]string{"name, id"}, byName},
			{[]string{"-name", "id"}, byNameDesc},
			{[]string{"name DESC", "id ASC"}, byNameDesc},
			{[]string{"name", "-id"}, byNameIDDesc},
			{[]string{"Name", "ID DESC"}, byNameIDDesc},
			{nil, as},
		}
		for _, tc := range cases {
			got, err := record.Query[QueryA](ctx).OrderBy(tc.terms...).All()
			require.NoError(t, err, "%q", tc.terms)
			assert.Equal(t, queryIDs(tc.want), queryIDs(got), "%q", tc.terms)
		}
	})
}

func TestOneAndExists(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 3)
		one, err := record.Query[QueryA](ctx).Where(builder.Eq{"name": as[1].Name}).One()
		require.NoError(t, err)
		assert.Equal(t, as[1].ID, one.ID)

		_, err = record.Query[QueryA](ctx).Where(builder.Eq{"name": "nobody"}).One()
		assert.ErrorIs(t, err, record.ErrNotFound)
		var nf *record.NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, "QueryA", nf.Model)

		_, err = record.Query[QueryA](ctx).One()
		assert.ErrorIs(t, err, record.ErrMultipleRows)
		var mr *record.MultipleRowsError
		require.ErrorAs(t, err, &mr)
		assert.Equal(t, "record: more than one QueryA matches", err.Error())
		assert.Contains(t, lastSQL(db, "SELECT"), "LIMIT 2", "One reads at most two rows")

		one, err = record.Query[QueryA](ctx).Limit(1).One()
		require.NoError(t, err, "a limit of one leaves one row")
		assert.Equal(t, as[0].ID, one.ID)

		for _, tc := range []struct {
			q    *record.QuerySet[QueryA]
			want bool
		}{
			{record.Query[QueryA](ctx), true},
			{record.Query[QueryA](ctx).Where(builder.Eq{"label": "L"}), true},
			{record.Query[QueryA](ctx).Where(builder.Eq{"label": "M"}), false},
			{record.Query[QueryA](ctx).Where(builder.Eq{"name": as[2].Name}).Offset(5), true},
		} {
			ok, err := tc.q.Exists()
			require.NoError(t, err)
			assert.Equal(t, tc.want, ok)
		}
		_, err = record.Query[QueryA](ctx).Where(builder.Eq{"bogus": 1}).Exists()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
	})
}

func TestPluckAndIndexBy(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 4)
		code := "c1"
		as[1].Code = &code
		require.NoError(t, as[1].Save(ctx))

		names, err := record.Query[QueryA](ctx).OrderBy("name").Pluck("name")
		require.NoError(t, err)
		assert.Equal(t, []any{"a00", "a01", "a02", "a03"}, names)

		codes, err := record.Query[QueryA](ctx).Pluck("Code")
		require.NoError(t, err)
		assert.Equal(t, []any{nil, "c1", nil, nil}, codes, "pointers are unwrapped, NULL is nil")

		idList, err := record.Pluck[int64](record.Query[QueryA](ctx).Where(builder.Gt{"id": as[1].ID}), "id")
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[2:]), idList)
		typed, err := record.Pluck[string](record.Query[QueryA](ctx).OrderBy("-name").Limit(2), "name")
		require.NoError(t, err)
		assert.Equal(t, []string{"a03", "a02"}, typed)

		_, err = record.Query[QueryA](ctx).Pluck("bogus")
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Pluck[string](record.Query[QueryA](ctx), "name; DROP TABLE query_a")
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)

		byName, err := record.Query[QueryA](ctx).IndexBy("name")
		require.NoError(t, err)
		require.Len(t, byName, 4)
		for _, a := range as {
			assert.Equal(t, a.ID, byName[a.Name].ID)
		}
		byLabel, err := record.Query[QueryA](ctx).IndexBy("label")
		require.NoError(t, err)
		assert.Equal(t, map[any]*QueryA{"L": byLabel["L"]}, byLabel)
		assert.Equal(t, as[3].ID, byLabel["L"].ID, "the last row wins")
		byCode, err := record.Query[QueryA](ctx).IndexBy("code")
		require.NoError(t, err)
		assert.Equal(t, as[1].ID, byCode["c1"].ID)
		assert.Contains(t, byCode, nil)
		_, err = record.Query[QueryA](ctx).IndexBy("bogus")
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
	})
}

func TestIndexByRejectsBytes(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{Models: models})
	before := db.Statements()
	_, err := record.Query[Person](db.Ctx()).IndexBy("avatar")
	assert.ErrorIs(t, err, record.ErrInvalidValue)
	assert.Equal(t, before, db.Statements())
}

func TestSelectLoadsAndWritesOnlyItsColumns(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 3)
		part, err := record.Query[QueryA](ctx).Select("name").OrderBy("id").All()
		require.NoError(t, err)
		require.Len(t, part, 3)
		assert.Equal(t, as[0].ID, part[0].ID, "the key is always loaded")
		assert.Equal(t, as[0].Name, part[0].Name)
		assert.Empty(t, part[0].Text, "columns not selected are not loaded")
		assert.NotContains(t, lastSQL(db, "SELECT"), "text")
		assert.False(t, part[0].IsNew())
		assert.Empty(t, part[0].Changed())

		// Saving writes the changed column only: the text that was never
		// loaded keeps its stored value.
		part[0].Name = "renamed"
		require.NoError(t, part[0].Save(ctx))
		upd := lastSQL(db, "UPDATE")
		assert.Contains(t, upd, "name")
		assert.NotContains(t, upd, "text")
		got, err := record.Get[QueryA](ctx, as[0].ID)
		require.NoError(t, err)
		assert.Equal(t, "renamed", got.Name)
		assert.Equal(t, as[0].Text, got.Text)
		assert.Equal(t, "L", got.Label)

		// A column that was not loaded is written once the caller sets it.
		part[1].Label = "set"
		require.NoError(t, part[1].Save(ctx))
		got, err = record.Get[QueryA](ctx, as[1].ID)
		require.NoError(t, err)
		assert.Equal(t, "set", got.Label)
		assert.Equal(t, as[1].Text, got.Text)

		// Select() loads every column again; Select of field names works.
		full, err := record.Query[QueryA](ctx).Select("Text").Select().First()
		require.NoError(t, err)
		assert.Equal(t, as[0].Text, full.Text)
		texts, err := record.Query[QueryA](ctx).Select("Text", "text").All()
		require.NoError(t, err)
		assert.Equal(t, as[2].Text, texts[2].Text)

		before := db.Statements()
		_, err = record.Query[QueryA](ctx).Select("name", "bogus").All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Equal(t, before, db.Statements())

		// Inside a session a partial record does not stand in for the row.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			p, err := record.Query[QueryA](ctx).Select("name").Where(builder.Eq{"id": as[2].ID}).One()
			require.NoError(t, err)
			assert.Empty(t, p.Text)
			g, err := record.Get[QueryA](ctx, as[2].ID)
			require.NoError(t, err)
			assert.Equal(t, as[2].Text, g.Text)
			again, err := record.Query[QueryA](ctx).Select("name").Where(builder.Eq{"id": as[2].ID}).One()
			require.NoError(t, err)
			assert.Same(t, g, again, "a row the session holds is returned whole")
			return nil
		})
		require.NoError(t, err)
	})
}
