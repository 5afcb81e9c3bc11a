package builder

import (
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/registry"
)

// SQLite is the dialect of SQLite 3.35 and later (github.com/mattn/go-sqlite3).
var SQLite Dialect = sqliteDialect{}

type sqliteDialect struct{}

func (sqliteDialect) Name() string                       { return "sqlite" }
func (sqliteDialect) Placeholders() sq.PlaceholderFormat { return sq.Question }
func (sqliteDialect) Quote(ident string) string          { return quoteWith('"', ident) }

// ColumnType uses the type names that the driver maps back to Go types:
// DATETIME and TIMESTAMP columns scan into time.Time, BOOLEAN into bool.
func (sqliteDialect) ColumnType(c *registry.Column) string {
	if c.SQLType != "" {
		return c.SQLType
	}
	switch c.Kind {
	case registry.KindBool:
		return "BOOLEAN"
	case registry.KindInt, registry.KindUint:
		return "INTEGER"
	case registry.KindFloat:
		return "REAL"
	case registry.KindString:
		return varchar(c, "TEXT")
	case registry.KindBytes:
		return "BLOB"
	case registry.KindTime:
		return "DATETIME"
	}
	return "TEXT"
}

// AutoIncrement must be exactly INTEGER PRIMARY KEY to alias the rowid.
func (sqliteDialect) AutoIncrement(*registry.Column) string {
	return "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT"
}

// Returning is false: the driver's LastInsertId is free, and a RETURNING row
// read with QueryRow stops before SQLITE_DONE and skips the WAL checkpoint.
func (sqliteDialect) Returning() bool { return false }

func (d sqliteDialect) Upsert(conflict, update []string) string {
	return onConflict(d, conflict, update)
}

func (sqliteDialect) ColumnDefault(c *registry.Column) string { return "DEFAULT " + c.Default }

func (d sqliteDialect) Savepoint(name string) string { return "SAVEPOINT " + d.Quote(name) }
func (d sqliteDialect) RollbackTo(name string) string {
	return "ROLLBACK TO SAVEPOINT " + d.Quote(name)
}
func (d sqliteDialect) Release(name string) string { return "RELEASE SAVEPOINT " + d.Quote(name) }

// MaxParams is SQLITE_MAX_VARIABLE_NUMBER of SQLite 3.32 and later.
func (sqliteDialect) MaxParams() int       { return 32766 }
func (sqliteDialect) InlineIndexes() bool  { return false }
func (sqliteDialect) TableOptions() string { return "" }

func (sqliteDialect) TablesSQL() string {
	return `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
}

func (sqliteDialect) ColumnsSQL() string {
	return `SELECT name, type, "notnull" <> 0, pk > 0 FROM pragma_table_info(?) ORDER BY cid`
}

// onConflict is the PostgreSQL and SQLite upsert clause.
func onConflict(d Dialect, conflict, update []string) string {
	var b strings.Builder
	b.WriteString("ON CONFLICT (")
	for i, c := range conflict {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(c))
	}
	b.WriteString(")")
	if len(update) == 0 {
		b.WriteString(" DO NOTHING")
		return b.String()
	}
	b.WriteString(" DO UPDATE SET ")
	for i, c := range update {
		if i > 0 {
			b.WriteString(", ")
		}
		q := d.Quote(c)
		b.WriteString(q + " = excluded." + q)
	}
	return b.String()
}

func (sqliteDialect) DefaultValues() string                     { return "DEFAULT VALUES" }
func (sqliteDialect) UpsertOnAnyUnique() bool                   { return false }
func (sqliteDialect) AdvanceSequence(_, _ string) string        { return "" }
func (sqliteDialect) OffsetNeedsLimit() bool                    { return true }
func (sqliteDialect) LimitInSubquery() bool                     { return true }
func (sqliteDialect) TransactionalDDL() bool                    { return true }
func (sqliteDialect) AdvisoryLock(_, _ string) (string, string) { return "", "" }
func (sqliteDialect) BackslashEscapes() bool                    { return false }
