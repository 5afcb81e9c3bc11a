package record_test

import (
	"database/sql"
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ToMap of a model without relations or adapters reads its columns by
// field type; it gives what the walker (All, MarshalJSON) gives, for
// every kind of field, set and NULL.
func TestToMapColumnsAsTheWalker(t *testing.T) {
	s, i, i32, f, b := "s", int64(7), int32(-3), 1.5, true
	at := time.Date(2026, 11, 30, 12, 0, 0, 5, time.FixedZone("x", 3600))
	set := &DiaNulls{ID: 4, S: &s, I: &i, I32: &i32, F: &f, B: &b, T: &at, Y: []byte("y"),
		NS: sql.NullString{String: "ns", Valid: true}, NI: sql.NullInt64{Int64: 9, Valid: true},
		NI32: sql.NullInt32{Int32: 8, Valid: true}, NF: sql.NullFloat64{Float64: 2.5, Valid: true}, NB: sql.NullBool{Bool: true, Valid: true}}
	null := &DiaNulls{ID: 5}
	for _, d := range []*DiaNulls{set, null} {
		m := d.ToMap()
		assert.Equal(t, maps.Collect(d.All()), m)
	}
	m := set.ToMap()
	assert.Equal(t, "s", m["s"])
	assert.Equal(t, at, m["t"])
	assert.Nil(t, null.ToMap()["s"])

	v := &DiaValue{ID: 1, Label: "l", Text: "t", Blob: []byte{1}, Flag: true, MaybeFlag: &b}
	assert.Equal(t, maps.Collect(v.All()), v.ToMap())
	assert.Equal(t, map[string]any{"id": int64(1), "label": "l", "text": "t", "blob": []byte{1}, "flag": true, "maybe_flag": true}, v.ToMap())

	p := &Payload{ID: 2, Seq: 3, Body: "b"}
	require.Equal(t, maps.Collect(p.All()), p.ToMap())
	assert.Equal(t, 3, p.ToMap()["seq"])
}

// ToMap unwraps sql.Null* fields, as its doc says: their value, or nil for
// NULL, in the map and in JSON (not {"String": ..., "Valid": ...}).
func TestToMapUnwrapsSQLNullFields(t *testing.T) {
	set := &DiaNulls{ID: 4, NS: sql.NullString{String: "ns", Valid: true}, NI: sql.NullInt64{Int64: 9, Valid: true},
		NI32: sql.NullInt32{Int32: 8, Valid: true}, NF: sql.NullFloat64{Float64: 2.5, Valid: true}, NB: sql.NullBool{Bool: true, Valid: true}}
	m := set.ToMap()
	assert.Equal(t, "ns", m["ns"])
	assert.Equal(t, int64(9), m["ni"])
	assert.Equal(t, int64(8), m["ni32"])
	assert.Equal(t, 2.5, m["nf"])
	assert.Equal(t, true, m["nb"])
	js, err := set.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(js), `"ns":"ns"`)
	assert.Contains(t, string(js), `"ni":9`)

	null := (&DiaNulls{ID: 5}).ToMap()
	for _, k := range []string{"ns", "ni", "ni32", "nf", "nb"} {
		assert.Nil(t, null[k], k)
	}
}
