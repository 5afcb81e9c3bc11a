package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/galeratest"
	"github.com/sqlservice/sqlservice/session"
)

// r5Counts returns how many rows of t each node wrote.
func r5Counts(t *testing.T, ctx context.Context, db *session.Client) map[string]int {
	t.Helper()
	counts := map[string]int{}
	rows, err := db.Query(ctx, "SELECT node, COUNT(*) FROM t GROUP BY node")
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var node string
		var n int
		require.NoError(t, rows.Scan(&node, &n))
		counts[node] = n
	}
	require.NoError(t, rows.Err())
	return counts
}

// A node drained for maintenance (wsrep_reject_queries = ALL) accepts
// connections and refuses every statement with 1047 while wsrep_ready
// stays ON: with Config.Primaries it counts as not answering, as an
// isolated node does.
func TestReview5GaleraPrimaryRejectingQueries(t *testing.T) {
	c := galeratest.Start(t)
	c.CreateDatabase(t, "rejectprimary")
	db, err := session.Open(session.Config{DatabaseURI: c.URI(1, "rejectprimary"),
		Primaries: []string{c.URI(2, "rejectprimary"), c.URI(3, "rejectprimary")}, PoolSize: 2})
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = db.Exec(ctx, "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(10))")
	require.NoError(t, err)
	write := func(ctx context.Context) error {
		_, err := db.Exec(ctx, "INSERT INTO t (node) VALUES (@@wsrep_node_name)")
		return err
	}
	require.NoError(t, write(ctx))

	_, err = c.Root(1).ExecContext(ctx, "SET GLOBAL wsrep_reject_queries = ALL")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = c.Root(1).Exec("SET GLOBAL wsrep_reject_queries = NONE") })
	for i := range 3 {
		require.NoError(t, write(ctx), "write %d: no refusal reaches the caller", i)
	}
	assert.Equal(t, map[string]int{"n1": 1, "n2": 3}, r5Counts(t, ctx, db))
}
