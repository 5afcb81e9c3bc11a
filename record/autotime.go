package record

import (
	"reflect"
	"time"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// now is the time the library writes into autocreate, autoupdate and
// softdelete columns: UTC, to the microsecond that every dialect stores, so
// that the record holds what the row holds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// setTime sets a time column's field (time.Time, *time.Time, sql.NullTime,
// sql.Null[time.Time]) of the record at p to t.
func setTime(c *registry.Column, p unsafe.Pointer, t time.Time) {
	f := meta.Reflect(c, p)
	switch {
	case c.Type == reflect.TypeFor[time.Time]():
		f.Set(reflect.ValueOf(t))
	case c.Type.Kind() == reflect.Pointer:
		v := reflect.New(c.Type.Elem())
		v.Elem().Set(reflect.ValueOf(t))
		f.Set(v)
	default: // sql.NullTime and sql.Null[time.Time]: {time, true}
		f.Field(0).Set(reflect.ValueOf(t))
		f.Field(1).SetBool(true)
	}
}

// autoUpdated is the rule every UPDATE the library writes follows (Save,
// QuerySet.Update, BulkUpdate, BulkDiffUpdate, the detaching of has-many
// children): it returns the autoupdate columns of m that an UPDATE setting
// the columns sets reports must set to the statement's time as well,
// those it does not set itself (a time the caller gives is kept). An
// UPDATE that sets nothing is not written, and gets no time either.
func autoUpdated(m *registry.Model, sets func(*registry.Column) bool) []*registry.Column {
	var out []*registry.Column
	for _, c := range m.AutoTimes {
		if c.AutoUpdate && !sets(c) {
			out = append(out, c)
		}
	}
	return out
}

func noRestore() {}

// stampTimes sets the autocreate and autoupdate columns of the record at p
// for a write: on insert, those still zero; on update, those autoUpdated
// names for the columns in changed. It returns the columns it set, and the
// function that puts their old values back (for a write that failed).
func stampTimes(m *registry.Model, p unsafe.Pointer, insert bool, changed func(*registry.Column) bool) (set []*registry.Column, restore func()) {
	if len(m.AutoTimes) == 0 {
		return nil, noRestore
	}
	var cols []*registry.Column
	if insert {
		for _, c := range m.AutoTimes {
			if meta.IsZero(c, p) {
				cols = append(cols, c)
			}
		}
	} else {
		cols = autoUpdated(m, changed)
	}
	if len(cols) == 0 {
		return nil, noRestore
	}
	t := now()
	var old []reflect.Value
	for _, c := range cols {
		prev := reflect.New(c.Type).Elem()
		prev.Set(meta.Reflect(c, p))
		old = append(old, prev)
		setTime(c, p, t)
		set = append(set, c)
	}
	return set, func() {
		for i, c := range set {
			meta.Reflect(c, p).Set(old[i])
		}
	}
}

// autoTimeValues holds, by column position, the value of the current time
// for each autocreate and autoupdate column of m (nil elsewhere), or is nil
// when m has none: what a bulk insert writes where a row has no time.
func autoTimeValues(m *registry.Model) []any {
	if len(m.AutoTimes) == 0 {
		return nil
	}
	scratch := reflect.New(m.Type).UnsafePointer()
	t := now()
	out := make([]any, len(m.Columns))
	for _, c := range m.AutoTimes {
		setTime(c, scratch, t)
		out[meta.Pos(c)] = meta.Value(c, scratch)
	}
	return out
}
