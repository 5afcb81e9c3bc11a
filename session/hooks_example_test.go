package session_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/session"
)

// printHook prints each statement once it has run. A tracing hook would
// start a span in BeforeQuery, return the context carrying it, and end it
// in AfterQuery.
type printHook struct{}

func (printHook) BeforeQuery(ctx context.Context, _ *session.QueryEvent) context.Context { return ctx }

func (printHook) AfterQuery(_ context.Context, ev *session.QueryEvent) {
	fmt.Printf("%-8s %-40s args=%d server=%s err=%v\n", ev.Operation, ev.SQL, ev.Args, ev.Server, ev.Err)
}

func ExampleQueryHook() {
	db, err := session.Open(session.Config{
		DatabaseURI: "sqlite://:memory:",
		Hooks:       []session.QueryHook{printHook{}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	db.Exec(ctx, "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
	db.Transaction(ctx, func(ctx context.Context) error {
		_, err := db.Exec(ctx, "INSERT INTO note (text) VALUES (?)", "hello")
		return err
	})
	db.Exec(ctx, "INSERT INTO note (text) VALUES (NULL)")
	var n int
	db.QueryRow(ctx, "SELECT count(*) FROM note").Scan(&n)
	// Output:
	// exec     CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL) args=0 server=primary err=<nil>
	// begin    BEGIN                                    args=0 server=primary err=<nil>
	// exec     INSERT INTO note (text) VALUES (?)       args=1 server=primary err=<nil>
	// commit   COMMIT                                   args=0 server=primary err=<nil>
	// exec     INSERT INTO note (text) VALUES (NULL)    args=0 server=primary err=session: not null violation (table note, column text): NOT NULL constraint failed: note.text
	// query    SELECT count(*) FROM note                args=0 server=primary err=<nil>
}
