package session

import (
	"context"
	"database/sql"
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
// otherwise it is prepared on the pool. Close it when done. The client
// does not keep it.
func (c *Client) Prepare(ctx context.Context, query string) (*Stmt, error) {
	cn, s, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if s != nil {
		defer s.leave()
	}
	var ev *QueryEvent
	if c.hooks != nil {
		ctx, ev = c.beforePrimary(ctx, OpPrepare, query, 0)
	}
	st, err := cn.(preparer).PrepareContext(ctx, query)
	c.after(ev, err)
	if err != nil {
		return nil, err
	}
	return &Stmt{c: c, st: st, query: query}, nil
}

// Exec runs the prepared statement with args as Client.Exec runs a
// statement (one loop for both: the client's hooks and echo, argument
// binding, error translation, the retry of a statement that surely was not
// sent, ErrCommitUnknown). The context must carry the session the statement
// was prepared in, if any.
func (st *Stmt) Exec(ctx context.Context, args ...any) (sql.Result, error) {
	lvl, err := st.c.stmtLevel(ctx)
	if err != nil {
		return nil, err
	}
	res, err := run(st.c, ctx, sessionFor(ctx, st.c), execRunner, false, st.st, st.query, args, nil)
	return res, lvl.end(ctx, TranslateError(err))
}

// Close releases the statement.
func (st *Stmt) Close() error { return st.st.Close() }
