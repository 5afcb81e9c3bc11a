package migrate_test

import (
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/session"
)

// Several instances of one program start at once against a fresh
// database (a deployment rolling out N replicas that each run Up at
// start). Each has its own client, as separate processes do. Exactly one
// must apply the migration and none may fail.
func TestReviewRunnersStartingTogetherOnAFreshDatabase(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		dir := t.TempDir()
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_fresh (id INTEGER NOT NULL PRIMARY KEY);")
		const n = 6
		clients := make([]*session.Client, n)
		for i := range clients {
			c, err := session.Open(session.Config{DatabaseURI: db.URI})
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			clients[i] = c
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		counts := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := migrate.New(clients[i], os.DirFS(dir))
				if err != nil {
					errs[i] = err
					return
				}
				<-start
				ran, err := r.Up(clients[i].Context(t.Context()))
				errs[i], counts[i] = err, len(ran)
			}()
		}
		close(start)
		wg.Wait()
		total := 0
		for i := range errs {
			assert.NoError(t, errs[i], "runner %d", i)
			total += counts[i]
		}
		assert.Equal(t, 1, total, "the migration ran exactly once")
	})
}
