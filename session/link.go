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
		return c.execIn(ctx, s, true, true, query, args)
	}
	link.QueryIn = func(c *Client, s *Session, ctx context.Context, query string, args []any) (*sql.Rows, error) {
		return c.queryIn(ctx, s, true, query, args)
	}
	link.QueryRowIn = func(c *Client, s *Session, ctx context.Context, query string, args []any) *Row {
		return c.queryRowIn(ctx, s, true, true, query, args)
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
