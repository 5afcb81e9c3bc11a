package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTypesAreComparedAsEachDatabaseSpellsThem(t *testing.T) {
	cases := []struct {
		dialect, want, live string
		same                bool
	}{
		{"postgres", "VARCHAR(255)", "character varying(255)", true},
		{"postgres", "VARCHAR(255)", "character varying(100)", false},
		{"postgres", "TIMESTAMPTZ", "timestamp with time zone", true},
		{"postgres", "TIMESTAMP", "timestamp without time zone", true},
		{"postgres", "TIMESTAMPTZ", "timestamp without time zone", false},
		{"postgres", "NUMERIC(20)", "numeric(20,0)", true},
		{"postgres", "DECIMAL(10, 2)", "numeric(10,2)", true},
		{"postgres", "INT", "integer", true},
		{"postgres", "BIGINT", "integer", false},
		{"postgres", "DOUBLE PRECISION", "double precision", true},
		{"postgres", "JSONB", "jsonb", true},
		{"postgres", "JSONB", "json", false},
		{"mysql", "INTEGER", "int(11)", true},
		{"mysql", "INT", "int(11)", true},
		{"mysql", "BIGINT UNSIGNED", "bigint(20) unsigned", true},
		{"mysql", "BIGINT", "bigint(20) unsigned", false},
		{"mysql", "BOOLEAN", "tinyint(1)", true},
		{"mysql", "JSON", "longtext", true},
		{"mysql", "DATETIME(6)", "datetime(6)", true},
		{"mysql", "DATETIME(6)", "datetime", false},
		{"mysql", "VARCHAR(100)", "varchar(100)", true},
		{"mysql", "DECIMAL(10,2)", "decimal(10,2)", true},
		{"sqlite", "VARCHAR(100)", "TEXT", true},
		{"sqlite", "NVARCHAR(120)", "varchar(10)", true},
		{"sqlite", "INTEGER", "BIGINT", true},
		{"sqlite", "DATETIME", "TEXT", false},
		{"sqlite", "BOOLEAN", "INTEGER", false},
		{"sqlite", "REAL", "DOUBLE", true},
		{"sqlite", "BLOB", "TEXT", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.same, sameType(schemaOf(t, tc.dialect), tc.want, tc.live), "%s: %s vs %s", tc.dialect, tc.want, tc.live)
	}
}

func TestNarrowingTypeChangesAreTheOnesThatMayLoseValues(t *testing.T) {
	cases := []struct {
		dialect, from, to string
		narrowing         bool
	}{
		{"postgres", "integer", "BIGINT", false},
		{"postgres", "bigint", "INTEGER", true},
		{"postgres", "character varying(10)", "VARCHAR(20)", false},
		{"postgres", "character varying(20)", "VARCHAR(10)", true},
		{"postgres", "character varying(20)", "TEXT", false},
		{"postgres", "text", "VARCHAR(10)", true},
		{"postgres", "real", "DOUBLE PRECISION", false},
		{"postgres", "text", "INTEGER", true},
		{"mysql", "int(11)", "BIGINT", false},
		{"mysql", "varchar(10)", "LONGTEXT", false},
		{"mysql", "longtext", "VARCHAR(255)", true},
		{"mysql", "float", "DOUBLE", false},
		{"mysql", "int(11)", "INT UNSIGNED", true}, // negatives do not fit
		{"mysql", "int(10) unsigned", "INT", true}, // nor the top half
		{"mysql", "tinyint(4)", "BIGINT UNSIGNED", true},
		{"mysql", "bigint(20) unsigned", "BIGINT", true},
		{"mysql", "smallint(5) unsigned", "INT", false}, // a wider signed type holds them
		{"mysql", "smallint(5) unsigned", "MEDIUMINT UNSIGNED", false},
		{"mysql", "int(10) unsigned", "SMALLINT UNSIGNED", true},
		{"sqlite", "INTEGER", "TEXT", false},
		{"sqlite", "TEXT", "INTEGER", true},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.narrowing, narrowing(schemaOf(t, tc.dialect), tc.from, tc.to), "%s: %s -> %s", tc.dialect, tc.from, tc.to)
	}
}

func TestDefaultsAreComparedAsEachDatabaseReportsThem(t *testing.T) {
	cases := []struct{ model, live string }{
		{"'none'", "'none'::character varying"},
		{"'none'", "none"}, // MySQL 8 reports a literal bare
		{"0", "'0'::integer"},
		{"CURRENT_TIMESTAMP", "current_timestamp()"},
		{"CURRENT_TIMESTAMP", "current_timestamp(6)"},
		{"CURRENT_TIMESTAMP", "now()"},
		{"false", "0"},
		{"true", "1"},
		{"('x')", "'x'"},
		{"'it''s'", "'it''s'::text"},
		{"-1", "'-1'::integer"},
	}
	for _, tc := range cases {
		assert.Equal(t, canonDefault(tc.model), canonDefault(tc.live), "%s vs %s", tc.model, tc.live)
	}
	assert.NotEqual(t, canonDefault("'a'"), canonDefault("'b'"))
	assert.NotEqual(t, canonDefault("1"), canonDefault("2"))
}

// schemaOf is the schemaDialect of the database registered as name.
func schemaOf(t *testing.T, name string) *schemaDialect {
	db, ok := Lookup(name)
	require.True(t, ok, name)
	return db.schema()
}
