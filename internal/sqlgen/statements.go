package sqlgen

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// Statements holds the SQL text of one model's fixed statements in one
// dialect. It is built once (see For) and shared; the variant caches are
// safe for concurrent use.
type Statements struct {
	Dialect builder.Dialect
	Model   *registry.Model
	dialect string // Dialect.Name(), the cache's key

	// Columns is the quoted, comma-separated list of every column, in
	// Model.Columns order: the select list of every query of the model.
	Columns string
	// Get selects one row by primary key; the key columns are its parameters.
	Get string
	// Live is Get of a row that is not soft-deleted: Get with
	// "deleted_at" IS NULL for a model with a softdelete column, else Get.
	Live string
	// SoftDelete sets the columns of SoftDeleteSets (its first parameters)
	// of the row with the given primary key that is not soft-deleted yet,
	// and counts its version up (a model with a version column);
	// VersionedSoftDelete also checks the version (the last parameter).
	// Empty without a softdelete column.
	SoftDelete, VersionedSoftDelete string
	// SoftDeleteSets are the columns a soft delete sets to its time: the
	// softdelete column, then the autoupdate columns, as every UPDATE the
	// library writes sets them.
	SoftDeleteSets []*registry.Column
	// Exists selects the constant 1 from the row with the given primary key.
	Exists string
	// Delete deletes one row by primary key.
	Delete string
	// VersionedDelete deletes one row by primary key and version (the
	// last parameter), for a model with a version column; "" otherwise.
	VersionedDelete string
	// Update sets every non-key column (in order) by primary key; the key
	// columns are its last parameters.
	Update string
	// UpdateCols are the columns Update sets.
	UpdateCols []*registry.Column
	// CreateTable creates the table and its indexes, if they do not exist.
	CreateTable []string
	// DropTable drops the table if it exists.
	DropTable string

	inserts  variants[*Insert] // omitted registry.ColumnSet → *Insert
	updates  variants[*Update] // set registry.ColumnSet → *Update
	upserts  variants[*Insert] // omitted registry.ColumnSet → *Insert
	vupdates variants[*Update] // set registry.ColumnSet → *Update, with the version
}

// Insert is the text of one INSERT variant with the columns it binds.
type Insert struct {
	SQL     string
	Columns []*registry.Column
}

// Update is the text of an UPDATE of some columns by primary key.
type Update struct {
	SQL     string
	Columns []*registry.Column // the SET columns; the key columns follow as parameters
}

// Each model's statements in the dialects met so far hang from the model
// (meta.Statements): a short list found by the model's pointer and scanned
// by dialect name, with no map lookup on the way to a statement. A list is
// never changed once published; cacheMu serialises building a new one.
var cacheMu sync.Mutex

// statementsOf is m's published list.
func statementsOf(m *registry.Model) []*Statements {
	if p := meta.Statements(m); p != nil {
		return *(*[]*Statements)(p)
	}
	return nil
}

// For returns the cached statements of m in dialect d, building them on
// first use.
func For(d builder.Dialect, m *registry.Model) *Statements {
	name := d.Name()
	for _, s := range statementsOf(m) {
		if s.dialect == name {
			return s
		}
	}
	cacheMu.Lock()
	defer cacheMu.Unlock()
	list := statementsOf(m)
	for _, s := range list {
		if s.dialect == name {
			return s
		}
	}
	s := build(d, m)
	s.dialect = name
	list = append(list[:len(list):len(list)], s)
	meta.SetStatements(m, unsafe.Pointer(&list))
	return s
}

func build(d builder.Dialect, m *registry.Model) *Statements {
	s := &Statements{Dialect: d, Model: m}
	table := d.Quote(m.Table)
	s.Columns = quotedList(d, m.Columns)

	where := pkWhere(d, m)
	s.Get = mustSQL(sq.Select(s.Columns).From(table).Where(where).PlaceholderFormat(d.Placeholders()))
	s.Exists = mustSQL(sq.Select("1").From(table).Where(where).PlaceholderFormat(d.Placeholders()))
	s.Live = s.Get
	if sd := m.SoftDelete; sd != nil {
		live := sq.Expr(d.Quote(sd.Name) + " IS NULL")
		s.Live = mustSQL(sq.Select(s.Columns).From(table).Where(where).Where(live).PlaceholderFormat(d.Placeholders()))
		s.SoftDeleteSets = append(s.SoftDeleteSets, sd)
		for _, c := range m.AutoTimes {
			if c.AutoUpdate {
				s.SoftDeleteSets = append(s.SoftDeleteSets, c)
			}
		}
		u := sq.Update(table).PlaceholderFormat(d.Placeholders())
		for _, c := range s.SoftDeleteSets {
			u = u.Set(d.Quote(c.Name), sq.Expr("?"))
		}
		if v := m.Version; v != nil {
			// Every soft delete counts the version up, the one that does
			// not check it too: a record read before must fail to save.
			u = u.Set(d.Quote(v.Name), sq.Expr(d.Quote(v.Name)+" + 1"))
			s.VersionedSoftDelete = mustSQL(u.Where(where).Where(sq.Expr(d.Quote(v.Name) + " = ?")).Where(live))
		}
		s.SoftDelete = mustSQL(u.Where(where).Where(live))
	}
	s.Delete = mustSQL(sq.Delete(table).Where(where).PlaceholderFormat(d.Placeholders()))
	if v := m.Version; v != nil {
		s.VersionedDelete = mustSQL(sq.Delete(table).Where(where).Where(sq.Expr(d.Quote(v.Name) + " = ?")).PlaceholderFormat(d.Placeholders()))
	}
	for _, c := range m.Columns {
		if !c.PK {
			s.UpdateCols = append(s.UpdateCols, c)
		}
	}
	if len(s.UpdateCols) > 0 {
		s.Update = updateSQL(d, m, s.UpdateCols)
	}
	s.CreateTable = createTable(d, m)
	s.DropTable = "DROP TABLE IF EXISTS " + table
	return s
}

// pkWhere is `"id" = ?` (AND ... for composite keys).
func pkWhere(d builder.Dialect, m *registry.Model) sq.Sqlizer {
	parts := make([]string, len(m.PK))
	for i, c := range m.PK {
		parts[i] = d.Quote(c.Name) + " = ?"
	}
	return sq.Expr(strings.Join(parts, " AND "))
}

func updateSQL(d builder.Dialect, m *registry.Model, cols []*registry.Column) string {
	b := sq.Update(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders())
	for _, c := range cols {
		b = b.Set(d.Quote(c.Name), sq.Expr("?"))
	}
	return mustSQL(b.Where(pkWhere(d, m)))
}

// Insert returns the INSERT of every column except those in omit. With
// RETURNING dialects and an omitted autoincrement key, the key is returned.
func (s *Statements) Insert(omit registry.ColumnSet) *Insert {
	if v, ok := s.inserts.load(omit); ok {
		return v
	}
	return s.inserts.add(omit, s.buildInsert(omit, false))
}

// Upsert returns an INSERT that updates the existing row with the same
// primary key instead of failing (ON CONFLICT / ON DUPLICATE KEY UPDATE).
func (s *Statements) Upsert(omit registry.ColumnSet) *Insert {
	if v, ok := s.upserts.load(omit); ok {
		return v
	}
	return s.upserts.add(omit, s.buildInsert(omit, true))
}

func (s *Statements) buildInsert(omit registry.ColumnSet, upsert bool) *Insert {
	d, m := s.Dialect, s.Model
	ins := &Insert{}
	names := []string{}
	for _, c := range m.Columns {
		if omit.Has(meta.Pos(c)) {
			continue
		}
		ins.Columns = append(ins.Columns, c)
		names = append(names, d.Quote(c.Name))
	}
	if len(names) == 0 {
		// Every column is left to the database (an id-only table).
		ins.SQL = "INSERT INTO " + d.Quote(m.Table) + " " + d.DefaultValues()
		if d.Returning() && m.AutoIncrement != nil {
			ins.SQL += " RETURNING " + d.Quote(m.AutoIncrement.Name)
		}
		return ins
	}
	b := sq.Insert(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders()).
		Columns(names...).Values(placeholders(len(names))...)
	if upsert {
		var conflict, update []string
		for _, c := range m.PK {
			conflict = append(conflict, c.Name)
		}
		for _, c := range ins.Columns {
			if !c.PK {
				update = append(update, c.Name)
			}
		}
		b = b.Suffix(d.Upsert(conflict, update))
	}
	if d.Returning() && m.AutoIncrement != nil {
		b = b.Suffix("RETURNING " + d.Quote(m.AutoIncrement.Name))
	}
	ins.SQL = mustSQL(b)
	return ins
}

// UpdateOf returns the UPDATE of the columns in set (key columns are never
// set).
func (s *Statements) UpdateOf(set registry.ColumnSet) *Update {
	if v, ok := s.updates.load(set); ok {
		return v
	}
	u := &Update{}
	for _, c := range s.Model.Columns {
		if set.Has(meta.Pos(c)) && !c.PK {
			u.Columns = append(u.Columns, c)
		}
	}
	if len(u.Columns) > 0 {
		u.SQL = updateSQL(s.Dialect, s.Model, u.Columns)
	}
	return s.updates.add(set, u)
}

// VersionedUpdateOf returns the UPDATE of the columns in set that also
// bumps the model's version column and matches only the version the
// record was read with: UPDATE t SET a = ?, version = version + 1 WHERE
// id = ? AND version = ?, the read version being the last parameter. It
// is for models with a version column (Model.Version) only.
func (s *Statements) VersionedUpdateOf(set registry.ColumnSet) *Update {
	if v, ok := s.vupdates.load(set); ok {
		return v
	}
	d, m, vc := s.Dialect, s.Model, s.Model.Version
	u := &Update{}
	b := sq.Update(d.Quote(m.Table)).PlaceholderFormat(d.Placeholders())
	for _, c := range m.Columns {
		if set.Has(meta.Pos(c)) && !c.PK && c != vc {
			u.Columns = append(u.Columns, c)
			b = b.Set(d.Quote(c.Name), sq.Expr("?"))
		}
	}
	b = b.Set(d.Quote(vc.Name), sq.Expr(d.Quote(vc.Name)+" + 1"))
	u.SQL = mustSQL(b.Where(pkWhere(d, m)).Where(sq.Expr(d.Quote(vc.Name) + " = ?")))
	return s.vupdates.add(set, u)
}

func placeholders(n int) []any {
	ps := make([]any, n)
	for i := range ps {
		ps[i] = sq.Expr("?")
	}
	return ps
}

func quotedList(d builder.Dialect, cols []*registry.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = d.Quote(c.Name)
	}
	return strings.Join(names, ", ")
}

func mustSQL(b sq.Sqlizer) string {
	s, _, err := b.ToSql()
	if err != nil {
		// Only reachable through a bug in this package: every input was
		// validated by the registry.
		panic(fmt.Sprintf("builder: %v", err))
	}
	return s
}

// indexName is ix_<table>_<column>, shortened with a hash of the full name
// when it would pass the 63 characters PostgreSQL keeps (and MySQL allows).
func indexName(table, column string) string {
	name := "ix_" + table + "_" + column
	if len(name) <= 63 {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x", name[:54], h.Sum32())
}

func createTable(d builder.Dialect, m *registry.Model) []string {
	table := d.Quote(m.Table)
	var defs []string
	for _, c := range m.Columns {
		name := d.Quote(c.Name)
		if c.AutoIncrement {
			defs = append(defs, name+" "+d.AutoIncrement(c))
			continue
		}
		def := name + " " + d.ColumnType(c)
		if c.NotNull {
			def += " NOT NULL"
		}
		if c.HasDefault {
			def += " " + d.ColumnDefault(c)
		}
		if c.Unique && !(len(m.PK) == 1 && c.PK) {
			def += " UNIQUE"
		}
		defs = append(defs, def)
	}
	if m.AutoIncrement == nil {
		defs = append(defs, "PRIMARY KEY ("+quotedList(d, m.PK)+")")
	}
	for _, c := range m.Columns {
		if c.FK != nil {
			defs = append(defs, fmt.Sprintf("FOREIGN KEY (%s) REFERENCES %s (%s)", d.Quote(c.Name), d.Quote(c.FK.Table), d.Quote(c.FK.Column)))
		}
	}
	var indexes []string
	for _, c := range m.Columns {
		if !c.Indexed {
			continue
		}
		ix := d.Quote(indexName(m.Table, c.Name))
		if d.InlineIndexes() {
			defs = append(defs, "INDEX "+ix+" ("+d.Quote(c.Name)+")")
		} else {
			indexes = append(indexes, "CREATE INDEX IF NOT EXISTS "+ix+" ON "+table+" ("+d.Quote(c.Name)+")")
		}
	}
	stmt := "CREATE TABLE IF NOT EXISTS " + table + " (\n\t" + strings.Join(defs, ",\n\t") + "\n)" + d.TableOptions()
	return append([]string{stmt}, indexes...)
}
