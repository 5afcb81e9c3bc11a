package record

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlexpr"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Update sets columns of every row the query matches in one UPDATE
// statement and returns how many rows it matched. values maps column (or
// field) names to values, converted and checked as Save checks them; a
// builder.Expr value is written as an expression of the row
// (builder.Expr("hits + ?", 1)), its text as written and its arguments
// bound. An unknown name is an *registry.UnknownColumnError, a value that
// does not fit a *FieldError, both before any SQL runs.
//
// No record is loaded: no hooks or events run (Set, BeforeUpdate,
// AfterSave, ...), which is what makes it one statement; save records
// one by one when they must run. A model's version column is counted up
// in every matched row, so that records loaded before fail to save with
// ErrStale instead of overwriting the change, and its autoupdate columns
// get the statement's time. Inside a session, the session forgets every
// record of T it holds (a later Get loads the row again); records held
// elsewhere keep their old field values.
//
// The query's criteria and joins select the rows (joins become an
// EXISTS test); Limit, Offset, LeftJoin, Distinct, GroupBy, Having and
// expression Selects have no portable UPDATE form and are refused with an
// error matching errors.ErrUnsupported. Order and locks are ignored.
func (q *QuerySet[T]) Update(values map[string]any) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	if len(values) == 0 {
		return 0, fmt.Errorf("record: Update of %s: no values to set", q.m.Name)
	}
	where, err := q.writeWhere("Update")
	if err != nil {
		return 0, err
	}
	d := q.c.Dialect()
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names) // one text per set of columns
	b := sq.Update(d.Quote(q.m.Table)).PlaceholderFormat(d.Placeholders())
	scratch := new(T)
	up := unsafe.Pointer(scratch)
	var seen registry.ColumnSet
	for _, k := range names {
		c, ok := q.m.Column(k)
		if !ok {
			if r, isRel := q.m.Relation(k); isRel {
				return 0, &FieldError{Model: q.m.Name, Field: r.Field, Column: k, Err: errors.New("Update by criteria sets columns, not relations")}
			}
			return 0, unknownColumn(q.m, k)
		}
		if seen.Has(meta.Pos(c)) {
			return 0, &FieldError{Model: q.m.Name, Field: c.Field, Column: c.Name, Err: fmt.Errorf("named twice (as %q and its column or field name)", k)}
		}
		seen.Add(meta.Pos(c))
		if c.Version {
			return 0, &FieldError{Model: q.m.Name, Field: c.Field, Column: c.Name, Err: errors.New("the version column is counted up by the library, not set")}
		}
		v := values[k]
		if e, isExpr := v.(builder.Sqlizer); isExpr {
			if _, _, ok := sqlexpr.Parts(e); !ok {
				return 0, &FieldError{Model: q.m.Name, Field: c.Field, Column: c.Name, Err: fmt.Errorf("an expression value must be a builder.Expr, not %T", v)}
			}
			b = b.Set(d.Quote(c.Name), e)
			continue
		}
		rv, err := convertColumn(q.m, c, v)
		if err != nil {
			return 0, err
		}
		meta.Reflect(c, up).Set(rv)
		b = b.Set(d.Quote(c.Name), meta.Value(c, up))
	}
	if vc := q.m.Version; vc != nil {
		b = b.Set(d.Quote(vc.Name), sq.Expr(d.Quote(vc.Name)+" + 1"))
	}
	t := now()
	for _, c := range autoUpdated(q.m, func(c *registry.Column) bool { return seen.Has(meta.Pos(c)) }) {
		setTime(c, up, t)
		b = b.Set(d.Quote(c.Name), meta.Value(c, up))
	}
	if where != nil {
		b = b.Where(where)
	}
	text, args, err := b.ToSql()
	if err != nil {
		return 0, fmt.Errorf("record: Update of %s: %w", q.m.Name, err)
	}
	return q.execWrite("update", text, args)
}

// Delete deletes every row the query matches in one DELETE statement and
// returns how many it deleted. As Update, it loads no record and runs no
// hooks or events, and it does not cascade: relations tagged cascade and
// many-to-many join rows are left to the database's foreign keys, which
// refuse the DELETE (a *ReferencedError, as for Destroy) or, with ON
// DELETE, act as they were declared; use Destroy for the library's
// cascades. Inside a session, the session forgets every record of T it
// holds. The query shapes it refuses are those Update refuses.
func (q *QuerySet[T]) Delete() (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	where, err := q.writeWhere("Delete")
	if err != nil {
		return 0, err
	}
	n, _, err := deleting(q.ctx, q.c, q.m).where(q.ctx, where)
	// Even when the statement failed some rows may have changed: forget.
	forgetModel(session.Current(q.ctx), q.m)
	return n, err
}

func (q *QuerySet[T]) execWrite(op, text string, args []any) (int64, error) {
	res, err := q.c.Exec(q.ctx, text, args...)
	if err != nil {
		return 0, wrapDB(q.m, op, err)
	}
	// Even when RowsAffected fails the rows changed: forget first.
	forgetModel(session.Current(q.ctx), q.m)
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapDB(q.m, op, err)
	}
	return n, nil
}

// writeWhere is the WHERE condition of an UPDATE or DELETE of the query's
// rows (nil for every row), or the error for a query that no single
// portable statement can write.
func (q *QuerySet[T]) writeWhere(op string) (sq.Sqlizer, error) {
	refuse := func(what string) error {
		return fmt.Errorf("record: %s of %s: a query with %s cannot %s rows in one portable statement: %w", op, q.m.Name, what, strings.ToLower(op), errors.ErrUnsupported)
	}
	switch {
	case q.hasLim:
		return nil, refuse("Limit (or PerPage)")
	case q.offset > 0:
		return nil, refuse("Offset (or Page)")
	}
	if err := q.aggregateRefusal(refuse); err != nil {
		return nil, err
	}
	for _, j := range q.joins {
		if j.left {
			return nil, refuse("LeftJoin")
		}
	}
	var conds []sq.Sqlizer
	if live := q.liveCond(); live != nil && len(q.joins) == 0 {
		conds = append(conds, live)
	}
	conds = append(conds, q.where...)
	if len(q.joins) == 0 {
		switch len(conds) {
		case 0:
			return nil, nil
		case 1:
			return conds[0], nil
		}
		return sq.And(conds), nil
	}
	// Every join, one-to-many or many-to-one, becomes an EXISTS over the
	// joined tables: UPDATE ... JOIN and UPDATE ... FROM differ between
	// the dialects, a correlated EXISTS does not.
	d := q.c.Dialect()
	tables := make([]string, len(q.joins))
	sub := sq.Select("1")
	for i, j := range q.joins {
		tables[i] = d.Quote(j.m.Table)
		sub = sub.Where(j.on)
	}
	sub = sub.From(strings.Join(tables, ", "))
	for _, w := range conds {
		sub = sub.Where(w)
	}
	text, args, err := sub.ToSql()
	if err != nil {
		return nil, err
	}
	exists := sq.Expr("EXISTS ("+text+")", args...)
	if live := q.liveCond(); live != nil {
		return sq.And{live, exists}, nil
	}
	return exists, nil
}
