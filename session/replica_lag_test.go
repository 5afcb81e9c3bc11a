package session_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/replicatest"
	"github.com/sqlservice/sqlservice/session"
)

// TestReplicaLag runs Config.MaxReplicaLag against real replication: a
// replica that stops applying what it receives (MariaDB: STOP SLAVE
// SQL_THREAD; PostgreSQL: pg_wal_replay_pause) gets no reads once the
// background measurement sees it, the reads see the primary's latest
// writes meanwhile, and the replica takes reads again once it has caught
// up.
func TestReplicaLag(t *testing.T) {
	const maxLag = time.Second
	type server struct {
		primary, replica string
		sync             func(t *testing.T)
		pause, resume    func() error
	}
	setups := map[string]func(t *testing.T) server{
		"mariadb": func(t *testing.T) server {
			p := replicatest.Start(t)
			p.CreateDatabase(t, "lag")
			return server{p.Primary.URI("lag"), p.Replica.URI("lag"), func(t *testing.T) { p.Sync(t) },
				func() error { return p.Replica.Exec("STOP SLAVE SQL_THREAD") },
				func() error { return p.Replica.Exec("START SLAVE SQL_THREAD") }}
		},
		"postgres": func(t *testing.T) server {
			p := replicatest.StartPostgres(t)
			p.CreateDatabase(t, "lag")
			return server{p.Primary.URI("lag"), p.Standby.URI("lag"), func(t *testing.T) { p.Sync(t) },
				func() error { return p.Standby.Exec("postgres", "SELECT pg_wal_replay_pause()") },
				func() error { return p.Standby.Exec("postgres", "SELECT pg_wal_replay_resume()") }}
		},
	}
	for _, name := range []string{"mariadb", "postgres"} {
		t.Run("server="+name, func(t *testing.T) {
			s := setups[name](t)
			logs := &capture{}
			db, err := session.Open(session.Config{DatabaseURI: s.primary, Replicas: []string{s.replica},
				MaxReplicaLag: maxLag, Echo: true, Logger: slog.New(logs)})
			require.NoError(t, err)
			defer db.Close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = db.Exec(ctx, "CREATE TABLE t (id INT PRIMARY KEY)")
			require.NoError(t, err)
			write := func(id int) {
				t.Helper()
				_, err := db.Exec(ctx, "INSERT INTO t (id) VALUES ("+strconv.Itoa(id)+")")
				require.NoError(t, err)
			}
			count := func() (n int, server string) {
				t.Helper()
				require.NoError(t, db.QueryRow(ctx, "SELECT COUNT(*) FROM t").Scan(&n))
				servers, _ := logs.servers(0)
				return n, servers[len(servers)-1]
			}
			write(1)
			s.sync(t)
			require.Eventually(t, func() bool { st := db.Replicas()[0]; return st.Lag >= 0 && !st.Lagging }, 10*time.Second, 20*time.Millisecond)
			n, on := count()
			assert.Equal(t, 1, n)
			assert.Equal(t, "replica:1", on)

			require.NoError(t, s.pause())
			t.Cleanup(func() { s.resume() })
			write(2)
			start := time.Now()
			require.Eventually(t, func() bool { return db.Replicas()[0].Lagging }, 10*time.Second, 10*time.Millisecond,
				"the lag is seen: %+v", db.Replicas()[0])
			t.Logf("lagging replica taken out %s after the write (measured lag %s)", time.Since(start).Round(time.Millisecond), db.Replicas()[0].Lag)
			assert.True(t, db.Replicas()[0].Healthy, "it answers: only its lag keeps reads away")
			for range 3 {
				n, on = count()
				assert.Equal(t, 2, n, "reads see the latest write")
				assert.Equal(t, "primary", on)
			}
			assert.Equal(t, 1, logs.count("sqlservice: replica lags behind: its reads go elsewhere"))

			require.NoError(t, s.resume())
			s.sync(t)
			require.Eventually(t, func() bool { return !db.Replicas()[0].Lagging }, 10*time.Second, 10*time.Millisecond)
			n, on = count()
			assert.Equal(t, 2, n)
			assert.Equal(t, "replica:1", on, "caught up: reads again")
			assert.Equal(t, 1, logs.count("sqlservice: replica caught up"))
		})
	}
}
