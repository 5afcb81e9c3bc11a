package record_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

func countA(t *testing.T, ctx context.Context) int64 {
	t.Helper()
	n, err := record.Query[QueryA](ctx).Count()
	require.NoError(t, err)
	return n
}

// test_save: 10 existing records and a new one.
func TestSaveAllExistingAndNew(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		seedQ(t, ctx, 10)
		loaded, err := record.Find[QueryA](ctx)
		require.NoError(t, err)
		for _, a := range loaded {
			a.Text = "updated " + a.Name
		}
		fresh := &QueryA{Name: "new"}
		since := len(db.Log())
		out, err := record.SaveAll(ctx, append(loaded, fresh))
		require.NoError(t, err)
		require.Len(t, out, 11)
		for i, a := range loaded {
			assert.Same(t, a, out[i], "a loaded record is stored as itself")
		}
		assert.Same(t, fresh, out[10])
		assert.NotZero(t, fresh.ID)
		assert.False(t, fresh.IsNew())
		assert.Zero(t, countSQL(db, since, "SELECT"), "loaded records and keyless ones need no lookup")
		assert.Equal(t, 1, countSQL(db, since, "INSERT"))
		assert.Equal(t, 10, countSQL(db, since, "UPDATE"))
		assert.EqualValues(t, 11, countA(t, ctx))
		got, err := record.Get[QueryA](ctx, loaded[4].ID)
		require.NoError(t, err)
		assert.Equal(t, "updated "+loaded[4].Name, got.Text)

		empty, err := record.SaveAll[QueryA](ctx, nil)
		require.NoError(t, err)
		assert.Empty(t, empty)
	})
}

// test_save_upsert_dict: records built afresh with the keys of stored rows
// update those rows, with one SELECT.
func TestSaveAllUpsertsByPrimaryKey(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, bs := seedQ(t, ctx, 10)
		given := make([]*QueryA, len(as))
		for i, a := range as {
			given[i] = &QueryA{ID: a.ID, Name: a.Name, Text: "merged", Label: a.Label}
		}
		missing := &QueryA{ID: 5000, Name: "keyed but absent"}
		since := len(db.Log())
		out, err := record.SaveAll(ctx, append(given, missing))
		require.NoError(t, err)
		assert.Equal(t, 1, countSQL(db, since, "SELECT"), "one SELECT for the whole call")
		assert.Equal(t, 1, countSQL(db, since, "INSERT"))
		assert.Equal(t, 10, countSQL(db, since, "UPDATE"))
		assert.EqualValues(t, 11, countA(t, ctx))
		for i, r := range out[:10] {
			assert.NotSame(t, given[i], r, "the row's record is returned, as the original returns the persistent instance")
			assert.Equal(t, as[i].ID, r.ID)
			assert.Equal(t, "merged", r.Text)
			assert.False(t, r.IsNew())
		}
		assert.Same(t, missing, out[10])
		got, err := record.Get[QueryA](ctx, 5000)
		require.NoError(t, err)
		assert.Equal(t, "keyed but absent", got.Name)

		// Composite keys.
		gb := []*QueryB{{ID1: bs[0].ID1, ID2: bs[0].ID2, Name: "changed"}, {ID1: 1, ID2: 2, Name: "fresh"}}
		outB, err := record.SaveAll(ctx, gb)
		require.NoError(t, err)
		assert.Equal(t, "changed", outB[0].Name)
		b0, err := record.Get[QueryB](ctx, record.Key{"id1": bs[0].ID1, "id2": bs[0].ID2})
		require.NoError(t, err)
		assert.Equal(t, "changed", b0.Name)
		nb, err := record.Query[QueryB](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 11, nb)

		// Inside a session the session's own records are returned, and
		// those it holds need no SELECT.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			held, err := record.Find[QueryA](ctx, builder.Lt{"id": as[5].ID})
			require.NoError(t, err)
			fresh := []*QueryA{{ID: as[0].ID, Name: "again"}, {ID: as[7].ID, Name: "again"}}
			since := len(db.Log())
			out, err := record.SaveAll(ctx, fresh)
			require.NoError(t, err)
			assert.Same(t, held[0], out[0])
			assert.Equal(t, "again", held[0].Name)
			assert.Equal(t, as[7].ID, out[1].ID)
			assert.Equal(t, 1, countSQL(db, since, "SELECT"))
			assert.Contains(t, lastSQL(db, "SELECT"), "IN (", "only the row the session lacks is looked up")
			return nil
		})
		require.NoError(t, err)
	})
}

// test_save_by_identity
func TestSaveAllByIdentity(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		first := &QueryA{Name: "a"}
		require.NoError(t, first.Save(ctx))
		given := &QueryA{Name: "a", Text: "foobar"}
		out, err := record.SaveAll(ctx, []*QueryA{given}, record.Identity("name"))
		require.NoError(t, err)
		assert.Equal(t, first.ID, out[0].ID)
		assert.Equal(t, first.ID, given.ID, "the row's key is copied onto the given record")
		assert.Equal(t, "foobar", out[0].Text)
		assert.EqualValues(t, 1, countA(t, ctx))
		got, err := record.Get[QueryA](ctx, first.ID)
		require.NoError(t, err)
		assert.Equal(t, "foobar", got.Text)

		// In a session, the very record saved first is returned.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			f := &QueryA{Name: "b"}
			require.NoError(t, f.Save(ctx))
			out, err := record.SaveAll(ctx, []*QueryA{{Name: "b", Text: "foobar"}, {Name: "c"}}, record.Identity("Name"))
			require.NoError(t, err)
			assert.Same(t, f, out[0])
			assert.Equal(t, "foobar", f.Text)
			assert.True(t, out[1].ID > f.ID)
			return nil
		})
		require.NoError(t, err)
		assert.EqualValues(t, 3, countA(t, ctx))

		// Identity by a nullable column matches NULL, and several columns
		// match together.
		code := "k1"
		withCode := &QueryA{Name: "coded", Code: &code, Label: "x"}
		require.NoError(t, withCode.Save(ctx))
		out, err = record.SaveAll(ctx, []*QueryA{
			{Name: "coded", Code: &code, Label: "y"},
			{Name: "b", Label: "nullcode"},
		}, record.Identity("name", "code"))
		require.NoError(t, err)
		assert.Equal(t, withCode.ID, out[0].ID)
		b, err := record.FindOne[QueryA](ctx, builder.Eq{"name": "b"})
		require.NoError(t, err)
		assert.Equal(t, out[1].ID, b.ID, "(name, NULL) matched the row whose code is NULL")
		assert.Equal(t, "nullcode", b.Label)
		assert.EqualValues(t, 4, countA(t, ctx))

		// An identity that matches several rows is an error.
		require.NoError(t, (&QueryA{Name: "twin", Label: "same"}).Save(ctx))
		require.NoError(t, (&QueryA{Name: "twin2", Label: "same"}).Save(ctx))
		_, err = record.SaveAll(ctx, []*QueryA{{Label: "same"}}, record.Identity("label"))
		assert.ErrorContains(t, err, "more than one row")
	})
}

// test_save_duplicate_primary_key_error: found before any SQL.
func TestSaveAllDuplicateInBatch(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		_, err := record.SaveAll(ctx, []*QueryA{{ID: 1}, {ID: 2}, {ID: 1}})
		require.ErrorIs(t, err, record.ErrDuplicateRecord)
		var de *record.DuplicateRecordError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, 0, de.First)
		assert.Equal(t, 2, de.Second)
		assert.Equal(t, []string{"id"}, de.Columns)

		_, err = record.SaveAll(ctx, []*QueryB{{ID1: 1, ID2: 2}, {ID1: 1, ID2: 2}})
		assert.ErrorIs(t, err, record.ErrDuplicateRecord)
		_, err = record.SaveAll(ctx, []*QueryB{{ID1: 1, ID2: 2}, {ID1: 2, ID2: 1}, {ID1: 1, ID2: 3}})
		assert.NoError(t, err, "keys differing in one column are distinct")

		before = db.Statements()
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "x"}, {Name: "y"}, {Name: "x"}}, record.Identity("name"))
		assert.ErrorIs(t, err, record.ErrDuplicateRecord)
		p := &QueryA{Name: "same pointer"}
		_, err = record.SaveAll(ctx, []*QueryA{p, p}, record.Identity("name"))
		assert.ErrorIs(t, err, record.ErrDuplicateRecord)
		// Records without a key are not duplicates of each other.
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "x"}, {Name: "x"}})
		require.NoError(t, err)
		assert.Equal(t, before+4, db.Statements(), "only the last call ran SQL: BEGIN, two INSERTs, COMMIT")
		assert.EqualValues(t, 2, countA(t, ctx))
	})
}

// A duplicate in the table fails the whole call and writes nothing.
func TestSaveAllDuplicateInTableWritesNothing(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		taken := "taken"
		existing := &QueryA{Name: "e", Code: &taken, Text: "keep"}
		require.NoError(t, existing.Save(ctx))
		loaded, err := record.Get[QueryA](ctx, existing.ID)
		require.NoError(t, err)
		loaded.Text = "lost"

		fresh := &QueryA{Name: "fresh"}
		clash := &QueryA{Name: "clash", Code: &taken}
		_, err = record.SaveAll(ctx, []*QueryA{loaded, fresh, clash})
		require.Error(t, err)
		var dbe *record.DBError
		assert.ErrorAs(t, err, &dbe)
		assert.EqualValues(t, 1, countA(t, ctx))
		got, err := record.Get[QueryA](ctx, existing.ID)
		require.NoError(t, err)
		assert.Equal(t, "keep", got.Text)

		// The records are as they were before the call.
		assert.Zero(t, fresh.ID)
		assert.True(t, fresh.IsNew())
		assert.True(t, clash.IsNew())
		assert.Equal(t, "lost", loaded.Text)
		assert.Equal(t, []string{"text"}, loaded.Changed())

		// A key given through an identity lookup that misses is inserted
		// as is: an existing key is a conflict, not an overwrite.
		_, err = record.SaveAll(ctx, []*QueryA{{ID: existing.ID, Name: "other name"}}, record.Identity("name"))
		require.Error(t, err)
		got, err = record.Get[QueryA](ctx, existing.ID)
		require.NoError(t, err)
		assert.Equal(t, "e", got.Name)

		// Inside a transaction the failure dooms the transaction.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, (&QueryA{Name: "inside"}).Save(ctx))
			_, err := record.SaveAll(ctx, []*QueryA{{Name: "c2", Code: &taken}})
			return err
		})
		require.Error(t, err)
		assert.EqualValues(t, 1, countA(t, ctx))
	})
}

// test_before_save_* and test_after_save_*
func TestSaveAllCallbacks(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		stored := &QueryA{Name: "stored"}
		require.NoError(t, stored.Save(ctx))
		type call struct {
			when  string
			name  string
			isNew bool
		}
		var calls []call
		hook := func(when string) func(ctx context.Context, a *QueryA, isNew bool) error {
			return func(ctx context.Context, a *QueryA, isNew bool) error {
				calls = append(calls, call{when, a.Name, isNew})
				return nil
			}
		}
		out, err := record.SaveAll(ctx, []*QueryA{
			stored,
			{Name: "fresh"},
			{ID: stored.ID, Name: "merged"},
		}, record.Before(hook("before")), record.After(hook("after")))
		require.Error(t, err, "stored and merged are the same row")
		assert.Nil(t, out)
		assert.Empty(t, calls)

		out, err = record.SaveAll(ctx, []*QueryA{
			stored,                    // loaded: an update
			{Name: "fresh"},           // no key: an insert
			{ID: 9999, Name: "keyed"}, // key not in the table: an insert
		}, record.Before(hook("before")), record.After(hook("after")))
		require.NoError(t, err)
		assert.Equal(t, []call{
			{"before", "fresh", true}, {"after", "fresh", true},
			{"before", "keyed", true}, {"after", "keyed", true},
			{"before", "stored", false}, {"after", "stored", false},
		}, calls, "inserts run before updates")

		calls = nil
		_, err = record.SaveAll(ctx, []*QueryA{{ID: stored.ID, Name: "by key"}}, record.Before(hook("before")))
		require.NoError(t, err)
		assert.Equal(t, []call{{"before", "by key", false}}, calls)

		// A callback sees the record stored: the row's record when merged.
		var seen *QueryA
		out, err = record.SaveAll(ctx, []*QueryA{{ID: stored.ID, Name: "seen"}},
			record.After(func(ctx context.Context, a *QueryA, isNew bool) error { seen = a; return nil }))
		require.NoError(t, err)
		assert.Same(t, out[0], seen)

		// An error from a callback rolls everything back.
		boom := errors.New("boom")
		n := countA(t, ctx)
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "one"}, {Name: "two"}},
			record.After(func(ctx context.Context, a *QueryA, isNew bool) error {
				if a.Name == "two" {
					return boom
				}
				return nil
			}))
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, n, countA(t, ctx))
	})
}

func TestSaveAllBadInputRunsNoSQL(t *testing.T) {
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		before := db.Statements()
		_, err := record.SaveAll(ctx, []*QueryA{{Name: "x"}, nil})
		assert.ErrorContains(t, err, "record 1 is nil")
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "x"}}, record.Identity("bogus"))
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "x"}}, record.Identity())
		assert.ErrorContains(t, err, "at least one column")
		_, err = record.SaveAll(ctx, []*QueryA{{Name: "x"}},
			record.Before(func(ctx context.Context, b *QueryB, isNew bool) error { return nil }))
		assert.ErrorContains(t, err, "another model")
		assert.Equal(t, before, db.Statements())
		assert.Zero(t, countA(t, ctx))
	})
}

// Hooked models get their hooks from SaveAll, not from the bulk helpers.
type Hooked struct {
	record.Base[Hooked]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=20"`
}

var hookedLog []string

func (h *Hooked) BeforeSave(ctx context.Context) error {
	hookedLog = append(hookedLog, "before save "+h.Name)
	if h.Name == "refuse" {
		return errors.New("refused")
	}
	return nil
}

func (h *Hooked) AfterInsert(ctx context.Context) error {
	hookedLog = append(hookedLog, fmt.Sprintf("after insert %s", h.Name))
	return nil
}

func (h *Hooked) AfterUpdate(ctx context.Context) error {
	hookedLog = append(hookedLog, fmt.Sprintf("after update %s", h.Name))
	return nil
}

func TestSaveAllFiresModelHooksBulkDoesNot(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Hooked{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		hookedLog = nil
		old := &Hooked{Name: "old"}
		require.NoError(t, old.Save(ctx))
		hookedLog = nil
		_, err := record.SaveAll(ctx, []*Hooked{{ID: old.ID, Name: "upd"}, {Name: "new"}})
		require.NoError(t, err)
		assert.Equal(t, []string{"before save new", "after insert new", "before save upd", "after update upd"}, hookedLog)

		hookedLog = nil
		_, err = record.SaveAll(ctx, []*Hooked{{Name: "fine"}, {Name: "refuse"}})
		assert.ErrorContains(t, err, "refused")
		n, err := record.Query[Hooked](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)

		hookedLog = nil
		_, err = record.BulkInsert[Hooked](ctx, []*Hooked{{Name: "refuse"}, {Name: "b"}})
		require.NoError(t, err)
		_, err = record.BulkInsertMany[Hooked](ctx, []map[string]any{{"name": "c"}})
		require.NoError(t, err)
		_, err = record.BulkUpdate[Hooked](ctx, []string{"id"}, []map[string]any{{"id": old.ID, "name": "refuse"}})
		require.NoError(t, err)
		assert.Empty(t, hookedLog, "bulk helpers fire no hooks")
	})
}
