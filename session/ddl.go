package session

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
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
			if err := c.execOn(ctx, ex, q, args...); err != nil {
				return fmt.Errorf("%w (statement: %s)", err, oneLine(q))
			}
			return nil
		}
	}
	if !c.dialect.TransactionalDDL() {
		return fn(logged(conn))
	}
	fkOff, fkOn, fkCheck := c.database.ddlForeignKeys()
	if fkOff != "" {
		if err := c.execOn(ctx, conn, fkOff); err != nil {
			return fmt.Errorf("session: schema change: %w", err)
		}
		// Back on for the pool's next user whatever happens: the client
		// opens the database with foreign keys enforced.
		defer c.execOn(context.WithoutCancel(ctx), conn, fkOn)
	}
	bctx := ctx
	var ev *QueryEvent
	if c.hooks != nil {
		bctx, ev = c.beforePrimary(ctx, OpBegin, "BEGIN", 0)
	}
	tx, err := conn.BeginTx(bctx, nil)
	c.after(ev, err)
	if err != nil {
		return fmt.Errorf("session: schema change: %w", err)
	}
	if err := fn(logged(tx)); err != nil {
		c.endDDL(ctx, tx, false)
		return err
	}
	if fkCheck != "" {
		if err := c.foreignKeyCheck(ctx, tx, fkCheck); err != nil {
			c.endDDL(ctx, tx, false)
			return err
		}
	}
	if err := c.endDDL(ctx, tx, true); err != nil {
		return fmt.Errorf("session: schema change: commit: %w", err)
	}
	return nil
}

// execOn runs one statement of a schema change on ex (the connection or
// its transaction) as a statement for the client's hooks.
func (c *Client) execOn(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, query string, args ...any) error {
	var ev *QueryEvent
	if c.hooks != nil {
		ctx, ev = c.beforePrimary(ctx, OpExec, query, len(args))
	}
	_, err := ex.ExecContext(ctx, query, args...)
	c.after(ev, err)
	return err
}

// endDDL commits or rolls back the transaction of a schema change, as a
// statement for the client's hooks.
func (c *Client) endDDL(ctx context.Context, tx *sql.Tx, commit bool) error {
	var ev *QueryEvent
	if c.hooks != nil {
		if commit {
			_, ev = c.beforePrimary(ctx, OpCommit, "COMMIT", 0)
		} else {
			_, ev = c.beforePrimary(ctx, OpRollback, "ROLLBACK", 0)
		}
	}
	var err error
	if commit {
		err = tx.Commit()
	} else {
		err = tx.Rollback()
	}
	c.after(ev, err)
	return err
}

// foreignKeyCheck fails when the check q (see Database.ddlForeignKeys)
// reports a row whose parent is missing.
func (c *Client) foreignKeyCheck(ctx context.Context, tx *sql.Tx, q string) error {
	qctx := ctx
	var ev *QueryEvent
	if c.hooks != nil {
		qctx, ev = c.beforePrimary(ctx, OpQuery, q, 0)
	}
	rows, err := tx.QueryContext(qctx, q)
	c.after(ev, err)
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
