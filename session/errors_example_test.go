package session_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/session"
)

func ExampleTranslateError() {
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Statements run through the client come back translated; run on
	// db.DB() directly, they need TranslateError.
	raw := db.DB()
	if _, err := raw.Exec(`CREATE TABLE tag (name TEXT NOT NULL UNIQUE)`); err != nil {
		log.Fatal(err)
	}
	_, err = raw.Exec(`INSERT INTO tag (name) VALUES (NULL)`)
	err = session.TranslateError(err)
	fmt.Println(errors.Is(err, session.ErrNotNull))

	ctx := context.Background()
	db.Exec(ctx, `INSERT INTO tag (name) VALUES ('go')`)
	_, err = db.Exec(ctx, `INSERT INTO tag (name) VALUES ('go')`)
	var ce *session.ConstraintError
	if errors.As(err, &ce) {
		fmt.Println(ce.Kind == session.ErrDuplicateKey, ce.Table, ce.Column)
	}
	// Output:
	// true
	// true tag name
}
