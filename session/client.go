package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// Client owns the connection pool of one database and the configuration of
// how models are read and written there. It is safe for concurrent use.
type Client struct {
	db        *sql.DB
	dialect   builder.Dialect
	cfg       Config
	target    *target
	isolation sql.IsolationLevel
	log       *slog.Logger

	// The client's Database (database.go), and what it says, read once.
	database      Database
	writesAsQuery bool
	refusesNaN    bool
	bindTime      func(i int, a any, t time.Time) (any, error) // nil: the driver binds times itself

	hooks  []QueryHook // Config.Hooks, and echoHook with Config.Echo; nil when none (hooks.go)
	addr   string      // the primary's host:port, for QueryEvent.Addr
	closed atomic.Bool

	stmts  *stmtCache // the prepared statements of the pool (stmtcache.go)
	server serverOnce // MySQL server facts, read once (server.go)

	tablesMu sync.RWMutex
	tables   map[string]*Table

	replicas *replicaSet // nil without Config.Replicas (replica.go)

	sessionsMu sync.Mutex
	sessions   map[*Session]struct{} // open explicit sessions (Begin)

	streamsMu sync.Mutex
	streams   map[*stream]struct{} // open streams on the pool (stream.go)
	nstreams  atomic.Int32
	borrowed  bool         // db was given to OpenDB: Close leaves it open
	nested    atomic.Int32 // NestedSavepoints transactions running (see stmtLevel)
}

// Open connects to the database of cfg.DatabaseURI and applies the pool
// settings. It returns a *URIError for a URI it cannot use and a
// *ConfigError for a bad setting; with PoolPrePing it also returns the
// error of the first ping.
func Open(cfg Config) (*Client, error) {
	if cfg.DatabaseURI == "" {
		cfg.DatabaseURI = "sqlite://"
	}
	t, err := parseURI(cfg.DatabaseURI, cfg.Encoding)
	if err != nil {
		return nil, err
	}
	iso, err := isolation(cfg.IsolationLevel)
	if err != nil {
		return nil, &ConfigError{Key: "SQL_ISOLATION_LEVEL", Reason: err.Error()}
	}
	if cfg.PoolSize < 0 {
		return nil, &ConfigError{Key: "SQL_POOL_SIZE", Reason: "must not be negative"}
	}
	if cfg.PoolTimeout < 0 || cfg.PoolRecycle < 0 {
		return nil, &ConfigError{Key: "SQL_POOL_TIMEOUT/SQL_POOL_RECYCLE", Reason: "must not be negative"}
	}
	var db *sql.DB
	if len(cfg.Primaries) > 0 {
		if db, err = openPrimaries(t, cfg); err != nil {
			return nil, err
		}
	} else if db, err = t.db.open(t); err != nil {
		return nil, &URIError{URI: t.masked, Reason: err.Error()}
	}
	c := newClient(db, t, cfg, iso)
	if cfg.PoolPrePing || t.memory {
		// An in-memory database exists only while its connection is open:
		// open it now so that it lives as long as the client.
		if err := c.Ping(context.Background()); err != nil {
			db.Close()
			return nil, err
		}
	}
	if len(cfg.Replicas) > 0 {
		if c.replicas, err = openReplicas(c); err != nil {
			db.Close()
			return nil, err
		}
		if cfg.PoolPrePing {
			c.CheckReplicas(context.Background()) // takes out (and warns of) those that do not answer
		}
	}
	return c, nil
}

// OpenMap opens a client from the original's SQL_* configuration keys (see
// Config for what each does). An unknown key is a *ConfigError.
func OpenMap(m map[string]any) (*Client, error) {
	cfg, err := ConfigFromMap(m)
	if err != nil {
		return nil, err
	}
	return Open(cfg)
}

func (c *Client) configurePool() {
	cfg := c.cfg
	if c.target.memory {
		// Each connection to ":memory:" is a separate database.
		c.db.SetMaxOpenConns(1)
		c.db.SetMaxIdleConns(1)
		c.db.SetConnMaxLifetime(0)
		c.db.SetConnMaxIdleTime(0)
		return
	}
	if cfg.PoolSize > 0 {
		c.db.SetMaxIdleConns(cfg.PoolSize)
		if cfg.MaxOverflow >= 0 {
			c.db.SetMaxOpenConns(cfg.PoolSize + cfg.MaxOverflow)
		}
	}
	if cfg.PoolRecycle > 0 {
		c.db.SetConnMaxLifetime(cfg.PoolRecycle)
	}
}

// String describes the client with its password masked, e.g.
// `Client("postgres://app:***@db:5432/app")`.
func (c *Client) String() string { return fmt.Sprintf("Client(%q)", c.target.masked) }

// URI returns the database URI with its password masked.
func (c *Client) URI() string { return c.target.masked }

// Config returns the configuration the client was opened with.
func (c *Client) Config() Config { return c.cfg }

// DB returns the underlying *sql.DB for anything this package does not
// cover. Statements run on it directly do not join a Transaction.
func (c *Client) DB() *sql.DB { return c.db }

// Dialect returns the SQL dialect of the client's database.
func (c *Client) Dialect() builder.Dialect { return c.dialect }

// Close rolls back and ends the sessions opened with Begin and not closed,
// then closes the prepared statements and the pool, so that every
// connection is given back. Further use of the client returns ErrClosed.
// Closing twice is not an error.
func (c *Client) Close() error {
	c.sessionsMu.Lock()
	first := c.closed.CompareAndSwap(false, true)
	c.sessionsMu.Unlock()
	if !first {
		return nil
	}
	if c.cfg.EchoPool {
		c.logPool("close")
	}
	errs := []error{c.closeSessions()}
	errs = append(errs, c.stmts.close())
	if !c.borrowed { // a pool given to OpenDB stays its owner's
		errs = append(errs, c.db.Close())
	}
	if c.replicas != nil {
		errs = append(errs, c.replicas.close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers. A connection that the server
// closed while it sat idle in the pool (a restart, an idle timeout) is
// discarded and the ping tried again, on fresh connections once the stale
// ones are gone, so that a health check does not fail once per restart.
func (c *Client) Ping(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err := ping(ctx, c.db)
	if err != nil {
		return fmt.Errorf("session: ping %s: %w", c.target.masked, err)
	}
	return nil
}

// ping pings db, trying again while the error says only that a pooled
// connection was stale: at most once per idle connection, plus one.
func ping(ctx context.Context, db *sql.DB) error {
	err := db.PingContext(ctx)
	for tries := db.Stats().Idle + 1; err != nil && tries > 0 && ctx.Err() == nil && lostConn(err); tries-- {
		err = db.PingContext(ctx)
	}
	return err
}

var defaultClient atomic.Pointer[Client]

// SetDefault makes c the client of record operations whose context carries
// none; nil clears it.
func SetDefault(c *Client) { defaultClient.Store(c) }

// Default returns the client set with SetDefault, or nil.
func Default() *Client { return defaultClient.Load() }

// conn is what statements run on: the session's transaction when the
// context carries one of this client, else the pool.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (c *Client) conn(ctx context.Context) (conn, *Session, error) {
	return c.connIn(ctx, sessionFor(ctx, c))
}

// connIn is conn for the session s of c that ctx carries (nil: none), as
// sessionFor returns it: for callers that resolved it already.
func (c *Client) connIn(ctx context.Context, s *Session) (conn, *Session, error) {
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	if s == nil {
		if c.nstreams.Load() > 0 {
			c.spillStarved(c.db)
		}
		return c.db, nil, nil
	}
	tx, err := s.enter(ctx)
	if err != nil {
		return nil, nil, err
	}
	return tx, s, nil
}

// prepared returns the statement prepared once for query on this client,
// with a reference to release when the statement has run; nil when
// statements are not cached (Config.StatementCacheSize < 0).
// Inside a transaction it returns nil for a statement not prepared yet: the
// statement runs unprepared on the transaction this once and is prepared
// when the transaction ends (see Session.deferPrepare). Preparing it at
// once would need a second connection of the pool, which the transaction
// may hold the only one of (an in-memory SQLite database), and which could
// not see tables the transaction created.
func (c *Client) prepared(ctx context.Context, query string, s *Session) (*cachedStmt, error) {
	if !c.stmts.enabled() {
		return nil, nil
	}
	if e := c.stmts.acquire(query); e != nil {
		return e, nil
	}
	if s != nil {
		s.deferPrepare(query)
		return nil, nil
	}
	return c.stmts.prepare(context.WithoutCancel(ctx), c.db, query)
}

// runner says how one kind of statement runs on a pool or transaction
// (conn) and on a prepared statement, and whether it is a write whatever
// its text (Exec); a query's text decides for the others (see retrySafe).
type runner[R any] struct {
	onConn func(ctx context.Context, cn conn, query string, args []any) (R, error)
	onStmt func(ctx context.Context, st *sql.Stmt, args []any) (R, error)
	write  bool
	op     Operation // what the client's hooks are told
	// holds: a result still read from the session's connection after run
	// returns (a Row, read by Scan) keeps the session claimed until then,
	// so that no other goroutine's statement runs on the connection while
	// the row is read (ErrConcurrentUse instead).
	holds bool
	// inPlace: the arguments are bound in the caller's slice, which is
	// the statement's alone (see bindArgs).
	inPlace bool
}

var (
	execRunner = runner[sql.Result]{
		onConn: func(ctx context.Context, cn conn, q string, a []any) (sql.Result, error) {
			return cn.ExecContext(ctx, q, a...)
		},
		onStmt: func(ctx context.Context, st *sql.Stmt, a []any) (sql.Result, error) { return st.ExecContext(ctx, a...) },
		write:  true,
		op:     OpExec,
	}
	queryRunner = runner[*sql.Rows]{
		onConn: func(ctx context.Context, cn conn, q string, a []any) (*sql.Rows, error) {
			return cn.QueryContext(ctx, q, a...)
		},
		onStmt: func(ctx context.Context, st *sql.Stmt, a []any) (*sql.Rows, error) { return st.QueryContext(ctx, a...) },
		op:     OpQuery,
	}
	// writeRunner runs a write as a query, whose rows it drains: see
	// Client.write.
	writeRunner = runner[struct{}]{
		onConn: func(ctx context.Context, cn conn, q string, a []any) (struct{}, error) {
			return drain(cn.QueryContext(ctx, q, a...))
		},
		onStmt: func(ctx context.Context, st *sql.Stmt, a []any) (struct{}, error) {
			return drain(st.QueryContext(ctx, a...))
		},
		write: true,
		op:    OpExec,
	}
	rowRunner = runner[*sql.Row]{
		onConn: func(ctx context.Context, cn conn, q string, a []any) (*sql.Row, error) {
			row := cn.QueryRowContext(ctx, q, a...)
			return row, row.Err()
		},
		onStmt: func(ctx context.Context, st *sql.Stmt, a []any) (*sql.Row, error) {
			row := st.QueryRowContext(ctx, a...)
			return row, row.Err()
		},
		op:    OpQuery,
		holds: true,
	}
)

// run runs one statement on the primary: in the context's transaction, or
// on the pool; prepared once per client when cached. A statement on the
// pool that certainly did not run, or a plain read, runs once more on a
// fresh connection when the first was lost (retrySafe owns the rule).
//
// Each attempt is one statement for the client's hooks. With evOut set
// (QueryRow), the event of a statement that returned no error is handed
// back there unended, for Row.Scan to end.
//
// s is the session of c that ctx carries, as sessionFor returns it.
func run[R any](c *Client, ctx context.Context, s *Session, r runner[R], cached bool, own *sql.Stmt, query string, args []any, evOut **QueryEvent) (res R, err error) {
	cn, s, err := c.connIn(ctx, s)
	if err != nil {
		return res, err
	}
	if s != nil {
		defer func() {
			if !r.holds || err != nil {
				s.leave()
			} // else the result's reader leaves (Row.Scan)
		}()
	}
	if err := ctx.Err(); err != nil {
		// Nothing is sent once the context has ended, so that a context
		// error after sending always means the statement ran, or may have.
		return res, err
	}
	if args, err = c.bindArgs(args, r.inPlace); err != nil {
		return res, err
	}
	for attempt := 0; ; attempt++ {
		var st *cachedStmt
		err = nil // the attempt before's error is not this one's
		if cached {
			st, err = c.prepared(ctx, query, s)
		}
		rctx := ctx
		var ev *QueryEvent
		if c.hooks != nil {
			rctx, ev = c.beforePrimary(ctx, r.op, query, len(args))
		}
		switch {
		case err != nil:
		case own != nil: // a statement of Client.Prepare, where it was prepared
			res, err = r.onStmt(rctx, own, args)
		case st == nil:
			res, err = r.onConn(rctx, cn, query, args)
		case s != nil:
			res, err = r.onStmt(rctx, s.txStmt(rctx, cn.(*sql.Tx), st.st), args)
		default:
			res, err = r.onStmt(rctx, st.st, args)
		}
		st.release() // rows and transactions keep what they still need
		refused := err != nil && c.refusedByPrimary(err)
		done := err == nil || s != nil || attempt > 0 || !(refused || retrySafe(err, r.write, query))
		if done && err != nil && s == nil && mayWrite(r.write, query) && outcomeUnknown(err) {
			// A write on the pool commits by itself: when its reply
			// was lost, so is the knowledge whether it did.
			err = fmt.Errorf("%w: %w", ErrCommitUnknown, err)
		}
		if ev != nil {
			if evOut != nil && err == nil {
				*evOut = ev // Row.Scan ends it, with the error it finds
			} else {
				c.after(ev, err)
			}
		}
		if done {
			return res, err
		}
	}
}

// Exec runs a statement in the context's transaction, or on the pool, and
// returns its result. A violated constraint is returned as a
// *ConstraintError (see TranslateError); a write on the pool whose reply
// was lost, as an error matching ErrCommitUnknown. The statement is not
// kept prepared: the client's statement cache is for the fixed statements
// of the record package, whose texts come from a bounded set.
func (c *Client) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.exec(ctx, false, query, args)
}

// exec is Exec, prepared once per client and reused when cached (for SQL
// text drawn from a bounded set only: see stmtCache).
func (c *Client) exec(ctx context.Context, cached bool, query string, args []any) (sql.Result, error) {
	return c.execIn(ctx, sessionFor(ctx, c), cached, false, query, args)
}

// execIn is exec in s, the session of c that ctx carries (see resolve);
// inPlace binds args in args itself (see bindArgs).
func (c *Client) execIn(ctx context.Context, s *Session, cached, inPlace bool, query string, args []any) (sql.Result, error) {
	lvl, err := c.stmtLevel(ctx)
	if err != nil {
		return nil, err
	}
	r := execRunner
	r.inPlace = inPlace
	res, err := run(c, ctx, s, r, cached, nil, query, args, nil)
	return res, lvl.end(ctx, TranslateError(err))
}

// write runs a statement whose result is not wanted (no RowsAffected, no
// LastInsertId), in the context's transaction or on the pool; cached as for
// exec. On SQLite it runs the statement as a query: the driver binds a
// query's parameters in one call into SQLite, but an Exec's one call per
// parameter, which dominates a multi-row INSERT of hundreds of them.
func (c *Client) write(ctx context.Context, cached bool, query string, args []any) error {
	if !c.writesAsQuery {
		_, err := c.exec(ctx, cached, query, args)
		return err
	}
	lvl, err := c.stmtLevel(ctx)
	if err != nil {
		return err
	}
	_, err = run(c, ctx, sessionFor(ctx, c), writeRunner, cached, nil, query, args, nil)
	return lvl.end(ctx, TranslateError(err))
}

func drain(rows *sql.Rows, err error) (struct{}, error) {
	if err != nil {
		return struct{}{}, err
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, rows.Err()
}

// Query runs a query in the context's transaction, or on the pool, unprepared
// as Exec. With Config.Replicas, a SELECT outside a session runs on a
// replica (see Config.Replicas and Primary).
func (c *Client) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.query(ctx, false, query, args)
}

// query is Query, cached as for exec.
func (c *Client) query(ctx context.Context, cached bool, query string, args []any) (*sql.Rows, error) {
	return c.queryIn(ctx, sessionFor(ctx, c), cached, query, args)
}

// queryIn is query in s, the session of c that ctx carries (see resolve).
func (c *Client) queryIn(ctx context.Context, s *Session, cached bool, query string, args []any) (*sql.Rows, error) {
	if c.replicas != nil {
		if rows, _, ok, err := c.queryReplica(ctx, cached, query, args, nil); ok {
			return rows, err
		}
	}
	rows, err := run(c, ctx, s, queryRunner, cached, nil, query, args, nil)
	return rows, TranslateError(err)
}

// QueryRow runs a query expected to return at most one row; errors are
// deferred to Row.Scan as in database/sql. It is routed as Query is. The
// client's hooks see the statement end at Scan. Always Scan the Row: a
// write's own savepoint under NestedSavepoints ends there too, and inside a
// transaction the session stays claimed until then (another goroutine's
// statement on it gets ErrConcurrentUse instead of the connection while
// the row is read).
func (c *Client) QueryRow(ctx context.Context, query string, args ...any) *Row {
	return c.queryRow(ctx, false, query, args)
}

// queryRow is QueryRow, cached as for exec.
func (c *Client) queryRow(ctx context.Context, cached bool, query string, args []any) *Row {
	return c.queryRowIn(ctx, sessionFor(ctx, c), cached, false, query, args)
}

// queryRowIn is queryRow in s, the session of c that ctx carries (see
// resolve); inPlace binds args in args itself (see bindArgs).
func (c *Client) queryRowIn(ctx context.Context, s *Session, cached, inPlace bool, query string, args []any) *Row {
	var ev *QueryEvent
	if c.replicas != nil {
		if _, row, ok, err := c.queryReplica(ctx, cached, query, args, &ev); ok {
			if row == nil {
				return &Row{err: err}
			}
			return &Row{row: row, c: c, ev: ev}
		}
	}
	var lvl *stmtLevel
	if c.nested.Load() != 0 && mayWrite(false, query) {
		// INSERT ... RETURNING, say: its savepoint ends at Scan, when
		// the row has been read (see NestedSavepoints).
		var err error
		if lvl, err = c.stmtLevel(ctx); err != nil {
			return &Row{err: err}
		}
	}
	r := rowRunner
	r.inPlace = inPlace
	row, err := run(c, ctx, s, r, cached, nil, query, args, &ev)
	if row == nil {
		return &Row{err: lvl.end(ctx, TranslateError(err))}
	}
	var held *Session
	if err == nil {
		held = s // run left it claimed: Scan leaves it
	}
	// A write's reply may be lost while Scan reads it (INSERT ...
	// RETURNING): outside a transaction that makes its outcome unknown.
	return &Row{row: row, write: s == nil && mayWrite(false, query), c: c, ev: ev, lvl: lvl, ctx: ctx, held: held}
}

// Row is the result of QueryRow: database/sql's *sql.Row, or the error that
// stopped the query before it ran.
type Row struct {
	row   *sql.Row
	err   error
	write bool        // a write on the pool: see QueryRow
	c     *Client     // with ev: the client whose hooks Scan tells
	ev    *QueryEvent // the statement's event, ended by Scan; nil without hooks
	lvl   *stmtLevel  // the write's own savepoint, ended by Scan; see NestedSavepoints
	ctx   context.Context
	held  *Session // the session claimed until Scan has read the row (see runner.holds)
}

// Scan copies the row's columns into dest; sql.ErrNoRows when there is none,
// a *ConstraintError for a violated constraint (see TranslateError), and
// for a write outside a transaction whose reply was lost, an error
// matching ErrCommitUnknown.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	err := r.row.Scan(dest...)
	if r.held != nil { // the row is read (and closed): the session is free
		r.held.leave()
		r.held = nil
	}
	if err != nil && r.write && outcomeUnknown(err) {
		err = fmt.Errorf("%w: %w", ErrCommitUnknown, err)
	} else {
		err = TranslateError(err)
	}
	if r.ev != nil {
		ev := r.ev
		r.ev = nil // once, should Scan be called again
		r.c.after(ev, err)
	}
	if r.lvl != nil {
		lvl := r.lvl
		r.lvl = nil
		err = lvl.end(r.ctx, err)
	}
	return err
}

func (c *Client) poolAttrs() []slog.Attr { return poolAttrs(c.db) }

func poolAttrs(db *sql.DB) []slog.Attr {
	st := db.Stats()
	return []slog.Attr{slog.Group("pool",
		slog.Int("open", st.OpenConnections), slog.Int("in_use", st.InUse),
		slog.Int("idle", st.Idle), slog.Int64("waits", st.WaitCount))}
}

func (c *Client) logPool(event string) {
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "sqlservice: pool "+event, c.poolAttrs()...)
}

// track registers an explicit session, so that Close can end it; it
// reports false when the client is closed.
func (c *Client) track(s *Session) bool {
	c.sessionsMu.Lock()
	defer c.sessionsMu.Unlock()
	if c.closed.Load() {
		return false
	}
	if c.sessions == nil {
		c.sessions = map[*Session]struct{}{}
	}
	c.sessions[s] = struct{}{}
	return true
}

func (c *Client) untrack(s *Session) {
	c.sessionsMu.Lock()
	delete(c.sessions, s)
	c.sessionsMu.Unlock()
}

// closeSessions rolls back and ends the explicit sessions still open, so
// that their connections return to the pool before it closes.
func (c *Client) closeSessions() error {
	c.sessionsMu.Lock()
	open := make([]*Session, 0, len(c.sessions))
	for s := range c.sessions {
		open = append(open, s)
	}
	c.sessionsMu.Unlock()
	var errs []error
	for _, s := range open {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
