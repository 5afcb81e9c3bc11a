package session_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/galeratest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Tally and VTally are the counters of the Galera counter test; VTally
// has a version column.
type Tally struct {
	record.Base[Tally]
	ID int64 `db:"id,pk,autoincrement"`
	N  int64 `db:"n"`
}

type VTally struct {
	record.Base[VTally]
	ID      int64 `db:"id,pk,autoincrement"`
	N       int64 `db:"n"`
	Version int64 `db:"version,version"`
}

// TestGaleraCounter is the lost-update test on a three-node Galera
// cluster: three clients, one per node, four goroutines each, increment 20
// counters for a bounded time with read-modify-write transactions. The
// plain pattern loses increments (logged); ForUpdate with Retry, and the
// version column with Retry, lose none: Galera reports a conflicting
// commit on another node as a certification failure (1213), which Retry
// runs again.
func TestGaleraCounter(t *testing.T) {
	c := galeratest.Start(t)
	strategies := []struct {
		name      string
		opts      []session.TxOption
		increment func(ctx context.Context, id int64) error
		lossless  bool
	}{
		{"plain Get and Save", nil, func(ctx context.Context, id int64) error {
			x, err := record.Get[Tally](ctx, id)
			if err != nil {
				return err
			}
			x.N++
			return x.Save(ctx)
		}, false},
		{"ForUpdate and Retry", []session.TxOption{session.Retry(50)}, func(ctx context.Context, id int64) error {
			x, err := record.Query[Tally](ctx).ForUpdate().Where(builder.Eq{"id": id}).One()
			if err != nil {
				return err
			}
			x.N++
			return x.Save(ctx)
		}, true},
		{"version and Retry", []session.TxOption{session.Retry(50)}, func(ctx context.Context, id int64) error {
			x, err := record.Get[VTally](ctx, id)
			if err != nil {
				return err
			}
			x.N++
			return x.Save(ctx)
		}, true},
	}
	for _, s := range strategies {
		t.Run(s.name, func(t *testing.T) {
			name := fmt.Sprintf("counter%d", len(s.name))
			c.CreateDatabase(t, name)
			clients := make([]*session.Client, galeratest.Nodes)
			for n := range clients {
				db, err := session.Open(session.Config{DatabaseURI: c.URI(n+1, name)})
				require.NoError(t, err)
				t.Cleanup(func() { db.Close() })
				clients[n] = db
			}
			ctx := clients[0].Context(context.Background())
			require.NoError(t, clients[0].CreateAll(ctx, Tally{}, VTally{}))
			ids := make([]int64, 20)
			for i := range ids {
				x := &Tally{}
				require.NoError(t, x.Save(ctx))
				v := &VTally{}
				require.NoError(t, v.Save(ctx))
				require.Equal(t, x.ID, v.ID, "both tables get the same keys")
				ids[i] = x.ID
			}
			time.Sleep(200 * time.Millisecond) // the rows reach every node
			var commits, attempts, failures atomic.Int64
			deadline := time.Now().Add(4 * time.Second)
			var wg sync.WaitGroup
			for n, db := range clients {
				for g := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ctx := db.Context(context.Background())
						for i := 0; time.Now().Before(deadline); i++ {
							id := ids[(n*4+g+i*7)%len(ids)]
							err := db.Transaction(ctx, func(ctx context.Context) error {
								attempts.Add(1)
								return s.increment(ctx, id)
							}, s.opts...)
							if err == nil {
								commits.Add(1)
							} else {
								failures.Add(1)
								if !errors.Is(err, session.ErrRetryable) {
									t.Errorf("%s: a conflict on a Galera cluster is retryable: %v", s.name, err)
									return
								}
								if s.lossless {
									t.Errorf("%s: %v", s.name, err)
									return
								}
							}
						}
					}()
				}
			}
			wg.Wait()
			// Read back on a node with causal reads: every commit on any
			// node is applied before the read.
			reader, err := session.Open(session.Config{DatabaseURI: c.URI(1, name) + "?wsrep_sync_wait=1"})
			require.NoError(t, err)
			defer reader.Close()
			table := "tally"
			if strings.HasPrefix(s.name, "version") {
				table = "v_tally"
			}
			var total int64
			require.NoError(t, reader.QueryRow(context.Background(), "SELECT COALESCE(SUM(n), 0) FROM "+table).Scan(&total))
			lost := commits.Load() - total
			t.Logf("Galera, %s: %d commits, %d retries, %d failed, %d lost increments",
				s.name, commits.Load(), attempts.Load()-commits.Load()-failures.Load(), failures.Load(), lost)
			if s.lossless {
				assert.Zero(t, lost, "no increment is lost")
				assert.Positive(t, commits.Load())
			}
		})
	}
}
