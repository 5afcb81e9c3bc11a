package record_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// test_destroy_primary_key, _dict, _model, _many_primary_keys,
// _many_dicts, _many_models, for the single-key and the composite-key
// model.
func TestDestroyEveryForm(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		type form struct {
			name string
			a    func(as []*QueryA) any
			b    func(bs []*QueryB) any
			want int64
		}
		forms := []form{
			{"primary key", func(as []*QueryA) any { return as[0].ID },
				func(bs []*QueryB) any { return record.Key{"id1": bs[0].ID1, "id2": bs[0].ID2} }, 1},
			{"key struct", func(as []*QueryA) any { return QueryA{ID: as[0].ID} },
				func(bs []*QueryB) any { return QueryB{ID1: bs[0].ID1, ID2: bs[0].ID2} }, 1},
			{"map", func(as []*QueryA) any { return as[0].ToMap() },
				func(bs []*QueryB) any { return bs[0].ToMap() }, 1},
			{"record", func(as []*QueryA) any { return as[0] },
				func(bs []*QueryB) any { return bs[0] }, 1},
			{"many primary keys", func(as []*QueryA) any { return queryIDs(as) },
				func(bs []*QueryB) any {
					keys := make([]record.Key, len(bs))
					for i, b := range bs {
						keys[i] = record.Key{"id1": b.ID1, "id2": b.ID2}
					}
					return keys
				}, 10},
			{"many maps", func(as []*QueryA) any {
				ms := make([]map[string]any, len(as))
				for i, a := range as {
					ms[i] = a.ToMap()
				}
				return ms
			}, func(bs []*QueryB) any {
				ms := make([]map[string]any, len(bs))
				for i, b := range bs {
					ms[i] = b.ToMap()
				}
				return ms
			}, 10},
			{"many records", func(as []*QueryA) any { return as }, func(bs []*QueryB) any { return bs }, 10},
			{"mixed", func(as []*QueryA) any { return []any{as[0].ID, as[1].ToMap(), as[2], QueryA{ID: as[3].ID}} },
				func(bs []*QueryB) any {
					return []any{record.Key{"id1": bs[0].ID1, "id2": bs[0].ID2}, bs[1].ToMap(), bs[2], QueryB{ID1: bs[3].ID1, ID2: bs[3].ID2}}
				}, 4},
		}
		for _, f := range forms {
			as, bs := seedQ(t, ctx, 10)
			n, err := record.Destroy[QueryA](ctx, f.a(as))
			require.NoError(t, err, f.name)
			assert.Equal(t, f.want, n, f.name)
			n, err = record.Destroy[QueryB](ctx, f.b(bs))
			require.NoError(t, err, f.name)
			assert.Equal(t, f.want, n, f.name)
			left, err := record.Query[QueryB](ctx).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 10-f.want, left, f.name)
			// Start the next form from empty tables.
			_, err = record.Destroy[QueryA](ctx, queryIDs(as))
			require.NoError(t, err)
			_, err = record.Destroy[QueryB](ctx, bs)
			require.NoError(t, err)
		}
		n, err := record.Destroy[QueryA](ctx, []int64{12345})
		require.NoError(t, err)
		assert.Zero(t, n, "keys without a row count 0")
	})
}

// test_empty_destroy: the original returned None for {}, [], False, None
// and 0; here empty inputs delete nothing, run no SQL and are not errors,
// while 0 is a key like any other (the original's quirk is fixed).
func TestDestroyEmpty(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seedQ(t, ctx, 2)
		before := db.Statements()
		for _, v := range []any{nil, []any{}, []int64{}, map[string]any{}, record.Key{}, []*QueryA{}, []map[string]any{}} {
			n, err := record.Destroy[QueryA](ctx, v)
			require.NoError(t, err, "%#v", v)
			assert.Zero(t, n, "%#v", v)
			n, err = record.Destroy[QueryB](ctx, v)
			require.NoError(t, err, "%#v", v)
			assert.Zero(t, n, "%#v", v)
		}
		assert.Equal(t, before, db.Statements())
		require.NoError(t, (&QueryB{ID1: 0, ID2: 0, Name: "zero"}).Save(ctx))
		n, err := record.Destroy[QueryB](ctx, QueryB{})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "a zero key is a key")
	})
}
