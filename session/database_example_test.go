package session_test

import (
	"context"
	"fmt"
	"log"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/session"
)

// embeddedDialect is SQLite's SQL with a lower parameter limit, as a
// SQLite built with SQLITE_MAX_VARIABLE_NUMBER=999 has.
type embeddedDialect struct{ builder.Dialect }

func (embeddedDialect) Name() string   { return "embedded" }
func (embeddedDialect) MaxParams() int { return 999 }

// embedded is SQLite's Database with that dialect.
type embedded struct{ session.Database }

func (embedded) Dialect() builder.Dialect { return embeddedDialect{builder.SQLite} }

// A fork of a registered database is one type and one Register call: here
// SQLite under the scheme embedded://, with a dialect of its own.
func ExampleRegister() {
	lite, _ := session.Lookup("sqlite")
	session.Register("embedded", embedded{lite})

	db, err := session.Open(session.Config{DatabaseURI: "embedded://"})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var version string
	if err := db.QueryRow(context.Background(), "SELECT sqlite_version() IS NOT NULL").Scan(&version); err != nil {
		log.Fatal(err)
	}
	fmt.Println(db.Dialect().Name(), db.Dialect().MaxParams(), version)
	// Output: embedded 999 1
}
