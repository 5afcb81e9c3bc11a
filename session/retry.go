package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
)

// This file owns the rules for a statement whose connection failed: when
// it may be sent again, and when its outcome is unknown. Statements inside
// a transaction are never re-sent (the transaction died with its
// connection); on the pool:
//
//   - any statement is re-sent once when the driver proves it was never
//     sent (notSent);
//   - a plain read (a SELECT, not Exec) is re-sent once after any
//     lost-connection error (lostConn): running it twice changes nothing;
//   - a write is never re-sent otherwise, and when its connection was lost
//     under it its error matches ErrCommitUnknown (outcomeUnknown).

// retrySafe reports whether a statement on the pool that failed with err
// may run once more on a fresh connection. write is true for Exec, which
// may write whatever its text; other statements are judged by their text.
func retrySafe(err error, write bool, query string) bool {
	if notSent(err) {
		return true
	}
	return !mayWrite(write, query) && lostConn(err)
}

// mayWrite reports whether a statement may change data: every Exec, and
// every query that is not a SELECT (INSERT ... RETURNING, WITH ... AS
// (UPDATE ...), a CALL). A SELECT that calls a function with side effects
// is the caller's to make idempotent; the README says so.
func mayWrite(write bool, query string) bool { return write || !isSelect(query) }

// notSent reports whether the driver proves that the statement never
// reached the server: database/sql's driver.ErrBadConn (which MySQL's
// driver returns only before writing a packet, pgx's only when nothing was
// sent) and a driver's own proof (pgx's safe-to-retry errors).
func notSent(err error) bool {
	return errors.Is(err, driver.ErrBadConn) || classify(err).notSent
}

// lostConn reports whether err says the connection died under the
// statement: closed by the server (a restart, an idle timeout, a kill) or
// by the network, or found closed. Each database's file says which of its
// driver's errors mean that.
func lostConn(err error) bool {
	if errors.Is(err, driver.ErrBadConn) {
		return true
	}
	if c := classify(err); c.notSent || c.lostConn {
		return true
	}
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &ne)
}

// outcomeUnknown reports whether a write on the pool (which commits by
// itself) that failed with err may nevertheless have committed: its
// connection was lost, or its context ended, after it was sent (run sends
// nothing once the context has ended).
func outcomeUnknown(err error) bool {
	if notSent(err) {
		return false
	}
	return lostConn(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// commitOutcomeUnknown is outcomeUnknown for a COMMIT. A driver's
// safe-to-retry mark is no proof here: when the reply to a statement
// without arguments (as COMMIT is) is lost, pgx v5 reports "conn closed" as
// safe to retry. What proves that COMMIT was not sent is database/sql's own
// refusal (the transaction's context had ended, or it was already rolled
// back: it returns those errors unwrapped) or MySQL's driver's ErrBadConn.
// What proves its outcome is the database's own answer (see
// errorClass.answered: a server's error other than its session ending, or
// any error of an embedded database). Any other error leaves the outcome
// unknown.
func commitOutcomeUnknown(err error) bool {
	if err == context.Canceled || err == context.DeadlineExceeded ||
		errors.Is(err, sql.ErrTxDone) || errors.Is(err, driver.ErrBadConn) {
		return false
	}
	return !classify(err).answered
}
