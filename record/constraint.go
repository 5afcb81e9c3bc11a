package record

import (
	"errors"
	"strings"

	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// describeConstraint fills in from the model what the driver left out of a
// constraint violation: the table, and the column of a MySQL duplicate key,
// which names only the index (CreateTable names a unique column's index
// after the column, and the primary key "PRIMARY").
func describeConstraint(m *registry.Model, err error) {
	var ce *session.ConstraintError
	if !errors.As(err, &ce) || ce.Kind == session.ErrForeignKey {
		return
	}
	if ce.Table == "" {
		ce.Table = m.Table
	}
	if ce.Column != "" || ce.Kind != session.ErrDuplicateKey || ce.Table != m.Table {
		return
	}
	if ce.Constraint == "PRIMARY" {
		names := make([]string, len(m.PK))
		for i, c := range m.PK {
			names[i] = c.Name
		}
		ce.Column = strings.Join(names, ", ")
		return
	}
	if c, ok := m.Column(ce.Constraint); ok && c.Name == ce.Constraint && c.Unique {
		ce.Column = c.Name
	}
}
