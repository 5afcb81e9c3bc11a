package record

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/sqlservice/sqlservice/registry"
)

var (
	typeTime    = reflect.TypeFor[time.Time]()
	typeScanner = reflect.TypeFor[sql.Scanner]()
)

// convert returns v as a value of type t, following the rules a map from
// JSON or a form needs: numbers convert between kinds when nothing is lost,
// strings parse into time.Time (RFC 3339), nil becomes the zero of a
// nullable type, and a sql.Scanner converts what it accepts. It never
// panics; a value it cannot convert is an error that names both types.
func convert(t reflect.Type, v any, nullable bool) (reflect.Value, error) {
	if v == nil {
		if !nullable {
			return reflect.Value{}, errors.New("cannot be NULL (use a pointer or sql.Null field for a nullable column)")
		}
		return reflect.Zero(t), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(t) {
		return rv, nil
	}
	if t.Kind() == reflect.Pointer && rv.Kind() != reflect.Pointer {
		elem, err := convert(t.Elem(), v, false)
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(elem)
		return p, nil
	}
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return convert(t, nil, nullable)
		}
		return convert(t, rv.Elem().Interface(), nullable)
	}
	if reflect.PointerTo(t).Implements(typeScanner) {
		p := reflect.New(t)
		if err := p.Interface().(sql.Scanner).Scan(v); err != nil {
			return reflect.Value{}, fmt.Errorf("cannot convert %T to %s: %w", v, t, err)
		}
		return p.Elem(), nil
	}
	out := reflect.New(t).Elem()
	bad := func() (reflect.Value, error) {
		return reflect.Value{}, fmt.Errorf("cannot convert %T %v to %s", v, short(v), t)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n := rv.Int()
			if out.OverflowInt(n) {
				return reflect.Value{}, fmt.Errorf("%d overflows %s", n, t)
			}
			out.SetInt(n)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			n := rv.Uint()
			if n > math.MaxInt64 || out.OverflowInt(int64(n)) {
				return reflect.Value{}, fmt.Errorf("%d overflows %s", n, t)
			}
			out.SetInt(int64(n))
		case reflect.Float32, reflect.Float64:
			f := rv.Float()
			if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 || out.OverflowInt(int64(f)) {
				return reflect.Value{}, fmt.Errorf("%v is not an integer that fits %s", f, t)
			}
			out.SetInt(int64(f))
		default:
			return bad()
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n := rv.Int()
			if n < 0 || out.OverflowUint(uint64(n)) {
				return reflect.Value{}, fmt.Errorf("%d does not fit %s", n, t)
			}
			out.SetUint(uint64(n))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			n := rv.Uint()
			if out.OverflowUint(n) {
				return reflect.Value{}, fmt.Errorf("%d overflows %s", n, t)
			}
			out.SetUint(n)
		case reflect.Float32, reflect.Float64:
			f := rv.Float()
			if f != math.Trunc(f) || f < 0 || f >= math.MaxUint64 || out.OverflowUint(uint64(f)) {
				return reflect.Value{}, fmt.Errorf("%v is not an integer that fits %s", f, t)
			}
			out.SetUint(uint64(f))
		default:
			return bad()
		}
	case reflect.Float32, reflect.Float64:
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n := rv.Int()
			f := roundFloat(float64(n), t.Bits())
			if f < -1<<63 || f >= 1<<63 || int64(f) != n {
				return reflect.Value{}, fmt.Errorf("%d cannot be held exactly by %s (it would be stored as %v)", n, t, f)
			}
			out.SetFloat(f)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			n := rv.Uint()
			f := roundFloat(float64(n), t.Bits())
			if f >= 1<<64 || uint64(f) != n {
				return reflect.Value{}, fmt.Errorf("%d cannot be held exactly by %s (it would be stored as %v)", n, t, f)
			}
			out.SetFloat(f)
		case reflect.Float32, reflect.Float64:
			if out.OverflowFloat(rv.Float()) {
				return reflect.Value{}, fmt.Errorf("%v overflows %s", rv.Float(), t)
			}
			out.SetFloat(rv.Float())
		default:
			return bad()
		}
	case reflect.String:
		switch {
		case rv.Kind() == reflect.String:
			out.SetString(rv.String())
		case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8:
			out.SetString(string(rv.Bytes()))
		default:
			return bad()
		}
	case reflect.Bool:
		if rv.Kind() != reflect.Bool {
			return bad()
		}
		out.SetBool(rv.Bool())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.String {
			out.SetBytes([]byte(rv.String()))
			break
		}
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 && t.Elem().Kind() == reflect.Uint8 {
			out.SetBytes(append([]byte(nil), rv.Bytes()...))
			break
		}
		return bad()
	case reflect.Struct:
		if t == typeTime && rv.Kind() == reflect.String {
			ts, err := time.Parse(time.RFC3339Nano, rv.String())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("cannot parse %q as an RFC 3339 time", rv.String())
			}
			out.Set(reflect.ValueOf(ts))
			break
		}
		if rv.Type().ConvertibleTo(t) {
			return rv.Convert(t), nil
		}
		return bad()
	default:
		return bad()
	}
	return out, nil
}

// roundFloat rounds f to the precision of a float of the given bits.
func roundFloat(f float64, bits int) float64 {
	if bits == 32 {
		return float64(float32(f))
	}
	return f
}

// short abbreviates a value for an error message so that a megabyte of
// input does not become a megabyte of error.
func short(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		return fmt.Sprintf("%q…", s[:40])
	}
	return fmt.Sprintf("%q", s)
}

// convertColumn converts v for column c of model m; errors name the field.
func convertColumn(m *registry.Model, c *registry.Column, v any) (reflect.Value, error) {
	rv, err := convert(c.Type, v, c.Nullable)
	if err != nil {
		return reflect.Value{}, &FieldError{Model: m.Name, Field: c.Field, Column: c.Name, Err: err}
	}
	return rv, nil
}
