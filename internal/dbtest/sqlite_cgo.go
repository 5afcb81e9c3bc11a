//go:build cgo

package dbtest

import (
	"errors"

	"github.com/mattn/go-sqlite3"
)

func cgoSQLiteCode(err error) (int, bool) {
	var e sqlite3.Error
	if errors.As(err, &e) {
		return int(e.Code), true
	}
	return 0, false
}
