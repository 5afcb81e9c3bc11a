package meta_test

import (
	"database/sql"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/meta"
)

func TestParseTime(t *testing.T) {
	at := time.Date(2025, 12, 22, 10, 30, 5, 0, time.UTC)
	cases := []struct {
		text string
		want time.Time
	}{
		{"2025-12-22 10:30:05", at},                                 // SQLite's datetime()
		{"2025-12-22 10:30:05.250", at.Add(250 * time.Millisecond)}, // datetime(..., 'subsec')
		{"2025-12-22T10:30:05", at},
		{"2025-12-22T10:30:05Z", at},
		{"2025-12-22 10:30:05+00:00", at}, // earlier versions of this library
		{"2025-12-22 10:30:05.123456+00:00", at.Add(123456 * time.Microsecond)},
		{"2025-12-22T11:30:05+01:00", at},
		{"2025-12-22 05:30:05-05", at},     // PostgreSQL's text output
		{"2025-12-22 10:30:05.000000", at}, // six digits always
		{"2025-12-22 10:30:05.123456789", at.Add(123456789)},
		{"2025-12-22 10:30:05 +0000 UTC", at}, // time.Time.String
		{"2025-12-22 10:30", at.Add(-5 * time.Second)},
		{"2025-12-22", time.Date(2025, 12, 22, 0, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got, err := meta.ParseTime(c.text)
			require.NoError(t, err)
			assert.True(t, c.want.Equal(got), "want %v, got %v", c.want, got)
			assert.Same(t, time.UTC, got.Location())
		})
	}
	for _, bad := range []string{"", "yesterday", "2025-13-01", "22/12/2025"} {
		_, err := meta.ParseTime(bad)
		assert.ErrorContains(t, err, "converting", bad)
	}
}

type timeDestModel struct {
	ID   int64               `db:"id,pk"`
	At   time.Time           `db:"at"`
	Ptr  *time.Time          `db:"ptr"`
	Null sql.NullTime        `db:"null_at"`
	Gen  sql.Null[time.Time] `db:"gen"`
}

// The time destinations read the drivers' time.Time values and text, and
// write the field's own memory.
func TestScanDestTimes(t *testing.T) {
	m, err := meta.Of[timeDestModel]()
	require.NoError(t, err)
	at := time.Date(2025, 12, 22, 10, 30, 5, 0, time.UTC)
	var rec timeDestModel
	p := unsafe.Pointer(&rec)
	scan := func(name string, src any) error {
		c, ok := m.Column(name)
		require.True(t, ok)
		return meta.ScanDest(c, p).(sql.Scanner).Scan(src)
	}
	require.NoError(t, scan("at", at.In(time.FixedZone("UTC+1", 3600))))
	assert.Equal(t, at, rec.At, "a driver's time comes back in UTC")
	require.NoError(t, scan("at", []byte("2025-12-22 10:30:05")))
	assert.Equal(t, at, rec.At)
	require.NoError(t, scan("at", int64(at.Unix())))
	assert.Equal(t, at, rec.At)
	assert.ErrorContains(t, scan("at", nil), "NULL")
	assert.ErrorContains(t, scan("at", "soon"), `"soon"`)
	assert.Equal(t, at, rec.At, "a failed scan leaves the field alone")

	require.NoError(t, scan("ptr", "2025-12-22T10:30:05Z"))
	require.NotNil(t, rec.Ptr)
	assert.Equal(t, at, *rec.Ptr)
	require.NoError(t, scan("ptr", nil))
	assert.Nil(t, rec.Ptr)

	require.NoError(t, scan("null_at", "2025-12-22 10:30:05"))
	assert.Equal(t, sql.NullTime{Time: at, Valid: true}, rec.Null)
	require.NoError(t, scan("null_at", nil))
	assert.Equal(t, sql.NullTime{}, rec.Null)

	require.NoError(t, scan("gen", at))
	assert.Equal(t, sql.Null[time.Time]{V: at, Valid: true}, rec.Gen)
	require.NoError(t, scan("gen", nil))
	assert.False(t, rec.Gen.Valid)
}
