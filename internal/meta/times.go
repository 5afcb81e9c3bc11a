package meta

import (
	"fmt"
	"time"
)

// Times as other programs store them. SQLite has no time type: its own
// functions write "2006-01-02 15:04:05" (with ".000" under 'subsec'),
// other libraries add an offset, a 'T' or more fractional digits, and some
// columns hold a date alone. MySQL and PostgreSQL columns of a text type
// hold the same variety. The time destinations below read all of them, and
// the drivers' own time.Time values, and return every time in UTC; a text
// without an offset is a UTC wall clock, as the library writes it.

// timeLayouts are tried in order; Go accepts a missing fractional part
// where a layout has ".999999999".
var timeLayouts = [...]string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999 -0700 MST", // time.Time.String
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime reads a time stored as text in any of the common forms: an
// ISO 8601 / RFC 3339 date and time with or without 'T', fractional
// seconds, an offset or 'Z'; a date alone; Go's time.Time.String. A text
// without an offset is taken as UTC. The result is in UTC. It returns an
// error naming the text when no form fits.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("converting %q to time.Time: not a date and time in a known form", s)
}

// toTime converts what a driver returns for a time column to a UTC time.
func toTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		if v.Location() != time.UTC {
			v = v.UTC()
		}
		return v, nil
	case string:
		return ParseTime(v)
	case []byte:
		return ParseTime(string(v))
	case int64: // SQLite's unixepoch()
		return time.Unix(v, 0).UTC(), nil
	}
	return convertSlow[time.Time](src, "time.Time")
}

// Time destinations: the field's own memory seen through a Scanner.
type (
	timeDest     time.Time
	timePtrDest  struct{ t *time.Time } // the layout of a *time.Time field
	nullTimeDest struct {               // the layout of sql.NullTime and sql.Null[time.Time]
		t     time.Time
		valid bool
	}
)

func (d *timeDest) Scan(src any) error {
	if src == nil {
		return fmt.Errorf("converting NULL to time.Time is unsupported")
	}
	t, err := toTime(src)
	if err == nil {
		*d = timeDest(t)
	}
	return err
}

func (d *timePtrDest) Scan(src any) error {
	if src == nil {
		d.t = nil
		return nil
	}
	t, err := toTime(src)
	if err == nil {
		d.t = &t
	}
	return err
}

func (d *nullTimeDest) Scan(src any) error {
	if src == nil {
		d.t, d.valid = time.Time{}, false
		return nil
	}
	t, err := toTime(src)
	if err == nil {
		d.t, d.valid = t, true
	}
	return err
}
