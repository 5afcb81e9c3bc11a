package replicatest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/replicatest"
	"github.com/sqlservice/sqlservice/session"
)

// TestPair checks the helper itself: rows written on the primary reach
// the replica, the application account cannot write on the replica, and a
// killed replica comes back on its data directory and catches up.
func TestPair(t *testing.T) {
	p := replicatest.Start(t)
	p.CreateDatabase(t, "pair")
	require.NoError(t, p.Primary.Exec("CREATE TABLE pair.t (id INT PRIMARY KEY)", "INSERT INTO pair.t VALUES (1)"))
	p.Sync(t)
	replica, err := session.Open(session.Config{DatabaseURI: p.Replica.URI("pair")})
	require.NoError(t, err)
	defer replica.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	count := func() (n int) {
		require.NoError(t, replica.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
		return n
	}
	require.Equal(t, 1, count())
	_, err = replica.Exec(ctx, "INSERT INTO t VALUES (2)")
	require.ErrorContains(t, err, "read-only", "the application account cannot write on the replica")
	require.NoError(t, p.Replica.Exec("INSERT INTO pair.t VALUES (1000)"), "root can")

	require.NoError(t, p.Replica.Kill())
	require.NoError(t, p.Primary.Exec("INSERT INTO pair.t VALUES (3)"))
	require.NoError(t, p.Replica.Start())
	p.Sync(t)
	require.Equal(t, 3, count())
}

// TestPostgresPair checks the PostgreSQL helper: rows written on the
// primary reach the standby, the standby refuses writes, and a killed
// standby comes back on its data directory and catches up.
func TestPostgresPair(t *testing.T) {
	p := replicatest.StartPostgres(t)
	p.CreateDatabase(t, "pair")
	require.NoError(t, p.Primary.Exec("pair", "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)"))
	p.Sync(t)
	standby, err := session.Open(session.Config{DatabaseURI: p.Standby.URI("pair")})
	require.NoError(t, err)
	defer standby.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	count := func() (n int) {
		require.NoError(t, standby.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
		return n
	}
	require.Equal(t, 1, count())
	_, err = standby.Exec(ctx, "INSERT INTO t VALUES (2)")
	require.ErrorContains(t, err, "read-only transaction")

	require.NoError(t, p.Standby.Kill())
	require.NoError(t, p.Primary.Exec("pair", "INSERT INTO t VALUES (3)"))
	require.NoError(t, p.Standby.Start())
	p.Sync(t)
	// The old connections died with the standby: a new client.
	require.NoError(t, standby.Close())
	standby, err = session.Open(session.Config{DatabaseURI: p.Standby.URI("pair")})
	require.NoError(t, err)
	require.Equal(t, 2, count())
}
