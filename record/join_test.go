package record_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// seedJoin makes two C rows, four A rows (two per C, one without a C) and
// D rows pointing at the A rows: a0 has d "x" and "y", a1 has "x".
func seedJoin(t *testing.T, ctx context.Context) ([]*QueryC, []*QueryA) {
	t.Helper()
	cs := []*QueryC{{Name: "red"}, {Name: "blue"}}
	for _, c := range cs {
		require.NoError(t, c.Save(ctx))
	}
	as := []*QueryA{
		{Name: "a0", Text: "t", CID: &cs[0].ID},
		{Name: "a1", Text: "t", CID: &cs[0].ID},
		{Name: "a2", Text: "u", CID: &cs[1].ID},
		{Name: "a3", Text: "u"},
	}
	for _, a := range as {
		require.NoError(t, a.Save(ctx))
	}
	for _, d := range []*QueryD{{Name: "x", AID: &as[0].ID}, {Name: "y", AID: &as[0].ID}, {Name: "x", AID: &as[1].ID}} {
		require.NoError(t, d.Save(ctx))
	}
	return cs, as
}

func TestJoinManyToOne(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		_, as := seedJoin(t, ctx)

		red, err := record.Query[QueryA](ctx).Join("query_c").Where(builder.Eq{"query_c.name": "red"}).All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[:2]), queryIDs(red))
		q := lastSQL(db, "SELECT")
		quote := db.Client.Dialect().Quote
		assert.Contains(t, q, "JOIN "+quote("query_c")+" ON "+quote("query_a")+"."+quote("c_id")+" = "+quote("query_c")+"."+quote("id"))
		assert.Contains(t, q, "ORDER BY "+quote("query_a")+"."+quote("id"), "the default order is qualified")

		// "name" is a column of both tables: plain names mean the queried
		// model's, also for criteria given before the Join.
		a2, err := record.Query[QueryA](ctx).Where(builder.Eq{"name": "a2"}).Join("query_c").One()
		require.NoError(t, err)
		assert.Equal(t, as[2].ID, a2.ID)

		// The join is inner: a3 has no C. test_find_criteria_as_filter_by_on_join:
		// with an outer join a map of criteria binds to the queried model.
		n, err := record.Query[QueryA](ctx).Join("c_id").Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		n, err = record.Query[QueryA](ctx).LeftJoin("c_id").Count()
		require.NoError(t, err)
		assert.EqualValues(t, 4, n)
		u, err := record.Query[QueryA](ctx).LeftJoin("query_c").Where(builder.Eq{"text": "u"}).All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[2:]), queryIDs(u))
		noC, err := record.Query[QueryA](ctx).LeftJoin("query_c").Where(builder.Eq{"query_c.id": nil}).One()
		require.NoError(t, err)
		assert.Equal(t, as[3].ID, noC.ID)
		assert.Contains(t, lastSQL(db, "SELECT"), "LEFT JOIN")
		_, err = record.Query[QueryA](ctx).LeftJoin("query_d").All()
		assert.ErrorContains(t, err, "many-to-one only")

		both, err := record.Query[QueryA](ctx).Join("query_c").
			Where(builder.Or{builder.Eq{"query_c.name": "blue"}, builder.Eq{"query_a.name": "a0"}}).
			OrderBy("-name").All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs([]*QueryA{as[2], as[0]}), queryIDs(both))

		colors, err := record.Query[QueryA](ctx).Join("query_c").OrderBy("name").Pluck("query_c.name")
		require.NoError(t, err)
		assert.Equal(t, []any{"red", "red", "blue"}, colors)

		ok, err := record.Query[QueryA](ctx).Join("query_c").Where(builder.Like{"query_c.name": "gr%"}).Exists()
		require.NoError(t, err)
		assert.False(t, ok)

		page, err := record.Query[QueryA](ctx).Join("query_c").Where(builder.Eq{"query_c.name": "red"}).Paginate(2, 1)
		require.NoError(t, err)
		assert.EqualValues(t, 2, page.Total)
		assert.Equal(t, queryIDs(as[1:2]), queryIDs(page.Items))

		part, err := record.Query[QueryA](ctx).Join("query_c").Select("text").Where(builder.Eq{"query_c.name": "blue"}).One()
		require.NoError(t, err)
		assert.Equal(t, "u", part.Text)
		assert.Empty(t, part.Name)
	})
}

func TestJoinOneToMany(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		_, as := seedJoin(t, ctx)
		// a0 has two D rows named x or y, a1 one: each A comes once.
		got, err := record.Query[QueryA](ctx).Join("query_d").All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[:2]), queryIDs(got))
		n, err := record.Query[QueryA](ctx).Join("query_d.a_id").Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)

		x, err := record.Query[QueryA](ctx).Join("query_d").Where(builder.Eq{"query_d.name": "x"}).Limit(10).All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[:2]), queryIDs(x))
		y, err := record.Query[QueryA](ctx).Join("query_d").Where(builder.Eq{"query_d.name": "y"}, builder.Eq{"name": "a0"}).One()
		require.NoError(t, err)
		assert.Equal(t, as[0].ID, y.ID)
		_, err = record.Query[QueryA](ctx).Join("query_d").Where(builder.Eq{"query_d.name": "y"}, builder.Eq{"name": "a1"}).One()
		assert.ErrorIs(t, err, record.ErrNotFound)

		// With a many-to-one join as well.
		blueOrX, err := record.Query[QueryA](ctx).Join("query_c").Join("query_d").
			Where(builder.Eq{"query_d.name": "x", "query_c.name": "red"}).All()
		require.NoError(t, err)
		assert.Equal(t, queryIDs(as[:2]), queryIDs(blueOrX))

		_, err = record.Query[QueryA](ctx).Join("query_d").Pluck("query_d.name")
		assert.ErrorContains(t, err, "one-to-many")

		// From the other side, D joins A many-to-one.
		ds, err := record.Query[QueryD](ctx).Join("query_a").Where(builder.Eq{"query_a.name": "a0"}).Pluck("name")
		require.NoError(t, err)
		assert.Equal(t, []any{"x", "y"}, ds)
	})
}

func TestJoinErrorsBeforeSQL(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		cases := []struct {
			name string
			q    *record.QuerySet[QueryA]
			is   error
			msg  string
		}{
			{"unknown table", record.Query[QueryA](ctx).Join("nope"), nil, "no registered model"},
			{"column without fk", record.Query[QueryA](ctx).Join("name"), nil, "no fk"},
			{"unlinked table", record.Query[QueryA](ctx).Join("query_b"), nil, "no fk=table.column tag or relation links"},
			{"joined twice", record.Query[QueryA](ctx).Join("query_c").Join("c_id"), nil, "joined already"},
			{"unknown joined column", record.Query[QueryA](ctx).Join("query_c").Where(builder.Eq{"query_c.bogus": 1}), registry.ErrUnknownColumn, ""},
			{"table not joined", record.Query[QueryA](ctx).Where(builder.Eq{"query_c.name": 1}).Join("query_c"), registry.ErrUnknownColumn, ""},
			{"hostile name", record.Query[QueryA](ctx).Join("query_c").Where(builder.Eq{`query_c.name" OR 1=1 --`: 1}), registry.ErrUnknownColumn, ""},
			{"reverse without fk", record.Query[QueryA](ctx).Join("query_d.name"), nil, "does not reference"},
		}
		for _, tc := range cases {
			_, err := tc.q.All()
			require.Error(t, err, tc.name)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is, tc.name)
			}
			if tc.msg != "" {
				assert.Contains(t, err.Error(), tc.msg, tc.name)
				assert.True(t, strings.HasPrefix(err.Error(), "record: Join("), tc.name)
			}
		}
		assert.Equal(t, before, db.Statements())
	})
}
