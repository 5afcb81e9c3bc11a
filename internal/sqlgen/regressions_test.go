package sqlgen_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

type regDefaults struct {
	ID                                                      int64  `db:"id,pk,autoincrement"`
	Note                                                    string `db:"note,default='n/a'"`
	Short                                                   string `db:"short,size=10,default='x'"`
	AVeryLongColumnNameThatGoesOnAndOnForeverAndEverAndEver string `db:"a_very_long_column_name_that_goes_on_and_on_forever_and_ever,index"`
}

func TestMySQLTextDefaultsAreExpressions(t *testing.T) {
	m, err := registry.Of[regDefaults]()
	require.NoError(t, err)
	ddl := sqlgen.For(builder.MySQL, m).CreateTable[0]
	assert.Contains(t, ddl, "`note` LONGTEXT NOT NULL DEFAULT ('n/a')")
	assert.Contains(t, ddl, "`short` VARCHAR(10) NOT NULL DEFAULT 'x'")
	assert.Contains(t, sqlgen.For(builder.SQLite, m).CreateTable[0], `"note" TEXT NOT NULL DEFAULT 'n/a'`)
}

func TestLongIndexNamesAreShortenedUniquely(t *testing.T) {
	m, err := registry.Of[regDefaults]()
	require.NoError(t, err)
	for _, d := range []builder.Dialect{builder.SQLite, builder.Postgres} {
		stmts := sqlgen.For(d, m).CreateTable
		require.Len(t, stmts, 2)
		name := strings.Split(stmts[1], `"`)[1]
		assert.LessOrEqual(t, len(name), 63, d.Name())
		assert.True(t, strings.HasPrefix(name, "ix_reg_defaults_a_very_long"), name)
	}
}

func TestCriterionNamingAColumnTwiceIsAnError(t *testing.T) {
	m, err := registry.Of[regDefaults]()
	require.NoError(t, err)
	_, err = sqlgen.Resolve(builder.SQLite, m, builder.Eq{"note": "a", "Note": "b"})
	assert.ErrorContains(t, err, "named twice")
}
