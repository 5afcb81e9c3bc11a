package galeratest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/galeratest"
	"github.com/sqlservice/sqlservice/session"
)

func TestMain(m *testing.M) { os.Exit(galeratest.Main(m)) }

// TestGaleraCluster checks the helper itself: a row written on one node is read
// on another with wsrep_sync_wait=1, auto-increment keys interleave (each
// node hands out every third), and an isolated node answers error 1047
// until it has joined again.
func TestGaleraCluster(t *testing.T) {
	c := galeratest.Start(t)
	c.CreateDatabase(t, "cluster")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var dbs []*session.Client
	for n := 1; n <= galeratest.Nodes; n++ {
		db, err := session.Open(session.Config{DatabaseURI: c.URI(n, "cluster") + "?wsrep_sync_wait=1"})
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	_, err := dbs[0].Exec(ctx, "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, node INT)")
	require.NoError(t, err)
	var ids []int64
	for i, db := range dbs {
		res, err := db.Exec(ctx, "INSERT INTO t (node) VALUES (?)", i+1)
		require.NoError(t, err)
		id, err := res.LastInsertId()
		require.NoError(t, err)
		ids = append(ids, id)
	}
	require.Len(t, uniq(ids), 3, "three nodes, three keys: %v", ids)
	for _, id := range ids {
		require.Contains(t, []int64{1, 2, 3}, (id-1)%3+1)
	}
	var n int
	require.NoError(t, dbs[2].QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
	require.Equal(t, 3, n, "node 3 reads what nodes 1 and 2 wrote")

	// What wsrep_sync_wait=1 costs a read: the node first waits until it
	// has applied everything committed cluster-wide.
	plain, err := session.Open(session.Config{DatabaseURI: c.URI(3, "cluster")})
	require.NoError(t, err)
	defer plain.Close()
	for _, db := range []*session.Client{plain, dbs[2]} {
		start := time.Now()
		for range 200 {
			require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
		}
		t.Logf("read on node 3 (%s): %s", db.Config().DatabaseURI[len(c.URI(3, "cluster")):], time.Since(start)/200)
	}

	c.Isolate(t, 3, true)
	err = dbs[2].QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n)
	var me *mysql.MySQLError
	require.ErrorAs(t, err, &me)
	require.EqualValues(t, 1047, me.Number, "%v", err)
	_, err = dbs[0].Exec(ctx, "INSERT INTO t (node) VALUES (1)")
	require.NoError(t, err, "the other two nodes keep the quorum")
	c.Isolate(t, 3, false)
	require.NoError(t, dbs[2].QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
	require.Equal(t, 4, n, "node 3 caught up")
}

func uniq(xs []int64) map[int64]bool {
	m := map[int64]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}
