package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Shelf is release 1 of a model; ShelfV2 is release 2 of the same table.
type Shelf struct {
	record.Base[Shelf]
	ID    int64   `db:"id,pk,autoincrement"`
	Label string  `db:"label,size=40"`
	Old   *string `db:"old,size=10"`
}

type ShelfV2 struct {
	record.Base[ShelfV2]
	ID    int64   `db:"id,pk,autoincrement"`
	Label string  `db:"label,size=40,index"`
	Room  *string `db:"room,size=20"`
}

func (ShelfV2) TableName() string { return "shelf" }

func ExampleClient_Diff() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(dir, "shop.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.CreateAll(ctx, Shelf{}); err != nil {
		log.Fatal(err)
	}

	plan, err := db.Diff(ctx, ShelfV2{}) // models need not be registered
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range plan.Steps {
		fmt.Printf("%s (destructive: %v)\n", s.Description, s.Destructive)
	}
	err = db.Apply(ctx, plan)
	fmt.Println("refused:", errors.Is(err, session.ErrDestructive))
	if err := db.Apply(ctx, plan, session.AllowDestructive()); err != nil {
		log.Fatal(err)
	}
	again, err := db.Diff(ctx, ShelfV2{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("empty after Apply:", again.Empty())
	// Output:
	// drop column shelf.old (destructive: true)
	// add column shelf.room (destructive: false)
	// add index on shelf (label) (destructive: false)
	// refused: true
	// empty after Apply: true
}
