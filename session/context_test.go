package session_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// Transactions of two clients nest in one context: each client finds its
// own session, Current is the innermost, and cancellation still reaches
// the work.
func TestSessionsOfTwoClientsInOneContext(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		uri := db.URI
		if db.Dialect == "sqlite" {
			// A second write transaction on the same file would wait for
			// the first.
			uri = dbtest.URI(t, "sqlite")
		}
		other, err := session.Open(session.Config{DatabaseURI: uri})
		require.NoError(t, err)
		defer other.Close()
		err = db.Transaction(db.Ctx(), func(ctx context.Context) error {
			outer := session.Current(ctx)
			require.NotNil(t, outer)
			assert.Same(t, db.Client, outer.Client())
			return other.Transaction(ctx, func(ctx context.Context) error {
				inner := session.Current(ctx)
				require.NotNil(t, inner)
				assert.Same(t, other, inner.Client())
				c, err := session.FromContext(ctx)
				require.NoError(t, err)
				assert.Same(t, other, c)
				// The outer client's nested call joins its own session
				// rather than starting one.
				return db.Transaction(ctx, func(ctx context.Context) error {
					_, err := db.Exec(ctx, "SELECT 1")
					return err
				})
			})
		})
		require.NoError(t, err)

		ctx, cancel := context.WithCancel(db.Ctx())
		err = db.Transaction(ctx, func(ctx context.Context) error {
			cancel()
			<-ctx.Done()
			return nil
		})
		assert.ErrorIs(t, err, context.Canceled)
	})
}
