package meta_test

import (
	"database/sql"
	"math"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
)

type scanDestModel struct {
	ID  int64   `db:"id,pk"`
	N   int     `db:"n"`
	M   int32   `db:"m"`
	F   float64 `db:"f"`
	S   string  `db:"s"`
	Opt *int64  `db:"opt"`
}

func (scanDestModel) TableName() string { return "scan_dest_models" }

// ScanDest converts what drivers return as database/sql converts it into a
// plain pointer to the field, errors included.
func TestScanDest(t *testing.T) {
	m, err := meta.Of[scanDestModel]()
	require.NoError(t, err)
	col := func(name string) *meta.Column {
		c, ok := m.Column(name)
		require.True(t, ok, name)
		return c
	}
	cases := []struct {
		col  string
		src  any
		want any    // the field's value after a successful scan
		err  string // a substring of the error, when it fails
	}{
		{"id", int64(42), int64(42), ""},
		{"id", int64(math.MinInt64), int64(math.MinInt64), ""},
		{"id", []byte("17"), int64(17), ""},
		{"id", "-5", int64(-5), ""},
		{"id", "x", nil, "invalid syntax"},
		{"id", nil, nil, "converting NULL to int64 is unsupported"},
		{"id", time.Unix(0, 0), nil, "converting"},
		{"n", int64(7), 7, ""},
		{"n", []byte("8"), 8, ""},
		{"n", nil, nil, "converting NULL to int is unsupported"},
		{"m", int64(math.MaxInt32), int32(math.MaxInt32), ""},
		{"m", int64(math.MaxInt32 + 1), nil, "out of range"},
		{"m", int64(math.MinInt32 - 1), nil, "out of range"},
		{"m", "12", int32(12), ""},
		{"f", 1.5, 1.5, ""},
		{"f", int64(3), 3.0, ""},
		{"f", []byte("2.25"), 2.25, ""},
		{"f", "nan?", nil, "invalid syntax"},
		{"f", nil, nil, "converting NULL to float64 is unsupported"},
	}
	for _, tc := range cases {
		t.Run(tc.col+"/"+typeName(tc.src), func(t *testing.T) {
			var v scanDestModel
			c := col(tc.col)
			dest := meta.ScanDest(c, unsafe.Pointer(&v))
			sc, ok := dest.(sql.Scanner)
			require.True(t, ok, "%T is not an sql.Scanner", dest)
			err := sc.Scan(tc.src)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Equal(t, scanDestModel{}, v, "a failed scan writes nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, meta.Value(c, unsafe.Pointer(&v)))
		})
	}
	t.Run("other types scan through their address", func(t *testing.T) {
		var v scanDestModel
		assert.Same(t, &v.S, meta.ScanDest(col("s"), unsafe.Pointer(&v)))
		assert.Same(t, &v.Opt, meta.ScanDest(col("opt"), unsafe.Pointer(&v)))
	})
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "nil"
	case int64:
		return "int64"
	case float64:
		return "float64"
	case string:
		return "string"
	case []byte:
		return "bytes"
	}
	return "other"
}
