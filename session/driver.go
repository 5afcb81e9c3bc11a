package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
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
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))}), nil
}

// cancelDeadline is how long a PostgreSQL statement whose context ended
// may take to stop after the cancel request before its connection is
// closed.
const cancelDeadline = 2 * time.Second

// pgConnector hands out pgx's connections wrapped in pgConn.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{cn.(*stdlib.Conn)}, nil
}

// pgConn is pgx's database/sql connection with one correction. pgx runs a
// statement with its simple protocol when it has no arguments (and every
// statement when the connection's default_query_exec_mode is
// simple_protocol), and when the connection is lost while the reply is
// read there, it reports the error as safe to retry, which its
// database/sql adapter turns into driver.ErrBadConn, on which database/sql
// sends the statement again: an INSERT whose reply was lost would be
// written twice. A connection that was open when such a statement started
// and is reported bad after it was lost during the statement; that is what
// pgConn reports instead.
type pgConn struct{ *stdlib.Conn }

// errLostDuring says that the connection was lost while a statement ran
// (see pgConn); it unwraps to io.ErrUnexpectedEOF, a lost connection.
var errLostDuring = fmt.Errorf("postgres: connection lost during the statement: %w", io.ErrUnexpectedEOF)

// simple reports whether pgx sends a statement with args with its simple
// protocol, and that the connection is open before it is sent.
func (c pgConn) simple(ctx context.Context, args []driver.NamedValue) bool {
	pc := c.Conn.Conn()
	if pc.IsClosed() || pc.PgConn().IsBusy() || ctx.Err() != nil {
		return false // pgx will refuse it unsent
	}
	return len(args) == 0 || pc.Config().DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol
}

func (c pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	simple := c.simple(ctx, args)
	res, err := c.Conn.ExecContext(ctx, query, args)
	if simple && errors.Is(err, driver.ErrBadConn) {
		return nil, errLostDuring
	}
	return res, err
}

func (c pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	simple := c.simple(ctx, args) && c.Conn.Conn().Config().DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if simple && errors.Is(err, driver.ErrBadConn) {
		return nil, errLostDuring
	}
	return rows, err
}
