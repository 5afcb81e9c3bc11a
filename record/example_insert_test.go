package record_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/record"
)

func ExampleBase_Insert() {
	ctx, done := exampleDB()
	defer done()

	// Book 1 exists. Save would write over it (an upsert on the key);
	// Insert refuses and leaves it alone.
	b := &Book{ID: 1, Title: "Dune Messiah", Author: "Herbert", Year: 1969}
	err := b.Insert(ctx)
	fmt.Println(errors.Is(err, record.ErrDuplicateKey))
	got, _ := record.Get[Book](ctx, 1)
	fmt.Println(got.Title)

	b.ID = 0 // a new key, generated
	if err := b.Insert(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("inserted id", b.ID)
	// Output:
	// true
	// Dune
	// inserted id 4
}
