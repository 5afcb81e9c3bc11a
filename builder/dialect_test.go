package builder_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

func TestSavepoints(t *testing.T) {
	tests := []struct {
		dialect                      builder.Dialect
		savepoint, rollback, release string
	}{
		{builder.SQLite, `SAVEPOINT "sp_1"`, `ROLLBACK TO SAVEPOINT "sp_1"`, `RELEASE SAVEPOINT "sp_1"`},
		{builder.MySQL, "SAVEPOINT `sp_1`", "ROLLBACK TO SAVEPOINT `sp_1`", "RELEASE SAVEPOINT `sp_1`"},
		{builder.Postgres, `SAVEPOINT "sp_1"`, `ROLLBACK TO SAVEPOINT "sp_1"`, `RELEASE SAVEPOINT "sp_1"`},
	}
	for _, tc := range tests {
		t.Run(tc.dialect.Name()+" quotes the savepoint name", func(t *testing.T) {
			assert.Equal(t, tc.savepoint, tc.dialect.Savepoint("sp_1"))
			assert.Equal(t, tc.rollback, tc.dialect.RollbackTo("sp_1"))
			assert.Equal(t, tc.release, tc.dialect.Release("sp_1"))
		})
	}
}

func TestUpsertClause(t *testing.T) {
	tests := []struct {
		name             string
		dialect          builder.Dialect
		conflict, update []string
		want             string
	}{
		{"sqlite overwrites from excluded", builder.SQLite, []string{"id"}, []string{"a", "b"},
			`ON CONFLICT ("id") DO UPDATE SET "a" = excluded."a", "b" = excluded."b"`},
		{"sqlite does nothing without columns to update", builder.SQLite, []string{"a", "b"}, nil,
			`ON CONFLICT ("a", "b") DO NOTHING`},
		{"postgres overwrites from excluded", builder.Postgres, []string{"a", "b"}, []string{"c"},
			`ON CONFLICT ("a", "b") DO UPDATE SET "c" = excluded."c"`},
		{"postgres does nothing without columns to update", builder.Postgres, []string{"id"}, nil,
			`ON CONFLICT ("id") DO NOTHING`},
		{"mysql overwrites from VALUES()", builder.MySQL, []string{"id"}, []string{"a", "b"},
			"ON DUPLICATE KEY UPDATE `a` = VALUES(`a`), `b` = VALUES(`b`)"},
		{"mysql assigns the key to itself without columns to update", builder.MySQL, []string{"id", "x"}, nil,
			"ON DUPLICATE KEY UPDATE `id` = `id`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.dialect.Upsert(tc.conflict, tc.update))
		})
	}
}

func TestQuote(t *testing.T) {
	tests := []struct {
		dialect builder.Dialect
		in      string
		want    string
	}{
		{builder.SQLite, "user", `"user"`},
		{builder.SQLite, `we"ird`, `"we""ird"`},
		{builder.SQLite, `""`, `""""""`},
		{builder.SQLite, "back`tick", "\"back`tick\""},
		{builder.Postgres, "user", `"user"`},
		{builder.Postgres, `we"ird`, `"we""ird"`},
		{builder.MySQL, "user", "`user`"},
		{builder.MySQL, "we`ird", "`we``ird`"},
		{builder.MySQL, "``", "``````"},
		{builder.MySQL, `dou"ble`, "`dou\"ble`"},
	}
	for _, tc := range tests {
		t.Run(tc.dialect.Name()+" quotes "+tc.in+" as "+tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.dialect.Quote(tc.in))
		})
	}
}

func TestDialectFor(t *testing.T) {
	tests := []struct{ name, want string }{
		{"sqlite", "sqlite"}, {"sqlite3", "sqlite"}, {"SQLite", "sqlite"},
		{"mysql", "mysql"}, {"mariadb", "mysql"}, {"MySQL", "mysql"},
		{"postgres", "postgres"}, {"postgresql", "postgres"}, {"pgx", "postgres"}, {"PostgreSQL", "postgres"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is the "+tc.want+" dialect", func(t *testing.T) {
			d, err := builder.DialectFor(tc.name)
			require.NoError(t, err)
			assert.Equal(t, tc.want, d.Name())
		})
	}
	for _, name := range []string{"oracle", "", "sqlite4", "postgre"} {
		t.Run("an unknown name "+`"`+name+`"`+" is an error", func(t *testing.T) {
			d, err := builder.DialectFor(name)
			require.Error(t, err)
			assert.Nil(t, d)
			assert.Contains(t, err.Error(), `unknown dialect "`+name+`"`)
		})
	}
}

func TestDialectProperties(t *testing.T) {
	tests := []struct {
		dialect      builder.Dialect
		placeholders string // "? ?" rewritten
		returning    bool
		maxParams    int
		inline       bool
		options      string
		param        string // the placeholder in ColumnsSQL
	}{
		{builder.SQLite, "? ?", false, 32766, false, "", "?"},
		{builder.MySQL, "? ?", false, 65535, true, " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin", "?"},
		{builder.Postgres, "$1 $2", true, 65535, false, "", "$1"},
	}
	for _, tc := range tests {
		d := tc.dialect
		t.Run(d.Name()+" has its own placeholders, limits and options", func(t *testing.T) {
			got, err := d.Placeholders().ReplacePlaceholders("? ?")
			require.NoError(t, err)
			assert.Equal(t, tc.placeholders, got)
			assert.Equal(t, tc.returning, d.Returning())
			assert.Equal(t, tc.maxParams, d.MaxParams())
			assert.Equal(t, tc.inline, d.InlineIndexes())
			assert.Equal(t, tc.options, d.TableOptions())
			assert.Contains(t, d.ColumnsSQL(), tc.param)
			assert.True(t, strings.HasPrefix(d.TablesSQL(), "SELECT "))
		})
	}
}

func TestColumnType(t *testing.T) {
	col := func(k registry.Kind, bits int, mod func(*registry.Column)) *registry.Column {
		c := &registry.Column{Name: "c", Kind: k, Bits: bits}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sized := func(n int) func(*registry.Column) { return func(c *registry.Column) { c.Size = n } }
	unique := func(c *registry.Column) { c.Unique = true }
	indexed := func(c *registry.Column) { c.Indexed = true }
	keyed := func(c *registry.Column) { c.PK = true }
	fk := func(c *registry.Column) { c.FK = &registry.ForeignKey{Table: "t", Column: "id"} }
	typed := func(c *registry.Column) { c.SQLType = "NUMERIC(5,1)" }
	tests := []struct {
		name                    string
		col                     *registry.Column
		sqlite, mysql, postgres string
	}{
		{"bool", col(registry.KindBool, 0, nil), "BOOLEAN", "BOOLEAN", "BOOLEAN"},
		{"int8", col(registry.KindInt, 8, nil), "INTEGER", "TINYINT", "SMALLINT"},
		{"int16", col(registry.KindInt, 16, nil), "INTEGER", "SMALLINT", "SMALLINT"},
		{"int32", col(registry.KindInt, 32, nil), "INTEGER", "INT", "INTEGER"},
		{"int64", col(registry.KindInt, 64, nil), "INTEGER", "BIGINT", "BIGINT"},
		{"uint8", col(registry.KindUint, 8, nil), "INTEGER", "TINYINT UNSIGNED", "INTEGER"},
		{"uint16", col(registry.KindUint, 16, nil), "INTEGER", "SMALLINT UNSIGNED", "INTEGER"},
		{"uint32", col(registry.KindUint, 32, nil), "INTEGER", "INT UNSIGNED", "BIGINT"},
		{"uint64", col(registry.KindUint, 64, nil), "INTEGER", "BIGINT UNSIGNED", "NUMERIC(20)"},
		{"float32", col(registry.KindFloat, 32, nil), "REAL", "FLOAT", "REAL"},
		{"float64", col(registry.KindFloat, 64, nil), "REAL", "DOUBLE", "DOUBLE PRECISION"},
		{"an unsized string", col(registry.KindString, 0, nil), "TEXT", "LONGTEXT", "TEXT"},
		{"a sized string", col(registry.KindString, 0, sized(40)), "VARCHAR(40)", "VARCHAR(40)", "VARCHAR(40)"},
		{"a long sized string", col(registry.KindString, 0, sized(20000)), "VARCHAR(20000)", "MEDIUMTEXT", "VARCHAR(20000)"},
		{"an unsized unique string", col(registry.KindString, 0, unique), "TEXT", "VARCHAR(255)", "TEXT"},
		{"an unsized indexed string", col(registry.KindString, 0, indexed), "TEXT", "VARCHAR(255)", "TEXT"},
		{"an unsized key string", col(registry.KindString, 0, keyed), "TEXT", "VARCHAR(255)", "TEXT"},
		{"an unsized foreign key string", col(registry.KindString, 0, fk), "TEXT", "VARCHAR(255)", "TEXT"},
		{"unsized bytes", col(registry.KindBytes, 0, nil), "BLOB", "LONGBLOB", "BYTEA"},
		{"sized bytes", col(registry.KindBytes, 0, sized(16)), "BLOB", "VARBINARY(16)", "BYTEA"},
		{"a time", col(registry.KindTime, 0, nil), "DATETIME", "DATETIME(6)", "TIMESTAMPTZ"},
		{"JSON", col(registry.KindJSON, 0, nil), "TEXT", "JSON", "JSONB"},
		{"a custom type", col(registry.KindCustom, 0, nil), "TEXT", "LONGTEXT", "TEXT"},
		{"an explicit type", col(registry.KindString, 0, typed), "NUMERIC(5,1)", "NUMERIC(5,1)", "NUMERIC(5,1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" maps to each dialect's type", func(t *testing.T) {
			assert.Equal(t, tc.sqlite, builder.SQLite.ColumnType(tc.col), "sqlite")
			assert.Equal(t, tc.mysql, builder.MySQL.ColumnType(tc.col), "mysql")
			assert.Equal(t, tc.postgres, builder.Postgres.ColumnType(tc.col), "postgres")
		})
	}
}

func TestAutoIncrementType(t *testing.T) {
	tests := []struct {
		name                    string
		col                     *registry.Column
		sqlite, mysql, postgres string
	}{
		{"int64", &registry.Column{Kind: registry.KindInt, Bits: 64},
			"INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
		{"int32", &registry.Column{Kind: registry.KindInt, Bits: 32},
			"INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "INT NOT NULL AUTO_INCREMENT PRIMARY KEY", "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
		{"uint64", &registry.Column{Kind: registry.KindUint, Bits: 64},
			"INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
	}
	for _, tc := range tests {
		t.Run("an autoincrement "+tc.name+" key maps to each dialect's DDL", func(t *testing.T) {
			assert.Equal(t, tc.sqlite, builder.SQLite.AutoIncrement(tc.col))
			assert.Equal(t, tc.mysql, builder.MySQL.AutoIncrement(tc.col))
			assert.Equal(t, tc.postgres, builder.Postgres.AutoIncrement(tc.col))
		})
	}
}
