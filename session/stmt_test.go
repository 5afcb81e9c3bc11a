package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

func TestPreparedStatement(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		insert := `INSERT INTO account (email) VALUES (?)`
		if db.Dialect == "postgres" {
			insert = `INSERT INTO account (email) VALUES ($1)`
		}
		count := func(ctx context.Context) int64 {
			n, err := record.Query[Account](ctx).Count()
			require.NoError(t, err)
			return n
		}

		// On the pool.
		st, err := db.Prepare(ctx, insert)
		require.NoError(t, err)
		res, err := st.Exec(ctx, "pool@x")
		require.NoError(t, err)
		n, err := res.RowsAffected()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		require.NoError(t, st.Close())

		// In a transaction: the statement runs in it and rolls back with it.
		boom := errors.New("boom")
		err = db.Transaction(ctx, func(ctx context.Context) error {
			st, err := db.Prepare(ctx, insert)
			require.NoError(t, err)
			defer st.Close()
			for _, e := range []string{"a@x", "b@x", "c@x"} {
				_, err := st.Exec(ctx, e)
				require.NoError(t, err)
			}
			assert.EqualValues(t, 4, count(ctx), "visible inside the transaction")
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.EqualValues(t, 1, count(ctx))

		execs := 0
		for _, s := range db.Log() {
			if strings.HasPrefix(s, "INSERT INTO account") {
				execs++
			}
		}
		assert.Equal(t, 4, execs, "each run is echoed")

		_, err = db.Prepare(ctx, "NOT SQL AT ALL")
		assert.Error(t, err)
		require.NoError(t, db.Close())
		_, err = db.Prepare(ctx, insert)
		assert.ErrorIs(t, err, session.ErrClosed)
	})
}

// A prepared statement runs as Exec runs: its errors translated (a
// duplicate key is ErrDuplicateKey), its time arguments bound as every
// other statement binds them, so that a row it writes reads back equal.
func TestPreparedStatementRunsAsExecDoes(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		insert := builder.Rebind(db.Client.Dialect(), `INSERT INTO account (email) VALUES (?)`)
		st, err := db.Prepare(ctx, insert)
		require.NoError(t, err)
		defer st.Close()
		_, err = st.Exec(ctx, "dup@x")
		require.NoError(t, err)
		_, err = st.Exec(ctx, "dup@x")
		assert.ErrorIs(t, err, session.ErrDuplicateKey, "a prepared statement's error is translated as Exec's: %v", err)
		var ce *session.ConstraintError
		assert.ErrorAs(t, err, &ce)
	})
}
