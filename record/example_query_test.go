package record_test

import (
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
)

func ExampleQuerySet_Update() {
	ctx, done := exampleDB()
	defer done()

	// One UPDATE of every matching row; no record is loaded, no hook runs.
	n, err := record.Query[Book](ctx).Where(builder.Eq{"author": "Austen"}).
		Update(map[string]any{"year": builder.Expr("year + ?", 1)})
	if err != nil {
		log.Fatal(err)
	}
	years, _ := record.Pluck[int](record.Query[Book](ctx).Where(builder.Eq{"author": "Austen"}), "year")
	fmt.Println(n, "rows:", years)

	_, err = record.Query[Book](ctx).Update(map[string]any{"pages": 100})
	fmt.Println(err)
	// Output:
	// 2 rows: [1816 1818]
	// registry: model Book has no column "pages"
}

func ExampleQuerySet_Delete() {
	ctx, done := exampleDB()
	defer done()

	n, err := record.Query[Book](ctx).Where(builder.Lt{"year": 1900}).Delete()
	if err != nil {
		log.Fatal(err)
	}
	left, _ := record.Query[Book](ctx).Count()
	fmt.Println("deleted", n, "left", left)
	// Output: deleted 2 left 1
}

// AuthorStats is a report row: a plain struct, no Base, no registration.
type AuthorStats struct {
	Author string
	Books  int
	First  int `db:"first_year"`
}

func ExampleScan() {
	ctx, done := exampleDB()
	defer done()

	rows, err := record.Scan[AuthorStats](record.Query[Book](ctx).
		Select("author", builder.Expr("COUNT(*) AS books"), builder.Expr("MIN(year) AS first_year")).
		GroupBy("author").
		Having(builder.Expr("COUNT(*) >= ?", 1)).
		OrderBy("author"))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Printf("%s: %d books since %d\n", r.Author, r.Books, r.First)
	}
	// Output:
	// Austen: 2 books since 1815
	// Herbert: 1 books since 1965
}

func ExampleQuerySet_Distinct() {
	ctx, done := exampleDB()
	defer done()

	authors, err := record.Pluck[string](record.Query[Book](ctx).Distinct(), "author")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(authors)
	// Output: [Austen Herbert]
}

func ExampleRaw_plainStruct() {
	ctx, done := exampleDB()
	defer done()

	rows, err := record.Raw[AuthorStats](ctx,
		`SELECT author, COUNT(*) AS books, MIN(year) AS first_year FROM book WHERE year > ? GROUP BY author ORDER BY author`, 1816)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Author, r.Books, r.First)
	}
	// Output:
	// Austen 1 1817
	// Herbert 1 1965
}

func ExampleBase_String() {
	ctx, done := exampleDB()
	defer done()

	b, err := record.FindOne[Book](ctx, builder.Eq{"title": "Emma"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b)
	fmt.Println(&Book{Title: "unsaved"})
	// Output:
	// Book{id: 2}
	// Book{new}
}

// Austen is a scope: a named, reusable piece of a query.
func Austen(q *record.QuerySet[Book]) *record.QuerySet[Book] {
	return q.Where(builder.Eq{"author": "Austen"})
}

func Newest(q *record.QuerySet[Book]) *record.QuerySet[Book] { return q.OrderBy("-year") }

func ExampleQuerySet_Apply() {
	ctx, done := exampleDB()
	defer done()

	titles, err := record.Pluck[string](record.Query[Book](ctx).Apply(Austen, Newest), "title")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(titles)
	// Output: [Persuasion Emma]
}

func ExampleQuerySet_SubquerySQL() {
	ctx, done := exampleDB()
	defer done()

	// Books by the authors of books from before 1900: a subquery as the
	// value of Eq (IN); NotEq is NOT IN.
	early := record.Query[Book](ctx).Select("author").Where(builder.Lt{"year": 1900})
	n, err := record.Query[Book](ctx).Where(builder.Eq{"author": early}).Count()
	if err != nil {
		log.Fatal(err)
	}
	others, err := record.Pluck[string](record.Query[Book](ctx).Where(builder.NotEq{"author": early}), "title")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, others)
	// Output: 2 [Dune]
}
