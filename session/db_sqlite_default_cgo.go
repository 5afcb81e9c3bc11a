//go:build cgo && !sqlservice_purego

package session

// defaultSQLiteDriver is the driver of a sqlite:// URI without driver=.
const defaultSQLiteDriver = sqliteMattn
