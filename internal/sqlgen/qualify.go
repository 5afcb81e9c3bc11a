package sqlgen

import (
	"fmt"
	"strconv"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

// NameFunc turns a column name used in a criterion ("name", or
// "table.column" in a joined query) into the SQL that names it: a quoted,
// possibly table-qualified identifier. It returns an error (typically a
// *registry.UnknownColumnError) for a name it does not know.
type NameFunc func(name string) (string, error)

// ResolveWith is Resolve with the caller's name lookup: joined queries use
// it to accept "table.column" keys and to qualify every column with its
// table. Nothing is built when a name is unknown.
func ResolveWith(c builder.Sqlizer, name NameFunc) (builder.Sqlizer, error) {
	switch v := c.(type) {
	case nil:
		return nil, fmt.Errorf("builder: nil criterion")
	case sq.Eq:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.Eq(n) })
	case sq.NotEq:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.NotEq(n) })
	case sq.Gt:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.Gt(n) })
	case sq.GtOrEq:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.GtOrEq(n) })
	case sq.Lt:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.Lt(n) })
	case sq.LtOrEq:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.LtOrEq(n) })
	case sq.Like:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.Like(n) })
	case sq.NotLike:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.NotLike(n) })
	case sq.ILike:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.ILike(n) })
	case sq.NotILike:
		return renameMap(v, name, func(n map[string]any) builder.Sqlizer { return sq.NotILike(n) })
	case sq.And:
		out, err := resolveAllWith(v, name)
		return sq.And(out), err
	case sq.Or:
		out, err := resolveAllWith(v, name)
		return sq.Or(out), err
	}
	return c, nil
}

func resolveAllWith(cs []builder.Sqlizer, name NameFunc) ([]builder.Sqlizer, error) {
	out := make([]builder.Sqlizer, len(cs))
	for i, c := range cs {
		r, err := ResolveWith(c, name)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func renameMap(in map[string]any, name NameFunc, wrap func(map[string]any) builder.Sqlizer) (builder.Sqlizer, error) {
	out := make(map[string]any, len(in))
	for k, v := range in {
		n, err := name(k)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return withSubqueries(nil, "query", out, wrap)
}

// Qualified is a column quoted with its table: "user"."name".
func Qualified(d builder.Dialect, table string, c *registry.Column) string {
	return d.Quote(table) + "." + d.Quote(c.Name)
}

// QualifiedList is the comma-separated list of cols, each qualified with
// table.
func QualifiedList(d builder.Dialect, table string, cols []*registry.Column) string {
	n := 0
	for _, c := range cols {
		n += len(table) + len(c.Name) + 7
	}
	b := make([]byte, 0, n)
	for i, c := range cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, Qualified(d, table, c)...)
	}
	return string(b)
}

// ColumnList is the comma-separated list of cols, quoted.
func ColumnList(d builder.Dialect, cols []*registry.Column) string { return quotedList(d, cols) }

// OrderSQLIn renders resolved terms qualified with table, for queries that
// join other tables.
func OrderSQLIn(d builder.Dialect, table string, orders []Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		if o.Column == nil {
			out[i] = o.Alias // an alias of the select list is not qualified
		} else {
			out[i] = Qualified(d, table, o.Column)
		}
		if o.Desc {
			out[i] += " DESC"
		}
	}
	return out
}

// AppendPlaceholder appends the n-th (1-based) bound parameter marker of
// d to b: ? or $n.
func AppendPlaceholder(b []byte, d builder.Dialect, n int) []byte {
	if builder.Numbered(d) {
		return strconv.AppendInt(append(b, '$'), int64(n), 10)
	}
	return append(b, '?')
}
