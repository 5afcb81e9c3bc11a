//go:build cgo

package session

import (
	"errors"

	"github.com/mattn/go-sqlite3" // sqlite:// with driver=mattn (the default with cgo)
)

// cgoSQLite says whether mattn's driver is in the program.
const cgoSQLite = true

func asCgoSQLiteError(err error) (sqliteError, bool) {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return sqliteError{primary: int(e.Code), extended: int(e.ExtendedCode), msg: e.Error()}, true
	}
	return sqliteError{}, false
}
