// Package builder holds what callers write SQL conditions with and what
// each database differs in: the criteria types (Eq, Gt, Like, And, Or, ...,
// squirrel's, re-exported) and Expr for raw SQL with bound values, and the
// Dialect of SQLite, MySQL/MariaDB and PostgreSQL, each in its own file.
//
//	us, err := record.Find[User](ctx, builder.Or{builder.Eq{"name": "Jenny"}, builder.Gt{"id": 10}})
//
// Map keys name columns of the queried model; the record layer checks them
// against the registry and quotes them before any SQL is built, and values
// are always bound parameters. A database of a fourth kind implements
// Dialect (see session.Register).
//
// The statement texts built from a model (the fixed statements per model
// and dialect, criteria resolution, ordering) live in the module's
// internal packages: they are the record layer's plumbing, not API.
package builder
