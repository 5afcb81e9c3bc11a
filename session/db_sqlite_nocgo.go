//go:build !cgo

package session

// cgoSQLite says whether mattn's driver is in the program: not without cgo.
const cgoSQLite = false

func asCgoSQLiteError(error) (sqliteError, bool) { return sqliteError{}, false }
