package session

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

// Plan is what Diff found: the ordered steps that bring the live schema to
// the models, in the client's dialect. An empty plan (Empty) means the
// database already matches.
type Plan struct {
	Dialect string // "sqlite", "mysql" or "postgres"
	Steps   []Step
	// Notes are differences Diff saw but writes no SQL for (a changed
	// primary key, an autoincrement column added to an existing table):
	// a person writes those migrations.
	Notes []string
}

// Step is one change of a plan: the statements that make it, the
// statements that undo it, and whether it can lose data.
type Step struct {
	Table       string
	Description string   // for people: "add column user.age", "drop index ix_user_name"
	Destructive bool     // a drop, or a type change that may not keep every value
	Up          []string // the statements, in order
	Down        []string // the statements that put the schema back as Diff read it
	// Rebuild is set on SQLite steps that rebuild a table (create the new
	// table, copy, drop, rename): they must run with foreign_keys off,
	// which Apply and the migration runner do.
	Rebuild bool
}

// Empty reports whether the plan has no step.
func (p *Plan) Empty() bool { return p == nil || len(p.Steps) == 0 }

// Destructive returns the steps that may lose data.
func (p *Plan) Destructive() []Step {
	var out []Step
	for _, s := range p.Steps {
		if s.Destructive {
			out = append(out, s)
		}
	}
	return out
}

// UpSQL returns every step's statements in order.
func (p *Plan) UpSQL() []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Up...)
	}
	return out
}

// DownSQL returns the statements that undo the plan: each step's Down, last
// step first.
func (p *Plan) DownSQL() []string {
	var out []string
	for i := len(p.Steps) - 1; i >= 0; i-- {
		out = append(out, p.Steps[i].Down...)
	}
	return out
}

// String renders the plan as an SQL script with a comment per step.
func (p *Plan) String() string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString("-- " + s.Description)
		if s.Destructive {
			b.WriteString(" (destructive)")
		}
		b.WriteString("\n")
		for _, q := range s.Up {
			b.WriteString(q + ";\n")
		}
	}
	for _, n := range p.Notes {
		b.WriteString("-- not done: " + n + "\n")
	}
	return b.String()
}

// ApplyOption changes how Apply runs a plan.
type ApplyOption func(*applyOptions)

type applyOptions struct{ destructive bool }

// AllowDestructive lets Apply run drops and narrowing type changes.
func AllowDestructive() ApplyOption { return func(o *applyOptions) { o.destructive = true } }

// Apply runs a plan's steps in order. It refuses a plan with a destructive
// step (an error matching ErrDestructive that names them, nothing run)
// unless AllowDestructive is given. On PostgreSQL and SQLite the whole plan
// runs in one transaction; on SQLite with foreign_keys off around it and
// PRAGMA foreign_key_check before the commit, as SQLite documents for
// table rebuilds. MySQL commits each DDL statement on its own: a failure
// there leaves the steps before it applied, and the error says which step
// failed.
func (c *Client) Apply(ctx context.Context, p *Plan, opts ...ApplyOption) error {
	var o applyOptions
	for _, fn := range opts {
		fn(&o)
	}
	if p.Empty() {
		return nil
	}
	if p.Dialect != c.dialect.Name() {
		return fmt.Errorf("session: apply: the plan is for %s, the client is %s", p.Dialect, c.dialect.Name())
	}
	if d := p.Destructive(); len(d) > 0 && !o.destructive {
		names := make([]string, len(d))
		for i, s := range d {
			names[i] = s.Description
		}
		return fmt.Errorf("%w: %s (AllowDestructive runs them)", ErrDestructive, strings.Join(names, "; "))
	}
	err := c.RunDDL(ctx, func(exec func(string, ...any) error) error {
		for _, s := range p.Steps {
			for _, q := range s.Up {
				if err := exec(q); err != nil {
					return fmt.Errorf("session: apply %s: %w", s.Description, err)
				}
			}
		}
		return nil
	})
	c.tablesMu.Lock()
	c.tables = nil
	c.tablesMu.Unlock()
	return err
}

// Diff compares the given models (all registered models when none is
// given; given ones need not be registered, see registry.Detached) with the live schema and returns the plan that brings the
// database to them: tables to create, columns to add, change or drop,
// indexes, unique keys and foreign keys to add or drop. Tables that no
// given model maps to are left alone, never dropped. Types are compared
// the way each database spells them (character varying(255) is
// VARCHAR(255), MariaDB's int(11) is INT, SQLite compares type affinity
// and keeps the names its driver reads as time or bool apart). It changes
// nothing; Apply runs the plan.
func (c *Client) Diff(ctx context.Context, models ...any) (*Plan, error) {
	ordered, err := detachedModels(models)
	if err != nil {
		return nil, err
	}
	if err := c.Reflect(ctx); err != nil {
		return nil, err
	}
	live := c.Tables()
	d := &differ{c: c, d: c.dialect, sd: c.database.schema(), plan: &Plan{Dialect: c.dialect.Name()}, live: live}
	if d.sd.modifyColumn {
		var mode string
		if err := c.QueryRow(Primary(ctx), "SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
			return nil, fmt.Errorf("session: diff: read sql_mode: %w", err)
		}
		d.backslashEscapes = !strings.Contains(strings.ToUpper(mode), "NO_BACKSLASH_ESCAPES")
	}
	for _, m := range ordered {
		t := live[m.Table]
		if t == nil {
			if err := d.createTable(ctx, m); err != nil {
				return nil, err
			}
			continue
		}
		if err := d.alterTable(ctx, m, t); err != nil {
			return nil, err
		}
	}
	p := d.plan
	// Foreign keys are dropped before anything else changes and added after
	// every table and column they may reference exists.
	p.Steps = append(append(d.fkDrops, p.Steps...), d.fkAdds...)
	return p, nil
}

// detachedModels is selectModels for Diff: the given models are described,
// not registered, so that a program can diff a release of a model against
// a database created from another release registered under the same table.
func detachedModels(models []any) ([]*registry.Model, error) {
	if len(models) == 0 {
		return fkOrder(registry.Models())
	}
	ms, err := registry.Detached(models...)
	if err != nil {
		return nil, err
	}
	return fkOrder(append(ms, meta.JoinModels(ms)...))
}

// schemaDialect is how Diff reads and writes one database's schema where
// databases differ beyond builder.Dialect: the spelling of its types and
// of its ALTER TABLE. Each database's file holds its own (see
// Database.schema).
type schemaDialect struct {
	// canonType spells a type (lower case, single spaces) one way, so that
	// the type a model asks for and the one the database reports compare.
	canonType func(t string) string
	// narrowing, when set, decides whether changing a column's type from
	// from to to (canonical, different) may lose values, instead of the
	// rules of narrowing.
	narrowing func(from, to string) bool
	// autoIncrementType is the type Diff expects of an autoincrement
	// column; nil for the dialect's ColumnType.
	autoIncrementType func(d builder.Dialect, c *registry.Column) string
	// rebuildsTables: ALTER TABLE can neither add a constraint nor alter a
	// column, so such changes rebuild the table (diff_sqlite.go), and an
	// added column declares its foreign key inline.
	rebuildsTables bool
	// foreignKeyIndexes: the database makes an index for a foreign key
	// that has none, which Diff neither reports nor leaves behind, and
	// drops a key with DROP FOREIGN KEY.
	foreignKeyIndexes bool
	// explicitNull: a column definition says NULL; autoIncrementAttr is
	// the attribute that keeps a column's autoincrement in one.
	explicitNull      bool
	autoIncrementAttr string
	// columnPositions: ADD COLUMN puts a column back at its place (AFTER).
	columnPositions bool
	// modifyColumn: a column changes with MODIFY COLUMN and its whole
	// definition, not with ALTER COLUMN actions.
	modifyColumn bool
	// indexesOfTable: DROP INDEX is a clause of ALTER TABLE.
	indexesOfTable bool
	// uniqueIsConstraint: a unique key is a constraint that owns its
	// index, dropped with ALTER TABLE DROP CONSTRAINT.
	uniqueIsConstraint bool
	// falseLiteral and emptyBlob are the zero values of a boolean and a
	// binary column.
	falseLiteral, emptyBlob string
}

type differ struct {
	c       *Client
	d       builder.Dialect
	sd      *schemaDialect
	plan    *Plan
	live    map[string]*Table
	fkDrops []Step
	fkAdds  []Step
	// backslashEscapes: a string literal's backslashes are escapes on the
	// client's connections (MySQL, unless sql_mode has NO_BACKSLASH_ESCAPES).
	backslashEscapes bool
}

func (df *differ) q(ident string) string { return df.d.Quote(ident) }

func (df *differ) createTable(ctx context.Context, m *registry.Model) error {
	var up []string
	for _, stmt := range sqlgen.For(df.d, m).CreateTable {
		stmt, err := df.c.tableCollation(ctx, stmt)
		if err != nil {
			return fmt.Errorf("session: diff table %s for %s: %w", m.Table, m.Name, err)
		}
		up = append(up, stmt)
	}
	df.plan.Steps = append(df.plan.Steps, Step{
		Table:       m.Table,
		Description: "create table " + m.Table,
		Up:          up,
		Down:        []string{"DROP TABLE " + df.q(m.Table)},
	})
	return nil
}

// wantColumn is a model column as the dialect declares it.
type wantColumn struct {
	col     *registry.Column
	typ     string
	notNull bool
}

func (df *differ) want(c *registry.Column) wantColumn {
	w := wantColumn{col: c, typ: df.d.ColumnType(c), notNull: c.NotNull || c.AutoIncrement}
	if c.AutoIncrement {
		if df.sd.autoIncrementType != nil {
			w.typ = df.sd.autoIncrementType(df.d, c)
		}
	}
	return w
}

// change is one difference found in an existing table.
type change struct {
	kind    changeKind
	desc    string
	destr   bool
	col     *registry.Column // add, alter
	liveCol *TableColumn     // alter, drop
	ix      *Index           // a live index or unique key to drop
	want    wantColumn
	typeChg bool
	nullChg bool
	defChg  bool
}

type changeKind int

const (
	addColumn changeKind = iota
	alterColumn
	dropColumn
	addIndex
	addUnique
	dropIndex
)

func (df *differ) alterTable(ctx context.Context, m *registry.Model, t *Table) error {
	var changes []change
	liveCols := make(map[string]*TableColumn, len(t.Columns))
	for i := range t.Columns {
		liveCols[t.Columns[i].Name] = &t.Columns[i]
	}
	// Columns.
	for _, c := range m.Columns {
		w := df.want(c)
		lc := liveCols[c.Name]
		if lc == nil {
			if c.AutoIncrement || c.PK {
				df.plan.Notes = append(df.plan.Notes, fmt.Sprintf("table %s: key column %s is missing", m.Table, c.Name))
				continue
			}
			changes = append(changes, change{kind: addColumn, col: c, want: w,
				desc: fmt.Sprintf("add column %s.%s", m.Table, c.Name)})
			continue
		}
		ch := change{kind: alterColumn, col: c, liveCol: lc, want: w}
		ch.typeChg = !sameType(df.sd, w.typ, lc.Type)
		if !c.PK {
			ch.nullChg = w.notNull != lc.NotNull
		}
		if !c.AutoIncrement && !lc.AutoIncrement {
			ch.defChg = c.HasDefault != lc.HasDefault || (c.HasDefault && canonDefault(c.Default) != canonDefault(lc.Default))
		}
		if !ch.typeChg && !ch.nullChg && !ch.defChg {
			continue
		}
		var what []string
		if ch.typeChg {
			what = append(what, fmt.Sprintf("type %s -> %s", lc.Type, w.typ))
			ch.destr = narrowing(df.sd, lc.Type, w.typ)
		}
		if ch.nullChg {
			if w.notNull {
				what = append(what, "NOT NULL")
			} else {
				what = append(what, "nullable")
			}
		}
		if ch.defChg {
			if c.HasDefault {
				what = append(what, "default "+c.Default)
			} else {
				what = append(what, "no default")
			}
		}
		ch.desc = fmt.Sprintf("alter column %s.%s: %s", m.Table, c.Name, strings.Join(what, ", "))
		changes = append(changes, ch)
	}
	for i := range t.Columns {
		lc := &t.Columns[i]
		if _, ok := m.Column(lc.Name); ok {
			continue
		}
		if _, ok := modelColumn(m, lc.Name); ok {
			continue
		}
		changes = append(changes, change{kind: dropColumn, liveCol: lc, destr: true,
			desc: fmt.Sprintf("drop column %s.%s", m.Table, lc.Name)})
	}
	// Primary key.
	var pk []string
	for _, c := range m.PK {
		pk = append(pk, c.Name)
	}
	if len(t.PrimaryKey) > 0 && !slices.Equal(pk, t.PrimaryKey) {
		df.plan.Notes = append(df.plan.Notes, fmt.Sprintf("table %s: primary key (%s) in the database, (%s) in model %s",
			m.Table, strings.Join(t.PrimaryKey, ", "), strings.Join(pk, ", "), m.Name))
	}
	// Indexes and unique keys, compared by their columns. An index on a
	// dropped column gets a step of its own, so that undoing the plan
	// creates it again.
	wantIx, wantUq := map[string]bool{}, map[string]bool{}
	for _, c := range m.Columns {
		if c.Indexed {
			wantIx[c.Name] = true
		}
		if c.Unique && !(len(m.PK) == 1 && c.PK) {
			wantUq[c.Name] = true
		}
	}
	haveIx, haveUq := map[string]bool{}, map[string]bool{}
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		key := strings.Join(ix.Columns, ",")
		switch {
		case ix.Unique && len(ix.Columns) == 1 && wantUq[key]:
			haveUq[key] = true
		case !ix.Unique && len(ix.Columns) == 1 && wantIx[key]:
			haveIx[key] = true
		case ix.Unique && len(m.PK) == 1 && len(ix.Columns) == 1 && ix.Columns[0] == m.PK[0].Name:
			// a unique index on the single-column key adds nothing to it
		case !ix.Unique && df.sd.foreignKeyIndexes && fkCovered(t, ix):
			// the index MySQL made for a foreign key
		case len(ix.Columns) == 0:
			// an expression index: Diff does not read expressions
		default:
			kind := "index"
			if ix.Unique {
				kind = "unique key"
			}
			changes = append(changes, change{kind: dropIndex, ix: ix, destr: true,
				desc: fmt.Sprintf("drop %s %s on %s (%s)", kind, ix.Name, m.Table, strings.Join(ix.Columns, ", "))})
		}
	}
	for _, c := range m.Columns {
		if wantUq[c.Name] && !haveUq[c.Name] {
			changes = append(changes, change{kind: addUnique, col: c,
				desc: fmt.Sprintf("add unique key on %s (%s)", m.Table, c.Name)})
		}
		if wantIx[c.Name] && !haveIx[c.Name] {
			changes = append(changes, change{kind: addIndex, col: c,
				desc: fmt.Sprintf("add index on %s (%s)", m.Table, c.Name)})
		}
	}
	// Foreign keys.
	var fkAdd []*registry.Column
	var fkDrop []*ForeignKey
	for _, c := range m.Columns {
		if c.FK != nil && !hasFK(t, c) {
			fkAdd = append(fkAdd, c)
		}
	}
	for i := range t.ForeignKeys {
		fk := &t.ForeignKeys[i]
		if !modelHasFK(m, fk) {
			fkDrop = append(fkDrop, fk)
		}
	}
	if len(changes) == 0 && len(fkAdd) == 0 && len(fkDrop) == 0 {
		return nil
	}
	if df.sd.rebuildsTables && sqliteNeedsRebuild(t, changes, fkAdd, fkDrop) {
		return df.rebuild(ctx, m, t, changes, fkAdd, fkDrop)
	}
	df.emit(m, t, changes)
	for _, fk := range fkDrop {
		df.fkDrops = append(df.fkDrops, df.dropFK(m, t, fk))
	}
	for _, c := range fkAdd {
		df.fkAdds = append(df.fkAdds, df.addFK(m, t, c, changes))
	}
	return nil
}

// modelColumn finds a live column name among the model's columns,
// ignoring case (MySQL and SQLite names are case-insensitive).
func modelColumn(m *registry.Model, name string) (*registry.Column, bool) {
	for _, c := range m.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return nil, false
}

// fkCovered reports whether a non-unique index has the columns of one of
// the table's foreign keys in front: MySQL creates such an index for each
// foreign key that has none.
func fkCovered(t *Table, ix *Index) bool {
	for _, fk := range t.ForeignKeys {
		if len(ix.Columns) >= len(fk.Columns) && slices.Equal(ix.Columns[:len(fk.Columns)], fk.Columns) {
			return true
		}
	}
	return false
}

func hasFK(t *Table, c *registry.Column) bool {
	for _, fk := range t.ForeignKeys {
		if len(fk.Columns) == 1 && fk.Columns[0] == c.Name && fk.RefTable == c.FK.Table &&
			len(fk.RefColumns) == 1 && fk.RefColumns[0] == c.FK.Column {
			return true
		}
	}
	return false
}

func modelHasFK(m *registry.Model, fk *ForeignKey) bool {
	if len(fk.Columns) != 1 {
		return false
	}
	c, ok := m.Column(fk.Columns[0])
	return ok && c.FK != nil && c.FK.Table == fk.RefTable && len(fk.RefColumns) == 1 && fk.RefColumns[0] == c.FK.Column
}

// sqliteNeedsRebuild reports whether SQLite's ALTER TABLE cannot make the
// changes: it adds a column only when the column is not a key, has no
// UNIQUE, and is nullable or has a constant default; it drops a column only
// when no index, key or foreign key uses it (and Diff rebuilds for a NOT
// NULL column without a default, which only a rebuild puts back as it
// was); it changes no column.
func sqliteNeedsRebuild(t *Table, changes []change, fkAdd []*registry.Column, fkDrop []*ForeignKey) bool {
	if len(fkDrop) > 0 {
		return true
	}
	for _, c := range fkAdd {
		if !addedHere(changes, c) {
			return true // a foreign key on a column that exists already
		}
	}
	for _, ch := range changes {
		switch ch.kind {
		case alterColumn:
			return true
		case addColumn:
			c := ch.col
			if c.NotNull && !c.HasDefault {
				return true
			}
			if c.HasDefault && !constantDefault(c.Default) {
				return true
			}
		case dropColumn:
			// DROP COLUMN refuses a column that a key or index uses, and
			// putting back a NOT NULL column without a default needs one.
			lc := ch.liveCol
			if (lc.NotNull && !lc.HasDefault) || keyed(t, lc.Name) {
				return true
			}
		case dropIndex:
			if strings.HasPrefix(ch.ix.Name, "sqlite_autoindex_") {
				return true
			}
		}
	}
	return false
}

// keyed reports whether a column of t is part of its primary key, an
// index or a foreign key.
func keyed(t *Table, col string) bool {
	if slices.Contains(t.PrimaryKey, col) {
		return true
	}
	for _, ix := range t.Indexes {
		if slices.Contains(ix.Columns, col) {
			return true
		}
	}
	for _, fk := range t.ForeignKeys {
		if slices.Contains(fk.Columns, col) {
			return true
		}
	}
	return false
}

func addedHere(changes []change, c *registry.Column) bool {
	for _, ch := range changes {
		if ch.kind == addColumn && ch.col == c {
			return true
		}
	}
	return false
}

func constantDefault(d string) bool {
	u := strings.ToUpper(strings.TrimSpace(d))
	return !strings.Contains(u, "CURRENT_") && !strings.Contains(u, "(")
}

// columnDef is a column's definition for ADD COLUMN and MODIFY COLUMN.
func (df *differ) columnDef(w wantColumn, explicitNull bool) string {
	c := w.col
	def := df.q(c.Name) + " " + w.typ
	if w.notNull {
		def += " NOT NULL"
	} else if explicitNull {
		def += " NULL"
	}
	if c.HasDefault {
		def += " " + df.d.ColumnDefault(c)
	}
	return def
}

// liveDef is a reflected column's definition, to put it back.
func (df *differ) liveDef(lc *TableColumn) string {
	def := df.q(lc.Name) + " " + lc.Type
	if lc.NotNull {
		def += " NOT NULL"
	} else if df.sd.explicitNull {
		def += " NULL"
	}
	if lc.HasDefault {
		def += " DEFAULT " + lc.Default
	}
	if lc.AutoIncrement {
		def += df.sd.autoIncrementAttr
	}
	return def + df.kept(lc, lc.Type)
}

// kept is what a column definition of type typ restates of the live
// column lc so that the statement keeps it: MySQL's MODIFY COLUMN and
// PostgreSQL's ALTER COLUMN TYPE reset a column's collation to the
// default, and MODIFY COLUMN drops its comment and its ON UPDATE too,
// unless the definition says them again.
func (df *differ) kept(lc *TableColumn, typ string) string {
	if lc == nil {
		return ""
	}
	t := canonType(df.sd, typ)
	var s string
	// A type that states its own collation or character set has it.
	own := strings.Contains(t, " collate ") || strings.Contains(t, "character set") || strings.Contains(t, "charset")
	if lc.Collation != "" && !own && (strings.Contains(t, "char") || strings.Contains(t, "text") ||
		strings.HasPrefix(t, "enum") || strings.HasPrefix(t, "set(")) {
		coll := df.q(lc.Collation)
		if lc.collationSchema != "" {
			coll = df.q(lc.collationSchema) + "." + coll
		}
		s += " COLLATE " + coll
	}
	if !df.sd.modifyColumn {
		return s // ALTER COLUMN keeps the rest
	}
	if lc.OnUpdate != "" && (strings.Contains(t, "datetime") || strings.Contains(t, "timestamp")) {
		s += " ON UPDATE " + onUpdateAt(lc.OnUpdate, t)
	}
	if lc.Comment != "" {
		s += " COMMENT " + df.stringLiteral(lc.Comment)
	}
	return s
}

// onUpdateAt is MySQL's ON UPDATE expression expr for a column of type
// typ (canonical): CURRENT_TIMESTAMP at typ's fractional seconds, which
// MySQL requires to be the column's; any other expression as it is.
func onUpdateAt(expr, typ string) string {
	e := strings.ToLower(strings.TrimSpace(expr))
	if !strings.HasPrefix(e, "current_timestamp") && !strings.HasPrefix(e, "now(") &&
		!strings.HasPrefix(e, "localtimestamp") {
		return expr
	}
	if open := strings.IndexByte(typ, '('); open >= 0 {
		if fsp := strings.TrimSuffix(typ[open+1:], ")"); fsp != "0" {
			return "current_timestamp(" + fsp + ")"
		}
	}
	return "current_timestamp"
}

// stringLiteral is s as an SQL string literal: quotes doubled, and on a
// connection that reads backslashes as escapes (MySQL without
// NO_BACKSLASH_ESCAPES), backslashes too.
func (df *differ) stringLiteral(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if df.backslashEscapes {
		s = strings.ReplaceAll(s, `\`, `\\`)
	}
	return "'" + s + "'"
}

// readdColumn puts a dropped column back as Diff read it, at its place on
// MySQL (PostgreSQL adds columns last). Its values are gone: a NOT NULL
// column without a default comes back holding its type's zero value.
func (df *differ) readdColumn(t *Table, lc *TableColumn) []string {
	tbl := df.q(t.Name)
	def := df.liveDef(lc)
	zero := lc.NotNull && !lc.HasDefault && !lc.AutoIncrement
	if zero {
		def += " DEFAULT " + zeroLiteral(df.sd, lc.Type)
	}
	if df.sd.columnPositions {
		after := " FIRST"
		for i := range t.Columns {
			if t.Columns[i].Name == lc.Name {
				if i > 0 {
					after = " AFTER " + df.q(t.Columns[i-1].Name)
				}
				break
			}
		}
		def += after
	}
	out := []string{"ALTER TABLE " + tbl + " ADD COLUMN " + def}
	if zero {
		out = append(out, "ALTER TABLE "+tbl+" ALTER COLUMN "+df.q(lc.Name)+" DROP DEFAULT")
	}
	return out
}

// zeroLiteral is the zero value of a column type, as SQL.
func zeroLiteral(sd *schemaDialect, typ string) string {
	t := canonType(sd, typ)
	switch {
	case strings.Contains(t, "int"), strings.Contains(t, "numeric"), strings.Contains(t, "decimal"),
		strings.Contains(t, "real"), strings.Contains(t, "double"), strings.Contains(t, "float"):
		return "0"
	case strings.Contains(t, "bool"):
		return sd.falseLiteral
	case strings.Contains(t, "bytea"):
		return `'\x'`
	case strings.Contains(t, "blob"), strings.Contains(t, "binary"):
		return sd.emptyBlob
	case strings.Contains(t, "date"), strings.Contains(t, "time"):
		return "'1970-01-01 00:00:00'"
	case strings.Contains(t, "json"):
		return "'null'"
	}
	return "''"
}

func (df *differ) dropIndexSQL(table, name string) string {
	if df.sd.indexesOfTable {
		return "ALTER TABLE " + df.q(table) + " DROP INDEX " + df.q(name)
	}
	return "DROP INDEX " + df.q(name)
}

func (df *differ) createIndexSQL(table string, ix *Index) string {
	cols := make([]string, len(ix.Columns))
	for i, c := range ix.Columns {
		cols[i] = df.q(c)
	}
	u := ""
	if ix.Unique {
		u = "UNIQUE "
	}
	return "CREATE " + u + "INDEX " + df.q(ix.Name) + " ON " + df.q(table) + " (" + strings.Join(cols, ", ") + ")"
}

// emit appends the steps of changes made with ALTER TABLE, CREATE INDEX and
// DROP INDEX: drops of indexes first, then columns, then additions.
func (df *differ) emit(m *registry.Model, t *Table, changes []change) {
	tbl := df.q(m.Table)
	order := []changeKind{dropIndex, dropColumn, addColumn, alterColumn, addUnique, addIndex}
	for _, kind := range order {
		for _, ch := range changes {
			if ch.kind != kind {
				continue
			}
			s := Step{Table: m.Table, Description: ch.desc, Destructive: ch.destr}
			switch kind {
			case dropIndex:
				s.Up = df.dropIndexUp(m.Table, ch.ix)
				s.Down = []string{df.createIndexSQL(m.Table, ch.ix)}
			case dropColumn:
				s.Up = []string{"ALTER TABLE " + tbl + " DROP COLUMN " + df.q(ch.liveCol.Name)}
				s.Down = df.readdColumn(t, ch.liveCol)
			case addColumn:
				def := df.columnDef(ch.want, false)
				if df.sd.rebuildsTables && ch.col.FK != nil {
					def += " REFERENCES " + df.q(ch.col.FK.Table) + " (" + df.q(ch.col.FK.Column) + ")"
				}
				s.Up = []string{"ALTER TABLE " + tbl + " ADD COLUMN " + def}
				s.Down = []string{"ALTER TABLE " + tbl + " DROP COLUMN " + df.q(ch.col.Name)}
			case alterColumn:
				s.Up, s.Down = df.alterColumn(m.Table, ch)
			case addUnique, addIndex:
				ix := &Index{Name: indexName("ix", m.Table, ch.col.Name), Columns: []string{ch.col.Name}, Unique: kind == addUnique}
				if ix.Unique {
					ix.Name = indexName("uq", m.Table, ch.col.Name)
				}
				s.Up = []string{df.createIndexSQL(m.Table, ix)}
				s.Down = []string{df.dropIndexSQL(m.Table, ix.Name)}
			}
			df.plan.Steps = append(df.plan.Steps, s)
		}
	}
}

// dropIndexUp drops an index or unique key. A PostgreSQL unique constraint
// owns its index, which only ALTER TABLE DROP CONSTRAINT removes; both
// statements are written, the second a no-op when the first dropped it.
func (df *differ) dropIndexUp(table string, ix *Index) []string {
	if df.sd.uniqueIsConstraint && ix.Unique {
		return []string{
			"ALTER TABLE " + df.q(table) + " DROP CONSTRAINT IF EXISTS " + df.q(ix.Name),
			"DROP INDEX IF EXISTS " + df.q(ix.Name),
		}
	}
	return []string{df.dropIndexSQL(table, ix.Name)}
}

func (df *differ) alterColumn(table string, ch change) (up, down []string) {
	tbl := df.q(table)
	col := df.q(ch.col.Name)
	lc := ch.liveCol
	if df.sd.modifyColumn {
		w := ch.want
		def := df.columnDef(w, true)
		if ch.col.AutoIncrement {
			def += df.sd.autoIncrementAttr
		}
		def += df.kept(lc, w.typ)
		return []string{"ALTER TABLE " + tbl + " MODIFY COLUMN " + def},
			[]string{"ALTER TABLE " + tbl + " MODIFY COLUMN " + df.liveDef(lc)}
	}
	// Otherwise (PostgreSQL): one ALTER TABLE with an action per difference.
	var ups, downs []string
	if ch.typeChg {
		ups = append(ups, "ALTER COLUMN "+col+" TYPE "+ch.want.typ+df.kept(lc, ch.want.typ)+" USING "+col+"::"+ch.want.typ)
		downs = append(downs, "ALTER COLUMN "+col+" TYPE "+lc.Type+df.kept(lc, lc.Type)+" USING "+col+"::"+lc.Type)
	}
	if ch.nullChg {
		if ch.want.notNull {
			ups = append(ups, "ALTER COLUMN "+col+" SET NOT NULL")
			downs = append(downs, "ALTER COLUMN "+col+" DROP NOT NULL")
		} else {
			ups = append(ups, "ALTER COLUMN "+col+" DROP NOT NULL")
			downs = append(downs, "ALTER COLUMN "+col+" SET NOT NULL")
		}
	}
	if ch.defChg {
		if ch.col.HasDefault {
			ups = append(ups, "ALTER COLUMN "+col+" SET "+df.d.ColumnDefault(ch.col))
		} else {
			ups = append(ups, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
		if lc.HasDefault {
			downs = append(downs, "ALTER COLUMN "+col+" SET DEFAULT "+lc.Default)
		} else {
			downs = append(downs, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
	}
	return []string{"ALTER TABLE " + tbl + " " + strings.Join(ups, ", ")},
		[]string{"ALTER TABLE " + tbl + " " + strings.Join(downs, ", ")}
}

func (df *differ) dropFK(m *registry.Model, t *Table, fk *ForeignKey) Step {
	tbl := df.q(m.Table)
	drop := " DROP CONSTRAINT "
	if df.sd.foreignKeyIndexes {
		drop = " DROP FOREIGN KEY "
	}
	return Step{
		Table:       m.Table,
		Description: fmt.Sprintf("drop foreign key %s on %s (%s)", fk.Name, m.Table, strings.Join(fk.Columns, ", ")),
		Destructive: true,
		Up:          []string{"ALTER TABLE " + tbl + drop + df.q(fk.Name)},
		Down:        []string{"ALTER TABLE " + tbl + " ADD " + df.fkClause(fk)},
	}
}

func (df *differ) fkClause(fk *ForeignKey) string {
	q := func(names []string) string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = df.q(n)
		}
		return strings.Join(out, ", ")
	}
	s := ""
	if fk.Name != "" {
		s = "CONSTRAINT " + df.q(fk.Name) + " "
	}
	s += "FOREIGN KEY (" + q(fk.Columns) + ") REFERENCES " + df.q(fk.RefTable) + " (" + q(fk.RefColumns) + ")"
	if fk.OnDelete != "" && fk.OnDelete != "NO ACTION" {
		s += " ON DELETE " + fk.OnDelete
	}
	if fk.OnUpdate != "" && fk.OnUpdate != "NO ACTION" {
		s += " ON UPDATE " + fk.OnUpdate
	}
	return s
}

func (df *differ) addFK(m *registry.Model, t *Table, c *registry.Column, changes []change) Step {
	fk := &ForeignKey{Name: indexName("fk", m.Table, c.Name), Columns: []string{c.Name},
		RefTable: c.FK.Table, RefColumns: []string{c.FK.Column}}
	tbl := df.q(m.Table)
	s := Step{
		Table:       m.Table,
		Description: fmt.Sprintf("add foreign key %s.%s -> %s.%s", m.Table, c.Name, c.FK.Table, c.FK.Column),
		Up:          []string{"ALTER TABLE " + tbl + " ADD " + df.fkClause(fk)},
	}
	if df.sd.foreignKeyIndexes {
		s.Down = []string{"ALTER TABLE " + tbl + " DROP FOREIGN KEY " + df.q(fk.Name)}
		// MySQL adds an index named after the key when no index starts
		// with the column; putting the schema back drops it too.
		covered := false
		for _, ix := range t.Indexes {
			covered = covered || (len(ix.Columns) > 0 && ix.Columns[0] == c.Name)
		}
		for _, ch := range changes {
			covered = covered || ((ch.kind == addIndex || ch.kind == addUnique) && ch.col == c)
		}
		if !covered {
			s.Down = append(s.Down, "ALTER TABLE "+tbl+" DROP INDEX "+df.q(fk.Name))
		}
	} else {
		s.Down = []string{"ALTER TABLE " + tbl + " DROP CONSTRAINT " + df.q(fk.Name)}
	}
	return s
}

// indexName is prefix_<table>_<column>, shortened with a hash of the full
// name past the 63 characters PostgreSQL keeps.
func indexName(prefix, table, column string) string {
	name := prefix + "_" + table + "_" + column
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x", name[:54], h.Sum32())
}
