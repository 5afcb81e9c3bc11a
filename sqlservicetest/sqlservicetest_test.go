package sqlservicetest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
	"github.com/sqlservice/sqlservice/sqlservicetest"
)

type Kit struct {
	record.Base[Kit]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=40"`
}

func count(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	n, err := record.Query[Kit](ctx).Count()
	require.NoError(t, err)
	return n
}

func TestKitGivesEachTestAFreshDatabaseWithItsTables(t *testing.T) {
	for _, run := range []string{"first", "second"} { // the second sees nothing of the first
		t.Run(run, func(t *testing.T) {
			sqlservicetest.Each(t, func(t *testing.T, db *session.Client) {
				ctx := db.Context(context.Background())
				assert.Equal(t, int64(0), count(t, ctx))
				sqlservicetest.Load(t, ctx, &Kit{Name: "a"}, []Kit{{Name: "b"}, {Name: "c"}}, []*Kit{{Name: "d"}})
				assert.Equal(t, int64(4), count(t, ctx))
			}, sqlservicetest.Models(Kit{}))
		})
	}
}

func TestKitRollsATestBack(t *testing.T) {
	sqlservicetest.Each(t, func(t *testing.T, db *session.Client) {
		sqlservicetest.Rollback(t, db, func(ctx context.Context) {
			sqlservicetest.Load(t, ctx, &Kit{Name: "kept for now"})
			sqlservicetest.LoadSQL(t, ctx, db, "testdata/kits.sql")
			assert.Equal(t, int64(3), count(t, ctx))
			var name string
			require.NoError(t, db.QueryRow(ctx, "SELECT name FROM kit WHERE name LIKE 'hammer%'").Scan(&name))
			assert.Equal(t, "hammer; claw", name)
			// Code under test that commits joins the test's transaction.
			require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
				return (&Kit{Name: "committed?"}).Save(ctx)
			}))
		})
		assert.Equal(t, int64(0), count(t, db.Context(context.Background())), "the rows went with the rollback")
	}, sqlservicetest.Models(Kit{}))
}
