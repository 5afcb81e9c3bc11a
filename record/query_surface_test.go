package record_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// SurfCustomer and SurfOrder are the fixtures of the query surface that
// reporting and maintenance code reaches for: Update and Delete by
// criteria, Distinct, GroupBy, Having, Scan, Raw into plain structs.
type SurfCustomer struct {
	record.Base[SurfCustomer]
	ID     int64  `db:"id,pk,autoincrement"`
	Name   string `db:"name,size=50"`
	Active bool   `db:"active"`
	Hits   int    `db:"hits"`
	Ver    int64  `db:"ver,version"`
}

type SurfOrder struct {
	record.Base[SurfOrder]
	ID         int64  `db:"id,pk,autoincrement"`
	CustomerID int64  `db:"customer_id,fk=surf_customer.id"`
	Total      int64  `db:"total"`
	Status     string `db:"status,size=20"`
}

// SurfKey has a composite key, for String.
type SurfKey struct {
	record.Base[SurfKey]
	Tenant int64  `db:"tenant,pk=1"`
	Code   string `db:"code,pk=2,size=20"`
}

// CustomerTotal is a report row: no Base, never registered.
type CustomerTotal struct {
	CustomerID int64 `db:"customer_id"`
	Total      int64
	Orders     int `db:"n"`
}

var surfModels = dbtest.Options{Models: []any{SurfCustomer{}, SurfOrder{}}}

// seedSurf stores customers a, b, c with orders a: 50+70 paid, 10 open;
// b: 200 paid; c: none.
func seedSurf(t *testing.T, ctx context.Context) []*SurfCustomer {
	t.Helper()
	var cs []*SurfCustomer
	for i, name := range []string{"a", "b", "c"} {
		c := &SurfCustomer{Name: name, Active: true, Hits: i}
		require.NoError(t, c.Save(ctx))
		cs = append(cs, c)
	}
	for _, o := range []SurfOrder{
		{CustomerID: cs[0].ID, Total: 50, Status: "paid"},
		{CustomerID: cs[0].ID, Total: 70, Status: "paid"},
		{CustomerID: cs[0].ID, Total: 10, Status: "open"},
		{CustomerID: cs[1].ID, Total: 200, Status: "paid"},
	} {
		require.NoError(t, (&o).Save(ctx))
	}
	return cs
}

// golden returns the SQL text of the dialect: the SQLite text as written,
// with backquotes on MySQL and numbered placeholders on PostgreSQL.
func golden(dialect, sqlite string) string {
	switch dialect {
	case "mysql":
		return strings.ReplaceAll(sqlite, `"`, "`")
	case "postgres":
		var b strings.Builder
		n := 0
		for _, r := range sqlite {
			if r == '?' {
				n++
				fmt.Fprintf(&b, "$%d", n)
				continue
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	return sqlite
}

func TestQuerySetUpdate(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)

		n, err := record.Query[SurfCustomer](ctx).Where(builder.Lt{"hits": 2}).
			Update(map[string]any{"active": false, "hits": builder.Expr("hits + ?", 10)})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		assert.Equal(t, golden(db.Dialect, `UPDATE "surf_customer" SET "active" = ?, "hits" = hits + ?, "ver" = "ver" + 1 WHERE "hits" < ?`),
			lastSQL(db, "UPDATE"))
		got, err := record.Query[SurfCustomer](ctx).OrderBy("id").All()
		require.NoError(t, err)
		for i, c := range got {
			assert.Equal(t, i == 2, c.Active, c.Name)
			assert.Equal(t, map[int]int{0: 10, 1: 11, 2: 2}[i], c.Hits, c.Name)
			assert.Equal(t, map[int]int64{0: 2, 1: 2, 2: 1}[i], c.Ver, "the version is counted up in the rows it matched")
		}

		// A record loaded before the update is stale now.
		cs[0].Name = "a2"
		assert.ErrorIs(t, cs[0].Save(ctx), record.ErrStale)

		// Field names work as column names; every row without criteria.
		n, err = record.Query[SurfCustomer](ctx).Update(map[string]any{"Active": true})
		require.NoError(t, err)
		assert.EqualValues(t, 3, n)
		assert.Equal(t, golden(db.Dialect, `UPDATE "surf_customer" SET "active" = ?, "ver" = "ver" + 1`), lastSQL(db, "UPDATE"))
	})
}

func TestQuerySetUpdateRefusesBadInputBeforeSQL(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		seedSurf(t, ctx)
		before := db.Statements()
		q := record.Query[SurfCustomer](ctx)

		_, err := q.Update(map[string]any{"nope": 1})
		var uc *registry.UnknownColumnError
		require.ErrorAs(t, err, &uc)
		assert.Equal(t, "SurfCustomer", uc.Model)
		assert.Equal(t, "nope", uc.Column)

		_, err = q.Update(map[string]any{"hits": "many"})
		var fe *record.FieldError
		require.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, err, record.ErrInvalidValue)
		assert.Equal(t, "Hits", fe.Field)

		_, err = q.Update(map[string]any{"hits": builder.Eq{"id": 1}})
		assert.ErrorAs(t, err, &fe, "an expression value is a builder.Expr")
		_, err = q.Update(map[string]any{"ver": 7})
		assert.ErrorAs(t, err, &fe, "the version column is the library's")
		_, err = q.Update(map[string]any{"hits": 1, "Hits": 2})
		assert.ErrorAs(t, err, &fe, "one column named twice")
		_, err = q.Update(nil)
		assert.Error(t, err)
		_, err = q.Where(builder.Eq{"nope": 1}).Update(map[string]any{"hits": 1})
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)

		for name, bad := range map[string]*record.QuerySet[SurfCustomer]{
			"Limit":    q.Limit(1),
			"Offset":   q.Offset(1),
			"PerPage":  q.PerPage(2).Page(2),
			"GroupBy":  q.GroupBy("active"),
			"Having":   q.Having(builder.Expr("COUNT(*) > ?", 1)),
			"Distinct": q.Distinct(),
		} {
			_, err := bad.Update(map[string]any{"hits": 1})
			assert.ErrorIs(t, err, errors.ErrUnsupported, "Update with %s", name)
			_, err = bad.Delete()
			assert.ErrorIs(t, err, errors.ErrUnsupported, "Delete with %s", name)
		}
		_, err = record.Query[SurfOrder](ctx).LeftJoin("surf_customer").Delete()
		assert.ErrorIs(t, err, errors.ErrUnsupported)
		assert.Equal(t, before, db.Statements(), "no SQL ran")
	})
}

func TestQuerySetDelete(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		seedSurf(t, ctx)
		n, err := record.Query[SurfOrder](ctx).Where(builder.Eq{"status": "open"}).Delete()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, golden(db.Dialect, `DELETE FROM "surf_order" WHERE "status" = ?`), lastSQL(db, "DELETE"))
		left, err := record.Query[SurfOrder](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 3, left)

		// A join selects the rows through EXISTS, on every dialect.
		n, err = record.Query[SurfOrder](ctx).Join("surf_customer").Where(builder.Eq{"surf_customer.name": "b"}).Delete()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, golden(db.Dialect, `DELETE FROM "surf_order" WHERE EXISTS (SELECT 1 FROM "surf_customer" WHERE "surf_order"."customer_id" = "surf_customer"."id" AND "surf_customer"."name" = ?)`),
			lastSQL(db, "DELETE"))
		rest, err := record.Pluck[int64](record.Query[SurfOrder](ctx).OrderBy("total"), "total")
		require.NoError(t, err)
		assert.Equal(t, []int64{50, 70}, rest)

		n, err = record.Query[SurfOrder](ctx).Join("surf_customer").Where(builder.Eq{"surf_customer.name": "a"}).
			Update(map[string]any{"status": "void"})
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
		n, err = record.Query[SurfOrder](ctx).Where(builder.Eq{"status": "void"}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}

// Inside a session the identity map holds records by key; an UPDATE or
// DELETE by criteria makes it forget the model's records, so that later
// loads see the rows as they are, and a rollback brings the entries back.
func TestQuerySetWritesKeepTheIdentityMapConsistent(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)
		require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
			held, err := record.Get[SurfCustomer](ctx, cs[0].ID)
			require.NoError(t, err)
			again, err := record.Get[SurfCustomer](ctx, cs[0].ID)
			require.NoError(t, err)
			require.Same(t, held, again, "the session holds the record")

			_, err = record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": cs[0].ID}).Update(map[string]any{"name": "renamed"})
			require.NoError(t, err)
			fresh, err := record.Get[SurfCustomer](ctx, cs[0].ID)
			require.NoError(t, err)
			assert.NotSame(t, held, fresh)
			assert.Equal(t, "renamed", fresh.Name, "the row as updated, not the held record")

			// A savepoint that rolls back brings the forgotten entries back,
			// with the rows as they were.
			errUndo := errors.New("undo")
			err = db.Transaction(ctx, func(ctx context.Context) error {
				if _, err := record.Query[SurfCustomer](ctx).Update(map[string]any{"name": "gone"}); err != nil {
					return err
				}
				return errUndo
			}, session.Savepoint())
			require.ErrorIs(t, err, errUndo)
			back, err := record.Get[SurfCustomer](ctx, cs[0].ID)
			require.NoError(t, err)
			assert.Same(t, fresh, back, "the entry is back")
			assert.Equal(t, "renamed", back.Name)

			o, err := record.FindOne[SurfOrder](ctx, builder.Eq{"status": "open"})
			require.NoError(t, err)
			_, err = record.Query[SurfOrder](ctx).Where(builder.Eq{"status": "open"}).Delete()
			require.NoError(t, err)
			_, err = record.Get[SurfOrder](ctx, o.ID)
			assert.ErrorIs(t, err, record.ErrNotFound, "the deleted row is not served from the session")
			return nil
		}))
	})
}

func TestScanAggregates(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)

		q := record.Query[SurfOrder](ctx).
			Where(builder.Eq{"status": "paid"}).
			Select("customer_id", builder.Expr("SUM(total) AS total"), builder.Expr("COUNT(*) AS n")).
			GroupBy("customer_id").
			Having(builder.Expr("SUM(total) > ?", 100)).
			OrderBy("customer_id")
		rows, err := record.Scan[CustomerTotal](q)
		require.NoError(t, err)
		assert.Equal(t, []CustomerTotal{{cs[0].ID, 120, 2}, {cs[1].ID, 200, 1}}, rows)
		assert.Equal(t, golden(db.Dialect, `SELECT "customer_id", SUM(total) AS total, COUNT(*) AS n FROM "surf_order" WHERE "status" = ? GROUP BY "customer_id" HAVING SUM(total) > ? ORDER BY "customer_id"`),
			lastSQL(db, "SELECT"))

		// The same shape with other values: one text, and the right rows.
		rows, err = record.Scan[CustomerTotal](q.Having(builder.Expr("COUNT(*) > ?", 1)))
		require.NoError(t, err)
		assert.Equal(t, []CustomerTotal{{cs[0].ID, 120, 2}}, rows)

		// Arguments in the select list come first, in one sequence.
		type paidShare struct {
			CustomerID int64 `db:"customer_id"`
			Paid       int64
		}
		shares, err := record.Scan[paidShare](record.Query[SurfOrder](ctx).
			Select("customer_id", builder.Expr("SUM(CASE WHEN status = ? THEN total ELSE 0 END) AS paid", "paid")).
			Where(builder.Gt{"total": 20}).GroupBy("customer_id").OrderBy("customer_id"))
		require.NoError(t, err)
		assert.Equal(t, []paidShare{{cs[0].ID, 120}, {cs[1].ID, 200}}, shares)
		assert.Equal(t, golden(db.Dialect, `SELECT "customer_id", SUM(CASE WHEN status = ? THEN total ELSE 0 END) AS paid FROM "surf_order" WHERE "total" > ? GROUP BY "customer_id" ORDER BY "customer_id"`),
			lastSQL(db, "SELECT"))

		// Columns of a joined table.
		type byName struct {
			Name  string
			Total int64
		}
		named, err := record.Scan[byName](record.Query[SurfOrder](ctx).Join("surf_customer").
			Select("surf_customer.name", builder.Expr("SUM(surf_order.total) AS total")).
			Where(builder.Eq{"surf_customer.name": "a"}).GroupBy("surf_customer.name"))
		require.NoError(t, err)
		assert.Equal(t, []byName{{"a", 130}}, named)

		// Without a Select, R's fields name the columns.
		type status struct{ Status string }
		st, err := record.Scan[status](record.Query[SurfOrder](ctx).Distinct().OrderBy("-status"))
		require.NoError(t, err)
		assert.Equal(t, []status{{"paid"}, {"open"}}, st)
		assert.Equal(t, golden(db.Dialect, `SELECT DISTINCT "status" FROM "surf_order" ORDER BY "status" DESC`), lastSQL(db, "SELECT"))

		distinct, err := record.Pluck[string](record.Query[SurfOrder](ctx).Distinct(), "status")
		require.NoError(t, err)
		assert.Equal(t, []string{"open", "paid"}, distinct)
		all, err := record.Query[SurfOrder](ctx).Distinct().All()
		require.NoError(t, err)
		assert.Len(t, all, 4, "records carry their key: every row is distinct")
	})
}

func TestScanRefusals(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		seedSurf(t, ctx)
		before := db.Statements()
		grouped := record.Query[SurfOrder](ctx).GroupBy("customer_id")
		_, err := grouped.All()
		assert.ErrorIs(t, err, record.ErrNotRecords)
		_, err = grouped.Count()
		assert.ErrorIs(t, err, record.ErrNotRecords)
		_, err = record.Query[SurfOrder](ctx).Having(builder.Expr("COUNT(*) > 1")).First()
		assert.ErrorIs(t, err, record.ErrNotRecords)
		_, err = record.Query[SurfOrder](ctx).Select("id", builder.Expr("total * 2 AS total")).All()
		assert.ErrorIs(t, err, record.ErrNotRecords)
		_, err = record.Query[SurfOrder](ctx).Select(builder.Eq{"id": 1}).All()
		assert.Error(t, err, "only builder.Expr is an expression")
		_, err = record.Query[SurfOrder](ctx).Select(42).All()
		assert.Error(t, err)
		_, err = record.Query[SurfOrder](ctx).GroupBy("nope").All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Scan[CustomerTotal](record.Query[SurfOrder](ctx).GroupBy("nope"))
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Scan[CustomerTotal](record.Query[SurfOrder](ctx).Having(builder.Gt{"nope": 1}))
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		_, err = record.Scan[CustomerTotal](record.Query[SurfOrder](ctx))
		assert.ErrorIs(t, err, registry.ErrUnknownColumn, "fields Total and Orders are no columns of SurfOrder")
		_, err = record.Scan[int](record.Query[SurfOrder](ctx))
		assert.Error(t, err)
		assert.Equal(t, before, db.Statements(), "no SQL ran")

		// A result column without a field: an error before any row is read.
		_, err = record.Scan[CustomerTotal](record.Query[SurfOrder](ctx).Select("customer_id", builder.Expr("MAX(status) AS worst")).GroupBy("customer_id"))
		require.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Contains(t, err.Error(), `"worst"`)
		assert.Contains(t, err.Error(), "CustomerTotal")
	})
}

func TestRawIntoPlainStructs(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)
		got, err := record.Raw[CustomerTotal](ctx,
			`SELECT customer_id, SUM(total) AS total, COUNT(*) AS n FROM surf_order WHERE status = ? GROUP BY customer_id ORDER BY customer_id`, "paid")
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, CustomerTotal{cs[0].ID, 120, 2}, *got[0])
		assert.Equal(t, CustomerTotal{cs[1].ID, 200, 1}, *got[1])

		_, err = record.Raw[CustomerTotal](ctx, `SELECT customer_id, status FROM surf_order`)
		require.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Contains(t, err.Error(), `"status"`)
		_, ok := registry.Registered(reflect.TypeFor[CustomerTotal]())
		assert.False(t, ok, "a plain struct is not registered by Raw")
	})
}

func TestRecordString(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{SurfCustomer{}, SurfOrder{}, SurfKey{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		c := &SurfCustomer{Name: "a"}
		assert.Equal(t, "SurfCustomer{new}", fmt.Sprint(c))
		require.NoError(t, c.Save(ctx))
		assert.Equal(t, fmt.Sprintf("SurfCustomer{id: %d}", c.ID), fmt.Sprint(c))
		assert.Equal(t, fmt.Sprintf("[SurfCustomer{id: %d}]", c.ID), fmt.Sprintf("%v", []*SurfCustomer{c}))
		k := &SurfKey{Tenant: 7, Code: `x"y`}
		assert.Equal(t, `SurfKey{tenant: 7, code: "x\"y"}`, k.String())
		require.NoError(t, k.Save(ctx))
		got, err := record.Get[SurfKey](ctx, record.Key{"tenant": 7, "code": `x"y`})
		require.NoError(t, err)
		assert.Equal(t, `SurfKey{tenant: 7, code: "x\"y"}`, fmt.Sprintf("%s", got))
	})
}

func TestSubqueries(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		cs := seedSurf(t, ctx)
		names := func(q *record.QuerySet[SurfCustomer]) []string {
			t.Helper()
			got, err := record.Pluck[string](q.OrderBy("name"), "name")
			require.NoError(t, err)
			return got
		}
		big := record.Query[SurfOrder](ctx).Select("customer_id").Where(builder.Gt{"total": 60})
		assert.Equal(t, []string{"a", "b"}, names(record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": big})))
		n, err := record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": big}, builder.NotEq{"name": "b"}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		assert.Equal(t, golden(db.Dialect, `SELECT COUNT(*) FROM "surf_customer" WHERE "id" IN (SELECT "customer_id" FROM "surf_order" WHERE "total" > ?) AND "name" <> ?`),
			lastSQL(db, "SELECT"), "one sequence of placeholders")

		// NOT IN; a grouped subquery; a subquery inside Or and in a joined query.
		assert.Equal(t, []string{"c"}, names(record.Query[SurfCustomer](ctx).Where(builder.NotEq{"id": record.Query[SurfOrder](ctx).Select("customer_id")})))
		grouped := record.Query[SurfOrder](ctx).Select("customer_id").GroupBy("customer_id").Having(builder.Expr("SUM(total) > ?", 150))
		assert.Equal(t, []string{"b"}, names(record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": grouped})))
		assert.Equal(t, []string{"b", "c"}, names(record.Query[SurfCustomer](ctx).Where(builder.Or{builder.Eq{"id": grouped}, builder.Eq{"name": "c"}})))
		open, err := record.Query[SurfOrder](ctx).Join("surf_customer").
			Where(builder.Eq{"surf_customer.id": record.Query[SurfCustomer](ctx).Select("id").Where(builder.Eq{"name": "a"})}, builder.Eq{"status": "open"}).All()
		require.NoError(t, err)
		require.Len(t, open, 1)
		assert.EqualValues(t, 10, open[0].Total)

		// Update and Delete by a subquery of another table.
		n, err = record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": record.Query[SurfOrder](ctx).Select("customer_id").Where(builder.Eq{"status": "open"})}).
			Update(map[string]any{"hits": 99})
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)
		got, err := record.Get[SurfCustomer](ctx, cs[0].ID)
		require.NoError(t, err)
		assert.Equal(t, 99, got.Hits)
		n, err = record.Query[SurfOrder](ctx).Where(builder.Eq{"customer_id": record.Query[SurfCustomer](ctx).Select("id").Where(builder.Eq{"name": "b"})}).Delete()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n)

		// Refused before any SQL.
		before := db.Statements()
		for name, bad := range map[string]builder.Sqlizer{
			"no Select":               builder.Eq{"id": record.Query[SurfOrder](ctx)},
			"two columns":             builder.Eq{"id": record.Query[SurfOrder](ctx).Select("customer_id", "id")},
			"Gt":                      builder.Gt{"id": record.Query[SurfOrder](ctx).Select("customer_id")},
			"unknown column":          builder.Eq{"id": record.Query[SurfOrder](ctx).Select("nope")},
			"unknown in its criteria": builder.Eq{"id": record.Query[SurfOrder](ctx).Select("customer_id").Where(builder.Eq{"nope": 1})},
		} {
			_, err := record.Query[SurfCustomer](ctx).Where(bad).All()
			assert.Error(t, err, name)
		}
		_, err = record.Query[SurfCustomer](ctx).Where(builder.Eq{"id": record.Query[SurfOrder](ctx).Select("nope")}).All()
		assert.ErrorIs(t, err, registry.ErrUnknownColumn)
		assert.Equal(t, before, db.Statements(), "no SQL ran")
	})
}

func paidOrders(q *record.QuerySet[SurfOrder]) *record.QuerySet[SurfOrder] {
	return q.Where(builder.Eq{"status": "paid"})
}

func bigFirst(q *record.QuerySet[SurfOrder]) *record.QuerySet[SurfOrder] {
	return q.OrderBy("-total")
}

func TestScopes(t *testing.T) {
	dbtest.Each(t, surfModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		seedSurf(t, ctx)
		totals, err := record.Pluck[int64](record.Query[SurfOrder](ctx).Apply(paidOrders, bigFirst, nil), "total")
		require.NoError(t, err)
		assert.Equal(t, []int64{200, 70, 50}, totals)
		_, err = record.Query[SurfOrder](ctx).Apply(func(*record.QuerySet[SurfOrder]) *record.QuerySet[SurfOrder] { return nil }).All()
		assert.Error(t, err, "a scope that returns nil")
		base := record.Query[SurfOrder](ctx)
		_ = base.Apply(paidOrders)
		n, err := base.Count()
		require.NoError(t, err)
		assert.EqualValues(t, 4, n, "Apply leaves the receiver as it was")
	})
}
