package sqlgen

import (
	"fmt"
	"sort"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

// Resolve checks every column name in a criterion against m and returns an
// equivalent criterion whose keys are quoted identifiers. An unknown column
// is a *registry.UnknownColumnError; nothing is built.
func Resolve(d builder.Dialect, m *registry.Model, c builder.Sqlizer) (builder.Sqlizer, error) {
	switch v := c.(type) {
	case nil:
		return nil, fmt.Errorf("builder: nil criterion for %s", m.Name)
	case sq.Eq:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.Eq(n) })
	case sq.NotEq:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.NotEq(n) })
	case sq.Gt:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.Gt(n) })
	case sq.GtOrEq:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.GtOrEq(n) })
	case sq.Lt:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.Lt(n) })
	case sq.LtOrEq:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.LtOrEq(n) })
	case sq.Like:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.Like(n) })
	case sq.NotLike:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.NotLike(n) })
	case sq.ILike:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.ILike(n) })
	case sq.NotILike:
		return resolveMap(d, m, v, func(n map[string]any) builder.Sqlizer { return sq.NotILike(n) })
	case sq.And:
		out, err := resolveAll(d, m, v)
		return sq.And(out), err
	case sq.Or:
		out, err := resolveAll(d, m, v)
		return sq.Or(out), err
	}
	return c, nil
}

func resolveAll(d builder.Dialect, m *registry.Model, cs []builder.Sqlizer) ([]builder.Sqlizer, error) {
	out := make([]builder.Sqlizer, len(cs))
	for i, c := range cs {
		r, err := Resolve(d, m, c)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func resolveMap(d builder.Dialect, m *registry.Model, in map[string]any, wrap func(map[string]any) builder.Sqlizer) (builder.Sqlizer, error) {
	out := make(map[string]any, len(in))
	for k, v := range in {
		c, ok := m.Column(k)
		if !ok {
			return nil, &registry.UnknownColumnError{Model: m.Name, Column: k}
		}
		q := d.Quote(c.Name)
		if _, dup := out[q]; dup {
			return nil, fmt.Errorf("builder: %s: column %q is named twice in one criterion", m.Name, c.Name)
		}
		out[q] = v
	}
	return withSubqueries(d, m.Name, out, wrap)
}

// withSubqueries wraps a resolved map criterion (keys quoted), writing the
// keys whose value is a Subquery as IN / NOT IN (subquery). d is nil when
// the dialect is not known here.
func withSubqueries(d builder.Dialect, model string, m map[string]any, wrap func(map[string]any) builder.Sqlizer) (builder.Sqlizer, error) {
	var subs []string
	for k, v := range m {
		if _, ok := v.(builder.Subquery); ok {
			subs = append(subs, k)
		}
	}
	if len(subs) == 0 {
		return wrap(m), nil
	}
	var in string
	switch wrap(nil).(type) {
	case sq.Eq:
		in = " IN ("
	case sq.NotEq:
		in = " NOT IN ("
	default:
		return nil, fmt.Errorf("builder: %s: a subquery is a value of Eq (IN) or NotEq (NOT IN) only", model)
	}
	sort.Strings(subs)
	rest := make(map[string]any, len(m)-len(subs))
	for k, v := range m {
		if _, ok := v.(builder.Subquery); !ok {
			rest[k] = v
		}
	}
	var parts []builder.Sqlizer
	if len(rest) > 0 {
		parts = append(parts, wrap(rest))
	}
	for _, k := range subs {
		text, args, dialect, err := m[k].(builder.Subquery).SubquerySQL()
		if err != nil {
			return nil, fmt.Errorf("builder: %s: subquery for %s: %w", model, k, err)
		}
		if d != nil && dialect != d.Name() {
			return nil, fmt.Errorf("builder: %s: subquery for %s is built for %s, the query for %s", model, k, dialect, d.Name())
		}
		parts = append(parts, builder.Expr(k+in+text+")", args...))
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return sq.And(parts), nil
}

// Order is one resolved ORDER BY term.
type Order struct {
	Column *registry.Column
	Alias  string // with Column nil: an expression's AS name in the select list (OrderSQL writes it as it is)
	Desc   bool
}

// ParseOrder resolves ORDER BY terms of the forms "name", "-name",
// "name DESC" and "name ASC" against m.
func ParseOrder(m *registry.Model, terms ...string) ([]Order, error) {
	return parseOrder(m, false, terms)
}

// ParseOrderOrAlias is ParseOrder, taking a name that is no column of m
// but a valid identifier as an alias of the select list (Order.Alias),
// which the caller checks against its select list.
func ParseOrderOrAlias(m *registry.Model, terms ...string) ([]Order, error) {
	return parseOrder(m, true, terms)
}

func parseOrder(m *registry.Model, aliases bool, terms []string) ([]Order, error) {
	out := make([]Order, 0, len(terms))
	for _, t := range terms {
		for _, part := range strings.Split(t, ",") {
			part = strings.TrimSpace(part)
			var o Order
			name, dir, hasDir := strings.Cut(part, " ")
			if strings.HasPrefix(name, "-") && !hasDir {
				o.Desc = true
				name = name[1:]
			}
			c, ok := m.Column(name)
			if !ok && (!aliases || !registry.ValidIdentifier(name)) {
				return nil, &registry.UnknownColumnError{Model: m.Name, Column: name}
			}
			if !ok {
				o.Alias = name
			}
			if hasDir {
				switch strings.ToUpper(strings.TrimSpace(dir)) {
				case "DESC":
					o.Desc = true
				case "ASC":
				default:
					return nil, fmt.Errorf("builder: order %q of %s: direction must be ASC or DESC", t, m.Name)
				}
			}
			o.Column = c // nil for an alias
			out = append(out, o)
		}
	}
	return out, nil
}

// OrderSQL renders resolved terms as `"name" DESC, "id"`.
func OrderSQL(d builder.Dialect, orders []Order) []string {
	out := make([]string, len(orders))
	for i, o := range orders {
		if o.Column == nil {
			out[i] = o.Alias
		} else {
			out[i] = d.Quote(o.Column.Name)
		}
		if o.Desc {
			out[i] += " DESC"
		}
	}
	return out
}

// Select starts a squirrel SELECT of every column of m in dialect d.
func Select(d builder.Dialect, m *registry.Model) sq.SelectBuilder {
	return sq.Select(For(d, m).Columns).From(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders())
}

// Count starts a squirrel SELECT COUNT(*) of m in dialect d.
func Count(d builder.Dialect, m *registry.Model) sq.SelectBuilder {
	return sq.Select("COUNT(*)").From(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders())
}

// DeleteWhere starts a squirrel DELETE of m in dialect d.
func DeleteWhere(d builder.Dialect, m *registry.Model) sq.DeleteBuilder {
	return sq.Delete(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders())
}
