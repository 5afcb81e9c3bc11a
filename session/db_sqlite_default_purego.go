//go:build !cgo || sqlservice_purego

package session

// defaultSQLiteDriver is the driver of a sqlite:// URI without driver=:
// the pure-Go one when the program is built without cgo or with the tag
// sqlservice_purego.
const defaultSQLiteDriver = sqliteModernc
