package record_test

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// DocTags is a map column stored as JSON text through Valuer and Scanner.
type DocTags map[string]string

func (t DocTags) Value() (driver.Value, error) {
	if t == nil {
		return nil, nil
	}
	b, err := json.Marshal(map[string]string(t))
	return string(b), err
}

func (t *DocTags) Scan(src any) error {
	var b []byte
	switch s := src.(type) {
	case nil:
		*t = nil
		return nil
	case string:
		b = []byte(s)
	case []byte:
		b = s
	default:
		return fmt.Errorf("DocTags: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*map[string]string)(t))
}

// DocBlob is a named byte slice.
type DocBlob []byte

// Doc has a column of every reference-typed kind.
type Doc struct {
	record.Base[Doc]
	ID    int64           `db:"id,pk,autoincrement"`
	Data  []byte          `db:"data"`
	Nick  *string         `db:"nick,size=50"`
	Meta  json.RawMessage `db:"meta"`
	Tags  DocTags         `db:"tags"`
	Blob  DocBlob         `db:"blob_data"`
	Seen  *time.Time      `db:"seen"`
	Title string          `db:"title,size=50"`
}

// DocParent has children destroyed with it.
type DocParent struct {
	record.Base[DocParent]
	ID       int64       `db:"id,pk,autoincrement"`
	Name     string      `db:"name,size=50"`
	Children []*DocChild `rel:"cascade"`
}

// DocChild has no hooks or relations of its own, so a cascade deletes its
// rows in one statement.
type DocChild struct {
	record.Base[DocChild]
	ID          int64  `db:"id,pk,autoincrement"`
	DocParentID int64  `db:"doc_parent_id,fk=doc_parent.id"`
	Name        string `db:"name,size=50"`
}

// BinKey has a binary primary key (a binary UUID, say).
type BinKey struct {
	record.Base[BinKey]
	ID       []byte      `db:"id,pk,size=16"`
	Name     string      `db:"name,size=50"`
	Children []*BinChild `rel:"fk=owner_id"`
}

// BinChild references a binary key.
type BinChild struct {
	record.Base[BinChild]
	ID      int64  `db:"id,pk,autoincrement"`
	OwnerID []byte `db:"owner_id,size=16,fk=bin_key.id"`
	Name    string `db:"name,size=50"`
}

// BinPair has a composite key with a binary part.
type BinPair struct {
	record.Base[BinPair]
	Tenant []byte `db:"tenant,pk=1,size=16"`
	Code   string `db:"code,pk=2,size=20"`
	Name   string `db:"name,size=50"`
}

// Numbers has float columns of both widths.
type Numbers struct {
	record.Base[Numbers]
	ID  int64   `db:"id,pk,autoincrement"`
	F64 float64 `db:"f64"`
	F32 float32 `db:"f32"`
}

// Counted counts its Set and Modified events.
type Counted struct {
	record.Base[Counted]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50"`
}

func (Counted) Events(on *events.On[Counted]) {
	on.Set("name", func(c *Counted, value, old any) (any, error) {
		countedSets++
		return value, nil
	})
	on.Modified("name", func(c *Counted, attribute string) { countedMods++ })
}

// countedSets and countedMods count Counted's events across records: a
// throw-away record's events count too.
var countedSets, countedMods int

var integrityModels = []any{Doc{}, DocParent{}, DocChild{}, BinKey{}, BinChild{}, BinPair{}, Numbers{}, Counted{}, Wide100{}}

func eachI(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: integrityModels}, func(t *testing.T, db *dbtest.DB) {
		fn(t, db, db.Ctx())
	})
}

func TestInPlaceEditsAreSaved(t *testing.T) {
	// Each edit is made twice, on the saved record and on a loaded one; n
	// (0, then 1) makes the second edit differ from the first.
	cases := []struct {
		name   string
		column string
		edit   func(d *Doc, n int)
		check  func(t *testing.T, d *Doc, n int)
	}{
		{"a byte of a []byte", "data", func(d *Doc, n int) { d.Data[0] = byte('X' + n) },
			func(t *testing.T, d *Doc, n int) { assert.Equal(t, []byte{byte('X' + n), 'a', 't', 'a'}, d.Data) }},
		{"the target of a pointer field", "nick", func(d *Doc, n int) { *d.Nick = fmt.Sprint("new", n) },
			func(t *testing.T, d *Doc, n int) { assert.Equal(t, fmt.Sprint("new", n), *d.Nick) }},
		{"a byte inside a json.RawMessage", "meta", func(d *Doc, n int) { d.Meta[len(d.Meta)-2] = byte('2' + n) },
			func(t *testing.T, d *Doc, n int) { assert.JSONEq(t, fmt.Sprintf(`{"a": %d}`, 2+n), string(d.Meta)) }},
		{"a key of a map with Valuer and Scanner", "tags", func(d *Doc, n int) { d.Tags["k"] = fmt.Sprint("v", n) },
			func(t *testing.T, d *Doc, n int) { assert.Equal(t, DocTags{"a": "b", "k": fmt.Sprint("v", n)}, d.Tags) }},
		{"a byte of a named []byte", "blob_data", func(d *Doc, n int) { d.Blob[1] = byte('Z' - n) },
			func(t *testing.T, d *Doc, n int) { assert.Equal(t, DocBlob{'b', byte('Z' - n), 'o', 'b'}, d.Blob) }},
		{"the target of a *time.Time", "seen", func(d *Doc, n int) { *d.Seen = d.Seen.Add(time.Hour) },
			func(t *testing.T, d *Doc, n int) {
				assert.True(t, time.Date(2024, 1, 2, 4+n, 0, 0, 0, time.UTC).Equal(*d.Seen), d.Seen)
			}},
	}
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				seen := time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
				d := &Doc{Data: []byte("data"), Nick: strp("old"), Meta: json.RawMessage(`{"a": 1}`),
					Tags: DocTags{"a": "b"}, Blob: DocBlob("blob"), Seen: &seen, Title: "t"}
				require.NoError(t, d.Save(ctx))
				for n, loaded := range []bool{false, true} {
					got := d
					if loaded {
						var err error
						got, err = record.Get[Doc](ctx, d.ID)
						require.NoError(t, err)
						assert.Empty(t, got.Changed(), "nothing changed after a load")
					} else {
						assert.Empty(t, got.Changed(), "nothing changed after a save")
					}
					tc.edit(got, n)
					assert.Equal(t, []string{tc.column}, got.Changed())
					require.NoError(t, got.Save(ctx))
					assert.Empty(t, got.Changed(), "nothing changed after the save")
					back, err := record.Get[Doc](ctx, d.ID)
					require.NoError(t, err)
					tc.check(t, back, n)
					// The next pass edits the stored value again.
					d = back
				}
			})
		}
	})
}

func TestDestroyByRecordMarksItNew(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		forms := []struct {
			name    string
			destroy func(ctx context.Context, d *Doc) error
		}{
			{"Base.Destroy", func(ctx context.Context, d *Doc) error { return d.Destroy(ctx) }},
			{"record.Destroy of the record", func(ctx context.Context, d *Doc) error {
				n, err := record.Destroy[Doc](ctx, d)
				if err == nil && n != 1 {
					err = fmt.Errorf("destroyed %d rows", n)
				}
				return err
			}},
			{"record.Destroy of a slice of records", func(ctx context.Context, d *Doc) error {
				_, err := record.Destroy[Doc](ctx, []*Doc{d})
				return err
			}},
		}
		for _, f := range forms {
			t.Run(f.name, func(t *testing.T) {
				d := &Doc{Title: f.name}
				require.NoError(t, d.Save(ctx))
				require.NoError(t, f.destroy(ctx, d))
				assert.True(t, d.IsNew())
				require.NoError(t, d.Save(ctx), "saving it again inserts it")
				n, err := record.Query[Doc](ctx).Where(builder.Eq{"title": f.name}).Count()
				require.NoError(t, err)
				assert.EqualValues(t, 1, n)
			})
		}
	})
}

func TestRolledBackCascadeKeepsChildrenStored(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		p := &DocParent{Name: "p", Children: []*DocChild{{Name: "a"}, {Name: "b"}}}
		require.NoError(t, p.Save(ctx))
		var kids []*DocChild
		errBoom := errors.New("boom")
		err := db.Transaction(ctx, func(ctx context.Context) error {
			var err error
			kids, err = record.Find[DocChild](ctx)
			require.NoError(t, err)
			require.Len(t, kids, 2)
			parent, err := record.Get[DocParent](ctx, p.ID)
			require.NoError(t, err)
			require.NoError(t, parent.Destroy(ctx))
			for _, k := range kids {
				assert.True(t, k.IsNew(), "deleted in the transaction")
			}
			return errBoom
		})
		require.ErrorIs(t, err, errBoom)
		for _, k := range kids {
			assert.False(t, k.IsNew(), "the rollback brought the row back")
			k.Name += "!"
			require.NoError(t, k.Save(ctx), "an UPDATE, not a second INSERT")
		}
		n, err := record.Query[DocChild](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

func TestWideModelThroughEveryOperation(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		w, err := record.New[Wide100](map[string]any{"c00": 1, "s99": "last", "c98": 98})
		require.NoError(t, err)
		require.NoError(t, w.Save(ctx))
		require.NotZero(t, w.ID, "the generated key is stored back")
		w2 := &Wide100{S01: "second"}
		require.NoError(t, w2.Save(ctx))
		require.NotEqual(t, w.ID, w2.ID)

		got, err := record.Get[Wide100](ctx, w.ID)
		require.NoError(t, err)
		assert.Equal(t, "last", got.S99)
		assert.EqualValues(t, 98, got.C98)

		got.S97, got.C02 = "changed", 2
		assert.Equal(t, []string{"c02", "s97"}, got.Changed())
		require.NoError(t, got.Save(ctx))
		back, err := record.FindOne[Wide100](ctx, builder.Eq{"id": w.ID})
		require.NoError(t, err)
		assert.Equal(t, "changed", back.S97)
		assert.EqualValues(t, 2, back.C02)
		assert.Equal(t, "last", back.S99, "columns not changed are not overwritten")

		all, err := record.Query[Wide100](ctx).Where(builder.Eq{"s97": "changed"}).All()
		require.NoError(t, err)
		require.Len(t, all, 1)
		m := all[0].ToMap()
		assert.Len(t, m, 100)
		assert.Equal(t, w.ID, m["id"])

		saved, err := record.Save[Wide100](ctx, map[string]any{"id": w.ID, "s95": "by map"})
		require.NoError(t, err)
		assert.Equal(t, "by map", saved.S95)
		assert.Equal(t, "changed", saved.S97)

		keyed := &Wide100{ID: 1000, S03: "explicit key"}
		require.NoError(t, keyed.Save(ctx))
		keyed.S03 = "upserted"
		fresh := &Wide100{ID: 1000, S03: "upserted", S05: "five"}
		require.NoError(t, fresh.Save(ctx), "a new record with its key set is upserted")

		out, err := record.SaveAll(ctx, []*Wide100{{ID: w2.ID, S01: "saveall"}, {S93: "saveall new"}})
		require.NoError(t, err)
		require.Len(t, out, 2)
		assert.NotZero(t, out[1].ID)

		n, err := record.BulkInsert[Wide100](ctx, []map[string]any{{"s91": "bulk"}, {"s91": "bulk", "c90": 90}})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		res, err := record.BulkUpdate[Wide100](ctx, []string{"s91"}, []map[string]any{{"s91": "bulk", "s89": "updated"}})
		require.NoError(t, err)
		assert.EqualValues(t, 2, res.Updated)

		rows, err := record.Find[Wide100](ctx, builder.Eq{"s89": "updated"})
		require.NoError(t, err)
		assert.Len(t, rows, 2)

		count, err := record.Query[Wide100](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 6, count)
		require.NoError(t, back.Destroy(ctx))
		n, err = record.Destroy[Wide100](ctx, rows)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		count, err = record.Query[Wide100](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, count)
		var raw int64
		require.NoError(t, db.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM wide100 WHERE id = 0").Scan(&raw))
		assert.Zero(t, raw, "no row was stored with key 0")
	})
}

func TestBinaryPrimaryKeys(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		k1, k2 := []byte{0, 1, 2, 3}, []byte{0xff, 0, 1}
		err := db.Transaction(ctx, func(ctx context.Context) error {
			a := &BinKey{ID: k1, Name: "a", Children: []*BinChild{{Name: "a1"}}}
			require.NoError(t, a.Save(ctx))
			b := &BinKey{ID: k2, Name: "b"}
			require.NoError(t, b.Save(ctx), "a second row in one transaction")
			got, err := record.Get[BinKey](ctx, []byte{0, 1, 2, 3})
			require.NoError(t, err)
			assert.Same(t, a, got, "the identity map finds the row by an equal key")

			p1 := &BinPair{Tenant: k1, Code: "x", Name: "1"}
			p2 := &BinPair{Tenant: k2, Code: "x", Name: "2"}
			require.NoError(t, p1.Save(ctx))
			require.NoError(t, p2.Save(ctx))
			gp, err := record.Get[BinPair](ctx, record.Key{"tenant": []byte{0xff, 0, 1}, "code": "x"})
			require.NoError(t, err)
			assert.Same(t, p2, gp)

			assert.Equal(t, record.KeyOf(p2), record.KeyOf(&BinPair{Tenant: []byte{0xff, 0, 1}, Code: "x"}))
			assert.NotEqual(t, record.KeyOf(p1), record.KeyOf(p2))
			m, err := registry.Of[BinPair]()
			require.NoError(t, err)
			session.Current(ctx).Forget(m, record.KeyOf(p2))
			gp, err = record.Get[BinPair](ctx, record.Key{"tenant": k2, "code": "x"})
			require.NoError(t, err)
			assert.NotSame(t, p2, gp, "forgotten by the key KeyOf returns")
			return nil
		})
		require.NoError(t, err)

		owners, err := record.Query[BinKey](ctx).Preload("Children").All()
		require.NoError(t, err)
		require.Len(t, owners, 2)
		for _, o := range owners {
			if o.Name == "a" {
				require.Len(t, o.Children, 1)
				assert.Equal(t, "a1", o.Children[0].Name)
			} else {
				assert.Empty(t, o.Children)
			}
		}
		out, err := record.SaveAll(ctx, []*BinKey{{ID: []byte{0, 1, 2, 3}, Name: "a again"}, {ID: []byte{9}, Name: "c"}})
		require.NoError(t, err)
		require.Len(t, out, 2)
		n, err := record.Query[BinKey](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		got, err := record.Get[BinKey](ctx, k1)
		require.NoError(t, err)
		assert.Equal(t, "a again", got.Name)
		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			for _, k := range [][]byte{k1, k2, {9}} {
				if _, err := record.Get[BinKey](ctx, k); err != nil {
					return err
				}
			}
			n, err := record.Destroy[BinKey](ctx, []any{[]byte{9}, record.Key{"id": k2}})
			assert.EqualValues(t, 2, n)
			return err
		}))
	})
}

func TestNullBytesReadBackAsNil(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		d := &Doc{Title: "nulls"}
		require.NoError(t, d.Save(ctx))
		var nulls int
		require.NoError(t, db.DB().QueryRowContext(ctx,
			"SELECT COUNT(*) FROM doc WHERE data IS NULL AND meta IS NULL AND blob_data IS NULL AND tags IS NULL AND nick IS NULL").Scan(&nulls))
		assert.Equal(t, 1, nulls, "nil is stored as NULL")
		got, err := record.Get[Doc](ctx, d.ID)
		require.NoError(t, err)
		assert.Nil(t, got.Data)
		assert.Nil(t, got.Meta)
		assert.Nil(t, got.Blob)
		assert.Nil(t, got.Tags)
		assert.Nil(t, got.Nick)
		all, err := record.Find[Doc](ctx)
		require.NoError(t, err)
		require.Len(t, all, 1)
		assert.Nil(t, all[0].Meta)
	})
}

func TestSaveMapFiresSetEventsOnce(t *testing.T) {
	eachI(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		cases := []struct {
			name   string
			values func(id int64) map[string]any
		}{
			{"without a key (insert)", func(int64) map[string]any { return map[string]any{"name": "a"} }},
			{"with the key of a stored row (merge)", func(id int64) map[string]any { return map[string]any{"id": id, "name": "b"} }},
			{"with the key of no row (insert)", func(int64) map[string]any { return map[string]any{"id": 999, "name": "c"} }},
		}
		c := &Counted{Name: "x"}
		require.NoError(t, c.Save(ctx))
		for _, tc := range cases {
			countedSets, countedMods = 0, 0
			_, err := record.Save[Counted](ctx, tc.values(c.ID))
			require.NoError(t, err, tc.name)
			assert.Equal(t, 1, countedSets, "Set handlers: %s", tc.name)
			assert.Equal(t, 1, countedMods, "Modified handlers: %s", tc.name)
		}
		_, err := record.Save[Counted](ctx, map[string]any{"id": c.ID, "name": 5})
		var fe *record.FieldError
		require.ErrorAs(t, err, &fe, "a bad value is still refused")
		got, err := record.Get[Counted](ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, "b", got.Name, "and nothing was written")
	})
}

func TestFloatConversionRefusesPrecisionLoss(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		ok     bool
	}{
		{"2^53+1 into float64", map[string]any{"f64": int64(9007199254740993)}, false},
		{"2^53 into float64", map[string]any{"f64": int64(9007199254740992)}, true},
		{"uint64 2^53+1 into float64", map[string]any{"f64": uint64(9007199254740993)}, false},
		{"max int64 into float64", map[string]any{"f64": int64(1<<63 - 1)}, false},
		{"min int64 into float64", map[string]any{"f64": int64(-1 << 63)}, true},
		{"2^24+1 into float32", map[string]any{"f32": 16777217}, false},
		{"2^24 into float32", map[string]any{"f32": 16777216}, true},
		{"-2^24-1 into float32", map[string]any{"f32": int32(-16777217)}, false},
		{"small int into float32", map[string]any{"f32": 12}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := record.New[Numbers](tc.values)
			if tc.ok {
				require.NoError(t, err)
				for k, v := range tc.values {
					assert.EqualValues(t, v, n.ToMap()[k])
				}
				return
			}
			var fe *record.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "Numbers", fe.Model)
			n = &Numbers{}
			err = n.Update(tc.values)
			require.ErrorAs(t, err, &fe)
			assert.Zero(t, n.F64)
			assert.Zero(t, n.F32)
		})
	}
}
