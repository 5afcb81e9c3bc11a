package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// Handle has a unique column and a plain one for string comparisons.
type Handle struct {
	record.Base[Handle]
	ID    int64  `db:"id,pk,autoincrement"`
	Email string `db:"email,size=50,unique"`
	Name  string `db:"name,size=50"`
}

// Trailing spaces are part of a string on every database: Eq matches the
// string exactly and a unique column holds "a@x" beside "a@x ". MySQL and
// MariaDB's utf8mb4_bin ignores them (PAD SPACE); tables are created with
// the server's no-pad binary collation instead.
func TestTrailingSpacesAreSignificant(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Handle{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for _, h := range []*Handle{{Email: "a@x", Name: "ab"}, {Email: "a@x ", Name: "ab  "}, {Email: "a@x  ", Name: "ab "}} {
			require.NoError(t, h.Save(ctx), "%q beside the others", h.Email)
		}
		for _, name := range []string{"ab", "ab ", "ab  "} {
			got, err := record.Find[Handle](ctx, builder.Eq{"name": name})
			require.NoError(t, err)
			require.Len(t, got, 1, "Eq{name: %q}", name)
			assert.Equal(t, name, got[0].Name)
		}
		n, err := record.Query[Handle](ctx).Where(builder.Eq{"email": "a@x"}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		names, err := record.Pluck[string](record.Query[Handle](ctx).OrderBy("name"), "name")
		require.NoError(t, err)
		assert.Equal(t, []string{"ab", "ab ", "ab  "}, names, "ordered as bytes")
	})
}
