package session

import (
	"context"
	"database/sql"
	"time"
)

// Stmt is a statement prepared on the connection that a context's
// statements run on: its session's transaction, or the pool.
type Stmt struct {
	c     *Client
	st    *sql.Stmt
	query string
}

type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// Prepare prepares query for running many times, as a loop of inserts
// does. Inside a transaction the statement belongs to it and ends with it;
// otherwise it is prepared on the pool. Close it when done. Unlike the
// statements Exec caches, it is not kept by the client.
func (c *Client) Prepare(ctx context.Context, query string) (*Stmt, error) {
	cn, s, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if s != nil {
		defer s.leave()
	}
	st, err := cn.(preparer).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &Stmt{c: c, st: st, query: query}, nil
}

// Exec runs the prepared statement with args, logging it when the client
// echoes. The context must carry the session the statement was prepared
// in, if any.
func (st *Stmt) Exec(ctx context.Context, args ...any) (sql.Result, error) {
	_, s, err := st.c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if s != nil {
		defer s.leave()
	}
	start := time.Now()
	res, err := st.st.ExecContext(ctx, args...)
	if st.c.echo {
		st.c.logStatement(ctx, st.query, len(args), start, err)
	}
	return res, err
}

// Close releases the statement.
func (st *Stmt) Close() error { return st.st.Close() }
