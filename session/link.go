package session

import (
	"context"
	"database/sql"

	"github.com/sqlservice/sqlservice/internal/link"
	"github.com/sqlservice/sqlservice/registry"
)

// init hands the record package what it needs of the client and the
// session, and users do not: the prepared-statement path (Exec and its
// kin with the statement kept in the client's cache) and the identity
// map and undo log, the statement size check of bulk INSERTs, and the
// registration of result sets read across the caller's code (see
// internal/link).
func init() {
	link.Exec = func(c *Client, ctx context.Context, cached bool, query string, args []any) (sql.Result, error) {
		return c.exec(ctx, cached, query, args)
	}
	link.Query = func(c *Client, ctx context.Context, cached bool, query string, args []any) (*sql.Rows, error) {
		return c.query(ctx, cached, query, args)
	}
	link.QueryRow = func(c *Client, ctx context.Context, cached bool, query string, args []any) *Row {
		return c.queryRow(ctx, cached, query, args)
	}
	link.Write = func(c *Client, ctx context.Context, cached bool, query string, args []any) error {
		return c.write(ctx, cached, query, args)
	}
	link.Resolve = resolve
	link.ExecIn = func(c *Client, s *Session, ctx context.Context, query string, args []any) (sql.Result, error) {
		c.bindTimesInPlace(args)
		return c.execIn(ctx, s, true, query, args)
	}
	link.QueryIn = func(c *Client, s *Session, ctx context.Context, query string, args []any) (*sql.Rows, error) {
		return c.queryIn(ctx, s, true, query, args)
	}
	link.QueryRowIn = func(c *Client, s *Session, ctx context.Context, query string, args []any) *Row {
		c.bindTimesInPlace(args)
		return c.queryRowIn(ctx, s, true, query, args)
	}
	link.CheckSize = func(c *Client, ctx context.Context, query string, args []any) error {
		return c.checkSize(ctx, query, args)
	}
	link.Stream = func(c *Client, ctx context.Context, spill func()) (end func()) { return c.openStream(ctx, spill) }
	link.Identity = func(s *Session, m *registry.Model, key registry.RowKey) (any, bool) { return s.identity(m, key) }
	link.Remember = func(s *Session, m *registry.Model, key registry.RowKey, ptr any) { s.rememberRow(m, key, ptr) }
	link.ForgetModel = func(s *Session, m *registry.Model) { s.forgetModel(m) }
	link.Undo = func(s *Session, fn interface{ Undo() }) { s.addUndo(fn) }
}

// bindTimesInPlace binds the times among args as bindArgs would, in args
// itself: for ExecIn and QueryRowIn, whose argument slices belong to the
// record package's single-row writes and are not used after the statement,
// so that bindArgs finds nothing left to bind and does not copy them. A
// time that does not bind is left as it is, for bindArgs to refuse where
// it always has; binding is idempotent (a bound time is text on SQLite, a
// plain UTC time.Time elsewhere).
func (c *Client) bindTimesInPlace(args []any) {
	for i, a := range args {
		t, ok := timeArg(a)
		if !ok {
			continue
		}
		if bound, err := c.database.bindTime(i, a, t); err == nil && bound != nil {
			args[i] = bound
		}
	}
}
