package bench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	gormmysql "gorm.io/driver/mysql"
	gormpostgres "gorm.io/driver/postgres"
	gormsqlite "gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/session"
)

// Sizes of the seeded data.
const (
	seedUsers   = 10000 // rows in users before each benchmark
	seedAuthors = 2000  // rows in authors for Preload100x10
	postsPer    = 10    // posts per author
	pageSize    = 100   // rows per FindMany100 / Preload100x10 call
	updateSet   = 1000  // records UpdateOne cycles through
)

// epoch is the created_at of every row the benchmarks write.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func seedUser(i int) PlainUser {
	return PlainUser{
		ID:        int64(i + 1),
		Name:      fmt.Sprintf("User Number %05d", i+1),
		Email:     fmt.Sprintf("user%05d@example.com", i+1),
		Phone:     "555-0100",
		Age:       20 + i%60,
		CreatedAt: epoch,
	}
}

// newUser is the row InsertOne, InsertBatch100 and Tx write.
func newUser() PlainUser {
	return PlainUser{Name: "New User", Email: "new.user@example.com", Phone: "555-0199", Age: 42, CreatedAt: epoch}
}

// updateNames are the values UpdateOne writes: 1024 of them, so that a
// record cycling through updateSet records gets a different name each time.
var updateNames = func() []string {
	out := make([]string, 1024)
	for i := range out {
		out[i] = "Updated Name " + strconv.Itoa(i)
	}
	return out
}()

// dbKind is the database of this run: BENCH_DB=sqlite (the default, a WAL
// file), memory (in-memory SQLite), mysql or postgres (the servers of
// SQLSERVICE_MYSQL_URI / SQLSERVICE_POSTGRES_URI).
func dbKind() string {
	if k := os.Getenv("BENCH_DB"); k != "" {
		return k
	}
	return "sqlite"
}

// env is one fresh database with every library layered on its one *sql.DB.
type env struct {
	tb      testing.TB
	kind    string // sqlite, memory, mysql, postgres
	dialect string // sqlite, mysql, postgres
	client  *session.Client
	db      *sql.DB
	ctx     context.Context // carries client

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // shared (concurrent_test.go)

	sqlxDB *sqlx.DB
	gormDB *gorm.DB
	bunDB  *bun.DB
}

// newEnv opens a fresh database of the run's kind through sqlservice,
// creates the schema and seeds it. The pool is one connection, kept open,
// for every library. On SQLite, automatic WAL checkpoints are off: the
// write benchmarks checkpoint with the timer stopped (see checkpoint).
func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{tb: tb, kind: dbKind()}
	var uri string
	switch e.kind {
	case "sqlite":
		uri, e.dialect = dbtest.URI(tb, "sqlite"), "sqlite"
	case "memory":
		uri, e.dialect = "sqlite://", "sqlite"
		if d := os.Getenv("BENCH_SQLITE_DRIVER"); d != "" { // mattn (the default with cgo) or modernc
			uri += "?driver=" + d
		}
	case "mysql":
		uri, e.dialect = dbtest.URI(tb, e.kind), e.kind
	case "postgres":
		uri, e.dialect = dbtest.URI(tb, e.kind), e.kind
		if os.Getenv("BENCH_PG_SYNC") != "on" {
			// Commits do not wait for the WAL's fsync on this connection
			// (synchronous_commit is a session setting): each library
			// runs the same statements, and the disk's flush times, which
			// hit whichever library runs at the time, spread the rounds
			// more than the libraries differ (3 ms a commit, ±50 % on
			// this machine). BENCH_PG_SYNC=on keeps the server's setting.
			uri += map[bool]string{true: "&", false: "?"}[strings.Contains(uri, "?")] + "synchronous_commit=off"
		}
	default:
		tb.Fatalf("BENCH_DB=%q: want sqlite, memory, mysql or postgres", e.kind)
	}
	c, err := session.Open(session.Config{DatabaseURI: uri})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	e.client, e.db = c, c.DB()
	e.db.SetMaxOpenConns(1)
	e.db.SetMaxIdleConns(1)
	e.db.SetConnMaxLifetime(0)
	e.db.SetConnMaxIdleTime(0)
	e.ctx = c.Context(context.Background())
	if err := c.CreateAll(e.ctx, User{}, Author{}, Post{}); err != nil {
		tb.Fatal(err)
	}
	if e.dialect == "sqlite" {
		e.exec("PRAGMA wal_autocheckpoint=0")
		if e.kind == "sqlite" {
			var mode string
			if err := e.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				tb.Fatalf("journal_mode = %q, %v; want wal", mode, err)
			}
		}
	}
	e.seedUsers(0, seedUsers)
	e.checkpoint()
	return e
}

func (e *env) exec(q string, args ...any) sql.Result {
	e.tb.Helper()
	res, err := e.db.Exec(e.rebind(q), args...)
	if err != nil {
		e.tb.Fatalf("%s: %v", q, err)
	}
	return res
}

// rebind turns ? placeholders into the dialect's.
func (e *env) rebind(q string) string {
	if e.dialect == "postgres" {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}

const userCols = "id, name, email, phone, age, created_at"

// seedUsers inserts users from..to-1 (ids from+1..to) in one transaction,
// 500 rows per statement.
func (e *env) seedUsers(from, to int) {
	e.tb.Helper()
	tx, err := e.db.Begin()
	if err != nil {
		e.tb.Fatal(err)
	}
	for start := from; start < to; start += 500 {
		end := min(start+500, to)
		var sb strings.Builder
		sb.WriteString("INSERT INTO users (" + userCols + ") VALUES ")
		args := make([]any, 0, 6*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?)")
			u := seedUser(i)
			args = append(args, u.ID, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
		}
		if _, err := tx.Exec(e.rebind(sb.String()), args...); err != nil {
			tx.Rollback()
			e.tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		e.tb.Fatal(err)
	}
	if e.dialect == "postgres" {
		// Explicit ids do not move an identity column's sequence.
		e.exec("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))")
	}
}

// seedAuthors inserts seedAuthors authors with postsPer posts each: author
// a has id a and posts (a-1)*postsPer+1 … a*postsPer titled "post a.k".
func (e *env) seedAuthors() {
	e.tb.Helper()
	tx, err := e.db.Begin()
	if err != nil {
		e.tb.Fatal(err)
	}
	insert := func(q string, args []any) {
		if _, err := tx.Exec(e.rebind(q), args...); err != nil {
			tx.Rollback()
			e.tb.Fatal(err)
		}
	}
	for start := 1; start <= seedAuthors; start += 250 {
		end := min(start+250, seedAuthors+1)
		var as, ps strings.Builder
		var aargs, pargs []any
		for a := start; a < end; a++ {
			if a > start {
				as.WriteString(", ")
				ps.WriteString(", ")
			}
			as.WriteString("(?, ?)")
			aargs = append(aargs, a, fmt.Sprintf("Author %d", a))
			for k := 1; k <= postsPer; k++ {
				if k > 1 {
					ps.WriteString(", ")
				}
				ps.WriteString("(?, ?, ?)")
				pargs = append(pargs, (a-1)*postsPer+k, a, fmt.Sprintf("post %d.%d", a, k))
			}
		}
		insert("INSERT INTO authors (id, name) VALUES "+as.String(), aargs)
		insert("INSERT INTO posts (id, author_id, title) VALUES "+ps.String(), pargs)
	}
	if err := tx.Commit(); err != nil {
		e.tb.Fatal(err)
	}
	if e.dialect == "postgres" {
		e.exec("SELECT setval(pg_get_serial_sequence('authors', 'id'), (SELECT MAX(id) FROM authors))")
		e.exec("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT MAX(id) FROM posts))")
	}
	e.checkpoint()
}

// checkpoint writes the WAL back into the database file and truncates it.
// Automatic checkpoints are off, so write benchmarks call this with the
// timer stopped every checkpointEvery operations: every library pays the
// same (untimed) checkpoint cost, whatever statements it uses.
func (e *env) checkpoint() {
	e.tb.Helper()
	if e.kind != "sqlite" {
		return
	}
	var busy, frames, done int
	if err := e.db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil || busy != 0 {
		e.tb.Fatalf("wal_checkpoint: busy=%d, %v", busy, err)
	}
	var auto int
	if err := e.db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		e.tb.Fatalf("wal_autocheckpoint = %d, %v; the connection was replaced", auto, err)
	}
}

func (e *env) sqlx() *sqlx.DB {
	if e.sqlxDB == nil {
		name := map[string]string{"sqlite": "sqlite3", "mysql": "mysql", "postgres": "pgx"}[e.dialect]
		e.sqlxDB = sqlx.NewDb(e.db, name)
	}
	return e.sqlxDB
}

// gorm is GORM with prepared statements and without the transaction it
// otherwise wraps around every write: its fastest configuration.
func (e *env) gorm() *gorm.DB {
	if e.gormDB == nil {
		var d gorm.Dialector
		switch e.dialect {
		case "sqlite":
			d = gormsqlite.New(gormsqlite.Config{Conn: e.db})
		case "mysql":
			d = gormmysql.New(gormmysql.Config{Conn: e.db})
		case "postgres":
			d = gormpostgres.New(gormpostgres.Config{Conn: e.db})
		}
		g, err := gorm.Open(d, &gorm.Config{PrepareStmt: true, SkipDefaultTransaction: true})
		if err != nil {
			e.tb.Fatal(err)
		}
		e.gormDB = g
	}
	return e.gormDB
}

func (e *env) bun() *bun.DB {
	if e.bunDB == nil {
		switch e.dialect {
		case "sqlite":
			e.bunDB = bun.NewDB(e.db, sqlitedialect.New())
		case "mysql":
			e.bunDB = bun.NewDB(e.db, mysqldialect.New())
		case "postgres":
			e.bunDB = bun.NewDB(e.db, pgdialect.New())
		}
	}
	return e.bunDB
}

// prepare prepares q (with ? placeholders) for the raw library.
func (e *env) prepare(q string) *sql.Stmt {
	e.tb.Helper()
	st, err := e.db.Prepare(e.rebind(q))
	if err != nil {
		e.tb.Fatalf("prepare %s: %v", q, err)
	}
	e.tb.Cleanup(func() { st.Close() })
	return st
}

// count returns the number of rows of table.
func (e *env) count(table string) int {
	e.tb.Helper()
	var n int
	if err := e.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		e.tb.Fatal(err)
	}
	return n
}

// user reads one row of users back with plain database/sql.
func (e *env) user(id int64) (PlainUser, error) {
	var u PlainUser
	err := e.db.QueryRow(e.rebind("SELECT "+userCols+" FROM users WHERE id = ?"), id).
		Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt)
	return u, err
}
