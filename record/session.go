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

	// identityOf returns the record the session holds for a row; remember
	// files one there (undone with a rolled-back level); forgetModel drops
	// every row of a model; undo registers how to restore a record's
	// in-memory state if the session's transaction rolls back. Each takes
	// a nil session as none.
	identityOf  = link.Identity.(func(*session.Session, *registry.Model, registry.RowKey) (any, bool))
	remember    = link.Remember.(func(*session.Session, *registry.Model, registry.RowKey, any))
	forgetModel = link.ForgetModel.(func(*session.Session, *registry.Model))
	undo        = link.Undo.(func(*session.Session, func()))
)
