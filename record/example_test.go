package record_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"slices"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type Book struct {
	record.Base[Book]
	ID     int64  `db:"id,pk,autoincrement"`
	Title  string `db:"title,size=200"`
	Author string `db:"author,size=100,index"`
	Year   int    `db:"year"`
}

// exampleDB opens an in-memory database with the book table and returns a
// context that carries it.
func exampleDB() (context.Context, func()) {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Book{}); err != nil {
		log.Fatal(err)
	}
	for _, b := range []Book{
		{Title: "Dune", Author: "Herbert", Year: 1965},
		{Title: "Emma", Author: "Austen", Year: 1815},
		{Title: "Persuasion", Author: "Austen", Year: 1817},
	} {
		if err := b.Save(ctx); err != nil {
			log.Fatal(err)
		}
	}
	return ctx, func() { db.Close() }
}

func ExampleBase_Save() {
	ctx, done := exampleDB()
	defer done()

	b := &Book{Title: "Ubik", Author: "Dick", Year: 1969}
	if err := b.Save(ctx); err != nil { // INSERT; the generated id is stored in b.ID
		log.Fatal(err)
	}
	fmt.Println("inserted id", b.ID)

	b.Year = 1970
	fmt.Println("changed:", b.Changed())
	if err := b.Save(ctx); err != nil { // UPDATE "book" SET "year" = ? WHERE "id" = ?
		log.Fatal(err)
	}
	got, _ := record.Get[Book](ctx, b.ID)
	fmt.Println(got.Title, got.Year)
	// Output:
	// inserted id 4
	// changed: [year]
	// Ubik 1970
}

func ExampleGet() {
	ctx, done := exampleDB()
	defer done()

	b, err := record.Get[Book](ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Title, "by", b.Author)

	_, err = record.Get[Book](ctx, 99)
	fmt.Println(errors.Is(err, record.ErrNotFound), err)
	// Output:
	// Emma by Austen
	// true record: Book 99 not found
}

func ExampleQuery() {
	ctx, done := exampleDB()
	defer done()

	books, err := record.Query[Book](ctx).
		Where(builder.Eq{"author": "Austen"}, builder.Gt{"year": 1800}).
		OrderBy("-year").
		Limit(10).
		All()
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range books {
		fmt.Println(b.Year, b.Title)
	}
	n, _ := record.Query[Book](ctx).Count()
	fmt.Println(n, "books")

	_, err = record.Query[Book](ctx).Where(builder.Eq{"publisher": "x"}).All()
	fmt.Println(err)
	// Output:
	// 1817 Persuasion
	// 1815 Emma
	// 3 books
	// registry: model Book has no column "publisher"
}

func ExampleQuerySet_Paginate() {
	ctx, done := exampleDB()
	defer done()

	page, err := record.Query[Book](ctx).OrderBy("title").Paginate(2, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("page %d of %d (%d books)\n", page.Page, page.Pages, page.Total)
	for _, b := range page.Items {
		fmt.Println(b.Title)
	}
	// Output:
	// page 2 of 2 (3 books)
	// Persuasion
}

func ExampleBase_ToMap() {
	b, err := record.New[Book](map[string]any{"title": "Kindred", "author": "Butler", "year": 1979})
	if err != nil {
		log.Fatal(err)
	}
	m := b.ToMap()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Printf("%s=%v\n", k, m[k])
	}
	// Output:
	// author=Butler
	// id=0
	// title=Kindred
	// year=1979
}

func ExampleDestroy() {
	ctx, done := exampleDB()
	defer done()

	emma, _ := record.Get[Book](ctx, 2)
	n, err := record.Destroy[Book](ctx, []any{1, emma, map[string]any{"id": 404}})
	if err != nil {
		log.Fatal(err)
	}
	left, _ := record.Query[Book](ctx).Count()
	fmt.Println("deleted", n, "left", left)
	// Output:
	// deleted 2 left 1
}
