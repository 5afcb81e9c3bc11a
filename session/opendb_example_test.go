package session_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sqlservice/sqlservice/session"
)

// A pool the application opened itself (here with the pure-Go SQLite
// driver, foreign keys on) becomes a client with OpenDB; closing the
// client leaves the pool open.
func ExampleOpenDB() {
	dir, _ := os.MkdirTemp("", "opendb")
	defer os.RemoveAll(dir)
	pool, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_foreign_keys=1&_busy_timeout=5000")
	if err != nil {
		panic(err)
	}
	defer pool.Close()

	db, err := session.OpenDB(pool, "sqlite", session.Config{})
	if err != nil {
		panic(err)
	}
	ctx := db.Context(context.Background())
	if _, err := db.Exec(ctx, "CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"); err != nil {
		panic(err)
	}
	if _, err := db.Exec(ctx, "INSERT INTO note (text) VALUES (?)", "hello"); err != nil {
		panic(err)
	}
	db.Close()

	var n int
	if err := pool.QueryRow("SELECT count(*) FROM note").Scan(&n); err != nil {
		panic(err)
	}
	fmt.Println(db, "rows:", n)
	// Output:
	// Client("sqlite://(*sql.DB given to OpenDB)") rows: 1
}
