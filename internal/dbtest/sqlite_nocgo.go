//go:build !cgo

package dbtest

func cgoSQLiteCode(error) (int, bool) { return 0, false }
