package meta

import (
	"database/sql/driver"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// RowKey identifies a row of a model by its primary key values (or by any
// list of column values: a foreign key, SaveAll's identity columns). It is
// comparable, so it keys maps (the session's identity map among them), and
// equal for equal values whatever Go types hold them: integers of any size
// compare as int64 (uint64 above that range as uint64), pointers by what
// they point to, driver.Valuers by their driver value, times by their
// instant, []byte and named byte slices by their bytes (unequal to a string
// of the same bytes). A composite key is one RowKey of all its values, in
// key order.
//
// A RowKey with a NULL value is not Valid: it names no row, and equals
// another such RowKey only if their values are equal, NULLs included.
// The zero RowKey is not Valid.
type RowKey struct {
	v    any   // intKey, uint64, string, bool, float64, bytesKey, timeKey, compositeKey, another comparable value, or nil
	i    int64 // the value when v is intKey: an integer key is not boxed
	null bool
}

// intKey marks a RowKey of one integer that fits an int64 (RowKey.i).
type intKey struct{}

// bytesKey is a byte slice's key part: a string of its bytes, typed apart
// from a string.
type bytesKey string

// timeKey is a time's key part: its instant.
type timeKey struct {
	sec  int64
	nsec int32
}

// compositeKey is the encoding of several key parts (see appendPart).
type compositeKey string

// nullKey is a NULL key part.
type nullKey struct{}

// RowKeyOf returns the RowKey of values, in key order: RowKeyOf(id) for a
// one-column key.
func RowKeyOf(values ...any) RowKey {
	if len(values) == 1 {
		v := keyPart(values[0])
		if i, ok := v.(int64); ok {
			return RowKey{v: intKey{}, i: i}
		}
		_, null := v.(nullKey)
		return RowKey{v: v, null: null}
	}
	var b []byte
	null := false
	for _, v := range values {
		p := keyPart(v)
		if _, ok := p.(nullKey); ok {
			null = true
		}
		b = appendPart(b, p)
	}
	return RowKey{v: compositeKey(b), null: null}
}

// KeyAt returns the RowKey of the primary key of the record of m at p.
func KeyAt(m *Model, p unsafe.Pointer) RowKey {
	if len(m.PK) == 1 {
		if ip := Int64At(m.PK[0], p); ip != nil {
			return RowKey{v: intKey{}, i: *ip} // as RowKeyOf(*ip), without boxing it
		}
		return RowKeyOf(Value(m.PK[0], p))
	}
	var buf [4]any
	vals := buf[:0]
	for _, c := range m.PK {
		vals = append(vals, Value(c, p))
	}
	return RowKeyOf(vals...)
}

// Valid reports whether k names a row: it holds values and none is NULL.
func (k RowKey) Valid() bool { return k.v != nil && !k.null }

// String returns the key's values for messages, e.g. 7 or (1, "a").
func (k RowKey) String() string {
	switch v := k.v.(type) {
	case nil:
		return "<none>"
	case intKey:
		return strconv.FormatInt(k.i, 10)
	case compositeKey:
		var parts []string
		for s := string(v); s != ""; {
			var p string
			p, s = splitPart(s)
			parts = append(parts, p)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return partString(k.v)
}

// keyPart normalises one key value.
func keyPart(v any) any {
	switch x := v.(type) {
	case nil:
		return nullKey{}
	case int64, string, bool, float64:
		return v // as is: boxing again would allocate
	case int:
		return int64(x)
	case []byte:
		if x == nil {
			return nullKey{}
		}
		return bytesKey(x)
	case time.Time:
		return timeKey{x.Unix(), int32(x.Nanosecond())}
	case driver.Valuer:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nullKey{}
		}
		dv, err := x.Value()
		if err != nil {
			return fmt.Sprintf("%T:%#v", v, v) // equal only to the same value
		}
		return keyPart(dv)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nullKey{}
		}
		return keyPart(rv.Elem().Interface())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u > math.MaxInt64 {
			return u
		} else {
			return int64(u)
		}
	case reflect.String:
		return rv.String()
	case reflect.Bool:
		return rv.Bool()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.IsNil() {
				return nullKey{}
			}
			return bytesKey(rv.Bytes())
		}
	}
	if rv.Comparable() {
		return v
	}
	return fmt.Sprintf("%T:%#v", v, v)
}

// appendPart appends an unambiguous encoding of a normalised key part:
// equal parts encode equally, different parts differently.
func appendPart(b []byte, p any) []byte {
	switch x := p.(type) {
	case nullKey:
		return append(b, 'N', ';')
	case int64:
		return append(strconv.AppendInt(append(b, 'i'), x, 10), ';')
	case uint64:
		return append(strconv.AppendUint(append(b, 'u'), x, 10), ';')
	case bool:
		return append(strconv.AppendBool(append(b, 'B'), x), ';')
	case float64:
		return append(strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64), ';')
	case timeKey:
		b = strconv.AppendInt(append(b, 't'), x.sec, 10)
		return append(strconv.AppendInt(append(b, '.'), int64(x.nsec), 10), ';')
	case string:
		b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case bytesKey:
		b = strconv.AppendInt(append(b, 'b'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	default:
		s := fmt.Sprintf("%T:%#v", x, x)
		b = strconv.AppendInt(append(b, 'x'), int64(len(s)), 10)
		return append(append(b, ':'), s...)
	}
}

// splitPart decodes the first part of an encoding made by appendPart, for
// String.
func splitPart(s string) (part, rest string) {
	tag, s := s[0], s[1:]
	switch tag {
	case 's', 'b', 'x':
		i := strings.IndexByte(s, ':')
		n, _ := strconv.Atoi(s[:i])
		body := s[i+1 : i+1+n]
		rest = s[i+1+n:]
		switch tag {
		case 's':
			return strconv.Quote(body), rest
		case 'b':
			return fmt.Sprintf("%x", body), rest
		}
		return body, rest
	}
	i := strings.IndexByte(s, ';')
	body, rest := s[:i], s[i+1:]
	switch tag {
	case 'N':
		return "NULL", rest
	case 't':
		sec, nsec, _ := strings.Cut(body, ".")
		si, _ := strconv.ParseInt(sec, 10, 64)
		ni, _ := strconv.ParseInt(nsec, 10, 64)
		return time.Unix(si, ni).UTC().Format(time.RFC3339Nano), rest
	}
	return body, rest
}

// partString formats a single normalised part.
func partString(p any) string {
	switch x := p.(type) {
	case nullKey:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case bytesKey:
		return fmt.Sprintf("%x", string(x))
	case timeKey:
		return time.Unix(x.sec, int64(x.nsec)).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(p)
}
