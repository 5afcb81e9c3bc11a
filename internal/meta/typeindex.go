package meta

import (
	"reflect"
	"sync/atomic"
	"unsafe"
)

// typeIndex is the published registry by type: an immutable map from a
// type's descriptor address to its model, replaced whole under reg.mu when
// models are published or forgotten. A lookup is one atomic load and one
// map probe of a pointer key, where a sync.Map keyed by reflect.Type hashed
// and compared the interface on every call.
type typeIndex map[unsafe.Pointer]*Model

var byType atomic.Pointer[typeIndex]

// typeKey is the address of t's descriptor. Every reflect.Type is a *rtype
// and each type has one descriptor, so two Types are equal exactly when
// their addresses are.
func typeKey(t reflect.Type) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]
}

// registered is the published model of t.
func registered(t reflect.Type) (*Model, bool) {
	idx := byType.Load()
	if idx == nil {
		return nil, false
	}
	m, ok := (*idx)[typeKey(t)]
	return m, ok
}

// publishTypes replaces the index with one holding its models plus add and
// without drop. The caller holds reg.mu.
func publishTypes(add []*Model, drop map[*Model]bool) {
	old := byType.Load()
	n := len(add)
	if old != nil {
		n += len(*old)
	}
	idx := make(typeIndex, n)
	if old != nil {
		for k, m := range *old {
			if !drop[m] {
				idx[k] = m
			}
		}
	}
	for _, m := range add {
		idx[typeKey(m.Type)] = m
	}
	byType.Store(&idx)
}

// Statements returns what internal/sqlgen last stored with SetStatements:
// its statement texts of m per dialect, found from the model itself
// instead of a map keyed by it.
func Statements(m *Model) unsafe.Pointer { return atomic.LoadPointer(&m.statements) }

// SetStatements publishes p as m's statements (see Statements). The caller
// serialises its stores.
func SetStatements(m *Model, p unsafe.Pointer) { atomic.StorePointer(&m.statements, p) }
