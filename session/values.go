package session

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// ErrUnstorable is matched by every *ValueError.
var ErrUnstorable = errors.New("session: the database cannot store the value")

// ValueError reports a statement argument that the database would not
// store as given; the statement is not sent. Arg is the argument's index
// (0-based), so that callers can name the column it was meant for.
type ValueError struct {
	Arg    int
	Value  any
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("session: argument %d (%v): %s", e.Arg+1, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrUnstorable) true.
func (e *ValueError) Is(target error) bool { return target == ErrUnstorable }

// SQLite's driver writes a time as text and reads back only years 0000 to
// 9999 (four digits): any other comes back as the zero time, silently.
const (
	sqliteMinYear = 0
	sqliteMaxYear = 9999
)

// bindArgs adapts statement arguments to the client's database before the
// driver sees them, and refuses those SQLite would not read back (a
// *ValueError).
//
// SQLite has no time type: the driver stores a time.Time as text in the
// time's own zone ("2024-03-10 21:34:56+09:00"), and SQLite compares and
// orders those texts, not instants, so times written from different zones
// (or compared with a parameter from another zone) sort wrongly. Times are
// therefore written in UTC, as the MySQL driver does and as PostgreSQL's
// TIMESTAMPTZ stores them. A custom driver.Valuer returning a time.Time is
// left to its own devices. SQLite stores a NaN as NULL, which a NOT NULL
// column then refuses as if no value were given and a nullable one reads
// back as nil: NaN is refused instead.
func (c *Client) bindArgs(args []any) ([]any, error) {
	if c.dialect != builder.SQLite {
		return args, nil
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
		case float64:
			if math.IsNaN(v) {
				return nil, nanError(i, a)
			}
			continue
		case float32:
			if v != v {
				return nil, nanError(i, a)
			}
			continue
		case *float64:
			if v != nil && math.IsNaN(*v) {
				return nil, nanError(i, a)
			}
			continue
		case sql.NullFloat64:
			if v.Valid && math.IsNaN(v.Float64) {
				return nil, nanError(i, a)
			}
			continue
		default:
			continue
		}
		if t.Location() != time.UTC {
			t = t.UTC()
			if out == nil {
				out = append(make([]any, 0, len(args)), args...)
			}
			out[i] = t
		}
		if y := t.Year(); y < sqliteMinYear || y > sqliteMaxYear {
			return nil, &ValueError{Arg: i, Value: t,
				Reason: fmt.Sprintf("SQLite reads back years %04d to %d only (in UTC); this one is %d", sqliteMinYear, sqliteMaxYear, y)}
		}
	}
	if out == nil {
		return args, nil
	}
	return out, nil
}

func nanError(i int, v any) error {
	return &ValueError{Arg: i, Value: v, Reason: "SQLite cannot store NaN (it would store NULL)"}
}
