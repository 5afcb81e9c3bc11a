// Package link hands the session package's internals that the record
// package needs (the prepared-statement path of the client, the session's
// identity map and undo log) from one to the other without making them
// part of session's public API.
//
// session cannot export them to record alone, and link cannot name
// session's types (session imports link), so each is a function value
// that session installs here in its init, typed as any; record asserts
// each once, when its own package variables are initialised (after
// session's init, which Go runs first), into a variable of the function's
// real type. A call costs one indirect call, no assertion.
package link

// Each variable holds the function its comment shows, set by session's
// init (session/link.go).
var (
	// Exec: func(c *session.Client, ctx context.Context, cached bool, query string, args []any) (sql.Result, error)
	Exec any
	// Query: func(c *session.Client, ctx context.Context, cached bool, query string, args []any) (*sql.Rows, error)
	Query any
	// QueryRow: func(c *session.Client, ctx context.Context, cached bool, query string, args []any) *session.Row
	QueryRow any
	// Write: func(c *session.Client, ctx context.Context, cached bool, query string, args []any) error
	Write any

	// Resolve: func(ctx context.Context) (*session.Client, *session.Session, error),
	// what session.FromContext and session.Current return, in one look
	// into ctx.
	Resolve any
	// ExecIn, QueryIn, QueryRowIn: Exec, Query and QueryRow of a cached
	// statement in the session Resolve returned with the client (nil:
	// none), not looked up again. ExecIn and QueryRowIn bind the times
	// among args in args itself (no copy): a caller that reads args after
	// the call sees bound values (UTC, or SQLite's text), not its own.
	// func(c *session.Client, s *session.Session, ctx context.Context, query string, args []any) (sql.Result, error)
	ExecIn any
	// func(c *session.Client, s *session.Session, ctx context.Context, query string, args []any) (*sql.Rows, error)
	QueryIn any
	// func(c *session.Client, s *session.Session, ctx context.Context, query string, args []any) *session.Row
	QueryRowIn any

	// CheckSize: func(c *session.Client, ctx context.Context, query string, args []any) error
	CheckSize any
	// Stream: func(c *session.Client, ctx context.Context, spill func()) (end func())
	Stream any

	// Identity: func(s *session.Session, m *registry.Model, key registry.RowKey) (any, bool)
	Identity any
	// Remember: func(s *session.Session, m *registry.Model, key registry.RowKey, ptr any)
	Remember any
	// ForgetModel: func(s *session.Session, m *registry.Model)
	ForgetModel any
	// Undo: func(s *session.Session, fn interface{ Undo() })
	Undo any
)
