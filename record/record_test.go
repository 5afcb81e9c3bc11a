package record_test

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

type Person struct {
	record.Base[Person]
	ID      int64      `db:"id,pk,autoincrement"`
	Name    string     `db:"name,size=100"`
	Email   string     `db:"email,size=100,unique"`
	Age     int        `db:"age"`
	Active  bool       `db:"active"`
	Score   float64    `db:"score"`
	Nick    *string    `db:"nick,size=50"`
	Born    *time.Time `db:"born"`
	Avatar  []byte     `db:"avatar"`
	Ignored string     `db:"-"`
}

type Membership struct {
	record.Base[Membership]
	TeamID int64  `db:"team_id,pk=1"`
	UserID int64  `db:"user_id,pk=2"`
	Role   string `db:"role,size=20"`
}

var models = []any{Person{}, Membership{}}

func each(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: models}, func(t *testing.T, db *dbtest.DB) {
		fn(t, db, db.Ctx())
	})
}

func strp(s string) *string { return &s }

func TestSaveInsertsAndReadsBack(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		born := time.Date(1990, 5, 17, 10, 30, 0, 0, time.UTC)
		p := &Person{Name: "Jenny", Email: "jenny@example.com", Age: 33, Active: true, Score: 9.5,
			Nick: strp("jen"), Born: &born, Avatar: []byte{0, 1, 2, 255}}
		assert.True(t, p.IsNew())
		require.NoError(t, p.Save(ctx))
		assert.NotZero(t, p.ID)
		assert.False(t, p.IsNew())

		got, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "Jenny", got.Name)
		assert.Equal(t, 33, got.Age)
		assert.True(t, got.Active)
		assert.Equal(t, 9.5, got.Score)
		require.NotNil(t, got.Nick)
		assert.Equal(t, "jen", *got.Nick)
		require.NotNil(t, got.Born)
		assert.True(t, born.Equal(*got.Born), "born %v", got.Born)
		assert.Equal(t, []byte{0, 1, 2, 255}, got.Avatar)
		assert.False(t, got.IsNew())
	})
}

func TestSaveWritesZeroValues(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &Person{Name: "Z", Email: "z@example.com", Age: 5, Active: true, Score: 1}
		require.NoError(t, p.Save(ctx))
		p.Name, p.Age, p.Active, p.Score = "", 0, false, 0
		require.NoError(t, p.Save(ctx))
		got, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "", got.Name)
		assert.Equal(t, 0, got.Age)
		assert.False(t, got.Active)
		assert.Equal(t, 0.0, got.Score)
		assert.Nil(t, got.Nick)
		assert.Nil(t, got.Born)
	})
}

func TestHostileValuesRoundTripAsData(t *testing.T) {
	values := []string{
		`Robert'); DROP TABLE person;--`,
		`"; DELETE FROM person; --`,
		`O'Brien`,
		"back\\slash",
		"nul\x00byte",
		"unicode ☃ 𝔘 ﾟ",
		`$1 ? :name @p1`,
	}
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for i, v := range values {
			if db.Dialect == "postgres" && v == "nul\x00byte" {
				continue // PostgreSQL text cannot hold NUL; covered for []byte below
			}
			p := &Person{Name: v, Email: string(rune('a'+i)) + "@x", Avatar: []byte(v)}
			require.NoError(t, p.Save(ctx), "value %q", v)
			got, err := record.FindOne[Person](ctx, builder.Eq{"name": v})
			require.NoError(t, err, "value %q", v)
			assert.Equal(t, v, got.Name)
			assert.Equal(t, []byte(v), got.Avatar)
		}
		n, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.Positive(t, n)
	})
}

func TestUpdateWritesOnlyChangedColumns(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &Person{Name: "A", Email: "a@x"}
		require.NoError(t, p.Save(ctx))
		assert.Empty(t, p.Changed())

		before := db.Statements()
		require.NoError(t, p.Save(ctx))
		assert.Equal(t, before, db.Statements(), "saving an unchanged record must not run SQL")

		// Two copies of one row change different columns: neither loses
		// the other's change.
		a, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		b, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		a.Name = "A2"
		b.Age = 40
		assert.Equal(t, []string{"name"}, a.Changed())
		require.NoError(t, a.Save(ctx))
		require.NoError(t, b.Save(ctx))
		got, err := record.Get[Person](ctx, p.ID)
		require.NoError(t, err)
		assert.Equal(t, "A2", got.Name)
		assert.Equal(t, 40, got.Age)
		last := db.Log()[len(db.Log())-2]
		assert.Contains(t, last, "age")
		assert.NotContains(t, last, "name")
	})
}

func TestSaveRefusesChangedPrimaryKey(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &Person{Name: "K", Email: "k@x"}
		require.NoError(t, p.Save(ctx))
		p.ID++
		err := p.Save(ctx)
		var fe *record.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "ID", fe.Field)
	})
}

func TestNewRecordWithKeyIsUpserted(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &Person{ID: 1000, Name: "first", Email: "u@x"}
		require.NoError(t, p.Save(ctx))
		q := &Person{ID: 1000, Name: "second", Email: "u@x", Age: 7}
		require.NoError(t, q.Save(ctx))
		n, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		got, err := record.Get[Person](ctx, 1000)
		require.NoError(t, err)
		assert.Equal(t, "second", got.Name)
		assert.Equal(t, 7, got.Age)

		// An upsert by key whose unique email belongs to another row fails
		// on every dialect; it never overwrites that other row.
		other := &Person{Name: "other", Email: "other@x"}
		require.NoError(t, other.Save(ctx))
		clash := &Person{ID: 2000, Name: "clash", Email: "other@x"}
		require.Error(t, clash.Save(ctx))
		kept, err := record.Get[Person](ctx, other.ID)
		require.NoError(t, err)
		assert.Equal(t, "other", kept.Name)
		_, err = record.Get[Person](ctx, 2000)
		assert.ErrorIs(t, err, record.ErrNotFound)
	})
}

func TestGetNotFound(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		_, err := record.Get[Person](ctx, 12345)
		require.Error(t, err)
		assert.ErrorIs(t, err, record.ErrNotFound)
		assert.ErrorIs(t, err, sql.ErrNoRows)
		assert.Contains(t, err.Error(), "Person")

		_, err = record.Get[Person](ctx, "not a number")
		assert.ErrorIs(t, err, record.ErrInvalidValue)
	})
}

func TestDestroyRecord(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &Person{Name: "D", Email: "d@x"}
		require.NoError(t, p.Save(ctx))
		require.NoError(t, p.Destroy(ctx))
		assert.True(t, p.IsNew())
		_, err := record.Get[Person](ctx, p.ID)
		assert.ErrorIs(t, err, record.ErrNotFound)
		assert.ErrorIs(t, (&Person{ID: 999999}).Destroy(ctx), record.ErrNotFound)
	})
}

func TestUpdateMapIsAllOrNothing(t *testing.T) {
	p := &Person{Name: "keep", Age: 1}
	err := p.Update(map[string]any{"name": "changed", "bogus": 1})
	assert.ErrorIs(t, err, registry.ErrUnknownColumn)
	err = p.Update(map[string]any{"name": "changed", "age": "not a number"})
	var fe *record.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Person", fe.Model)
	assert.Equal(t, "Age", fe.Field)
	assert.Equal(t, "keep", p.Name, "nothing is written when one value is bad")
	assert.Equal(t, 1, p.Age)

	require.NoError(t, p.Update(map[string]any{"name": "new", "Age": 2.0, "nick": "n", "born": "2020-01-02T03:04:05Z", "active": true}))
	assert.Equal(t, "new", p.Name)
	assert.Equal(t, 2, p.Age)
	assert.Equal(t, "n", *p.Nick)
	assert.Equal(t, 2020, p.Born.Year())
	require.NoError(t, p.Update(map[string]any{"nick": nil}))
	assert.Nil(t, p.Nick)
}

func TestConversionErrors(t *testing.T) {
	cases := []struct {
		name  string
		key   string
		value any
	}{
		{"string into int", "age", "x"},
		{"fraction into int", "age", 1.5},
		{"overflow", "age", uint64(1 << 63)},
		{"int into string", "name", 5},
		{"nil into non-nullable", "name", nil},
		{"string into bool", "active", "yes"},
		{"bad time", "born", "yesterday"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := record.New[Person](map[string]any{tc.key: tc.value})
			assert.ErrorIs(t, err, record.ErrInvalidValue)
		})
	}
}

func TestSetAndToMap(t *testing.T) {
	p, err := record.New[Person](map[string]any{"name": "M", "email": "m@x", "age": 3})
	require.NoError(t, err)
	require.NoError(t, p.Set("score", 2))
	assert.ErrorIs(t, p.Set("nope", 1), registry.ErrUnknownColumn)
	m := p.ToMap()
	assert.Equal(t, map[string]any{
		"id": int64(0), "name": "M", "email": "m@x", "age": 3, "active": false, "score": 2.0,
		"nick": nil, "born": nil, "avatar": []byte(nil),
	}, m)
	assert.Equal(t, m, maps.Collect(p.All()))
	assert.NotContains(t, m, "ignored")
}

func seed(t *testing.T, ctx context.Context, n int) []*Person {
	t.Helper()
	out := make([]*Person, n)
	for i := range out {
		out[i] = &Person{Name: string(rune('a' + i%26)), Email: "p" + string(rune('A'+i)) + "@x", Age: i}
		require.NoError(t, out[i].Save(ctx))
	}
	return out
}

func TestQuery(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		ps := seed(t, ctx, 10)

		all, err := record.Query[Person](ctx).All()
		require.NoError(t, err)
		require.Len(t, all, 10)
		for i := range all {
			assert.Equal(t, ps[i].ID, all[i].ID, "ordered by primary key by default")
		}

		some, err := record.Query[Person](ctx).Where(builder.Gt{"age": 3}, builder.Lt{"age": 8}).OrderBy("-age").All()
		require.NoError(t, err)
		require.Len(t, some, 4)
		assert.Equal(t, 7, some[0].Age)

		base := record.Query[Person](ctx).OrderBy("age DESC")
		limited, err := base.Limit(3).Offset(2).All()
		require.NoError(t, err)
		require.Len(t, limited, 3)
		assert.Equal(t, 7, limited[0].Age)
		full, err := base.All()
		require.NoError(t, err)
		assert.Len(t, full, 10, "Limit on a derived query leaves the base query alone")

		offsetOnly, err := record.Query[Person](ctx).Offset(8).All()
		require.NoError(t, err)
		assert.Len(t, offsetOnly, 2)

		first, err := record.Query[Person](ctx).Where(builder.Eq{"name": "c"}).First()
		require.NoError(t, err)
		assert.Equal(t, 2, first.Age)
		_, err = record.Query[Person](ctx).Where(builder.Eq{"name": "zz"}).First()
		assert.ErrorIs(t, err, record.ErrNotFound)

		n, err := record.Query[Person](ctx).Where(builder.Or{builder.Eq{"age": 1}, builder.Like{"name": "j%"}}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)

		in, err := record.Find[Person](ctx, builder.Eq{"age": []int{1, 2, 3}})
		require.NoError(t, err)
		assert.Len(t, in, 3)

		var streamed int
		for p, err := range record.Query[Person](ctx).Iter() {
			require.NoError(t, err)
			assert.NotZero(t, p.ID)
			streamed++
			if streamed == 5 {
				break
			}
		}
		assert.Equal(t, 5, streamed)
	})
}

func TestPaginate(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seed(t, ctx, 7)
		cases := []struct {
			page, perPage int
			wantAges      []int
			wantPages     int
		}{
			{0, 3, []int{0, 1, 2}, 3},
			{1, 3, []int{0, 1, 2}, 3},
			{-2, 3, []int{0, 1, 2}, 3},
			{2, 3, []int{3, 4, 5}, 3},
			{3, 3, []int{6}, 3},
			{4, 3, nil, 3},
			{1, 0, []int{0, 1, 2, 3, 4, 5, 6}, 1},
		}
		for _, tc := range cases {
			pg, err := record.Query[Person](ctx).Paginate(tc.page, tc.perPage)
			require.NoError(t, err)
			var ages []int
			for _, p := range pg.Items {
				ages = append(ages, p.Age)
			}
			assert.Equal(t, tc.wantAges, ages, "page %d per %d", tc.page, tc.perPage)
			assert.EqualValues(t, 7, pg.Total)
			assert.Equal(t, tc.wantPages, pg.Pages)
			assert.Equal(t, max(tc.page, 1), pg.Page)
		}
	})
}

func TestBadQueryInputFailsBeforeSQL(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		_, err := record.Find[Person](ctx, builder.Eq{"name; DROP TABLE person": 1})
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Query[Person](ctx).Where(builder.And{builder.Eq{"name": "x"}, builder.Gt{"nope": 1}}).All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Query[Person](ctx).OrderBy("name; DROP TABLE person").All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Query[Person](ctx).OrderBy("name sideways").All()
		assert.Error(t, err)
		_, err = record.Query[Person](ctx).Limit(-1).All()
		assert.Error(t, err)
		_, err = record.Query[Person](ctx).Where(builder.Eq{"bogus": 1}).Count()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.New[Person](map[string]any{"bogus": 1})
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Save[Person](ctx, map[string]any{"id": 1, "bogus": 1})
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Equal(t, before, db.Statements(), "no SQL may run for bad input")
	})
}

func TestSaveMapUpsertsOnPrimaryKey(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		created, err := record.Save[Person](ctx, map[string]any{"name": "Jenny", "email": "j@x", "age": 30})
		require.NoError(t, err)
		require.NotZero(t, created.ID)

		merged, err := record.Save[Person](ctx, map[string]any{"id": created.ID, "name": "Jennifer"})
		require.NoError(t, err)
		assert.Equal(t, created.ID, merged.ID)
		assert.Equal(t, "Jennifer", merged.Name)
		assert.Equal(t, "j@x", merged.Email, "columns missing from the map keep their stored values")
		assert.Equal(t, 30, merged.Age)

		inserted, err := record.Save[Person](ctx, map[string]any{"id": 5000, "name": "New", "email": "n@x"})
		require.NoError(t, err)
		assert.EqualValues(t, 5000, inserted.ID)
		n, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

func TestDestroyForms(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		ps := seed(t, ctx, 8)
		cases := []struct {
			name  string
			items any
			want  int64
		}{
			{"primary key", ps[0].ID, 1},
			{"map", map[string]any{"id": ps[1].ID}, 1},
			{"key", record.Key{"id": ps[2].ID}, 1},
			{"record", ps[3], 1},
			{"slice of records", []*Person{ps[4]}, 1},
			{"mixed slice", []any{ps[5].ID, map[string]any{"id": ps[6].ID}, ps[7]}, 3},
			{"missing key", int64(123456), 0},
			{"empty slice", []any{}, 0},
			{"nil", nil, 0},
		}
		for _, tc := range cases {
			n, err := record.Destroy[Person](ctx, tc.items)
			require.NoError(t, err, tc.name)
			assert.Equal(t, tc.want, n, tc.name)
		}
		left, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, left)

		_, err = record.Destroy[Person](ctx, "x")
		assert.ErrorIs(t, err, record.ErrInvalidValue)
		_, err = record.Destroy[Person](ctx, map[string]any{"name": "no key"})
		assert.Error(t, err)
	})
}

func TestCompositeKeys(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := &Membership{TeamID: 1, UserID: 2, Role: "owner"}
		require.NoError(t, m.Save(ctx))
		require.NoError(t, (&Membership{TeamID: 1, UserID: 3, Role: "member"}).Save(ctx))

		got, err := record.Get[Membership](ctx, record.Key{"team_id": 1, "user_id": 2})
		require.NoError(t, err)
		assert.Equal(t, "owner", got.Role)
		got.Role = "admin"
		require.NoError(t, got.Save(ctx))
		again, err := record.Get[Membership](ctx, Membership{TeamID: 1, UserID: 2})
		require.NoError(t, err)
		assert.Equal(t, "admin", again.Role)

		_, err = record.Get[Membership](ctx, 1)
		assert.Error(t, err, "a scalar is not a composite key")

		n, err := record.Destroy[Membership](ctx, []any{record.Key{"team_id": 1, "user_id": 2}, &Membership{TeamID: 1, UserID: 3}})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

func TestClientErrors(t *testing.T) {
	_, err := record.Get[Person](context.Background(), 1)
	assert.ErrorIs(t, err, session.ErrNoClient)
	_, err = record.Query[Person](context.Background()).All()
	assert.ErrorIs(t, err, session.ErrNoClient)
	assert.ErrorIs(t, (&Person{}).Save(context.Background()), session.ErrNoClient)

	db := dbtest.Open(t, "sqlite", dbtest.Options{Models: models})
	ctx := db.Ctx()
	require.NoError(t, db.Close())
	_, err = record.Get[Person](ctx, 1)
	assert.ErrorIs(t, err, session.ErrClosed)
	assert.ErrorIs(t, (&Person{Name: "x"}).Save(ctx), session.ErrClosed)
	_, err = record.Destroy[Person](ctx, 1)
	assert.ErrorIs(t, err, session.ErrClosed)
}

func TestDefaultClient(t *testing.T) {
	db := dbtest.Open(t, "sqlite", dbtest.Options{Models: models})
	session.SetDefault(db.Client)
	t.Cleanup(func() { session.SetDefault(nil) })
	p := &Person{Name: "def", Email: "def@x"}
	require.NoError(t, p.Save(context.Background()))
	got, err := record.Get[Person](context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, "def", got.Name)
}

func TestCancelledContext(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := (&Person{Name: "c", Email: "c@x"}).Save(cctx)
		require.Error(t, err)
		assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
		n, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

// Pages far out are an error that says so, never a page that wraps around
// to another one; the last page an int64 offset reaches still works.
func TestPaginateOutOfRange(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seed(t, ctx, 3)
		for _, tc := range []struct{ page, perPage int }{
			{1<<61 + 1, 8},
			{math.MaxInt, 2},
			{math.MaxInt/8 + 2, 8},
			{3, math.MaxInt},
		} {
			_, err := record.Query[Person](ctx).Paginate(tc.page, tc.perPage)
			assert.ErrorIs(t, err, record.ErrPageOutOfRange, "Paginate(%d, %d)", tc.page, tc.perPage)
			assert.ErrorContains(t, err, "Person")
			_, err = record.Query[Person](ctx).PerPage(tc.perPage).Page(tc.page).All()
			assert.ErrorIs(t, err, record.ErrPageOutOfRange, "PerPage(%d).Page(%d)", tc.perPage, tc.page)
		}
		for _, tc := range []struct{ page, perPage, pages int }{
			{math.MaxInt/8 + 1, 8, 1}, // offset math.MaxInt64-7
			{1, math.MaxInt, 1},
			{2, math.MaxInt, 1}, // offset math.MaxInt64
			{1, math.MaxInt - 1, 1},
		} {
			pg, err := record.Query[Person](ctx).Paginate(tc.page, tc.perPage)
			require.NoError(t, err, "Paginate(%d, %d)", tc.page, tc.perPage)
			assert.Equal(t, tc.pages, pg.Pages)
			assert.EqualValues(t, 3, pg.Total)
			if tc.page == 1 {
				assert.Len(t, pg.Items, 3)
			} else {
				assert.Empty(t, pg.Items)
			}
		}
	})
}
