// Package sqlexpr holds the value builder.Expr returns, so that the record
// layer's query shape cache can read its text and arguments without the
// builder package exporting them.
package sqlexpr

import sq "github.com/Masterminds/squirrel"

// Expr is raw SQL with ? placeholders and its arguments.
type Expr struct {
	SQL  string
	Args []any
}

// ToSql implements squirrel's Sqlizer.
func (e Expr) ToSql() (string, []any, error) { return sq.Expr(e.SQL, e.Args...).ToSql() }

// Parts returns the text and arguments of an expression made by
// builder.Expr, and false for any other value.
func Parts(s any) (sql string, args []any, ok bool) {
	e, ok := s.(Expr)
	return e.SQL, e.Args, ok
}
