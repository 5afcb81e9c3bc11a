package meta

import (
	"bytes"
	"database/sql"
	"fmt"
	"math"
	"reflect"
	"unsafe"
)

// Scan destinations. database/sql copies a driver's int64 into an *int64 or
// *int, and a float64 into a *float64, through reflection; a destination
// that is an sql.Scanner skips that. Each takes the drivers' usual value directly and hands anything
// else to sql.Null[T], so that it converts exactly as database/sql would,
// with database/sql's errors; a value that does not convert leaves the field
// as it was.

type (
	int64Dest   int64
	intDest     int
	int32Dest   int32
	float64Dest float64
)

func (d *int64Dest) Scan(src any) error {
	if v, ok := src.(int64); ok {
		*d = int64Dest(v)
		return nil
	}
	v, err := convertSlow[int64](src, "int64")
	if err == nil {
		*d = int64Dest(v)
	}
	return err
}

func (d *intDest) Scan(src any) error {
	if v, ok := src.(int64); ok && v >= math.MinInt && v <= math.MaxInt {
		*d = intDest(v)
		return nil
	}
	v, err := convertSlow[int](src, "int")
	if err == nil {
		*d = intDest(v)
	}
	return err
}

func (d *int32Dest) Scan(src any) error {
	if v, ok := src.(int64); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
		*d = int32Dest(v)
		return nil
	}
	v, err := convertSlow[int32](src, "int32")
	if err == nil {
		*d = int32Dest(v)
	}
	return err
}

func (d *float64Dest) Scan(src any) error {
	if v, ok := src.(float64); ok {
		*d = float64Dest(v)
		return nil
	}
	v, err := convertSlow[float64](src, "float64")
	if err == nil {
		*d = float64Dest(v)
	}
	return err
}

// convertSlow converts src as database/sql converts it into a *V; a NULL
// is an error, as it is for a *V.
func convertSlow[V any](src any, kind string) (V, error) {
	var n sql.Null[V]
	if err := n.Scan(src); err != nil {
		return n.V, err
	}
	if !n.Valid {
		return n.V, fmt.Errorf("converting NULL to %s is unsupported", kind)
	}
	return n.V, nil
}

// scanDest returns the function that gives a field's scan destination from
// its own address: one of the Scanners above (or in times.go) for their
// types, else addr.
func scanDest(t reflect.Type, addr func(unsafe.Pointer) any) func(unsafe.Pointer) any {
	switch t {
	case typeInt64:
		return func(p unsafe.Pointer) any { return (*int64Dest)(p) }
	case typeInt:
		return func(p unsafe.Pointer) any { return (*intDest)(p) }
	case typeInt32:
		return func(p unsafe.Pointer) any { return (*int32Dest)(p) }
	case typeFloat64:
		return func(p unsafe.Pointer) any { return (*float64Dest)(p) }
	case typeTime:
		return func(p unsafe.Pointer) any { return (*timeDest)(p) }
	case typeTimePtr:
		return func(p unsafe.Pointer) any { return (*timePtrDest)(p) }
	case typeNullTime, typeNullOfTime:
		return func(p unsafe.Pointer) any { return (*nullTimeDest)(p) }
	}
	if t != typeBytes && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t).Implements(typeScanner) {
		// database/sql stores NULL into a *[]byte but not into a pointer to
		// a named byte slice (json.RawMessage): the row could not be read.
		return func(p unsafe.Pointer) any { return (*bytesDest)(p) }
	}
	return addr
}

// bytesDest is the scan destination of a named byte slice type (which has
// []byte's memory layout): NULL is nil, anything else converts as into a
// *[]byte.
type bytesDest []byte

func (d *bytesDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = nil
		return nil
	case []byte:
		*d = bytes.Clone(v)
		return nil
	case string:
		*d = []byte(v)
		return nil
	}
	var n sql.Null[[]byte]
	if err := n.Scan(src); err != nil {
		return err
	}
	*d = n.V
	return nil
}

// ScanDestOf returns the scan destination of a value of type t stored at a
// pointer, as a Column's ScanDest gives it for a field of that type: for
// structs that are not models (record.Scan, record.Raw).
func ScanDestOf(t reflect.Type) func(unsafe.Pointer) any {
	return scanDest(t, func(p unsafe.Pointer) any { return reflect.NewAt(t, p).Interface() })
}
