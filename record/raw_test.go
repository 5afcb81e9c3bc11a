package record_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

func TestRawMapsColumnsByName(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 4)

		got, err := record.Raw[QueryA](ctx, `SELECT * FROM query_a WHERE label = ? AND id > ? ORDER BY id`, "L", as[1].ID)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, as[2].ID, got[0].ID)
		assert.Equal(t, as[2].Text, got[0].Text)
		assert.False(t, got[0].IsNew(), "a result with the key is a loaded record")

		// Aliases and field names map too, ignoring case; a literal ? and
		// a comment are left alone.
		part, err := record.Raw[QueryA](ctx, `SELECT id AS "ID", name AS Name FROM query_a -- any ? here
			WHERE text <> 'what?' AND id = ?`, as[0].ID)
		require.NoError(t, err)
		require.Len(t, part, 1)
		assert.Equal(t, as[0].Name, part[0].Name)
		assert.Empty(t, part[0].Text)

		// A partial result saves as a partial load does.
		part[0].Name = "raw"
		require.NoError(t, part[0].Save(ctx))
		back, err := record.Get[QueryA](ctx, as[0].ID)
		require.NoError(t, err)
		assert.Equal(t, "raw", back.Name)
		assert.Equal(t, as[0].Text, back.Text)

		// Without the key the records are new.
		keyless, err := record.Raw[QueryA](ctx, `SELECT name, text FROM query_a WHERE id = ?`, as[3].ID)
		require.NoError(t, err)
		require.Len(t, keyless, 1)
		assert.True(t, keyless[0].IsNew())
		assert.Zero(t, keyless[0].ID)
		require.NoError(t, keyless[0].Save(ctx))
		assert.NotEqual(t, as[3].ID, keyless[0].ID, "saving inserts a copy")

		none, err := record.Raw[QueryA](ctx, `SELECT * FROM query_a WHERE id < 0`)
		require.NoError(t, err)
		assert.Empty(t, none)

		// Inside a session a row it holds comes back as its record.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			g, err := record.Get[QueryA](ctx, as[2].ID)
			require.NoError(t, err)
			rs, err := record.Raw[QueryA](ctx, `SELECT * FROM query_a WHERE id = ?`, as[2].ID)
			require.NoError(t, err)
			assert.Same(t, g, rs[0])
			return nil
		})
		require.NoError(t, err)
	})
}

func TestRawRejectsUnknownColumns(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seedQ(t, ctx, 2)
		_, err := record.Raw[QueryA](ctx, `SELECT id, name AS nm, 1 AS extra FROM query_a`)
		require.Error(t, err)
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Contains(t, err.Error(), `"nm", "extra"`)
		assert.Contains(t, err.Error(), "QueryA")

		_, err = record.Raw[QueryA](ctx, `SELECT id, name, name AS "Name" FROM query_a`)
		assert.ErrorContains(t, err, "twice")

		_, err = record.Raw[QueryA](ctx, `SELECT * FROM no_such_table`)
		var dbe *record.DBError
		assert.ErrorAs(t, err, &dbe)
	})
}
