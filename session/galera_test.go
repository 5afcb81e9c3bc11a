package session_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/galeratest"
	"github.com/sqlservice/sqlservice/session"
)

// TestMain stops the Galera cluster that the tests of this package share
// (internal/galeratest) when they end.
func TestMain(m *testing.M) { os.Exit(galeratest.Main(m)) }

// TestGaleraNodeNotReady reads through two Galera nodes used as replicas
// and cuts one off from the cluster (gmcast.isolate): it answers pings but
// refuses every query with error 1047, so it is taken out like a replica
// that does not answer, its health checks (a query, not a ping) keep it out
// while it is isolated, and it takes reads again once it has rejoined.
func TestGaleraNodeNotReady(t *testing.T) {
	c := galeratest.Start(t)
	c.CreateDatabase(t, "notready")
	logs := &capture{}
	db, err := session.Open(session.Config{DatabaseURI: c.URI(1, "notready"),
		// Causal reads: a read on node 2 or 3 right after the INSERT on
		// node 1 must see it.
		Replicas: []string{c.URI(2, "notready") + "?wsrep_sync_wait=1", c.URI(3, "notready") + "?wsrep_sync_wait=1"},
		Echo:     true, Logger: slog.New(logs), ReplicaRetry: 100 * time.Millisecond, ReplicaRetryMax: 200 * time.Millisecond})
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = db.Exec(ctx, "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)")
	require.NoError(t, err)
	_, err = db.Exec(ctx, "INSERT INTO t (v) VALUES (1)")
	require.NoError(t, err)
	read := func() {
		t.Helper()
		var n int
		require.NoError(t, db.QueryRow(session.Primary(ctx), "SELECT 1").Scan(&n))
		require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n), "the caller never sees the node's refusal")
		require.Equal(t, 1, n)
	}
	for range 4 {
		read()
	}
	servers, _ := logs.servers(0)
	assert.Contains(t, servers, "replica:1")
	assert.Contains(t, servers, "replica:2")

	c.Isolate(t, 3, true)
	for range 6 {
		read()
	}
	st := db.Replicas()
	assert.True(t, st[0].Healthy)
	require.False(t, st[1].Healthy, "the isolated node is out")
	assert.ErrorContains(t, st[1].Err, "1047")
	assert.Equal(t, 1, logs.count("sqlservice: replica does not answer: its reads go elsewhere"))

	// Its health checks fail while it is isolated: it answers pings, not
	// queries.
	for range 3 {
		time.Sleep(250 * time.Millisecond)
		read()
		session.WaitReplicaChecks(db)
	}
	require.False(t, db.Replicas()[1].Healthy, "a node that answers pings but not queries stays out")
	assert.ErrorContains(t, db.Replicas()[1].Err, "wsrep_ready is OFF")

	c.Isolate(t, 3, false)
	require.NoError(t, db.CheckReplicas(ctx))
	assert.True(t, db.Replicas()[1].Healthy)
	_, mark := logs.servers(0)
	for range 4 {
		read()
	}
	servers, _ = logs.servers(mark)
	assert.Contains(t, servers, "replica:2", "the node takes reads again")
	assert.Equal(t, 1, logs.count("sqlservice: replica answers again"))
}

// TestGaleraPrimaryFailover writes to node 1 of a Galera cluster with the
// other two nodes as further endpoints (Config.Primaries), kills node 1
// (SIGKILL), and checks that the next writes succeed on node 2 without an
// error reaching the caller, with one warning.
func TestGaleraPrimaryFailover(t *testing.T) {
	c := galeratest.Start(t)
	logs := &capture{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, insert := primariesClient(t, ctx, c, "failover", 4, logs)
	write := func() {
		t.Helper()
		require.NoError(t, insert(ctx))
	}
	for range 5 {
		write()
	}

	c.Kill(t, 1)
	start := time.Now()
	assert.Equal(t, "n2", nodeOf(t, ctx, db), "the next connection goes to node 2")
	t.Logf("first read after the kill: %s", time.Since(start))
	write()
	// The connection moves at once (a refused dial); the commit waits
	// until the cluster has evicted the dead node (evs.suspect_timeout).
	t.Logf("first write after the kill: %s", time.Since(start))
	for range 4 {
		write()
	}
	var nodes []string
	rows, err := db.Query(ctx, "SELECT node FROM t ORDER BY id")
	require.NoError(t, err)
	for rows.Next() {
		var n string
		require.NoError(t, rows.Scan(&n))
		nodes = append(nodes, n)
	}
	require.NoError(t, rows.Err())
	require.Len(t, nodes, 10, "every write succeeded once: none lost, none doubled")
	assert.Equal(t, []string{"n1", "n1", "n1", "n1", "n1", "n2", "n2", "n2", "n2", "n2"}, nodes)
	assert.Equal(t, 1, logs.count("sqlservice: primary endpoint cannot be reached: new connections go to the next"))
	assert.Equal(t, "n2", nodeOf(t, ctx, db), "the client stays on the endpoint that answered")
}

func nodeOf(t *testing.T, ctx context.Context, db *session.Client) (name string) {
	t.Helper()
	require.NoError(t, db.QueryRow(ctx, "SELECT @@wsrep_node_name").Scan(&name))
	return name
}

// TestGaleraPrimaryNotReady writes to node 1 of a Galera cluster with the
// other two nodes as further endpoints (Config.Primaries) and cuts node 1
// off from the cluster (gmcast.isolate): it still accepts connections but
// refuses every statement with error 1047, and refused them all before any
// ran. The pool's connections to it are dropped, the statements refused
// run again on a connection to a ready node, and new connections skip it:
// no error reaches the caller, on the pool or in a transaction, every
// write is stored once, and the client stays on node 2 once node 1 is back.
func TestGaleraPrimaryNotReady(t *testing.T) {
	c := galeratest.Start(t)
	logs := &capture{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, write := primariesClient(t, ctx, c, "notreadyprimary", 4, logs)
	// Several connections to node 1 in the pool.
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- write(ctx) }()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}

	c.Isolate(t, 1, true)
	require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
		if err := write(ctx); err != nil {
			return err
		}
		return write(ctx)
	}), "a transaction begun after the node left")
	for range 4 {
		go func() { errs <- write(ctx) }()
	}
	for range 4 {
		require.NoError(t, <-errs, "no refusal reaches the caller")
	}
	assert.Equal(t, "n2", nodeOf(t, ctx, db))

	c.Isolate(t, 1, false)
	require.NoError(t, write(ctx))
	assert.Equal(t, "n2", nodeOf(t, ctx, db), "the client stays on the endpoint that answered")

	assert.Equal(t, map[string]int{"n1": 4, "n2": 7}, nodeCounts(t, ctx, db), "every write stored once: none lost, none doubled")
	assert.Equal(t, 1, logs.count("sqlservice: primary endpoint cannot be reached: new connections go to the next"))
}

// primariesClient opens a client on node 1 of c, with nodes 2 and 3 as
// further endpoints (Config.Primaries), in a database of its own named
// name, closed when t ends. It creates table t (id, node) and returns with
// the client a write that inserts the name of the node it runs on.
func primariesClient(t *testing.T, ctx context.Context, c *galeratest.Cluster, name string, pool int, logs *capture) (*session.Client, func(context.Context) error) {
	t.Helper()
	c.CreateDatabase(t, name)
	cfg := session.Config{DatabaseURI: c.URI(1, name), Primaries: []string{c.URI(2, name), c.URI(3, name)}, PoolSize: pool}
	if logs != nil {
		cfg.Logger = slog.New(logs)
	}
	db, err := session.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	_, err = db.Exec(ctx, "CREATE TABLE t (id BIGINT AUTO_INCREMENT PRIMARY KEY, node VARCHAR(10))")
	require.NoError(t, err)
	return db, func(ctx context.Context) error {
		_, err := db.Exec(ctx, "INSERT INTO t (node) VALUES (@@wsrep_node_name)")
		return err
	}
}

// nodeCounts returns how many rows of t each node wrote.
func nodeCounts(t *testing.T, ctx context.Context, db *session.Client) map[string]int {
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
