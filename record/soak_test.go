package record_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// SoakRow is written by the soak test; Tag identifies the write that made it.
type SoakRow struct {
	record.Base[SoakRow]
	ID     int64  `db:"id,pk,autoincrement"`
	Worker int    `db:"worker,index"`
	Tag    string `db:"tag,size=40,unique"`
	Value  int    `db:"value"`
}

var errPlanned = errors.New("planned rollback")

// TestSoak runs 16 goroutines of mixed reads, writes, nested transactions
// and savepoints against one client, then checks that every committed write
// is there with its last value, every rolled-back write is absent, nothing
// else exists, and no goroutine was left behind.
func TestSoak(t *testing.T) {
	dur := dbtest.SoakDuration(t)
	for _, d := range dbtest.Dialects {
		t.Run("soak="+d, func(t *testing.T) {
			// The shared admin pool dbtest keeps for creating databases
			// lives on: start it before counting. Everything the client
			// starts must end with Close.
			dbtest.URI(t, d)
			baseline := runtime.NumGoroutine()
			db := dbtest.Open(t, d, dbtest.Options{Models: []any{SoakRow{}}})
			ctx := db.Ctx()
			const workers = 16
			var ops, commits, rollbacks atomic.Int64
			want := make([]map[string]int, workers) // tag → value of committed rows
			gone := make([]map[string]bool, workers)
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			deadline := time.Now().Add(dur)
			for w := range workers {
				want[w], gone[w] = map[string]int{}, map[string]bool{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := soakWorker(ctx, db.Client, w, deadline, want[w], gone[w], &ops, &commits, &rollbacks); err != nil {
						errs <- fmt.Errorf("worker %d: %w", w, err)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			all, err := record.Query[SoakRow](ctx).All()
			require.NoError(t, err)
			found := map[string]int{}
			for _, r := range all {
				found[r.Tag] = r.Value
			}
			var lost, extra, ghosts int
			for w := range workers {
				for tag, v := range want[w] {
					if got, ok := found[tag]; !ok || got != v {
						lost++
					}
					delete(found, tag)
				}
				for tag := range gone[w] {
					if _, ok := found[tag]; ok {
						ghosts++
					}
				}
			}
			extra = len(found)
			t.Logf("%s: %d operations, %d commits, %d rollbacks, %d rows; lost %d, rolled-back rows present %d, unexpected rows %d",
				d, ops.Load(), commits.Load(), rollbacks.Load(), len(all), lost, ghosts, extra)
			assert.Zero(t, lost, "committed writes lost")
			assert.Zero(t, ghosts, "rolled-back writes visible")
			assert.Zero(t, extra-ghosts, "rows nobody wrote")
			assert.Positive(t, commits.Load())
			assert.Positive(t, rollbacks.Load())

			require.NoError(t, db.Close())
			assertNoLeak(t, baseline)
		})
	}
}

func soakWorker(ctx context.Context, db *session.Client, w int, deadline time.Time, want map[string]int, gone map[string]bool, ops, commits, rollbacks *atomic.Int64) error {
	rng := rand.New(rand.NewPCG(uint64(w), 42))
	seq := 0
	tag := func() string { seq++; return fmt.Sprintf("w%d-%d", w, seq) }
	var mine []int64 // ids of committed rows of this worker
	for time.Now().Before(deadline) {
		ops.Add(1)
		switch op := rng.IntN(7); op {
		case 0: // a single write outside any transaction
			r := &SoakRow{Worker: w, Tag: tag(), Value: rng.IntN(1000)}
			if err := r.Save(ctx); err != nil {
				return err
			}
			want[r.Tag], mine = r.Value, append(mine, r.ID)
			commits.Add(1)
		case 1, 2: // a transaction of two writes that commits or rolls back
			fail := op == 2
			rows := []*SoakRow{{Worker: w, Tag: tag(), Value: 1}, {Worker: w, Tag: tag(), Value: 2}}
			err := db.Transaction(ctx, func(ctx context.Context) error {
				for _, r := range rows {
					if err := r.Save(ctx); err != nil {
						return err
					}
				}
				if fail {
					return errPlanned
				}
				return nil
			})
			switch {
			case fail && errors.Is(err, errPlanned):
				for _, r := range rows {
					gone[r.Tag] = true
				}
				rollbacks.Add(1)
			case !fail && err == nil:
				for _, r := range rows {
					want[r.Tag], mine = r.Value, append(mine, r.ID)
				}
				commits.Add(1)
			default:
				return fmt.Errorf("transaction (fail=%v): %w", fail, err)
			}
		case 3: // nested levels with a savepoint that rolls back
			outer, inner := &SoakRow{Worker: w, Tag: tag(), Value: 3}, &SoakRow{Worker: w, Tag: tag(), Value: 4}
			err := db.Transaction(ctx, func(ctx context.Context) error {
				if err := db.Transaction(ctx, outer.Save); err != nil {
					return err
				}
				err := db.Transaction(ctx, func(ctx context.Context) error {
					if err := inner.Save(ctx); err != nil {
						return err
					}
					return errPlanned
				}, session.Savepoint())
				if !errors.Is(err, errPlanned) {
					return fmt.Errorf("savepoint: %w", err)
				}
				return nil
			})
			if err != nil {
				return err
			}
			want[outer.Tag], mine = outer.Value, append(mine, outer.ID)
			gone[inner.Tag] = true
			commits.Add(1)
		case 4: // update one of this worker's rows
			if len(mine) == 0 {
				continue
			}
			r, err := record.Get[SoakRow](ctx, mine[rng.IntN(len(mine))])
			if err != nil {
				return err
			}
			r.Value = rng.IntN(1000) + 1000
			if err := r.Save(ctx); err != nil {
				return err
			}
			want[r.Tag] = r.Value
		default: // reads
			if _, err := record.Query[SoakRow](ctx).Where(builder.Eq{"worker": w}).OrderBy("-id").Limit(5).All(); err != nil {
				return err
			}
			if _, err := record.Query[SoakRow](ctx).Count(); err != nil {
				return err
			}
		}
	}
	return nil
}

// assertNoLeak waits for the goroutines started since baseline to end.
func assertNoLeak(t *testing.T, baseline int) {
	t.Helper()
	var n int
	for range 100 {
		if n = runtime.NumGoroutine(); n <= baseline {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<16)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("%d goroutines left running (baseline %d):\n%s", n, baseline, buf)
}
