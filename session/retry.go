package session

import (
	"database/sql/driver"
	"errors"
	"io"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
)

// lostConnection reports whether err says that the pooled connection a
// statement was sent on had already been closed by the server (a restart,
// an idle timeout, an administrator's kill), so that running the statement
// once more, on a fresh connection, is safe. Statements inside a
// transaction are never retried: the transaction died with its connection.
//
// Reads retry on any lost-connection error. Writes retry only when the
// error proves that the statement did not run: PostgreSQL's termination
// notices (a terminated backend never commits the statement it was
// reading) and driver.ErrBadConn (which database/sql retries itself too).
func lostConnection(err error, write bool) bool {
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return false
	}
	if write {
		return false
	}
	return errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
