package record

import (
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlexpr"
	"github.com/sqlservice/sqlservice/registry"
)

// One returns the only matching row: a *NotFoundError when none matches, a
// *MultipleRowsError (ErrMultipleRows) when several do. It reads at most
// two rows.
func (q *QuerySet[T]) One() (*T, error) {
	lq := q
	if !q.hasLim || q.limit > 2 {
		lq = q.Limit(2)
	}
	rows, err := lq.All()
	if err != nil {
		return nil, err
	}
	switch len(rows) {
	case 0:
		return nil, &NotFoundError{Model: q.m.Name}
	case 1:
		return rows[0], nil
	}
	return nil, &MultipleRowsError{Model: q.m.Name}
}

// Exists reports whether any row matches, ignoring order, limit and offset.
// It reads no columns: SELECT 1 ... LIMIT 1.
func (q *QuerySet[T]) Exists() (bool, error) {
	if q.err != nil {
		return false, q.err
	}
	if err := q.recordsRefusal(); err != nil {
		return false, err
	}
	lock, err := q.lockClause()
	if err != nil {
		return false, err
	}
	b := q.filtered("1").Limit(1)
	if lock != "" {
		b = b.Suffix(lock)
	}
	text, args, err := b.ToSql()
	if err != nil {
		return false, err
	}
	rows, err := q.c.Query(q.ctx, text, args...)
	if err != nil {
		return false, wrapDB(q.m, "select", err)
	}
	defer rows.Close()
	found := rows.Next()
	return found, wrapDB(q.m, "select", rows.Err())
}

// Select makes the query load only the given columns (column or field
// names) and the primary key, which is always loaded so that the records
// can be saved and destroyed; Select() with no names loads every column
// again. An unknown name is an error returned by the method that runs SQL.
//
// A partially loaded record holds the zero value in every other field, and
// it remembers those zero values as its loaded state: Save writes only the
// columns whose values differ from what was loaded, so the columns that
// were not loaded are left alone in the database unless the caller sets
// them. ToMap shows the zero values. Partial records are not added to the
// session's identity map, so a later Get in the session loads the whole
// row (a row the session already holds is returned whole, as is).
//
// For Scan, the select list may also hold "table.column" of a joined
// model and expressions, which are builder.Expr values only (their text
// as written, never user input; their arguments bound):
// Select("customer_id", builder.Expr("SUM(total) AS total")). Such a
// query's rows are not records of T: All and its kin refuse it with
// ErrNotRecords. Scan selects exactly the items given, without adding the
// primary key.
func (q *QuerySet[T]) Select(columns ...any) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	if len(columns) == 0 {
		n.sel, n.pick = nil, nil
		return n
	}
	picks := make([]pick, 0, len(columns))
	own := true
	cols := make([]*registry.Column, 0, len(columns))
	for _, item := range columns {
		switch v := item.(type) {
		case string:
			c, m, err := n.column(v)
			if err != nil {
				n.err = err
				return n
			}
			picks = append(picks, pick{col: colRef{c, m}})
			if m != n.m {
				own = false
			}
			cols = append(cols, c)
		case builder.Sqlizer:
			if _, _, ok := sqlexpr.Parts(v); !ok {
				n.err = fmt.Errorf("record: Select on %s: an expression must be a builder.Expr, not %T", n.m.Name, item)
				return n
			}
			picks = append(picks, pick{expr: v})
			own = false
		default:
			n.err = fmt.Errorf("record: Select on %s: %T is neither a column name nor a builder.Expr", n.m.Name, item)
			return n
		}
	}
	n.pick = picks
	if !own {
		n.sel = nil
		return n
	}
	sel := append(make([]*registry.Column, 0, len(cols)+len(n.m.PK)+1), n.m.PK...)
	if n.m.Version != nil {
		sel = append(sel, n.m.Version) // a partial record is saved by its version too
	}
	for _, c := range cols {
		if !slices.Contains(sel, c) {
			sel = append(sel, c)
		}
	}
	n.sel = sel
	return n
}

// PerPage sets the page size of the original's search(per_page=n): a LIMIT
// of n rows, with the offset of the page set by Page. n ≤ 0 sets no limit.
func (q *QuerySet[T]) PerPage(n int) *QuerySet[T] {
	c := q.clone()
	c.per = n
	return c.paged()
}

// Page selects the page of the original's search(page=n), 1-based: with
// PerPage(p), page n > 1 skips (n-1)*p rows; n ≤ 1 is the first page.
// Without PerPage it has no effect, as in the original. Unlike Paginate it
// runs no COUNT.
func (q *QuerySet[T]) Page(n int) *QuerySet[T] {
	c := q.clone()
	c.page = n
	return c.paged()
}

// paged applies Page and PerPage as the original's paginate does: LIMIT
// per_page when per_page is set, OFFSET (page-1)*per_page when page > 1.
func (q *QuerySet[T]) paged() *QuerySet[T] {
	if q.per <= 0 {
		return q
	}
	q.limit, q.hasLim = uint64(q.per), true
	offset, err := pageOffset(q.page, q.per)
	if err != nil && q.err == nil {
		q.err = fmt.Errorf("record: PerPage(%d).Page(%d) of %s: %w", q.per, q.page, q.name(), err)
	}
	q.offset = offset
	return q
}

// Pluck returns the values of one column of the matching rows, in the
// query's order. column is a column of T or, in a joined query, a
// "table.column" of a many-to-one joined table. Values have the field's Go
// type, with pointers and sql.Null* unwrapped to their value or nil. Use
// the function Pluck for a typed slice.
func (q *QuerySet[T]) Pluck(column string) ([]any, error) {
	var out []any
	var dest reflect.Value
	err := q.pluckRows(column, func(col *registry.Column, rows *sql.Rows) error {
		if !dest.IsValid() {
			dest = reflect.New(col.Type)
		}
		dest.Elem().SetZero()
		if err := rows.Scan(dest.Interface()); err != nil {
			return wrapDB(q.m, "scan", err)
		}
		out = append(out, plainOf(col, dest.Elem().Interface()))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Pluck returns the values of one column of the rows q matches as a []V,
// scanned by database/sql into V: record.Pluck[string](q, "name"). column
// is named as for QuerySet.Pluck.
func Pluck[V, T any](q *QuerySet[T], column string) ([]V, error) {
	var out []V
	err := q.pluckRows(column, func(_ *registry.Column, rows *sql.Rows) error {
		var v V
		if err := rows.Scan(&v); err != nil {
			return wrapDB(q.m, "scan", err)
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pluckRows runs the query of one column and calls next for each row.
func (q *QuerySet[T]) pluckRows(column string, next func(col *registry.Column, rows *sql.Rows) error) error {
	col, text, args, err := q.pluckSQL(column)
	if err != nil {
		return err
	}
	rows, err := q.c.Query(q.ctx, text, args...)
	if err != nil {
		return wrapDB(q.m, "select", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := next(col, rows); err != nil {
			return err
		}
	}
	return wrapDB(q.m, "select", rows.Err())
}

func (q *QuerySet[T]) pluckSQL(column string) (*registry.Column, string, []any, error) {
	if q.err != nil {
		return nil, "", nil, q.err
	}
	if err := q.recordsRefusal(); err != nil {
		return nil, "", nil, err
	}
	col, m, err := q.column(column)
	if err != nil {
		return nil, "", nil, err
	}
	for _, j := range q.joins {
		if j.m == m && j.many {
			return nil, "", nil, fmt.Errorf("record: Pluck(%q) on %s: %q is joined one-to-many; query %s instead", column, q.m.Name, m.Table, m.Name)
		}
	}
	name := q.c.Dialect().Quote(col.Name)
	if len(q.joins) > 0 {
		if name, err = q.qualify(column); err != nil {
			return nil, "", nil, err
		}
	}
	var order []string
	switch {
	case len(q.order) > 0:
		order, err = q.orderSQL(q.order)
	case q.distinct:
		// SELECT DISTINCT orders by what it selects (PostgreSQL insists).
		order = []string{name}
	default:
		order, err = q.orderSQL(pkOrder(q.m))
	}
	if err != nil {
		return nil, "", nil, err
	}
	text, args, err := q.selectSQLOrdered(name, order)
	return col, text, args, err
}

// IndexBy returns the matching rows keyed by the value of one of T's
// columns (pointers and sql.Null* unwrapped, nil for NULL). When several
// rows share a value, the last in the query's order wins. Columns of
// []byte, JSON or other incomparable types cannot be keys.
func (q *QuerySet[T]) IndexBy(column string) (map[any]*T, error) {
	if q.err != nil {
		return nil, q.err
	}
	col, ok := q.m.Column(column)
	if !ok {
		return nil, unknownColumn(q.m, column)
	}
	if col.Kind == registry.KindBytes || col.Kind == registry.KindJSON || !col.Type.Comparable() {
		return nil, &FieldError{Model: q.m.Name, Field: col.Field, Column: col.Name,
			Err: fmt.Errorf("IndexBy: a %s value cannot be a map key", col.Type)}
	}
	rows, err := q.All()
	if err != nil {
		return nil, err
	}
	out := make(map[any]*T, len(rows))
	for _, p := range rows {
		out[plainValue(col, unsafe.Pointer(p))] = p
	}
	return out, nil
}
