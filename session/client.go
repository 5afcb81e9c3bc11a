package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/go-sql-driver/mysql" // mysql:// and mariadb://
	_ "github.com/jackc/pgx/v5/stdlib" // postgres:// and postgresql://
	_ "github.com/mattn/go-sqlite3"    // sqlite://

	"github.com/sqlservice/sqlservice/builder"
)

// Sentinel errors of the package.
var (
	// ErrClosed is returned by every operation on a closed Client.
	ErrClosed = errors.New("session: client is closed")
	// ErrNoClient is returned when a context carries no client and no
	// default client is set.
	ErrNoClient = errors.New("session: no client in context and no default client (use session.SetDefault or Client.Context)")
	// ErrTxDone is returned when a Session is used after its transaction
	// ended.
	ErrTxDone = errors.New("session: transaction has already been committed or rolled back")
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
	echo      bool
	closed    atomic.Bool

	stmts   sync.Map // SQL text → *sql.Stmt
	stmtsMu sync.Mutex

	tablesMu sync.RWMutex
	tables   map[string]*Table
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
	db, err := sql.Open(t.driver, t.dsn)
	if err != nil {
		return nil, &URIError{URI: t.masked, Reason: err.Error()}
	}
	c := &Client{db: db, dialect: t.dialect, cfg: cfg, target: t, isolation: iso, echo: cfg.Echo}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.Default()
	}
	c.configurePool()
	if cfg.PoolPrePing || t.memory {
		// An in-memory database exists only while its connection is open:
		// open it now so that it lives as long as the client.
		if err := c.Ping(context.Background()); err != nil {
			db.Close()
			return nil, err
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

// Close closes the prepared statements and the pool. Further use of the
// client returns ErrClosed. Closing twice is not an error.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if c.cfg.EchoPool {
		c.logPool("close")
	}
	var errs []error
	c.stmts.Range(func(k, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		c.stmts.Delete(k)
		return true
	})
	errs = append(errs, c.db.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers. With PoolPrePing, a connection the
// server dropped is retried once.
func (c *Client) Ping(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err := c.db.PingContext(ctx)
	if err != nil && c.cfg.PoolPrePing && errors.Is(err, driver.ErrBadConn) {
		err = c.db.PingContext(ctx)
	}
	if err != nil {
		return fmt.Errorf("session: ping %s: %w", c.target.masked, err)
	}
	return nil
}

type clientKey struct{}

// Context returns a copy of ctx that carries c: record operations given
// that context use c.
func (c *Client) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

var defaultClient atomic.Pointer[Client]

// SetDefault makes c the client of record operations whose context carries
// none; nil clears it.
func SetDefault(c *Client) { defaultClient.Store(c) }

// Default returns the client set with SetDefault, or nil.
func Default() *Client { return defaultClient.Load() }

// FromContext returns the client that ctx carries (through a Session or
// Client.Context), else the default client. It returns ErrNoClient when there
// is none and ErrClosed when the client is closed.
func FromContext(ctx context.Context) (*Client, error) {
	var c *Client
	if s := Current(ctx); s != nil {
		c = s.client
	} else if cc, ok := ctx.Value(clientKey{}).(*Client); ok {
		c = cc
	} else if c = defaultClient.Load(); c == nil {
		return nil, ErrNoClient
	}
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return c, nil
}

// conn is what statements run on: the session's transaction when the
// context carries one of this client, else the pool.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (c *Client) conn(ctx context.Context) (conn, *Session, error) {
	if c.closed.Load() {
		return nil, nil, ErrClosed
	}
	s := sessionFor(ctx, c)
	if s == nil {
		return c.db, nil, nil
	}
	if s.failed != nil {
		return nil, nil, &RollbackError{Cause: s.failed}
	}
	if s.tx == nil {
		if !s.explicit || s.ended {
			return nil, nil, ErrTxDone
		}
		if err := s.begin(ctx); err != nil {
			return nil, nil, err
		}
	}
	if err := s.enter(); err != nil {
		return nil, nil, err
	}
	return s.tx, s, nil
}

// prepared returns the statement prepared once for query on this client.
// Inside a transaction it returns nil for a statement not prepared yet:
// preparing needs a connection of the pool, and the transaction may hold
// the only one (an in-memory SQLite database), so the statement then runs
// unprepared on the transaction, and is prepared when the transaction ends
// (see Session.deferPrepare).
func (c *Client) prepared(ctx context.Context, query string, s *Session) (*sql.Stmt, error) {
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	if s != nil {
		s.deferPrepare(query)
		return nil, nil
	}
	c.stmtsMu.Lock()
	defer c.stmtsMu.Unlock()
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	c.stmts.Store(query, st)
	return st, nil
}

// Exec runs a statement in the context's transaction, or on the pool. With
// cached true the statement is prepared once per client and reused; use it
// only for SQL text drawn from a bounded set (the fixed statements).
func (c *Client) Exec(ctx context.Context, cached bool, query string, args ...any) (sql.Result, error) {
	cn, s, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if s != nil {
		defer s.leave()
	}
	var start time.Time
	if c.echo { // the clock is slow on some VMs: read it only to log
		start = time.Now()
	}
	var res sql.Result
	if cached {
		var st *sql.Stmt
		switch st, err = c.prepared(ctx, query, s); {
		case err != nil:
		case st == nil:
			res, err = cn.ExecContext(ctx, query, args...)
		case s != nil:
			res, err = s.txStmt(ctx, st).ExecContext(ctx, args...)
		default:
			res, err = st.ExecContext(ctx, args...)
		}
	} else {
		res, err = cn.ExecContext(ctx, query, args...)
	}
	if c.echo {
		c.logStatement(ctx, query, len(args), start, err)
	}
	return res, err
}

// Query runs a query in the context's transaction, or on the pool; cached
// as for Exec.
func (c *Client) Query(ctx context.Context, cached bool, query string, args ...any) (*sql.Rows, error) {
	cn, s, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if s != nil {
		defer s.leave()
	}
	var start time.Time
	if c.echo { // the clock is slow on some VMs: read it only to log
		start = time.Now()
	}
	var rows *sql.Rows
	if cached {
		var st *sql.Stmt
		switch st, err = c.prepared(ctx, query, s); {
		case err != nil:
		case st == nil:
			rows, err = cn.QueryContext(ctx, query, args...)
		case s != nil:
			rows, err = s.txStmt(ctx, st).QueryContext(ctx, args...)
		default:
			rows, err = st.QueryContext(ctx, args...)
		}
	} else {
		rows, err = cn.QueryContext(ctx, query, args...)
	}
	if c.echo {
		c.logStatement(ctx, query, len(args), start, err)
	}
	return rows, err
}

// QueryRow runs a query expected to return at most one row; errors are
// deferred to Row.Scan as in database/sql.
func (c *Client) QueryRow(ctx context.Context, cached bool, query string, args ...any) *Row {
	cn, s, err := c.conn(ctx)
	if err != nil {
		return &Row{err: err}
	}
	if s != nil {
		defer s.leave()
	}
	var start time.Time
	if c.echo { // the clock is slow on some VMs: read it only to log
		start = time.Now()
	}
	var row *sql.Row
	if cached {
		st, err := c.prepared(ctx, query, s)
		switch {
		case err != nil:
			return &Row{err: err}
		case st == nil:
			row = cn.QueryRowContext(ctx, query, args...)
		case s != nil:
			row = s.txStmt(ctx, st).QueryRowContext(ctx, args...)
		default:
			row = st.QueryRowContext(ctx, args...)
		}
	} else {
		row = cn.QueryRowContext(ctx, query, args...)
	}
	if c.echo {
		c.logStatement(ctx, query, len(args), start, row.Err())
	}
	return &Row{row: row}
}

// Row is the result of QueryRow: database/sql's *sql.Row, or the error that
// stopped the query before it ran.
type Row struct {
	row *sql.Row
	err error
}

// Scan copies the row's columns into dest; sql.ErrNoRows when there is none.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.row.Scan(dest...)
}

func (c *Client) logStatement(ctx context.Context, query string, nargs int, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("sql", query),
		slog.Int("args", nargs),
		slog.Duration("duration", time.Since(start)),
		slog.String("db", c.dialect.Name()),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	if c.cfg.EchoPool {
		attrs = append(attrs, c.poolAttrs()...)
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "sqlservice: statement", attrs...)
}

func (c *Client) poolAttrs() []slog.Attr {
	st := c.db.Stats()
	return []slog.Attr{slog.Group("pool",
		slog.Int("open", st.OpenConnections), slog.Int("in_use", st.InUse),
		slog.Int("idle", st.Idle), slog.Int64("waits", st.WaitCount))}
}

func (c *Client) logPool(event string) {
	c.log.LogAttrs(context.Background(), slog.LevelInfo, "sqlservice: pool "+event, c.poolAttrs()...)
}
