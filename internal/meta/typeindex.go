package meta

import (
	"reflect"
	"sync/atomic"
	"unsafe"
)

// typeIndex is the published registry by type: an immutable open-addressed
// table from a type's descriptor address to its model, replaced whole under
// reg.mu when models are published or forgotten. A lookup is one atomic
// load, a multiplicative hash of the address and, almost always, one slot
// compared; a Go map probe cost three times as much, and a sync.Map keyed
// by reflect.Type hashed and compared the interface on every call.
type typeIndex struct {
	shift uint       // 64 - log2(len(slots))
	slots []typeSlot // a power of two, at most half full; key nil: empty
}

type typeSlot struct {
	key unsafe.Pointer
	m   *Model
}

var byType atomic.Pointer[typeIndex]

// typeKey is the address of t's descriptor. Every reflect.Type is a *rtype
// and each type has one descriptor, so two Types are equal exactly when
// their addresses are.
func typeKey(t reflect.Type) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&t))[1]
}

// slot is where the probe for k starts (Fibonacci hashing: the high bits
// of the address times 2^64/φ).
func (ix *typeIndex) slot(k unsafe.Pointer) uint64 {
	return (uint64(uintptr(k)) * 0x9E3779B97F4A7C15) >> ix.shift
}

// registered is the published model of t.
func registered(t reflect.Type) (*Model, bool) {
	ix := byType.Load()
	if ix == nil {
		return nil, false
	}
	k := typeKey(t)
	mask := uint64(len(ix.slots) - 1)
	for i := ix.slot(k); ; i = (i + 1) & mask {
		s := &ix.slots[i&mask]
		if s.key == k {
			return s.m, true
		}
		if s.key == nil {
			return nil, false
		}
	}
}

// publishTypes replaces the index with one holding its models plus add and
// without drop. The caller holds reg.mu.
func publishTypes(add []*Model, drop map[*Model]bool) {
	var all []*Model
	if old := byType.Load(); old != nil {
		for _, s := range old.slots {
			if s.key != nil && !drop[s.m] {
				all = append(all, s.m)
			}
		}
	}
	all = append(all, add...)
	ix := &typeIndex{shift: 64 - 3, slots: make([]typeSlot, 8)}
	for len(ix.slots) < 2*len(all) {
		ix.shift--
		ix.slots = make([]typeSlot, 2*len(ix.slots))
	}
	mask := uint64(len(ix.slots) - 1)
	for _, m := range all {
		k := typeKey(m.Type)
		i := ix.slot(k)
		for ix.slots[i].key != nil && ix.slots[i].key != k {
			i = (i + 1) & mask
		}
		ix.slots[i] = typeSlot{k, m}
	}
	byType.Store(ix)
}

// Statements returns what internal/sqlgen last stored with SetStatements:
// its statement texts of m per dialect, found from the model itself
// instead of a map keyed by it.
func Statements(m *Model) unsafe.Pointer { return atomic.LoadPointer(&m.statements) }

// SetStatements publishes p as m's statements (see Statements). The caller
// serialises its stores.
func SetStatements(m *Model, p unsafe.Pointer) { atomic.StorePointer(&m.statements, p) }
