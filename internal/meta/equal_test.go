package meta_test

import (
	"database/sql"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
)

type eqAge int64

type eqRow struct {
	ID    int64 `db:"id,pk"`
	N     int
	N32   int32
	Named eqAge
	S     string
	B     bool
	F     float64
	T     time.Time
	TP    *time.Time
	SP    *string
	Bytes []byte
	Raw   json.RawMessage
	NS    sql.NullString
	NT    sql.NullTime
	NI    sql.Null[int64]
}

// Equal and IsZero are what dirty tracking and inserts decide by: these
// pin what they report for each kind of field (NaN differs from itself,
// time.Time compares instants, a nil []byte differs from an empty one,
// pointers compare their targets).
func TestEqualAndIsZeroPerFieldType(t *testing.T) {
	m, err := meta.Lookup(reflect.TypeFor[eqRow]())
	require.NoError(t, err)
	col := func(field string) *meta.Column {
		c, ok := m.Column(field)
		require.True(t, ok, field)
		return c
	}
	utc := time.Date(2024, 5, 6, 7, 8, 9, 10, time.UTC)
	sameInstant := utc.In(time.FixedZone("X", 3600))
	s1, s2, s3 := "a", "a", "b"
	nan := math.NaN()
	cases := []struct {
		field string
		a, b  func(r *eqRow)
		equal bool
	}{
		{"ID", func(r *eqRow) { r.ID = 1 }, func(r *eqRow) { r.ID = 1 }, true},
		{"ID", func(r *eqRow) { r.ID = 1 }, func(r *eqRow) { r.ID = 2 }, false},
		{"N", func(r *eqRow) { r.N = -1 }, func(r *eqRow) { r.N = 1 }, false},
		{"N32", func(r *eqRow) { r.N32 = 7 }, func(r *eqRow) { r.N32 = 7 }, true},
		{"N32", func(r *eqRow) { r.N32 = 7 }, func(r *eqRow) { r.N32 = 8 }, false},
		{"Named", func(r *eqRow) { r.Named = 3 }, func(r *eqRow) { r.Named = 3 }, true},
		{"Named", func(r *eqRow) { r.Named = 3 }, func(r *eqRow) { r.Named = 4 }, false},
		{"S", func(r *eqRow) { r.S = "x" }, func(r *eqRow) { r.S = "x" }, true},
		{"S", func(r *eqRow) { r.S = "x" }, func(r *eqRow) { r.S = "y" }, false},
		{"B", func(r *eqRow) { r.B = true }, func(r *eqRow) {}, false},
		{"F", func(r *eqRow) { r.F = 0 }, func(r *eqRow) { r.F = math.Copysign(0, -1) }, true},
		{"F", func(r *eqRow) { r.F = nan }, func(r *eqRow) { r.F = nan }, false},
		{"T", func(r *eqRow) { r.T = utc }, func(r *eqRow) { r.T = sameInstant }, true},
		{"T", func(r *eqRow) { r.T = utc }, func(r *eqRow) { r.T = utc.Add(1) }, false},
		{"TP", func(r *eqRow) { r.TP = &utc }, func(r *eqRow) { r.TP = &sameInstant }, true},
		{"TP", func(r *eqRow) { r.TP = &utc }, func(r *eqRow) {}, false},
		{"TP", func(r *eqRow) {}, func(r *eqRow) {}, true},
		{"SP", func(r *eqRow) { r.SP = &s1 }, func(r *eqRow) { r.SP = &s2 }, true},
		{"SP", func(r *eqRow) { r.SP = &s1 }, func(r *eqRow) { r.SP = &s3 }, false},
		{"SP", func(r *eqRow) { r.SP = &s1 }, func(r *eqRow) {}, false},
		{"Bytes", func(r *eqRow) { r.Bytes = nil }, func(r *eqRow) { r.Bytes = []byte{} }, false},
		{"Bytes", func(r *eqRow) { r.Bytes = []byte("ab") }, func(r *eqRow) { r.Bytes = []byte("ab") }, true},
		{"Bytes", func(r *eqRow) { r.Bytes = []byte("ab") }, func(r *eqRow) { r.Bytes = []byte("ac") }, false},
		{"Raw", func(r *eqRow) { r.Raw = nil }, func(r *eqRow) { r.Raw = json.RawMessage{} }, false},
		{"Raw", func(r *eqRow) { r.Raw = json.RawMessage(`{}`) }, func(r *eqRow) { r.Raw = json.RawMessage(`{}`) }, true},
		{"NS", func(r *eqRow) { r.NS = sql.NullString{} }, func(r *eqRow) { r.NS = sql.NullString{Valid: true} }, false},
		{"NS", func(r *eqRow) { r.NS = sql.NullString{String: "q", Valid: true} }, func(r *eqRow) { r.NS = sql.NullString{String: "q", Valid: true} }, true},
		{"NT", func(r *eqRow) { r.NT = sql.NullTime{Time: utc, Valid: true} }, func(r *eqRow) { r.NT = sql.NullTime{Time: utc, Valid: true} }, true},
		{"NI", func(r *eqRow) { r.NI = sql.Null[int64]{V: 1, Valid: true} }, func(r *eqRow) { r.NI = sql.Null[int64]{V: 1} }, false},
	}
	for i, tc := range cases {
		var a, b eqRow
		tc.a(&a)
		tc.b(&b)
		assert.Equal(t, tc.equal, meta.Equal(col(tc.field), unsafe.Pointer(&a), unsafe.Pointer(&b)), "case %d (%s)", i, tc.field)
		assert.Equal(t, tc.equal, meta.Equal(col(tc.field), unsafe.Pointer(&b), unsafe.Pointer(&a)), "case %d (%s), swapped", i, tc.field)
	}

	var zero eqRow
	for _, c := range m.Columns {
		assert.True(t, meta.IsZero(c, unsafe.Pointer(&zero)), c.Field)
	}
	full := eqRow{ID: 1, N: 1, N32: 1, Named: 1, S: "s", B: true, F: 1, T: utc, TP: &utc, SP: &s1,
		Bytes: []byte{}, Raw: json.RawMessage{}, NS: sql.NullString{Valid: true}, NT: sql.NullTime{Valid: true},
		NI: sql.Null[int64]{V: 1}}
	for _, c := range m.Columns {
		assert.False(t, meta.IsZero(c, unsafe.Pointer(&full)), c.Field)
	}
}
