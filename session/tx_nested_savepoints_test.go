package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Under NestedSavepoints, a Transaction called directly inside behaves as
// it does on its own: its failure, its swallowed inner failure, its
// RollbackOnly and its NoCommit undo its own work only, and the enclosing
// transaction goes on and commits the rest.
func TestNestedSavepointsLevelsBehaveAsOnTheirOwn(t *testing.T) {
	refused := errors.New("refused")
	cases := []struct {
		name    string
		level   func(db *session.Client, ctx context.Context) error
		wantErr func(t *testing.T, err error)
		kept    bool // the level's row survives
	}{
		{"a level that succeeds keeps its work", func(db *session.Client, ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error { return add(ctx) })
		}, func(t *testing.T, err error) { assert.NoError(t, err) }, true},
		{"a level that fails undoes its work", func(db *session.Client, ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error {
				if err := add(ctx); err != nil {
					return err
				}
				return refused
			})
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, refused) }, false},
		{"a swallowed failure below the level undoes the level", func(db *session.Client, ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error {
				if err := add(ctx); err != nil {
					return err
				}
				_ = db.Transaction(ctx, func(ctx context.Context) error { return refused })
				return nil
			})
		}, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, session.ErrRolledBack)
			assert.ErrorIs(t, err, refused)
		}, false},
		{"a RollbackOnly level undoes its work", func(db *session.Client, ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error { return add(ctx) }, session.RollbackOnly())
		}, func(t *testing.T, err error) { assert.NoError(t, err) }, false},
		{"a NoCommit level undoes its work as nobody above it commits", func(db *session.Client, ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error { return add(ctx) }, session.NoCommit())
		}, func(t *testing.T, err error) { assert.NoError(t, err) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
				db := e.db.Client
				err := db.Transaction(ctx, func(ctx context.Context) error {
					require.NoError(t, add(ctx))
					tc.wantErr(t, tc.level(db, ctx))
					n, err := record.Query[Account](ctx).Count()
					require.NoError(t, err, "the enclosing transaction is usable")
					want := int64(1)
					if tc.kept {
						want = 2
					}
					assert.Equal(t, want, n)
					return add(ctx)
				}, session.NestedSavepoints())
				require.NoError(t, err)
				want := int64(2)
				if tc.kept {
					want = 3
				}
				assert.Equal(t, want, e.visible(t), "the enclosing transaction commits the rest")
			})
		})
	}
}

// A batch that runs units of work which each begin their own transaction:
// a unit that fails leaves nothing behind, and the batch commits the rest
// at once.
func ExampleNestedSavepoints() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Note{}); err != nil {
		log.Fatal(err)
	}
	// unit is code written to run on its own, in a transaction of its own.
	unit := func(ctx context.Context, text string) error {
		return db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Note{Text: text}).Save(ctx); err != nil {
				return err
			}
			if text == "" {
				return errors.New("empty note")
			}
			return nil
		})
	}

	err = db.Transaction(ctx, func(ctx context.Context) error {
		for _, text := range []string{"one", "", "three"} {
			if err := unit(ctx, text); err != nil {
				fmt.Println("skipped:", err)
			}
		}
		return nil
	}, session.NestedSavepoints())
	n, _ := record.Query[Note](ctx).Count()
	fmt.Println(err, n)
	// Output:
	// skipped: empty note
	// <nil> 2
}

// Under NestedSavepoints a write run directly in the transaction, not in
// a Transaction of its own, behaves as an autocommit statement would: it
// runs in its own savepoint, so its failure undoes only itself (and leaves
// the record as it was) and the transaction stays usable, on PostgreSQL
// too; a write that succeeds stays, with its identity-map entry, until the
// enclosing transaction ends.
func TestNestedSavepointsTopLevelWriteBehavesAsAutocommit(t *testing.T) {
	cases := []struct {
		name  string
		write func(t *testing.T, db *session.Client, ctx context.Context) error
	}{
		{"a failed Save of a record without hooks undoes only itself", func(t *testing.T, db *session.Client, ctx context.Context) error {
			dup := &Account{Email: "taken@x"}
			err := dup.Save(ctx)
			assert.Zero(t, dup.ID, "the failed Save leaves the record unsaved")
			return err
		}},
		{"a failed Exec undoes only itself", func(t *testing.T, db *session.Client, ctx context.Context) error {
			_, err := db.Exec(ctx, "INSERT INTO account (email) VALUES ('taken@x')")
			return err
		}},
		{"a failed Write undoes only itself", func(t *testing.T, db *session.Client, ctx context.Context) error {
			return session.Write(db, ctx, "INSERT INTO account (email) VALUES ('taken@x')")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachTx(t, func(t *testing.T, e *txEnv, ctx context.Context) {
				db := e.db.Client
				kept := &Account{Email: "taken@x"}
				err := db.Transaction(ctx, func(ctx context.Context) error {
					require.NoError(t, kept.Save(ctx))
					require.NotZero(t, kept.ID)

					assert.ErrorIs(t, tc.write(t, db, ctx), session.ErrDuplicateKey)

					n, err := record.Query[Account](ctx).Count()
					require.NoError(t, err, "the transaction is usable after the failed write")
					assert.Equal(t, int64(1), n)
					got, err := record.Get[Account](ctx, kept.ID)
					require.NoError(t, err)
					assert.Same(t, kept, got, "the successful write keeps its identity-map entry")
					return add(ctx)
				}, session.RollbackOnly(), session.NestedSavepoints())
				require.NoError(t, err)
				assert.Zero(t, e.visible(t))
				assert.Zero(t, kept.ID, "the enclosing rollback undoes the successful write's in-memory state")
				rolledBackTo := 0
				for _, s := range e.db.Log() {
					if strings.HasPrefix(s, "ROLLBACK TO") {
						rolledBackTo++
					}
				}
				assert.Equal(t, 1, rolledBackTo, "only the failed write was rolled back to its savepoint")
			})
		})
	}
}
