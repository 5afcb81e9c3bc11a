package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// Database is everything the session knows of one kind of database: how
// its URI becomes a connection pool, how its driver reports constraint
// violations, lost connections and retryable failures, how values are
// bound, how a replica's health and lag are read, and (through Dialect)
// the SQL it speaks. SQLite, MySQL and PostgreSQL each register one value
// from their own files (db_sqlite.go, db_mysql.go, db_postgres.go), the
// way database/sql drivers register, so that a database added to the
// session is one file set.
//
// Its session-side methods are unexported: a program outside the package
// does not implement a Database, it forks one, embedding a registered
// value (see Lookup) and overriding Dialect, and registers the fork under
// a scheme of its own.
type Database interface {
	// Dialect is the SQL dialect of the database's statements.
	Dialect() builder.Dialect

	database
}

// database is the session's side of a Database.
type database interface {
	// target resolves uri, whose scheme named this database; rest is the
	// URI after "://" and masked the URI with its password masked.
	target(uri, rest, masked, encoding string) (*target, error)
	// open opens the connection pool of t.
	open(t *target) (*sql.DB, error)
	// connector is the connector of one endpoint of a server with several
	// (Config.Primaries); an error for a database that has one endpoint.
	connector(t *target) (driver.Connector, error)

	// constraint reads a violated constraint from the driver's error; nil
	// for another error. Err is left for the caller to set.
	constraint(err error) *ConstraintError
	// classify is what the driver's error says for the rules of retry.go.
	classify(err error) errorClass

	// timeBinder returns what binds a time argument: the value bound for
	// argument i, a (a time.Time, a *time.Time, a sql.NullTime or a
	// sql.Null[time.Time] holding t), nil to bind a as it is. It returns
	// nil when the driver binds every time as bindArgs promises itself.
	timeBinder() func(i int, a any, t time.Time) (any, error)
	// refusesNaN reports whether a NaN float argument is refused with a
	// *ValueError (SQLite would store NULL).
	refusesNaN() bool
	// writesAsQuery reports whether Client.write runs a statement as a
	// query, whose arguments the driver binds in one call.
	writesAsQuery() bool

	// ddlForeignKeys are the statements that turn foreign key enforcement
	// off and back on around a schema change's transaction (where a table
	// rebuilt by Diff would break it), and the check run before its
	// COMMIT, whose rows (table, row id, parent table, key id) name the
	// rows that would break a foreign key; all "" where enforcement stays
	// on (see RunDDL).
	ddlForeignKeys() (off, on, check string)

	// schema is how Diff reads and writes the database's schema.
	schema() *schemaDialect

	// serverSQL reads the server's max_allowed_packet and the names of
	// the no-pad binary collations among builder.MySQLNoPadCollations it
	// has, as one row; "" when the database has neither.
	serverSQL() string
	// catalog is the catalogue queries of Reflect.
	catalog() *reflectQueries

	// checkBorrowed checks, on conn of a pool given to OpenDB, the
	// connection settings open makes itself and the library relies on; it
	// reports an in-memory database (one connection is the database).
	checkBorrowed(ctx context.Context, pool *sql.DB, conn *sql.Conn) (memory bool, err error)

	// ready checks that a replica serves queries; readyConn, that a
	// connection just opened to one of several primaries (Config.Primaries)
	// does (nil where connecting proves it).
	ready(ctx context.Context, db *sql.DB) error
	readyConn(ctx context.Context, conn driver.Conn) error
	// replicaLag measures a replica's replication lag; negative when it
	// is unknown.
	replicaLag(ctx context.Context, db *sql.DB) (time.Duration, error)
}

// errorClass is what a driver's error says about the statement that
// failed with it; retry.go owns the rules that act on it. The zero value
// says nothing.
type errorClass struct {
	notSent     bool // the driver proves the statement never reached the server
	lostConn    bool // the connection died under the statement
	unreachable bool // a connection to the server could not be made
	notReady    bool // the server answers but serves no query for now
	retryable   bool // running the whole transaction again may cure it (ErrRetryable)
	answered    bool // the database itself answered: a COMMIT failing so did not commit
}

// registered holds the registered databases by URI scheme.
var registered struct {
	mu     sync.Mutex
	byName map[string]Database
	all    atomic.Pointer[[]Database] // distinct values, for classifying errors
}

// Register makes db the database of URIs with the scheme name
// (case-insensitive, without "://"). It panics when name is empty, holds
// a character a scheme cannot, or is registered already, or db is nil:
// like database/sql's Register, it is meant for init functions.
func Register(name string, db Database) {
	name = strings.ToLower(name)
	if db == nil {
		panic("session: Register of a nil Database")
	}
	if name == "" || strings.ContainsAny(name, ":/+?#@ ") {
		panic(fmt.Sprintf("session: Register: %q is not a URI scheme", name))
	}
	registered.mu.Lock()
	defer registered.mu.Unlock()
	if registered.byName == nil {
		registered.byName = map[string]Database{}
	}
	if _, dup := registered.byName[name]; dup {
		panic("session: Register called twice for " + name)
	}
	registered.byName[name] = db
	var all []Database
	if p := registered.all.Load(); p != nil {
		all = slices.Clone(*p)
	}
	if !slices.Contains(all, db) {
		all = append(all, db)
	}
	registered.all.Store(&all)
}

// Lookup returns the database registered for the URI scheme name, and
// whether there is one.
func Lookup(name string) (Database, bool) {
	registered.mu.Lock()
	defer registered.mu.Unlock()
	db, ok := registered.byName[strings.ToLower(name)]
	return db, ok
}

// schemes lists the registered schemes, sorted, for error messages.
func schemes() string {
	registered.mu.Lock()
	defer registered.mu.Unlock()
	names := make([]string, 0, len(registered.byName))
	for n := range registered.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// databases returns every registered database.
func databases() []Database {
	if p := registered.all.Load(); p != nil {
		return *p
	}
	return nil
}

// classify is what any registered database's driver says of err: errors
// are told apart by their types, whichever client saw them.
func classify(err error) errorClass {
	var c errorClass
	for _, db := range databases() {
		dc := db.classify(err)
		c.notSent = c.notSent || dc.notSent
		c.lostConn = c.lostConn || dc.lostConn
		c.unreachable = c.unreachable || dc.unreachable
		c.notReady = c.notReady || dc.notReady
		c.retryable = c.retryable || dc.retryable
		c.answered = c.answered || dc.answered
	}
	return c
}

// bindUTC is the time binding of a server database: t in UTC; nil when
// a is a time.Time in UTC already.
func bindUTC(a any, t time.Time) any {
	if t.Location() == time.UTC {
		if _, plain := a.(time.Time); plain {
			return nil
		}
		return t
	}
	return t.UTC()
}

// pingReady is the readiness check of a server database: it runs a
// statement.
func pingReady(ctx context.Context, db *sql.DB) error {
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
