package session

import (
	"database/sql"
	"database/sql/driver"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSQLiteTimeText(t *testing.T) {
	at := time.Date(2025, 12, 22, 1, 0, 0, 0, time.FixedZone("UTC+1", 3600))
	cases := []struct {
		name string
		t    time.Time
		want string
	}{
		{"whole seconds have no fraction", at, "2025-12-22 00:00:00"},
		{"milliseconds take three digits", at.Add(250 * time.Millisecond), "2025-12-22 00:00:00.250"},
		{"microseconds take six", at.Add(123456 * time.Microsecond), "2025-12-22 00:00:00.123456"},
		{"nanoseconds take nine", at.Add(123456789), "2025-12-22 00:00:00.123456789"},
		{"the zero time", time.Time{}, "0001-01-01 00:00:00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, sqliteTime(c.t)) })
	}
}

func TestBindArgsTimes(t *testing.T) {
	plusOne := time.FixedZone("UTC+1", 3600)
	at := time.Date(2025, 12, 22, 1, 0, 0, 0, plusOne)
	utc := at.UTC()
	args := []any{at, &at, sql.NullTime{Time: at, Valid: true}, sql.Null[time.Time]{V: at, Valid: true},
		(*time.Time)(nil), sql.NullTime{}, "text", 7}
	t.Run("PostgreSQL gets UTC times", func(t *testing.T) {
		c := &Client{database: postgresDatabase{}, bindTime: postgresDatabase{}.timeBinder()}
		got, err := c.bindArgs(args, false)
		require.NoError(t, err)
		for i := range 4 {
			assert.Equal(t, utc, got[i], "argument %d", i)
		}
		assert.Equal(t, args[4:], got[4:])
		assert.Equal(t, at, args[0], "the caller's slice is left alone")
	})
	t.Run("SQLite gets SQLite's text", func(t *testing.T) {
		c := &Client{database: sqliteDatabase{}, refusesNaN: true, bindTime: sqliteDatabase{}.timeBinder()}
		got, err := c.bindArgs(args, false)
		require.NoError(t, err)
		for i := range 4 {
			assert.Equal(t, "2025-12-22 00:00:00", got[i], "argument %d", i)
		}
		assert.Equal(t, args[4:], got[4:])
	})
	t.Run("MySQL's driver binds times in UTC itself: nothing is copied", func(t *testing.T) {
		// record's TestTimesOnExistingTables checks the stored wall clock.
		c := &Client{database: mysqlDatabase{}, bindTime: mysqlDatabase{}.timeBinder()}
		got, err := c.bindArgs(args, false)
		require.NoError(t, err)
		assert.Same(t, &args[0], &got[0])
	})
	t.Run("arguments without times are not copied", func(t *testing.T) {
		plain := []any{1, "a", utc}
		c := &Client{database: postgresDatabase{}, bindTime: postgresDatabase{}.timeBinder()}
		got, err := c.bindArgs(plain, false)
		require.NoError(t, err)
		assert.Same(t, &plain[0], &got[0])
	})
}

type timeValuer struct{ t time.Time }

func (v timeValuer) Value() (driver.Value, error) { return v.t, nil }

type countingValuer struct{ n *int }

func (v countingValuer) Value() (driver.Value, error) { *v.n++; return "text", nil }

// A custom driver.Valuer whose value is a time is bound as that time; one
// whose value is something else is passed on untouched and, once seen, not
// asked by bindArgs again (database/sql asks it).
func TestBindArgsValuers(t *testing.T) {
	at := time.Date(2025, 12, 22, 1, 0, 0, 0, time.FixedZone("UTC+1", 3600))
	pg := &Client{database: postgresDatabase{}, bindTime: postgresDatabase{}.timeBinder()}
	got, err := pg.bindArgs([]any{timeValuer{at}}, false)
	require.NoError(t, err)
	assert.Equal(t, at.UTC(), got[0])
	lite := &Client{database: sqliteDatabase{}, refusesNaN: true, bindTime: sqliteDatabase{}.timeBinder()}
	got, err = lite.bindArgs([]any{timeValuer{at}}, false)
	require.NoError(t, err)
	assert.Equal(t, "2025-12-22 00:00:00", got[0])

	n := 0
	args := []any{countingValuer{&n}}
	for range 3 {
		got, err = pg.bindArgs(args, false)
		require.NoError(t, err)
		assert.Same(t, &args[0], &got[0], "not copied")
	}
	assert.Equal(t, 1, n, "asked once, then known not to be a time")
}
