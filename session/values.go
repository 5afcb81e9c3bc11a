package session

import (
	"database/sql"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// bindArgs adapts statement arguments to the client's database before the
// driver sees them: every time is bound as UTC.
//
// A time column the library did not create is often naive: PostgreSQL's
// TIMESTAMP WITHOUT TIME ZONE and MySQL's DATETIME keep the wall clock they
// are given, so a time in UTC+1 would be stored (and compared) an hour off
// the UTC that every dialect reads back. Binding UTC stores and compares
// the same instant on all three, in naive and zoned columns alike.
//
// SQLite has no time type: its functions and most existing data write
// "2006-01-02 15:04:05" text in UTC, and it compares texts, not instants.
// The driver would write "2006-01-02 15:04:05+00:00", which no row written
// by other programs equals; so times are bound as that text themselves
// (see sqliteTime). A custom driver.Valuer returning a time.Time is left to
// its own devices.
func (c *Client) bindArgs(args []any) []any {
	sqlite := c.dialect == builder.SQLite
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
		var bound any
		switch {
		case sqlite:
			bound = sqliteTime(t)
		case t.Location() == time.UTC:
			if _, plain := a.(time.Time); plain {
				continue
			}
			bound = t
		default:
			bound = t.UTC()
		}
		if out == nil {
			out = append(make([]any, 0, len(args)), args...)
		}
		out[i] = bound
	}
	if out == nil {
		return args
	}
	return out
}

// sqliteTime formats t as SQLite's own date and time functions do: UTC,
// "YYYY-MM-DD HH:MM:SS", and a fraction only when there is one, in as many
// of 3, 6 or 9 digits as it needs (3 is what SQLite's 'subsec' writes), so
// that equal instants give equal texts and texts sort as instants.
func sqliteTime(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	switch {
	case ns == 0:
		return t.Format("2006-01-02 15:04:05")
	case ns%1e6 == 0:
		return t.Format("2006-01-02 15:04:05.000")
	case ns%1e3 == 0:
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05.000000000")
}
