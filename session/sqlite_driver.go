package session

import (
	"errors"
	"strconv"
	"strings"

	moderncsqlite "modernc.org/sqlite"
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
