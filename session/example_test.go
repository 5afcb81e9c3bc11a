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

type Note struct {
	record.Base[Note]
	ID   int64  `db:"id,pk,autoincrement"`
	Text string `db:"text"`
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	db, err := session.Open(session.Config{
		DatabaseURI: "sqlite:///" + filepath.Join(dir, "notes.db"), // a file; "sqlite://" is in-memory
		PoolSize:    5,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := db.Context(context.Background()) // or session.SetDefault(db)
	if err := db.CreateAll(ctx, Note{}); err != nil {
		log.Fatal(err)
	}
	if err := (&Note{Text: "hello"}).Save(ctx); err != nil {
		log.Fatal(err)
	}
	n, _ := record.Query[Note](ctx).Count()
	fmt.Println(db.Dialect().Name(), n)
	// Output:
	// sqlite 1
}

func ExampleClient_Transaction() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Note{}); err != nil {
		log.Fatal(err)
	}

	err = db.Transaction(ctx, func(ctx context.Context) error {
		if err := (&Note{Text: "kept?"}).Save(ctx); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	n, _ := record.Query[Note](ctx).Count()
	fmt.Println(err, n)
	// Output:
	// changed my mind 0
}
