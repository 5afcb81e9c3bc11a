package record_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// AModel, CModel and DModel are the original's to_dict test models: AModel
// belongs to a CModel (c) and has many DModels (ds).
type AModel struct {
	record.Base[AModel]
	ID   int64    `db:"id,pk,autoincrement"`
	Name string   `db:"name,size=50"`
	Text *string  `db:"text"`
	CID  *int64   `db:"c_id,fk=c_model.id"`
	C    *CModel  // belongs-to, by the field's name: c_id
	Ds   []DModel // has-many, by DModel.AModelID
}

type CModel struct {
	record.Base[CModel]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

type DModel struct {
	record.Base[DModel]
	ID       int64  `db:"id,pk"`
	AModelID *int64 `db:"a_model_id,fk=a_model.id"`
	Name     string `db:"name,size=50"`
}

// aAdapters is what AModel.MapAdapters returns; the adapter tests set it,
// as the original's patched __dict_args__.
var aAdapters record.Adapters

func (AModel) MapAdapters() record.Adapters { return aAdapters }

func ids(v any, _ string, _ any) any {
	var out []int64
	for _, d := range v.([]DModel) {
		out = append(out, d.ID)
	}
	return out
}

func first(v any, _ string, _ any) any { return v.(string)[:1] }

func TestToMapAdapters(t *testing.T) {
	t.Cleanup(func() { aAdapters = nil })
	text := "bar"
	cases := []struct {
		name     string
		adapters record.Adapters
		data     map[string]any
		want     map[string]any
	}{
		{"by slice type", record.Adapters{record.TypeOf[[]DModel](): ids},
			map[string]any{"ds": []any{&DModel{ID: 1}, &DModel{ID: 2}}},
			map[string]any{"ds": []int64{1, 2}}},
		{"by relation name", record.Adapters{"ds": ids},
			map[string]any{"ds": []any{&DModel{ID: 1}, &DModel{ID: 2}}},
			map[string]any{"ds": []int64{1, 2}}},
		{"by Go field name", record.Adapters{"Ds": ids},
			map[string]any{"ds": []any{&DModel{ID: 1}, &DModel{ID: 2}}},
			map[string]any{"ds": []int64{1, 2}}},
		{"by value type", record.Adapters{record.TypeOf[string](): first},
			map[string]any{"name": "foo"},
			map[string]any{"name": "f"}},
		{"by column name", record.Adapters{"name": first},
			map[string]any{"name": "foo"},
			map[string]any{"name": "f"}},
		{"other columns untouched", record.Adapters{"name": first},
			map[string]any{"name": "foo", "text": text},
			map[string]any{"name": "f", "text": "bar"}},
		{"nil drops the key", record.Adapters{"text": nil},
			map[string]any{"name": "foo", "text": text},
			map[string]any{"name": "foo"}},
		{"by related model type", record.Adapters{record.TypeOf[CModel](): func(v any, _ string, _ any) any {
			return map[string]any{"name": v.(*CModel).Name}
		}},
			map[string]any{"c": &CModel{ID: 1, Name: "foo"}},
			map[string]any{"c": map[string]any{"name": "foo"}}},
		{"by related model type inside a list (the original's issue #21)", record.Adapters{record.TypeOf[*DModel](): func(v any, _ string, _ any) any {
			return v.(*DModel).Name
		}},
			map[string]any{"ds": []map[string]any{{"id": 1, "name": "d1"}, {"id": 2, "name": "d2"}}},
			map[string]any{"ds": []any{"d1", "d2"}}},
		{"field name wins over type", record.Adapters{"name": first, record.TypeOf[string](): func(any, string, any) any { return "typed" }},
			map[string]any{"name": "foo", "text": text},
			map[string]any{"name": "f", "text": "typed"}},
		{"adapters get the key and the record", record.Adapters{"name": func(v any, key string, m any) any {
			return key + "=" + v.(string) + " of " + m.(*AModel).Name
		}},
			map[string]any{"name": "foo"},
			map[string]any{"name": "name=foo of foo"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			aAdapters = tc.adapters
			a, err := record.New[AModel](tc.data)
			require.NoError(t, err)
			got := a.ToMap()
			want := map[string]any{"id": int64(0), "name": "", "text": nil, "c_id": nil}
			for k, v := range tc.want {
				want[k] = v
			}
			for k, f := range tc.adapters {
				if name, ok := k.(string); ok && f == nil {
					delete(want, name)
				}
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestToMapOriginalShapes(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{CModel{}, AModel{}, DModel{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		load := func(id int64) *AModel {
			a, err := record.Query[AModel](ctx).Preload("C", "Ds").Get(id)
			require.NoError(t, err)
			assert.Equal(t, a.ToMap(), mapsCollect(a), "dict(model) == model.to_dict()")
			return a
		}
		a, err := record.New[AModel](map[string]any{"name": "a", "c": map[string]any{"name": "b"},
			"ds": []map[string]any{{"id": 1, "name": "d1"}, {"id": 2, "name": "d2"}}})
		require.NoError(t, err)
		require.NoError(t, a.Save(ctx))
		got := load(a.ID).ToMap()
		assert.Equal(t, "a", got["name"])
		assert.Equal(t, map[string]any{"id": *a.CID, "name": "b"}, got["c"])
		assert.Equal(t, []map[string]any{
			{"id": int64(1), "a_model_id": a.ID, "name": "d1"},
			{"id": int64(2), "a_model_id": a.ID, "name": "d2"},
		}, got["ds"])

		b, err := record.New[AModel](map[string]any{"name": "a", "c": nil})
		require.NoError(t, err)
		require.NoError(t, b.Save(ctx))
		got = load(b.ID).ToMap()
		// The original turned a loaded null relation into {}; nil is what
		// it is (and what v2 of the original does).
		assert.Nil(t, got["c"])
		assert.Contains(t, got, "c")
		assert.Equal(t, []map[string]any{}, got["ds"])
	})
}

func mapsCollect(a *AModel) map[string]any {
	out := map[string]any{}
	for k, v := range a.All() {
		out[k] = v
	}
	return out
}

func TestMarshalJSONIsToMap(t *testing.T) {
	eachRel(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		m := loadMember(t, ctx, saveJenny(t, ctx).ID)
		viaMap, err := json.Marshal(m.ToMap())
		require.NoError(t, err)
		direct, err := json.Marshal(m)
		require.NoError(t, err)
		assert.JSONEq(t, string(viaMap), string(direct))

		inStruct, err := json.Marshal(struct{ Items []*Member }{[]*Member{m}})
		require.NoError(t, err)
		assert.JSONEq(t, `{"Items": [`+string(viaMap)+`]}`, string(inStruct))

		// The elements of a []Member are addressable: the same shape too.
		plain, err := record.Get[Member](ctx, m.ID)
		require.NoError(t, err)
		values, err := json.Marshal([]Member{*plain})
		require.NoError(t, err)
		assert.JSONEq(t, fmt.Sprintf(`[{"id": %d, "name": "Jenny"}]`, m.ID), string(values))
	})

	// The shape, spelled out.
	text := "t"
	c := &CModel{ID: 3, Name: "c"}
	a := &AModel{ID: 1, Name: "a", Text: &text, C: c, Ds: []DModel{{ID: 5, Name: "d"}}}
	out, err := json.Marshal(a)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"name":"a","text":"t","c_id":null,"c":{"id":3,"name":"c"},"ds":[{"id":5,"a_model_id":null,"name":"d"}]}`, string(out))
}

// Node is a tree: a self-referential belongs-to and has-many.
type Node struct {
	record.Base[Node]
	ID       int64     `db:"id,pk,autoincrement"`
	ParentID *int64    `db:"parent_id,fk=node.id"`
	Name     string    `db:"name,size=20"`
	At       time.Time `db:"at"`
	Parent   *Node
	Children []*Node `rel:"cascade"`
}

func (Node) MapAdapters() record.Adapters { return nodeAdapters }

var nodeAdapters = record.Adapters{
	record.TypeOf[time.Time](): func(v any, _ string, _ any) any { return v.(time.Time).Format(time.DateOnly) },
}

func TestSelfReferentialTree(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Node{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		day := time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)
		root, err := record.New[Node](map[string]any{"name": "root", "at": day, "children": []map[string]any{
			{"name": "a", "at": day, "children": []map[string]any{{"name": "a1", "at": day}}},
			{"name": "b", "at": day},
		}})
		require.NoError(t, err)
		require.NoError(t, root.Save(ctx))
		assert.Equal(t, root.ID, *root.Children[1].ParentID)
		assert.Equal(t, root.Children[0].ID, *root.Children[0].Children[0].ParentID)

		before := db.Statements()
		got, err := record.Query[Node](ctx).Where(builder.Eq{"parent_id": nil}).Preload("Children.Children", "Parent").First()
		require.NoError(t, err)
		assert.EqualValues(t, 3, db.Statements()-before, "the root, its children, theirs; no parent to load")
		assert.Same(t, got, got.Children[0].Parent, "children point back at their parent")
		assert.Equal(t, map[string]any{
			"id": root.ID, "parent_id": nil, "name": "root", "at": "2024-05-06", "parent": nil,
			"children": []map[string]any{
				{"id": root.Children[0].ID, "parent_id": root.ID, "name": "a", "at": "2024-05-06", "children": []map[string]any{
					{"id": root.Children[0].Children[0].ID, "parent_id": root.Children[0].ID, "name": "a1", "at": "2024-05-06"},
				}},
				{"id": root.Children[1].ID, "parent_id": root.ID, "name": "b", "at": "2024-05-06", "children": []map[string]any{}},
			},
		}, got.ToMap())

		require.NoError(t, got.Destroy(ctx))
		assert.EqualValues(t, 0, count[Node](t, ctx), "cascade, two levels down")
	})
}
