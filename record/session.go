package record

import (
	"context"
	"database/sql"

	"github.com/sqlservice/sqlservice/internal/link"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// What record needs of session and users do not, handed over by session at
// its init (see internal/link): asserted once here, called directly after.
var (
	// execOn, queryOn, queryRowOn and writeOn run a statement as
	// Client.Exec, Query and QueryRow do, prepared once per client and
	// kept when cached (fixed statements and cached shapes only: the
	// texts of a bounded set). writeOn runs a write whose result is not
	// wanted (a multi-row INSERT), as a query where the driver binds a
	// query's arguments faster.
	execOn     = link.Exec.(func(*session.Client, context.Context, bool, string, []any) (sql.Result, error))
	queryOn    = link.Query.(func(*session.Client, context.Context, bool, string, []any) (*sql.Rows, error))
	queryRowOn = link.QueryRow.(func(*session.Client, context.Context, bool, string, []any) *session.Row)
	writeOn    = link.Write.(func(*session.Client, context.Context, bool, string, []any) error)

	// resolve returns the client and the session a context names (what
	// session.FromContext and session.Current return) in one look into
	// it; execIn, queryIn and queryRowIn run a cached statement in that
	// session without looking it up again. An operation resolves once and
	// hands both down (Save: saveRow → insert/update → stored).
	resolve    = link.Resolve.(func(context.Context) (*session.Client, *session.Session, error))
	execIn     = link.ExecIn.(func(*session.Client, *session.Session, context.Context, string, []any) (sql.Result, error))
	queryIn    = link.QueryIn.(func(*session.Client, *session.Session, context.Context, string, []any) (*sql.Rows, error))
	queryRowIn = link.QueryRowIn.(func(*session.Client, *session.Session, context.Context, string, []any) *session.Row)

	// checkSize refuses a statement larger than the server accepts (a
	// *session.StatementSizeError; MySQL's max_allowed_packet); openStream
	// registers a result set read across the caller's code (Iter) with
	// the function that reads its remaining rows into memory when the
	// session needs the connection, and returns the function to call when
	// it is closed.
	checkSize  = link.CheckSize.(func(*session.Client, context.Context, string, []any) error)
	openStream = link.Stream.(func(*session.Client, context.Context, func()) func())

	// identityOf returns the record the session holds for a row; remember
	// files one there (undone with a rolled-back level); forgetModel drops
	// every row of a model; undo registers how to restore a record's
	// in-memory state if the session's transaction rolls back. Each takes
	// a nil session as none.
	identityOf  = link.Identity.(func(*session.Session, *registry.Model, registry.RowKey) (any, bool))
	remember    = link.Remember.(func(*session.Session, *registry.Model, registry.RowKey, any))
	forgetModel = link.ForgetModel.(func(*session.Session, *registry.Model))
	undo        = link.Undo.(func(*session.Session, interface{ Undo() }))
)
