package meta_test

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/internal/meta"
)

func TestRowKeyIsEqualForEqualValuesOfAnyGoType(t *testing.T) {
	n := int64(7)
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	cases := []struct {
		name string
		a, b []any
		same bool
	}{
		{"int64 and int32", []any{int64(7)}, []any{int32(7)}, true},
		{"int64 and *int64", []any{int64(7)}, []any{&n}, true},
		{"int64 and sql.NullInt64", []any{int64(7)}, []any{sql.NullInt64{Int64: 7, Valid: true}}, true},
		{"uint64 above the int64 range and itself", []any{uint64(1 << 63)}, []any{uint64(1 << 63)}, true},
		{"[]byte and json.RawMessage", []any{[]byte("ab")}, []any{json.RawMessage("ab")}, true},
		{"[]byte and string", []any{[]byte("ab")}, []any{"ab"}, false},
		{"times in two zones", []any{at}, []any{at.In(time.FixedZone("X", 3600))}, true},
		{"composite", []any{[]byte{0, 1}, "x"}, []any{[]byte{0, 1}, "x"}, true},
		{"composite parts that concatenate alike", []any{"ab", "c"}, []any{"a", "bc"}, false},
		{"different values", []any{int64(1)}, []any{int64(2)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := meta.RowKeyOf(tc.a...), meta.RowKeyOf(tc.b...)
			assert.Equal(t, tc.same, a == b, "%v and %v", a, b)
			assert.True(t, a.Valid())
		})
	}
}

func TestRowKeyWithNullIsNotValid(t *testing.T) {
	var p *int64
	for _, vals := range [][]any{{nil}, {p}, {[]byte(nil)}, {int64(1), nil}, {sql.NullString{}}} {
		assert.False(t, meta.RowKeyOf(vals...).Valid(), "%#v", vals)
	}
	assert.False(t, meta.RowKey{}.Valid())
}

func TestRowKeyString(t *testing.T) {
	assert.Equal(t, "7", meta.RowKeyOf(7).String())
	assert.Equal(t, `(0001ff, "a b", NULL, 3)`, meta.RowKeyOf([]byte{0, 1, 255}, "a b", nil, uint8(3)).String())
}
