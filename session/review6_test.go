package session_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
)

type review6Valuer struct{ t time.Time }

func (v review6Valuer) Value() (driver.Value, error) { return v.t, nil }

// Times given to raw statements in a zone other than UTC are stored and
// compared as the same instant, whatever wraps them: time.Time, *time.Time,
// sql.NullTime, sql.Null[time.Time] and, on MySQL, whose driver binds
// every time since timeBinder is nil there, a driver.Valuer. A nil
// *time.Time is NULL.
func TestReview6RawTimesInAnotherZone(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		typ := map[string]string{"sqlite": "TEXT", "mysql": "DATETIME(6)", "postgres": "TIMESTAMP"}[db.Dialect]
		_, err := db.Exec(ctx, "CREATE TABLE r6_times (id INT, at "+typ+" NULL)")
		require.NoError(t, err)
		ph := func(q string) string { // $n on PostgreSQL
			if db.Dialect != "postgres" {
				return q
			}
			out, n := "", 0
			for _, r := range q {
				if r == '?' {
					n++
					out += "$" + string(rune('0'+n))
					continue
				}
				out += string(r)
			}
			return out
		}
		zone := time.FixedZone("UTC+5", 5*3600)
		at := time.Date(2026, 11, 30, 12, 0, 0, 123000000, time.UTC)
		in := at.In(zone)
		args := map[string]any{
			"time":     in,
			"pointer":  &in,
			"NullTime": sql.NullTime{Time: in, Valid: true},
			"Null[T]":  sql.Null[time.Time]{V: in, Valid: true},
			"Valuer":   review6Valuer{in},
		}
		id := 0
		for name, a := range args {
			id++
			t.Run(name, func(t *testing.T) {
				_, err := db.Exec(ctx, ph("INSERT INTO r6_times (id, at) VALUES (?, ?)"), id, a)
				require.NoError(t, err)
				var n int
				require.NoError(t, db.QueryRow(ctx, ph("SELECT COUNT(*) FROM r6_times WHERE id = ? AND at = ?"), id, at).Scan(&n))
				assert.Equal(t, 1, n, "stored as the UTC instant")
				require.NoError(t, db.QueryRow(ctx, ph("SELECT COUNT(*) FROM r6_times WHERE id = ? AND at = ?"), id, a).Scan(&n))
				assert.Equal(t, 1, n, "compared as the UTC instant")
			})
		}
		var nilTime *time.Time
		_, err = db.Exec(ctx, ph("INSERT INTO r6_times (id, at) VALUES (?, ?)"), 99, nilTime)
		require.NoError(t, err)
		var n int
		require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM r6_times WHERE id = 99 AND at IS NULL").Scan(&n))
		assert.Equal(t, 1, n)
	})
}
