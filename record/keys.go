package record

import (
	"bytes"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/sqlservice/sqlservice/registry"
)

// This file holds the value plumbing of SaveAll and the bulk helpers:
// converting map values to column types, comparing them, and turning key
// values into map keys.

// columnValue converts v to the type of column c's field, as a value ready
// to bind; values already of that type pass through untouched.
func columnValue(m *registry.Model, c *registry.Column, v any) (any, error) {
	if v != nil && reflect.TypeOf(v) == c.Type {
		return v, nil
	}
	rv, err := convertColumn(m, c, v)
	if err != nil {
		return nil, err
	}
	return rv.Interface(), nil
}

// canonical unwraps a field value for comparison: pointers to their value
// or nil, driver.Valuers (sql.Null*) to what they store.
func canonical(v any) any {
	switch x := v.(type) {
	case nil, int64, int, string, bool, float64, []byte, time.Time:
		return v // as is: boxing again would allocate
	case driver.Valuer:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil
		}
		dv, err := x.Value()
		if err != nil {
			return v
		}
		return dv
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return canonical(rv.Elem().Interface())
	}
	return v
}

// sameValue reports whether two field values of one column are equal:
// pointers compare what they point to, times compare instants, byte slices
// their bytes.
func sameValue(a, b any) bool {
	switch x := a.(type) { // the usual values, both of one type: what canonical keeps as is
	case string:
		if y, ok := b.(string); ok {
			return x == y
		}
	case int64:
		if y, ok := b.(int64); ok {
			return x == y
		}
	case int:
		if y, ok := b.(int); ok {
			return x == y
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Equal(y)
		}
	}
	a, b = canonical(a), canonical(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
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

// isNull reports whether a field value stores NULL.
func isNull(v any) bool { return canonical(v) == nil }

// appendCanonical appends an unambiguous encoding of v: equal values (in
// the sense of sameValue) encode equally.
func appendCanonical(b []byte, v any) []byte {
	switch x := canonical(v).(type) {
	case nil:
		return append(b, 'N', ';')
	case int64:
		return append(strconv.AppendInt(append(b, 'i'), x, 10), ';')
	case int:
		return append(strconv.AppendInt(append(b, 'i'), int64(x), 10), ';')
	case string:
		b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case []byte:
		b = strconv.AppendInt(append(b, 'b'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case bool:
		return append(strconv.AppendBool(append(b, 'B'), x), ';')
	case float64:
		return append(strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64), ';')
	case time.Time:
		return append(x.UTC().AppendFormat(append(b, 't'), time.RFC3339Nano), ';')
	default:
		s := fmt.Sprintf("%T:%#v", x, x)
		b = strconv.AppendInt(append(b, 'x'), int64(len(s)), 10)
		return append(append(b, ':'), s...)
	}
}
