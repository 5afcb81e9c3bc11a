package builder

import (
	"fmt"
	"strconv"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/registry"
)

// Dialect carries everything SQLite, MySQL and PostgreSQL differ in. One
// implementation per database lives in its own file; callers obtain one with
// DialectFor.
type Dialect interface {
	// Name is "sqlite", "mysql" or "postgres".
	Name() string
	// Placeholders is the squirrel placeholder format: ? or $N.
	Placeholders() sq.PlaceholderFormat
	// Quote quotes an identifier that the registry already validated.
	Quote(ident string) string
	// ColumnType is the DDL type of a column, without constraints.
	ColumnType(c *registry.Column) string
	// AutoIncrement is the DDL of an autoincrement primary key column,
	// after its quoted name.
	AutoIncrement(c *registry.Column) string
	// Returning reports whether generated keys are read with RETURNING
	// (PostgreSQL) rather than sql.Result.LastInsertId.
	Returning() bool
	// Upsert is the clause appended to an INSERT to update the row with the
	// same conflict columns instead; update lists the columns to overwrite.
	Upsert(conflict, update []string) string
	// ColumnDefault is the DEFAULT clause of a column with a default=
	// option.
	ColumnDefault(c *registry.Column) string
	// Savepoint, RollbackTo and Release are the savepoint statements.
	Savepoint(name string) string
	RollbackTo(name string) string
	Release(name string) string
	// MaxParams is the largest number of bound parameters in one statement.
	MaxParams() int
	// InlineIndexes reports whether secondary indexes are declared inside
	// CREATE TABLE (MySQL has no CREATE INDEX IF NOT EXISTS).
	InlineIndexes() bool
	// TableOptions is appended after the closing parenthesis of CREATE TABLE.
	TableOptions() string
	// TablesSQL lists the base tables of the current database, one name per row.
	TablesSQL() string
	// ColumnsSQL lists a table's columns (name, type, not null, primary key)
	// in order; the table name is its only parameter.
	ColumnsSQL() string
	// LockClause is the clause appended to a SELECT that locks its rows
	// (see Lock); empty where the dialect locks otherwise.
	LockClause(l Lock) string

	// DefaultValues follows INSERT INTO table in a statement that gives
	// no column: every column takes its default.
	DefaultValues() string
	// UpsertOnAnyUnique reports whether the Upsert clause fires on a
	// conflict with any unique key rather than only the conflict columns.
	UpsertOnAnyUnique() bool
	// AdvanceSequence is the statement to run after a row was written with
	// an explicit value, its one parameter, in the autoincrement column of
	// table; "" where an explicit key moves key generation by itself.
	AdvanceSequence(table, column string) string
	// OffsetNeedsLimit reports whether OFFSET is accepted only after a
	// LIMIT.
	OffsetNeedsLimit() bool
	// LimitInSubquery reports whether a subquery of IN (...) may have a
	// LIMIT or OFFSET.
	LimitInSubquery() bool
	// TransactionalDDL reports whether schema statements run inside a
	// transaction, committed or rolled back with it, rather than each
	// committing by itself.
	TransactionalDDL() bool
	// AdvisoryLock is the pair of statements that take without waiting
	// and release a named lock held by the connection, each returning
	// one row whose one column is true when taking succeeded; the name
	// is that of name within the current database or schema (MySQL's
	// locks are the server's, so there prefix starts it). Both are ""
	// where the database has no such lock.
	AdvisoryLock(prefix, name string) (lock, unlock string)
	// BackslashEscapes reports whether a backslash inside a string literal
	// escapes the next character ('it\'s'), as MySQL reads them.
	BackslashEscapes() bool
}

// DialectFor returns the dialect named "sqlite", "mysql" or "postgres"
// (aliases "sqlite3", "mariadb", "postgresql", "pgx").
func DialectFor(name string) (Dialect, error) {
	switch strings.ToLower(name) {
	case "sqlite", "sqlite3":
		return SQLite, nil
	case "mysql", "mariadb":
		return MySQL, nil
	case "postgres", "postgresql", "pgx":
		return Postgres, nil
	}
	return nil, fmt.Errorf("builder: unknown dialect %q (want sqlite, mysql or postgres)", name)
}

// quoteWith doubles the quote character inside ident and wraps it. The
// registry only admits [A-Za-z0-9_] identifiers, so doubling is a second
// line of defence, not the first.
func quoteWith(q byte, ident string) string {
	var b strings.Builder
	b.Grow(len(ident) + 2)
	b.WriteByte(q)
	for i := 0; i < len(ident); i++ {
		if ident[i] == q {
			b.WriteByte(q)
		}
		b.WriteByte(ident[i])
	}
	b.WriteByte(q)
	return b.String()
}

func varchar(c *registry.Column, unsized string) string {
	if c.Size > 0 {
		return "VARCHAR(" + strconv.Itoa(c.Size) + ")"
	}
	return unsized
}
