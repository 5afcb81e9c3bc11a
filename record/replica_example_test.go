package record_test

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

func ExamplePrimary() {
	dir, err := os.MkdirTemp("", "replicas")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// Two SQLite files stand in for a server and its replica, one that has
	// not caught up yet.
	primary := "sqlite:///" + filepath.Join(dir, "primary.db")
	replica := "sqlite:///" + filepath.Join(dir, "replica.db")
	for _, uri := range []string{primary, replica} {
		c, err := session.Open(session.Config{DatabaseURI: uri})
		if err != nil {
			log.Fatal(err)
		}
		if err := c.CreateAll(context.Background(), Book{}); err != nil {
			log.Fatal(err)
		}
		c.Close()
	}

	db, err := session.Open(session.Config{DatabaseURI: primary, Replicas: []string{replica}})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())

	b := &Book{Title: "Ubik", Author: "Dick", Year: 1969}
	if err := b.Save(ctx); err != nil { // writes go to the primary
		log.Fatal(err)
	}
	_, err = record.Get[Book](ctx, b.ID) // reads outside a transaction go to the replica
	fmt.Println("on the replica:", errors.Is(err, record.ErrNotFound))

	got, err := record.Get[Book](record.Primary(ctx), b.ID) // read your writes
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("on the primary:", got.Title)

	err = db.Transaction(ctx, func(ctx context.Context) error { // a transaction runs on the primary
		got, err = record.Get[Book](ctx, b.ID)
		return err
	})
	fmt.Println("in a transaction:", got.Title, err)
	// Output:
	// on the replica: true
	// on the primary: Ubik
	// in a transaction: Ubik <nil>
}
