package sqlservicetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
	"github.com/sqlservice/sqlservice/sqlservicetest"
)

// Code under test whose own transaction fails and is rolled back (a
// duplicate order refused, say), and which then carries on. Outside the
// kit the failed transaction's rows are gone; inside Rollback its
// Transaction only joins the test's, so nothing is undone and the test
// sees what production never would, and the test's transaction is doomed
// (Rollback then reports an error the code under test handled).
// A joined Transaction should be a savepoint.
func TestReviewRollbackKitUndoesAFailedInnerTransaction(t *testing.T) {
	refused := errors.New("refused")
	placeOrder := func(ctx context.Context, db *session.Client) (int64, error) {
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Kit{Name: "half an order"}).Save(ctx); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			return 0, err
		}
		return record.Query[Kit](ctx).Count()
	}
	sqlservicetest.Each(t, func(t *testing.T, db *session.Client) {
		// What production sees.
		n, err := placeOrder(db.Context(context.Background()), db)
		assert.NoError(t, err)
		assert.Zero(t, n, "outside the kit the failed transaction left nothing")
		// What the same code sees under the kit.
		sqlservicetest.Rollback(t, db, func(ctx context.Context) {
			n, err := placeOrder(ctx, db)
			assert.NoError(t, err)
			assert.Zero(t, n, "inside the kit too")
		})
	}, sqlservicetest.Models(Kit{}))
}
