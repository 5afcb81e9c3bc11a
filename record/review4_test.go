package record_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// TimeKeyed has a primary key of a time: its key arguments are bound (to
// UTC, or to SQLite's text) before they are sent.
type TimeKeyed struct {
	record.Base[TimeKeyed]
	At   time.Time `db:"at,pk"`
	Note string    `db:"note"`
}

// Destroy by key inside a transaction forgets the row in the session's
// identity map whatever the key's type: a Get after it is a NotFoundError,
// not the deleted record from memory.
func TestReview4DestroyByTimeKeyForgetsTheIdentity(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{TimeKeyed{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		require.NoError(t, (&TimeKeyed{At: at, Note: "x"}).Save(ctx))
		err := db.Client.Transaction(ctx, func(ctx context.Context) error {
			if _, err := record.Get[TimeKeyed](ctx, at); err != nil {
				return err
			}
			if _, err := record.Destroy[TimeKeyed](ctx, at); err != nil {
				return err
			}
			_, err := record.Get[TimeKeyed](ctx, at)
			var nf *record.NotFoundError
			if !errors.As(err, &nf) {
				t.Errorf("Get after Destroy in the transaction: %v, want a NotFoundError", err)
			}
			return nil
		})
		require.NoError(t, err)
	})
}
