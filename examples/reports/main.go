// Command reports walks through the query surface beyond loading records:
// update and delete by criteria, Distinct, GroupBy, Having and Scan into a
// plain struct, subqueries, scopes, library-kept timestamps and soft
// delete, as the README's tour shows them.
//
//	go run ./examples/reports
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type Customer struct {
	record.Base[Customer]
	ID      int64      `db:"id,pk,autoincrement"`
	Name    string     `db:"name,size=50"`
	VIP     bool       `db:"vip"`
	Created time.Time  `db:"created_at,autocreate"`
	Updated time.Time  `db:"updated_at,autoupdate"`
	Deleted *time.Time `db:"deleted_at,softdelete"`
}

type Order struct {
	record.Base[Order]
	ID         int64  `db:"id,pk,autoincrement"`
	CustomerID int64  `db:"customer_id,fk=customer.id"`
	Total      int64  `db:"total"`
	Status     string `db:"status,size=20"`
}

// TableName keeps the table off the SQL keyword ORDER.
func (Order) TableName() string { return "orders" }

// Stats is a report row: no Base, never registered.
type Stats struct {
	CustomerID int64 `db:"customer_id"`
	Total      int64
	Orders     int `db:"n"`
}

// Paid is a scope.
func Paid(q *record.QuerySet[Order]) *record.QuerySet[Order] {
	return q.Where(builder.Eq{"status": "paid"})
}

func main() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Customer{}, Order{}); err != nil {
		log.Fatal(err)
	}
	var cs []*Customer
	for _, name := range []string{"Ann", "Bob", "Cyd"} {
		c := &Customer{Name: name}
		check(c.Save(ctx))
		cs = append(cs, c)
	}
	for i, total := range []int64{50, 70, 10, 200} {
		status := "paid"
		if i == 2 {
			status = "open"
		}
		check((&Order{CustomerID: cs[min(i/3, 1)].ID, Total: total, Status: status}).Save(ctx))
	}
	fmt.Println(cs[0], "created", cs[0].Created.Format(time.RFC3339))

	rows, err := record.Scan[Stats](record.Query[Order](ctx).Apply(Paid).
		Select("customer_id", builder.Expr("SUM(total) AS total"), builder.Expr("COUNT(*) AS n")).
		GroupBy("customer_id").
		Having(builder.Expr("SUM(total) > ?", 100)).
		OrderBy("customer_id"))
	check(err)
	for _, r := range rows {
		fmt.Printf("customer %d: %d in %d orders\n", r.CustomerID, r.Total, r.Orders)
	}

	big := record.Query[Order](ctx).Select("customer_id").Where(builder.Gt{"total": 60})
	n, err := record.Query[Customer](ctx).Where(builder.Eq{"id": big}).Update(map[string]any{"vip": true})
	check(err)
	fmt.Println("VIPs:", n)

	statuses, err := record.Pluck[string](record.Query[Order](ctx).Distinct(), "status")
	check(err)
	fmt.Println("statuses:", statuses)

	n, err = record.Query[Order](ctx).Where(builder.Eq{"status": "open"}).Delete()
	check(err)
	fmt.Println("open orders deleted:", n)

	check(cs[2].Destroy(ctx)) // soft: the row stays, with its deletion time
	live, err := record.Query[Customer](ctx).Count()
	check(err)
	all, err := record.Query[Customer](ctx).WithDeleted().Count()
	check(err)
	fmt.Println("customers:", live, "live,", all, "with the soft-deleted")
	n, err = record.Purge[Customer](ctx, cs[2].ID)
	check(err)
	fmt.Println("purged:", n)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
