package record_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Edge holds the values at the edges of what the databases store.
type Edge struct {
	record.Base[Edge]
	ID    int64     `db:"id,pk,autoincrement"`
	At    time.Time `db:"at"`
	Score float64   `db:"score"`
	Opt   *float64  `db:"opt"`
}

// A value is stored and read back as written, or the write fails naming
// the model and field: never a different value, never a misleading error.
// SQLite reads back years 0000–9999 only and stores NaN as NULL; MySQL's
// DATETIME holds years 1000–9999 and it has no NaN; PostgreSQL stores all
// of these.
func TestValuesAtTheEdges(t *testing.T) {
	nan := math.NaN()
	type outcome int
	const (
		stored   outcome = iota // read back as written
		refused                 // a *FieldError naming the field, before any SQL
		rejected                // the server's error
	)
	cases := []struct {
		name  string
		edge  Edge
		field string
		want  map[string]outcome
	}{
		{"year 9999", Edge{At: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}, "At",
			map[string]outcome{"sqlite": stored, "mysql": stored, "postgres": stored}},
		{"year 10000", Edge{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "At",
			map[string]outcome{"sqlite": refused, "mysql": rejected, "postgres": stored}},
		{"year 9999 east of UTC is 10000 in UTC", Edge{At: time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -5*3600))}, "At",
			map[string]outcome{"sqlite": refused, "mysql": rejected, "postgres": stored}},
		{"year -1", Edge{At: time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC)}, "At",
			map[string]outcome{"sqlite": refused, "mysql": rejected, "postgres": stored}},
		{"NaN", Edge{Score: nan}, "Score",
			map[string]outcome{"sqlite": refused, "mysql": rejected, "postgres": stored}},
		{"NaN through a pointer", Edge{Opt: &nan}, "Opt",
			map[string]outcome{"sqlite": refused, "mysql": rejected, "postgres": stored}},
	}
	dbtest.Each(t, dbtest.Options{Models: []any{Edge{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, tc := range cases {
			e := tc.edge
			if e.At.IsZero() {
				e.At = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
			}
			before := db.Statements()
			err := e.Save(ctx)
			switch tc.want[db.Dialect] {
			case stored:
				require.NoError(t, err, tc.name)
				got, err := record.Get[Edge](ctx, e.ID)
				require.NoError(t, err, tc.name)
				assert.True(t, e.At.Equal(got.At), "%s: %v read back as %v", tc.name, e.At, got.At)
				assert.Equal(t, math.IsNaN(e.Score), math.IsNaN(got.Score), tc.name)
				if e.Opt != nil {
					require.NotNil(t, got.Opt, tc.name)
					assert.Equal(t, math.IsNaN(*e.Opt), math.IsNaN(*got.Opt), tc.name)
				}
			case refused:
				var fe *record.FieldError
				require.ErrorAs(t, err, &fe, tc.name)
				assert.Equal(t, "Edge", fe.Model, tc.name)
				assert.Equal(t, tc.field, fe.Field, tc.name)
				assert.ErrorIs(t, err, session.ErrUnstorable, tc.name)
				assert.NotErrorIs(t, err, record.ErrNotNull, tc.name)
				assert.Equal(t, before, db.Statements(), "%s: no SQL was sent", tc.name)
			case rejected:
				require.Error(t, err, tc.name)
			}
		}
		n, err := record.Query[Edge](ctx).Count()
		require.NoError(t, err)
		want := 0
		for _, tc := range cases {
			if tc.want[db.Dialect] == stored {
				want++
			}
		}
		assert.EqualValues(t, want, n, "rows stored")
	})
}
