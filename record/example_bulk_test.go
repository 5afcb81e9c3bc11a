package record_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
)

func ExampleSaveAll() {
	ctx, done := exampleDB()
	defer done()

	books := []*Book{
		{Title: "Emma", Author: "Austen", Year: 1816},     // matches the stored Emma by title: updated
		{Title: "Sanditon", Author: "Austen", Year: 1817}, // new: inserted
	}
	stored, err := record.SaveAll(ctx, books,
		record.Identity("title"),
		record.Before(func(ctx context.Context, b *Book, isNew bool) error {
			fmt.Printf("saving %s (new: %t)\n", b.Title, isNew)
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range stored {
		fmt.Println(b.ID, b.Title, b.Year)
	}

	_, err = record.SaveAll(ctx, []*Book{{ID: 1}, {ID: 1}})
	fmt.Println(errors.Is(err, record.ErrDuplicateRecord))
	// Output:
	// saving Sanditon (new: true)
	// saving Emma (new: false)
	// 2 Emma 1816
	// 4 Sanditon 1817
	// true
}

func ExampleBulkInsert() {
	ctx, done := exampleDB()
	defer done()

	n, err := record.BulkInsert[Book](ctx, []map[string]any{
		{"title": "Kindred", "author": "Butler", "year": 1979},
		{"title": "Dawn", "author": "Butler", "year": 1987},
	}, record.Progress(func(done, total int) { fmt.Printf("%d/%d rows\n", done, total) }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inserted", n)

	_, err = record.BulkInsert[Book](ctx, []map[string]any{{"title": "x", "isbn": "0"}})
	fmt.Println(err)
	// Output:
	// 2/2 rows
	// inserted 2
	// record: row 0: registry: model Book has no column "isbn"
}

func ExampleBulkDiffUpdate() {
	ctx, done := exampleDB()
	defer done()

	previous := []map[string]any{
		{"id": 1, "title": "Dune", "year": 1965},
		{"id": 2, "title": "Emma", "year": 1815},
	}
	rows := []map[string]any{
		{"id": 1, "title": "Dune", "year": 1965},        // unchanged: skipped
		{"id": 2, "title": "Emma", "year": 1816},        // UPDATE "book" SET "year" = ? WHERE "id" IN (?)
		{"title": "Mansfield Park", "author": "Austen"}, // no previous row: inserted
	}
	res, err := record.BulkDiffUpdate[Book](ctx, []string{"id"}, previous, rows)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("updated", res.Updated, "inserted", res.Inserted, "statements", len(res.Results))
	// Output:
	// updated 1 inserted 1 statements 2
}

func ExampleQuerySet_One() {
	ctx, done := exampleDB()
	defer done()

	b, err := record.Query[Book](ctx).Where(builder.Eq{"author": "Herbert"}).One()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Title)

	_, err = record.Query[Book](ctx).Where(builder.Eq{"author": "Austen"}).One()
	fmt.Println(errors.Is(err, record.ErrMultipleRows), err)
	_, err = record.Query[Book](ctx).Where(builder.Eq{"author": "Woolf"}).One()
	fmt.Println(errors.Is(err, record.ErrNotFound))
	// Output:
	// Dune
	// true record: more than one Book matches
	// true
}

func ExampleQuerySet_Pluck() {
	ctx, done := exampleDB()
	defer done()

	titles, err := record.Query[Book](ctx).OrderBy("-year").Pluck("title")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(titles)

	years, err := record.Pluck[int](record.Query[Book](ctx).Where(builder.Eq{"author": "Austen"}), "year")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(years)
	// Output:
	// [Dune Persuasion Emma]
	// [1815 1817]
}

func ExampleQuerySet_PerPage() {
	ctx, done := exampleDB()
	defer done()

	// The original's search(per_page=2, page=2).
	books, err := record.Query[Book](ctx).OrderBy("title").PerPage(2).Page(2).All()
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range books {
		fmt.Println(b.Title)
	}
	// Output:
	// Persuasion
}

func ExampleRaw() {
	ctx, done := exampleDB()
	defer done()

	books, err := record.Raw[Book](ctx, `SELECT id, title, year FROM book WHERE year < ? ORDER BY year`, 1900)
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range books {
		fmt.Println(b.Year, b.Title)
	}
	_, err = record.Raw[Book](ctx, `SELECT id, upper(title) AS shout FROM book`)
	fmt.Println(err)
	// Output:
	// 1815 Emma
	// 1817 Persuasion
	// record: Raw[Book]: result columns "shout" are not columns of Book (alias them to column names, or leave them out): registry: unknown column
}
