package record_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
)

// OrderBy names an expression of the select list by its AS name, as it
// names a column: the top spenders first. The term is written as the
// expression spells the name (bare here), so that every database resolves
// both alike. A name that is neither a column
// nor an alias of the select list is an UnknownColumnError before anything
// is sent (SQLite would read an unknown quoted name as a string and order
// by nothing).
func TestOrderByAnAggregateAlias(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)
		type spent struct {
			CustomerID int64 `db:"customer_id"`
			Spent      int64
		}
		bySpent := func(order string) *record.QuerySet[SurfOrder] {
			return record.Query[SurfOrder](ctx).
				Select("customer_id", builder.Expr("SUM(total) AS spent")).
				GroupBy("customer_id").
				OrderBy(order)
		}
		rows, err := record.Scan[spent](bySpent("-spent"))
		require.NoError(t, err)
		assert.Equal(t, []spent{{cs[1].ID, 200}, {cs[0].ID, 130}}, rows)
		assert.Equal(t, golden(db.Dialect, `SELECT "customer_id", SUM(total) AS spent FROM "surf_order" GROUP BY "customer_id" ORDER BY spent DESC`),
			lastSQL(db, "SELECT"))

		// The same shape in the other direction: its own text.
		rows, err = record.Scan[spent](bySpent("spent"))
		require.NoError(t, err)
		assert.Equal(t, []spent{{cs[0].ID, 130}, {cs[1].ID, 200}}, rows)

		// A quoted name: matched exactly, quoted as the dialect quotes.
		type quoted struct {
			CustomerID int64 `db:"customer_id"`
			Spent      int64 `db:"Spent"`
		}
		qs, err := record.Scan[quoted](record.Query[SurfOrder](ctx).
			Select("customer_id", builder.Expr(`SUM(total) AS "Spent"`)).GroupBy("customer_id").OrderBy("-Spent"))
		require.NoError(t, err)
		assert.Equal(t, []quoted{{cs[1].ID, 200}, {cs[0].ID, 130}}, qs)

		// Ordered before the select list is given: the same.
		rows, err = record.Scan[spent](record.Query[SurfOrder](ctx).OrderBy("spent DESC").
			Select("customer_id", builder.Expr("SUM(total) AS spent")).GroupBy("customer_id"))
		require.NoError(t, err)
		assert.Equal(t, []spent{{cs[1].ID, 200}, {cs[0].ID, 130}}, rows)

		for name, run := range map[string]func() error{
			"an alias the select list lacks": func() error { _, err := record.Scan[spent](bySpent("-paid")); return err },
			"an alias without a select list": func() error { _, err := record.Query[SurfOrder](ctx).OrderBy("spent").All(); return err },
			"an alias First reads":           func() error { _, err := record.Query[SurfOrder](ctx).OrderBy("-spent").First(); return err },
			"an alias Pluck reads": func() error {
				_, err := record.Query[SurfOrder](ctx).OrderBy("spent").Pluck("total")
				return err
			},
		} {
			t.Run(name, func(t *testing.T) {
				since := len(db.Log())
				err := run()
				var unknown *registry.UnknownColumnError
				require.True(t, errors.As(err, &unknown), "%v", err)
				assert.Contains(t, []string{"spent", "paid"}, unknown.Column, "the error names the term")
				assert.Equal(t, len(db.Log()), since, "nothing sent")
			})
		}
		_, err = record.Scan[spent](record.Query[SurfOrder](ctx).OrderBy("spent; DROP TABLE x"))
		require.Error(t, err, "not an identifier")
	})
}
