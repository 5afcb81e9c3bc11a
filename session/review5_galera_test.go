package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/galeratest"
)

// A node drained for maintenance (wsrep_reject_queries = ALL) accepts
// connections and refuses every statement with 1047 while wsrep_ready
// stays ON: with Config.Primaries it counts as not answering, as an
// isolated node does.
func TestReview5GaleraPrimaryRejectingQueries(t *testing.T) {
	c := galeratest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, write := primariesClient(t, ctx, c, "rejectprimary", 2, nil)
	require.NoError(t, write(ctx))

	_, err := c.Root(1).ExecContext(ctx, "SET GLOBAL wsrep_reject_queries = ALL")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = c.Root(1).Exec("SET GLOBAL wsrep_reject_queries = NONE") })
	for i := range 3 {
		require.NoError(t, write(ctx), "write %d: no refusal reaches the caller", i)
	}
	assert.Equal(t, map[string]int{"n1": 1, "n2": 3}, nodeCounts(t, ctx, db))
}
