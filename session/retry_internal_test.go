package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type errorRule struct {
	name                    string
	err                     error
	retryable, lost, commit bool // ErrRetryable; lost connection; COMMIT outcome unknown
}

// moderncErrors returns a busy and a constraint error as the pure-Go
// SQLite driver reports them (its error type cannot be built by hand).
func moderncErrors(t *testing.T) (busy, constraint error) {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "rules.db") + "?_busy_timeout=0&_txlock=immediate"
	a, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer a.Close()
	b, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer b.Close()
	_, err = a.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)")
	require.NoError(t, err)
	_, err = a.Exec("INSERT INTO t VALUES (1)")
	require.NoError(t, err)
	_, constraint = a.Exec("INSERT INTO t VALUES (1)")
	require.Error(t, constraint)
	tx, err := a.Begin()
	require.NoError(t, err)
	defer tx.Rollback()
	_, busy = b.Begin()
	require.Error(t, busy)
	return busy, constraint
}

// The driver errors each rule of retry.go and retryable.go accepts, as the
// drivers return them (wrapped, as record wraps them).
func TestErrorRules(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("record: update Account: %w", err) }
	cases := []errorRule{
		{"postgres serialization failure", &pgconn.PgError{Code: "40001"}, true, false, false},
		{"postgres deadlock", &pgconn.PgError{Code: "40P01"}, true, false, false},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false, false, false},
		{"postgres admin shutdown", &pgconn.PgError{Code: "57P01"}, false, true, true},
		{"postgres connection failure", &pgconn.PgError{Code: "08006"}, false, true, true},
		{"postgres commit answered rollback", pgx.ErrTxCommitRollback, false, false, false},
		{"mysql deadlock (and Galera certification failure)", &mysql.MySQLError{Number: 1213}, true, false, false},
		{"mysql lock wait timeout", &mysql.MySQLError{Number: 1205}, true, false, false},
		{"mysql duplicate key", &mysql.MySQLError{Number: 1062}, false, false, false},
		{"mysql connection killed", &mysql.MySQLError{Number: 1927}, false, true, true},
		{"mysql invalid connection", mysql.ErrInvalidConn, false, true, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, true, true},
		{"bad connection: never sent", driver.ErrBadConn, false, true, false},
		{"database/sql refused: transaction done", sql.ErrTxDone, false, false, false},
		{"database/sql refused: context ended", context.Canceled, false, false, false},
	}
	busy, constraint := moderncErrors(t)
	cases = append(cases,
		errorRule{"sqlite busy (modernc)", busy, true, false, false},
		errorRule{"sqlite constraint (modernc)", constraint, false, false, false})
	cases = append(cases, cgoSQLiteRules...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := wrap(c.err)
			assert.Equal(t, c.retryable, errors.Is(TranslateError(err), ErrRetryable), "ErrRetryable")
			assert.Equal(t, c.lost, lostConn(err), "lost connection")
			if c.err != context.Canceled { // database/sql returns that one unwrapped
				assert.Equal(t, c.commit, commitOutcomeUnknown(err), "COMMIT outcome unknown")
			}
			assert.True(t, errors.Is(TranslateError(err), c.err), "the driver error stays wrapped")
		})
	}
	assert.False(t, commitOutcomeUnknown(context.Canceled), "database/sql's own refusal: not sent")
	assert.True(t, commitOutcomeUnknown(fmt.Errorf("timeout: %w", context.DeadlineExceeded)), "pgx gave up waiting for the reply")
	assert.True(t, retrySafe(io.ErrUnexpectedEOF, false, "SELECT 1"), "a plain read is sent again")
	assert.False(t, retrySafe(io.ErrUnexpectedEOF, false, "INSERT INTO t VALUES (1) RETURNING id"), "a write is not")
	assert.False(t, retrySafe(io.ErrUnexpectedEOF, true, "SELECT f()"), "nor an Exec")
	assert.True(t, retrySafe(driver.ErrBadConn, true, "INSERT INTO t VALUES (1)"), "unless it was never sent")
}
