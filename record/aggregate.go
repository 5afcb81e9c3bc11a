package record

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

// colRef is a checked column of the query's model or of a joined one.
type colRef struct {
	c *registry.Column
	m *registry.Model
}

// pick is one item of a Select: a column, or an expression (expr != nil).
type pick struct {
	col  colRef
	expr builder.Sqlizer
}

// colSQL renders a column reference, qualified when tables are joined.
func (q *QuerySet[T]) colSQL(r colRef) string {
	if len(q.joins) == 0 {
		return q.c.Dialect().Quote(r.c.Name)
	}
	return sqlgen.Qualified(q.c.Dialect(), r.m.Table, r.c)
}

// Distinct makes the query SELECT DISTINCT: rows whose selected values are
// all equal come back once. It matters for record.Scan and Pluck of a few
// columns; records of T always carry their primary key, so their rows
// are distinct anyway.
func (q *QuerySet[T]) Distinct() *QuerySet[T] {
	n := q.clone()
	n.distinct = true
	return n
}

// GroupBy adds GROUP BY columns: column or field names of T or, after a
// Join, "table.column" of a joined model, checked like criteria. A grouped
// query is read with record.Scan (its rows are groups, not records of T);
// All, Iter, Count and their kin refuse it.
func (q *QuerySet[T]) GroupBy(columns ...string) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	for _, name := range columns {
		c, m, err := n.column(name)
		if err != nil {
			n.err = err
			return n
		}
		n.group = append(n.group, colRef{c, m})
	}
	return n
}

// Having adds HAVING conditions on the groups, all of which must hold:
// builder.Expr("SUM(total) > ?", 100) for aggregates (the text as written,
// never user input; values bound), or the map criteria on grouped columns,
// checked as Where checks them. Read with record.Scan.
func (q *QuerySet[T]) Having(criteria ...builder.Sqlizer) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	for _, c := range criteria {
		r, err := n.resolve(c)
		if err != nil {
			n.err = err
			return n
		}
		n.having = append(n.having, r)
		n.havCrit = append(n.havCrit, c)
	}
	return n
}

// aggregateRefusal returns refuse's error for a query whose rows are not
// rows of T (GroupBy, Having, Distinct), or nil.
func (q *QuerySet[T]) aggregateRefusal(refuse func(what string) error) error {
	switch {
	case len(q.group) > 0:
		return refuse("GroupBy")
	case len(q.having) > 0:
		return refuse("Having")
	case q.distinct:
		return refuse("Distinct")
	}
	return nil
}

// recordsRefusal is the error for a query whose rows cannot be records of
// T, or nil.
func (q *QuerySet[T]) recordsRefusal() error {
	var what string
	switch {
	case len(q.group) > 0:
		what = "GroupBy"
	case len(q.having) > 0:
		what = "Having"
	case q.pick != nil && q.sel == nil:
		what = "a Select of expressions or joined columns"
	default:
		return nil
	}
	return fmt.Errorf("record: query of %s with %s: %w", q.m.Name, what, ErrNotRecords)
}

// Scan runs the query and scans each row into a value of R, any struct: a
// report's row type needs no registration and no Base. Result columns are
// matched to R's fields by the field's db tag name (`db:"total"`), else the
// snake_case of its name, else its name, ignoring case; a result column
// that matches no field is an error naming every such column (wrapping
// registry.ErrUnknownColumn), returned before any row is read. Fields that
// no result column names keep their zero values. R is reflected once.
//
// The select list is the query's Select, where expressions go through
// builder.Expr and give their result a name with AS:
//
//	record.Scan[Stats](record.Query[Order](ctx).
//		Select("customer_id", builder.Expr("SUM(total) AS total")).
//		GroupBy("customer_id").
//		Having(builder.Expr("SUM(total) > ?", 100)))
//
// Without a Select, each field of R selects the column of T of that name,
// and a field that names no column of T is an error. The query's criteria,
// joins, Distinct, GroupBy, Having, OrderBy, Limit and Offset all apply;
// without an OrderBy the rows come in the database's order. A repeated
// query of one shape is built and prepared once, as for All.
func Scan[R, T any](q *QuerySet[T]) ([]R, error) {
	if q.err != nil {
		return nil, q.err
	}
	var zero R
	p, err := planOf(reflect.TypeOf(zero))
	if err != nil {
		return nil, err
	}
	text, args, cached, err := q.scanSQL(p)
	if err != nil {
		return nil, err
	}
	rows, err := queryOn(q.c, q.ctx, cached, text, args)
	if err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	fields, err := p.match(names, "Scan")
	if err != nil {
		return nil, err
	}
	hint := 16
	if q.hasLim && q.limit < 1024 {
		hint = int(q.limit)
	}
	out := make([]R, 0, hint)
	dest := make([]any, len(fields))
	for rows.Next() {
		out = append(out, zero)
		up := unsafe.Pointer(&out[len(out)-1])
		for i, f := range fields {
			dest[i] = f.dest(unsafe.Add(up, f.offset))
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("record: Scan[%s] of %s: %w", p.typ, q.m.Name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB(q.m, "select", err)
	}
	return out, nil
}

// selectList renders the query's Select (or, without one, the columns of
// T that p's fields name) as a select list with its arguments.
func (q *QuerySet[T]) selectList(p *rowPlan) (string, []any, error) {
	var b strings.Builder
	var args []any
	if q.pick == nil {
		var missing []string
		for i, f := range p.fields {
			c, ok := q.m.Column(f.name)
			if !ok {
				missing = append(missing, fmt.Sprintf("%s (%q)", f.field, f.name))
				continue
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(q.colSQL(colRef{c, q.m}))
		}
		if len(missing) > 0 {
			return "", nil, fmt.Errorf("record: Scan[%s] of %s: fields %s name no column of %s; Select them as expressions (builder.Expr(\"SUM(x) AS name\")): %w",
				p.typ, q.m.Name, strings.Join(missing, ", "), q.m.Name, registry.ErrUnknownColumn)
		}
		return b.String(), nil, nil
	}
	for i, it := range q.pick {
		if i > 0 {
			b.WriteString(", ")
		}
		if it.expr == nil {
			b.WriteString(q.colSQL(it.col))
			continue
		}
		text, a, err := it.expr.ToSql()
		if err != nil {
			return "", nil, fmt.Errorf("record: Select on %s: %w", q.m.Name, err)
		}
		b.WriteString(text)
		args = append(args, a...)
	}
	return b.String(), args, nil
}

// buildScan builds the SELECT of Scan with squirrel.
func (q *QuerySet[T]) buildScan(p *rowPlan) (string, []any, error) {
	b, err := q.scanBuilder(p)
	if err != nil {
		return "", nil, err
	}
	return b.ToSql()
}

// scanBuilder is the squirrel SELECT of Scan (and of a subquery).
func (q *QuerySet[T]) scanBuilder(p *rowPlan) (sq.SelectBuilder, error) {
	list, largs, err := q.selectList(p)
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	var cols any = list
	if len(largs) > 0 {
		cols = sq.Expr(list, largs...)
	}
	b := q.filtered(cols)
	if q.distinct {
		b = b.Distinct()
	}
	if len(q.group) > 0 {
		g := make([]string, len(q.group))
		for i, r := range q.group {
			g[i] = q.colSQL(r)
		}
		b = b.GroupBy(g...)
	}
	for _, h := range q.having {
		b = b.Having(h)
	}
	if len(q.order) > 0 {
		order, err := q.orderSQL(q.order)
		if err != nil {
			return sq.SelectBuilder{}, err
		}
		b = b.OrderBy(order...)
	}
	b = q.limitOffset(b)
	lock, err := q.lockClause()
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	if lock != "" {
		b = b.Suffix(lock)
	}
	return b, nil
}

// Apply returns the query with each scope applied in order: a scope is a
// named, reusable fragment of a query, a function of the QuerySet:
//
//	func Active(q *record.QuerySet[User]) *record.QuerySet[User] {
//		return q.Where(builder.Eq{"active": true})
//	}
//	us, err := record.Query[User](ctx).Apply(Active, Recent).All()
//
// Scopes see the query built so far; a nil scope is skipped.
func (q *QuerySet[T]) Apply(scopes ...func(*QuerySet[T]) *QuerySet[T]) *QuerySet[T] {
	n := q
	for _, s := range scopes {
		if s == nil {
			continue
		}
		n = s(n)
		if n == nil {
			c := q.clone()
			if c.err == nil {
				c.err = fmt.Errorf("record: a scope of %s returned a nil query", q.name())
			}
			return c
		}
	}
	return n
}

// SubquerySQL makes a query a criterion value: in builder.Eq (IN) or
// builder.NotEq (NOT IN) of another query,
//
//	record.Query[Customer](ctx).Where(builder.Eq{
//		"id": record.Query[Order](ctx).Select("customer_id").Where(builder.Gt{"total": 100}),
//	})
//
// the query is written as a subquery, its values bound with the outer
// query's (numbered in one sequence on PostgreSQL). It must Select exactly
// one item (a column or a builder.Expr); its criteria, joins, Distinct,
// GroupBy, Having and order apply. An error of the query (an unknown
// column, say) is the outer query's error, before any SQL. MySQL and
// MariaDB refuse a Limit in such a subquery, and an UPDATE or DELETE whose
// subquery reads the table it writes. The text uses ? placeholders and
// the name of the dialect it was built for.
func (q *QuerySet[T]) SubquerySQL() (string, []any, string, error) {
	if q.err != nil {
		return "", nil, "", q.err
	}
	if len(q.pick) != 1 {
		return "", nil, "", fmt.Errorf("record: a subquery of %s must Select exactly one column or expression, not %d", q.m.Name, len(q.pick))
	}
	if !q.c.Dialect().LimitInSubquery() && (q.hasLim || q.offset > 0) {
		return "", nil, "", fmt.Errorf("record: a subquery of %s with Limit or Offset: MySQL and MariaDB have no LIMIT in an IN subquery: %w", q.m.Name, errors.ErrUnsupported)
	}
	b, err := q.scanBuilder(nil)
	if err != nil {
		return "", nil, "", err
	}
	text, args, err := b.PlaceholderFormat(sq.Question).ToSql()
	return text, args, q.c.Dialect().Name(), err
}
