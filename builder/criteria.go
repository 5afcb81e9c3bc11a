package builder

import (
	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/internal/sqlexpr"
)

// Criteria are squirrel's expressions, re-exported so that callers need only
// this package. Map keys name columns of the queried model; they are checked
// against the registry and quoted before any SQL is built.
type (
	Sqlizer  = sq.Sqlizer
	Eq       = sq.Eq
	NotEq    = sq.NotEq
	Gt       = sq.Gt
	GtOrEq   = sq.GtOrEq
	Lt       = sq.Lt
	LtOrEq   = sq.LtOrEq
	Like     = sq.Like
	NotLike  = sq.NotLike
	ILike    = sq.ILike
	NotILike = sq.NotILike
	And      = sq.And
	Or       = sq.Or
)

// Expr is raw SQL with ? placeholders: the escape hatch for what the map
// forms cannot say. Its text is used as written, so it must never contain
// user input; values go in args. On PostgreSQL each ? becomes $1, $2, …,
// except inside string literals ('…', E'…', $$…$$, $tag$…$tag$), quoted
// identifiers and comments; ?? writes a ?, for the jsonb operators ?, ?|
// and ?& ("doc ?? ?" is doc ? $1). Other dialects take the text as is.
func Expr(sql string, args ...any) Sqlizer { return sqlexpr.Expr{SQL: sql, Args: args} }

// Subquery is a query that can stand as a criterion value: in Eq it is
// written as column IN (subquery), in NotEq as NOT IN. A record.QuerySet
// that selects one column is one. SubquerySQL returns the text with ?
// placeholders, its arguments, and the name of the dialect it was built
// for.
type Subquery interface {
	SubquerySQL() (sql string, args []any, dialect string, err error)
}
