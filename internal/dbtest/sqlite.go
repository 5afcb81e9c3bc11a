package dbtest

import (
	"errors"

	moderncsqlite "modernc.org/sqlite"
)

// SQLiteCode returns the primary SQLite result code of err (5 busy, 19
// constraint, ...) when an SQLite driver reported it, whichever of the two
// the client uses.
func SQLiteCode(err error) (int, bool) {
	var m *moderncsqlite.Error
	if errors.As(err, &m) {
		return m.Code() & 0xff, true
	}
	return cgoSQLiteCode(err)
}

// ReadsEmptyBlobAsNil reports whether the client's driver returns a
// zero-length BLOB as nil, the way it returns NULL: modernc.org/sqlite does
// (the value is stored as a BLOB all the same), mattn's driver and the
// servers' drivers return an empty non-nil slice.
func (db *DB) ReadsEmptyBlobAsNil() bool {
	_, modernc := db.Client.DB().Driver().(*moderncsqlite.Driver)
	return modernc
}

// Blob returns the value the client's driver reads back for a BLOB
// written as b: b itself, or nil for an empty b where the driver reads a
// zero-length BLOB as nil (see ReadsEmptyBlobAsNil).
func (db *DB) Blob(b []byte) []byte {
	if len(b) == 0 && b != nil && db.ReadsEmptyBlobAsNil() {
		return nil
	}
	return b
}
