package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// openDB opens the connection pool of t. PostgreSQL connections are set to
// read TIMESTAMPTZ values in UTC: pgx would return them in time.Local,
// while the MySQL driver (Loc=UTC) and SQLite (times bound in UTC, see
// bindArgs) return UTC, and a time.Time should look the same whichever
// database it came from.
func openDB(t *target) (*sql.DB, error) {
	if t.driver != "pgx" {
		return sql.Open(t.driver, t.dsn)
	}
	cfg, err := pgx.ParseConfig(t.dsn) // pgx redacts the password in its errors
	if err != nil {
		return nil, err
	}
	// A context that ends under a statement cancels it the way psql's
	// Ctrl-C does, with a cancel request, and the connection (and its
	// transaction) lives on: a statement timeout inside a Savepoint level
	// rolls back only that level. Only a server that does not answer the
	// cancel request within cancelDeadline gets its connection closed.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelDeadline}
	}
	return stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}), stdlib.OptionResetSession(func(_ context.Context, c *pgx.Conn) error {
		// database/sql calls this before it reuses a pooled connection;
		// ErrBadConn makes it take another one (MySQL's driver does the
		// same check itself).
		if !idleConnAlive(c.PgConn().Conn()) {
			return driver.ErrBadConn
		}
		return nil
	})), nil
}

// cancelDeadline is how long a PostgreSQL statement whose context ended
// may take to stop after the cancel request before its connection is
// closed.
const cancelDeadline = 2 * time.Second
