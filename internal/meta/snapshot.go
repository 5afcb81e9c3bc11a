package meta

import (
	"bytes"
	"database/sql/driver"
	"reflect"
	"time"
	"unsafe"
)

// Snap says how a record's snapshot (its columns as last loaded or saved,
// against which Save finds what changed) keeps a column's value. A copy of
// the struct is enough for values without references; a []byte, a pointer
// or a map in the copy would share its target with the record, and an edit
// in place (d.Data[0] = 'X', *d.Nick = "new") would change both.
type Snap uint8

// Snapshot strategies.
const (
	// SnapValue: the struct copy holds the value (scalars, strings,
	// time.Time, sql.Null* of those, value types without references).
	SnapValue Snap = iota
	// SnapCopy: the value holds references and is copied deeply ([]byte
	// and named byte slices, pointers, Scanner types holding references);
	// Equal compares the copies.
	SnapCopy
	// SnapDriver: a driver.Valuer holding references (a map type, say); the
	// snapshot keeps its driver value, and a change is a different driver
	// value.
	SnapDriver
)

// snapOf returns the snapshot strategy of a field of type t.
func snapOf(t reflect.Type) Snap {
	if !hasRefs(t) {
		return SnapValue
	}
	if t.Kind() != reflect.Pointer && t.Implements(typeValuer) {
		return SnapDriver
	}
	return SnapCopy
}

// hasRefs reports whether a value of type t refers to memory that a copy of
// it would share. time.Time's location is immutable and does not count.
func hasRefs(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return hasRefs(t.Elem())
	case reflect.Struct:
		if t == typeTime {
			return false
		}
		for i := range t.NumField() {
			if hasRefs(t.Field(i).Type) {
				return true
			}
		}
	}
	return false
}

// CopyDeep sets c's field in the model struct at dst to a
// deep copy of the one at src: byte slices copied, pointer targets, maps
// and slices duplicated, so that editing either in place leaves the other
// as it was. Channels and functions are shared.
func CopyDeep(c *Column, dst, src unsafe.Pointer) {
	d := reflect.NewAt(c.Type, unsafe.Add(dst, c.offset)).Elem()
	deepCopy(d, reflect.NewAt(c.Type, unsafe.Add(src, c.offset)).Elem())
}

// deepCopy sets dst, a settable value, to a deep copy of src of the same
// type.
func deepCopy(dst, src reflect.Value) {
	t := src.Type()
	if !hasRefs(t) {
		dst.Set(src)
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeSlice(t, src.Len(), src.Len())
		if t.Elem().Kind() == reflect.Uint8 {
			reflect.Copy(n, src)
		} else {
			for i := range src.Len() {
				deepCopy(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.New(t.Elem())
		deepCopy(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		n := reflect.MakeMapWithSize(t, src.Len())
		for it := src.MapRange(); it.Next(); {
			k, v := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			deepCopy(k, it.Key())
			deepCopy(v, it.Value())
			n.SetMapIndex(k, v)
		}
		dst.Set(n)
	case reflect.Interface:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		deepCopy(e, src.Elem())
		dst.Set(e)
	case reflect.Array:
		for i := range src.Len() {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		// Through the fields' addresses, so that unexported fields are
		// copied too.
		tmp := reflect.New(t)
		base := tmp.UnsafePointer()
		sp := reflect.New(t)
		sp.Elem().Set(src)
		for i := range t.NumField() {
			f := t.Field(i)
			fd := reflect.NewAt(f.Type, unsafe.Add(base, f.Offset)).Elem()
			deepCopy(fd, reflect.NewAt(f.Type, unsafe.Add(sp.UnsafePointer(), f.Offset)).Elem())
		}
		dst.Set(tmp.Elem())
	default: // channels, functions: shared
		dst.Set(src)
	}
}

// errValue stands for a driver value that could not be computed: it equals
// nothing, so the column counts as changed and the write reports the error.
type errValue struct{}

// DriverValue returns the driver value of c's field in the model
// struct at p, a byte slice copied, for a SnapDriver column's snapshot. A
// Value method that fails gives a value that equals no other.
func DriverValue(c *Column, p unsafe.Pointer) any {
	v, err := Value(c, p).(driver.Valuer).Value()
	if err != nil {
		return errValue{}
	}
	if b, ok := v.([]byte); ok && b != nil {
		return bytes.Clone(b)
	}
	return v
}

// SameDriverValue reports whether two driver values (as DriverValue
// returns them) are equal.
func SameDriverValue(a, b any) bool {
	switch x := a.(type) {
	case errValue:
		return false
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y) && (x == nil) == (y == nil)
	case nil:
		return b == nil
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	if _, ok := b.(errValue); ok {
		return false
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb {
		return false
	}
	if ta.Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// Dirty adds to set the columns of m whose fields differ, as Equal says,
// between the model structs at a (a record) and b (its snapshot): every
// column but the primary key, skip (the version column, or nil) and the
// SnapDriver columns, whose snapshots keep driver values (the caller
// compares those). One loop with the common types compared in place: the
// per-column work of every Save of a loaded record.
func Dirty(m *Model, a, b unsafe.Pointer, skip *Column, set *ColumnSet) {
	for _, c := range m.Columns {
		if c.PK || c == skip || c.snap == SnapDriver {
			continue
		}
		pa, pb := unsafe.Add(a, c.offset), unsafe.Add(b, c.offset)
		var same bool
		switch c.cmp {
		case cmpInt64:
			same = *(*int64)(pa) == *(*int64)(pb)
		case cmpInt:
			same = *(*int)(pa) == *(*int)(pb)
		case cmpString:
			same = *(*string)(pa) == *(*string)(pb)
		case cmpBool:
			same = *(*bool)(pa) == *(*bool)(pb)
		case cmpFloat64:
			same = *(*float64)(pa) == *(*float64)(pb)
		default:
			same = Equal(c, a, b)
		}
		if !same {
			set.Add(c.pos)
		}
	}
}
