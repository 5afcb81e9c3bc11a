package record_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// IterRow is the row streamed by TestIterKeepsMemoryFlat.
type IterRow struct {
	record.Base[IterRow]
	ID    int64  `db:"id,pk,autoincrement"`
	Name  string `db:"name"`
	Email string `db:"email"`
	N     int    `db:"n"`
}

// TestIterKeepsMemoryFlat streams a million rows (fifty thousand under
// -short) from an SQLite file and checks that the live heap, sampled after
// a collection every 5 % of the rows, stays within a bound far below what
// the rows would take if they were kept (about 100 bytes each). It
// measures memory, not time.
func TestIterKeepsMemoryFlat(t *testing.T) {
	rows := 1_000_000
	if testing.Short() {
		rows = 50_000
	}
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(t.TempDir(), "iter.db")})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := db.Context(context.Background())
	require.NoError(t, db.CreateAll(ctx, IterRow{}))
	const chunk = 50_000
	batch := make([]*IterRow, 0, chunk)
	for start := 0; start < rows; start += chunk {
		batch = batch[:0]
		for i := start; i < min(start+chunk, rows); i++ {
			batch = append(batch, &IterRow{Name: fmt.Sprintf("row %07d", i), Email: fmt.Sprintf("r%07d@example.com", i), N: i})
		}
		n, err := record.BulkInsert[IterRow](ctx, batch)
		require.NoError(t, err)
		require.EqualValues(t, len(batch), n)
	}
	batch = nil

	stream := func(t *testing.T, ctx context.Context, limit int) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var peak uint64
		seen := 0
		every := max(limit/20, 1)
		for r, err := range record.Query[IterRow](ctx).Limit(limit).Iter() {
			require.NoError(t, err)
			if int64(seen) != r.ID-1 {
				require.Equal(t, int64(seen+1), r.ID)
			}
			seen++
			if seen%every == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		require.Equal(t, limit, seen)
		growth := int64(peak) - int64(base)
		t.Logf("%d rows: live heap %d KiB before, %d KiB at most while streaming (%+d KiB)", limit, base>>10, peak>>10, growth>>10)
		// Kept rows would need limit*100 bytes; a stream needs a few slabs.
		assert.Less(t, growth, int64(8<<20), "the live heap grew while streaming")
	}
	t.Run("pool", func(t *testing.T) { stream(t, ctx, rows) })
	t.Run("in a transaction", func(t *testing.T) {
		// Inside a session, streamed rows do not pile up in its identity
		// map.
		err := db.Transaction(ctx, func(ctx context.Context) error {
			stream(t, ctx, min(rows, 200_000))
			return nil
		})
		require.NoError(t, err)
	})
}
