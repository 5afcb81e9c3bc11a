package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// A statement prepared before a schema change that changes its result
// types: PostgreSQL refused it afterwards ("cached plan must not change
// result type") until RunDDL dropped the client's prepared statements.
func TestSchemaChangePreparesStatementsAgain(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		_, err := db.DB().ExecContext(ctx, "CREATE TABLE ddl_cp (id INTEGER PRIMARY KEY, n INTEGER)")
		require.NoError(t, err)
		_, err = db.DB().ExecContext(ctx, "INSERT INTO ddl_cp VALUES (1, 2)")
		require.NoError(t, err)
		q := "SELECT id, n FROM ddl_cp WHERE id = 1"
		var id, n int64
		require.NoError(t, session.QueryRowCached(db.Client, ctx, q).Scan(&id, &n))
		require.True(t, session.IsPrepared(db.Client, q))
		alter := map[string]string{
			"sqlite":   "ALTER TABLE ddl_cp ADD COLUMN z INTEGER",
			"mysql":    "ALTER TABLE ddl_cp MODIFY COLUMN n BIGINT",
			"postgres": "ALTER TABLE ddl_cp ALTER COLUMN n TYPE BIGINT",
		}[db.Dialect]
		require.NoError(t, db.RunDDL(ctx, func(exec func(string, ...any) error) error { return exec(alter) }))
		assert.False(t, session.IsPrepared(db.Client, q), "prepared again on next use")
		require.NoError(t, session.QueryRowCached(db.Client, ctx, q).Scan(&id, &n))
		assert.Equal(t, int64(2), n)
	})
}
