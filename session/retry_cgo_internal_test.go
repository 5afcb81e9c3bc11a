//go:build cgo

package session

import "github.com/mattn/go-sqlite3"

// The rules for mattn's driver's errors (only in a program built with cgo).
var cgoSQLiteRules = []errorRule{
	{"sqlite busy (mattn)", sqlite3.Error{Code: sqlite3.ErrBusy}, true, false, false},
	{"sqlite constraint (mattn)", sqlite3.Error{Code: sqlite3.ErrConstraint}, false, false, false},
}
