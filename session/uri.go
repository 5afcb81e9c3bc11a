package session

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlservice/sqlservice/builder"
)

// ErrBadURI is matched by every *URIError.
var ErrBadURI = errors.New("session: bad database URI")

// URIError reports a database URI that cannot be used. URI has its password
// masked.
type URIError struct {
	URI    string
	Reason string
}

func (e *URIError) Error() string {
	return fmt.Sprintf("session: database URI %q: %s", e.URI, e.Reason)
}

// Is makes errors.Is(err, ErrBadURI) true.
func (e *URIError) Is(target error) bool { return target == ErrBadURI }

// target is what a URI resolves to: a database/sql driver, its DSN and the
// SQL dialect.
type target struct {
	driver  string
	dsn     string
	dialect builder.Dialect
	memory  bool   // an in-memory SQLite database: one connection only
	path    string // the SQLite file
	masked  string // the URI with its password masked
}

// MaskURI returns uri with any password replaced by "***". It never fails:
// an unparsable URI is returned with everything between "://" and "@"
// masked.
func MaskURI(uri string) string {
	u, err := url.Parse(uri)
	if err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return strings.Replace(u.String(), ":xxxxx@", ":***@", 1)
		}
		return uri
	}
	if err != nil {
		if i, j := strings.Index(uri, "://"), strings.LastIndex(uri, "@"); i >= 0 && j > i {
			return uri[:i+3] + "***" + uri[j:]
		}
	}
	return uri
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

// parseURI maps an SQLAlchemy-style URI to a driver and DSN.
//
//	sqlite://                  in-memory database
//	sqlite://:memory:          in-memory database
//	sqlite:///relative/path.db file relative to the working directory
//	sqlite:////abs/path.db     absolute path
//	sqlite:///app.db?driver=modernc  the pure-Go SQLite (the default without cgo)
//	mysql://user:pass@host:3306/db?param=value   (also mariadb://)
//	postgres://user:pass@host:5432/db?param=value (also postgresql://)
func parseURI(uri, encoding string) (*target, error) {
	masked := MaskURI(uri)
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.ContainsRune(uri, 0) {
		return bad("contains a NUL byte")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return bad("want scheme://..., e.g. sqlite:///app.db, mysql://user:pass@host/db or postgres://user:pass@host/db")
	}
	if i := strings.IndexByte(scheme, '+'); i >= 0 {
		scheme = scheme[:i] // "postgresql+psycopg2://" → "postgresql"
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return sqliteTarget(rest, masked, encoding)
	case "mysql", "mariadb":
		return mysqlTarget(uri, masked, encoding)
	case "postgres", "postgresql":
		return postgresTarget(uri, masked, encoding)
	}
	return bad("unknown scheme %q (want sqlite, mysql, mariadb, postgres or postgresql)", scheme)
}

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
	t := &target{driver: sqlDriver, dialect: builder.SQLite, masked: masked}
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

func mysqlTarget(uri, masked, encoding string) (*target, error) {
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(uri)
	if err != nil {
		return bad("%s", strings.ReplaceAll(err.Error(), uri, masked))
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	host := u.Host
	switch {
	case host == "":
		host = "127.0.0.1:3306"
	case u.Port() == "":
		host = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.Net, cfg.Addr = "tcp", host
	if sock := u.Query().Get("unix_socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(cfg.DBName, "/") {
		return bad("database name %q contains '/'", cfg.DBName)
	}
	// What the ORM relies on: time.Time columns, affected rows that count
	// matched rather than changed rows, UTC, 4-byte UTF-8.
	cfg.ParseTime = true
	cfg.ClientFoundRows = true
	cfg.Loc = time.UTC
	// Cut nanoseconds to the microseconds DATETIME(6) holds, as pgx does
	// for PostgreSQL: MySQL 8 would round them, possibly into the next
	// second, day or year.
	if err := cfg.Apply(mysql.TimeTruncate(time.Microsecond)); err != nil {
		return bad("%v", err)
	}
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	if encoding != "" && !isUTF8(encoding) {
		cfg.Params["charset"] = encoding
		cfg.Collation = ""
	}
	var interpolate *bool
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "unix_socket":
		case "charset":
			cfg.Params["charset"] = v
		case "collation":
			cfg.Collation = v
		case "timeout", "readTimeout", "writeTimeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				return bad("%s=%q: %v", k, v, err)
			}
			switch k {
			case "timeout":
				cfg.Timeout = d
			case "readTimeout":
				cfg.ReadTimeout = d
			default:
				cfg.WriteTimeout = d
			}
		case "tls":
			cfg.TLSConfig = v
		case "interpolateParams":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("%s=%q: %v", k, v, err)
			}
			interpolate = &b
		default:
			// Anything else is a system variable set on each connection.
			cfg.Params[k] = v
		}
	}
	// A statement that is not prepared (an IN list of a preload, a bulk
	// INSERT, Raw) is sent with its values escaped into the text by the
	// driver: one round trip instead of prepare, execute and close. The
	// driver does that safely only for ASCII-compatible character sets, so
	// only the UTF-8 ones get it by default; interpolateParams=false in the
	// URI turns it off.
	if interpolate == nil {
		cs := strings.ToLower(cfg.Params["charset"])
		on := cs == "utf8mb4" || cs == "utf8" || cs == "utf8mb3"
		interpolate = &on
	}
	cfg.InterpolateParams = *interpolate
	return &target{driver: "mysql", dsn: cfg.FormatDSN(), dialect: builder.MySQL, masked: masked}, nil
}

func postgresTarget(uri, masked, encoding string) (*target, error) {
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(uri)
	if err != nil {
		return bad("%s", strings.ReplaceAll(err.Error(), uri, masked))
	}
	if encoding != "" && !isUTF8(encoding) {
		return bad("SQL_ENCODING %q: the pgx driver requires UTF8", encoding)
	}
	u.Scheme = "postgres"
	if u.Host == "" {
		u.Host = "127.0.0.1:5432"
	}
	return &target{driver: "pgx", dsn: u.String(), dialect: builder.Postgres, masked: masked}, nil
}

func isUTF8(enc string) bool {
	switch strings.ToLower(strings.ReplaceAll(enc, "-", "")) {
	case "utf8", "utf8mb4":
		return true
	}
	return false
}
