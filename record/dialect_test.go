package record_test

import (
	"context"
	"database/sql"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// The behaviours in this file differ most between SQLite, MySQL and
// PostgreSQL; each test runs on every configured dialect.

type DiaKey64 struct {
	record.Base[DiaKey64]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

type DiaKeyInt struct {
	record.Base[DiaKeyInt]
	ID   int    `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

type DiaKey32 struct {
	record.Base[DiaKey32]
	ID   int32  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

type DiaKeyU64 struct {
	record.Base[DiaKeyU64]
	ID   uint64 `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

type DiaKeyU32 struct {
	record.Base[DiaKeyU32]
	ID   uint32 `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

// DiaChildU64 references a uint64 key: the foreign key column must get a
// type the database accepts as referencing the parent's.
type DiaChildU64 struct {
	record.Base[DiaChildU64]
	ID       uint64 `db:"id,pk,autoincrement"`
	ParentID uint64 `db:"parent_id,fk=dia_key_u64.id"`
}

type DiaUser struct {
	record.Base[DiaUser]
	ID    int64  `db:"id,pk,autoincrement"`
	Email string `db:"email,size=100,unique"`
	Name  string `db:"name,size=100"`
	Age   int    `db:"age"`
}

type DiaEvent struct {
	record.Base[DiaEvent]
	ID    int64        `db:"id,pk,autoincrement"`
	Name  string       `db:"name,size=20"`
	At    time.Time    `db:"at,index"`
	Maybe *time.Time   `db:"maybe"`
	Null  sql.NullTime `db:"null_at"`
}

type DiaValue struct {
	record.Base[DiaValue]
	ID        int64  `db:"id,pk,autoincrement"`
	Label     string `db:"label,size=50,unique"`
	Text      string `db:"text"`
	Blob      []byte `db:"blob"`
	Flag      bool   `db:"flag"`
	MaybeFlag *bool  `db:"maybe_flag"`
}

type DiaNulls struct {
	record.Base[DiaNulls]
	ID   int64            `db:"id,pk,autoincrement"`
	S    *string          `db:"s"`
	I    *int64           `db:"i"`
	I32  *int32           `db:"i32"`
	F    *float64         `db:"f"`
	B    *bool            `db:"b"`
	T    *time.Time       `db:"t"`
	Y    []byte           `db:"y"`
	NS   sql.NullString   `db:"ns"`
	NI   sql.NullInt64    `db:"ni"`
	NI32 sql.NullInt32    `db:"ni32"`
	NF   sql.NullFloat64  `db:"nf"`
	NB   sql.NullBool     `db:"nb"`
	NT   sql.NullTime     `db:"nt"`
	G    sql.Null[int16]  `db:"g"`
	GS   sql.Null[string] `db:"gs"`
}

type DiaNumber struct {
	record.Base[DiaNumber]
	ID  int64   `db:"id,pk,autoincrement"`
	I8  int8    `db:"i8"`
	I16 int16   `db:"i16"`
	I32 int32   `db:"i32"`
	I64 int64   `db:"i64"`
	U8  uint8   `db:"u8"`
	U16 uint16  `db:"u16"`
	U32 uint32  `db:"u32"`
	U64 uint64  `db:"u64"`
	F32 float32 `db:"f32"`
	F64 float64 `db:"f64"`
}

var diaModels = []any{DiaKey64{}, DiaKeyInt{}, DiaKey32{}, DiaKeyU64{}, DiaKeyU32{}, DiaChildU64{},
	DiaUser{}, DiaEvent{}, DiaValue{}, DiaNulls{}, DiaNumber{}}

func eachDialect(t *testing.T, fn func(t *testing.T, db *dbtest.DB, ctx context.Context)) {
	dbtest.Each(t, dbtest.Options{Models: diaModels}, func(t *testing.T, db *dbtest.DB) {
		fn(t, db, db.Ctx())
	})
}

// generated saves three new records of a model with a generated key and
// checks the keys: positive, increasing, each loading its own row.
func generated[T any](t *testing.T, ctx context.Context, mk func(name string) *T, save func(*T) error, id func(*T) uint64) {
	t.Helper()
	var last uint64
	for _, name := range []string{"a", "b", "c"} {
		p := mk(name)
		require.NoError(t, save(p))
		got := id(p)
		assert.Greater(t, got, last, "generated keys increase")
		last = got
	}
}

func TestGeneratedKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		t.Run("int64", func(t *testing.T) {
			generated(t, ctx, func(n string) *DiaKey64 { return &DiaKey64{Name: n} },
				func(p *DiaKey64) error { return p.Save(ctx) }, func(p *DiaKey64) uint64 { return uint64(p.ID) })
			got, err := record.FindOne[DiaKey64](ctx, builder.Eq{"name": "b"})
			require.NoError(t, err)
			again, err := record.Get[DiaKey64](ctx, got.ID)
			require.NoError(t, err)
			assert.Equal(t, "b", again.Name)
		})
		t.Run("int", func(t *testing.T) {
			generated(t, ctx, func(n string) *DiaKeyInt { return &DiaKeyInt{Name: n} },
				func(p *DiaKeyInt) error { return p.Save(ctx) }, func(p *DiaKeyInt) uint64 { return uint64(p.ID) })
		})
		t.Run("int32", func(t *testing.T) {
			generated(t, ctx, func(n string) *DiaKey32 { return &DiaKey32{Name: n} },
				func(p *DiaKey32) error { return p.Save(ctx) }, func(p *DiaKey32) uint64 { return uint64(p.ID) })
			// Get by the key "b" got (2 on one server; not on a Galera
			// cluster, whose nodes hand out every third), as an int32.
			b, err := record.FindOne[DiaKey32](ctx, builder.Eq{"name": "b"})
			require.NoError(t, err)
			got, err := record.Get[DiaKey32](ctx, b.ID)
			require.NoError(t, err)
			assert.Equal(t, "b", got.Name)
		})
		t.Run("uint64", func(t *testing.T) {
			generated(t, ctx, func(n string) *DiaKeyU64 { return &DiaKeyU64{Name: n} },
				func(p *DiaKeyU64) error { return p.Save(ctx) }, func(p *DiaKeyU64) uint64 { return p.ID })
			parent, err := record.FindOne[DiaKeyU64](ctx, builder.Eq{"name": "a"})
			require.NoError(t, err)
			child := &DiaChildU64{ParentID: parent.ID}
			require.NoError(t, child.Save(ctx))
			assert.NotZero(t, child.ID)
		})
		t.Run("uint32", func(t *testing.T) {
			generated(t, ctx, func(n string) *DiaKeyU32 { return &DiaKeyU32{Name: n} },
				func(p *DiaKeyU32) error { return p.Save(ctx) }, func(p *DiaKeyU32) uint64 { return uint64(p.ID) })
		})
		t.Run("read back with RETURNING on PostgreSQL only", func(t *testing.T) {
			before := len(db.Log())
			require.NoError(t, (&DiaKey64{Name: "r"}).Save(ctx))
			stmts := db.Log()[before:]
			require.NotEmpty(t, stmts)
			ins := stmts[len(stmts)-1]
			require.True(t, strings.HasPrefix(ins, "INSERT"), ins)
			assert.Equal(t, db.Dialect == "postgres", strings.Contains(ins, "RETURNING"), ins)
		})
	})
}

func TestExplicitKeyThenGeneratedKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		first := &DiaKey64{Name: "first"}
		require.NoError(t, first.Save(ctx))
		// Explicit keys above the generated one (1, so 3 and 5, on one
		// server; a Galera node's first key may be 1, 2 or 3).
		k := first.ID
		require.NoError(t, (&DiaKey64{ID: k + 2, Name: "explicit"}).Save(ctx))
		_, err := record.Save[DiaKey64](ctx, map[string]any{"id": k + 4, "name": "explicit map"})
		require.NoError(t, err)
		seen := map[int64]bool{k: true, k + 2: true, k + 4: true}
		for i := range 6 {
			p := &DiaKey64{Name: "gen"}
			require.NoError(t, p.Save(ctx), "generated key %d after explicit keys", i)
			assert.False(t, seen[p.ID], "key %d given twice", p.ID)
			seen[p.ID] = true
		}
		n, err := record.Query[DiaKey64](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 9, n)
	})
}

func TestUpsert(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		jenny := &DiaUser{Email: "jenny@x", Name: "Jenny", Age: 30}
		require.NoError(t, jenny.Save(ctx))
		other := &DiaUser{Email: "other@x", Name: "Other", Age: 40}
		require.NoError(t, other.Save(ctx))

		t.Run("a new record with an existing key updates that row", func(t *testing.T) {
			require.NoError(t, (&DiaUser{ID: jenny.ID, Email: "jenny@x", Name: "Jennifer", Age: 31}).Save(ctx))
			got, err := record.Get[DiaUser](ctx, jenny.ID)
			require.NoError(t, err)
			assert.Equal(t, "Jennifer", got.Name)
			assert.Equal(t, 31, got.Age)
		})
		t.Run("an upsert that changes nothing succeeds", func(t *testing.T) {
			// MySQL reports 0 affected rows for an unchanged row unless the
			// client asks for found rows.
			same := DiaUser{ID: jenny.ID, Email: "jenny@x", Name: "Jennifer", Age: 31}
			require.NoError(t, (&same).Save(ctx))
			require.NoError(t, (&DiaUser{ID: jenny.ID, Email: "jenny@x", Name: "Jennifer", Age: 31}).Save(ctx))
			_, err := record.Save[DiaUser](ctx, map[string]any{"id": jenny.ID, "name": "Jennifer"})
			require.NoError(t, err)
		})
		t.Run("an update to the value the row already holds is not a missing row", func(t *testing.T) {
			a, err := record.Get[DiaUser](ctx, other.ID)
			require.NoError(t, err)
			b := *a // a second copy with the same snapshot
			a.Age = 41
			require.NoError(t, a.Save(ctx))
			b.Age = 41
			assert.NoError(t, b.Save(ctx), "the row matches although nothing changed in it")
		})
		t.Run("an upsert colliding on another unique column fails and leaves that row alone", func(t *testing.T) {
			// ON DUPLICATE KEY UPDATE fires on any unique key: without care
			// this would overwrite "other" instead of failing.
			err := (&DiaUser{ID: 9999, Email: "other@x", Name: "Intruder", Age: 1}).Save(ctx)
			require.Error(t, err)
			assert.ErrorIs(t, err, record.ErrDuplicateKey)
			got, err := record.Get[DiaUser](ctx, other.ID)
			require.NoError(t, err)
			assert.Equal(t, "Other", got.Name)
			assert.Equal(t, 41, got.Age)
			_, err = record.Get[DiaUser](ctx, 9999)
			assert.ErrorIs(t, err, record.ErrNotFound)
		})
		t.Run("a map upsert colliding on another unique column fails", func(t *testing.T) {
			_, err := record.Save[DiaUser](ctx, map[string]any{"id": 8888, "email": "jenny@x", "name": "Twin"})
			assert.ErrorIs(t, err, record.ErrDuplicateKey)
			got, err := record.Get[DiaUser](ctx, jenny.ID)
			require.NoError(t, err)
			assert.Equal(t, "Jennifer", got.Name)
		})
		n, err := record.Query[DiaUser](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

func TestTimePrecisionAndZones(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		east := time.FixedZone("UTC+9", 9*3600)
		west := time.FixedZone("UTC-5", -5*3600)
		micro := time.Date(2024, 3, 10, 12, 34, 56, 123456000, time.UTC)

		t.Run("microseconds survive", func(t *testing.T) {
			e := &DiaEvent{Name: "micro", At: micro}
			require.NoError(t, e.Save(ctx))
			got, err := record.Get[DiaEvent](ctx, e.ID)
			require.NoError(t, err)
			assert.True(t, micro.Equal(got.At), "want %v, got %v", micro, got.At)
			assert.Equal(t, 123456000, got.At.Nanosecond())
		})
		t.Run("nanoseconds are cut to microseconds or kept, never rounded up", func(t *testing.T) {
			nano := micro.Add(789 * time.Nanosecond)
			e := &DiaEvent{Name: "nano", At: nano}
			require.NoError(t, e.Save(ctx))
			got, err := record.Get[DiaEvent](ctx, e.ID)
			require.NoError(t, err)
			assert.True(t, got.At.Truncate(time.Microsecond).Equal(micro), "got %v", got.At)
		})
		t.Run("a non-UTC time comes back as the same instant", func(t *testing.T) {
			for _, loc := range []*time.Location{east, west, time.Local} {
				at := micro.In(loc)
				maybe := micro.Add(time.Hour).In(loc)
				e := &DiaEvent{Name: "zone", At: at, Maybe: &maybe, Null: sql.NullTime{Time: at, Valid: true}}
				require.NoError(t, e.Save(ctx))
				got, err := record.Get[DiaEvent](ctx, e.ID)
				require.NoError(t, err)
				assert.True(t, at.Equal(got.At), "%s: want %v, got %v", loc, at, got.At)
				require.NotNil(t, got.Maybe)
				assert.True(t, maybe.Equal(*got.Maybe), "%s: want %v, got %v", loc, maybe, *got.Maybe)
				assert.True(t, got.Null.Valid)
				assert.True(t, at.Equal(got.Null.Time))
				assert.Same(t, time.UTC, got.At.Location(), "times read back in UTC on every dialect")
				assert.Same(t, time.UTC, got.Maybe.Location())
			}
		})
		t.Run("the zero time and NULL times round-trip", func(t *testing.T) {
			e := &DiaEvent{Name: "zero"}
			require.NoError(t, e.Save(ctx))
			got, err := record.Get[DiaEvent](ctx, e.ID)
			require.NoError(t, err)
			assert.True(t, got.At.IsZero(), "got %v", got.At)
			assert.Nil(t, got.Maybe)
			assert.False(t, got.Null.Valid)
		})
		t.Run("comparisons and order follow instants across zones", func(t *testing.T) {
			base := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
			// Listed in instant order; the wall clocks are in reverse order.
			for i, at := range []time.Time{
				base.In(east),                    // 21:00 +09:00
				base.Add(1 * time.Hour).In(west), // 08:00 -05:00
				base.Add(2 * time.Hour),          // 14:00 UTC
				base.Add(3 * time.Hour).In(west), // 10:00 -05:00
			} {
				require.NoError(t, (&DiaEvent{Name: "order" + string(rune('0'+i)), At: at}).Save(ctx))
			}
			pivot := base.Add(90 * time.Minute).In(east) // 22:30 +09:00
			es, err := record.Query[DiaEvent](ctx).Where(builder.Gt{"at": pivot}, builder.Like{"name": "order%"}).OrderBy("at").All()
			require.NoError(t, err)
			var names []string
			for _, e := range es {
				names = append(names, e.Name)
			}
			assert.Equal(t, []string{"order2", "order3"}, names)
			es, err = record.Query[DiaEvent](ctx).Where(builder.Like{"name": "order%"}).OrderBy("-at").All()
			require.NoError(t, err)
			names = names[:0]
			for _, e := range es {
				names = append(names, e.Name)
			}
			assert.Equal(t, []string{"order3", "order2", "order1", "order0"}, names)
		})
	})
}

func TestLargeValues(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		text := strings.Repeat("ab€😀\n", 1<<20/10) // 1 MiB of UTF-8 with 3- and 4-byte runes
		require.GreaterOrEqual(t, len(text), 1<<20-16)
		blob := make([]byte, 1<<20)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range blob {
			blob[i] = byte(r.UintN(256))
		}
		blob[0], blob[len(blob)-1] = 0, 0
		v := &DiaValue{Label: "large", Text: text, Blob: blob}
		require.NoError(t, v.Save(ctx))
		got, err := record.Get[DiaValue](ctx, v.ID)
		require.NoError(t, err)
		assert.Equal(t, len(text), len(got.Text))
		assert.True(t, text == got.Text, "1 MiB text round-trips")
		assert.Equal(t, blob, got.Blob, "1 MiB blob round-trips")

		got.Text = text + "!"
		got.Blob = append(got.Blob, 1)
		require.NoError(t, got.Save(ctx))
		again, err := record.Get[DiaValue](ctx, v.ID)
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(again.Text, "😀\n!"))
		assert.Len(t, again.Blob, 1<<20+1)
	})
}

func TestBooleans(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		yes, no := true, false
		for _, v := range []*DiaValue{
			{Label: "true", Flag: true, MaybeFlag: &yes},
			{Label: "false", Flag: false, MaybeFlag: &no},
			{Label: "null", Flag: true},
		} {
			require.NoError(t, v.Save(ctx))
		}
		load := func(label string) *DiaValue {
			v, err := record.FindOne[DiaValue](ctx, builder.Eq{"label": label})
			require.NoError(t, err)
			return v
		}
		assert.True(t, load("true").Flag)
		assert.Equal(t, &yes, load("true").MaybeFlag)
		assert.False(t, load("false").Flag)
		assert.Equal(t, &no, load("false").MaybeFlag)
		assert.Nil(t, load("null").MaybeFlag)

		n, err := record.Query[DiaValue](ctx).Where(builder.Eq{"flag": true}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n, "a bool compares with a bool parameter")
		n, err = record.Query[DiaValue](ctx).Where(builder.Eq{"maybe_flag": nil}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "Eq with nil is IS NULL")

		f := load("true")
		f.Flag = false
		require.NoError(t, f.Save(ctx))
		assert.False(t, load("true").Flag)
	})
}

func TestNulls(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		empty := &DiaNulls{}
		require.NoError(t, empty.Save(ctx))
		got, err := record.Get[DiaNulls](ctx, empty.ID)
		require.NoError(t, err)
		assert.Nil(t, got.S)
		assert.Nil(t, got.I)
		assert.Nil(t, got.I32)
		assert.Nil(t, got.F)
		assert.Nil(t, got.B)
		assert.Nil(t, got.T)
		assert.Nil(t, got.Y)
		assert.False(t, got.NS.Valid || got.NI.Valid || got.NI32.Valid || got.NF.Valid || got.NB.Valid || got.NT.Valid || got.G.Valid || got.GS.Valid)

		s, i, i32, f, b := "", int64(0), int32(0), 0.0, false
		tm := time.Date(2001, 2, 3, 4, 5, 6, 7000, time.UTC)
		zeros := &DiaNulls{S: &s, I: &i, I32: &i32, F: &f, B: &b, T: &tm, Y: []byte{},
			NS: sql.NullString{Valid: true}, NI: sql.NullInt64{Valid: true}, NI32: sql.NullInt32{Valid: true},
			NF: sql.NullFloat64{Valid: true}, NB: sql.NullBool{Valid: true}, NT: sql.NullTime{Time: tm, Valid: true},
			G: sql.Null[int16]{Valid: true}, GS: sql.Null[string]{Valid: true}}
		require.NoError(t, zeros.Save(ctx))
		got, err = record.Get[DiaNulls](ctx, zeros.ID)
		require.NoError(t, err)
		assert.Equal(t, &s, got.S, "an empty string is not NULL")
		assert.Equal(t, &i, got.I)
		assert.Equal(t, &i32, got.I32)
		assert.Equal(t, &f, got.F)
		assert.Equal(t, &b, got.B)
		require.NotNil(t, got.T)
		assert.True(t, tm.Equal(*got.T))
		if db.ReadsEmptyBlobAsNil() {
			var kind string
			require.NoError(t, db.DB().QueryRow("SELECT typeof(y) FROM dia_nulls WHERE id = ?", zeros.ID).Scan(&kind))
			assert.Equal(t, "blob", kind, "an empty []byte is stored as a BLOB, not NULL")
		} else {
			assert.NotNil(t, got.Y, "an empty []byte is not NULL")
		}
		assert.Empty(t, got.Y)
		assert.True(t, got.NS.Valid && got.NI.Valid && got.NI32.Valid && got.NF.Valid && got.NB.Valid && got.NT.Valid && got.G.Valid && got.GS.Valid,
			"valid zero values are not NULL: %+v", got)

		// Setting a value back to NULL writes NULL.
		got.S, got.I, got.T, got.Y = nil, nil, nil, nil
		got.NS, got.G = sql.NullString{}, sql.Null[int16]{}
		require.NoError(t, got.Save(ctx))
		again, err := record.Get[DiaNulls](ctx, zeros.ID)
		require.NoError(t, err)
		assert.Nil(t, again.S)
		assert.Nil(t, again.I)
		assert.Nil(t, again.T)
		assert.Nil(t, again.Y)
		assert.False(t, again.NS.Valid)
		assert.False(t, again.G.Valid)
		assert.NotNil(t, again.B)

		n, err := record.Query[DiaNulls](ctx).Where(builder.Eq{"s": nil}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

func TestNumberLimits(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		maxU64 := uint64(math.MaxUint64)
		if db.Dialect == "sqlite" {
			maxU64 = math.MaxInt64 // SQLite integers are signed 64-bit
		}
		cases := []DiaNumber{
			{I8: math.MinInt8, I16: math.MinInt16, I32: math.MinInt32, I64: math.MinInt64, F32: -math.MaxFloat32, F64: -math.MaxFloat64},
			{I8: math.MaxInt8, I16: math.MaxInt16, I32: math.MaxInt32, I64: math.MaxInt64,
				U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: maxU64,
				F32: math.SmallestNonzeroFloat32 * 1e10, F64: math.SmallestNonzeroFloat64 * 1e300},
			{F32: 0.1, F64: 0.1},
		}
		for _, want := range cases {
			p := want
			require.NoError(t, p.Save(ctx))
			got, err := record.Get[DiaNumber](ctx, p.ID)
			require.NoError(t, err)
			want.ID = p.ID
			assert.Equal(t, want.I8, got.I8)
			assert.Equal(t, want.I16, got.I16)
			assert.Equal(t, want.I32, got.I32)
			assert.Equal(t, want.I64, got.I64)
			assert.Equal(t, want.U8, got.U8)
			assert.Equal(t, want.U16, got.U16)
			assert.Equal(t, want.U32, got.U32)
			assert.Equal(t, want.U64, got.U64)
			assert.Equal(t, want.F32, got.F32)
			assert.Equal(t, want.F64, got.F64)
		}
		if db.Dialect == "sqlite" {
			err := (&DiaNumber{U64: math.MaxUint64}).Save(ctx)
			assert.Error(t, err, "SQLite cannot hold a uint64 above MaxInt64, and says so")
		}
	})
}

func TestUnicode(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		labels := []string{"😀", "🙂", "𝔘𝔫𝔦", "日本語", "Ünïcödé", "ünïcödé", "a\u0301", "á"}
		for _, l := range labels {
			require.NoError(t, (&DiaValue{Label: l, Text: l + " text"}).Save(ctx), "label %q", l)
		}
		for _, l := range labels {
			got, err := record.Query[DiaValue](ctx).Where(builder.Eq{"label": l}).All()
			require.NoError(t, err)
			require.Len(t, got, 1, "exactly one row for %q", l)
			assert.Equal(t, l, got[0].Label)
			assert.Equal(t, l+" text", got[0].Text)
		}
		err := (&DiaValue{Label: "😀"}).Save(ctx)
		assert.ErrorIs(t, err, record.ErrDuplicateKey, "the same emoji twice is a duplicate")
	})
}
