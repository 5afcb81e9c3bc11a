package record

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlexpr"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

// join is one table joined to a query through a foreign key.
type join struct {
	m    *registry.Model // the joined model
	on   string          // the join condition, qualified and quoted
	many bool            // the joined table holds the foreign key (one-to-many)
	left bool            // LEFT JOIN: keep rows without a match
}

// Join joins another model's table to the query through a foreign key
// declared with an fk=table.column tag, so that criteria can name its
// columns as "table.column"; plain names keep meaning the queried model's
// columns. target is one of:
//
//   - a table that a column of T references: Query[UserRole](ctx).Join("user")
//     joins "user" ON "user_role"."user_id" = "user"."id";
//   - that column itself, when several columns reference one table:
//     Join("created_by");
//   - a table with a column that references T's table (one-to-many):
//     Query[User](ctx).Join("user_role"), or "user_role.user_id" when it has
//     several such columns.
//
// A many-to-one join is an inner JOIN: rows whose key has no match drop out.
// A one-to-many join keeps each row of T once, however many rows of the
// joined table match: the query's criteria move into
// WHERE EXISTS (SELECT 1 FROM joined WHERE joined.fk = t.key AND criteria),
// so Count, Limit and Paginate count rows of T. Rows are still records of
// T only; load related records with relations. Call Join before the Where
// that names the joined table's columns. The joined model must be
// registered (registry.Register or earlier use). Joining the same table
// twice, or a table to itself, is an error, as is a target with no foreign
// key between the two; every error is returned by the method that would
// run SQL, before any SQL is built.
func (q *QuerySet[T]) Join(target string) *QuerySet[T] { return q.join(target, false) }

// LeftJoin is Join as a LEFT JOIN, the original's outerjoin: rows of T
// whose foreign key matches no row of the joined table stay, with NULL in
// the joined table's columns. It joins many-to-one only; a one-to-many
// join target is an error.
func (q *QuerySet[T]) LeftJoin(target string) *QuerySet[T] { return q.join(target, true) }

func (q *QuerySet[T]) join(target string, left bool) *QuerySet[T] {
	n := q.clone()
	if n.err != nil {
		return n
	}
	j, err := n.findJoin(target)
	if err == nil && left && j.many {
		err = fmt.Errorf("record: LeftJoin(%q) on %s: %q references %s, which is one-to-many; LeftJoin joins many-to-one only", target, q.m.Name, j.m.Table, q.m.Table)
	}
	if err != nil {
		n.err = err
		return n
	}
	j.left = left
	n.joins = append(n.joins, j)
	// Criteria given so far were resolved without the table qualifier
	// that a join needs to keep column names unambiguous.
	n.where = make([]builder.Sqlizer, len(n.crit))
	for i, c := range n.crit {
		if n.where[i], err = n.resolve(c); err != nil {
			n.err = err
			return n
		}
	}
	n.having = make([]builder.Sqlizer, len(n.havCrit))
	for i, c := range n.havCrit {
		if n.having[i], err = n.resolve(c); err != nil {
			n.err = err
			return n
		}
	}
	return n
}

func (q *QuerySet[T]) findJoin(target string) (join, error) {
	d, m := q.c.Dialect(), q.m
	fail := func(format string, args ...any) (join, error) {
		return join{}, fmt.Errorf("record: Join(%q) on %s: %s", target, m.Name, fmt.Sprintf(format, args...))
	}
	manyToOne := func(col *registry.Column) (join, error) {
		jm, ok := registry.ByTable(col.FK.Table)
		if !ok {
			return fail("column %q references table %q, which no registered model maps", col.Name, col.FK.Table)
		}
		ref, ok := jm.Column(col.FK.Column)
		if !ok {
			return join{}, &registry.UnknownColumnError{Model: jm.Name, Column: col.FK.Column}
		}
		return join{m: jm, on: sqlgen.Qualified(d, m.Table, col) + " = " + sqlgen.Qualified(d, jm.Table, ref)}, nil
	}
	oneToMany := func(jm *registry.Model, col *registry.Column) (join, error) {
		ref, ok := m.Column(col.FK.Column)
		if !ok {
			return join{}, &registry.UnknownColumnError{Model: m.Name, Column: col.FK.Column}
		}
		return join{m: jm, many: true, on: sqlgen.Qualified(d, jm.Table, col) + " = " + sqlgen.Qualified(d, m.Table, ref)}, nil
	}
	var j join
	var err error
	table, column, dotted := strings.Cut(target, ".")
	switch {
	case dotted:
		jm, ok := registry.ByTable(table)
		if !ok {
			return fail("no registered model has table %q", table)
		}
		col, ok := jm.Column(column)
		if !ok {
			return join{}, &registry.UnknownColumnError{Model: jm.Name, Column: column}
		}
		if col.FK == nil || col.FK.Table != m.Table {
			return fail("%s.%s does not reference table %q", jm.Table, col.Name, m.Table)
		}
		j, err = oneToMany(jm, col)
	default:
		if col, ok := m.Column(target); ok {
			if col.FK == nil {
				return fail("column %q has no fk=table.column tag", col.Name)
			}
			j, err = manyToOne(col)
			break
		}
		jm, ok := registry.ByTable(target)
		if !ok {
			return fail("no registered model has table %q, and %s has no such column", target, m.Name)
		}
		var out, in []*registry.Column
		for _, c := range m.Columns {
			if c.FK != nil && c.FK.Table == jm.Table {
				out = append(out, c)
			}
		}
		for _, c := range jm.Columns {
			if c.FK != nil && c.FK.Table == m.Table {
				in = append(in, c)
			}
		}
		switch {
		case len(out) == 1:
			j, err = manyToOne(out[0])
		case len(out) > 1:
			return fail("columns %s all reference %q: join one of them by name", names(out), jm.Table)
		case len(in) == 1:
			j, err = oneToMany(jm, in[0])
		case len(in) > 1:
			return fail("columns %s of %q all reference %q: join one as %q", names(in), jm.Table, m.Table, jm.Table+"."+in[0].Name)
		default:
			// No fk= tags: a relation the registry found by naming
			// convention (Album.Artist through ArtistId).
			r, ok := relationTo(m, jm)
			if !ok {
				return fail("no fk=table.column tag or relation links %q and %q", m.Table, jm.Table)
			}
			if r.Kind == registry.BelongsTo {
				j = join{m: jm, on: sqlgen.Qualified(d, m.Table, r.FK) + " = " + sqlgen.Qualified(d, jm.Table, r.Ref)}
			} else {
				j = join{m: jm, many: true, on: sqlgen.Qualified(d, jm.Table, r.FK) + " = " + sqlgen.Qualified(d, m.Table, r.Ref)}
			}
		}
	}
	if err != nil {
		return join{}, err
	}
	if j.m == m {
		return fail("joining a table to itself needs aliases, which Join does not support")
	}
	for _, o := range q.joins {
		if o.m == j.m {
			return fail("table %q is joined already", j.m.Table)
		}
	}
	return j, nil
}

// relationTo returns m's one relation to jm stored in a foreign key of
// either table (not a many-to-many one).
func relationTo(m, jm *registry.Model) (*registry.Relation, bool) {
	var found *registry.Relation
	for _, r := range m.Relations {
		if r.Related != jm || r.FK == nil || r.Kind == registry.ManyToMany {
			continue
		}
		if found != nil && found.FK != r.FK {
			return nil, false // ambiguous
		}
		found = r
	}
	return found, found != nil
}

func names(cols []*registry.Column) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = fmt.Sprintf("%q", c.Name)
	}
	return strings.Join(s, ", ")
}

// resolve checks a criterion's column names and quotes them; with joins it
// qualifies every name with its table and accepts "table.column".
func (q *QuerySet[T]) resolve(c builder.Sqlizer) (builder.Sqlizer, error) {
	if len(q.joins) == 0 {
		return sqlgen.Resolve(q.c.Dialect(), q.m, c)
	}
	r, err := sqlgen.ResolveWith(c, q.qualify)
	if err != nil && c == nil {
		return nil, fmt.Errorf("record: nil criterion for %s: %w", q.m.Name, err)
	}
	return r, err
}

// qualify names a column of the query's model or of a joined model as
// "table"."column".
func (q *QuerySet[T]) qualify(name string) (string, error) {
	col, m, err := q.column(name)
	if err != nil {
		return "", err
	}
	return sqlgen.Qualified(q.c.Dialect(), m.Table, col), nil
}

// column finds a column by name: "name" of the query's model, or
// "table.column" of the model itself or of a joined model.
func (q *QuerySet[T]) column(name string) (*registry.Column, *registry.Model, error) {
	table, col, dotted := strings.Cut(name, ".")
	if !dotted {
		c, ok := q.m.Column(name)
		if !ok {
			return nil, nil, unknownColumn(q.m, name)
		}
		return c, q.m, nil
	}
	m := q.joined(table)
	if m == nil {
		return nil, nil, unknownColumn(q.m, name)
	}
	c, ok := m.Column(col)
	if !ok {
		return nil, nil, unknownColumn(m, col)
	}
	return c, m, nil
}

// joined returns the model of table when it is the query's own or a joined
// one.
func (q *QuerySet[T]) joined(table string) *registry.Model {
	if table == q.m.Table {
		return q.m
	}
	for _, j := range q.joins {
		if j.m.Table == table {
			return j.m
		}
	}
	return nil
}

// filtered starts the query's SELECT of columns (a select list's text, or
// a Sqlizer of it): FROM, JOINs and WHERE.
func (q *QuerySet[T]) filtered(columns any) sq.SelectBuilder {
	d := q.c.Dialect()
	b := sq.Select().Column(columns).From(d.Quote(q.m.Table)).PlaceholderFormat(d.Placeholders())
	var many []join
	for _, j := range q.joins {
		if j.many {
			many = append(many, j)
			continue
		}
		if j.left {
			b = b.LeftJoin(d.Quote(j.m.Table) + " ON " + j.on)
		} else {
			b = b.Join(d.Quote(j.m.Table) + " ON " + j.on)
		}
	}
	if live := q.liveCond(); live != nil {
		b = b.Where(live)
	}
	if len(many) == 0 {
		for _, w := range q.where {
			b = b.Where(w)
		}
		return b
	}
	tables := make([]string, len(many))
	sub := sq.Select("1")
	for i, j := range many {
		tables[i] = d.Quote(j.m.Table)
		sub = sub.Where(j.on)
	}
	sub = sub.From(strings.Join(tables, ", "))
	for _, w := range q.where {
		sub = sub.Where(w)
	}
	text, args, err := sub.ToSql()
	if err != nil {
		// The outer ToSql reports it.
		return b.Where(errSqlizer{err})
	}
	return b.Where(sq.Expr("EXISTS ("+text+")", args...))
}

type errSqlizer struct{ err error }

func (e errSqlizer) ToSql() (string, []any, error) { return "", nil, e.err }

// columnList is the select list of the query's records.
func (q *QuerySet[T]) columnList() string {
	d := q.c.Dialect()
	cols := q.sel
	if cols == nil {
		if len(q.joins) == 0 {
			return sqlgen.For(d, q.m).Columns
		}
		cols = q.m.Columns
	}
	if len(q.joins) == 0 {
		return sqlgen.ColumnList(d, cols)
	}
	return sqlgen.QualifiedList(d, q.m.Table, cols)
}

// orderSQL renders ORDER BY terms, qualified when tables are joined.
func (q *QuerySet[T]) orderSQL(o []sqlgen.Order) ([]string, error) {
	copied := false
	for i, t := range o {
		name := t.Alias
		if t.Column != nil {
			// Joined, a column is qualified: a name the caller ordered by
			// that the select list also gives an expression is that
			// expression's, as SQL reads a bare name in ORDER BY (and as
			// an unjoined query writes it). The primary key order used
			// without OrderBy (q.order empty) stays T's key.
			if len(q.joins) == 0 || len(q.order) == 0 {
				continue
			}
			name = t.Column.Name
		}
		spelled, ok := q.selectAlias(name)
		switch {
		case !ok && t.Column != nil:
			continue
		case !ok:
			return nil, &registry.UnknownColumnError{Model: q.m.Name, Column: t.Alias}
		}
		if !copied { // q.order is shared with the queries derived from q
			o, copied = slices.Clone(o), true
		}
		o[i].Column, o[i].Alias = nil, spelled
	}
	if len(q.joins) == 0 {
		return sqlgen.OrderSQL(q.c.Dialect(), o), nil
	}
	return sqlgen.OrderSQLIn(q.c.Dialect(), q.m.Table, o), nil
}

// selectAlias returns the AS name of the select list's expression that
// name names, as an ORDER BY term: a quoted name matched exactly and
// quoted as the dialect quotes (MySQL would read "name" as a string); a
// bare one matched as SQL matches bare names, without regard to case, and
// left bare (PostgreSQL folds it to lower case).
func (q *QuerySet[T]) selectAlias(name string) (string, bool) {
	for _, p := range q.pick {
		if p.expr == nil {
			continue
		}
		text, _, _ := sqlexpr.Parts(p.expr)
		m := asName.FindStringSubmatch(text)
		switch {
		case m == nil:
		case m[2] != "" && m[2] == name, m[3] != "" && m[3] == name:
			return q.c.Dialect().Quote(name), true
		case m[4] != "" && strings.EqualFold(m[4], name):
			return m[1], true
		}
	}
	return "", false
}

// asName matches the AS name that ends an expression of a select list:
// "name", `name` or a bare identifier.
var asName = regexp.MustCompile(`(?i)\sAS\s+("([A-Za-z_][A-Za-z0-9_]*)"|` + "`([A-Za-z_][A-Za-z0-9_]*)`" + `|([A-Za-z_][A-Za-z0-9_]*))\s*$`)

// scanner returns the row scanner of the query's select list.
func (q *QuerySet[T]) scanner(hint int) *scanner[T] {
	sc := newScanner[T](q.ctx, q.m, hint)
	if q.sel != nil {
		sc.cols = q.sel
		sc.dest = make([]any, len(q.sel))
		// A partial record must not stand in for the whole row in later
		// loads of the session.
		sc.remember = false
	}
	return sc
}
