package record_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// prepareLog records the statements a client prepares.
type prepareLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *prepareLog) BeforeQuery(ctx context.Context, _ *session.QueryEvent) context.Context {
	return ctx
}

func (l *prepareLog) AfterQuery(_ context.Context, ev *session.QueryEvent) {
	if ev.Operation == session.OpPrepare {
		l.mu.Lock()
		l.sql = append(l.sql, ev.SQL)
		l.mu.Unlock()
	}
}

func (l *prepareLog) inserts() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, q := range l.sql {
		if strings.HasPrefix(q, "INSERT") {
			n++
		}
	}
	return n
}

// A multi-row INSERT whose row count repeats is prepared once, through the
// client's statement cache, and reused; one run once is not prepared.
func TestBulkInsertPreparesRepeatedRowCounts(t *testing.T) {
	log := &prepareLog{}
	opts := dbtest.Options{Models: queryModels, Config: session.Config{Hooks: []session.QueryHook{log}}}
	dbtest.Each(t, opts, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		record.ForgetInsertTexts()
		rows := func(n int) []map[string]any {
			out := make([]map[string]any, n)
			for i := range out {
				out[i] = map[string]any{"name": "n", "text": "t"}
			}
			return out
		}
		before := log.inserts()
		for round := range 3 {
			n, err := record.BulkInsert[QueryA](ctx, rows(13))
			require.NoError(t, err)
			assert.EqualValues(t, 13, n)
			want := min(round, 1) // prepared at the second statement of 13 rows
			assert.Equal(t, want, log.inserts()-before, "round %d", round)
		}
		_, err := record.BulkInsert[QueryA](ctx, rows(17)) // once: not prepared
		require.NoError(t, err)
		assert.Equal(t, 1, log.inserts()-before)
		count, err := record.Query[QueryA](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3*13+17, count)
	})
}
