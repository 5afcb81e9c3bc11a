package record

import (
	"context"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// advanceSequence keeps the database's key generator ahead of a key that
// was written explicitly into an autoincrement column (see
// sqlgen.Statements.AdvanceSequence); a no-op where the database does
// that itself.
func advanceSequence(ctx context.Context, c *session.Client, m *registry.Model, p unsafe.Pointer) error {
	q := sqlgen.For(c.Dialect(), m).AdvanceSequence()
	if q == "" || meta.IsZero(m.AutoIncrement, p) {
		return nil
	}
	// A SELECT that writes: on the primary even outside a transaction.
	rows, err := queryOn(c, session.Primary(ctx), true, q, []any{meta.Value(m.AutoIncrement, p)})
	if err != nil {
		return wrapDB(m, "insert", err)
	}
	for rows.Next() {
	}
	if err := rows.Close(); err != nil {
		return wrapDB(m, "insert", err)
	}
	return wrapDB(m, "insert", rows.Err())
}
