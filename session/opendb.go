package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"time"
)

// OpenDB makes a client of a connection pool the application already owns
// (a pool wrapped for tracing, one a test harness opened, one shared with
// other code): dialect is the URI scheme of a registered Database
// ("sqlite", "mysql", "postgres", the aliases "sqlite3", "mariadb",
// "postgresql", or a fork's: see Register). cfg.DatabaseURI and
// cfg.Primaries must be empty (the pool is given); the pool settings of
// cfg that are set are applied to db; Replicas, Echo, Hooks and the rest
// work as with Open.
//
// The library relies on a few connection settings Open makes itself, so
// OpenDB checks them on one connection and returns a *ConfigError naming
// the one that is missing:
//
//   - MySQL/MariaDB (github.com/go-sql-driver/mysql): parseTime=true,
//     loc=UTC, and clientFoundRows=true (Save counts matched rows: without
//     it, saving an unchanged record would look like a lost row).
//   - SQLite: foreign keys enforced on every connection, so set in the
//     DSN (mattn: _foreign_keys=1; modernc: _pragma=foreign_keys(1)); a
//     PRAGMA run on the pool sets one connection and is refused (OpenDB
//     checks the idle connections and one it opens). Open also sets a busy
//     timeout, WAL and BEGIN IMMEDIATE, which are advised, not checked. An
//     in-memory database is pinned to one connection, as Open does: each
//     connection to ":memory:" is a database of its own.
//   - PostgreSQL: the pool's connections must come from Connector(uri),
//     the connector Open uses (sql.OpenDB(connector), wrapped as the
//     application likes). pgx's own connections are refused: pgx sends a
//     statement without arguments through its simple protocol and reports
//     a lost reply to it as safe to retry, so database/sql would write
//     such an INSERT twice, and pgx ends a statement past its deadline by
//     closing the connection, which loses the whole transaction where a
//     Savepoint level should roll back alone. Connector's connections
//     report the first as a lost connection and cancel the second with a
//     cancel request.
//
// Close on the client closes its prepared statements and ends its
// sessions; it does not close db, which stays the application's.
func OpenDB(db *sql.DB, dialect string, cfg Config) (*Client, error) {
	if db == nil {
		return nil, &ConfigError{Key: "OpenDB", Reason: "the *sql.DB is nil"}
	}
	database, ok := Lookup(dialect)
	if !ok {
		return nil, &ConfigError{Key: "OpenDB", Reason: fmt.Sprintf("unknown database %q (registered: %s)", dialect, schemes())}
	}
	d := database.Dialect()
	if cfg.DatabaseURI != "" || len(cfg.Primaries) > 0 {
		return nil, &ConfigError{Key: "SQL_DATABASE_URI", Reason: "OpenDB is given its pool: leave DatabaseURI and Primaries empty"}
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
	ctx := context.Background()
	memory, err := checkBorrowedPool(ctx, db, database)
	if err != nil {
		return nil, err
	}
	t := &target{db: database, dialect: d, masked: d.Name() + "://(*sql.DB given to OpenDB)", memory: memory}
	c := newClient(db, t, cfg, iso)
	c.borrowed = true
	if len(cfg.Replicas) > 0 {
		if c.replicas, err = openReplicas(c); err != nil {
			return nil, err
		}
		if cfg.PoolPrePing {
			c.CheckReplicas(ctx)
		}
	}
	return c, nil
}

// checkBorrowedPool checks, on a connection of pool, the settings
// OpenDB's documentation lists (each database checks its own, see
// database.checkBorrowed). It reports whether pool is an in-memory SQLite
// database.
func checkBorrowedPool(ctx context.Context, pool *sql.DB, db Database) (memory bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	defer conn.Close()
	return db.checkBorrowed(ctx, pool, conn)
}

// borrowedSetting is the error of a pool given to OpenDB without a
// setting the library relies on.
func borrowedSetting(setting, reason string) error {
	return &ConfigError{Key: "OpenDB " + setting, Reason: reason}
}

// Connector returns the database/sql connector Open would use for uri, for
// a pool the application builds itself and gives to OpenDB (wrapped for
// tracing, say). PostgreSQL and MySQL URIs; for SQLite open the pool with
// sql.Open and the DSN OpenDB's documentation describes.
func Connector(uri string) (driver.Connector, error) {
	t, err := parseURI(uri, "")
	if err != nil {
		return nil, err
	}
	return t.db.connector(t)
}

// newClient is the client of pool db for t, as Open and OpenDB make it:
// its database, logger, hooks and statement cache, the pool configured.
func newClient(db *sql.DB, t *target, cfg Config, iso sql.IsolationLevel) *Client {
	c := &Client{db: db, dialect: t.dialect, cfg: cfg, target: t, isolation: iso,
		stmts: newStmtCache(cfg.StatementCacheSize), addr: serverAddr(t.masked),
		database: t.db, writesAsQuery: t.db.writesAsQuery(), refusesNaN: t.db.refusesNaN(), bindTime: t.db.timeBinder()}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.Default()
	}
	if cfg.Echo {
		c.hooks = append(c.hooks, echoHook{c})
	}
	c.hooks = append(c.hooks, cfg.Hooks...)
	c.stmts.observe(c, primaryServer, c.addr)
	c.configurePool()
	return c
}
