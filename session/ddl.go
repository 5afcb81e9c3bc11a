package session

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// RunDDL runs a schema change: fn's statements, given to exec one by one,
// as one unit where the dialect allows it. On PostgreSQL they run in one
// transaction. On SQLite they run in one transaction with foreign_keys off
// around it, and PRAGMA foreign_key_check must find no violation before
// the commit (SQLite's documented procedure for rebuilding a table, which
// Diff writes; the pragma has no effect inside a transaction, hence
// around). MySQL and MariaDB commit every DDL statement on its own, so
// there the statements run one after another on one connection: a failure
// leaves the statements before it applied. An error from fn or exec rolls
// the transaction back and is returned.
func (c *Client) RunDDL(ctx context.Context, fn func(exec func(query string, args ...any) error) error) error {
	conn, err := c.DB().Conn(Primary(ctx))
	if err != nil {
		return fmt.Errorf("session: schema change: %w", err)
	}
	defer conn.Close()
	return c.RunDDLOn(ctx, conn, fn)
}

// RunDDLOn is RunDDL on a connection of the client's pool that the caller
// holds, such as the one that holds a session-level lock while the schema
// changes (a pool of one connection would otherwise wait for itself).
func (c *Client) RunDDLOn(ctx context.Context, conn *sql.Conn, fn func(exec func(query string, args ...any) error) error) error {
	// Statements prepared before the change are prepared again after it,
	// whatever its outcome (on MySQL a failure leaves part of it applied).
	defer c.purgeStatements()
	logged := func(ex interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}) func(string, ...any) error {
		return func(q string, args ...any) error {
			var start time.Time
			if c.echo {
				start = time.Now()
			}
			_, err := ex.ExecContext(ctx, q, args...)
			if c.echo {
				c.logStatement(ctx, q, len(args), start, err)
			}
			if err != nil {
				return fmt.Errorf("%w (statement: %s)", err, oneLine(q))
			}
			return nil
		}
	}
	switch c.dialect.Name() {
	case "mysql":
		return fn(logged(conn))
	case "sqlite":
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("session: schema change: %w", err)
		}
		// Back on for the pool's next user whatever happens: the client
		// opens SQLite with foreign keys enforced.
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("session: schema change: %w", err)
	}
	if err := fn(logged(tx)); err != nil {
		tx.Rollback()
		return err
	}
	if c.dialect.Name() == "sqlite" {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("session: schema change: commit: %w", err)
	}
	return nil
}

// foreignKeyCheck fails when PRAGMA foreign_key_check reports a row whose
// parent is missing.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("session: schema change: foreign_key_check: %w", err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("session: schema change: foreign_key_check: %w", err)
		}
		if len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("%s row %d -> %s", table, rowid.Int64, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("session: schema change: foreign_key_check: %w", err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("session: schema change: rows would break foreign keys: %s", strings.Join(bad, ", "))
	}
	return nil
}

func oneLine(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 200 {
		q = q[:200] + "..."
	}
	return q
}

// purgeStatements drops the prepared statements of the primary and the
// replicas (see stmtCache.purge).
func (c *Client) purgeStatements() {
	c.stmts.purge()
	if c.replicas != nil {
		for _, r := range c.replicas.list {
			r.stmts.purge()
		}
	}
}
