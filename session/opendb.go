package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// OpenDB makes a client of a connection pool the application already owns
// (a pool wrapped for tracing, one a test harness opened, one shared with
// other code): dialect is "sqlite", "mysql" or "postgres" (aliases
// "sqlite3", "mariadb", "postgresql", "pgx"). cfg.DatabaseURI and
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
//   - PostgreSQL (pgx's stdlib driver): nothing is checked. Open's
//     connections also report a lost reply of pgx's simple protocol as a
//     lost connection, so that database/sql never sends such a write
//     twice; a pool opened elsewhere does not have that, so keep pgx's
//     default extended protocol (default_query_exec_mode unset) on it.
//
// Close on the client closes its prepared statements and ends its
// sessions; it does not close db, which stays the application's.
func OpenDB(db *sql.DB, dialect string, cfg Config) (*Client, error) {
	if db == nil {
		return nil, &ConfigError{Key: "OpenDB", Reason: "the *sql.DB is nil"}
	}
	d, err := builder.DialectFor(dialect)
	if err != nil {
		return nil, &ConfigError{Key: "OpenDB", Reason: err.Error()}
	}
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
	memory, err := checkBorrowedPool(ctx, db, d)
	if err != nil {
		return nil, err
	}
	t := &target{dialect: d, masked: d.Name() + "://(*sql.DB given to OpenDB)", memory: memory}
	c := &Client{db: db, dialect: d, cfg: cfg, target: t, isolation: iso, borrowed: true,
		stmts: newStmtCache(cfg.StatementCacheSize)}
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

// checkBorrowedPool checks, on one connection of db (SQLite: on every
// connection it can take, one of them new), the settings OpenDB's
// documentation lists. It reports whether db is an in-memory SQLite
// database.
func checkBorrowedPool(ctx context.Context, db *sql.DB, d builder.Dialect) (memory bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	defer conn.Close()
	bad := func(setting, reason string) error {
		return &ConfigError{Key: "OpenDB " + setting, Reason: reason}
	}
	switch d {
	case builder.MySQL:
		var at any
		if err := conn.QueryRowContext(ctx, "SELECT CAST('2000-01-02 03:04:05' AS DATETIME)").Scan(&at); err != nil {
			return false, fmt.Errorf("session: OpenDB: %w", err)
		}
		tm, ok := at.(time.Time)
		if !ok {
			return false, bad("parseTime", "the MySQL driver returns DATETIME as text: open the pool with parseTime=true")
		}
		if tm.Location() != time.UTC {
			return false, bad("loc", "the MySQL driver reads DATETIME in "+tm.Location().String()+": open the pool with loc=UTC (times are stored in UTC)")
		}
		found, err := mysqlCountsMatchedRows(ctx, conn)
		if err != nil {
			return false, fmt.Errorf("session: OpenDB: %w", err)
		}
		if !found {
			return false, bad("clientFoundRows", "the MySQL driver counts changed rows, not matched ones: open the pool with clientFoundRows=true")
		}
	case builder.SQLite:
		if memory, err = sqliteInMemory(ctx, conn); err != nil {
			return false, fmt.Errorf("session: OpenDB: %w", err)
		}
		conns := []*sql.Conn{conn}
		if !memory {
			// A PRAGMA run on the pool sets one connection: check every
			// idle one and one the pool opens now, so that only a setting
			// of the DSN (every connection) passes.
			st := db.Stats() // conn is in use now
			more := st.Idle + 1
			if st.MaxOpenConnections > 0 {
				more = min(more, st.MaxOpenConnections-st.InUse)
			}
			for range more {
				c, err := db.Conn(ctx)
				if err != nil {
					return false, fmt.Errorf("session: OpenDB: %w", err)
				}
				defer c.Close()
				conns = append(conns, c)
			}
		}
		for _, c := range conns {
			var on int
			if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
				return false, fmt.Errorf("session: OpenDB: %w", err)
			}
			if on != 1 {
				return false, bad("foreign_keys", "SQLite does not enforce foreign keys on every connection of this pool: open it with _foreign_keys=1 (mattn) or _pragma=foreign_keys(1) (modernc) in the DSN")
			}
		}
	}
	return memory, nil
}

// sqliteInMemory reports whether conn's main database is in memory (no
// file): then each connection of the pool is a database of its own.
func sqliteInMemory(ctx context.Context, conn *sql.Conn) (bool, error) {
	rows, err := conn.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name string
		var file sql.NullString
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return false, err
		}
		if name == "main" {
			return file.String == "", rows.Close()
		}
	}
	return false, rows.Err()
}

// mysqlCountsMatchedRows reports whether an UPDATE that changes nothing
// reports its matched row as affected (clientFoundRows), on a temporary
// table of the connection's own.
func mysqlCountsMatchedRows(ctx context.Context, conn *sql.Conn) (bool, error) {
	const table = "sqlservice_opendb_probe"
	if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+table+" (id INT PRIMARY KEY, v INT)"); err != nil {
		return false, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+table)
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+table+" VALUES (1, 1)"); err != nil {
		return false, err
	}
	res, err := conn.ExecContext(ctx, "UPDATE "+table+" SET v = 1 WHERE id = 1")
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, errors.Join(errors.New("rows affected"), err)
	}
	return n == 1, nil
}
