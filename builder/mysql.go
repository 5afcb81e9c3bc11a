package builder

import (
	"strconv"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/registry"
)

// MySQL is the dialect of MySQL 8 and MariaDB 10.5 and later
// (github.com/go-sql-driver/mysql); TiDB and Vitess speak it too.
var MySQL Dialect = mysqlDialect{}

type mysqlDialect struct{}

func (mysqlDialect) Name() string                       { return "mysql" }
func (mysqlDialect) Placeholders() sq.PlaceholderFormat { return sq.Question }
func (mysqlDialect) Quote(ident string) string          { return quoteWith('`', ident) }

func (mysqlDialect) ColumnType(c *registry.Column) string {
	if c.SQLType != "" {
		return c.SQLType
	}
	switch c.Kind {
	case registry.KindBool:
		return "BOOLEAN"
	case registry.KindInt, registry.KindUint:
		t := map[int]string{8: "TINYINT", 16: "SMALLINT", 32: "INT", 64: "BIGINT"}[c.Bits]
		if c.Kind == registry.KindUint {
			t += " UNSIGNED"
		}
		return t
	case registry.KindFloat:
		if c.Bits == 32 {
			return "FLOAT"
		}
		return "DOUBLE"
	case registry.KindString:
		// TEXT cannot be a key without a prefix length, so keyed strings
		// without a size get VARCHAR(255).
		if c.Size == 0 && keyed(c) {
			return "VARCHAR(255)"
		}
		if c.Size > 16383 {
			return "MEDIUMTEXT"
		}
		return varchar(c, "LONGTEXT")
	case registry.KindBytes:
		if c.Size > 0 && c.Size <= 65535 {
			return "VARBINARY(" + strconv.Itoa(c.Size) + ")"
		}
		if keyed(c) {
			return "VARBINARY(255)" // BLOB, like TEXT, cannot be a key
		}
		return "LONGBLOB"
	case registry.KindTime:
		return "DATETIME(6)"
	case registry.KindJSON:
		return "JSON"
	}
	if keyed(c) {
		return "VARCHAR(255)" // a custom type as a key, e.g. a UUID
	}
	return "LONGTEXT"
}

// keyed reports whether the column is part of a key or index, which TEXT
// and BLOB columns cannot be without a prefix length.
func keyed(c *registry.Column) bool {
	return c.PK || c.Unique || c.Indexed || c.FK != nil
}

func (d mysqlDialect) AutoIncrement(c *registry.Column) string {
	return d.ColumnType(c) + " NOT NULL AUTO_INCREMENT PRIMARY KEY"
}

func (mysqlDialect) Returning() bool { return false }

// Upsert uses VALUES(col), which MySQL 8 and every MariaDB accept.
func (d mysqlDialect) Upsert(conflict, update []string) string {
	var b strings.Builder
	b.WriteString("ON DUPLICATE KEY UPDATE ")
	if len(update) == 0 {
		// A no-op assignment keeps the row as it is.
		q := d.Quote(conflict[0])
		b.WriteString(q + " = " + q)
		return b.String()
	}
	for i, c := range update {
		if i > 0 {
			b.WriteString(", ")
		}
		q := d.Quote(c)
		b.WriteString(q + " = VALUES(" + q + ")")
	}
	return b.String()
}

// ColumnDefault parenthesises the default of TEXT, BLOB and JSON columns,
// which MySQL only accepts as an expression default.
func (d mysqlDialect) ColumnDefault(c *registry.Column) string {
	t := strings.ToUpper(d.ColumnType(c))
	if (strings.Contains(t, "TEXT") || strings.Contains(t, "BLOB") || t == "JSON") && !strings.HasPrefix(c.Default, "(") {
		return "DEFAULT (" + c.Default + ")"
	}
	return "DEFAULT " + c.Default
}

func (d mysqlDialect) Savepoint(name string) string  { return "SAVEPOINT " + d.Quote(name) }
func (d mysqlDialect) RollbackTo(name string) string { return "ROLLBACK TO SAVEPOINT " + d.Quote(name) }
func (d mysqlDialect) Release(name string) string    { return "RELEASE SAVEPOINT " + d.Quote(name) }

// MaxParams is the protocol's limit on placeholders in a prepared statement.
func (mysqlDialect) MaxParams() int      { return 65535 }
func (mysqlDialect) InlineIndexes() bool { return true }

// MySQLCollation is the collation of the tables the MySQL dialect
// creates, the last clause of their CREATE TABLE. A client replaces it with
// the server's no-pad binary collation when there is one (see
// MySQLNoPadCollations).
const MySQLCollation = "utf8mb4_bin"

// MySQLNoPadCollations are the binary collations that, unlike
// utf8mb4_bin, do not ignore trailing spaces, in order of preference:
// MySQL 8's and MariaDB's (10.2 and later).
var MySQLNoPadCollations = []string{"utf8mb4_0900_bin", "utf8mb4_nopad_bin"}

// TableOptions picks a binary collation: the default collations compare
// every character outside the Basic Multilingual Plane (emoji, math
// letters) as equal and ignore case, so two distinct emoji would collide in
// a unique column; binary comparison and order match SQLite.
func (mysqlDialect) TableOptions() string {
	return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=" + MySQLCollation
}

func (mysqlDialect) TablesSQL() string {
	return `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name`
}

func (mysqlDialect) ColumnsSQL() string {
	return `SELECT column_name, column_type, is_nullable = 'NO', column_key = 'PRI' FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`
}

func (mysqlDialect) DefaultValues() string { return "() VALUES ()" }

// UpsertOnAnyUnique: ON DUPLICATE KEY UPDATE fires on a conflict with any
// unique key.
func (mysqlDialect) UpsertOnAnyUnique() bool            { return true }
func (mysqlDialect) AdvanceSequence(_, _ string) string { return "" }
func (mysqlDialect) OffsetNeedsLimit() bool             { return true }
func (mysqlDialect) LimitInSubquery() bool              { return false }

// TransactionalDDL is false: MySQL and MariaDB commit every DDL statement
// on its own.
func (mysqlDialect) TransactionalDDL() bool { return false }

// AdvisoryLock uses GET_LOCK, whose names are the server's: prefix and a
// hash of the database and name make it one per database.
func (mysqlDialect) AdvisoryLock(prefix, name string) (lock, unlock string) {
	n := `CONCAT('` + prefix + `', LEFT(SHA1(CONCAT(DATABASE(), '.` + name + `')), 40))`
	return `SELECT COALESCE(GET_LOCK(` + n + `, 0), 0) = 1`, `SELECT RELEASE_LOCK(` + n + `)`
}
func (mysqlDialect) BackslashEscapes() bool { return true }
