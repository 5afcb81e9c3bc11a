package sqlgen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

type qualifyUser struct {
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name"`
	Age  int    `db:"age"`
}

func qualifyModel(t *testing.T) *registry.Model {
	t.Helper()
	m, err := registry.Of[qualifyUser]()
	require.NoError(t, err)
	return m
}

func TestResolveWithQualifiesEveryName(t *testing.T) {
	m := qualifyModel(t)
	name := func(n string) (string, error) {
		table, col, ok := strings.Cut(n, ".")
		if !ok {
			table, col = m.Table, n
		}
		c, found := m.Column(col)
		if !found || (table != m.Table && table != "other") {
			return "", &registry.UnknownColumnError{Model: m.Name, Column: n}
		}
		return sqlgen.Qualified(builder.Postgres, table, c), nil
	}
	crit := builder.And{
		builder.Eq{"name": "x"},
		builder.Or{builder.Gt{"other.age": 3}, builder.Like{"name": "a%"}},
		builder.Expr("1 = 1"),
	}
	r, err := sqlgen.ResolveWith(crit, name)
	require.NoError(t, err)
	sql, args, err := r.ToSql()
	require.NoError(t, err)
	assert.Equal(t, `("qualify_user"."name" = ? AND ("other"."age" > ? OR "qualify_user"."name" LIKE ?) AND 1 = 1)`, sql)
	assert.Equal(t, []any{"x", 3, "a%"}, args)

	_, err = sqlgen.ResolveWith(builder.Or{builder.Eq{"name": 1}, builder.NotEq{"bogus.name": 1}}, name)
	assert.ErrorIs(t, err, registry.ErrUnknownColumn)
	_, err = sqlgen.ResolveWith(nil, name)
	assert.Error(t, err)
	boom := errors.New("boom")
	_, err = sqlgen.ResolveWith(builder.LtOrEq{"age": 1}, func(string) (string, error) { return "", boom })
	assert.ErrorIs(t, err, boom)
}

func TestQualifiedSQLPerDialect(t *testing.T) {
	m := qualifyModel(t)
	st := sqlgen.For(builder.MySQL, m)
	cases := []struct {
		d               builder.Dialect
		list, order, ph string
		update          string
	}{
		{builder.SQLite, `"t"."id", "t"."name", "t"."age"`, `"t"."name" DESC`, "? ?",
			`UPDATE "qualify_user" SET "age" = ? WHERE "id" = ?`},
		{builder.MySQL, "`t`.`id`, `t`.`name`, `t`.`age`", "`t`.`name` DESC", "? ?",
			"UPDATE `qualify_user` SET `age` = ? WHERE `id` = ?"},
		{builder.Postgres, `"t"."id", "t"."name", "t"."age"`, `"t"."name" DESC`, "$1 $2",
			`UPDATE "qualify_user" SET "age" = $1 WHERE "id" = $2`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.list, sqlgen.QualifiedList(tc.d, "t", m.Columns), tc.d.Name())
		order, err := sqlgen.ParseOrder(m, "-name")
		require.NoError(t, err)
		assert.Equal(t, []string{tc.order}, sqlgen.OrderSQLIn(tc.d, "t", order), tc.d.Name())
		ph := sqlgen.AppendPlaceholder(append(sqlgen.AppendPlaceholder(nil, tc.d, 1), ' '), tc.d, 2)
		assert.Equal(t, tc.ph, string(ph), tc.d.Name())
		u := sqlgen.For(tc.d, m).UpdateOf(registry.ColumnSetOf(2))
		assert.Equal(t, tc.update, u.SQL, tc.d.Name())
	}
	assert.Empty(t, st.UpdateOf(registry.ColumnSetOf(meta.Pos(m.PK[0]))).SQL, "key columns are never set")
}
