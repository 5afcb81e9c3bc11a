// Command decimal keeps money exact with github.com/shopspring/decimal in
// NUMERIC(10,2) columns. It is a module of its own, so that the library's
// go.mod stays free of the decimal package: any type implementing
// sql.Scanner and driver.Valuer works the same way.
//
//	cd examples/decimal && go run .
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/shopspring/decimal"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// InvoiceLine stores its price exactly; Approx is the same column type read
// into a float64, to show the difference.
type InvoiceLine struct {
	record.Base[InvoiceLine]
	ID        int64            `db:"id,pk,autoincrement"`
	UnitPrice decimal.Decimal  `db:"unit_price,type=NUMERIC(10,2)"`
	Discount  *decimal.Decimal `db:"discount,type=NUMERIC(10,2)"` // NULL when none
	Quantity  int              `db:"quantity"`
	Approx    float64          `db:"approx,type=NUMERIC(10,2)"`
}

// MapAdapters writes prices as JSON numbers (decimal.Decimal's own JSON is
// a string, which is what you get without an adapter). A type key matches
// *decimal.Decimal fields too: ToMap dereferences pointers (NULL is nil).
// A key by column name ("unit_price") would choose per field, for example
// a string with v.(decimal.Decimal).StringFixed(2).
func (InvoiceLine) MapAdapters() record.Adapters { return lineAdapters }

var lineAdapters = record.Adapters{
	record.TypeOf[decimal.Decimal](): func(v any, _ string, _ any) any {
		return json.Number(v.(decimal.Decimal).String())
	},
}

func main() {
	uri := "sqlite://" // in memory: nothing is left behind
	db, err := session.Open(session.Config{DatabaseURI: uri})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, InvoiceLine{}); err != nil {
		log.Fatal(err)
	}
	defer db.DropAll(ctx, InvoiceLine{})

	price := decimal.RequireFromString("0.10")
	for range 3 { // 0.10 three times
		f, _ := price.Float64()
		if err := (&InvoiceLine{UnitPrice: price, Quantity: 1, Approx: f}).Save(ctx); err != nil {
			log.Fatal(err)
		}
	}
	tenOff := decimal.RequireFromString("0.05")
	if err := (&InvoiceLine{UnitPrice: decimal.RequireFromString("19.99"), Discount: &tenOff, Quantity: 2, Approx: 19.99}).Save(ctx); err != nil {
		log.Fatal(err)
	}

	lines, err := record.Query[InvoiceLine](ctx).OrderBy("id").All()
	if err != nil {
		log.Fatal(err)
	}
	exact, approx := decimal.Zero, 0.0
	for _, l := range lines {
		total := l.UnitPrice.Mul(decimal.NewFromInt(int64(l.Quantity)))
		if l.Discount != nil {
			total = total.Sub(*l.Discount)
		}
		exact = exact.Add(total)
		approx += l.Approx * float64(l.Quantity)
		if l.Discount != nil {
			d, _ := l.Discount.Float64()
			approx -= d
		}
	}
	fmt.Println("exact total:  ", exact.StringFixed(2))
	// Rounded for display a float64 is fine; compared or accumulated, it
	// is not exact.
	fmt.Printf("float64 total: %.2f, == 40.23: %v (%.17g)\n", approx, approx == 40.23, approx)

	// Criteria take decimals as values.
	n, err := record.Query[InvoiceLine](ctx).Where(builder.Eq{"unit_price": price}).Count()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lines at 0.10:", n)

	// The database's own sum, read into a decimal.
	var sum decimal.Decimal
	if err := db.DB().QueryRowContext(ctx, `SELECT SUM(unit_price * quantity - COALESCE(discount, 0)) FROM invoice_line`).Scan(&sum); err != nil {
		log.Fatal(err)
	}
	fmt.Println("SUM in SQL:   ", sum.StringFixed(2))

	b, err := json.Marshal(lines[3])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))
}
