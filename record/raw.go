package record

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Raw runs a query written by hand and maps its rows to records of T: the
// escape hatch for what QuerySet cannot say. Arguments are bound
// parameters written as ? on every dialect (on PostgreSQL each ? outside
// quotes and comments becomes $1, $2, …; a query written with $1 is passed
// as is). The text itself is used as written, so it must never contain
// user input.
//
// Each result column is matched to a column of T by its column name, or by
// its Go field name, ignoring case. A result column that matches no column
// is an error naming every such column, returned before any row is read:
// alias it to a column name or leave it out. Columns of T missing from the
// result keep their zero values. When the result holds the whole primary
// key, the records count as loaded, as a QuerySet's do: Save writes only
// the columns changed since (a partial result is a partial load, see
// QuerySet.Select) and, inside a session, a row the session holds is
// returned as the session's record. Without the whole key the records are
// new: Save inserts them.
//
// T may also be a plain struct, neither embedding Base nor registered (a
// model without Base must be registered, or used once, first): its rows
// are matched to fields as record.Scan matches them, by db tag name, else
// snake_case name, ignoring case, and a result column that matches no
// field is an error before any row is read. Plain rows are not records:
// no identity map, no snapshot, no hooks.
func Raw[T any](ctx context.Context, query string, args ...any) ([]*T, error) {
	if t := reflect.TypeFor[T](); !registry.IsModelType(t) {
		if _, ok := registry.Registered(t); !ok {
			return rawPlain[T](ctx, t, query, args)
		}
	}
	m, c, err := target[T](ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, rebind(c.Dialect(), query), args...)
	if err != nil {
		return nil, wrapDB(m, "select", err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, wrapDB(m, "select", err)
	}
	cols := make([]*registry.Column, len(names))
	var unknown []string
	for i, name := range names {
		col, ok := m.Column(name)
		if !ok {
			col, ok = columnFold(m, name)
		}
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", name))
			continue
		}
		for _, prev := range cols[:i] {
			if prev == col {
				return nil, fmt.Errorf("record: Raw[%s]: result column %q maps to column %q twice", m.Name, name, col.Name)
			}
		}
		cols[i] = col
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("record: Raw[%s]: result columns %s are not columns of %s (alias them to column names, or leave them out): %w",
			m.Name, strings.Join(unknown, ", "), m.Name, registry.ErrUnknownColumn)
	}
	sc := newScanner[T](ctx, m, 16)
	sc.cols, sc.dest = cols, make([]any, len(cols))
	for _, k := range m.PK {
		if !contains(cols, k) {
			sc.keyless = true
		}
	}
	sc.remember = len(cols) == len(m.Columns)
	var out []*T
	for rows.Next() {
		p, err := sc.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB(m, "select", err)
	}
	return out, nil
}

// rawPlain is Raw into a plain struct.
func rawPlain[T any](ctx context.Context, t reflect.Type, query string, args []any) ([]*T, error) {
	p, err := planOf(t)
	if err != nil {
		return nil, err
	}
	c, err := session.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, rebind(c.Dialect(), query), args...)
	if err != nil {
		return nil, fmt.Errorf("record: Raw[%s]: %w", t, session.TranslateError(err))
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("record: Raw[%s]: %w", t, err)
	}
	fields, err := p.match(names, "Raw")
	if err != nil {
		return nil, err
	}
	dest := make([]any, len(fields))
	var out []*T
	for rows.Next() {
		r := new(T)
		up := unsafe.Pointer(r)
		for i, f := range fields {
			dest[i] = f.dest(unsafe.Add(up, f.offset))
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("record: Raw[%s]: %w", t, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record: Raw[%s]: %w", t, session.TranslateError(err))
	}
	return out, nil
}

func contains(cols []*registry.Column, c *registry.Column) bool {
	for _, x := range cols {
		if x == c {
			return true
		}
	}
	return false
}

// columnFold finds a column by name or field name ignoring case: databases
// differ in the case they report for unquoted aliases.
func columnFold(m *registry.Model, name string) (*registry.Column, bool) {
	for _, c := range m.Columns {
		if strings.EqualFold(c.Name, name) || strings.EqualFold(c.Field, name) {
			return c, true
		}
	}
	return nil, false
}

// rebind rewrites the ? placeholders of hand-written SQL for dialects that
// number them ($1, $2, …), leaving literals and comments alone (see
// builder.Rebind).
func rebind(d builder.Dialect, query string) string { return builder.Rebind(d, query) }
