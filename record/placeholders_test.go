package record_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
)

// A ? inside a string literal of the dialect is text, not a parameter, in
// Raw and in builder.Expr; on PostgreSQL that includes dollar-quoted and
// E'…' strings, and ?? writes the jsonb operator ?.
func TestQuestionMarksInLiteralsAreNotParameters(t *testing.T) {
	type condition struct {
		sql  string
		args []any // before the key, which is the last argument
	}
	conditions := map[string][]condition{
		"sqlite": {
			{sql: `name <> 'a?b' AND text <> 'it''s ?' AND id = ?`},
			{sql: `json_extract('{"k?": 1}', '$."k?"') = 1 AND id = ?`},
		},
		"mysql": {
			{sql: `name <> 'a?b' AND text <> 'it''s ?' AND text <> 'it\'s ?' AND id = ?`},
			{sql: `JSON_CONTAINS_PATH('{"k?": 1}', 'one', '$."k?"') AND id = ?`},
		},
		"postgres": {
			{sql: `name <> $$a?b$$ AND text <> $t$it's ?$t$ AND text <> E'it\'s ?' AND id = ?`},
			{sql: `'{"k?": 1}'::jsonb ?? 'k?' AND '{"k": 1}'::jsonb ??| array['k', ?] AND '{"k": 1}'::jsonb ??& array['k'] AND id = ?`,
				args: []any{"x"}},
		},
	}
	eachQ(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		as, _ := seedQ(t, ctx, 3)
		for _, c := range conditions[db.Dialect] {
			args := append(c.args, as[1].ID)
			got, err := record.Raw[QueryA](ctx, `SELECT * FROM query_a WHERE `+c.sql+` /* ? */ -- ?`, args...)
			require.NoError(t, err, c.sql)
			require.Len(t, got, 1, c.sql)
			assert.Equal(t, as[1].ID, got[0].ID, c.sql)

			got, err = record.Query[QueryA](ctx).Where(builder.Expr(c.sql, args...)).Where(builder.Eq{"label": "L"}).All()
			require.NoError(t, err, c.sql)
			require.Len(t, got, 1, c.sql)
			assert.Equal(t, as[1].ID, got[0].ID, c.sql)
		}
	})
}
