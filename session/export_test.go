package session

import (
	"context"
	"database/sql"
)

// IsPrepared reports whether the client holds a prepared statement for
// query (for tests of the statement cache).
func IsPrepared(c *Client, query string) bool {
	return c.stmts.contains(query)
}

// CachedStatements returns how many prepared statements the client keeps.
func CachedStatements(c *Client) int { return c.stmts.len() }

// ExecCached, QueryCached and QueryRowCached run a statement kept in the
// client's statement cache, as the record package does (see link.go).
func ExecCached(c *Client, ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.exec(ctx, true, query, args)
}

func QueryCached(c *Client, ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.query(ctx, true, query, args)
}

func QueryRowCached(c *Client, ctx context.Context, query string, args ...any) *Row {
	return c.queryRow(ctx, true, query, args)
}

// Write runs a statement as record's multi-row INSERTs do (see Client.write).
func Write(c *Client, ctx context.Context, query string, args ...any) error {
	return c.write(ctx, false, query, args)
}
