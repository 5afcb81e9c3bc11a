package session

import (
	"database/sql"
	"database/sql/driver"
	"math"
	"reflect"
	"sync"
	"time"
)

// bindArgs adapts statement arguments to the client's database before the
// driver sees them: every time is bound as UTC (on MySQL by the driver
// itself, whose connections' location is UTC: see timeBinder). On SQLite
// it refuses, with
// a *ValueError, what SQLite would not read back as written.
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
// (see sqliteTime). A custom driver.Valuer whose value is a time.Time is
// bound as that time. The driver reads a time column back only with a
// four-digit year, so other years are refused. SQLite stores a NaN as NULL,
// which a NOT NULL column then refuses as if no value were given and a
// nullable one reads back as nil: NaN is refused too.
//
// It returns args itself when nothing changes, else a copy, unless inPlace
// says that args belongs to the caller's statement alone and is not read
// after it (the record package's single-row writes, through ExecIn and
// QueryRowIn): then the bound values replace the given ones in args.
func (c *Client) bindArgs(args []any, inPlace bool) ([]any, error) {
	strict := c.refusesNaN
	if c.bindTime == nil && !strict {
		return args, nil
	}
	var out []any
	if inPlace {
		out = args
	}
	for i, a := range args {
		switch a.(type) {
		case int64, string, int, bool, nil: // the common arguments: neither a time nor a float
			continue
		}
		t, ok := timeArg(a)
		if !ok {
			if strict {
				if err := refuseNaN(i, a); err != nil {
					return nil, err
				}
			}
			continue
		}
		if c.bindTime == nil {
			continue
		}
		bound, err := c.bindTime(i, a, t)
		if err != nil {
			return nil, err
		}
		if bound == nil {
			continue
		}
		if out == nil {
			out = append(make([]any, 0, len(args)), args...)
		}
		out[i] = bound
	}
	if out == nil {
		return args, nil
	}
	return out, nil
}

// timeArg returns the time a statement argument carries, and false for one
// that carries none (not a time, or a NULL one): the arguments that
// bindArgs binds.
func timeArg(a any) (time.Time, bool) {
	switch v := a.(type) {
	case time.Time:
		return v, true
	case *time.Time:
		if v != nil {
			return *v, true
		}
	case sql.NullTime:
		if v.Valid {
			return v.Time, true
		}
	case sql.Null[time.Time]:
		if v.Valid {
			return v.V, true
		}
	case driver.Valuer:
		// A custom type whose driver value is a time: asked here, and the
		// bound time replaces it (database/sql does not ask again). A type
		// once seen with another value (a UUID's text, a decimal's) is not
		// asked again: database/sql asks it. A nil pointer is left to
		// database/sql, which binds NULL.
		rt := reflect.TypeOf(v)
		if _, other := notTimeValuers.Load(rt); other {
			break
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			break
		}
		dv, err := v.Value()
		if t, ok := dv.(time.Time); ok && err == nil {
			return t, true
		}
		if err == nil && dv != nil {
			notTimeValuers.Store(rt, true)
		}
	}
	return time.Time{}, false
}

// notTimeValuers holds the driver.Valuer types seen with a driver value
// that is neither a time nor NULL (see timeArg).
var notTimeValuers sync.Map

// refuseNaN is the *ValueError of argument i when it is a NaN float (see
// bindArgs), else nil.
func refuseNaN(i int, a any) error {
	switch v := a.(type) {
	case float64:
		if math.IsNaN(v) {
			return nanError(i, a)
		}
	case float32:
		if v != v {
			return nanError(i, a)
		}
	case *float64:
		if v != nil && math.IsNaN(*v) {
			return nanError(i, a)
		}
	case sql.NullFloat64:
		if v.Valid && math.IsNaN(v.Float64) {
			return nanError(i, a)
		}
	}
	return nil
}
