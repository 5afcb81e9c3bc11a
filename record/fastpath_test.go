package record_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// A key of the key field's exact type takes the fast path; other forms are
// converted. Both find the same row, and a destroyed key leaves the
// session's identity map.
func TestKeyOfExactTypeAndConvertedKeyAgree(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		ps := seed(t, ctx, 3)
		for _, key := range []any{ps[0].ID, int(ps[0].ID), uint8(ps[0].ID), float64(ps[0].ID)} {
			p, err := record.Get[Person](ctx, key)
			require.NoError(t, err, "%T", key)
			assert.Equal(t, ps[0].Email, p.Email, "%T", key)
		}
		_, err := record.Get[Person](ctx, int64(-1))
		assert.ErrorIs(t, err, record.ErrNotFound)

		err = db.Transaction(ctx, func(ctx context.Context) error {
			p, err := record.Get[Person](ctx, ps[1].ID)
			require.NoError(t, err)
			again, err := record.Get[Person](ctx, ps[1].ID)
			require.NoError(t, err)
			assert.Same(t, p, again, "identity map")
			n, err := record.Destroy[Person](ctx, ps[1].ID)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
			_, err = record.Get[Person](ctx, ps[1].ID)
			assert.ErrorIs(t, err, record.ErrNotFound, "forgotten by the identity map")
			n, err = record.Destroy[Person](ctx, ps[1].ID)
			require.NoError(t, err)
			assert.Zero(t, n)
			return nil
		})
		require.NoError(t, err)
		n, err := record.Destroy[Person](ctx, int(ps[2].ID))
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		left, err := record.Query[Person](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, left)
	})
}
