package session

import (
	"database/sql"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// bindArgs adapts statement arguments to the client's database before the
// driver sees them.
//
// SQLite has no time type: the driver stores a time.Time as text in the
// time's own zone ("2024-03-10 21:34:56+09:00"), and SQLite compares and
// orders those texts, not instants, so times written from different zones
// (or compared with a parameter from another zone) sort wrongly. Times are
// therefore written in UTC, as the MySQL driver does and as PostgreSQL's
// TIMESTAMPTZ stores them. A custom driver.Valuer returning a time.Time is
// left to its own devices.
func (c *Client) bindArgs(args []any) []any {
	if c.dialect != builder.SQLite {
		return args
	}
	var out []any
	for i, a := range args {
		var t time.Time
		switch v := a.(type) {
		case time.Time:
			t = v
		case *time.Time:
			if v == nil {
				continue
			}
			t = *v
		case sql.NullTime:
			if !v.Valid {
				continue
			}
			t = v.Time
		case sql.Null[time.Time]:
			if !v.Valid {
				continue
			}
			t = v.V
		default:
			continue
		}
		if t.Location() == time.UTC {
			continue
		}
		if out == nil {
			out = append(make([]any, 0, len(args)), args...)
		}
		out[i] = t.UTC()
	}
	if out == nil {
		return args
	}
	return out
}
