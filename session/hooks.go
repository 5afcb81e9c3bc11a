package session

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Operation is the kind of statement a QueryHook sees.
type Operation uint8

// The operations. A statement run for its effect (INSERT, UPDATE, DELETE,
// DDL, a write run as a query on SQLite) is OpExec; one whose rows are
// read is OpQuery. The transaction control statements that database/sql
// sends itself have operations of their own, and so do the savepoint
// statements of a Savepoint level.
const (
	OpExec      Operation = iota + 1 // "exec"
	OpQuery                          // "query"
	OpPrepare                        // "prepare": a statement prepared for reuse
	OpBegin                          // "begin": BEGIN of a transaction
	OpCommit                         // "commit"
	OpRollback                       // "rollback"
	OpSavepoint                      // "savepoint": SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT
)

var opNames = [...]string{"", "exec", "query", "prepare", "begin", "commit", "rollback", "savepoint"}

// String returns the operation's name: "exec", "query", "prepare",
// "begin", "commit", "rollback" or "savepoint".
func (op Operation) String() string {
	if int(op) < len(opNames) && op > 0 {
		return opNames[op]
	}
	return "Operation(" + strconv.Itoa(int(op)) + ")"
}

// QueryEvent describes one statement to the client's hooks. BeforeQuery
// sees every field but Duration and Err; AfterQuery sees them all. The
// event belongs to the client until AfterQuery returns: a hook must not
// keep it.
type QueryEvent struct {
	Operation Operation
	// SQL is the statement's text, with placeholders: values are never
	// part of it. BEGIN, COMMIT and ROLLBACK, which database/sql sends in
	// its own words, read "BEGIN", "COMMIT" and "ROLLBACK".
	SQL string
	// Args is the number of arguments bound to the statement.
	Args int
	// Dialect is the database's dialect name: "sqlite", "mysql" or
	// "postgres".
	Dialect string
	// Server names where the statement ran: "primary", or "replica:N" for
	// the N-th of Config.Replicas.
	Server string
	// Addr is that server's host:port (host only when the URI has no
	// port); empty for SQLite.
	Addr string
	// Start is when the statement was handed to the driver.
	Start time.Time
	// Duration is how long it took, up to when its error (if any) was
	// known: see QueryHook.
	Duration time.Duration
	// Err is the error the caller sees for the statement (translated as
	// TranslateError does), nil on success.
	Err error

	ctxs   []context.Context // what each hook's BeforeQuery returned, for its AfterQuery
	ctxBuf [4]context.Context
	pool   *sql.DB // the pool of Server, for echo's pool statistics
}

// QueryHook observes every statement a Client sends: logging, tracing,
// metrics (Config.Hooks). BeforeQuery is called before the statement is
// sent and returns the context the statement runs with (a hook can add a
// span to it; return ctx itself otherwise): each hook's BeforeQuery gets
// the context the one before it returned, and the statement runs with the
// last one's. AfterQuery is called once the statement's outcome is known,
// with the context the same hook's BeforeQuery returned. Hooks run in the
// order of Config.Hooks before the statement and in reverse order after
// it, on the caller's goroutine; they must be safe for concurrent use, as
// the Client is.
//
// When AfterQuery runs: for an exec, prepare and the transaction control
// statements, when the call returns. For Client.Query, when the query's
// first reply has arrived (the *sql.Rows is returned): an error that only
// shows while the rows are read reaches the caller through Rows.Err and
// is not seen by the hook. For Client.QueryRow, at Row.Scan, with the
// error Scan returns (sql.ErrNoRows included): call Scan, as database/sql
// requires anyway. A statement sent twice (a read retried on a fresh
// connection after the first was lost) is two events.
//
// A hook must not cancel in AfterQuery a context its BeforeQuery made:
// the rows of a Query are read with it afterwards.
//
// OpPrepare is the client preparing a statement for its cache or for
// Client.Prepare; database/sql preparing the same statement again on
// another connection of the pool, or on a transaction's, is not seen.
// Not seen either: pings, the client's own health checks and lag probes
// of replicas, the read of a MySQL server's settings, and statements run
// on DB() or a connection taken from it directly.
type QueryHook interface {
	BeforeQuery(ctx context.Context, ev *QueryEvent) context.Context
	AfterQuery(ctx context.Context, ev *QueryEvent)
}

// before starts the event of one statement on server (its pool db, its
// address addr) and runs the hooks' BeforeQuery. Callers check c.hooks
// first, so that a client without hooks pays one comparison per statement.
func (c *Client) before(ctx context.Context, op Operation, server, addr string, db *sql.DB, query string, nargs int) (context.Context, *QueryEvent) {
	ev := &QueryEvent{Operation: op, SQL: query, Args: nargs, Dialect: c.dialect.Name(),
		Server: server, Addr: addr, pool: db}
	ev.ctxs = ev.ctxBuf[:0]
	for _, h := range c.hooks {
		ctx = h.BeforeQuery(ctx, ev)
		ev.ctxs = append(ev.ctxs, ctx)
	}
	ev.Start = time.Now()
	return ctx, ev
}

// beforePrimary is before for a statement on the primary's pool.
func (c *Client) beforePrimary(ctx context.Context, op Operation, query string, nargs int) (context.Context, *QueryEvent) {
	return c.before(ctx, op, primaryServer, c.addr, c.db, query, nargs)
}

// after ends ev with the statement's error err (translated, so that the
// hooks see what the caller sees) and runs the hooks' AfterQuery. A nil ev
// (no hooks) is a no-op, inlined into the caller.
func (c *Client) after(ev *QueryEvent, err error) {
	if ev != nil {
		c.endEvent(ev, err)
	}
}

func (c *Client) endEvent(ev *QueryEvent, err error) {
	ev.Duration = time.Since(ev.Start)
	ev.Err = TranslateError(err)
	for i := len(c.hooks) - 1; i >= 0; i-- {
		c.hooks[i].AfterQuery(ev.ctxs[i], ev)
	}
}

// serverAddr returns the host:port of a masked URI, "" when it has none
// (SQLite).
func serverAddr(masked string) string {
	u, err := url.Parse(masked)
	if err != nil || u.Host == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(u.Host); err != nil {
		return u.Hostname()
	}
	return u.Host
}

// echoHook is Config.Echo: it logs each statement through the client's
// logger once it has run, with its duration, argument count, server and
// error, and with Config.EchoPool the statistics of the pool it ran on.
// Values are never logged. Prepares are not echoed: they are not the
// caller's statements.
type echoHook struct{ c *Client }

func (h echoHook) BeforeQuery(ctx context.Context, _ *QueryEvent) context.Context { return ctx }

func (h echoHook) AfterQuery(ctx context.Context, ev *QueryEvent) {
	c := h.c
	switch ev.Operation {
	case OpPrepare:
		return
	case OpBegin:
		attrs := []slog.Attr{slog.String("sql", ev.SQL), slog.String("db", ev.Dialect), slog.String("server", ev.Server)}
		if ev.Err != nil {
			attrs = append(attrs, slog.String("error", ev.Err.Error()))
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "sqlservice: statement", attrs...)
		return
	case OpCommit, OpRollback:
		c.log.LogAttrs(ctx, slog.LevelInfo, "sqlservice: statement", slog.String("sql", ev.SQL),
			slog.String("db", ev.Dialect), slog.String("server", ev.Server), slog.Any("error", ev.Err))
		return
	}
	attrs := []slog.Attr{
		slog.String("sql", ev.SQL),
		slog.Int("args", ev.Args),
		slog.Duration("duration", ev.Duration),
		slog.String("db", ev.Dialect),
		slog.String("server", ev.Server),
	}
	if ev.Err != nil {
		attrs = append(attrs, slog.String("error", ev.Err.Error()))
	}
	if c.cfg.EchoPool && ev.pool != nil {
		attrs = append(attrs, poolAttrs(ev.pool)...)
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "sqlservice: statement", attrs...)
}
