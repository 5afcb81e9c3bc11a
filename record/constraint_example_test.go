package record_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type Subscriber struct {
	record.Base[Subscriber]
	ID    int64  `db:"id,pk,autoincrement"`
	Email string `db:"email,size=100,unique"`
}

func ExampleConstraintError() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, Subscriber{}); err != nil {
		log.Fatal(err)
	}
	if err := (&Subscriber{Email: "jenny@example.com"}).Save(ctx); err != nil {
		log.Fatal(err)
	}

	err = (&Subscriber{Email: "jenny@example.com"}).Save(ctx)
	fmt.Println(errors.Is(err, record.ErrDuplicateKey)) // the same on SQLite, MySQL and PostgreSQL
	var ce *record.ConstraintError
	if errors.As(err, &ce) {
		fmt.Println(ce.Table, ce.Column)
	}
	// Output:
	// true
	// subscriber email
}
