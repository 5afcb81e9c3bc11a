package session_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// ph returns the dialect's n-th placeholder.
func ph(db *dbtest.DB, n int) string {
	if db.Dialect == "postgres" {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

func TestClientTranslatesConstraintErrors(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		for _, stmt := range []string{
			`CREATE TABLE kv (k INTEGER NOT NULL, tenant INTEGER NOT NULL, v VARCHAR(20), PRIMARY KEY (tenant, k))`,
			`CREATE TABLE solo (id INTEGER NOT NULL PRIMARY KEY)`,
		} {
			_, err := db.Exec(ctx, stmt)
			require.NoError(t, err)
		}
		ins := fmt.Sprintf(`INSERT INTO solo (id) VALUES (%s)`, ph(db, 1))
		_, err := session.ExecCached(db.Client, ctx, ins, 1)
		require.NoError(t, err)

		_, err = session.ExecCached(db.Client, ctx, ins, 1)
		var ce *session.ConstraintError
		require.ErrorAs(t, err, &ce, "primary key duplicate through Exec")
		assert.ErrorIs(t, err, session.ErrDuplicateKey)
		if db.Dialect != "mysql" { // MySQL names the index PRIMARY, not the column
			assert.Equal(t, "id", ce.Column)
		}

		kv := fmt.Sprintf(`INSERT INTO kv (tenant, k, v) VALUES (%s, %s, %s)`, ph(db, 1), ph(db, 2), ph(db, 3))
		_, err = db.Exec(ctx, kv, 1, 1, "a")
		require.NoError(t, err)
		_, err = db.Exec(ctx, kv, 1, 1, "b")
		require.ErrorAs(t, err, &ce, "composite key duplicate")
		assert.Equal(t, session.ErrDuplicateKey, ce.Kind)
		if db.Dialect != "mysql" {
			assert.Equal(t, "tenant, k", ce.Column)
		}

		// QueryRow defers its error to Scan, which translates it.
		q := fmt.Sprintf(`INSERT INTO solo (id) VALUES (%s) RETURNING id`, ph(db, 1))
		if db.Dialect == "mysql" {
			q = `SELECT id FROM solo WHERE id = ?` // no RETURNING: a NULL into NOT NULL below instead
		}
		var id int
		err = db.QueryRow(ctx, q, 1).Scan(&id)
		if db.Dialect != "mysql" {
			assert.ErrorIs(t, err, session.ErrDuplicateKey, "QueryRow ... Scan")
		} else {
			require.NoError(t, err)
		}

		_, err = db.Exec(ctx, kv, 1, nil, "c")
		assert.ErrorIs(t, err, session.ErrNotNull)
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "k", ce.Column)

		// Anything else passes through untouched.
		_, err = db.Exec(ctx, `SELECT * FROM no_such_table`)
		require.Error(t, err)
		assert.NotErrorAs(t, err, &ce)
		err = db.QueryRow(ctx, fmt.Sprintf(`SELECT id FROM solo WHERE id = %s`, ph(db, 1)), 99).Scan(&id)
		assert.Same(t, sql.ErrNoRows, err)
	})
}

func TestDeferredViolationIsTranslatedAtCommit(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		if db.Dialect == "mysql" {
			// MySQL cannot defer a foreign key: the statement itself fails,
			// translated the same way, and the transaction rolls back.
			for _, stmt := range []string{
				`CREATE TABLE dparent (id INTEGER NOT NULL PRIMARY KEY) ENGINE=InnoDB`,
				`CREATE TABLE dchild (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER NOT NULL, FOREIGN KEY (parent_id) REFERENCES dparent (id)) ENGINE=InnoDB`,
			} {
				_, err := db.Exec(ctx, stmt)
				require.NoError(t, err)
			}
			err := db.Transaction(ctx, func(ctx context.Context) error {
				_, err := db.Exec(ctx, `INSERT INTO dchild (id, parent_id) VALUES (1, 42)`)
				return err
			})
			assert.ErrorIs(t, err, session.ErrForeignKey)
			assert.NotContains(t, err.Error(), "commit")
			return
		}
		deferrable, deferAll := " DEFERRABLE INITIALLY DEFERRED", ""
		if db.Dialect == "sqlite" {
			deferrable, deferAll = "", "PRAGMA defer_foreign_keys = ON"
		}
		for _, stmt := range []string{
			`CREATE TABLE dparent (id INTEGER NOT NULL PRIMARY KEY)`,
			`CREATE TABLE dchild (id INTEGER NOT NULL PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES dparent (id)` + deferrable + `)`,
		} {
			_, err := db.Exec(ctx, stmt)
			require.NoError(t, err)
		}
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if deferAll != "" {
				if _, err := db.Exec(ctx, deferAll); err != nil {
					return err
				}
			}
			_, err := db.Exec(ctx, `INSERT INTO dchild (id, parent_id) VALUES (1, 42)`)
			return err // accepted until COMMIT
		})
		require.Error(t, err)
		assert.ErrorIs(t, err, session.ErrForeignKey)
		var ce *session.ConstraintError
		require.ErrorAs(t, err, &ce)
		assert.Contains(t, err.Error(), "commit")

		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT COUNT(*) FROM dchild`).Scan(&n))
		assert.Zero(t, n, "the failed commit left nothing behind")
	})
}

func TestTranslateError(t *testing.T) {
	assert.NoError(t, session.TranslateError(nil))
	other := errors.New("other")
	assert.Same(t, other, session.TranslateError(other))
	ce := &session.ConstraintError{Kind: session.ErrCheck, Err: other}
	wrapped := fmt.Errorf("ctx: %w", ce)
	assert.Same(t, wrapped, session.TranslateError(wrapped), "translating twice changes nothing")
	assert.Equal(t, "session: check constraint violation: other", ce.Error())
	ce = &session.ConstraintError{Kind: session.ErrDuplicateKey, Table: "user", Constraint: "user_email_key", Column: "email", Err: other}
	assert.Equal(t, "session: duplicate key (table user, constraint user_email_key, column email): other", ce.Error())
}
