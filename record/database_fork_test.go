package record_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// forkDialect is SQLite's dialect built with the historical limit of 999
// parameters per statement (SQLITE_MAX_VARIABLE_NUMBER before 3.32). Being
// a type of its own, it also proves that nothing compares a client's
// dialect with builder.SQLite or its name.
type forkDialect struct{ builder.Dialect }

func (forkDialect) Name() string   { return "sqlite-fork" }
func (forkDialect) MaxParams() int { return 999 }

// sqliteFork is a fourth database: SQLite's session side, unchanged, with
// forkDialect. Registering it is all a fork takes.
type sqliteFork struct{ session.Database }

func (sqliteFork) Dialect() builder.Dialect { return forkDialect{builder.SQLite} }

func init() {
	lite, ok := session.Lookup("sqlite")
	if !ok {
		panic("sqlite is not registered")
	}
	session.Register("sqlite-fork", sqliteFork{lite})
}

// ForkNote is written through the forked database.
type ForkNote struct {
	record.Base[ForkNote]
	ID      int64     `db:"id,pk,autoincrement"`
	Title   string    `db:"title,unique"`
	Words   int       `db:"words"`
	Written time.Time `db:"written"`
}

// bulkInserts counts the multi-row INSERT statements of ForkNote and
// their largest argument count.
type bulkInserts struct {
	mu         sync.Mutex
	n, maxArgs int
}

func (h *bulkInserts) BeforeQuery(ctx context.Context, ev *session.QueryEvent) context.Context {
	if strings.HasPrefix(ev.SQL, `INSERT INTO "fork_note"`) && ev.Args > 3 {
		h.mu.Lock()
		h.n++
		h.maxArgs = max(h.maxArgs, ev.Args)
		h.mu.Unlock()
	}
	return ctx
}

func (h *bulkInserts) AfterQuery(context.Context, *session.QueryEvent) {}

// A database registered under a scheme of its own is opened from its URI
// and serves the record layer like the built-in ones: schema, writes,
// reads, its driver's errors translated, transactions, its own quirks.
func TestARegisteredForkServesRecords(t *testing.T) {
	bulk := &bulkInserts{}
	db, err := session.Open(session.Config{DatabaseURI: "sqlite-fork:///" + filepath.Join(t.TempDir(), "fork.db"),
		Hooks: []session.QueryHook{bulk}})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.Equal(t, "sqlite-fork", db.Dialect().Name())
	ctx := db.Context(context.Background())
	require.NoError(t, db.CreateAll(ctx, ForkNote{}))

	written := time.Date(2025, 12, 22, 9, 30, 15, 0, time.FixedZone("UTC+1", 3600))
	n, err := record.New[ForkNote](map[string]any{"title": "first", "words": 3, "written": written})
	require.NoError(t, err)
	require.NoError(t, n.Insert(ctx))
	assert.NotZero(t, n.ID)

	got, err := record.FindOne[ForkNote](ctx, builder.Eq{"written": written})
	require.NoError(t, err, "times are bound as SQLite's text through the fork")
	assert.Equal(t, "first", got.Title)
	require.NoError(t, got.Update(map[string]any{"words": 4}))
	require.NoError(t, got.Save(ctx))
	again, err := record.Get[ForkNote](ctx, n.ID)
	require.NoError(t, err)
	assert.Equal(t, 4, again.Words)

	dup, err := record.New[ForkNote](map[string]any{"title": "first", "written": written})
	require.NoError(t, err)
	err = dup.Insert(ctx)
	require.ErrorIs(t, err, session.ErrDuplicateKey, "the fork's driver errors are translated")

	err = db.Transaction(ctx, func(ctx context.Context) error {
		n, err := record.New[ForkNote](map[string]any{"title": "rolled back", "written": written})
		if err != nil {
			return err
		}
		if err := n.Insert(ctx); err != nil {
			return err
		}
		return errors.New("undo")
	})
	require.EqualError(t, err, "undo")
	_, err = record.FindOne[ForkNote](ctx, builder.Eq{"title": "rolled back"})
	require.ErrorIs(t, err, record.ErrNotFound)

	// 600 rows of 3 columns are 1800 parameters: more than the fork's
	// 999, so BulkInsert splits them.
	rows := make([]map[string]any, 600)
	for i := range rows {
		rows[i] = map[string]any{"title": fmt.Sprint("bulk ", i), "words": i, "written": written}
	}
	inserted, err := record.BulkInsert[ForkNote](ctx, rows)
	require.NoError(t, err)
	assert.EqualValues(t, 600, inserted)
	assert.Equal(t, 2, bulk.n, "1800 parameters are two statements of at most 999")
	assert.LessOrEqual(t, bulk.maxArgs, 999)
	count, err := record.Query[ForkNote](ctx).Count()
	require.NoError(t, err)
	assert.EqualValues(t, 601, count)

	plan, err := db.Diff(ctx, ForkNote{})
	require.NoError(t, err)
	assert.True(t, plan.Empty(), "the fork reads its schema back as SQLite does: %v", plan)
	require.NoError(t, got.Destroy(ctx))
}
