package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	moderncsqlite "modernc.org/sqlite"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

// The SQLite drivers. Both give the same database with the same SQL; the
// library binds times as text itself (see bindArgs), reads every stored
// form, and reads errors by SQLite's own result codes, so nothing above
// this file depends on which one a client uses.
//
//   - "mattn": github.com/mattn/go-sqlite3, SQLite compiled with cgo. The
//     default when the program is built with cgo.
//   - "modernc": modernc.org/sqlite, SQLite translated to Go: no C
//     compiler, static and cross-compiled binaries. The default when cgo
//     is off (CGO_ENABLED=0) or the build tag sqlservice_purego is set;
//     selectable per client with ?driver=modernc.
//
// github.com/ncruces/go-sqlite3 was measured too and not taken: it
// registers itself as "sqlite3", the name mattn's driver registers, so the
// two cannot be in one program, and a user building with cgo could not
// choose.
const (
	sqliteMattn   = "mattn"
	sqliteModernc = "modernc"
)

// sqliteDrivers maps a driver name of the URI's driver= to the
// database/sql driver it registers; mattn's only when built with cgo.
func sqliteDriverName(name string) (string, bool) {
	switch name {
	case sqliteModernc:
		return "sqlite", true
	case sqliteMattn:
		return "sqlite3", cgoSQLite
	}
	return "", false
}

// SQLite result codes the library reads (https://sqlite.org/rescode.html):
// the primary code is the low byte of the extended one.
const (
	sqliteBusy       = 5
	sqliteLocked     = 6
	sqliteConstraint = 19

	sqliteConstraintCheck      = 275
	sqliteConstraintForeignKey = 787
	sqliteConstraintNotNull    = 1299
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
	sqliteConstraintRowID      = 2579
)

// sqliteError is an error an SQLite driver reported: its result codes and
// message.
type sqliteError struct {
	primary, extended int
	msg               string
}

// asSQLiteError reports whether err (or an error it wraps) came from an
// SQLite driver, and its codes.
func asSQLiteError(err error) (sqliteError, bool) {
	var m *moderncsqlite.Error
	if errors.As(err, &m) {
		return moderncError(m.Code(), m.Error()), true
	}
	return asCgoSQLiteError(err)
}

// moderncError reads modernc's error: its message is "<sqlite3_errstr>:
// <sqlite3_errmsg> (<code>)", e.g. "constraint failed: UNIQUE constraint
// failed: person.email (2067)"; the library keeps SQLite's own errmsg, as
// mattn's driver reports it.
func moderncError(code int, msg string) sqliteError {
	if i := strings.LastIndex(msg, " ("+strconv.Itoa(code)+")"); i >= 0 {
		msg = msg[:i]
	}
	if str := sqliteErrstr(code); str != "" {
		msg = strings.TrimPrefix(msg, str+": ")
	}
	return sqliteError{primary: code & 0xff, extended: code, msg: msg}
}

// sqliteErrstr is sqlite3_errstr of the primary codes the library reads
// messages of.
func sqliteErrstr(code int) string {
	if code&0xff == sqliteConstraint {
		return "constraint failed"
	}
	return ""
}

// sqlitePragmas are the connection settings for concurrent use of a SQLite
// file: WAL so readers do not block the writer, a busy timeout instead of
// immediate "database is locked", foreign keys enforced, and BEGIN
// IMMEDIATE so a write transaction takes the write lock up front instead of
// failing on upgrade.
var sqlitePragmas = []string{"_journal_mode=WAL", "_busy_timeout=5000", "_foreign_keys=1", "_txlock=immediate", "_synchronous=NORMAL"}

// sqliteStmtCache is the driver's own per-connection cache of statements
// run without being prepared first (_stmt_cache_size): the most recently
// used texts stay compiled, so that SQL drawn from an open-ended set (the
// multi-row INSERTs of the bulk helpers, Raw, statements first seen in a
// transaction) is not parsed again on each run, with a bounded number of
// compiled statements per connection. A URI may set it (0 turns it off).
const sqliteStmtCache = "_stmt_cache_size=64"

func sqliteTarget(rest, masked, encoding string) (*target, error) {
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	if encoding != "" && !isUTF8(encoding) {
		return bad("SQL_ENCODING %q: SQLite databases are opened as UTF-8", encoding)
	}
	path, query, _ := strings.Cut(rest, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return bad("query: %v", err)
	}
	drv := defaultSQLiteDriver
	if vs, ok := params["driver"]; ok {
		if len(vs) != 1 {
			return bad("driver= given %d times", len(vs))
		}
		drv = vs[0]
		delete(params, "driver")
	}
	sqlDriver, ok := sqliteDriverName(drv)
	if !ok {
		if drv == sqliteMattn {
			return bad("driver=mattn needs cgo: this program was built with CGO_ENABLED=0 (use driver=modernc, the pure-Go SQLite)")
		}
		return bad("unknown SQLite driver %q (want mattn or modernc)", drv)
	}
	t := &target{driver: sqlDriver, masked: masked}
	switch {
	case path == "" || path == ":memory:" || path == "/:memory:":
		t.memory = true
	case strings.HasPrefix(path, "/"):
		t.path = path[1:] // sqlite:///rel.db → "rel.db"; sqlite:////abs.db → "/abs.db"
		if t.path == "" {
			return bad("empty database path")
		}
		t.path = filepath.Clean(t.path)
	default:
		return bad("a host is not allowed for SQLite; use sqlite:///relative.db or sqlite:////absolute.db")
	}
	q := url.Values{}
	for k, vs := range params {
		if !strings.HasPrefix(k, "_") && k != "mode" && k != "cache" && k != "vfs" && k != "immutable" {
			return bad("unknown SQLite parameter %q", k)
		}
		if drv == sqliteModernc && strings.HasPrefix(k, "_") && !moderncParams[k] {
			return bad("SQLite parameter %q is not one the modernc driver reads", k)
		}
		q[k] = vs
	}
	set := func(kv string) {
		k, v, _ := strings.Cut(kv, "=")
		if _, given := q[k]; !given {
			q.Set(k, v)
		}
	}
	if drv == sqliteMattn {
		set(sqliteStmtCache)
	}
	if t.memory {
		set("_foreign_keys=1")
		set("_busy_timeout=5000")
		// A private in-memory database per client, on one connection.
		t.dsn = "file::memory:?" + q.Encode()
		return t, nil
	}
	for _, p := range sqlitePragmas {
		set(p)
	}
	t.dsn = "file:" + (&url.URL{Path: t.path}).EscapedPath() + "?" + q.Encode()
	return t, nil
}

// moderncParams are the DSN parameters modernc.org/sqlite reads: the
// mattn-style settings the library passes, and its own. It ignores any
// other, so a URI naming one is refused rather than silently not applied.
var moderncParams = map[string]bool{
	"_auto_vacuum": true, "_vacuum": true, "_busy_timeout": true, "_timeout": true,
	"_foreign_keys": true, "_fk": true, "_journal_mode": true, "_journal": true,
	"_synchronous": true, "_sync": true, "_txlock": true, "_pragma": true,
	"_dqs": true, "_query_only": true, "_defensive": true, "_timezone": true,
	"_time_format": true, "_time_integer_format": true, "_inttotime": true, "_texttotime": true,
}

// fromSQLite reads the extended result code and the message, e.g.
// "UNIQUE constraint failed: person.email", "NOT NULL constraint failed:
// person.name", "CHECK constraint failed: price_positive" and "FOREIGN KEY
// constraint failed" (SQLite does not say which).
func fromSQLite(e sqliteError) *ConstraintError {
	if e.primary != sqliteConstraint {
		return nil
	}
	ce := &ConstraintError{detail: e.msg} // the same text through either SQLite driver
	switch e.extended {
	case sqliteConstraintUnique, sqliteConstraintPrimaryKey, sqliteConstraintRowID:
		ce.Kind = ErrDuplicateKey
	case sqliteConstraintForeignKey:
		ce.Kind = ErrForeignKey
		return ce
	case sqliteConstraintNotNull:
		ce.Kind = ErrNotNull
	case sqliteConstraintCheck:
		ce.Kind = ErrCheck
		if _, name, ok := strings.Cut(e.msg, "constraint failed: "); ok {
			ce.Constraint = name
		}
		return ce
	default:
		return nil
	}
	_, cols, ok := strings.Cut(e.msg, "constraint failed: ")
	if !ok {
		return ce
	}
	var names []string
	for _, tc := range strings.Split(cols, ", ") {
		t, c, ok := strings.Cut(tc, ".")
		if !ok {
			continue
		}
		ce.Table = t
		names = append(names, c)
	}
	ce.Column = strings.Join(names, ", ")
	return ce
}

func nanError(i int, v any) error {
	return &ValueError{Arg: i, Value: v, Reason: "SQLite cannot store NaN (it would store NULL)"}
}

// sqliteTime formats t as SQLite's own date and time functions do: UTC,
// "YYYY-MM-DD HH:MM:SS", and a fraction only when there is one, in as many
// of 3, 6 or 9 digits as it needs (3 is what SQLite's 'subsec' writes), so
// that equal instants give equal texts and texts sort as instants.
func sqliteTime(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return t.Format("2006-01-02 15:04:05")
	case ns%1e6 == 0:
		return t.Format("2006-01-02 15:04:05.000")
	case ns%1e3 == 0:
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05.000000000")
}

// SQLite's driver writes a time as text and reads back only years 0000 to
// 9999 (four digits): any other comes back as the zero time, silently.
const (
	sqliteMinYear = 0
	sqliteMaxYear = 9999
)

// sqliteCatalog is the catalogue queries of Reflect.
var sqliteCatalog = &reflectQueries{
	columns:           `SELECT name, dflt_value, 0, NULL, NULL, NULL, NULL FROM pragma_table_info(?)`,
	indexes:           `SELECT il.name, il."unique" <> 0, il.origin = 'pk', ii.name FROM pragma_index_list(?) il JOIN pragma_index_info(il.name) ii ORDER BY il.name, ii.seqno`,
	primaryKey:        `SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`,
	foreignKeys:       `SELECT CAST(id AS TEXT), "from", "table", "to", on_delete, on_update FROM pragma_foreign_key_list(?) ORDER BY id, seq`,
	integerKeyIsRowid: true,
	foreignKeyIDs:     true,
}

// SQLite is the embedded database, through either SQLite driver (see
// sqliteDriverName).
type sqliteDatabase struct{}

func init() {
	Register("sqlite", sqliteDatabase{})
	Register("sqlite3", sqliteDatabase{})
}

func (sqliteDatabase) Dialect() builder.Dialect { return builder.SQLite }

func (sqliteDatabase) target(_, rest, masked, encoding string) (*target, error) {
	return sqliteTarget(rest, masked, encoding)
}

func (sqliteDatabase) open(t *target) (*sql.DB, error) { return sql.Open(t.driver, t.dsn) }

func (sqliteDatabase) connector(t *target) (driver.Connector, error) {
	return nil, &ConfigError{Key: primariesConfigKey, Reason: "a " + t.dialect.Name() + " database has one endpoint"}
}

func (sqliteDatabase) constraint(err error) *ConstraintError {
	if lite, ok := asSQLiteError(err); ok {
		return fromSQLite(lite)
	}
	return nil
}

// classify: SQLite answers every call itself, so an error of its driver is
// the database's answer; database-is-busy after the busy timeout (and a
// locked table) is retryable.
func (sqliteDatabase) classify(err error) errorClass {
	lite, ok := asSQLiteError(err)
	if !ok {
		return errorClass{}
	}
	return errorClass{answered: true, retryable: lite.primary == sqliteBusy || lite.primary == sqliteLocked}
}

func (sqliteDatabase) timeBinder() func(int, any, time.Time) (any, error) { return bindSQLiteTime }

// bindSQLiteTime binds a time as the text SQLite's own functions write (see
// bindArgs), refusing a year the driver would not read back.
func bindSQLiteTime(i int, _ any, t time.Time) (any, error) {
	if y := t.UTC().Year(); y < sqliteMinYear || y > sqliteMaxYear {
		return nil, &ValueError{Arg: i, Value: t,
			Reason: fmt.Sprintf("SQLite reads back years %04d to %d only (in UTC); this one is %d", sqliteMinYear, sqliteMaxYear, y)}
	}
	return sqliteTime(t), nil
}

func (sqliteDatabase) refusesNaN() bool    { return true }
func (sqliteDatabase) writesAsQuery() bool { return true }
func (sqliteDatabase) serverSQL() string   { return "" }

func (sqliteDatabase) catalog() *reflectQueries { return sqliteCatalog }

func (sqliteDatabase) ready(ctx context.Context, db *sql.DB) error { return pingReady(ctx, db) }

func (sqliteDatabase) readyConn(context.Context, driver.Conn) error { return nil }

func (sqliteDatabase) replicaLag(context.Context, *sql.DB) (time.Duration, error) { return 0, nil }

// ddlForeignKeys: the pragma foreign_keys has no effect inside a
// transaction, hence around it (SQLite's documented procedure for
// rebuilding a table).
func (sqliteDatabase) ddlForeignKeys() (off, on, check string) {
	return "PRAGMA foreign_keys = OFF", "PRAGMA foreign_keys = ON", "PRAGMA foreign_key_check"
}

// sqliteAffinity follows "Determination Of Column Affinity" in SQLite's
// documentation, keeping apart the declared types the driver maps to Go
// time and bool values.
func sqliteAffinity(t string) string {
	base, _, _ := strings.Cut(t, "(")
	base = strings.TrimSpace(base)
	switch base {
	case "date", "datetime", "timestamp", "boolean":
		return base
	case "bool":
		return "boolean"
	}
	switch {
	case strings.Contains(t, "int"):
		return "integer"
	case strings.Contains(t, "char"), strings.Contains(t, "clob"), strings.Contains(t, "text"):
		return "text"
	case strings.Contains(t, "blob"), t == "":
		return "blob"
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"):
		return "real"
	}
	return "numeric"
}

func (sqliteDatabase) schema() *schemaDialect { return sqliteSchema }

// sqliteSchema: types compare by affinity; ALTER TABLE adds columns and
// little else, so Diff rebuilds tables (diff_sqlite.go).
var sqliteSchema = &schemaDialect{
	canonType: sqliteAffinity,
	// Affinity changes: integer or real into numeric or text keep values.
	narrowing: func(f, t string) bool {
		return !(t == "text" || (t == "numeric" && (f == "integer" || f == "real")) || (t == "real" && f == "integer"))
	},
	// INTEGER PRIMARY KEY is the rowid.
	autoIncrementType: func(builder.Dialect, *registry.Column) string { return "INTEGER" },
	rebuildsTables:    true,
	falseLiteral:      "0",
	emptyBlob:         "X''",
}

// checkBorrowed checks a pool given to OpenDB for foreign keys enforced on
// every connection, and tells an in-memory database.
func (sqliteDatabase) checkBorrowed(ctx context.Context, pool *sql.DB, conn *sql.Conn) (bool, error) {
	memory, err := sqliteInMemory(ctx, conn)
	if err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	conns := []*sql.Conn{conn}
	if !memory {
		// A PRAGMA run on the pool sets one connection: check every idle
		// one and one the pool opens now, so that only a setting of the
		// DSN (every connection) passes.
		st := pool.Stats() // conn is in use now
		more := st.Idle + 1
		if st.MaxOpenConnections > 0 {
			more = min(more, st.MaxOpenConnections-st.InUse)
		}
		for range more {
			c, err := pool.Conn(ctx)
			if err != nil {
				return false, fmt.Errorf("session: OpenDB: %w", err)
			}
			defer c.Close()
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		var on int
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
			return false, fmt.Errorf("session: OpenDB: %w", err)
		}
		if on != 1 {
			return false, borrowedSetting("foreign_keys", "SQLite does not enforce foreign keys on every connection of this pool: open it with _foreign_keys=1 (mattn) or _pragma=foreign_keys(1) (modernc) in the DSN")
		}
	}
	return memory, nil
}

// sqliteInMemory reports whether conn's main database is in memory (no
// file): then each connection of the pool is a database of its own.
func sqliteInMemory(ctx context.Context, conn *sql.Conn) (bool, error) {
	rows, err := conn.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name string
		var file sql.NullString
		if err := rows.Scan(&seq, &name, &file); err != nil {
			return false, err
		}
		if name == "main" {
			return file.String == "", rows.Close()
		}
	}
	return false, rows.Err()
}
