package record_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// A soft delete by keys that missed a key looks for the rows it stamped
// right after its UPDATE. With Config.Replicas that read must run on the
// primary: a replica that has not replayed the UPDATE yet (here a second
// database holding the rows as they were) shows no row stamped, and the
// record of the live row it soft-deleted is left unstamped.
func TestReview5SoftDeleteByKeysWithReplicasReadsTheStampsOnThePrimary(t *testing.T) {
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ps := seedSoft(t, db.Ctx())
		replica := dbtest.Open(t, db.Dialect, softModels)
		seedSoft(t, replica.Ctx()) // the replica, not yet caught up

		c, err := session.Open(session.Config{DatabaseURI: db.URI, Replicas: []string{replica.URI}})
		require.NoError(t, err)
		defer c.Close()
		ctx := c.Context(context.Background())

		live, gone := &SoftComment{ID: ps[0].Comments[0].ID}, &SoftComment{ID: 1 << 40}
		n, err := record.Destroy[SoftComment](ctx, []*SoftComment{live, gone})
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "one row was live")

		got, err := record.Query[SoftComment](db.Ctx()).WithDeleted().Where(builder.Eq{"id": live.ID}).First()
		require.NoError(t, err)
		require.NotNil(t, got.Deleted, "the primary's row is soft-deleted")
		if assert.NotNil(t, live.Deleted, "the record of the row it soft-deleted holds its time") {
			assert.True(t, got.Deleted.Equal(*live.Deleted), "row %v, record %v", *got.Deleted, *live.Deleted)
		}
	})
}

// R5Stamp is a soft-deleted model whose table an existing schema made, its
// softdelete column at whole seconds (MySQL's DATETIME, PostgreSQL's
// TIMESTAMPTZ(0)).
type R5Stamp struct {
	ID      int64      `db:"id,pk"`
	Deleted *time.Time `db:"deleted_at,softdelete"`
}

// A soft delete by keys that missed a key finds the rows it stamped by
// softdelete = the time it wrote. A softdelete column that keeps whole
// seconds holds that time rounded, so no row matches, and the record of
// the live row it soft-deleted is left unstamped (before the stamping fix
// every record was stamped).
func TestReview5SoftDeleteByKeysOnAColumnOfWholeSeconds(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		m, err := registry.Of[R5Stamp]()
		require.NoError(t, err)
		q := db.Dialect
		typ := map[string]string{"sqlite": "DATETIME", "mysql": "DATETIME", "postgres": "TIMESTAMPTZ(0)"}[q]
		_, err = db.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (id BIGINT PRIMARY KEY, deleted_at %s NULL)", m.Table, typ))
		require.NoError(t, err)
		_, err = db.Exec(ctx, fmt.Sprintf("INSERT INTO %s (id) VALUES (1)", m.Table))
		require.NoError(t, err)

		live, gone := &R5Stamp{ID: 1}, &R5Stamp{ID: 2}
		n, err := record.Destroy[R5Stamp](ctx, []*R5Stamp{live, gone})
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "one row was live")

		got, err := record.Query[R5Stamp](ctx).WithDeleted().Where(builder.Eq{"id": 1}).First()
		require.NoError(t, err)
		require.NotNil(t, got.Deleted, "the row is soft-deleted")
		assert.NotNil(t, live.Deleted, "the record of the row it soft-deleted is stamped (the row holds %v)", *got.Deleted)
	})
}
