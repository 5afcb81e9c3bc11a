package sqlservicetest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
	"github.com/sqlservice/sqlservice/sqlservicetest"
)

// Rv2Member has a unique email: signing up twice is refused.
type Rv2Member struct {
	record.Base[Rv2Member]
	ID    int64  `db:"id,pk,autoincrement"`
	Email string `db:"email,size=40,unique"`
}

// Code under test that handles a duplicate key on a plain Save (a model
// without hooks: one INSERT, no Transaction) and carries on. In production
// the failed INSERT commits nothing and the next statement runs. Under
// sqlservicetest.Rollback the INSERT runs directly in the test's
// transaction, not in a savepoint: on PostgreSQL the failed statement
// aborts that transaction, every later statement of the code under test
// fails (25P02), and the error path does not behave as in production, as
// Rollback's documentation promises. A model with hooks (Save runs in a
// Transaction, hence a savepoint) carries on.
func TestReview2RollbackKitPlainWriteErrorPath(t *testing.T) {
	signUp := func(ctx context.Context, email string) (taken bool, members int64, err error) {
		err = (&Rv2Member{Email: email}).Save(ctx)
		switch {
		case errors.Is(err, session.ErrDuplicateKey):
			taken = true
		case err != nil:
			return false, 0, err
		}
		members, err = record.Query[Rv2Member](ctx).Count()
		return taken, members, err
	}
	sqlservicetest.Each(t, func(t *testing.T, db *session.Client) {
		// What production sees.
		ctx := db.Context(context.Background())
		_, _, err := signUp(ctx, "a@example.com")
		require.NoError(t, err)
		taken, n, err := signUp(ctx, "a@example.com")
		assert.NoError(t, err)
		assert.True(t, taken)
		assert.Equal(t, int64(1), n)
		// What the same code sees under the kit.
		sqlservicetest.Rollback(t, db, func(ctx context.Context) {
			_, _, err := signUp(ctx, "b@example.com")
			require.NoError(t, err)
			taken, n, err := signUp(ctx, "b@example.com")
			assert.NoError(t, err, "the code under test handled the duplicate key and carries on")
			assert.True(t, taken)
			assert.Equal(t, int64(2), n)
		})
	}, sqlservicetest.Models(Rv2Member{}))
}
