package record

import (
	"math"
	"math/rand"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// prevIndex finds for every key the last previous row of that key, as the
// map of RowKeys it replaces, whatever the order of the keys: increasing,
// repeated, decreasing, negative, with NULL keys among them. (The keys of
// one call are all of the key field's type, or nil: mapRow converts them.)
func TestReview4PrevIndexAgreesWithAMap(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for iter := 0; iter < 2000; iter++ {
		var x prevIndex
		want := map[registry.RowKey]int{}
		n := r.Intn(12)
		k := int64(r.Intn(5) - 2)
		var keys [][]any
		for i := 0; i < n; i++ {
			var key []any
			switch r.Intn(10) {
			case 0, 1: // a NULL key (a nullable key column)
				key = []any{nil}
			case 2:
				k -= int64(r.Intn(3)) // repeated or decreasing
				key = []any{k}
			case 3:
				key = []any{int64(math.MaxInt64 - r.Intn(2))}
			default:
				k += int64(r.Intn(3)) // increasing, or repeated
				key = []any{k}
			}
			keys = append(keys, key)
			x.add(key)
			want[registry.RowKeyOf(key...)] = i
		}
		probes := append(slices.Clone(keys), []any{int64(-100)}, []any{int64(100)})
		for _, key := range probes {
			wi, wok := want[registry.RowKeyOf(key...)]
			for _, at := range []int{0, r.Intn(n + 2), n, n + 5} {
				gi, gok := x.find(key, at)
				require.Equal(t, wok, gok, "iteration %d: keys %v, find %v at %d", iter, keys, key, at)
				if wok {
					require.Equal(t, wi, gi, "iteration %d: keys %v, find %v at %d", iter, keys, key, at)
				}
			}
		}
	}
}

type review4Row struct {
	Base[review4Row]
	ID    int64   `db:"id,pk"`
	Name  string  `db:"name,size=20"`
	Count int     `db:"count_of"`
	Blob  []byte  `db:"blob,size=20"`
	Note  *string `db:"note,size=20"`
	Small int32   `db:"small"`
}

// rowReader.read converts a map as mapRow does, by column position,
// whatever the keys (column names, field names, unknown, both) and values
// (of the fields' types or to convert, nil), and whatever vals held before
// when has is given; it fails exactly when mapRow fails.
func TestReview4RowReaderReadsAsMapRow(t *testing.T) {
	m, err := registry.Of[review4Row]()
	require.NoError(t, err)
	r := rand.New(rand.NewSource(4))
	type kv struct {
		names  []string
		values []any
	}
	choices := map[string]kv{
		"id":    {[]string{"id", "ID"}, []any{int64(1), 2, int32(3), "4", nil, 1.5}},
		"name":  {[]string{"name", "Name"}, []any{"a", []byte("b"), 7, nil}},
		"count": {[]string{"count_of", "Count"}, []any{5, int64(6), "7", nil, int64(math.MaxInt64)}},
		"blob":  {[]string{"blob", "Blob"}, []any{[]byte("x"), "y", nil, []byte(nil)}},
		"note":  {[]string{"note", "Note"}, []any{"n", nil, new(string), []byte("n")}},
		"small": {[]string{"small", "Small"}, []any{int32(1), 2, int64(math.MaxInt32 + 1), nil}},
	}
	for _, first := range []bool{true, false} {
		rr := newRowReader(m)
		n := len(m.Columns)
		cur, has := make([]any, n), make([]bool, n)
		for i := range cur {
			cur[i] = "stale"
		}
		for iter := 0; iter < 3000; iter++ {
			row := map[string]any{}
			for _, c := range choices {
				switch r.Intn(6) {
				case 0:
					continue
				case 1: // both names
					row[c.names[0]] = c.values[r.Intn(len(c.values))]
					row[c.names[1]] = c.values[r.Intn(len(c.values))]
				default:
					row[c.names[r.Intn(2)]] = c.values[r.Intn(len(c.values))]
				}
			}
			if r.Intn(15) == 0 {
				row["unknown"] = 1
			}
			if first && iter == 0 {
				row = map[string]any{"id": int64(1), "name": "a", "count_of": 1, "blob": []byte("b"), "note": "n", "small": int32(1)}
			}
			cols, vals, werr := mapRow(m, row, nil, nil, nil)
			got := make([]any, n)
			gerr := rr.read(row, got, nil)
			herr := rr.read(row, cur, has)
			if werr != nil {
				require.Error(t, gerr, "row %v", row)
				require.Error(t, herr, "row %v", row)
				assert.Equal(t, werr.Error(), gerr.Error(), "row %v", row)
				assert.Equal(t, werr.Error(), herr.Error(), "row %v", row)
				continue
			}
			require.NoError(t, gerr, "row %v", row)
			require.NoError(t, herr, "row %v", row)
			want := make([]any, n)
			wantHas := make([]bool, n)
			for j, c := range cols {
				want[meta.Pos(c)] = vals[j]
				wantHas[meta.Pos(c)] = true
			}
			require.Equal(t, want, got, "row %v", row)
			require.Equal(t, wantHas, has, "row %v", row)
			for k := range has {
				if has[k] {
					require.Equal(t, want[k], cur[k], "row %v", row)
				}
			}
		}
	}
}

// A preload's rows are put in key order in Go as ORDER BY the key puts
// them: negative keys first, keys of uint32 above MaxInt32 last.
func TestReview4SortByKeyOrdersAsTheDatabase(t *testing.T) {
	type rec struct{ K uint32 }
	type srec struct{ K int32 }
	keyU := func(p unsafe.Pointer) (int64, bool) { return int64((*rec)(p).K), true }
	keyS := func(p unsafe.Pointer) (int64, bool) { return int64((*srec)(p).K), true }
	us := []*rec{{3}, {math.MaxUint32}, {0}, {math.MaxInt32 + 1}, {1}}
	sortByKey(us, keyU)
	var gotU []uint32
	for _, u := range us {
		gotU = append(gotU, u.K)
	}
	assert.Equal(t, []uint32{0, 1, 3, math.MaxInt32 + 1, math.MaxUint32}, gotU)
	ss := []*srec{{3}, {-1}, {math.MinInt32}, {math.MaxInt32}, {0}}
	sortByKey(ss, keyS)
	var gotS []int32
	for _, s := range ss {
		gotS = append(gotS, s.K)
	}
	assert.Equal(t, []int32{math.MinInt32, -1, 0, 3, math.MaxInt32}, gotS)
}
